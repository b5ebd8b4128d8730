#!/usr/bin/env node
// Replay recordings against the chatd binary:
//   node compat/replay/cli.mjs [--recordings DIR] [--scenario NAME]... [--no-deviations] [--verbose]
// Environment: RECORDINGS_DIR, CHATD_BIN (else built into bin/chatd),
// TEST_DATABASE_URL (the PostgreSQL server to create scratch databases on).
// Exit status 0 when every scenario matched, 1 otherwise.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { recordingsDir, runScenario, listRecordings } from './scenario.mjs';
import { execFileSync } from 'node:child_process';
import { loadDeviations, ruleHits, seededFacts } from './deviations.mjs';
import { loadRecording, seedPath } from './recording.mjs';
import { chatdBin } from '../lib/harness.mjs';
import { chatdEnv, defaultRecordingsDir } from './scenario.mjs';

const { values } = parseArgs({
  options: {
    recordings: { type: 'string' },
    scenario: { type: 'string', multiple: true },
    deviations: { type: 'string' },
    'no-deviations': { type: 'boolean' },
    'print-hits': { type: 'boolean' },
    verbose: { type: 'boolean', short: 'v' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log('usage: node compat/replay/cli.mjs [--recordings DIR] [--scenario NAME]... [--deviations DIR] [--no-deviations] [--verbose]\n' +
    '       node compat/replay/cli.mjs --print-hits [--recordings DIR]   (per rule, the steps it rewrites: checked_against)');
  process.exit(0);
}

const dir = recordingsDir(values.recordings);
let files = listRecordings(dir);
if (values.scenario?.length) {
  const want = new Set(values.scenario);
  files = files.filter((f) => want.has(path.basename(f, '.json')));
  if (!files.length) { console.error(`no scenario named ${values.scenario.join(', ')} in ${dir}`); process.exit(2); }
}
// Held-out folders may come without their own deviations.json: fall back to ours.
let deviations;
if (values['no-deviations']) deviations = { rules: [] };
else if (values.deviations) deviations = loadDeviations(path.resolve(values.deviations));
else {
  deviations = loadDeviations(dir);
  if (!deviations.rules.length) deviations = loadDeviations(recordingsDir());
}

if (values['print-hits']) {
  const recs = files.map(loadRecording);
  const facts = await seededFacts(seedPath(recs[0], defaultRecordingsDir), (url) => execFileSync(chatdBin(), ['migrate'], {
    env: { PATH: process.env.PATH, DATABASE_URL: url, ...chatdEnv(deviations, '') }, stdio: 'pipe',
  }));
  const hits = ruleHits(recs, deviations, facts);
  for (const r of deviations.rules) console.log(JSON.stringify({ id: r.id, checked_against: hits.get(r.id) }));
  process.exit(0);
}

const started = Date.now();
let failed = 0;
for (const file of files) {
  const name = path.basename(file, '.json');
  let res;
  try {
    res = await runScenario(file, { deviations, log: values.verbose ? (l) => console.log(l) : undefined });
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}: ${e.stack || e}`);
    continue;
  }
  const dev = res.applied.length ? ` (${res.applied.length} deviation applications: ${[...new Set(res.applied.map((a) => a.rule))].join(', ')})` : '';
  if (res.mismatches.length) {
    failed++;
    console.log(`FAIL ${name} in ${res.durationMs} ms${dev}`);
    for (const m of res.mismatches) console.log('  ' + String(m).replace(/\n/g, '\n  '));
  } else {
    console.log(`ok   ${name} in ${res.durationMs} ms${dev}`);
  }
}
console.log(`${files.length - failed}/${files.length} scenarios passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.exit(failed ? 1 : 0);
