// Passkeys end to end: the product's real client plugin (passkeyClient from
// @better-auth/passkey 1.4.18) drives chatd through a software WebAuthn
// authenticator standing in for navigator.credentials, and passkeys cross
// between chatd and a real BetterAuth 1.4.18 server in both directions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import pg from 'pg';
import { io } from 'socket.io-client';
import { createAuthClient } from 'better-auth/client';
import { anonymousClient } from 'better-auth/client/plugins';
import { passkeyClient } from '@better-auth/passkey/client';
import { createDatabase, startChatd, withChatd } from '../lib/harness.mjs';
import { startBetterAuth } from '../betterauth/start.mjs';
import { CookieJar, browserFetch } from '../betterauth/client.mjs';

// ---- a minimal CBOR encoder (what attestationObject and COSE keys need) ----
function cborHead(major, n) {
  if (n < 24) return Buffer.from([(major << 5) | n]);
  if (n < 256) return Buffer.from([(major << 5) | 24, n]);
  if (n < 65536) { const b = Buffer.alloc(3); b[0] = (major << 5) | 25; b.writeUInt16BE(n, 1); return b; }
  const b = Buffer.alloc(5); b[0] = (major << 5) | 26; b.writeUInt32BE(n, 1); return b;
}
function cbor(v) {
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) return Buffer.concat([cborHead(2, v.length), Buffer.from(v)]);
  if (typeof v === 'string') { const s = Buffer.from(v, 'utf8'); return Buffer.concat([cborHead(3, s.length), s]); }
  if (typeof v === 'number') return v >= 0 ? cborHead(0, v) : cborHead(1, -1 - v);
  const entries = v instanceof Map ? [...v] : Object.entries(v);
  return Buffer.concat([cborHead(5, entries.length), ...entries.flatMap(([k, x]) => [cbor(k), cbor(x)])]);
}

const b64url = (b) => Buffer.from(b).toString('base64url');
const toAB = (b) => { const u = Uint8Array.from(b); return u.buffer; };

/**
 * SoftAuthenticator holds ES256 passkeys (one per credential id) and answers
 * navigator.credentials.create/get the way a platform authenticator does:
 * "none" attestation, UP+UV+BE+BS flags, a counter that grows.
 */
class SoftAuthenticator {
  constructor() { this.creds = []; this.origin = null; }

  async create({ publicKey }) {
    const { privateKey, publicKey: pub } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = pub.export({ format: 'jwk' });
    const cred = { id: randomBytes(16), key: privateKey, rpId: publicKey.rp.id, counter: 0,
      handle: Buffer.from(publicKey.user.id) };
    const cose = cbor(new Map([[1, 2], [3, -7], [-1, 1], [-2, Buffer.from(jwk.x, 'base64url')], [-3, Buffer.from(jwk.y, 'base64url')]]));
    const authData = Buffer.concat([this.rpHash(cred.rpId), Buffer.from([0x5d]), this.counterBytes(0),
      Buffer.alloc(16), Buffer.from([0, cred.id.length]), cred.id, cose]);
    const clientDataJSON = this.clientData('webauthn.create', publicKey.challenge);
    this.creds.push(cred);
    return {
      id: b64url(cred.id), rawId: toAB(cred.id), type: 'public-key', authenticatorAttachment: 'platform',
      response: { attestationObject: toAB(cbor({ fmt: 'none', attStmt: {}, authData })), clientDataJSON: toAB(clientDataJSON),
        getTransports: () => ['hybrid', 'internal'] },
      getClientExtensionResults: () => ({}),
    };
  }

  async get({ publicKey }) {
    const allowed = (publicKey.allowCredentials || []).map((c) => b64url(Buffer.from(c.id)));
    const cred = this.creds.findLast((c) => c.rpId === publicKey.rpId && (!allowed.length || allowed.includes(b64url(c.id))));
    if (!cred) throw Object.assign(new Error('no credential'), { name: 'NotAllowedError' });
    cred.counter += 1;
    const authData = Buffer.concat([this.rpHash(cred.rpId), Buffer.from([0x1d]), this.counterBytes(cred.counter)]);
    const clientDataJSON = this.clientData('webauthn.get', publicKey.challenge);
    const signed = Buffer.concat([authData, createHash('sha256').update(clientDataJSON).digest()]);
    const signature = sign('sha256', signed, { key: cred.key, dsaEncoding: 'der' });
    return {
      id: b64url(cred.id), rawId: toAB(cred.id), type: 'public-key', authenticatorAttachment: 'platform',
      response: { authenticatorData: toAB(authData), clientDataJSON: toAB(clientDataJSON), signature: toAB(signature),
        userHandle: toAB(cred.handle) },
      getClientExtensionResults: () => ({}),
    };
  }

  rpHash(rpId) { return createHash('sha256').update(rpId).digest(); }
  counterBytes(n) { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b; }
  clientData(type, challenge) {
    return Buffer.from(JSON.stringify({ type, challenge: b64url(Buffer.from(challenge)), origin: this.origin, crossOrigin: false }));
  }
}

const authenticator = new SoftAuthenticator();
globalThis.PublicKeyCredential ??= class PublicKeyCredential {};
globalThis.navigator ??= {};
globalThis.navigator.credentials = { create: (o) => authenticator.create(o), get: (o) => authenticator.get(o) };

/** browser is one tab on origin: a cookie jar and the product's client with passkeyClient. */
function browser(baseURL, origin = baseURL, jar = new CookieJar()) {
  const client = createAuthClient({
    baseURL, plugins: [passkeyClient(), anonymousClient()],
    fetchOptions: { customFetchImpl: browserFetch(jar, origin) },
  });
  return { jar, client, use() { authenticator.origin = origin; return client; } };
}

async function rows(dbURL, sql, params = []) {
  const c = new pg.Client({ connectionString: dbURL });
  await c.connect();
  try { return (await c.query(sql, params)).rows; } finally { await c.end(); }
}

/** socketSees connects socket.io-client with auth.token and waits for the server to bind the user. */
async function socketSees(url, token, user) {
  const socket = io(url, { auth: { token }, query: { tenantSlug: 'demo' }, transports: ['websocket', 'polling'],
    forceNew: true, reconnection: false });
  try {
    await new Promise((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', (e) => reject(new Error('socket refused: ' + e.message)));
    });
    const presence = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no presenceUpdate')), 5000);
      socket.on('presenceUpdate', (p) => { if (p.onlineIds?.includes(user.id)) { clearTimeout(timer); resolve(p); } });
    });
    socket.emit('join', { user: { id: user.id, alias: user.name, gender: 'other' }, tenantSlug: 'demo' });
    await presence;
    return true;
  } finally { socket.disconnect(); }
}

/** otpLogin logs in a new phone user over POST /api/auth/otp/send and /verify, reading the code from chatd's log provider. */
async function otpLogin(server, phone, alias) {
  const post = (path, body) => fetch(server.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal((await post('/api/auth/otp/send', { phone })).status, 200);
  const line = server.logs().split('\n').reverse().find((l) => l.includes('"phone":"' + phone + '"'));
  const code = JSON.parse(line).text.match(/(\d{6})$/)[1];
  const res = await post('/api/auth/otp/verify', { phone, code, alias, gender: 'female' });
  assert.equal(res.status, 200);
  return res.json();
}

test('passkeyClient registers and signs in on chatd; get-session and Socket.IO see the user', async (t) => {
  const { server, db } = await withChatd(t, { env: { SMS_PROVIDER: 'log', LOG_LEVEL: 'info' } });
  const login = await otpLogin(server, '+393471112233', 'Paola');
  const tab = browser(server.url);
  tab.jar.cookies.set('better-auth.session_token', encodeURIComponent(login.sessionToken));

  const added = await tab.use().passkey.addPasskey({ name: 'Pixel' });
  assert.equal(added.error, null, JSON.stringify(added.error));
  assert.equal(added.data.userId, login.user.id);
  assert.equal(added.data.name, 'Pixel');
  const [row] = await rows(db.url, 'SELECT * FROM passkey WHERE "userId" = $1', [login.user.id]);
  assert.equal(row.credentialID, b64url(authenticator.creds.at(-1).id));
  assert.match(row.publicKey, /^pQECAyYgASFYI[A-Za-z0-9+/]+=*$/, 'COSE key, standard base64');
  assert.deepEqual([row.counter, row.deviceType, row.backedUp, row.transports, row.aaguid],
    [0, 'multiDevice', true, 'hybrid,internal', '00000000-0000-0000-0000-000000000000']);
  const [challenge] = await rows(db.url, 'SELECT count(*)::int AS n FROM verification');
  assert.equal(challenge.n, 0, 'the registration challenge was consumed');

  // A fresh tab without any session signs in with the passkey.
  const fresh = browser(server.url);
  const signedIn = await fresh.use().signIn.passkey();
  assert.equal(signedIn.error, null, JSON.stringify(signedIn.error));
  const session = signedIn.data.session;
  assert.equal(session.userId, login.user.id);
  assert.match(session.token, /^[A-Za-z0-9]{32}$/);
  assert.ok(fresh.jar.get('better-auth.session_token').startsWith(session.token + '.'), 'signed session cookie');
  const seen = await fresh.client.getSession();
  assert.equal(seen.data.user.id, login.user.id);
  assert.equal(seen.data.user.phoneNumber, '+393471112233');
  assert.ok(await socketSees(server.url, session.token, seen.data.user));

  // Management through the same client.
  const list = await fresh.client.passkey.listUserPasskeys();
  assert.deepEqual(list.data.map((p) => p.id), [row.id]);
  assert.equal(list.data[0].counter, 1);
  const renamed = await fresh.client.passkey.updatePasskey({ id: row.id, name: 'Phone' });
  assert.equal(renamed.data.passkey.name, 'Phone');
  const deleted = await fresh.client.passkey.deletePasskey({ id: row.id });
  assert.deepEqual(deleted.data, { status: true });
  const again = await browser(server.url).use().signIn.passkey();
  assert.equal(again.error.status, 401);
  assert.equal(again.error.code, 'PASSKEY_NOT_FOUND');
});

test('passkeys cross between BetterAuth 1.4.18 and chatd in both directions', async (t) => {
  const db = await createDatabase();
  t.after(() => db.drop());
  const chatd = await startChatd({ dbURL: db.url });
  t.after(() => chatd.stop());
  const ba = await startBetterAuth({ dbURL: db.url, env: { TRUSTED_ORIGINS: chatd.url } });
  t.after(() => ba.stop());

  // Registered on BetterAuth (RP 127.0.0.1), used on chatd.
  const onBA = browser(ba.url);
  const anon = await onBA.use().signIn.anonymous();
  assert.equal(anon.error, null, JSON.stringify(anon.error));
  const viaBA = await onBA.use().passkey.addPasskey();
  assert.equal(viaBA.error, null, JSON.stringify(viaBA.error));
  const onChatd = browser(chatd.url);
  const signedIn = await onChatd.use().signIn.passkey();
  assert.equal(signedIn.error, null, JSON.stringify(signedIn.error));
  assert.equal(signedIn.data.session.userId, anon.data.user.id);
  assert.equal((await onChatd.client.getSession()).data.user.id, anon.data.user.id);
  // The session chatd made is a BetterAuth session: BetterAuth itself accepts its cookies.
  const sameJarOnBA = browser(ba.url, ba.url, onChatd.jar);
  assert.equal((await sameJarOnBA.client.getSession()).data?.session.token, signedIn.data.session.token);

  // Registered on chatd, used on BetterAuth.
  const chatdUser = browser(chatd.url);
  const guest = await chatdUser.use().signIn.anonymous();
  assert.equal(guest.error, null, JSON.stringify(guest.error));
  const viaChatd = await chatdUser.use().passkey.addPasskey({ name: 'from chatd' });
  assert.equal(viaChatd.error, null, JSON.stringify(viaChatd.error));
  const backOnBA = browser(ba.url);
  const baSignIn = await backOnBA.use().signIn.passkey();
  assert.equal(baSignIn.error, null, JSON.stringify(baSignIn.error));
  assert.equal(baSignIn.data.session.userId, guest.data.user.id);
  const counters = await rows(db.url, 'SELECT name, counter FROM passkey ORDER BY name NULLS FIRST');
  assert.deepEqual(counters, [{ name: null, counter: 1 }, { name: 'from chatd', counter: 1 }]);
});
