// chatd's Redis adapter (socketio/redisadapter, run by compat/adapterpeer
// over fake sockets) and a real Node socket.io 4.8 server with
// @socket.io/redis-adapter 8 on one Redis and prefix: each side's
// broadcasts, remote operations and cluster queries reach and are answered
// by the other, binary attachments included, nothing twice.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startAdapterPeer } from '../lib/adapter-peer.mjs';
import { startNodeClusterServer } from '../lib/node-cluster-server.mjs';
import { ALICE, ROOM_GENERAL, connect, expectNone, message, sleep } from '../lib/socket.mjs';

const redisURL = process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379/0';

// The chatd side's sockets.
const GO_SOCKETS = [
  { id: 'g1', rooms: ['r1'], handshake: { query: { userId: 'u-g1' }, auth: {} }, data: { userId: 'u-g1' } },
  { id: 'g2', rooms: ['r2'] },
  { id: 'g3', rooms: ['r1', 'x'] },
  { id: 'g4', rooms: [] },
];

/** fleet starts a chatd adapter and a Node server on a prefix of their own. */
async function fleet(t, { tenantRooms } = {}) {
  const prefix = 'chatd-test-interop-' + randomBytes(6).toString('hex');
  const peer = await startAdapterPeer({ redisURL, prefix });
  t.after(() => peer.stop());
  for (const socket of GO_SOCKETS) await peer.call('connect', { socket });
  const node = await startNodeClusterServer({ redisURL, prefix, tenantRooms });
  t.after(() => node.close());
  return { peer, node };
}

/** nodeClient connects a socket.io-client to the Node server, in rooms (joined there, locally). */
async function nodeClient(t, node, userId, rooms = []) {
  const c = connect(node.url, { query: { userId }, transports: ['websocket'] });
  t.after(() => c.close());
  await c.connected();
  node.io.sockets.sockets.get(c.id).join(rooms);
  return c;
}

const byEvent = (deliveries) => Object.fromEntries(deliveries.map((d) => [d.packet.data[0], d]));

describe('Node server → chatd adapter', () => {
  test('broadcasts to a room, several rooms, with except, and to all reach the matching sockets once', async (t) => {
    const { peer, node } = await fleet(t);
    node.io.to('r1').emit('one', { b: 2, a: [1, 2.5] }, Buffer.from([1, 2, 3]));
    node.io.to(['r1', 'r2']).emit('several', 1);
    node.io.except('x').emit('allButX', 1);
    node.io.to('r1').except('x').emit('r1ButX', 1);
    node.io.emit('end', 1);
    const got = byEvent(await peer.next('deliver', { count: 5 }));
    assert.deepEqual(got.one.socketIds, ['g1', 'g3']);
    assert.deepEqual(got.one.packet.data, ['one', { b: 2, a: [1, 2.5] }, { _placeholder: true, num: 0 }]);
    assert.deepEqual(Object.keys(got.one.packet.data[1]), ['b', 'a']);
    assert.deepEqual(got.one.packet.attachments, [Buffer.from([1, 2, 3])]);
    assert.equal(got.one.packet.type, 2);
    assert.equal(got.one.packet.nsp, '/');
    assert.deepEqual(got.several.socketIds, ['g1', 'g2', 'g3']);
    assert.deepEqual(got.allButX.socketIds, ['g1', 'g2', 'g4']);
    assert.deepEqual(got.r1ButX.socketIds, ['g1']);
    assert.deepEqual(got.end.socketIds, ['g1', 'g2', 'g3', 'g4']);
    await sleep(300);
    assert.equal(peer.received('deliver').length, 5, 'each broadcast delivered once');
  });

  test('socketsJoin, socketsLeave and disconnectSockets apply to the chatd sockets', async (t) => {
    const { peer, node } = await fleet(t);
    node.io.in('r1').socketsJoin('joined');
    const [join] = await peer.next('join');
    assert.deepEqual([join.socketIds, join.names], [['g1', 'g3'], ['joined']]);
    node.io.in('joined').except('x').socketsLeave('r1');
    const [leave] = await peer.next('leave');
    assert.deepEqual([leave.socketIds, leave.names], [['g1'], ['r1']]);
    assert.deepEqual((await peer.call('socket', { socket: { id: 'g1' } })).rooms, ['g1', 'joined']);
    node.io.in('r2').disconnectSockets(true);
    const [disconnect] = await peer.next('disconnect');
    assert.deepEqual([disconnect.socketIds, disconnect.close], [['g2'], true]);
    assert.equal((await peer.call('socket', { socket: { id: 'g2' } })).connected, false);
  });

  test('fetchSockets, remote sockets, allRooms and serverCount count the chatd process', async (t) => {
    const { peer, node } = await fleet(t);
    assert.equal(await node.io.of('/').adapter.serverCount(), 2);
    const all = await node.io.fetchSockets();
    assert.deepEqual(all.map((s) => s.id).sort(), ['g1', 'g2', 'g3', 'g4']);
    const g1 = all.find((s) => s.id === 'g1');
    assert.deepEqual(g1.handshake, GO_SOCKETS[0].handshake);
    assert.deepEqual(g1.data, { userId: 'u-g1' });
    assert.deepEqual([...g1.rooms], ['g1', 'r1']);
    assert.deepEqual((await node.io.in('r1').except('x').fetchSockets()).map((s) => s.id), ['g1']);

    g1.join('viaRemote');
    const [join] = await peer.next('join');
    assert.deepEqual([join.rooms, join.socketIds, join.names], [['g1'], ['g1'], ['viaRemote']]);
    g1.emit('direct', Buffer.from('to g1'));
    const [direct] = await peer.next('deliver');
    assert.deepEqual(direct.socketIds, ['g1']);
    assert.deepEqual(direct.packet.attachments, [Buffer.from('to g1')]);

    const rooms = await node.io.of('/').adapter.allRooms();
    for (const r of ['g1', 'g2', 'g3', 'g4', 'r1', 'r2', 'x', 'viaRemote']) assert.ok(rooms.has(r), `allRooms lacks ${r}`);
  });

  test('serverSideEmit reaches the chatd process, and it answers serverSideEmitWithAck', async (t) => {
    const { peer, node } = await fleet(t);
    node.io.serverSideEmit('hello', 'world', 1);
    const [emit] = await peer.next('serverSideEmit');
    assert.deepEqual([emit.args, emit.withAck], [['hello', 'world', 1], false]);
    const answers = await node.io.serverSideEmitWithAck('ping', 2);
    assert.deepEqual(answers, [{ from: 'go', args: ['ping', 2] }]);
  });

  test('an acknowledged broadcast collects the chatd sockets\' answers with the Node clients\'', async (t) => {
    const { peer, node } = await fleet(t);
    const n1 = await nodeClient(t, node, 'n1', ['r1']);
    n1.socket.on('question', (n, cb) => cb({ socket: 'n1', bin: Buffer.from('n1'), n }));
    const answers = await node.io.to('r1').timeout(3000).emitWithAck('question', 1);
    assert.deepEqual(answers.map((a) => a.socket).sort(), ['g1', 'g3', 'n1']);
    for (const a of answers) assert.deepEqual(Buffer.from(a.bin), Buffer.from(a.socket));
    const [delivery] = await peer.next('deliver');
    assert.deepEqual([delivery.socketIds, delivery.withAck], [['g1', 'g3'], true]);
  });
});

describe('chatd adapter → Node server', () => {
  test('broadcasts reach the matching socket.io-client sockets once, binary included', async (t) => {
    const { peer, node } = await fleet(t);
    const n1 = await nodeClient(t, node, 'n1', ['nr1']);
    const n2 = await nodeClient(t, node, 'n2', ['nr2']);
    const n3 = await nodeClient(t, node, 'n3', ['nr1', 'kick']);
    await peer.call('broadcast', { rooms: ['nr1'], data: ['hi', { z: 1, a: 2.5 }, { _placeholder: true, num: 0 }], attachments: [Buffer.from([9, 8])] });
    await peer.call('broadcast', { rooms: ['nr1', 'nr2'], except: ['kick'], data: ['several'] });
    await peer.call('broadcast', { data: ['all', 'x'] });
    for (const c of [n1, n3]) {
      const [obj, bin] = await c.next('hi');
      assert.deepEqual(obj, { z: 1, a: 2.5 });
      assert.deepEqual(Object.keys(obj), ['z', 'a']);
      assert.deepEqual(Buffer.from(bin), Buffer.from([9, 8]));
    }
    for (const c of [n1, n2]) await c.next('several');
    for (const c of [n1, n2, n3]) assert.deepEqual(await c.next('all'), ['x']);
    await expectNone([n2], ['hi']);
    await expectNone([n3], ['several']);
    for (const c of [n1, n2, n3]) {
      for (const ev of ['hi', 'several', 'all']) assert.equal(c.received(ev).length, 0, `${ev} delivered twice to ${c.id}`);
    }
    assert.equal(peer.received('deliver').length, 0, 'the chatd process ignores its own broadcasts');
  });

  test('addSockets, delSockets and disconnectSockets apply to the Node server\'s sockets', async (t) => {
    const { peer, node } = await fleet(t);
    const n1 = await nodeClient(t, node, 'n1', ['nr1']);
    const n2 = await nodeClient(t, node, 'n2', ['nr2', 'kick']);
    const roomOf = (id) => [...(node.io.sockets.sockets.get(id)?.rooms ?? [])];
    await peer.call('addSockets', { rooms: ['nr1'], names: ['fromGo'] });
    await waitFor(() => roomOf(n1.id).includes('fromGo'));
    assert.ok(!roomOf(n2.id).includes('fromGo'));
    await peer.call('delSockets', { rooms: ['fromGo'], names: ['nr1'] });
    await waitFor(() => !roomOf(n1.id).includes('nr1'));
    await peer.call('disconnectSockets', { rooms: ['kick'], close: true });
    await n2.next('disconnect');
    await expectNone([n1], ['disconnect']);
    assert.equal(peer.received('join').length + peer.received('disconnect').length, 0, 'its own requests are not applied twice');
  });

  test('fetchSockets, allRooms, serverCount and serverSideEmit are answered by the Node server', async (t) => {
    const { peer, node } = await fleet(t);
    const n1 = await nodeClient(t, node, 'n1', ['nr1']);
    await nodeClient(t, node, 'n2', ['nr2']);
    assert.equal(await peer.call('serverCount'), 2);
    const fetched = await peer.call('fetchSockets', { rooms: ['nr1'] });
    assert.deepEqual(fetched.map((s) => s.ID), [n1.id]);
    assert.equal(fetched[0].Handshake.query.userId, 'n1');
    assert.deepEqual(fetched[0].Data, { userId: 'n1' });
    assert.deepEqual(fetched[0].Rooms, [n1.id, 'n1', 'nr1']);
    const rooms = await peer.call('allRooms');
    for (const r of ['nr1', 'nr2', 'n1', n1.id]) assert.ok(rooms.includes(r), `allRooms lacks ${r}`);

    const heard = [];
    node.io.on('fromGo', (...args) => heard.push(args));
    node.io.on('askNode', (n, cb) => cb({ node: n * 2 }));
    await peer.call('serverSideEmit', { data: ['fromGo', 'a', 1] });
    await waitFor(() => heard.length === 1);
    assert.deepEqual(heard[0], ['a', 1]);
    assert.deepEqual(await peer.call('serverSideEmit', { data: ['askNode', 21], ack: true }), [{ node: 42 }]);
  });

  test('an acknowledged broadcast collects the Node clients\' answers', async (t) => {
    const { peer, node } = await fleet(t);
    const n1 = await nodeClient(t, node, 'n1', ['nr1']);
    await nodeClient(t, node, 'n2', ['nr2']);
    n1.socket.on('ask', (n, cb) => cb({ from: 'n1', bin: Buffer.from([7]) }));
    await peer.call('broadcastWithAck', { rooms: ['nr1'], data: ['ask', 1], timeoutMs: 3000 });
    const [count] = await peer.next('clientCount');
    assert.equal(count.count, 1);
    const [ack] = await peer.next('ack');
    assert.deepEqual(ack.data, { from: 'n1', bin: { _placeholder: true, num: 0 } });
    assert.deepEqual(ack.attachments, [Buffer.from([7])]);
  });
});

test('the Node server relays the product\'s chat: a room message crosses both ways', async (t) => {
  const { peer, node } = await fleet(t, { tenantRooms: { demo: [ROOM_GENERAL] } });
  await peer.call('connect', { socket: { id: 'chatd-alice', rooms: [ROOM_GENERAL] } });
  const bob = connect(node.url, { query: { userId: 'bob' }, transports: ['websocket'] });
  t.after(() => bob.close());
  await bob.connected();
  await bob.join({ id: 'bob', alias: 'Bob', gender: 'male' });

  const fromNode = message({ id: 'bob', alias: 'Bob', gender: 'male' }, { roomId: ROOM_GENERAL, text: 'da Node' });
  bob.emit('sendMessage', fromNode);
  assert.equal((await bob.first('newMessage')).id, fromNode.id);
  const [delivered] = await peer.next('deliver');
  assert.deepEqual(delivered.socketIds, ['chatd-alice']);
  assert.equal(delivered.packet.data[1].id, fromNode.id);

  const fromChatd = message(ALICE, { roomId: ROOM_GENERAL, text: 'da chatd' });
  await peer.call('broadcast', { rooms: [ROOM_GENERAL], data: ['newMessage', fromChatd] });
  assert.deepEqual(await bob.first('newMessage'), fromChatd);
});

async function waitFor(cond, timeout = 5000) {
  const deadline = Date.now() + timeout;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met within ' + timeout + ' ms');
    await sleep(20);
  }
}
