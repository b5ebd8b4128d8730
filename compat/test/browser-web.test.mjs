// The web client as its users run it: a real Chromium page on the web app's
// origin signs in anonymously against chatd with a credentialed fetch, then
// connects Socket.IO carrying only the session cookie. A page on an origin
// outside the allow-list is refused by both.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withChatd } from '../lib/harness.mjs';
import { launchBrowser, servePage } from '../lib/browser.mjs';

test('a browser page signs in with a cookie and the socket sees that session', async (t) => {
  const allowed = await servePage();
  t.after(() => allowed.close());
  const stranger = await servePage();
  t.after(() => stranger.close());
  const { server } = await withChatd(t, { env: { CORS_ORIGINS: allowed.origin } });
  const browser = await launchBrowser();
  t.after(() => browser.close());

  const page = await browser.newPage();
  await page.goto(allowed.origin);
  const result = await page.evaluate(async (api) => {
    const signIn = await fetch(api + '/api/auth/sign-in/anonymous', {
      method: 'POST', credentials: 'include', headers: { 'content-type': 'application/json' }, body: '{}',
    });
    const signedIn = await signIn.json();
    const session = await (await fetch(api + '/api/auth/get-session', { credentials: 'include' })).json();
    const events = [];
    const presence = await new Promise((resolve, reject) => {
      const socket = io(api, {
        withCredentials: true, auth: { token: null }, query: { tenantSlug: 'demo' },
        transports: ['websocket', 'polling'], reconnection: false,
      });
      socket.onAny((event) => events.push(event));
      socket.on('connect_error', (err) => reject(new Error('connect_error: ' + err.message)));
      socket.on('connect', () => socket.emit('join', {
        user: { id: signedIn.user.id, alias: 'Browser', gender: 'other' }, tenantSlug: 'demo',
      }));
      socket.on('presenceUpdate', (update) => { socket.disconnect(); resolve(update); });
      setTimeout(() => reject(new Error('no presenceUpdate; events: ' + events.join(','))), 8000);
    });
    return { status: signIn.status, userId: signedIn.user.id, sessionUserId: session?.user?.id, presence, events };
  }, server.url);

  assert.equal(result.status, 200);
  assert.equal(result.sessionUserId, result.userId, 'get-session sees the cookie session');
  assert.deepEqual(result.presence.onlineIds, [result.userId], 'the socket is bound to the cookie session user');
  assert.ok(!result.events.includes('userCreated'), 'a cookie session must not create an anonymous user');

  const refused = await browser.newPage();
  await refused.goto(stranger.origin);
  const outcome = await refused.evaluate(async (api) => {
    let fetchError = null;
    try {
      await fetch(api + '/api/auth/get-session', { credentials: 'include' });
    } catch (e) { fetchError = String(e); }
    const socketError = await new Promise((resolve) => {
      const socket = io(api, { transports: ['polling'], reconnection: false, auth: { token: null } });
      socket.on('connect', () => { socket.disconnect(); resolve(null); });
      socket.on('connect_error', (err) => resolve(err.message));
    });
    return { fetchError, socketError };
  }, server.url);
  assert.match(outcome.fetchError ?? '', /Failed to fetch/, 'CORS must block a disallowed origin');
  assert.ok(outcome.socketError, 'the socket handshake from a disallowed origin must fail');
});
