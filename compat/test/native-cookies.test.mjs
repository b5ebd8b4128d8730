// The native apps' session cookies over https (issue #13). The app's pages
// live on a localhost origin of the device, so every call to chatd is
// cross-site: a cookie comes back only if it is SameSite=None; Secure. A
// real RFC 6265bis cookie jar (tough-cookie) in a cross-site context stores
// and sends exactly what a browser would, so the phone-code login of the
// unmodified app is reproduced request by request: the session survives, the
// app finds session.token in get-session, and its socket is verified.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CookieJar } from 'tough-cookie';
import { withChatd } from '../lib/harness.mjs';
import { connect } from '../lib/socket.mjs';

// chatd's public URL. Requests go to the test's loopback port as from the
// TLS proxy in front of a production deployment; the jar sees the https URL.
const PUBLIC_URL = 'https://chatd.test';
const WEB_ORIGIN = 'https://app.example.com';

/**
 * webView is one origin's fetch to chatd through jar, in a cross-site
 * context for a native origin: setCookie rejects a cookie a browser would
 * drop (SameSite=Lax, or not Secure over https) and getCookieString leaves
 * out what it would not send.
 */
function webView(server, origin, jar = new CookieJar()) {
  const sameSiteContext = 'none';
  return {
    jar,
    rejected: [],
    async fetch(path, { method = 'GET', body } = {}) {
      const url = PUBLIC_URL + path;
      const headers = { origin, 'x-forwarded-proto': 'https' };
      const cookie = await jar.getCookieString(url, { sameSiteContext });
      if (cookie) headers.cookie = cookie;
      if (body !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(server.url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      for (const line of res.headers.getSetCookie()) {
        try {
          await jar.setCookie(line, url, { sameSiteContext });
        } catch (e) {
          this.rejected.push(`${line.split('=')[0]}: ${e.message}`);
        }
      }
      return { status: res.status, body: await res.json() };
    },
  };
}

function otpCode(server, phone) {
  const line = server.logs().split('\n').reverse().find((l) => l.includes('"phone":"' + phone + '"'));
  return JSON.parse(line).text.match(/(\d{6})$/)[1];
}

test('a native phone-code login over https keeps its session across sites; the socket is verified', async (t) => {
  const { server } = await withChatd(t, { env: {
    BETTER_AUTH_URL: PUBLIC_URL, SMS_PROVIDER: 'log', LOG_LEVEL: 'info', BETTER_AUTH_TRUSTED_ORIGINS: WEB_ORIGIN,
  } });
  const app = webView(server, 'capacitor://localhost');
  const phone = '+393401112233';
  assert.equal((await app.fetch('/api/auth/otp/send', { method: 'POST', body: { phone } })).status, 200);
  const verify = await app.fetch('/api/auth/otp/verify', { method: 'POST', body: { phone, code: otpCode(server, phone), alias: 'Sara' } });
  assert.equal(verify.status, 200);
  assert.deepEqual(app.rejected, [], 'every cookie of a native login must be storable cross-site');

  const cookies = await app.jar.getCookies(PUBLIC_URL + '/', { sameSiteContext: 'none' });
  const token = cookies.find((c) => c.key === '__Secure-better-auth.session_token');
  assert.ok(token, 'the session cookie is kept: ' + cookies.map((c) => c.key));
  assert.deepEqual([token.sameSite, token.secure, token.httpOnly], ['none', true, true]);
  for (const c of cookies) assert.deepEqual([c.key, c.sameSite, c.secure], [c.key, 'none', true]);

  // What the app does next: get-session finds the token, the socket carries it.
  const session = await app.fetch('/api/auth/get-session');
  assert.equal(session.body?.session?.token, verify.body.sessionToken, 'get-session answers with the session over the cookie');
  const socket = connect(server.url, { token: session.body.session.token, query: { userId: verify.body.user.id, userAlias: 'Sara' },
    extraHeaders: { origin: 'capacitor://localhost' } });
  t.after(() => socket.close());
  await socket.connected();
  assert.deepEqual(socket.received('userConfirmed'), [], 'a verified socket is not a fallback');
  assert.doesNotMatch(server.logs(), /socket bound by native id fallback/);

  // Sign-out deletes the cookies cross-site too.
  assert.equal((await app.fetch('/api/auth/sign-out', { method: 'POST', body: {} })).status, 200);
  assert.deepEqual(app.rejected, []);
  assert.equal((await app.fetch('/api/auth/get-session')).body, null);
});

test('https://localhost (androidScheme https) is allowed by default and gets cross-site cookies', async (t) => {
  const { server } = await withChatd(t, { env: { BETTER_AUTH_URL: PUBLIC_URL } });
  const app = webView(server, 'https://localhost');
  const res = await fetch(server.url + '/api/auth/sign-in/anonymous', { method: 'POST', headers: { origin: 'https://localhost' } });
  assert.equal(res.headers.get('access-control-allow-origin'), 'https://localhost');
  assert.equal(res.status, 200);
  for (const line of res.headers.getSetCookie()) await app.jar.setCookie(line, PUBLIC_URL + '/', { sameSiteContext: 'none' });
  assert.equal((await app.fetch('/api/auth/get-session')).body?.user?.isAnonymous, true);
});

test('web origins and plain-http deployments keep SameSite=Lax', async (t) => {
  const { server } = await withChatd(t, { env: { BETTER_AUTH_URL: PUBLIC_URL, BETTER_AUTH_TRUSTED_ORIGINS: WEB_ORIGIN } });
  const web = await fetch(server.url + '/api/auth/sign-in/anonymous', { method: 'POST', headers: { origin: WEB_ORIGIN } });
  const lines = web.headers.getSetCookie();
  assert.ok(lines.length > 0);
  for (const line of lines) assert.match(line, /; HttpOnly; Secure; SameSite=Lax$/);
  const jar = new CookieJar();
  await assert.rejects(jar.setCookie(lines[0], PUBLIC_URL + '/', { sameSiteContext: 'none' }), /SameSite/,
    'the jar must refuse a Lax cookie cross-site, or this test proves nothing');
  await jar.setCookie(lines[0], PUBLIC_URL + '/', { sameSiteContext: 'lax' });

  // Over http a cross-site cookie could not be Secure: BetterAuth's defaults stay.
  const { server: plain } = await withChatd(t, { env: { BETTER_AUTH_URL: 'http://chatd.test' } });
  const native = await fetch(plain.url + '/api/auth/sign-in/anonymous', { method: 'POST', headers: { origin: 'capacitor://localhost' } });
  for (const line of native.headers.getSetCookie()) assert.match(line, /; Path=\/; HttpOnly; SameSite=Lax$/);
});
