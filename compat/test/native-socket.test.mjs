// The native apps' socket after a phone-code sign-up (issue #13): the
// unmodified app keeps no session token, so it connects from its WebView's
// origin with query.userId set to the registered user and no credential.
// NATIVE_ID_FALLBACK=member (the default) binds such a socket to that user
// with an ordinary member's rights only; off, STRICT_AUTH and web origins
// refuse it. Websocket-first and polling-only, with the real socket.io-client.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { freePort } from '../lib/harness.mjs';
import { fixture } from '../lib/socket-fixture.mjs';
import {
  ALICE, MOD, ROOM_ANNUNCI, ROOM_GENERAL, TENANT_ID, TRANSPORT_MODES, connect, expectNone, message,
} from '../lib/socket.mjs';

const NATIVE_ORIGINS = ['http://localhost', 'capacitor://localhost'];
const WEB_ORIGIN = 'https://app.example.com'; // on the CORS list through BETTER_AUTH_TRUSTED_ORIGINS
const SEED_ROOM_MSG = '11110000-0000-4000-8000-000000000004';

/** MOD as the app knows him after a phone-code sign-up: an id, no token. */
const MOD_WITHOUT_TOKEN = { id: MOD.id, alias: MOD.alias, gender: MOD.gender };

const stored = async (f, id) => (await f.sql('SELECT id FROM "Message" WHERE id = $1', [id])).length === 1;

for (const mode of TRANSPORT_MODES) {
  describe(`native id fallback (${mode.name})`, () => {
    for (const origin of NATIVE_ORIGINS) {
      test(`a registered id from ${origin} without a credential chats as an ordinary member`, async (t) => {
        const metricsPort = await freePort();
        const f = await fixture(t, mode, { env: { LOG_LEVEL: 'info', METRICS_ADDR: `127.0.0.1:${metricsPort}` } });
        const alice = await f.user(ALICE);

        const c = f.open({ query: { userId: MOD.id, userAlias: 'Mod' }, extraHeaders: { origin } });
        await c.connected();
        assert.equal(c.transport, mode.expect);
        assert.deepEqual(await c.first('userConfirmed'), { id: MOD.id, alias: 'Mod', tenantId: TENANT_ID });
        c.user = MOD_WITHOUT_TOKEN;
        await c.join(c.user);
        await alice.first('presenceUpdate', { where: (p) => p.onlineIds.includes(MOD.id) });

        // Reads and sends in rooms, sends and receives private messages.
        const inRoom = message(MOD, { roomId: ROOM_GENERAL, text: 'dal telefono' });
        c.emit('sendMessage', inRoom);
        assert.equal((await alice.first('newMessage', { where: (m) => m.id === inRoom.id })).senderId, MOD.id);
        const dm = message(MOD, { recipientId: ALICE.id, text: 'psst' });
        await new Promise((r) => setTimeout(r, 600)); // the 500 ms send interval
        c.emit('sendMessage', dm);
        assert.equal((await alice.first('privateMessage', { where: (m) => m.id === dm.id })).text, 'psst');
        const reply = message(ALICE, { recipientId: MOD.id, text: 'ciao' });
        alice.emit('sendMessage', reply);
        assert.equal((await c.first('privateMessage', { where: (m) => m.id === reply.id })).text, 'ciao');

        // None of a moderator's rights: a delete and an announcement are refused.
        c.drain();
        c.emit('deleteMessage', { messageId: SEED_ROOM_MSG, roomId: ROOM_GENERAL, tenantSlug: 'demo' });
        assert.deepEqual(await c.first('error'), { message: 'Unauthorized' });
        await new Promise((r) => setTimeout(r, 600));
        const announcement = message(MOD, { roomId: ROOM_ANNUNCI, text: 'avviso' });
        c.emit('sendMessage', announcement);
        assert.deepEqual(await c.first('error'), { message: 'Only admins can post in this room' });
        await expectNone([c, alice], ['messageDeleted']);
        assert.ok(await stored(f, SEED_ROOM_MSG), 'the moderator-by-id delete must not happen');
        assert.ok(!(await stored(f, announcement.id)), 'the announcement must not be stored');

        // The same user with a session keeps every right.
        const withSession = await f.user(MOD);
        withSession.emit('deleteMessage', { messageId: SEED_ROOM_MSG, roomId: ROOM_GENERAL, tenantSlug: 'demo' });
        assert.deepEqual(await withSession.first('messageDeleted'), { messageId: SEED_ROOM_MSG, roomId: ROOM_GENERAL });
        assert.ok(!(await stored(f, SEED_ROOM_MSG)));

        // Counted and logged, so an operator sees how much it is used.
        const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
        assert.match(metrics, /chatd_socket_native_id_fallback_total 1\n/);
        const logged = f.server.logs().split('\n').filter((l) => l.includes('socket bound by native id fallback'));
        assert.equal(logged.length, 1);
        const line = JSON.parse(logged[0]);
        assert.deepEqual([line.level, line.user_id, line.origin, line.rights], ['INFO', MOD.id, origin, 'member']);
      });
    }

    const refusals = [
      ['NATIVE_ID_FALLBACK=off', { NATIVE_ID_FALLBACK: 'off' }, 'capacitor://localhost'],
      ['STRICT_AUTH=true', { STRICT_AUTH: 'true' }, 'http://localhost'],
      ['a web origin', {}, WEB_ORIGIN],
      ['no Origin (not a WebView)', {}, null],
    ];
    for (const [name, env, origin] of refusals) {
      test(`refused with ${name}: authentication required`, async (t) => {
        const f = await fixture(t, mode, { env: { BETTER_AUTH_TRUSTED_ORIGINS: WEB_ORIGIN, ...env } });
        const c = f.open({
          reconnection: false, query: { userId: ALICE.id, userAlias: 'Alice' }, ...(origin ? { extraHeaders: { origin } } : {}),
        });
        const err = await c.refused();
        assert.equal(err.message, 'authentication required');
        assert.deepEqual(c.received('connect'), []);
        // The same origin with a session is fine: only the missing credential is refused.
        const ok = connect(f.server.url, { transports: mode.transports, token: ALICE.token, query: { userId: ALICE.id },
          ...(origin ? { extraHeaders: { origin } } : {}) });
        t.after(() => ok.close());
        await ok.connected();
      });
    }
  });
}
