// Socket.IO handshake contract (docs/socket-events.md, "Transport" and "Handshake";
// docs/http-routes.md, "Origin check"):
// the real socket.io-client with the product's options against the real
// binary, websocket-first and polling-only.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { withChatd } from '../lib/harness.mjs';
import {
  ALICE, BOB, EVE, MOD, TENANT_ID, TRANSPORT_MODES,
  connect, cookieHeader, query, signed, sleep,
} from '../lib/socket.mjs';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function open(t, server, opts) {
  const c = connect(server.url, opts);
  t.after(() => c.close());
  return c;
}

for (const mode of TRANSPORT_MODES) {
  describe(`socket handshake (${mode.name})`, () => {
    const tr = { transports: mode.transports };

    test('a new anonymous user is created and told with userCreated; its row comes with its first join', async (t) => {
      const { server, db } = await withChatd(t);
      const c = open(t, server, { ...tr, query: { userId: 'local-0000-carla', userAlias: 'Carla' } });
      await c.connected();
      assert.equal(c.transport, mode.expect);
      const created = await c.first('userCreated');
      assert.deepEqual(Object.keys(created).sort(), ['alias', 'id', 'tenantId']);
      assert.match(created.id, UUID);
      assert.equal(created.alias, 'Carla');
      assert.equal(created.tenantId, TENANT_ID);
      assert.deepEqual(c.received('userConfirmed'), []);
      const row = () => query(db.url, 'SELECT name, "isAnonymous" FROM "user" WHERE id = $1', [created.id]);
      assert.deepEqual(await row(), [], 'a connect alone writes no user row');
      c.emit('join', { user: { id: created.id, alias: 'Carla', gender: 'female' }, tenantSlug: 'demo' });
      await c.first('blockedUsers');
      assert.deepEqual(await row(), [{ name: 'Carla', isAnonymous: true }]);
    });

    test('a guest that never joined resumes with the id it was given', async (t) => {
      const { server, db } = await withChatd(t);
      const before = await query(db.url, 'SELECT count(*)::int AS n FROM "user"');
      const first = open(t, server, { ...tr, query: { userId: 'local-0000-gina', userAlias: 'Gina', tenantSlug: 'demo' } });
      const created = await first.first('userCreated');
      first.close();
      const again = open(t, server, { ...tr, query: { userId: created.id, userAlias: 'Gina', tenantSlug: 'demo' } });
      assert.deepEqual(await again.first('userConfirmed'), { id: created.id, alias: 'Gina', tenantId: TENANT_ID });
      assert.deepEqual(again.received('userCreated'), []);
      assert.deepEqual(await query(db.url, 'SELECT count(*)::int AS n FROM "user"'), before, 'no row for guests that only connect');
    });

    test('an anonymous user without query gets a Guest alias and tenantId null', async (t) => {
      const { server } = await withChatd(t);
      const c = open(t, server, { ...tr, query: { tenantSlug: undefined } });
      await c.connected();
      const created = await c.first('userCreated');
      assert.equal(created.alias, 'Guest-' + c.id.slice(0, 6));
      assert.equal(created.tenantId, null);
    });

    test('the anonymous alias is sanitised', async (t) => {
      const { server } = await withChatd(t);
      const c = open(t, server, { ...tr, query: { userId: 'local-0000-zoe', userAlias: ' Zoë_b<X>b-1 !' } });
      await c.connected();
      assert.equal((await c.first('userCreated')).alias, 'Zoë_bXb-1');
    });

    test('an existing anonymous user is resumed with userConfirmed', async (t) => {
      const { server } = await withChatd(t);
      const c = open(t, server, { ...tr, query: { userId: BOB.id, userAlias: 'Bob' } });
      await c.connected();
      assert.deepEqual(await c.first('userConfirmed'), { id: BOB.id, alias: 'Bob', tenantId: TENANT_ID });
      assert.deepEqual(c.received('userCreated'), []);
    });

    test('a registered user id without a session is refused: authentication required', async (t) => {
      const { server } = await withChatd(t);
      const c = open(t, server, { ...tr, reconnection: false, query: { userId: ALICE.id, userAlias: 'Alice' } });
      const err = await c.refused();
      assert.equal(err.message, 'authentication required');
      assert.equal(err.data, undefined);
      assert.deepEqual(c.received('connect'), []);
    });

    const valid = [
      ['raw auth.token', { token: ALICE.token }],
      ['signed auth.token (token.signature)', { token: signed(ALICE.token) }],
      ['query.token', { auth: {}, query: { token: ALICE.token } }],
    ];
    for (const [name, opts] of valid) {
      test(`a valid session as ${name} connects silently`, async (t) => {
        const { server } = await withChatd(t);
        const c = open(t, server, { ...tr, ...opts, query: { userId: ALICE.id, userAlias: 'Alice', ...opts.query } });
        await c.connected();
        await sleep(400);
        const reserved = ['connect', 'outcome'];
        assert.deepEqual(c.buffer.map((e) => e.event).filter((e) => !reserved.includes(e)), [], 'no event on an authenticated connect');
        c.emit('join', { user: { id: ALICE.id, alias: 'Alice', gender: 'female' }, tenantSlug: 'demo' });
        assert.deepEqual(await c.first('blockedUsers'), { blockedIds: [] });
        const p = await c.first('presenceUpdate');
        assert.deepEqual(p.onlineIds, [ALICE.id]);
        assert.equal(p.users[0].socketId, c.id);
      });
    }

    for (const name of ['better-auth.session_token', '__Secure-better-auth.session_token']) {
      test(`the ${name} cookie on the handshake counts as the token`, async (t) => {
        const { server } = await withChatd(t);
        const c = open(t, server, { ...tr, extraHeaders: { cookie: cookieHeader(MOD.token, name) }, query: { userId: MOD.id } });
        await c.connected();
        c.emit('join', { user: { id: MOD.id, alias: 'Mod', gender: 'male' }, tenantSlug: 'demo' });
        await c.first('blockedUsers');
        assert.deepEqual((await c.first('presenceUpdate')).onlineIds, [MOD.id]);
        assert.deepEqual(c.received('userCreated'), []);
      });
    }

    const invalid = [
      ['an unknown token', { token: 'not-a-real-token' }],
      ['an expired token', { token: EVE.token }],
      ['a badly signed token', { token: ALICE.token + '.' + 'A'.repeat(43) + '=' }],
      ['an unknown query.token', { auth: {}, query: { token: 'nope' } }],
      ['a huge token', { token: 'x'.repeat(100000) }],
    ];
    for (const [name, opts] of invalid) {
      test(`${name} is refused with connect_error "invalid session"`, async (t) => {
        const { server } = await withChatd(t);
        const c = open(t, server, { ...tr, reconnection: false, ...opts, query: { userId: 'x', userAlias: 'X', ...opts.query } });
        const err = await c.refused();
        assert.equal(err.message, 'invalid session');
        assert.equal(err.data, undefined);
        await sleep(300);
        assert.deepEqual(c.received('connect'), [], 'never a connect before the refusal');
        assert.deepEqual(c.received('disconnect'), []);
      });
    }

    test('a stale session cookie leaves the guest path open (the browser keeps it)', async (t) => {
      const { server } = await withChatd(t);
      const c = open(t, server, { ...tr, extraHeaders: { cookie: cookieHeader(EVE.token) }, query: { userId: 'local-0000-g', userAlias: 'Gina' } });
      await c.connected();
      assert.equal((await c.first('userCreated')).alias, 'Gina');
    });

    test('auth.token beats the cookie: an invalid auth.token is refused even with a live cookie', async (t) => {
      const { server } = await withChatd(t);
      const c = open(t, server, { ...tr, reconnection: false, token: 'not-a-real-token', extraHeaders: { cookie: cookieHeader(MOD.token) } });
      assert.equal((await c.refused()).message, 'invalid session');
    });

    test('a refused client retries with backoff and still gets connect_error', async (t) => {
      const { server } = await withChatd(t);
      const c = open(t, server, { ...tr, token: 'not-a-real-token' });
      assert.equal((await c.refused()).message, 'invalid session');
      // socket.io-client does not reconnect by itself after a middleware
      // refusal; the app calls connect() again, like this.
      c.socket.connect();
      assert.equal((await c.refused()).message, 'invalid session');
    });

    test('a disallowed Origin is refused with 403, an allowed one accepted', async (t) => {
      const { server } = await withChatd(t);
      const evil = open(t, server, { ...tr, reconnection: false, extraHeaders: { origin: 'https://evil.example.com' } });
      const err = await evil.refused();
      assert.match(String(err.description?.message ?? err.description ?? err.message), /403|websocket error|xhr poll error/);
      const ok = open(t, server, { ...tr, extraHeaders: { origin: 'http://localhost' } });
      await ok.connected();
      await ok.first('userCreated');
    });

    test('a shutdown closes the transport, so the client reconnects by itself', async (t) => {
      const { server } = await withChatd(t);
      const c = open(t, server, { ...tr, token: ALICE.token, query: { userId: ALICE.id } });
      await c.connected();
      await c.join({ id: ALICE.id, alias: 'Alice', gender: 'female' });
      await server.stop();
      const attempt = new Promise((r) => c.socket.io.once('reconnect_attempt', r));
      const [reason] = await c.next('disconnect');
      assert.ok(['transport close', 'transport error'].includes(reason), `reason ${reason}`);
      await attempt; // not "io server disconnect", which would stop the client for good
    });
  });
}

describe('socket handshake over raw HTTP', () => {
  test('polling handshake: allowed Origin gets CORS headers, none without Origin, 403 for a disallowed one', async (t) => {
    const { server } = await withChatd(t);
    const url = server.url + '/socket.io/?EIO=4&transport=polling';
    const ok = await fetch(url, { headers: { Origin: 'http://localhost' } });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('access-control-allow-origin'), 'http://localhost');
    assert.equal(ok.headers.get('access-control-allow-credentials'), 'true');
    const open = JSON.parse((await ok.text()).slice(1));
    assert.deepEqual({ ...open, sid: 'x' }, { sid: 'x', upgrades: ['websocket'], pingInterval: 5000, pingTimeout: 10000, maxPayload: 1000000 });

    const none = await fetch(url);
    assert.equal(none.status, 200);
    assert.equal(none.headers.get('access-control-allow-origin'), null);
    await none.text();

    const evil = await fetch(url, { headers: { Origin: 'https://evil.example.com' } });
    assert.equal(evil.status, 403);
    assert.equal(evil.headers.get('access-control-allow-origin'), null);
    await evil.text();
  });

  test('polling upgrades to websocket from an allowed cross origin', async (t) => {
    const { server } = await withChatd(t);
    const c = connect(server.url, { transports: ['polling', 'websocket'], extraHeaders: { origin: 'http://localhost' } });
    t.after(() => c.close());
    let first;
    c.socket.io.once('open', () => { first = c.socket.io.engine.transport.name; });
    await c.connected();
    for (let i = 0; i < 100 && c.transport !== 'websocket'; i++) await sleep(50);
    assert.equal(first, 'polling');
    assert.equal(c.transport, 'websocket');
    await c.first('userCreated');
  });

  test('websocket handshake with a disallowed Origin is refused with 403', async (t) => {
    const { server } = await withChatd(t);
    const { default: WebSocket } = await import('ws');
    const status = (origin) => new Promise((resolve) => {
      const ws = new WebSocket(server.url.replace('http', 'ws') + '/socket.io/?EIO=4&transport=websocket', { origin });
      ws.on('unexpected-response', (_req, res) => { resolve(res.statusCode); ws.terminate(); });
      ws.on('open', () => { resolve(101); ws.close(); });
      ws.on('error', () => {});
    });
    assert.equal(await status('https://evil.example.com'), 403);
    assert.equal(await status('http://localhost'), 101);
  });
});
