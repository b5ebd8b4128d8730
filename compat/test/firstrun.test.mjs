// First run on a fresh machine: the real binary in an empty directory with
// an empty environment (only the listen ports set) serves the demo venue on
// the embedded SQLite store, keeps a guest's message across a restart, and
// its doctor finds nothing wrong.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chatdBin, freePort, spawnChatd } from '../lib/harness.mjs';
import { connect } from '../lib/socket.mjs';

/** start runs `chatd` (no command: serve) in dir with exactly env. */
const start = (dir, env) => spawnChatd([], { cwd: dir, env, url: `http://127.0.0.1:${env.PORT}` });

test('a fresh directory and an empty environment: help, demo venue, a guest message that survives a restart, doctor', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'chatd-firstrun-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const env = { PORT: String(await freePort()), API_PORT: String(await freePort()) };

  const help = spawnSync(chatdBin(), ['--help'], { cwd: dir, env, encoding: 'utf8' });
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /Usage:\n\s+chatd \[command\]/);
  assert.match(help.stdout, /tenant create/);
  const bad = spawnSync(chatdBin(), ['no-such-command'], { cwd: dir, env, encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /unknown command "no-such-command"[\s\S]*Usage:/);

  let server = await start(dir, env);
  t.after(() => server.stop());
  assert.deepEqual(await (await fetch(server.url + '/api/health')).json(), { status: 'ok' });
  assert.match(server.logs(), /created the demo venue/);
  assert.match(server.logs(), /generated BETTER_AUTH_SECRET/);
  assert.equal(statSync(path.join(dir, 'data', 'better_auth_secret')).mode & 0o777, 0o600);

  const tenant = await (await fetch(server.url + '/api/tenants/demo')).json();
  const general = tenant.rooms.find((r) => r.type === 'GENERAL');
  assert.ok(general, `demo has a general room: ${JSON.stringify(tenant.rooms)}`);
  assert.ok(tenant.rooms.some((r) => r.type === 'ANNOUNCEMENT'), 'demo has an announcement room');

  const guest = connect(server.url, { query: { tenantSlug: 'demo', userId: 'local-0000-ospite', userAlias: 'Ospite' } });
  t.after(() => guest.close());
  await guest.connected();
  const { id } = await guest.first('userCreated');
  await guest.join({ id, alias: 'Ospite', gender: 'other' });
  const sent = {
    id: 'f1257000-0000-4000-8000-000000000001', text: 'primo messaggio', senderId: id, senderAlias: 'Ospite',
    senderGender: 'other', timestamp: new Date().toISOString(), tenantId: tenant.id, tenantSlug: 'demo', roomId: general.id,
  };
  guest.emit('sendMessage', sent);
  const echoed = await guest.first('newMessage', { where: (m) => m.id === sent.id });
  assert.equal(echoed.text, 'primo messaggio');
  guest.close();

  await server.stop();
  server = await start(dir, env);
  assert.doesNotMatch(server.logs(), /created the demo venue/, 'the demo venue is made once');
  const history = await (await fetch(`${server.url}/api/messages?tenant=demo&roomId=${general.id}`)).json();
  assert.deepEqual(history.map((m) => [m.id, m.text]), [[sent.id, 'primo messaggio']]);
  await server.stop();

  const doctor = spawnSync(chatdBin(), ['doctor'], { cwd: dir, env, encoding: 'utf8' });
  assert.equal(doctor.status, 0, doctor.stdout + doctor.stderr);
  assert.match(doctor.stdout, /✓ database: sqlite reachable, schema complete/);
  assert.doesNotMatch(doctor.stdout, /✗/);
});

test('REDIS_URL without DATABASE_URL is refused with a clear message', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'chatd-firstrun-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const run = spawnSync(chatdBin(), ['serve'], { cwd: dir, env: { REDIS_URL: 'redis://127.0.0.1:6379/0' }, encoding: 'utf8' });
  assert.equal(run.status, 1);
  assert.match(run.stderr, /REDIS_URL is set but DATABASE_URL is not/);
});
