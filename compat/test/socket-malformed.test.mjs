// Malformed and hostile payloads from the real socket.io-client: wrong
// types, missing fields, huge strings, oversize packets, unknown events and
// acks. Never a crash, never a write, and the socket keeps working.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fixture } from '../lib/socket-fixture.mjs';
import { ALICE, BOB, MOD, ROOM_GENERAL, TRANSPORT_MODES, expectNone, message, sleep } from '../lib/socket.mjs';

const COUNTS = `SELECT
  (SELECT count(*) FROM "Message")::int AS messages,
  (SELECT count(*) FROM "BlockedUser")::int AS blocked,
  (SELECT count(*) FROM "Report")::int AS reports,
  (SELECT count(*) FROM "HiddenConversation")::int AS hidden,
  (SELECT count(*) FROM "user")::int AS users,
  (SELECT string_agg(id || ':' || name || ':' || coalesce(status, '') || ':' || coalesce(image, ''), ',' ORDER BY id) FROM "user") AS profiles`;

const huge = 'x'.repeat(600_000);

const bad = {
  join: [
    'a string', 42, null, [], [1, 2], { user: 'x', tenantSlug: 'demo' }, { user: [], tenantSlug: 'demo' },
    { user: { id: 42, alias: 'A' }, tenantSlug: 'demo' }, { user: { id: ALICE.id, alias: 'A' }, tenantSlug: 42 },
    { user: { id: ALICE.id, alias: 'A' }, tenantSlug: { $ne: '' } }, { user: { id: ALICE.id, alias: 'A' }, tenantSlug: huge },
  ],
  sendMessage: [
    'text', 7, null, [], { text: { nested: true } }, { text: ['a'] }, { text: 'x', senderId: ALICE.id, id: 42 },
    { ...message(ALICE), id: 'not-a-uuid' }, { ...message(ALICE), roomId: 'cm0otherroom0000000000000' },
    { ...message(ALICE), roomId: 42 }, { ...message(ALICE), recipientId: ['x'] }, { ...message(ALICE), text: huge },
    { ...message(ALICE), imageUrl: 42, text: undefined }, { ...message(ALICE), id: huge },
  ],
  deleteMessage: ['x', null, { messageId: 42, tenantSlug: 'demo' }, { messageId: ['11110000-0000-4000-8000-000000000004'] }, { messageId: huge, tenantSlug: 'demo' }],
  blockUser: ['x', null, { blockedId: 42 }, { blockedId: { id: MOD.id } }, { blockedId: huge }, { blockedId: '' }],
  unblockUser: ['x', null, { blockedId: 42 }, { blockedId: huge }],
  reportUser: ['x', null, { accusedId: MOD.id, reason: { x: 1 } }, { accusedId: 42, reason: 'spam' }, { accusedId: MOD.id, reason: huge }, { accusedId: MOD.id, reason: 'spam', details: huge }],
  hideConversation: ['x', null, { peerId: 42, tenantSlug: 'demo' }, { peerId: [MOD.id] }, { peerId: huge, tenantSlug: 'demo' }],
};

for (const mode of TRANSPORT_MODES) {
  describe(`malformed payloads (${mode.name})`, () => {
    test('wrong types, missing fields and huge strings: no crash, no write, the socket still works', async (t) => {
      const f = await fixture(t, mode);
      const alice = await f.user(ALICE);
      const bob = await f.user(BOB);
      const before = await f.sql(COUNTS);
      for (const [event, payloads] of Object.entries(bad)) {
        for (const p of payloads) {
          alice.emit(event, p);
          await sleep(event === 'sendMessage' ? 550 : 20); // stay clear of the rate limit
        }
      }
      alice.emit('sendMessage', message(ALICE), 'extra', 'args');
      await sleep(600);
      alice.emit('noSuchEvent', { a: 1 });
      alice.socket.emit('join', { user: { id: ALICE.id, alias: 'Alice', gender: 'female' }, tenantSlug: 'demo' }, () => {});
      await alice.first('blockedUsers');
      await sleep(600);
      alice.drain();
      bob.drain();
      // Everything malformed was dropped. Only the well-formed message with
      // extra arguments may have been accepted; take it out of the count.
      const after = await f.sql(COUNTS);
      const extraArgs = Number(after[0].messages) - Number(before[0].messages);
      assert.ok(extraArgs === 0 || extraArgs === 1, `messages grew by ${extraArgs}`);
      assert.deepEqual({ ...after[0], messages: 0 }, { ...before[0], messages: 0 });
      assert.equal(alice.received('disconnect').length, 0, 'the socket was not dropped');
      // Still alive and serving: a normal message goes through to Bob.
      const ok = message(ALICE, { text: 'ancora vivo', roomId: ROOM_GENERAL });
      alice.emit('sendMessage', ok);
      assert.equal((await bob.first('newMessage')).id, ok.id);
      const health = await fetch(f.server.url + '/api/health');
      assert.equal(health.status, 200);
    });

    test('a packet over maxPayload closes only that connection; the client reconnects', async (t) => {
      const f = await fixture(t, mode);
      const alice = await f.user(ALICE);
      const bob = await f.user(BOB);
      const before = await f.sql(COUNTS);
      const big = message(ALICE, { text: 'y'.repeat(1_100_000), roomId: ROOM_GENERAL });
      alice.emit('sendMessage', big);
      const [reason] = await alice.next('disconnect', { timeout: 15000 });
      assert.notEqual(reason, 'io server disconnect');
      await alice.next('connect', { timeout: 15000 });
      await expectNone([bob], ['newMessage']);
      assert.deepEqual(await f.sql(COUNTS), before);
      assert.ok(bob.socket.connected);
    });

    test('an image of several hundred KB inside the limit is delivered', async (t) => {
      const f = await fixture(t, mode);
      const alice = await f.user(ALICE);
      const bob = await f.user(BOB);
      const img = message(ALICE, { text: 'foto', roomId: ROOM_GENERAL, imageUrl: 'data:image/jpeg;base64,' + 'A'.repeat(700_000) });
      alice.emit('sendMessage', img);
      const got = await bob.first('newMessage', { timeout: 10000 });
      assert.equal(got.id, img.id);
      assert.equal(got.imageUrl.length, img.imageUrl.length);
    });
  });
}
