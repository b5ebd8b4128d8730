// The end-to-end smoke test: the real binary boots on a fresh database,
// answers its probes, and refuses to start on a schema that lacks a column.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDatabase, startChatd, runSQL, withChatd } from '../lib/harness.mjs';

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
