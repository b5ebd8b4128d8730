// startBetterAuth runs server.mjs (the reference BetterAuth 1.4.18) on a
// free port against dbURL; returns { url, logs(), stop() }.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, secret } from '../lib/harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

export async function startBetterAuth({ dbURL, env = {} }) {
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(here, 'server.mjs')], {
    env: {
      PATH: process.env.PATH, TZ: 'UTC', NODE_ENV: 'test',
      DATABASE_URL: dbURL, BETTER_AUTH_SECRET: secret, PORT: String(port), ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('BetterAuth did not start:\n' + output)), 20000);
    child.stdout.on('data', (d) => {
      output += d;
      if (output.includes('ready ')) { clearTimeout(timer); resolve(); }
    });
    child.stderr.on('data', (d) => { output += d; });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`BetterAuth exited (${code}):\n${output}`)); });
  });
  await ready;
  return {
    url: `http://127.0.0.1:${port}`,
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
