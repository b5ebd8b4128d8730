// Helpers for the Socket.IO contract suites: the seed's fixed ids, the real
// socket.io-client with the product's options, and a client wrapper that
// buffers every event so a test can wait for one or assert that none came.
import { createHmac } from 'node:crypto';
import { io } from 'socket.io-client';
import pg from 'pg';
import { secret } from './harness.mjs';

export const TENANT_ID = '7e4a0000-0000-4000-8000-00000000de00';
export const ROOM_ANNUNCI = 'cm0roomannunci00000000001';
export const ROOM_GENERAL = 'cm0roomgeneral00000000002';
export const ALICE = { id: 'a11ce000-0000-4000-8000-000000000001', token: 'alice-session-token-0001', alias: 'Alice', gender: 'female' };
export const MOD = { id: '30d00000-0000-4000-8000-000000000002', token: 'mod-session-token-0002', alias: 'Mod', gender: 'male' };
export const ADMIN = { id: 'ad000000-0000-4000-8000-000000000003', token: 'admin-session-token-0003', alias: 'Admin', gender: 'other' };
export const EVE = { id: 'e0e00000-0000-4000-8000-000000000004', token: 'eve-expired-session-token-0004', alias: 'Eve', gender: 'female' };
export const BOB = { id: 'b0b00000-0000-4000-8000-000000000005', alias: 'Bob', gender: 'male' };

/** The two ways the product's clients reach the server. */
export const TRANSPORT_MODES = [
  { name: 'websocket-first', transports: ['websocket', 'polling'], expect: 'websocket' },
  { name: 'polling-only', transports: ['polling'], expect: 'polling' },
];

/** signed is BetterAuth's signed cookie value "token.base64(HMAC)" (not URL-encoded). */
export function signed(token) {
  return token + '.' + createHmac('sha256', secret).update(token).digest('base64');
}

/** cookieHeader is a Cookie header carrying token the way BetterAuth sets it. */
export function cookieHeader(token, name = 'better-auth.session_token') {
  return `${name}=${encodeURIComponent(signed(token))}`;
}

/**
 * connect opens a socket with ChatInterface.tsx's options. token: a session
 * token or null (anonymous); query: {tenantSlug, userId, userAlias, ...}.
 * Returns a Client; call close() (tests register it with t.after).
 */
export function connect(url, { token = null, auth, query = {}, transports = ['websocket', 'polling'], extraHeaders, ...rest } = {}) {
  const socket = io(url, {
    auth: auth ?? { token },
    query: { tenantSlug: 'demo', ...query },
    transports,
    reconnectionAttempts: Infinity,
    reconnectionDelay: 1000,
    reconnectionDelayMax: 5000,
    timeout: 20000,
    forceNew: true,
    ...(extraHeaders ? { extraHeaders } : {}),
    ...rest,
  });
  return new Client(socket);
}

/** Client buffers every received event, reserved ones included. */
export class Client {
  constructor(socket) {
    this.socket = socket;
    this.buffer = [];
    this.waiters = [];
    socket.onAny((event, ...args) => this.#push(event, args));
    // "outcome" is a synthetic event: the first connect or connect_error.
    socket.on('connect', () => { this.#push('connect', []); this.#push('outcome', [true]); });
    socket.on('connect_error', (err) => { this.#push('connect_error', [err]); this.#push('outcome', [err]); });
    socket.on('disconnect', (reason) => this.#push('disconnect', [reason]));
  }

  #push(event, args) {
    this.buffer.push({ event, args });
    for (const w of [...this.waiters]) w();
  }

  get id() { return this.socket.id; }
  get transport() { return this.socket.io.engine?.transport?.name; }

  emit(event, ...args) { this.socket.emit(event, ...args); }

  /**
   * next resolves with the args of the first buffered event named event
   * (matching where, if given) and removes it and every earlier event of the
   * same name that did not match.
   */
  next(event, { where = () => true, timeout = 5000 } = {}) {
    return new Promise((resolve, reject) => {
      const check = () => {
        for (let i = 0; i < this.buffer.length; i++) {
          const e = this.buffer[i];
          if (e.event !== event) continue;
          this.buffer.splice(i, 1);
          i--;
          if (where(...e.args)) { done(); resolve(e.args); return true; }
        }
        return false;
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeout} ms waiting for "${event}"; buffered: ${JSON.stringify(this.buffer.map((e) => e.event === 'disconnect' || e.event === 'connect_error' ? `${e.event}(${e.args[0]?.message ?? e.args[0]})` : e.event))}`));
      }, timeout);
      const done = () => { clearTimeout(timer); this.waiters = this.waiters.filter((w) => w !== check); };
      if (!check()) this.waiters.push(check);
    });
  }

  /** first is next(...) returning the first argument. */
  async first(event, opts) { return (await this.next(event, opts))[0]; }

  /** received lists buffered events named event (not consumed). */
  received(event) { return this.buffer.filter((e) => e.event === event).map((e) => e.args); }

  /** drain forgets everything buffered so far. */
  drain() { this.buffer = []; }

  /** connected waits for connect, or throws the connect_error's Error. */
  async connected(timeout = 10000) {
    const [outcome] = await this.next('outcome', { timeout }).catch(() => { throw new Error('no connect within ' + timeout + ' ms'); });
    if (outcome instanceof Error) throw outcome;
    return this;
  }

  /** refused waits for connect_error and returns the Error; a connect fails. */
  async refused(timeout = 10000) {
    const [outcome] = await this.next('outcome', { timeout });
    if (!(outcome instanceof Error)) throw new Error('expected connect_error, got connect');
    return outcome;
  }

  /** join emits join with user and waits for the joiner's blockedUsers. */
  async join(user, tenantSlug = 'demo') {
    this.emit('join', { user, tenantSlug });
    return this.first('blockedUsers');
  }

  close() { this.socket.disconnect(); }
}

/** sleep waits ms. */
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** quiet waits ms and then asserts that none of clients got any of events. */
export async function expectNone(clients, events, ms = 400) {
  await sleep(ms);
  for (const c of clients) {
    for (const ev of events) {
      const got = c.received(ev);
      if (got.length) throw new Error(`unexpected "${ev}" on ${c.id}: ${JSON.stringify(got)}`);
    }
  }
}

/** query runs one SQL statement against the test database. */
export async function query(dbURL, sql, params = []) {
  const c = new pg.Client({ connectionString: dbURL });
  await c.connect();
  try { return (await c.query(sql, params)).rows; } finally { await c.end(); }
}

/** message builds a client-side Message like ChatInterface does. */
let seq = 0;
export function message(sender, fields = {}) {
  seq += 1;
  return {
    id: `c1e00000-0000-4000-8000-${String(Date.now() % 1e6).padStart(6, '0')}${String(seq).padStart(6, '0')}`,
    text: 'hello',
    senderId: sender.id,
    senderAlias: sender.alias,
    senderGender: sender.gender,
    timestamp: '2025-06-01T12:00:00.000Z',
    tenantId: TENANT_ID,
    tenantSlug: 'demo',
    ...fields,
  };
}

export const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
