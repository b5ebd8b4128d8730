// Engine.IO v4 conformance of chatd's engine, served bare at /engine.io/ by
// compat/conformance (which echoes every message). One check for each
// behaviour of the official v4 test suite (25), written for node:test.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Conn, Polling, sleep, startConformance } from '../lib/protocol.mjs';
import { closeTests, handshakeTests, heartbeatTests, upgradeTests } from '../lib/protocol-engine.mjs';

const PATH = '/engine.io/';
const T = { timeout: 5000 };
let server;
const srv = () => server;

before(async () => { server = await startConformance(); });
after(async () => { await server?.stop(); });

let count = 0;
count += handshakeTests(srv, PATH);

describe('messages over polling', () => {
  const roundTrip = async (payload) => {
    const p = new Polling(srv().http, PATH);
    await p.open();
    assert.deepEqual(await p.post(payload), { status: 200, body: 'ok' });
    // The conformance server pings every 300 ms, so on a loaded machine a
    // ping may share the poll with the echo; it is not part of the echo.
    const { status, body } = await p.get();
    const echoed = body.split('\x1e').filter((packet) => packet !== '2').join('\x1e');
    assert.deepEqual({ status, body: echoed }, { status: 200, body: payload });
  };

  it('echoes one text packet', T, () => roundTrip('4hello'));

  it('echoes several text packets in one poll, joined by \\x1e', T, () => roundTrip('4test1\x1e4test2\x1e4test3'));

  it('echoes text and base64 binary packets', T, () => roundTrip('4hello\x1ebAQIDBA=='));

  it('closes the session on a malformed payload', T, async () => {
    const p = new Polling(srv().http, PATH);
    await p.open();
    const post = await p.post('abc');
    assert.notEqual(post.status, 200, 'malformed payload accepted');
    assert.equal((await p.get()).status, 400);
  });

  it('closes the session on two concurrent polls', T, async () => {
    const p = new Polling(srv().http, PATH);
    await p.open();
    const [first, second] = await Promise.all([
      p.get(),
      sleep(5).then(() => p.get({}, '&t=second')),
    ]);
    assert.deepEqual(first, { status: 200, body: '1' });
    assert.ok([400, 500].includes(second.status), `second poll got ${second.status}`);
    assert.equal((await p.get()).status, 400);
  });

  it('closes the session when a poll is aborted', T, async () => {
    const p = new Polling(srv().http, PATH);
    await p.open();
    const abort = new AbortController();
    const pending = p.get({ signal: abort.signal }).catch(() => 'aborted');
    await sleep(5);
    abort.abort();
    assert.equal(await pending, 'aborted');
    assert.equal((await p.get()).status, 400);
  });
});
count += 6;

describe('messages over websocket', () => {
  it('echoes a text packet', T, async () => {
    const c = new Conn(`${srv().ws}${PATH}?EIO=4&transport=websocket`);
    await c.next('open');
    await c.message(); // open packet
    c.send('4hello');
    assert.deepEqual(await c.messages(1), ['4hello']);
    c.close();
  });

  it('echoes a binary packet as a binary frame', T, async () => {
    const c = new Conn(`${srv().ws}${PATH}?EIO=4&transport=websocket`);
    await c.message(); // open packet
    c.send(Uint8Array.from([1, 2, 3, 4]));
    const [echoed] = await c.messages(1);
    assert.ok(Buffer.isBuffer(echoed), 'echo came back as text');
    assert.deepEqual([...echoed], [1, 2, 3, 4]);
    c.close();
  });

  it('closes the connection on a malformed packet', T, async () => {
    const c = new Conn(`${srv().ws}${PATH}?EIO=4&transport=websocket`);
    await c.message(); // open packet
    c.send('abc');
    await c.closed();
  });
});
count += 3;

count += heartbeatTests(srv, PATH);
count += closeTests(srv, PATH);
count += upgradeTests(srv, PATH, { echo: true });

it('covers every behaviour of the official Engine.IO v4 suite', () => {
  assert.equal(count, 25);
});
