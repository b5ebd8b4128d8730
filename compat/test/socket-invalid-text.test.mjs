// chatd's one rule for invalid text (issue #10 item 6, text.go): a NUL or
// invalid UTF-8 from the real clients is refused at the edge, never a 500,
// a failed write or an ERROR log line. Sockets: an `error` event, or
// CONNECT_ERROR for a handshake; HTTP: 400.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fixture } from '../lib/socket-fixture.mjs';
import { ALICE, ROOM_GENERAL, TRANSPORT_MODES, message } from '../lib/socket.mjs';

const REFUSED = 'Invalid text: NUL characters and invalid UTF-8 are not allowed';

for (const mode of TRANSPORT_MODES) {
  describe(`invalid text (${mode.name})`, () => {
    test('events and handshakes with a NUL are refused; nothing is written or logged as an error', async (t) => {
      const f = await fixture(t, mode);
      const alice = await f.user(ALICE);
      const [{ messages: before }] = await f.sql('SELECT count(*)::int AS messages FROM "Message"');

      alice.emit('sendMessage', message(ALICE, { text: 'ciao\u0000', roomId: ROOM_GENERAL }));
      assert.deepEqual(await alice.first('error'), { message: REFUSED });
      alice.emit('sendMessage', message(ALICE, { senderAlias: 'Ali\u0000ce', roomId: ROOM_GENERAL }));
      assert.deepEqual(await alice.first('error'), { message: REFUSED });
      alice.emit('join', { user: { ...alice.user, status: 'in pausa\u0000' }, tenantSlug: 'demo' });
      assert.deepEqual(await alice.first('error'), { message: REFUSED });
      alice.emit('join', { user: { ...alice.user, alias: '\u0000' }, tenantSlug: 'demo' });
      assert.deepEqual(await alice.first('error'), { message: REFUSED });

      const [{ messages: after }] = await f.sql('SELECT count(*)::int AS messages FROM "Message"');
      assert.equal(after, before);
      const [{ status }] = await f.sql('SELECT status FROM "user" WHERE id = $1', [ALICE.id]);
      assert.equal(status, null);

      const guest = f.open({ query: { userId: 'local-0000-nul', userAlias: 'Bob\u0000' } });
      assert.equal((await guest.refused()).message, REFUSED);

      const res = await fetch(f.server.url + '/api/auth/update-user', {
        method: 'POST', headers: { authorization: `Bearer ${ALICE.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'a\u0000b', status: 'x' }),
      });
      assert.equal(res.status, 400);
      assert.deepEqual(await res.json(), { code: 'VALIDATION_ERROR', message: REFUSED });

      assert.doesNotMatch(f.server.logs(), /"level":"ERROR"/);
    });
  });
}
