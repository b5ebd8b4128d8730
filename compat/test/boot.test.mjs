// The end-to-end smoke test: the real binary boots on a fresh database,
// answers its probes, and refuses to start on a schema that lacks a column.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDatabase, startChatd, runSQL, withChatd, freePort } from '../lib/harness.mjs';
import { io } from 'socket.io-client';

test('chatd boots, migrates and answers health and readiness', async (t) => {
  const { server } = await withChatd(t);
  const health = await fetch(server.url + '/api/health');
  assert.equal(health.status, 200);
  assert.deepEqual(await health.json(), { status: 'ok' });
  const ready = await fetch(server.url + '/api/ready');
  assert.equal(ready.status, 200);
});

test('chatd serve refuses a schema with a missing column and names it', async (t) => {
  const db = await createDatabase();
  t.after(() => db.drop());
  const first = await startChatd({ dbURL: db.url });
  await first.stop();
  await runSQL(db.url, 'ALTER TABLE "Message" DROP COLUMN "imageUrl"');
  await assert.rejects(startChatd({ dbURL: db.url, migrate: false }), /missing column \\?"Message\\?"\.\\?"imageUrl\\?"/);
});

test('METRICS_ADDR serves Prometheus series on its own listener, not on the public port', async (t) => {
  const metricsPort = await freePort();
  const { server } = await withChatd(t, { env: { METRICS_ADDR: `127.0.0.1:${metricsPort}` } });
  await fetch(server.url + '/api/tenants/demo');
  const socket = io(server.url, { auth: { token: null }, query: { tenantSlug: 'demo' }, transports: ['websocket'], reconnection: false });
  t.after(() => socket.close());
  await new Promise((resolve, reject) => { socket.on('connect', resolve); socket.on('connect_error', reject); });
  const body = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  assert.match(body, /chatd_http_requests_total\{method="GET",route="\/api\/tenants\/:slug",status="200"\} 1/);
  assert.match(body, /chatd_socket_connections 1/);
  assert.match(body, /go_goroutines \d+/);
  assert.equal((await fetch(server.url + '/metrics')).status, 404, 'metrics are not on the public port');
});
