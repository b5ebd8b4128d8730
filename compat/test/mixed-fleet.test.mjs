// A mixed fleet during a migration: a real chatd process and a real Node
// socket.io 4.8 server with @socket.io/redis-adapter 8 (relaying the
// product's chat like the original gateway, compat/lib/node-cluster-server.mjs)
// on one Redis and one prefix. Room, lobby and private messages sent on
// either side reach the real socket.io-client sockets on the other, exactly
// once, and private ones reach nobody else.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createDatabase, runSQL, seedSQL, startChatd } from '../lib/harness.mjs';
import { startNodeClusterServer } from '../lib/node-cluster-server.mjs';
import { ALICE, BOB, MOD, ROOM_GENERAL, TRANSPORT_MODES, connect, message, sleep } from '../lib/socket.mjs';

const redisURL = process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379/0';

// Users of the Node side: the Node server has no database, so these need
// not exist in the seed; chatd only needs its own senders and recipients.
const CAROL = { id: 'ca201000-0000-4000-8000-00000000000c', alias: 'Carol', gender: 'female' };

/**
 * fleet starts chatd (seeded database) and the Node server on one Redis
 * under a prefix of the test's own: pub/sub channels are shared by every
 * database number, so only a prefix keeps runs apart.
 */
async function fleet(t) {
  const prefix = 'chatd-test-fleet-' + randomBytes(6).toString('hex');
  const db = await createDatabase();
  t.after(() => db.drop());
  const chatd = await startChatd({ dbURL: db.url, env: { REDIS_URL: redisURL, REDIS_PREFIX: prefix } });
  t.after(() => chatd.stop());
  await runSQL(db.url, seedSQL());
  // The Node server waits until it is subscribed, and chatd subscribed
  // before it answered /api/health: from here each side counts the other.
  const node = await startNodeClusterServer({ redisURL, prefix, tenantRooms: { demo: [ROOM_GENERAL] } });
  t.after(() => node.close());
  assert.equal(await node.io.of('/').adapter.serverCount(), 2, 'the Node server does not count chatd');
  return { chatd, node };
}

/** joined connects who to server and joins the demo venue there. */
async function joined(t, server, mode, who) {
  const c = connect(server.url, who.token
    ? { token: who.token, query: { userId: who.id }, transports: mode.transports }
    : { query: { userId: who.id, userAlias: who.alias }, transports: mode.transports });
  t.after(() => c.close());
  await c.connected();
  assert.equal(c.transport, mode.expect);
  c.user = { id: who.id, alias: who.alias, gender: who.gender };
  await c.join(c.user);
  return c;
}

/**
 * once waits for event with id on each of clients, then waits a little
 * longer and asserts no second copy came (a copy through Redis arrives
 * after the local one, if at all).
 */
async function once(clients, event, id) {
  for (const c of clients) {
    const got = await c.first(event, { where: (m) => m?.id === id, timeout: 8000 });
    assert.equal(got.id, id);
  }
  await sleep(600);
  for (const c of clients) {
    const copies = c.received(event).filter(([m]) => m?.id === id);
    assert.equal(copies.length, 0, `${event} ${id} delivered ${copies.length + 1} times to ${c.user.alias}`);
  }
}

/** none asserts that none of clients got event with id (after once()'s wait). */
function none(clients, event, id) {
  for (const c of clients) {
    assert.deepEqual(c.received(event).filter(([m]) => m?.id === id), [], `${event} ${id} reached ${c.user.alias}`);
  }
}

for (const mode of TRANSPORT_MODES) {
  describe(`a chatd process and a Node socket.io server on one Redis (${mode.name})`, () => {
    test('room and lobby messages cross both ways, once each', async (t) => {
      const { chatd, node } = await fleet(t);
      const alice = await joined(t, chatd, mode, ALICE);
      const mod = await joined(t, chatd, mode, MOD);
      const bob = await joined(t, node, mode, BOB);
      const carol = await joined(t, node, mode, CAROL);
      const everyone = [alice, mod, bob, carol];

      const fromChatd = message(ALICE, { text: 'da chatd alla stanza', roomId: ROOM_GENERAL });
      alice.emit('sendMessage', fromChatd);
      await once(everyone, 'newMessage', fromChatd.id);

      const fromNode = message(BOB, { text: 'da Node alla stanza', roomId: ROOM_GENERAL });
      bob.emit('sendMessage', fromNode);
      await once(everyone, 'newMessage', fromNode.id);

      // No roomId: the tenant's lobby, tenant:demo on both sides.
      const lobbyChatd = message(MOD, { text: 'da chatd a tutti' });
      mod.emit('sendMessage', lobbyChatd);
      await once(everyone, 'newMessage', lobbyChatd.id);
      const lobbyNode = message(CAROL, { text: 'da Node a tutti' });
      carol.emit('sendMessage', lobbyNode);
      await once(everyone, 'newMessage', lobbyNode.id);
    });

    test('private messages reach a user on the other server, once, and nobody else', async (t) => {
      const { chatd, node } = await fleet(t);
      const alice = await joined(t, chatd, mode, ALICE);
      const mod = await joined(t, chatd, mode, MOD);
      const bob = await joined(t, node, mode, BOB);
      const carol = await joined(t, node, mode, CAROL);

      // chatd → Node: to Bob's room (his socket is on the Node server) and
      // back to the sender's.
      const toBob = message(ALICE, { text: 'da chatd a Bob', recipientId: BOB.id });
      alice.emit('sendMessage', toBob);
      await once([bob, alice], 'privateMessage', toBob.id);
      none([mod, carol], 'privateMessage', toBob.id);

      // Node → chatd: one broadcast to Alice's and Bob's rooms.
      const toAlice = message(BOB, { text: 'da Node ad Alice', recipientId: ALICE.id });
      bob.emit('sendMessage', toAlice);
      await once([alice, bob], 'privateMessage', toAlice.id);
      none([mod, carol], 'privateMessage', toAlice.id);

      // Both ways at once, to a user with a socket on each server.
      const second = await joined(t, node, mode, MOD);
      const toMod = message(ALICE, { text: 'ai due socket di Mod', recipientId: MOD.id });
      alice.emit('sendMessage', toMod);
      await once([mod, second, alice], 'privateMessage', toMod.id);
      none([bob, carol], 'privateMessage', toMod.id);
      for (const c of [alice, mod, bob, carol, second]) assert.deepEqual(c.received('newMessage'), []);
    });
  });
}
