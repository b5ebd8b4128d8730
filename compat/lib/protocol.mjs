// Helpers for the raw-protocol suites (protocol-*.test.mjs): the
// conformance server built and started on a free port, a websocket whose
// events can be awaited in order, and polling requests over fetch.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import WebSocket from 'ws';
import { repoRoot } from './harness.mjs';

// The suites' settings, mirrored by compat/conformance.
export const PING_INTERVAL = 300;
export const PING_TIMEOUT = 200;
export const MAX_PAYLOAD = 1_000_000;

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** conformanceBin builds compat/conformance once per process into a temp dir. */
export function conformanceBin() {
  if (process.env.CONFORMANCE_BIN) return process.env.CONFORMANCE_BIN;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'chatd-conformance-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const out = path.join(dir, 'conformance');
  execFileSync('go', ['build', '-o', out, './compat/conformance'], { cwd: repoRoot, stdio: 'inherit' });
  process.env.CONFORMANCE_BIN = out;
  return out;
}

/**
 * startConformance runs the conformance server on a free loopback port and
 * resolves once it listens: { http, ws, stop() }.
 */
export async function startConformance() {
  const args = ['-addr', '127.0.0.1:0'];
  if (process.env.CONFORMANCE_VERBOSE) args.push('-v');
  const child = spawn(conformanceBin(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
    if (process.env.CONFORMANCE_VERBOSE) process.stderr.write(d);
  });
  const lines = createInterface({ input: child.stdout });
  const base = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('conformance server did not start: ' + stderr)), 30_000);
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`conformance server exited ${code}: ${stderr}`)); });
    lines.once('line', (line) => {
      clearTimeout(timer);
      const m = /^listening on (http:\/\/\S+)$/.exec(line);
      m ? resolve(m[1]) : reject(new Error('unexpected first line: ' + line));
    });
  });
  return {
    http: base,
    ws: base.replace(/^http/, 'ws'),
    logs: () => stderr,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * Conn is a raw websocket whose open/message/close events are queued, so a
 * test awaits them one by one in arrival order and never misses one that
 * came before it asked. Text frames arrive as strings, binary as Buffers.
 */
export class Conn {
  constructor(url) {
    this.ws = new WebSocket(url);
    this.queues = { open: [], message: [], close: [] };
    this.waiters = { open: [], message: [], close: [] };
    this.ws.on('open', () => this.#push('open', true));
    this.ws.on('message', (data, isBinary) => this.#push('message', isBinary ? Buffer.from(data) : data.toString()));
    this.ws.on('close', (code) => {
      this.#push('close', code);
      // nothing else will arrive: fail whoever still waits for a message
      for (const waiter of this.waiters.message.splice(0)) waiter(new Error('connection closed'));
    });
    this.ws.on('error', () => {}); // a refused upgrade also ends in 'close'
  }

  #push(type, value) {
    const waiter = this.waiters[type].shift();
    waiter ? waiter(value) : this.queues[type].push(value);
  }

  /** next resolves with the next event of type, rejecting after ms. */
  next(type, ms = 3000) {
    if (this.queues[type].length) return Promise.resolve(this.queues[type].shift());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters[type] = this.waiters[type].filter((w) => w !== waiter);
        reject(new Error(`no websocket ${type} within ${ms} ms`));
      }, ms);
      const waiter = (value) => {
        clearTimeout(timer);
        value instanceof Error ? reject(value) : resolve(value);
      };
      this.waiters[type].push(waiter);
    });
  }

  message(ms) { return this.next('message', ms); }

  /** messages collects n messages, skipping Engine.IO pings ("2"). */
  async messages(n, ms = 3000) {
    const out = [];
    while (out.length < n) {
      const m = await this.message(ms);
      if (m !== '2') out.push(m);
    }
    return out;
  }

  /** closed resolves when the server closes the connection. */
  closed(ms) { return this.next('close', ms); }

  send(data) { this.ws.send(data); }

  close() { this.ws.close(); }
}

/** handshakeOf parses an Engine.IO OPEN packet ("0{...}"). */
export function handshakeOf(packet) {
  if (typeof packet !== 'string' || packet[0] !== '0') throw new Error('not an open packet: ' + packet);
  return JSON.parse(packet.slice(1));
}

/** Polling drives one Engine.IO polling session with fetch. */
export class Polling {
  constructor(base, pathName) {
    this.url = `${base}${pathName}?EIO=4&transport=polling`;
    this.sid = '';
  }

  /** open handshakes and keeps the sid; resolves with the handshake. */
  async open() {
    const res = await fetch(this.url);
    if (res.status !== 200) throw new Error('handshake status ' + res.status);
    const hs = handshakeOf(await res.text());
    this.sid = hs.sid;
    return hs;
  }

  sessionURL(extra = '') { return `${this.url}&sid=${this.sid}${extra}`; }

  /** get polls once: { status, body }. */
  async get(init = {}, extra = '') {
    const res = await fetch(this.sessionURL(extra), init);
    return { status: res.status, body: await res.text() };
  }

  /** post sends a payload: { status, body }, or { status: 0 } if the server dropped the connection. */
  async post(payload) {
    try {
      const res = await fetch(this.sessionURL(), { method: 'POST', body: payload });
      return { status: res.status, body: await res.text() };
    } catch {
      return { status: 0, body: '' };
    }
  }
}

export const HANDSHAKE_KEYS = ['maxPayload', 'pingInterval', 'pingTimeout', 'sid', 'upgrades'];
