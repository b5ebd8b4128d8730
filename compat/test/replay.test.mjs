// Replays every recording in the recordings folder against the chatd binary
// (one test per scenario), with the declared deviations applied, and proves
// the replayer can fail: a recording with one changed expected value and one
// with a missing expected event, both made on the fly from real recordings,
// must be reported as mismatches.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { recordingsDir, runScenario, listRecordings, defaultRecordingsDir } from '../replay/scenario.mjs';
import { execFileSync } from 'node:child_process';
import { loadDeviations, applyDeviations, seededFacts } from '../replay/deviations.mjs';
import { loadRecording, seedPath } from '../replay/recording.mjs';
import { chatdEnv } from '../replay/scenario.mjs';
import { chatdBin } from '../lib/harness.mjs';

const dir = recordingsDir();
const files = listRecordings(dir);
// A held-out folder may come without deviations.json: the declared ones apply.
let deviations = loadDeviations(dir);
if (!deviations.rules.length) deviations = loadDeviations(defaultRecordingsDir);

test('the recordings folder has scenarios', () => {
  assert.ok(files.length > 0, `no recordings in ${dir}`);
});

for (const file of files) {
  const name = path.basename(file, '.json');
  test(`replay ${name}`, { timeout: 120_000 }, async () => {
    const res = await runScenario(file, { deviations });
    assert.equal(res.mismatches.length, 0,
      `${name}: ${res.mismatches.length} mismatch(es)\n` + res.mismatches.map(String).join('\n') +
      `\nchatd log tail:\n${res.logs.slice(-2000)}`);
  });
}

/** findStep returns the first recording (and seq) with a step accepted by pred. */
function findStep(pred) {
  for (const file of files) {
    const step = JSON.parse(readFileSync(file, 'utf8')).steps.find(pred);
    if (step) return { file, seq: step.seq };
  }
  return null;
}

test('self-test: a changed expected value is reported', { timeout: 120_000 }, async () => {
  // A blockedUsers event with a literal payload: every chatd sends {blockedIds: []} there.
  const target = findStep((s) => s.kind === 'event' && s.event === 'blockedUsers' && !(s.volatile || []).length);
  assert.ok(target, 'no recording has a blockedUsers event');
  const res = await runScenario(target.file, {
    deviations,
    rewrite(rec) {
      const step = rec.steps.find((s) => s.seq === target.seq);
      step.args = [{ blockedIds: ['self-test-not-blocked'] }];
    },
  });
  const hit = res.mismatches.find((m) => m.seq === target.seq);
  assert.ok(hit, `the changed step seq ${target.seq} was not reported; mismatches:\n${res.mismatches.join('\n')}`);
  assert.match(hit.why + hit.path, /blockedIds|items|expected/);
});

test('self-test: a missing expected event is reported', { timeout: 120_000 }, async () => {
  const target = findStep((s) => s.kind === 'event' && s.event === 'blockedUsers' && !(s.volatile || []).length);
  const res = await runScenario(target.file, {
    deviations,
    rewrite(rec) {
      rec.steps = rec.steps.filter((s) => s.seq !== target.seq);
    },
  });
  // The event chatd still sends is now unexpected (or shifts the client's stream).
  const hit = res.mismatches.find((m) => /blockedUsers/.test(m.received));
  assert.ok(hit, `the removed blockedUsers was not reported; mismatches:\n${res.mismatches.join('\n')}`);
});

test('self-test: a changed HTTP status is reported', { timeout: 120_000 }, async () => {
  const target = findStep((s) => s.kind === 'http' && s.request.method === 'GET' && s.request.path === '/api/tenants' && !s.request.headers?.Origin);
  assert.ok(target, 'no recording has GET /api/tenants');
  const res = await runScenario(target.file, {
    deviations,
    rewrite(rec) { rec.steps.find((s) => s.seq === target.seq).response.status = 418; },
  });
  const hit = res.mismatches.find((m) => m.seq === target.seq);
  assert.ok(hit, 'the changed status was not reported');
  assert.match(hit.why, /expected 418/);
});

test('every scenario the deviations rewrite fails without them (no rule is slack)', { timeout: 600_000 }, async () => {
  const recs = files.map(loadRecording);
  const facts = await seededFacts(seedPath(recs[0], defaultRecordingsDir), (url) => execFileSync(chatdBin(), ['migrate'], {
    env: { PATH: process.env.PATH, DATABASE_URL: url, ...chatdEnv(deviations, '') }, stdio: 'pipe',
  }));
  const bare = { env: deviations.env, rules: [] };
  let checked = 0;
  for (const rec of recs) {
    const { applied } = applyDeviations(rec, deviations, facts);
    if (!applied.length) continue;
    checked++;
    // Any failure will do here, so a short wait for expected steps is enough.
    const res = await runScenario(rec.file, { deviations: bare, expectTimeoutMs: 1500 });
    assert.ok(res.mismatches.length > 0,
      `${rec.scenario} passes without its deviations (${[...new Set(applied.map((a) => a.rule))].join(', ')}): they hide nothing`);
  }
  assert.ok(checked > 0 || recs.length === 0, 'no scenario is rewritten by the deviations');
});
