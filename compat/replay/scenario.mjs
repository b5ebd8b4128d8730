// One scenario end to end: a fresh database with the recording's seed, a
// fresh chatd, the declared deviations applied, the replay, the clean-up.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createDatabase, runSQL, startChatd, chatdBin, secret, repoRoot } from '../lib/harness.mjs';
import { listRecordings, loadRecording, seedPath } from './recording.mjs';
import { loadDeviations, applyDeviations, loadFacts } from './deviations.mjs';
import { replay } from './runner.mjs';

export const defaultRecordingsDir = path.join(repoRoot, 'testdata', 'recordings');

/** recordingsDir resolves --recordings / RECORDINGS_DIR / the default. */
export function recordingsDir(flag) {
  return path.resolve(flag || process.env.RECORDINGS_DIR || defaultRecordingsDir);
}

/**
 * chatdEnv is the environment chatd runs with for a replay: the recorder's
 * NODE_ENV, a CORS allow-list (see deviations.json "env"), overridable per
 * scenario by the deviations file.
 */
export function chatdEnv(deviations, scenario) {
  return {
    NODE_ENV: 'production',
    BETTER_AUTH_SECRET: secret,
    LOG_LEVEL: 'error',
    ...(deviations.env || {}),
    ...((deviations.scenario_env || {})[scenario] || {}),
  };
}

/**
 * runScenario replays one recording file. Options: deviations (loaded
 * object, default: the folder's deviations.json, or none), log,
 * rewrite(rec) to alter the recording after the deviations (self-tests).
 * Resolves {scenario, mismatches, applied, durationMs, logs}.
 */
export async function runScenario(file, opts = {}) {
  const started = Date.now();
  const rec = loadRecording(file);
  const deviations = opts.deviations ?? loadDeviations(path.dirname(file));
  const db = await createDatabase();
  let server;
  try {
    const env = chatdEnv(deviations, rec.scenario);
    const bin = chatdBin();
    execFileSync(bin, ['migrate'], { env: { PATH: process.env.PATH, DATABASE_URL: db.url, ...env }, stdio: 'pipe' });
    await runSQL(db.url, readFileSync(seedPath(rec, defaultRecordingsDir), 'utf8'));
    const facts = await loadFacts(db.url);
    const { steps, applied } = applyDeviations(rec, deviations, facts);
    rec.steps = steps;
    if (opts.rewrite) opts.rewrite(rec);
    server = await startChatd({ dbURL: db.url, env, migrate: false });
    const res = await replay(rec, server.url, { log: opts.log, expectTimeoutMs: opts.expectTimeoutMs });
    return { scenario: rec.scenario, mismatches: res.mismatches, applied, durationMs: Date.now() - started, logs: server.logs() };
  } finally {
    if (server) await server.stop();
    await db.drop();
  }
}

export { listRecordings, loadRecording };
