// Shared harness for the Node suites: a fresh database per test, the real
// chatd binary started on a free loopback port, and the seed loaded.
import { spawn, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '..', '..');
export const adminURL = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable';
export const secret = 'compat-test-secret-at-least-32-characters';

/** chatdBin is the binary under test: $CHATD_BIN, else built once into bin/. */
export function chatdBin() {
  if (process.env.CHATD_BIN) return process.env.CHATD_BIN;
  const out = path.join(repoRoot, 'bin', 'chatd');
  execFileSync('go', ['build', '-o', out, './cmd/chatd'], { cwd: repoRoot, stdio: 'inherit' });
  process.env.CHATD_BIN = out;
  return out;
}

/** createDatabase makes an empty database; drop() removes it. */
export async function createDatabase() {
  const name = 'chatd_compat_' + randomBytes(6).toString('hex');
  const admin = new pg.Client({ connectionString: adminURL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(adminURL);
  u.pathname = '/' + name;
  return {
    url: u.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: adminURL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** runSQL runs a script (e.g. a seed file's text) against url. */
export async function runSQL(url, sql) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try { return await c.query(sql); } finally { await c.end(); }
}

export function seedSQL(file = path.join(repoRoot, 'testdata', 'recordings', 'seed.sql')) {
  return readFileSync(file, 'utf8');
}

export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
    srv.on('error', reject);
  });
}

/**
 * startChatd migrates dbURL and serves chatd on a free port.
 * Returns { url, port, logs(), stop() }. env entries override the defaults.
 */
export async function startChatd({ dbURL, env = {}, migrate = true } = {}) {
  const bin = chatdBin();
  const port = await freePort();
  const fullEnv = {
    PATH: process.env.PATH,
    DATABASE_URL: dbURL,
    BETTER_AUTH_SECRET: secret,
    NODE_ENV: 'test',
    PORT: String(port),
    API_PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    ...env,
  };
  if (migrate) execFileSync(bin, ['migrate'], { env: fullEnv, stdio: 'pipe' });
  const child = spawn(bin, ['serve'], { env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`chatd exited (${child.exitCode}):\n${output}`);
    try {
      const r = await fetch(url + '/api/health');
      if (r.ok) break;
    } catch { /* not up yet */ }
    if (Date.now() > deadline) { child.kill('SIGKILL'); throw new Error(`chatd did not start:\n${output}`); }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url, port, child,
    logs: () => output,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * withCluster gives a test two chatd processes, a and b, on one seeded
 * database and one Redis (TEST_REDIS_URL) under a prefix of the test's own:
 * Redis pub/sub channels are shared by every database number, so only a
 * prefix keeps parallel runs apart.
 */
export async function withCluster(t) {
  const db = await createDatabase();
  t.after(() => db.drop());
  const env = { REDIS_URL: process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379/0', REDIS_PREFIX: 'chatd-test-' + randomBytes(6).toString('hex') };
  const a = await startChatd({ dbURL: db.url, env });
  t.after(() => a.stop());
  await runSQL(db.url, seedSQL());
  const b = await startChatd({ dbURL: db.url, env, migrate: false });
  // stop() waits for an exit that a SIGKILLed process already had.
  t.after(() => (b.child.signalCode ? undefined : b.stop()));
  return { a, b, db };
}

/** withChatd gives a test a seeded database and a running chatd, cleaned up after. */
export async function withChatd(t, { seed = true, env = {} } = {}) {
  const db = await createDatabase();
  t.after(() => db.drop());
  let server;
  try {
    server = await startChatd({ dbURL: db.url, env });
  } catch (e) { throw e; }
  t.after(() => server.stop());
  if (seed) await runSQL(db.url, seedSQL());
  return { db, server };
}
