// The native app's session in a real WebView engine (issue #13): Chromium
// with Capacitor's Android cookie policy (third-party cookies accepted) and a
// page on http://localhost, the origin that WebView serves the app from,
// calls chatd on another host over https, as in production. A phone-code
// login made with a cross-site credentialed fetch keeps its session:
// get-session answers with the token, and the socket the app opens with it
// is verified. A page on a web origin doing the same keeps nothing
// (SameSite=Lax), which shows the browser enforces what is tested.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withChatd } from '../lib/harness.mjs';
import { launchWebView, routeOrigin } from '../lib/browser.mjs';
import { terminateTLS } from '../lib/tls.mjs';

const CHATD_HOST = 'chatd.test';
const NATIVE_ORIGIN = 'http://localhost';
const WEB_ORIGIN = 'https://web.test';

function otpCode(server, phone) {
  const line = server.logs().split('\n').reverse().find((l) => l.includes('"phone":"' + phone + '"'));
  return JSON.parse(line).text.match(/(\d{6})$/)[1];
}

/**
 * webView is a fresh WebView profile whose pages on origin are served by the
 * test. chatd's self-signed certificate is accepted, and so are requests to
 * loopback: here chatd listens on 127.0.0.1, which Chromium's Local Network
 * Access would otherwise keep from a page it cannot place (a real deployment
 * is reached over the network).
 */
async function webView(t, origin) {
  const { context, close } = await launchWebView({ ignoreHTTPSErrors: true, args: [`--host-resolver-rules=MAP ${CHATD_HOST} 127.0.0.1`] });
  t.after(close);
  await context.grantPermissions(['local-network-access']);
  await routeOrigin(context, origin);
  const page = await context.newPage();
  await page.goto(origin + '/');
  return { context, page };
}

/** post is a credentialed cross-site JSON POST made by the page. */
function post(page, url, body) {
  return page.evaluate(async ({ url, body }) => {
    const res = await fetch(url, {
      method: 'POST', credentials: 'include', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  }, { url, body });
}

/** getSession is authClient.getSession() as the app calls it: credentialed GET. */
function getSession(page, api) {
  return page.evaluate(async (api) => (await fetch(api + '/api/auth/get-session', { credentials: 'include' })).json(), api);
}

test('a native WebView keeps a cross-site session over https; its socket is verified', async (t) => {
  let chatdPort = 0;
  const proxy = await terminateTLS(CHATD_HOST, () => chatdPort);
  t.after(() => proxy.close());
  const api = `https://${CHATD_HOST}:${proxy.port}`;
  const { server } = await withChatd(t, { env: {
    BETTER_AUTH_URL: api, SMS_PROVIDER: 'log', LOG_LEVEL: 'info', BETTER_AUTH_TRUSTED_ORIGINS: WEB_ORIGIN,
  } });
  chatdPort = server.port;

  // The phone-code login, from the app's origin.
  const { context, page: app } = await webView(t, NATIVE_ORIGIN);
  const phone = '+393405556677';
  assert.equal((await post(app, api + '/api/auth/otp/send', { phone })).status, 200);
  const verify = await post(app, api + '/api/auth/otp/verify', { phone, code: otpCode(server, phone), alias: 'Nina' });
  assert.equal(verify.status, 200, JSON.stringify(verify.body));

  const kept = (await context.cookies(api)).find((c) => c.name === '__Secure-better-auth.session_token');
  assert.ok(kept, 'Chromium kept the session cookie set by a cross-site fetch');
  assert.deepEqual([kept.sameSite, kept.secure, kept.httpOnly], ['None', true, true]);

  // What the app does next: getSession, then the socket with session.token.
  const session = await getSession(app, api);
  assert.equal(session?.session?.token, verify.body.sessionToken, 'get-session sees the cookie session cross-site');
  const userId = verify.body.user.id;
  const result = await app.evaluate(async ({ api, token, userId }) => {
    const events = [];
    const presence = await new Promise((resolve, reject) => {
      const socket = io(api, {
        auth: { token }, query: { tenantSlug: 'demo', userId, userAlias: 'Nina' },
        transports: ['websocket', 'polling'], reconnection: false,
      });
      socket.onAny((event) => events.push(event));
      socket.on('connect_error', (err) => reject(new Error('connect_error: ' + err.message)));
      socket.on('connect', () => socket.emit('join', { user: { id: userId, alias: 'Nina', gender: 'female' }, tenantSlug: 'demo' }));
      socket.on('presenceUpdate', (update) => { socket.disconnect(); resolve(update); });
      setTimeout(() => reject(new Error('no presenceUpdate; events: ' + events.join(','))), 8000);
    });
    return { presence, events };
  }, { api, token: session.session.token, userId });
  assert.deepEqual(result.presence.onlineIds, [userId]);
  assert.ok(!result.events.includes('userConfirmed'), 'a verified socket, not the id fallback');
  assert.doesNotMatch(server.logs(), /socket bound by native id fallback/);

  // The same login from a web origin on another site keeps nothing, even
  // with third-party cookies accepted.
  const { page: web } = await webView(t, WEB_ORIGIN);
  const signIn = await post(web, api + '/api/auth/sign-in/anonymous', {});
  assert.equal(signIn.status, 200);
  assert.equal(await getSession(web, api), null, 'a SameSite=Lax cookie must not survive a cross-site fetch');
});
