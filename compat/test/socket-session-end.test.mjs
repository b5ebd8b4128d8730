// A socket opened with a session ends when the session does (issue #10
// item 4): BetterAuth's sign-out, the old /api/auth/logout and the
// session's expiry disconnect it with "io server disconnect" (so the client
// does not reconnect with a dead credential), on every chatd process
// sharing Redis. Sockets of other sessions stay.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { withChatd, withCluster } from '../lib/harness.mjs';
import { TRANSPORT_MODES, connect, query } from '../lib/socket.mjs';
import { authClient } from '../betterauth/client.mjs';

/** signedIn is a BetterAuth client signed in anonymously on url. */
async function signedIn(url) {
  const { client, jar } = authClient(url);
  const res = await client.signIn.anonymous();
  assert.equal(res.error, null, JSON.stringify(res.error));
  return { client, jar, token: res.data.token };
}

/** socketOf connects a socket with the session's token, as the app does. */
async function socketOf(t, url, token, mode, options = {}) {
  const c = connect(url, { token, transports: mode.transports, ...options });
  t.after(() => c.close());
  await c.connected();
  return c;
}

/** endsWithServerDisconnect waits for the server to end c. */
async function endsWithServerDisconnect(c, timeout = 8000) {
  assert.equal(await c.first('disconnect', { timeout }), 'io server disconnect');
}

for (const mode of TRANSPORT_MODES) {
  describe(`a session's sockets end with it (${mode.name})`, () => {
    test('sign-out', async (t) => {
      const { server } = await withChatd(t);
      const alice = await signedIn(server.url);
      const bob = await signedIn(server.url);
      const byToken = await socketOf(t, server.url, alice.token, mode);
      // A browser socket authenticated by the session cookie alone.
      const byCookie = await socketOf(t, server.url, null, mode, { extraHeaders: { cookie: alice.jar.header() } });
      const other = await socketOf(t, server.url, bob.token, mode);

      assert.deepEqual((await alice.client.signOut()).data, { success: true });
      await endsWithServerDisconnect(byToken);
      await endsWithServerDisconnect(byCookie);
      assert.equal(other.socket.connected, true, "another session's socket stays");
    });

    test('/api/auth/logout with the Bearer token', async (t) => {
      const { server } = await withChatd(t);
      const alice = await signedIn(server.url);
      const c = await socketOf(t, server.url, alice.token, mode);
      const res = await fetch(server.url + '/api/auth/logout', { method: 'POST', headers: { authorization: `Bearer ${alice.token}` } });
      assert.equal(res.status, 200);
      await endsWithServerDisconnect(c);
    });

    test('expiry', async (t) => {
      const { server, db } = await withChatd(t);
      const alice = await signedIn(server.url);
      await query(db.url, `UPDATE "session" SET "expiresAt" = now() AT TIME ZONE 'UTC' + interval '2 seconds' WHERE token = $1`, [alice.token]);
      const c = await socketOf(t, server.url, alice.token, mode);
      await endsWithServerDisconnect(c, 10000);
    });

    test('sign-out on one process ends the socket on another (Redis)', async (t) => {
      const { a, b } = await withCluster(t);
      const alice = await signedIn(a.url);
      const bob = await signedIn(a.url);
      const onB = await socketOf(t, b.url, alice.token, mode);
      const otherOnB = await socketOf(t, b.url, bob.token, mode);
      assert.deepEqual((await alice.client.signOut()).data, { success: true });
      await endsWithServerDisconnect(onB);
      assert.equal(otherOnB.socket.connected, true, "another session's socket stays");
    });
  });
}
