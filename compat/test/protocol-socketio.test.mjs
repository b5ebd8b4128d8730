// Socket.IO v5 conformance of chatd's socket layer, served at /socket.io/
// by compat/conformance. One check for each behaviour of the official v5
// test suite (32): its Engine.IO part again under Socket.IO, then
// namespaces, events, binary attachments and acks.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Conn, PING_INTERVAL, PING_TIMEOUT, startConformance } from '../lib/protocol.mjs';
import { closeTests, handshakeTests, heartbeatTests, upgradeTests } from '../lib/protocol-engine.mjs';

const PATH = '/socket.io/';
const CONNECT_TIMEOUT = 1000;
const T = { timeout: 5000 };
let server;
const srv = () => server;

before(async () => { server = await startConformance(); });
after(async () => { await server?.stop(); });

let count = 0;
count += handshakeTests(srv, PATH);
count += heartbeatTests(srv, PATH);
count += closeTests(srv, PATH);
count += upgradeTests(srv, PATH, { echo: false });

// engineConn opens an Engine.IO session over websocket, past its open packet.
async function engineConn() {
  const c = new Conn(`${srv().ws}${PATH}?EIO=4&transport=websocket`);
  const open = await c.message();
  assert.equal(open[0], '0');
  return c;
}

// connected opens a session connected to the main namespace, past "auth".
async function connected() {
  const c = await engineConn();
  c.send('40');
  assert.match(await c.message(), /^40\{/);
  assert.equal(await c.message(), '42["auth",{}]');
  return c;
}

// connectAck checks a CONNECT ack for nsp: the payload is exactly { sid }.
function connectAck(packet, prefix) {
  assert.ok(packet.startsWith(prefix), `${packet} does not start with ${prefix}`);
  const payload = JSON.parse(packet.slice(prefix.length));
  assert.deepEqual(Object.keys(payload), ['sid']);
  assert.equal(typeof payload.sid, 'string');
  assert.ok(payload.sid.length > 0);
  return payload.sid;
}

describe('connect', () => {
  const cases = [
    { name: 'the main namespace', send: '40', ack: '40', auth: '42["auth",{}]' },
    { name: 'the main namespace with a payload', send: '40{"token":"123"}', ack: '40', auth: '42["auth",{"token":"123"}]' },
    { name: 'a custom namespace', send: '40/custom,', ack: '40/custom,', auth: '42/custom,["auth",{}]' },
    { name: 'a custom namespace with a payload', send: '40/custom,{"token":"abc"}', ack: '40/custom,', auth: '42/custom,["auth",{"token":"abc"}]' },
  ];
  for (const tc of cases) {
    it(`connects to ${tc.name} and gets the payload back as "auth"`, T, async () => {
      const c = await engineConn();
      c.send(tc.send);
      connectAck(await c.message(), tc.ack);
      assert.equal(await c.message(), tc.auth);
      c.close();
    });
  }

  it('refuses an unknown namespace with "Invalid namespace"', T, async () => {
    const c = await engineConn();
    c.send('40/random');
    assert.equal(await c.message(), '44/random,{"message":"Invalid namespace"}');
    c.close();
  });

  it('closes the connection when the first packet is not a CONNECT', T, async () => {
    const c = await engineConn();
    c.send('4abc');
    await c.closed();
  });

  it('closes a connection that never connects to a namespace, pongs or not', T, async () => {
    const c = await engineConn();
    const started = Date.now();
    c.ws.on('message', (data) => { if (data.toString() === '2') c.send('3'); });
    await c.closed(CONNECT_TIMEOUT + 2000);
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= CONNECT_TIMEOUT - 50, `closed after ${elapsed} ms, before the connect timeout`);
  });
});
count += 7;

describe('disconnect', () => {
  it('leaving the main namespace keeps the Engine.IO session', T, async () => {
    const c = await connected();
    c.send('41');
    // the session is still heartbeating, and nothing else arrives first
    assert.equal(await c.message(PING_INTERVAL + PING_TIMEOUT + 500), '2');
    c.close();
  });

  it('leaving a custom namespace keeps the main one working', T, async () => {
    const c = await connected();
    assert.equal(await c.message(), '2');
    c.send('3');
    c.send('40/custom');
    connectAck(await c.message(), '40/custom,');
    assert.equal(await c.message(), '42/custom,["auth",{}]');
    c.send('41/custom');
    c.send('42["message","message to main namespace"]');
    assert.deepEqual(await c.messages(1), ['42["message-back","message to main namespace"]']);
    c.close();
  });
});
count += 2;

describe('events', () => {
  const attachments = () => [Uint8Array.from([1, 2, 3]), Uint8Array.from([4, 5, 6])];
  const placeholders = '{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}';

  it('echoes a text event byte for byte', T, async () => {
    const c = await connected();
    c.send('42["message",1,"2",{"3":[true]}]');
    assert.deepEqual(await c.messages(1), ['42["message-back",1,"2",{"3":[true]}]']);
    c.close();
  });

  it('echoes a binary event with its attachments in order', T, async () => {
    const c = await connected();
    c.send(`452-["message",${placeholders}]`);
    for (const a of attachments()) c.send(a);
    const [head, first, second] = await c.messages(3);
    assert.equal(head, `452-["message-back",${placeholders}]`);
    assert.deepEqual([...first], [1, 2, 3]);
    assert.deepEqual([...second], [4, 5, 6]);
    c.close();
  });

  it('acknowledges a text event with all its arguments', T, async () => {
    const c = await connected();
    c.send('42456["message-with-ack",1,"2",{"3":[false]}]');
    assert.deepEqual(await c.messages(1), ['43456[1,"2",{"3":[false]}]']);
    c.close();
  });

  it('acknowledges a binary event with a binary ack', T, async () => {
    const c = await connected();
    c.send(`452-789["message-with-ack",${placeholders}]`);
    for (const a of attachments()) c.send(a);
    const [head, first, second] = await c.messages(3);
    assert.equal(head, `462-789[${placeholders}]`);
    assert.deepEqual([...first], [1, 2, 3]);
    assert.deepEqual([...second], [4, 5, 6]);
    c.close();
  });

  const malformed = [
    ['an unknown packet type', '4abc'],
    ['an event payload that is not an array', '42{}'],
    ['an ack id that is not a number', '42abc["message-with-ack",1,"2",{"3":[false]}]'],
  ];
  for (const [name, packet] of malformed) {
    it(`closes the connection on ${name}`, T, async () => {
      const c = await connected();
      c.send(packet);
      await c.closed();
    });
  }
});
count += 7;

it('covers every behaviour of the official Socket.IO v5 suite', () => {
  assert.equal(count, 32);
});
