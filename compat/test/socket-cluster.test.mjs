// Two chatd processes on one Redis (REDIS_URL): rooms, private messages and
// presence are shared, as with Node's @socket.io/redis-adapter — and
// presence covers the whole cluster (docs/socket-events.md, "Across processes").
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { withCluster } from '../lib/harness.mjs';
import { ALICE, BOB, MOD, ROOM_GENERAL, TRANSPORT_MODES, connect, message } from '../lib/socket.mjs';

async function joined(t, server, mode, who) {
  const c = connect(server.url, who.token
    ? { token: who.token, query: { userId: who.id }, transports: mode.transports }
    : { query: { userId: who.id, userAlias: who.alias }, transports: mode.transports });
  t.after(() => c.close());
  await c.connected();
  c.user = { id: who.id, alias: who.alias, gender: who.gender };
  await c.join(c.user);
  return c;
}

for (const mode of TRANSPORT_MODES) {
  describe(`two chatd processes on one Redis (${mode.name})`, () => {
    test('room, tenant and private messages and presence cross processes', async (t) => {
      const { a, b } = await withCluster(t);
      const alice = await joined(t, a, mode, ALICE);
      const bob = await joined(t, b, mode, BOB);
      const mod = await joined(t, b, mode, MOD);

      // Presence is the cluster's: Alice on A sees Bob and Mod from B.
      const p = await alice.first('presenceUpdate', { where: (q) => q.onlineIds.includes(BOB.id) && q.onlineIds.includes(MOD.id), timeout: 8000 });
      assert.deepEqual(new Set(p.onlineIds), new Set([ALICE.id, BOB.id, MOD.id]));
      assert.equal(p.users.length, 3);
      assert.equal(p.roomCounts[ROOM_GENERAL], 3);
      await bob.first('presenceUpdate', { where: (q) => q.onlineIds.includes(ALICE.id) && q.onlineIds.includes(MOD.id), timeout: 8000 });

      const room = message(ALICE, { text: 'da A alla stanza', roomId: ROOM_GENERAL });
      alice.emit('sendMessage', room);
      for (const c of [alice, bob, mod]) assert.equal((await c.first('newMessage')).id, room.id);

      const priv = message(MOD, { text: 'da B a A, privato', recipientId: ALICE.id });
      mod.emit('sendMessage', priv);
      for (const c of [alice, mod]) assert.equal((await c.first('privateMessage')).id, priv.id);

      // A disconnect on B updates presence on A.
      bob.close();
      const left = await alice.first('presenceUpdate', { where: (q) => !q.onlineIds.includes(BOB.id), timeout: 8000 });
      assert.deepEqual(new Set(left.onlineIds), new Set([ALICE.id, MOD.id]));
      assert.equal(bob.received('privateMessage').length, 0);
    });

    test('a process that stops takes its sockets out of the cluster presence', async (t) => {
      const { a, b } = await withCluster(t);
      const alice = await joined(t, a, mode, ALICE);
      await joined(t, b, mode, BOB);
      await alice.first('presenceUpdate', { where: (q) => q.onlineIds.includes(BOB.id), timeout: 8000 });
      await b.stop();
      const p = await alice.first('presenceUpdate', { where: (q) => !q.onlineIds.includes(BOB.id), timeout: 20000 });
      assert.deepEqual(p.onlineIds, [ALICE.id]);
    });

    test('a process that dies (SIGKILL) leaves the cluster presence after its heartbeat expires', async (t) => {
      const { a, b } = await withCluster(t);
      const alice = await joined(t, a, mode, ALICE);
      const bob = await joined(t, b, mode, BOB);
      bob.socket.io.reconnection(false);
      await alice.first('presenceUpdate', { where: (q) => q.onlineIds.includes(BOB.id), timeout: 8000 });
      b.child.kill('SIGKILL');
      const p = await alice.first('presenceUpdate', { where: (q) => !q.onlineIds.includes(BOB.id), timeout: 30000 });
      assert.deepEqual(p.onlineIds, [ALICE.id]);
    });
  });
}
