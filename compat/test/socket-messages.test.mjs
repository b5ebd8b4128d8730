// Messages and moderation over the real socket.io-client (docs/socket-events.md:
// sendMessage, deleteMessage, blockUser, unblockUser, reportUser,
// hideConversation), websocket-first and polling-only, checked in the DB.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fixture } from '../lib/socket-fixture.mjs';
import {
  ADMIN, ALICE, BOB, ISO_MS, MOD, ROOM_ANNUNCI, ROOM_GENERAL, TENANT_ID, TRANSPORT_MODES,
  expectNone, message, sleep,
} from '../lib/socket.mjs';

const stored = async (f, id) => (await f.sql('SELECT * FROM "Message" WHERE id = $1', [id]))[0];

for (const mode of TRANSPORT_MODES) {
  describe(`messages (${mode.name})`, () => {
    test('a room message reaches the room (sender included), keeps its id and gets the server time', async (t) => {
      const f = await fixture(t, mode);
      const alice = await f.user(ALICE);
      const bob = await f.user(BOB);
      const m = message(ALICE, { text: 'Ciao dalla stanza generale', roomId: ROOM_GENERAL });
      alice.emit('sendMessage', m);
      for (const c of [alice, bob]) {
        const got = await c.first('newMessage');
        assert.deepEqual({ ...got, timestamp: 'x' }, { ...m, timestamp: 'x' }, 'every field echoed, tenantSlug included');
        assert.match(got.timestamp, ISO_MS);
        assert.notEqual(got.timestamp, m.timestamp);
      }
      const row = await stored(f, m.id);
      assert.equal(row.text, 'Ciao dalla stanza generale');
      assert.equal(row.roomId, ROOM_GENERAL);
      assert.equal(row.senderId, ALICE.id);
      assert.equal(row.userId, ALICE.id);
      assert.equal(row.tenantId, TENANT_ID);
    });

    test('staff are auto-joined to member rooms on connect and get room messages before join', async (t) => {
      const f = await fixture(t, mode);
      const mod = await f.user(MOD, { join: false });
      const alice = await f.user(ALICE);
      alice.emit('sendMessage', message(ALICE, { text: 'per lo staff', roomId: ROOM_GENERAL }));
      assert.equal((await mod.first('newMessage')).text, 'per lo staff');
    });

    test('no room and no recipient: newMessage to the whole tenant, stored with roomId null', async (t) => {
      const f = await fixture(t, mode);
      const alice = await f.user(ALICE);
      const bob = await f.user(BOB);
      const m = message(BOB, { text: 'Messaggio a tutto il tenant' });
      bob.emit('sendMessage', m);
      for (const c of [alice, bob]) assert.equal((await c.first('newMessage')).id, m.id);
      assert.equal((await stored(f, m.id)).roomId, null);
    });

    test('a private message reaches both sides only', async (t) => {
      const f = await fixture(t, mode);
      const alice = await f.user(ALICE);
      const mod = await f.user(MOD);
      const bob = await f.user(BOB);
      const m = message(MOD, { text: 'solo per te', recipientId: ALICE.id });
      mod.emit('sendMessage', m);
      for (const c of [alice, mod]) assert.equal((await c.first('privateMessage')).text, 'solo per te');
      await expectNone([bob], ['privateMessage', 'newMessage']);
      assert.equal((await stored(f, m.id)).recipientId, ALICE.id);
    });

    test('HTML is stripped; text empty after stripping is dropped but takes the rate-limit slot', async (t) => {
      const f = await fixture(t, mode);
      const alice = await f.user(ALICE);
      const cases = [['<b>Ciao</b> <i>mondo</i>', 'Ciao mondo'], ['<script>alert(1)</script>ok', 'alert(1)ok'], ['a < b and c > d', 'a  d'], ['   spazi attorno   ', 'spazi attorno']];
      for (const [sent, want] of cases) {
        const m = message(ALICE, { text: sent, roomId: ROOM_GENERAL });
        alice.emit('sendMessage', m);
        assert.equal((await alice.first('newMessage')).text, want);
        assert.equal((await stored(f, m.id)).text, want);
        await sleep(600);
      }
      const empty = message(ALICE, { text: ' <br/> ', roomId: ROOM_GENERAL });
      alice.emit('sendMessage', empty);
      await sleep(100);
      alice.emit('sendMessage', message(ALICE, { text: 'subito dopo', roomId: ROOM_GENERAL }));
      const { retryAfter } = await alice.first('rateLimited');
      assert.ok(retryAfter >= 1 && retryAfter <= 500, `retryAfter ${retryAfter}`);
      await expectNone([alice], ['newMessage']);
      assert.equal(await stored(f, empty.id), undefined);
    });

    test('rate limit: a second message within 500 ms is refused with rateLimited and not stored', async (t) => {
      const f = await fixture(t, mode);
      const alice = await f.user(ALICE);
      const first = message(ALICE, { text: 'uno' });
      const second = message(ALICE, { text: 'due' });
      alice.emit('sendMessage', first);
      await sleep(100);
      alice.emit('sendMessage', second);
      assert.equal((await alice.first('newMessage')).id, first.id);
      const { retryAfter } = await alice.first('rateLimited');
      assert.ok(retryAfter >= 1 && retryAfter <= 500, `retryAfter ${retryAfter}`);
      await expectNone([alice], ['newMessage']);
      assert.equal(await stored(f, second.id), undefined);
      await sleep(600);
      const third = message(ALICE, { text: 'tre' });
      alice.emit('sendMessage', third);
      assert.equal((await alice.first('newMessage')).id, third.id);
    });

    test('messages without text and image or before join are ignored without taking the slot', async (t) => {
      const f = await fixture(t, mode);
      const alice = await f.user(ALICE, { join: false });
      const early = message(ALICE, { text: 'prima del join', roomId: ROOM_GENERAL });
      alice.emit('sendMessage', early);
      await alice.join(alice.user);
      alice.drain();
      alice.emit('sendMessage');
      alice.emit('sendMessage', {});
      alice.emit('sendMessage', message(ALICE, { text: '', roomId: ROOM_GENERAL }));
      await sleep(100);
      const m = message(ALICE, { text: 'dopo i vuoti', roomId: ROOM_GENERAL });
      alice.emit('sendMessage', m);
      assert.equal((await alice.first('newMessage')).id, m.id);
      assert.deepEqual(alice.received('rateLimited'), []);
      assert.equal(await stored(f, early.id), undefined);
      await sleep(600);
      const img = message(ALICE, { roomId: ROOM_GENERAL, imageUrl: 'https://example.com/x.png' });
      delete img.text;
      alice.emit('sendMessage', img);
      const got = await alice.first('newMessage');
      assert.equal(got.imageUrl, 'https://example.com/x.png');
    });

    test('announcement rooms: only moderators post', async (t) => {
      const f = await fixture(t, mode);
      const alice = await f.user(ALICE);
      const admin = await f.user(ADMIN);
      const mod = await f.user(MOD);
      const denied = message(ALICE, { text: 'posso?', roomId: ROOM_ANNUNCI });
      alice.emit('sendMessage', denied);
      assert.deepEqual(await alice.first('error'), { message: 'Only admins can post in this room' });
      assert.equal(await stored(f, denied.id), undefined);
      for (const [c, who] of [[admin, ADMIN], [mod, MOD]]) {
        const m = message(who, { text: 'annuncio di ' + who.alias, roomId: ROOM_ANNUNCI });
        c.emit('sendMessage', m);
        assert.equal((await alice.first('newMessage')).id, m.id);
      }
    });

    test('a forged senderId is Forbidden; a duplicate id is dropped', async (t) => {
      const f = await fixture(t, mode);
      const alice = await f.user(ALICE);
      const bob = await f.user(BOB);
      const forged = message(ALICE, { text: 'sono Alice' });
      bob.emit('sendMessage', forged);
      assert.deepEqual(await bob.first('error'), { message: 'Forbidden' });
      assert.equal(await stored(f, forged.id), undefined);
      await sleep(600);
      const m = message(ALICE, { text: 'una volta' });
      alice.emit('sendMessage', m);
      assert.equal((await bob.first('newMessage')).id, m.id);
      await sleep(600);
      alice.emit('sendMessage', { ...m, text: 'due volte' });
      await expectNone([bob], ['newMessage']);
      assert.equal((await stored(f, m.id)).text, 'una volta');
    });
  });

  describe(`moderation (${mode.name})`, () => {
    test('a moderator deletes room and tenant messages; unknown ids are silent', async (t) => {
      const f = await fixture(t, mode);
      const mod = await f.user(MOD);
      const alice = await f.user(ALICE);
      const roomMsg = '11110000-0000-4000-8000-000000000003';
      mod.emit('deleteMessage', { messageId: roomMsg, roomId: ROOM_GENERAL, tenantSlug: 'demo' });
      for (const c of [mod, alice]) assert.deepEqual(await c.first('messageDeleted'), { messageId: roomMsg, roomId: ROOM_GENERAL });
      const tenantMsg = '11110000-0000-4000-8000-000000000006';
      mod.emit('deleteMessage', { messageId: tenantMsg, tenantSlug: 'demo' });
      for (const c of [mod, alice]) assert.deepEqual(await c.first('messageDeleted'), { messageId: tenantMsg });
      mod.emit('deleteMessage', { messageId: 'c1e00000-dead-4000-8000-000000000000', roomId: ROOM_GENERAL, tenantSlug: 'demo' });
      await expectNone([mod, alice], ['messageDeleted', 'error']);
      assert.equal(await stored(f, roomMsg), undefined);
      assert.equal(await stored(f, tenantMsg), undefined);
    });

    test('non-moderators get Unauthorized and nothing is deleted', async (t) => {
      const f = await fixture(t, mode);
      const alice = await f.user(ALICE);
      const bob = await f.user(BOB);
      const id = '11110000-0000-4000-8000-000000000004';
      alice.emit('deleteMessage', { messageId: id, roomId: ROOM_GENERAL, tenantSlug: 'demo' });
      assert.deepEqual(await alice.first('error'), { message: 'Unauthorized' });
      bob.emit('deleteMessage', { messageId: id, tenantSlug: 'demo' });
      assert.deepEqual(await bob.first('error'), { message: 'Unauthorized' });
      await expectNone([alice, bob], ['messageDeleted']);
      assert.ok(await stored(f, id));
    });

    test('block, blocked private messages stored but undelivered, unblock', async (t) => {
      const f = await fixture(t, mode);
      const alice = await f.user(ALICE);
      const mod = await f.user(MOD);
      alice.emit('blockUser', { blockedId: MOD.id });
      assert.deepEqual(await alice.first('userBlocked'), { blockedId: MOD.id });
      const m1 = message(MOD, { text: 'mi hai bloccato?', recipientId: ALICE.id });
      mod.emit('sendMessage', m1);
      const m2 = message(ALICE, { text: 'si', recipientId: MOD.id });
      alice.emit('sendMessage', m2);
      await expectNone([alice, mod], ['privateMessage']);
      assert.ok(await stored(f, m1.id));
      assert.ok(await stored(f, m2.id));
      assert.deepEqual(await alice.join(alice.user), { blockedIds: [MOD.id] });
      alice.emit('unblockUser', { blockedId: MOD.id });
      assert.deepEqual(await alice.first('userUnblocked'), { unblockedId: MOD.id });
      const rows = await f.sql('SELECT count(*)::int AS n FROM "BlockedUser"');
      assert.equal(rows[0].n, 0);
      await sleep(600);
      mod.emit('sendMessage', message(MOD, { text: 'ora mi leggi?', recipientId: ALICE.id }));
      for (const c of [alice, mod]) assert.equal((await c.first('privateMessage')).text, 'ora mi leggi?');
    });

    test('report and hide: events to the socket, rows for the bound user; a private message un-hides', async (t) => {
      const f = await fixture(t, mode);
      const alice = await f.user(ALICE);
      alice.emit('reportUser', { accusedId: MOD.id, reason: 'spam', details: 'Messaggi ripetuti', context: [{ id: 'x', text: 'y' }] });
      const [args] = [await alice.next('reportSubmitted')];
      assert.deepEqual(args, [], 'reportSubmitted has no payload');
      alice.emit('reportUser', { accusedId: MOD.id });
      await expectNone([alice], ['reportSubmitted']);
      const reports = await f.sql('SELECT "reporterId", "accusedId", reason FROM "Report"');
      assert.deepEqual(reports, [{ reporterId: ALICE.id, accusedId: MOD.id, reason: 'spam' }]);
      alice.emit('hideConversation', { peerId: MOD.id, tenantSlug: 'demo' });
      assert.deepEqual(await alice.first('conversationHidden'), { peerId: MOD.id });
      const hidden = await f.sql('SELECT "userId", "peerId", "tenantId" FROM "HiddenConversation"');
      assert.deepEqual(hidden, [{ userId: ALICE.id, peerId: MOD.id, tenantId: TENANT_ID }]);
      const mod = await f.user(MOD);
      mod.emit('sendMessage', message(MOD, { text: 'riapro la chat', recipientId: ALICE.id }));
      await alice.first('privateMessage');
      const after = await f.sql('SELECT count(*)::int AS n FROM "HiddenConversation"');
      assert.equal(after[0].n, 0);
    });

    test('hide and report before join do nothing', async (t) => {
      const f = await fixture(t, mode);
      const alice = await f.user(ALICE, { join: false });
      alice.emit('hideConversation', { peerId: MOD.id, tenantSlug: 'demo' });
      alice.emit('reportUser', { accusedId: MOD.id, reason: 'spam' });
      await expectNone([alice], ['conversationHidden', 'reportSubmitted']);
      const rows = await f.sql('SELECT (SELECT count(*) FROM "Report")::int AS r, (SELECT count(*) FROM "HiddenConversation")::int AS h');
      assert.deepEqual(rows, [{ r: 0, h: 0 }]);
    });
  });
}
