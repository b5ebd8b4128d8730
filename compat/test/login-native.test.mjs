// The native-app logins and web social login end to end against the real
// binary: phone OTP (log SMS provider), biometric setup and login, native
// Google/Apple ID tokens checked against a local JWKS, and the web OAuth
// redirect flow against a local provider. After each login, get-session
// and a Socket.IO connection with the session token both see the user.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { io } from 'socket.io-client';
import { withChatd } from '../lib/harness.mjs';
import { startBetterAuth } from '../betterauth/start.mjs';

/** idp is a local identity provider: /jwks (one RS256 key) and /token (OAuth code exchange). */
async function startIdP(t) {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'RS256', use: 'sig' };
  const idp = { tokenRequests: [], idTokenFor: () => '' };
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      if (req.url === '/jwks') {
        res.setHeader('content-type', 'application/json');
        return res.end(JSON.stringify({ keys: [jwk] }));
      }
      if (req.url === '/token' && req.method === 'POST') {
        const form = new URLSearchParams(body);
        idp.tokenRequests.push(form);
        res.setHeader('content-type', 'application/json');
        return res.end(JSON.stringify({ access_token: 'at', token_type: 'Bearer', expires_in: 3600, id_token: idp.idTokenFor(form.get('code')) }));
      }
      res.statusCode = 404;
      res.end();
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise((r) => server.close(r)));
  idp.url = `http://127.0.0.1:${server.address().port}`;
  idp.sign = (claims, key = privateKey, kid = 'k1') => {
    const enc = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const input = enc({ alg: 'RS256', typ: 'JWT', kid }) + '.' + enc(claims);
    return input + '.' + sign('sha256', Buffer.from(input), key).toString('base64url');
  };
  idp.otherKey = other;
  return idp;
}

const now = () => Math.floor(Date.now() / 1000);

async function post(server, path, body, headers = {}) {
  const res = await fetch(server.url + path, {
    method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body), redirect: 'manual',
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
}

/** sees checks get-session (Bearer) and a Socket.IO connection (auth.token) both resolve to userId. */
async function sees(server, token, userId) {
  const res = await fetch(server.url + '/api/auth/get-session', { headers: { authorization: 'Bearer ' + token } });
  const seen = await res.json();
  assert.equal(seen?.user?.id, userId, 'get-session sees the user');
  const socket = io(server.url, { auth: { token }, query: { tenantSlug: 'demo' }, transports: ['websocket', 'polling'],
    forceNew: true, reconnection: false });
  try {
    await new Promise((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', (e) => reject(new Error('socket refused: ' + e.message)));
    });
    const online = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no presenceUpdate with the user')), 5000);
      socket.on('presenceUpdate', (p) => { if (p.onlineIds?.includes(userId)) { clearTimeout(timer); resolve(); } });
    });
    socket.emit('join', { user: { id: userId, alias: seen.user.name, gender: 'other' }, tenantSlug: 'demo' });
    await online;
  } finally { socket.disconnect(); }
  return seen.user;
}

/** sessionCookie is the signed session cookie a login set (its Max-Age checked). */
function sessionCookie(headers, maxAge) {
  const line = headers.getSetCookie().find((c) => c.startsWith('better-auth.session_token='));
  assert.ok(line, 'a session cookie is set');
  assert.match(line, new RegExp(`; Max-Age=${maxAge}; Path=/; HttpOnly; SameSite=Lax`));
  return line.split(';')[0];
}

function otpCode(server, phone) {
  const line = server.logs().split('\n').reverse().find((l) => l.includes('"phone":"' + phone + '"'));
  return JSON.parse(line).text.match(/(\d{6})$/)[1];
}

test('phone OTP, then biometric setup and login, each give a session chatd and Socket.IO accept', async (t) => {
  const { server, db } = await withChatd(t, { env: { SMS_PROVIDER: 'log', LOG_LEVEL: 'info' } });
  const phone = '+393401234567';
  assert.equal((await post(server, '/api/auth/otp/send', { phone: '+39 340 123 4567' })).status, 200);
  const again = await post(server, '/api/auth/otp/send', { phone });
  assert.equal(again.status, 429);
  assert.match(again.headers.get('retry-after'), /^\d+$/);
  const code = otpCode(server, phone);
  const wrong = await post(server, '/api/auth/otp/verify', { phone, code: code === '111111' ? '222222' : '111111', alias: 'Sara' });
  assert.deepEqual([wrong.status, wrong.body], [400, { error: 'Codice non valido o scaduto' }]);
  const probe = await post(server, '/api/auth/otp/verify', { phone, code });
  assert.deepEqual(probe.body, { success: false, isNewUser: true, message: 'Alias richiesto per nuovi utenti' });
  const otp = await post(server, '/api/auth/otp/verify', { phone, code: Number(code), alias: 'Sara', gender: 'female' });
  assert.equal(otp.status, 200);
  assert.equal(otp.body.user.name, 'Sara');
  const cookie = sessionCookie(otp.headers, 31536000);
  await sees(server, otp.body.sessionToken, otp.body.user.id);
  // The cookie alone is a session too (the web client's path).
  const viaCookie = await (await fetch(server.url + '/api/auth/get-session', { headers: { cookie } })).json();
  assert.equal(viaCookie.user.id, otp.body.user.id);
  // Unlike the old custom routes' sessions, it is a real BetterAuth session.
  const ba = await startBetterAuth({ dbURL: db.url });
  t.after(() => ba.stop());
  const onBA = await (await fetch(ba.url + '/api/auth/get-session', { headers: { cookie } })).json();
  assert.equal(onBA?.session?.token, otp.body.sessionToken);

  // Biometric enrolment exactly as lib/biometrics.setup sends it.
  const setup = await post(server, '/api/auth/biometric/setup', { deviceId: 'v4_manual_device', sessionToken: otp.body.sessionToken },
    { authorization: 'Bearer ' + otp.body.sessionToken });
  assert.equal(setup.status, 200);
  assert.match(setup.body.token, /^[0-9a-f]{64}$/);
  const bio = await post(server, '/api/auth/biometric/login', { token: setup.body.token, identifier: phone });
  assert.equal(bio.status, 200);
  assert.deepEqual(Object.keys(bio.body.user).sort(), ['alias', 'email', 'gender', 'id', 'image', 'name', 'phoneNumber']);
  assert.notEqual(bio.body.sessionToken, otp.body.sessionToken);
  sessionCookie(bio.headers, 31536000);
  await sees(server, bio.body.sessionToken, otp.body.user.id);
  const unknown = await post(server, '/api/auth/biometric/login', { token: 'f'.repeat(64), identifier: phone });
  assert.deepEqual([unknown.status, unknown.body], [401, { error: 'Invalid biometric token' }]);
  const mismatch = await post(server, '/api/auth/biometric/login', { token: setup.body.token, identifier: '+393409999999' });
  assert.deepEqual([mismatch.status, mismatch.body], [401, { error: 'Identifier mismatch' }]);
});

test('native Google and Apple ID tokens are verified against the JWKS; forged ones are refused', async (t) => {
  const idp = await startIdP(t);
  const { server } = await withChatd(t, { env: {
    GOOGLE_JWKS_URL: idp.url + '/jwks', APPLE_JWKS_URL: idp.url + '/jwks',
    NEXT_PUBLIC_GOOGLE_CLIENT_ID_IOS: 'ios-client.apps.googleusercontent.com',
  } });
  const google = (over = {}) => ({ iss: 'https://accounts.google.com', aud: 'ios-client.apps.googleusercontent.com', sub: 'g-42',
    email: 'Luca@Example.com', email_verified: true, name: 'Luca', iat: now(), exp: now() + 3600, ...over });
  const res = await post(server, '/api/auth/social/native',
    { provider: 'google', idToken: idp.sign(google()), profile: { email: 'alice@example.com', name: 'x', id: 'y', imageUrl: 'z' } });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body.isNewUser, true);
  assert.equal(res.body.user.email, 'luca@example.com');
  sessionCookie(res.headers, 31536000);
  await sees(server, res.body.sessionToken, res.body.user.id);

  const apple = await post(server, '/api/auth/social/native', { provider: 'apple', profile: { name: 'Anna' }, idToken: idp.sign({
    iss: 'https://appleid.apple.com', aud: 'io.local.app', sub: 'a-7', email: 'anna@privaterelay.appleid.com', email_verified: 'true',
    iat: now(), exp: now() + 600 }) });
  assert.equal(apple.status, 200, JSON.stringify(apple.body));
  assert.equal(apple.body.user.name, 'Anna');
  await sees(server, apple.body.sessionToken, apple.body.user.id);

  for (const [name, token] of [
    ['forged', idp.sign(google(), idp.otherKey)],
    ['expired', idp.sign(google({ exp: now() - 3600 }))],
    ['wrong audience', idp.sign(google({ aud: 'someone-else' }))],
    ['unknown kid', idp.sign(google(), idp.otherKey, 'k2')],
  ]) {
    const r = await post(server, '/api/auth/social/native', { provider: 'google', idToken: token });
    assert.deepEqual([r.status, r.body], [401, { error: 'Token verification failed' }], name);
  }
});

test('web social login: sign-in/social, the provider, callback; the session works for get-session and Socket.IO', async (t) => {
  const idp = await startIdP(t);
  const { server } = await withChatd(t, { env: {
    GOOGLE_CLIENT_ID: 'web-client', GOOGLE_CLIENT_SECRET: 's3cret', GOOGLE_JWKS_URL: idp.url + '/jwks',
    GOOGLE_AUTH_URL: idp.url + '/authorize', GOOGLE_TOKEN_URL: idp.url + '/token', CORS_ORIGINS: 'http://localhost:3000',
  } });
  idp.idTokenFor = (code) => idp.sign({ iss: 'https://accounts.google.com', aud: 'web-client', sub: 'web-' + code,
    email: code + '@example.com', email_verified: true, name: 'Web ' + code, iat: now(), exp: now() + 3600 });
  const start = await post(server, '/api/auth/sign-in/social', { provider: 'google', callbackURL: 'http://localhost:3000/account' },
    { origin: 'http://localhost:3000' });
  assert.equal(start.status, 200, JSON.stringify(start.body));
  assert.equal(start.body.redirect, true);
  const url = new URL(start.body.url);
  assert.equal(url.origin + url.pathname, idp.url + '/authorize');
  const state = url.searchParams.get('state');
  const stateCookie = start.headers.getSetCookie().find((c) => c.startsWith('better-auth.state=')).split(';')[0];

  const cb = await fetch(`${server.url}/api/auth/callback/google?code=giada&state=${state}`, { headers: { cookie: stateCookie }, redirect: 'manual' });
  assert.equal(cb.status, 302);
  assert.equal(cb.headers.get('location'), 'http://localhost:3000/account');
  const cookie = sessionCookie(cb.headers, 2592000);
  const verifier = idp.tokenRequests.at(-1).get('code_verifier');
  assert.equal(createHash('sha256').update(verifier).digest('base64url'), url.searchParams.get('code_challenge'));
  const session = await (await fetch(server.url + '/api/auth/get-session', { headers: { cookie } })).json();
  assert.equal(session.user.email, 'giada@example.com');
  await sees(server, session.session.token, session.user.id);

  const replay = await fetch(`${server.url}/api/auth/callback/google?code=giada&state=${state}`, { headers: { cookie: stateCookie }, redirect: 'manual' });
  assert.match(replay.headers.get('location'), /error=please_restart_the_process$/);
});
