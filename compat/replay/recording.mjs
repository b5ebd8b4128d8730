// Loading recordings and cutting them into segments.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import path from 'node:path';

export const ACTION_KINDS = new Set(['open_socket', 'emit', 'close_socket', 'http', 'sleep']);

/** isExpected tells whether a step is something the replayer must observe. */
export function isExpected(step) {
  return step.dir === 'in' || step.kind === 'http';
}

/** listRecordings returns the scenario files of dir (every *.json except deviations.json), sorted. */
export function listRecordings(dir) {
  if (!existsSync(dir)) throw new Error(`recordings folder ${dir} does not exist`);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json') && f !== 'deviations.json')
    .sort()
    .map((f) => path.join(dir, f));
}

export function loadRecording(file) {
  const rec = JSON.parse(readFileSync(file, 'utf8'));
  if (!rec || !Array.isArray(rec.steps)) throw new Error(`${file}: not a recording (no steps array)`);
  rec.file = file;
  rec.dir = path.dirname(file);
  if (!rec.scenario) rec.scenario = path.basename(file, '.json');
  rec.steps = [...rec.steps].sort((a, b) => a.seq - b.seq);
  return rec;
}

/**
 * segments cuts steps at barriers. Each segment is {steps, barrier}; steps
 * after the last barrier form a final segment with a default barrier.
 */
export function segments(steps) {
  const out = [];
  let cur = [];
  for (const s of steps) {
    if (s.kind === 'barrier') { out.push({ steps: cur, barrier: s }); cur = []; continue; }
    cur.push(s);
  }
  if (cur.length) out.push({ steps: cur, barrier: { kind: 'barrier', quiet_ms: 400, seq: Infinity } });
  return out;
}

/** seedPath resolves a recording's seed_ref (relative to its folder). */
export function seedPath(rec, fallbackDir) {
  const own = path.resolve(rec.dir, rec.seed_ref || 'seed.sql');
  if (existsSync(own) || !fallbackDir) return own;
  // A folder shipped without its seed uses the shared one (same seed_ref).
  return path.resolve(fallbackDir, path.basename(rec.seed_ref || 'seed.sql'));
}
