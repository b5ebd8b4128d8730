// join and presence (docs/socket-events.md: "join", "Presence", "Disconnect") with several real
// socket.io-client sockets, websocket-first and polling-only.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fixture } from '../lib/socket-fixture.mjs';
import {
  ALICE, BOB, MOD, ROOM_ANNUNCI, ROOM_GENERAL, TENANT_ID, TRANSPORT_MODES, ISO_MS,
  expectNone, message, sleep,
} from '../lib/socket.mjs';

const latest = (c, id, present = true) => c.first('presenceUpdate', { where: (p) => p.onlineIds.includes(id) === present });

for (const mode of TRANSPORT_MODES) {
  describe(`join and presence (${mode.name})`, () => {
    test('three clients join; every joined client gets the full presence; a lurker gets nothing', async (t) => {
      const f = await fixture(t, mode);
      const lurker = await f.user({ anonymous: 'Lurker' }, { join: false });
      const alice = await f.user(ALICE, { join: false });
      alice.emit('join', { user: { id: ALICE.id, alias: 'Alice', gender: 'female' }, tenantSlug: 'demo' });
      assert.deepEqual(await alice.first('blockedUsers'), { blockedIds: [] });
      assert.deepEqual(await alice.first('presenceUpdate'), {
        users: [{ id: ALICE.id, alias: 'Alice', gender: 'female', socketId: alice.id }],
        onlineIds: [ALICE.id],
        roomCounts: { [ROOM_ANNUNCI]: 1, [ROOM_GENERAL]: 1 },
      });
      const bob = await f.user(BOB, { join: false });
      bob.emit('join', { user: { id: BOB.id, alias: 'Bob', gender: 'male', status: 'Disponibile' }, tenantSlug: 'demo' });
      await bob.first('blockedUsers');
      const carla = await f.user({ anonymous: 'Carla' }, { join: false });
      carla.emit('join', { user: { id: carla.user.id, alias: 'Carla', gender: 'female', image: 'https://example.com/carla.png' }, tenantSlug: 'demo' });
      await carla.first('blockedUsers');
      for (const c of [alice, bob, carla]) {
        const p = await latest(c, carla.user.id);
        assert.deepEqual(new Set(p.onlineIds), new Set([ALICE.id, BOB.id, carla.user.id]));
        const byId = Object.fromEntries(p.users.map((u) => [u.id, u]));
        assert.deepEqual(byId[BOB.id], { id: BOB.id, alias: 'Bob', gender: 'male', status: 'Disponibile', socketId: bob.id });
        assert.deepEqual(byId[carla.user.id], { id: carla.user.id, alias: 'Carla', gender: 'female', image: 'https://example.com/carla.png', socketId: carla.id });
        assert.deepEqual(p.roomCounts, { [ROOM_ANNUNCI]: 3, [ROOM_GENERAL]: 3 });
      }
      const rows = await f.sql('SELECT status, image FROM "user" WHERE id = $1', [BOB.id]);
      assert.deepEqual(rows, [{ status: 'Disponibile', image: null }]);
      await expectNone([lurker], ['presenceUpdate', 'blockedUsers', 'newMessage']);
    });

    test('disconnect removes the socket from presence for everyone left', async (t) => {
      const f = await fixture(t, mode);
      const alice = await f.user(ALICE);
      const bob = await f.user(BOB);
      await latest(alice, BOB.id);
      bob.close();
      const p = await latest(alice, BOB.id, false);
      assert.deepEqual(p.onlineIds, [ALICE.id]);
      assert.deepEqual(p.roomCounts, { [ROOM_ANNUNCI]: 1, [ROOM_GENERAL]: 1 });
    });

    test('a data: image is neither broadcast nor stored; a URL image is', async (t) => {
      const f = await fixture(t, mode);
      const alice = await f.user(ALICE);
      alice.emit('join', { user: { id: ALICE.id, alias: 'Alice', gender: 'female', image: 'data:image/png;base64,AAAA' }, tenantSlug: 'demo' });
      const p = await alice.first('presenceUpdate');
      assert.equal(p.users[0].image, undefined);
      const rows = await f.sql('SELECT image FROM "user" WHERE id = $1', [ALICE.id]);
      assert.equal(rows[0].image, null);
    });

    test('the app flow: a stale first join is refused, the re-join after userCreated counts', async (t) => {
      const f = await fixture(t, mode);
      const alice = await f.user(ALICE);
      const dora = f.open({ query: { userId: 'local-0000-dora', userAlias: 'Dora' } });
      await dora.connected();
      dora.emit('join', { user: { id: 'local-0000-dora', alias: 'Dora', gender: 'female' }, tenantSlug: 'demo' });
      const created = await dora.first('userCreated');
      assert.deepEqual(await dora.first('error'), { message: 'Forbidden' });
      dora.emit('join', { user: { id: created.id, alias: 'Dora', gender: 'female' }, tenantSlug: 'demo' });
      await dora.first('blockedUsers');
      const p = await latest(alice, created.id);
      assert.ok(!p.onlineIds.includes('local-0000-dora'));
      const stale = await f.sql(`SELECT count(*)::int AS n FROM "user" WHERE id = 'local-0000-dora'`);
      assert.equal(stale[0].n, 0);
    });

    test('a join for someone else is Forbidden and changes nothing', async (t) => {
      const f = await fixture(t, mode);
      const alice = await f.user(ALICE);
      const bob = await f.user(BOB);
      bob.emit('join', { user: { id: ALICE.id, alias: 'Hacked', gender: 'male' }, tenantSlug: 'demo' });
      assert.deepEqual(await bob.first('error'), { message: 'Forbidden' });
      await expectNone([alice], ['newMessage']);
      const rows = await f.sql('SELECT name FROM "user" WHERE id = $1', [ALICE.id]);
      assert.equal(rows[0].name, 'Alice');
    });

    test('join edge cases (unknown tenant, no user, no tenantSlug) are ignored', async (t) => {
      const f = await fixture(t, mode);
      const bob = await f.user(BOB, { join: false });
      bob.emit('join', { user: { id: BOB.id, alias: 'Bob', gender: 'male' }, tenantSlug: 'nope' });
      bob.emit('join', { tenantSlug: 'demo' });
      bob.emit('join', { user: { id: BOB.id, alias: 'Bob', gender: 'male' } });
      await expectNone([bob], ['blockedUsers', 'presenceUpdate']);
      await bob.join({ id: BOB.id, alias: 'Bob', gender: 'male' });
      assert.deepEqual((await bob.first('presenceUpdate')).onlineIds, [BOB.id]);
    });

    test('a second socket of the same user: both stay connected, one presence entry, fallback on leave', async (t) => {
      const f = await fixture(t, mode);
      const mod = await f.user(MOD);
      const a1 = await f.user(ALICE);
      const a2 = await f.user(ALICE);
      const p = await mod.first('presenceUpdate', { where: (q) => q.users.some((u) => u.socketId === a2.id) });
      assert.equal(p.users.filter((u) => u.id === ALICE.id).length, 1, 'one presence entry per user');
      assert.equal(p.users.find((u) => u.id === ALICE.id).socketId, a2.id, 'the newer socket is the entry');
      assert.equal(p.onlineIds.filter((id) => id === ALICE.id).length, 1);
      await sleep(500);
      assert.deepEqual(a1.received('disconnect'), [], 'the older socket is not kicked');
      assert.ok(a1.socket.connected && a2.socket.connected);
      // Both sockets keep receiving their rooms.
      mod.emit('sendMessage', message(MOD, { text: 'to both tabs', roomId: ROOM_GENERAL }));
      for (const c of [a1, a2]) assert.equal((await c.first('newMessage')).text, 'to both tabs');
      // The newer leaves: presence falls back to the older one.
      a2.close();
      const back = await mod.first('presenceUpdate', { where: (q) => q.users.some((u) => u.id === ALICE.id && u.socketId === a1.id) });
      assert.deepEqual(new Set(back.onlineIds), new Set([MOD.id, ALICE.id]));
    });

    test('an alias change broadcasts the system message; the same alias does not', async (t) => {
      const f = await fixture(t, mode);
      const alice = await f.user(ALICE);
      const bob = await f.user(BOB);
      bob.emit('join', { user: { id: BOB.id, alias: 'Roberto', gender: 'male' }, tenantSlug: 'demo' });
      for (const c of [alice, bob]) {
        const m = await c.first('newMessage');
        assert.deepEqual(Object.keys(m).sort(), ['id', 'senderAlias', 'senderGender', 'senderId', 'tenantId', 'text', 'timestamp']);
        assert.equal(m.text, "L'utente *Bob* ha modificato il suo alias in *Roberto*");
        assert.equal(m.senderId, 'system');
        assert.equal(m.senderAlias, 'System');
        assert.equal(m.senderGender, 'other');
        assert.equal(m.tenantId, TENANT_ID);
        assert.match(m.timestamp, ISO_MS);
      }
      await bob.first('blockedUsers');
      await alice.first('presenceUpdate', { where: (q) => q.users.some((u) => u.id === BOB.id && u.alias === 'Roberto') });
      bob.emit('join', { user: { id: BOB.id, alias: 'Roberto', gender: 'male', status: 'In pausa' }, tenantSlug: 'demo' });
      await bob.first('blockedUsers');
      await expectNone([alice, bob], ['newMessage']);
      const rows = await f.sql('SELECT name, status FROM "user" WHERE id = $1', [BOB.id]);
      assert.deepEqual(rows, [{ name: 'Roberto', status: 'In pausa' }]);
    });

    test('join aliases are sanitised before they are stored', async (t) => {
      const f = await fixture(t, mode);
      const bob = await f.user(BOB);
      bob.emit('join', { user: { id: BOB.id, alias: ' <b>Bobby</b> ;DROP', gender: 'male' }, tenantSlug: 'demo' });
      await bob.first('blockedUsers');
      const rows = await f.sql('SELECT name FROM "user" WHERE id = $1', [BOB.id]);
      assert.equal(rows[0].name, 'bBobbyb DROP');
    });
  });
}
