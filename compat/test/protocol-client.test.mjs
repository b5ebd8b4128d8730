// The real socket.io-client (the version the apps ship) against the
// conformance server, on each transport and through the polling→websocket
// upgrade: what the raw-protocol suites check frame by frame must also
// hold for the client that users run. Plus the CORS answer the
// conformance server promises.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { io } from 'socket.io-client';
import { startConformance } from '../lib/protocol.mjs';

const T = { timeout: 10_000 };
let server;

before(async () => { server = await startConformance(); });
after(async () => { await server?.stop(); });

function connect(nsp, opts) {
  const s = io(server.http + nsp, { forceNew: true, reconnection: false, ...opts });
  const auth = new Promise((resolve, reject) => {
    s.once('auth', resolve);
    s.once('connect_error', reject);
  });
  return { s, auth };
}

const transportCases = [
  { name: 'polling only', transports: ['polling'], upgraded: false },
  { name: 'websocket only', transports: ['websocket'], upgraded: false },
  { name: 'polling upgraded to websocket', transports: ['polling', 'websocket'], upgraded: true },
];

for (const tc of transportCases) {
  describe(`socket.io-client, ${tc.name}`, () => {
    it('connects with auth, echoes text and binary events, and acks', T, async () => {
      const { s, auth } = connect('/', { transports: tc.transports, auth: { token: 'abc' } });
      assert.deepEqual(await auth, { token: 'abc' });
      if (tc.upgraded) {
        await new Promise((resolve) => {
          if (s.io.engine.transport.name === 'websocket') return resolve();
          s.io.engine.once('upgrade', resolve);
        });
      }
      assert.equal(s.io.engine.transport.name, tc.transports.at(-1));

      const back = new Promise((resolve) => s.once('message-back', (...args) => resolve(args)));
      s.emit('message', 1, '2', { 3: [true] }, Buffer.from([1, 2, 3]));
      const args = await back;
      assert.deepEqual(args.slice(0, 3), [1, '2', { 3: [true] }]);
      assert.deepEqual([...args[3]], [1, 2, 3]);

      const acked = await new Promise((resolve) => s.emit('message-with-ack', 'a', Buffer.from([9]), (...resp) => resolve(resp)));
      assert.equal(acked[0], 'a');
      assert.deepEqual([...acked[1]], [9]);
      s.close();
    });

    it('stays connected across several heartbeats', T, async () => {
      const { s, auth } = connect('/custom', { transports: tc.transports });
      assert.deepEqual(await auth, {});
      let disconnected = '';
      s.on('disconnect', (reason) => { disconnected = reason; });
      await new Promise((resolve) => setTimeout(resolve, 1500)); // five ping intervals
      assert.equal(disconnected, '');
      assert.ok(s.connected);
      s.close();
    });
  });
}

it('refuses an unknown namespace to the client with "Invalid namespace"', T, async () => {
  const { s, auth } = connect('/random', { transports: ['websocket'] });
  await assert.rejects(auth, /Invalid namespace/);
  s.close();
});

it('answers CORS for any origin, preflight included', T, async () => {
  const origin = 'https://elsewhere.example';
  const res = await fetch(`${server.http}/socket.io/?EIO=4&transport=polling`, { headers: { Origin: origin } });
  assert.equal(res.status, 200);
  await res.text();
  assert.ok(['*', origin].includes(res.headers.get('access-control-allow-origin')));
  const pre = await fetch(`${server.http}/engine.io/?EIO=4&transport=polling`, {
    method: 'OPTIONS',
    headers: { Origin: origin, 'Access-Control-Request-Method': 'POST' },
  });
  assert.ok(pre.status === 204 || pre.status === 200, `preflight ${pre.status}`);
  assert.ok(['*', origin].includes(pre.headers.get('access-control-allow-origin')));
});
