// A real BetterAuth 1.4.18 server (compat/betterauth/server.mjs, configured
// like the product) and chatd on one database: sessions, cookies, the
// session_data cache and password accounts made by either are accepted by
// the other.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDatabase, startChatd } from '../lib/harness.mjs';
import { query } from '../lib/socket.mjs';
import { startBetterAuth } from '../betterauth/start.mjs';
import { authClient, CookieJar } from '../betterauth/client.mjs';

/** both starts chatd (which migrates the schema) and BetterAuth on one database. */
async function both(t, env = {}) {
  const db = await createDatabase();
  t.after(() => db.drop());
  const chatd = await startChatd({ dbURL: db.url, env });
  t.after(() => chatd.stop());
  const ba = await startBetterAuth({ dbURL: db.url, env: { TRUSTED_ORIGINS: chatd.url, ...env } });
  t.after(() => ba.stop());
  // One browser: cookies are per host, not per port, so both servers see one jar.
  const jar = new CookieJar();
  return {
    db, chatd, ba, jar,
    viaChatd: authClient(chatd.url, { jar }).client,
    viaBA: authClient(ba.url, { jar }).client,
  };
}

test('a BetterAuth session is accepted by chatd (cookie, get-session, update-user)', async (t) => {
  const { db, viaChatd, viaBA, jar } = await both(t);
  const signIn = await viaBA.signIn.anonymous();
  assert.equal(signIn.error, null, JSON.stringify(signIn.error));
  const user = signIn.data.user;
  assert.ok(jar.has('better-auth.session_token') && jar.has('better-auth.session_data'));

  const seen = await viaChatd.getSession();
  assert.equal(seen.data.user.id, user.id);
  assert.equal(seen.data.session.token, signIn.data.token);
  assert.equal(seen.data.user.isAnonymous, true);
  assert.equal(seen.data.user.role, 'USER');

  const again = await viaChatd.signIn.anonymous();
  assert.equal(again.error.code, 'ANONYMOUS_USERS_CANNOT_SIGN_IN_AGAIN_ANONYMOUSLY');
  assert.deepEqual((await viaChatd.updateUser({ name: 'Via chatd' })).data, { status: true });
  // chatd re-issued session_data with the new name; BetterAuth serves it from that cache.
  assert.equal((await viaBA.getSession()).data.user.name, 'Via chatd');
  const rows = await query(db.url, 'SELECT name FROM "user" WHERE id = $1', [user.id]);
  assert.deepEqual(rows, [{ name: 'Via chatd' }]);
});

test('a chatd session is accepted by BetterAuth, from the database and from chatd\'s cache', async (t) => {
  const { db, ba, viaChatd, viaBA, jar } = await both(t);
  const signIn = await viaChatd.signIn.anonymous();
  assert.equal(signIn.error, null);
  const user = signIn.data.user;

  // BetterAuth must accept chatd's signed session_data: change the row behind
  // its back; a cache hit still shows the old name, the database the new one.
  await query(db.url, `UPDATE "user" SET name = 'Renamed' WHERE id = $1`, [user.id]);
  const cached = await viaBA.getSession();
  assert.equal(cached.error, null);
  assert.equal(cached.data.user.id, user.id);
  assert.equal(cached.data.session.token, signIn.data.token);
  assert.equal(cached.data.user.name, 'Anonymous', 'served from chatd\'s session_data cookie');
  const fresh = await viaBA.getSession({ query: { disableCookieCache: true } });
  assert.equal(fresh.data.user.name, 'Renamed');

  // Without the cache cookie BetterAuth goes to the database with chatd's signed token.
  const tokenOnly = new CookieJar();
  tokenOnly.cookies.set('better-auth.session_token', jar.get('better-auth.session_token'));
  const { client } = authClient(ba.url, { jar: tokenOnly });
  assert.equal((await client.getSession()).data.user.id, user.id);

  // BetterAuth's own anonymous rule sees chatd's anonymous user.
  const again = await viaBA.signIn.anonymous();
  assert.equal(again.error.code, 'ANONYMOUS_USERS_CANNOT_SIGN_IN_AGAIN_ANONYMOUSLY');

  // Signing out on chatd ends the session for BetterAuth too.
  assert.deepEqual((await viaChatd.signOut()).data, { success: true });
  assert.equal((await viaBA.getSession()).data, null);
});

test('sessions refreshed by one server stay valid on the other', async (t) => {
  const { db, viaChatd, viaBA, jar } = await both(t);
  const { data } = await viaBA.signIn.anonymous();
  await query(db.url, `UPDATE "session" SET "expiresAt" = now() AT TIME ZONE 'UTC' + interval '28 days' WHERE token = $1`, [data.token]);
  jar.cookies.delete('better-auth.session_data');
  const refreshed = await viaChatd.getSession();
  assert.ok(refreshed.data.session.expiresAt.getTime() > Date.now() + 29.9 * 86400e3);
  const [row] = await query(db.url, `SELECT "expiresAt" FROM "session" WHERE token = $1`, [data.token]);
  assert.equal(row.expiresAt.getTime(), refreshed.data.session.expiresAt.getTime(), 'stored in UTC like Prisma');
  jar.cookies.delete('better-auth.session_data');
  const onBA = await viaBA.getSession();
  assert.equal(onBA.data.session.expiresAt.getTime(), refreshed.data.session.expiresAt.getTime());
});

test('password accounts: BetterAuth sign-up signs in on chatd, and the reverse', async (t) => {
  const { viaChatd, viaBA, ba, chatd } = await both(t, { EMAIL_PASSWORD_ENABLED: 'true' });
  const upBA = await viaBA.signUp.email({ name: 'Ada', email: 'ada@example.com', password: 'correct horse battery staple' });
  assert.equal(upBA.error, null, JSON.stringify(upBA.error));
  const onChatd = authClient(chatd.url);
  const inChatd = await onChatd.client.signIn.email({ email: 'ada@example.com', password: 'correct horse battery staple' });
  assert.equal(inChatd.error, null, JSON.stringify(inChatd.error));
  assert.equal(inChatd.data.user.id, upBA.data.user.id);
  const wrong = await authClient(chatd.url).client.signIn.email({ email: 'ada@example.com', password: 'wrong horse battery staple' });
  assert.equal(wrong.error.code, 'INVALID_EMAIL_OR_PASSWORD');

  const upChatd = await viaChatd.signUp.email({ name: 'Grace', email: 'Grace@Example.com', password: 'password123' });
  assert.equal(upChatd.error, null, JSON.stringify(upChatd.error));
  const onBA = authClient(ba.url);
  const inBA = await onBA.client.signIn.email({ email: 'grace@example.com', password: 'password123' });
  assert.equal(inBA.error, null, JSON.stringify(inBA.error));
  assert.equal(inBA.data.user.id, upChatd.data.user.id);
  // BetterAuth's cookie for that sign-in works on chatd.
  const back = authClient(chatd.url, { jar: onBA.jar });
  assert.equal((await back.client.getSession()).data.user.email, 'grace@example.com');
  const dupOnBA = await authClient(ba.url).client.signUp.email({ name: 'G', email: 'grace@example.com', password: 'password123' });
  assert.equal(dupOnBA.error.code, 'USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL');
});


test('chatd\'s session_data is byte-compatible for any profile text', async (t) => {
  const { db, viaChatd, viaBA } = await both(t);
  const { data } = await viaChatd.signIn.anonymous();
  // JSON.stringify leaves these alone or escapes them differently from Go's encoding/json.
  const name = 'Zoë "<b>&amp;</b>" \\ \u2028\u2029 \t\u0001 😀 ﬁ';
  assert.deepEqual((await viaChatd.updateUser({ name, status: 'é'.repeat(400) })).data, { status: true });
  await query(db.url, `UPDATE "user" SET name = 'changed behind the cache' WHERE id = $1`, [data.user.id]);
  const cached = await viaBA.getSession();
  assert.notEqual(cached.data, null, 'BetterAuth 1.4.18 answers null for a cache whose signature does not verify');
  assert.equal(cached.data.user.name, name);
});

test('rememberMe:false (dont_remember) is honoured across servers: no refresh', async (t) => {
  const { viaBA, ba, chatd } = await both(t, { EMAIL_PASSWORD_ENABLED: 'true' });
  await viaBA.signUp.email({ name: 'Lin', email: 'lin@example.com', password: 'password123' });
  for (const [label, url] of [['BetterAuth', ba.url], ['chatd', chatd.url]]) {
    const browser = authClient(url);
    const res = await browser.client.signIn.email({ email: 'lin@example.com', password: 'password123', rememberMe: false });
    assert.equal(res.error, null, label);
    assert.ok(browser.jar.has('better-auth.dont_remember'), label);
    // A one-day session is always "due" for a 30-day refresh; only dont_remember stops it.
    browser.jar.cookies.delete('better-auth.session_data');
    const other = authClient(url === ba.url ? chatd.url : ba.url, { jar: browser.jar });
    const { data } = await other.client.getSession();
    assert.equal(data.session.token, res.data.token, label);
    assert.ok(data.session.expiresAt.getTime() < Date.now() + 2 * 86400e3, `${label} session refreshed by the other server`);
    // Without the cookie the same session is refreshed to 30 days.
    browser.jar.cookies.delete('better-auth.dont_remember');
    browser.jar.cookies.delete('better-auth.session_data');
    const refreshed = (await other.client.getSession()).data;
    assert.ok(refreshed.session.expiresAt.getTime() > Date.now() + 29 * 86400e3, label);
  }
});

test('a long session_data is chunked the way BetterAuth reads it', async (t) => {
  const { db, viaChatd, viaBA, jar } = await both(t);
  const { data } = await viaChatd.signIn.anonymous();
  const image = 'https://cdn.example.com/' + 'a'.repeat(2000);
  assert.deepEqual((await viaChatd.updateUser({ name: 'Long', image, status: 'é'.repeat(500) })).data, { status: true });
  assert.ok(jar.has('better-auth.session_data.0') && jar.has('better-auth.session_data.1'), `chunks: ${jar.names()}`);
  assert.equal(jar.has('better-auth.session_data'), false);
  await query(db.url, `UPDATE "user" SET name = 'changed behind the cache' WHERE id = $1`, [data.user.id]);
  const cached = await viaBA.getSession();
  assert.notEqual(cached.data, null);
  assert.equal(cached.data.user.name, 'Long', 'BetterAuth joined chatd\'s chunks and verified them');
  assert.equal(cached.data.user.image, image);

  // Shrinking the profile replaces the chunks with one cookie again.
  assert.deepEqual((await viaChatd.updateUser({ image: null, status: null })).data, { status: true });
  assert.ok(jar.has('better-auth.session_data'));
  assert.equal(jar.has('better-auth.session_data.0'), false);
  // Sign-out deletes every piece.
  await viaChatd.signOut();
  assert.deepEqual(jar.names().filter((n) => n.startsWith('better-auth.')), []);
});
