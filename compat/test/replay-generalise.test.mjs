// The declared deviations are rules keyed by what a step looks like, so a
// held-out recording with the same deliberate change is rewritten too. These
// hand-made recordings (compat/replay/synthetic/, shaped like the held-out
// security_* ones, with the original's behaviour as the README documents it)
// exercise the rules no shared recording hits, against the real chatd.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { runScenario, listRecordings, defaultRecordingsDir } from '../replay/scenario.mjs';
import { loadDeviations } from '../replay/deviations.mjs';

const dir = path.join(import.meta.dirname, '..', 'replay', 'synthetic');
const deviations = loadDeviations(defaultRecordingsDir);

for (const file of listRecordings(dir)) {
  const name = path.basename(file, '.json');
  test(`synthetic ${name}: passes only through declared deviations`, { timeout: 120_000 }, async () => {
    const res = await runScenario(file, { deviations });
    assert.equal(res.mismatches.length, 0, res.mismatches.map(String).join('\n'));
    assert.ok(res.applied.length > 0, 'no deviation rule applied: the fixture no longer exercises one');
    // Without the rules the same recording must fail: each applied rule is load-bearing.
    const bare = await runScenario(file, { deviations: { env: deviations.env, rules: [] }, expectTimeoutMs: 1500 });
    assert.ok(bare.mismatches.length > 0, 'passes without the deviations: the fixture proves nothing');
  });
}
