// Drives compat/adapterpeer: chatd's Redis adapter over a recording
// namespace of fake sockets, in its own process, as one server of a cluster.
import { spawn, execFileSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { repoRoot } from './harness.mjs';

/** adapterPeerBin is the peer binary: $ADAPTERPEER_BIN, else built once into bin/. */
export function adapterPeerBin() {
  if (process.env.ADAPTERPEER_BIN) return process.env.ADAPTERPEER_BIN;
  const out = path.join(repoRoot, 'bin', 'adapterpeer');
  execFileSync('go', ['build', '-race', '-o', out, './compat/adapterpeer'], { cwd: repoRoot, stdio: 'inherit' });
  process.env.ADAPTERPEER_BIN = out;
  return out;
}

/**
 * startAdapterPeer starts a peer on redisURL and prefix and waits until it
 * is subscribed. Returns an AdapterPeer; call stop().
 */
export async function startAdapterPeer({ redisURL, prefix }) {
  const child = spawn(adapterPeerBin(), ['-redis', redisURL, '-prefix', prefix], { stdio: ['pipe', 'pipe', 'pipe'] });
  const peer = new AdapterPeer(child);
  const [ready] = await peer.next('ready', { timeout: 10000 });
  peer.uid = ready.uid;
  return peer;
}

/** Binary attachments cross as base64. */
const toBase64 = (bufs = []) => bufs.map((b) => Buffer.from(b).toString('base64'));
const fromBase64 = (list) => (list ?? []).map((s) => Buffer.from(s, 'base64'));

export class AdapterPeer {
  constructor(child) {
    this.child = child;
    this.events = [];
    this.waiters = [];
    this.replies = new Map();
    this.seq = 0;
    this.stderr = '';
    child.stderr.on('data', (d) => { this.stderr += d; });
    createInterface({ input: child.stdout }).on('line', (line) => this.#line(JSON.parse(line)));
  }

  #line(msg) {
    if (msg.reply !== undefined) {
      const pending = this.replies.get(msg.reply);
      this.replies.delete(msg.reply);
      if (msg.error) pending?.reject(new Error(msg.error));
      else pending?.resolve(msg.result);
      return;
    }
    if (msg.packet) msg.packet.attachments = fromBase64(msg.packet.attachments);
    if (msg.event === 'ack') msg.attachments = fromBase64(msg.attachments);
    this.events.push(msg);
    for (const w of [...this.waiters]) w();
  }

  /** call runs one command and resolves with its result. */
  call(op, fields = {}) {
    const id = ++this.seq;
    const cmd = { id, op, ...fields };
    if (fields.attachments) cmd.attachments = toBase64(fields.attachments);
    return new Promise((resolve, reject) => {
      this.replies.set(id, { resolve, reject });
      this.child.stdin.write(JSON.stringify(cmd) + '\n');
    });
  }

  /** next resolves with every event named name (matching where) once there are count of them. */
  next(name, { where = () => true, count = 1, timeout = 5000 } = {}) {
    return new Promise((resolve, reject) => {
      const matching = () => this.events.filter((e) => e.event === name && where(e));
      const check = () => {
        const got = matching();
        if (got.length < count) return false;
        done();
        resolve(got);
        return true;
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeout} ms waiting for ${count} "${name}"; events: ${JSON.stringify(this.events.map((e) => e.event))}\n${this.stderr}`));
      }, timeout);
      const done = () => { clearTimeout(timer); this.waiters = this.waiters.filter((w) => w !== check); };
      if (!check()) this.waiters.push(check);
    });
  }

  /** received lists the events named name so far. */
  received(name) { return this.events.filter((e) => e.event === name); }

  /** stop closes the peer; it throws when the peer failed (a data race exits with 66). */
  async stop() {
    if (this.child.exitCode === null) {
      const exited = new Promise((r) => this.child.once('exit', r));
      this.child.stdin.end(JSON.stringify({ op: 'close' }) + '\n');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    if (this.child.exitCode !== 0) throw new Error(`adapterpeer exited with ${this.child.exitCode ?? this.child.signalCode}:\n${this.stderr}`);
  }
}
