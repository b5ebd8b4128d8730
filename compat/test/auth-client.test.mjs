// The real BetterAuth 1.4.18 client (createAuthClient + anonymousClient)
// against chatd: anonymous sign-in, get-session, update-user, sign-out,
// cookie round trips, and a socket authenticated from that session.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { withChatd, secret } from '../lib/harness.mjs';
import { connect, query, sleep } from '../lib/socket.mjs';
import { authClient } from '../betterauth/client.mjs';

const TOKEN = /^[A-Za-z0-9]{32}$/;

function unsign(cookieValue) {
  const v = decodeURIComponent(cookieValue);
  const i = v.lastIndexOf('.');
  const token = v.slice(0, i);
  assert.equal(v.slice(i + 1), createHmac('sha256', secret).update(token).digest('base64'), 'cookie signature');
  return token;
}

async function signedInAnonymously(t, env) {
  const { server, db } = await withChatd(t, { env });
  const { client, jar } = authClient(server.url);
  const res = await client.signIn.anonymous();
  assert.equal(res.error, null, JSON.stringify(res.error));
  return { server, db, client, jar, user: res.data.user, token: res.data.token };
}

test('anonymous sign-in creates the user, session and cookies BetterAuth would', async (t) => {
  const { db, jar, user, token } = await signedInAnonymously(t);
  assert.match(token, TOKEN);
  assert.equal(user.name, 'Anonymous');
  assert.equal(user.isAnonymous, true);
  assert.match(user.email, /^temp@[a-z0-9]{32}\.com$/);
  assert.ok(user.createdAt instanceof Date, 'the client parses ISO dates with 3 fractional digits');
  assert.equal(unsign(jar.get('better-auth.session_token')), token);
  assert.ok(jar.has('better-auth.session_data'));
  const line = jar.setCookies.find((l) => l.startsWith('better-auth.session_token='));
  assert.match(line, /; Max-Age=2592000; Path=\/; HttpOnly; SameSite=Lax$/);
  const rows = await query(db.url, `SELECT s."userId", s."expiresAt" - s."createdAt" AS life, u."role", u."emailVerified"
    FROM "session" s JOIN "user" u ON u.id = s."userId" WHERE s.token = $1`, [token]);
  assert.equal(rows.length, 1);
  assert.equal(rows[0].userId, user.id);
  assert.equal(rows[0].life.days, 30);
  assert.equal(rows[0].role, 'USER');
  assert.equal(rows[0].emailVerified, false);
});

test('get-session returns the session; a second anonymous sign-in is refused', async (t) => {
  const { client, user, token } = await signedInAnonymously(t);
  const { data, error } = await client.getSession();
  assert.equal(error, null);
  assert.equal(data.user.id, user.id);
  assert.equal(data.session.token, token);
  assert.equal(data.session.userId, user.id);
  assert.ok(data.session.expiresAt instanceof Date);
  const again = await client.signIn.anonymous();
  assert.equal(again.data, null);
  assert.equal(again.error.status, 400);
  assert.equal(again.error.code, 'ANONYMOUS_USERS_CANNOT_SIGN_IN_AGAIN_ANONYMOUSLY');
  assert.match(again.error.message, /Anonymous users cannot sign in again/);
});

test('update-user changes the profile but never the role', async (t) => {
  const { client, db, user } = await signedInAnonymously(t);
  const ok = await client.updateUser({ name: 'Marco', gender: 'male' });
  assert.deepEqual(ok.data, { status: true });
  const { data } = await client.getSession();
  assert.equal(data.user.name, 'Marco');
  assert.equal(data.user.gender, 'male');
  const role = await client.updateUser({ role: 'SUPERADMIN' });
  assert.equal(role.error.status, 400);
  assert.equal(role.error.code, 'ROLE_IS_NOT_ALLOWED_TO_BE_SET');
  const anon = await client.updateUser({ isAnonymous: false, name: 'x' });
  assert.equal(anon.error?.code, undefined, 'a falsy isAnonymous is ignored, as BetterAuth does');
  const bad = await client.updateUser({ gender: 'robot' });
  assert.equal(bad.error.code, 'VALIDATION_ERROR');
  const none = await client.updateUser({ emailVerified: true });
  assert.equal(none.error.code, 'NO_FIELDS_TO_UPDATE');
  const email = await client.updateUser({ email: 'x@example.com' });
  assert.equal(email.error.code, 'EMAIL_CAN_NOT_BE_UPDATED');
  const rows = await query(db.url, 'SELECT name, role, "isAnonymous" FROM "user" WHERE id = $1', [user.id]);
  assert.deepEqual(rows, [{ name: 'x', role: 'USER', isAnonymous: true }]);
});

test('a socket connects with the session token; after sign-out it is refused', async (t) => {
  const { server, client, jar, user, token } = await signedInAnonymously(t);
  const { data } = await client.getSession();
  const c = connect(server.url, { token: data.session.token, query: { userId: user.id, userAlias: 'Anonymous' }, reconnection: false });
  t.after(() => c.close());
  await c.connected();
  await sleep(300);
  assert.deepEqual(c.received('userCreated'), [], 'a session user is not a new anonymous user');
  assert.deepEqual(c.received('userConfirmed'), []);
  c.close();

  const out = await client.signOut();
  assert.deepEqual(out.data, { success: true });
  assert.equal(jar.has('better-auth.session_token'), false);
  assert.equal(jar.has('better-auth.session_data'), false);
  assert.equal((await client.getSession()).data, null);
  const after = connect(server.url, { token, query: { userId: user.id }, reconnection: false });
  t.after(() => after.close());
  assert.equal((await after.refused()).message, 'invalid session');
});

test('get-session refreshes a day-old session and forgets an expired one', async (t) => {
  const { server, db, client, jar, token } = await signedInAnonymously(t);
  await query(db.url, `UPDATE "session" SET "expiresAt" = now() AT TIME ZONE 'UTC' + interval '29 days' - interval '1 minute' WHERE token = $1`, [token]);
  jar.setCookies = [];
  const { data } = await client.getSession();
  assert.ok(data.session.expiresAt.getTime() > Date.now() + 29.9 * 86400e3, 'expiry moved to now + 30 days');
  assert.ok(jar.setCookies.some((l) => l.startsWith('better-auth.session_token=') && l.includes('Max-Age=2592000')));

  jar.setCookies = [];
  await client.getSession();
  assert.equal(jar.setCookies.some((l) => l.startsWith('better-auth.session_token=')), false, 'no refresh right after one');

  await query(db.url, `UPDATE "session" SET "expiresAt" = now() AT TIME ZONE 'UTC' - interval '1 second' WHERE token = $1`, [token]);
  const gone = await fetch(server.url + '/api/auth/get-session', { headers: { cookie: jar.header() } });
  assert.equal(await gone.text(), 'null');
  assert.ok(gone.headers.getSetCookie().includes('better-auth.session_token=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax'));
  assert.deepEqual(await query(db.url, 'SELECT 1 FROM "session" WHERE token = $1', [token]), []);
});

test('raw tokens (Bearer, legacy cookie) are accepted; a bad signature is not', async (t) => {
  const { server, token, user } = await signedInAnonymously(t);
  const get = (headers) => fetch(server.url + '/api/auth/get-session', { headers }).then((r) => r.json());
  assert.equal((await get({ authorization: `Bearer ${token}` })).user.id, user.id);
  assert.equal((await get({ cookie: `better-auth.session_token=${token}` })).user.id, user.id);
  assert.equal((await get({ cookie: `__Secure-better-auth.session_token=${token}` })).user.id, user.id);
  const forged = `${token}.${encodeURIComponent(createHmac('sha256', 'wrong-secret').update(token).digest('base64'))}`;
  const res = await fetch(server.url + '/api/auth/get-session', { headers: { cookie: `better-auth.session_token=${forged}` } });
  assert.equal(await res.text(), 'null');
  assert.deepEqual(res.headers.getSetCookie(), [], 'a bad signature clears nothing');
});

test('cookie-bearing POSTs need a trusted origin', async (t) => {
  const { server, jar } = await signedInAnonymously(t);
  const post = (headers) => fetch(server.url + '/api/auth/sign-out', {
    method: 'POST', headers: { 'content-type': 'application/json', cookie: jar.header(), ...headers }, body: '{}',
  });
  let r = await post({ origin: 'http://evil.example' });
  assert.equal(r.status, 403);
  assert.deepEqual(await r.json(), { code: 'INVALID_ORIGIN', message: 'Invalid origin' });
  r = await post({});
  assert.equal(r.status, 403);
  assert.equal((await r.json()).code, 'MISSING_OR_NULL_ORIGIN');
  r = await post({ origin: 'capacitor://localhost' });
  assert.equal(r.status, 200);
  const anon = await fetch(server.url + '/api/auth/sign-in/anonymous', { method: 'POST', headers: { origin: 'http://evil.example' } });
  assert.equal(anon.status, 200, 'no cookie, no origin check');
});

test('logout, debug-session and account delete use the same session', async (t) => {
  const { server, db, jar, user, token } = await signedInAnonymously(t);
  const origin = server.url;
  let r = await fetch(server.url + '/api/debug-session', { headers: { cookie: jar.header() } });
  const dbg = await r.json();
  assert.equal(dbg.authenticated, true);
  assert.equal(dbg.user.id, user.id);
  assert.equal('role' in dbg.user || 'token' in dbg.user || 'session' in dbg, false);

  const live = connect(server.url, { token, query: { userId: user.id }, reconnection: false });
  t.after(() => live.close());
  await live.connected();

  r = await fetch(server.url + '/api/auth/account/delete', { method: 'DELETE' });
  assert.equal(r.status, 401);
  assert.deepEqual(await r.json(), { error: 'Non autorizzato' });
  r = await fetch(server.url + '/api/auth/account/delete', { method: 'DELETE', headers: { authorization: `Bearer ${token}`, origin } });
  assert.deepEqual(await r.json(), { success: true, message: 'Account eliminato permanentemente' });
  assert.deepEqual(await query(db.url, 'SELECT 1 FROM "user" WHERE id = $1', [user.id]), []);
  assert.deepEqual(await live.first('disconnect'), 'io server disconnect', "a deleted account's socket is ended");

  const second = authClient(server.url);
  const s2 = (await second.client.signIn.anonymous()).data;
  r = await fetch(server.url + '/api/auth/logout', { method: 'POST', headers: { authorization: `Bearer ${s2.token}` } });
  assert.deepEqual(await r.json(), { success: true });
  assert.deepEqual(await query(db.url, 'SELECT 1 FROM "session" WHERE token = $1', [s2.token]), []);
  r = await fetch(server.url + '/api/debug-session', { headers: { authorization: `Bearer ${s2.token}` } });
  assert.deepEqual(await r.json(), { authenticated: false, user: null });
});

test('email and password: off by default, BetterAuth-compatible when on', async (t) => {
  const off = await withChatd(t);
  const { client: c0 } = authClient(off.server.url);
  const up0 = await c0.signUp.email({ name: 'Bob', email: 'bob@example.com', password: 'password123' });
  assert.equal(up0.error.code, 'EMAIL_AND_PASSWORD_SIGN_UP_IS_NOT_ENABLED');
  const in0 = await c0.signIn.email({ email: 'bob@example.com', password: 'password123' });
  assert.equal(in0.error.code, 'EMAIL_AND_PASSWORD_IS_NOT_ENABLED');

  const { server, db, client, user: anon } = await signedInAnonymously(t, { EMAIL_PASSWORD_ENABLED: 'true' });
  const up = await client.signUp.email({ name: 'Bob', email: 'Bob@Example.com', password: 'password123' });
  assert.equal(up.error, null, JSON.stringify(up.error));
  assert.equal(up.data.user.email, 'bob@example.com');
  assert.deepEqual(await query(db.url, 'SELECT 1 FROM "user" WHERE id = $1', [anon.id]), [], 'the anonymous user is linked away');
  const [acct] = await query(db.url, 'SELECT "providerId", "accountId", password FROM account WHERE "userId" = $1', [up.data.user.id]);
  assert.equal(acct.providerId, 'credential');
  assert.equal(acct.accountId, up.data.user.id);
  assert.match(acct.password, /^[0-9a-f]{32}:[0-9a-f]{128}$/);

  const dup = await authClient(server.url).client.signUp.email({ name: 'B', email: 'bob@example.com', password: 'password123' });
  assert.equal(dup.error.status, 422);
  assert.equal(dup.error.code, 'USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL');
  const short = await authClient(server.url).client.signUp.email({ name: 'C', email: 'c@example.com', password: 'short' });
  assert.equal(short.error.code, 'PASSWORD_TOO_SHORT');

  const other = authClient(server.url);
  const wrong = await other.client.signIn.email({ email: 'bob@example.com', password: 'password124' });
  assert.equal(wrong.error.status, 401);
  assert.equal(wrong.error.code, 'INVALID_EMAIL_OR_PASSWORD');
  const ok = await other.client.signIn.email({ email: 'bob@example.com', password: 'password123', rememberMe: false });
  assert.equal(ok.data.redirect, false);
  assert.equal(ok.data.user.id, up.data.user.id);
  assert.ok(other.jar.has('better-auth.dont_remember'));
  const line = other.jar.setCookies.find((l) => l.startsWith('better-auth.session_token='));
  assert.equal(/Max-Age/.test(line), false, 'rememberMe:false gives a browser-session cookie');
  const [row] = await query(db.url, `SELECT "expiresAt" - "createdAt" AS life FROM "session" WHERE token = $1`, [ok.data.token]);
  assert.equal(row.life.days, 1);
});

test('production rate limit: /sign-in* allows 3 per 10 s per IP', async (t) => {
  const { server } = await withChatd(t, { env: { NODE_ENV: 'production', BETTER_AUTH_URL: 'http://localhost:3000' } });
  const codes = [];
  let last;
  for (let i = 0; i < 4; i++) {
    last = await fetch(server.url + '/api/auth/sign-in/anonymous', { method: 'POST' });
    codes.push(last.status);
  }
  assert.deepEqual(codes, [200, 200, 200, 429]);
  assert.deepEqual(await last.json(), { message: 'Too many requests. Please try again later.' });
  assert.match(last.headers.get('x-retry-after'), /^\d+$/);
  const other = await fetch(server.url + '/api/auth/get-session');
  assert.equal(other.status, 200, 'other paths are not limited');
});
