// Replaying one recording against a running chatd: execute each segment's
// actions in seq order, collect what every client observes, wait for the
// expected steps plus the quiet period, then match per client.
import { segments, isExpected, ACTION_KINDS } from './recording.mjs';
import { substitute } from './match.mjs';
import { SocketClient, doHTTP } from './clients.mjs';
import { matchSocketStep, matchHTTP, describe } from './compare.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Mismatch is one difference between the recording and chatd. */
export class Mismatch {
  constructor({ scenario, seq, client, expected, received, path, why, segment }) {
    Object.assign(this, { scenario, seq, client, expected, received, path, why, segment });
  }
  toString() {
    return `[${this.scenario}] segment ${this.segment}, client ${this.client ?? '-'}, step seq ${this.seq ?? '-'}: ${this.path ? this.path + ': ' : ''}${this.why}\n` +
      `    expected: ${this.expected}\n    received: ${this.received}`;
  }
}

/**
 * replay runs rec (already rewritten by the deviations) against baseURL.
 * Options: expectTimeoutMs (5000), quietMs (default: the barrier's),
 * log(line). Resolves {mismatches, vars, durationMs}.
 */
export async function replay(rec, baseURL, opts = {}) {
  const expectTimeoutMs = opts.expectTimeoutMs ?? 5000;
  const log = opts.log || (() => {});
  const started = Date.now();
  const clients = new Map();
  const mismatches = [];
  let vars = {};
  let inbox = [];
  let lastArrival = Date.now();
  const sink = (s) => { inbox.push(s); lastArrival = Date.now(); };
  const segs = segments(rec.steps);
  try {
    for (let si = 0; si < segs.length; si++) {
      const seg = segs[si];
      inbox = [];
      const httpResults = new Map();
      const expected = seg.steps.filter((s) => s.dir === 'in');
      const unordered = !!seg.barrier.unordered_segment;
      for (const step of seg.steps) {
        if (!ACTION_KINDS.has(step.kind)) continue;
        if (step.kind === 'sleep') { await sleep(step.ms); continue; }
        // Only refs the action sends (emit args, request) must be bound first.
        const needs = (step.volatile || []).filter((a) => a.role === 'ref' && a.var && !(a.var in vars) && /^(args|request)\b/.test(a.path));
        if (needs.length) vars = await waitForVars(needs.map((a) => a.var), expected, () => inbox, vars, unordered, expectTimeoutMs);
        if (step.kind === 'open_socket') {
          const c = new SocketClient(step.client, sink);
          clients.set(step.client, c);
          c.open(baseURL, step);
        } else if (step.kind === 'emit') {
          const c = clients.get(step.client);
          if (!c) { mismatches.push(new Mismatch({ scenario: rec.scenario, segment: si, seq: step.seq, client: step.client, why: 'emit on a socket that was never opened', expected: describe(step), received: '-' })); continue; }
          const args = substitute(step, step.args || [], 'args', vars);
          c.emit(step.event, args);
        } else if (step.kind === 'close_socket') {
          clients.get(step.client)?.close();
        } else if (step.kind === 'http') {
          const req = substitute(step, step.request, 'request', vars);
          let got;
          try {
            got = await doHTTP(baseURL, req);
          } catch (e) {
            got = { error: String(e.message || e), raw: Buffer.alloc(0) };
          }
          // Match at once (an exchange is synchronous) so later requests of the
          // segment can use what this response captured; socket steps seen so
          // far are matched first for the same reason.
          vars = matchSegment(rec, si, { steps: expected }, inbox, new Map(), vars, unordered, true).vars;
          const result = matchHTTP(step, got, vars);
          if (result.ok) vars = result.vars;
          httpResults.set(step.seq, { got, result });
        }
      }
      // Wait for every expected `in` step (by count per client), then the
      // quiet period, counted from the later of the last action and the last arrival.
      lastArrival = Math.max(lastArrival, Date.now());
      const want = countBy(expected.filter((s) => !s.optional));
      const deadline = Date.now() + expectTimeoutMs;
      while (Date.now() < deadline && !covered(want, countBy(inbox))) await sleep(10);
      const quiet = opts.quietMs ?? seg.barrier.quiet_ms ?? 400;
      const quietDeadline = Date.now() + quiet + 2000;
      while (Date.now() - lastArrival < quiet && Date.now() < quietDeadline) await sleep(10);
      if (Date.now() - lastArrival < quiet) await sleep(quiet);
      const received = inbox;
      inbox = [];
      const r = matchSegment(rec, si, seg, received, httpResults, vars, unordered);
      vars = r.vars;
      mismatches.push(...r.mismatches);
      log(`  segment ${si}: ${seg.steps.length} steps, ${received.length} socket steps observed${r.mismatches.length ? `, ${r.mismatches.length} mismatch(es)` : ''}`);
    }
  } finally {
    for (const c of clients.values()) { try { c.close(); } catch { /* already gone */ } }
  }
  return { mismatches, vars, durationMs: Date.now() - started };
}

function countBy(steps) {
  const m = new Map();
  for (const s of steps) m.set(s.client, (m.get(s.client) || 0) + 1);
  return m;
}

function covered(want, got) {
  for (const [c, n] of want) if ((got.get(c) || 0) < n) return false;
  return true;
}

/**
 * matchSegment matches the expected steps of one segment in seq order: per
 * client, observed steps are consumed in order (or as a multiset in an
 * unordered segment); HTTP steps are matched against their responses.
 * Observed steps left over are unexpected extra events.
 */
export function matchSegment(rec, si, seg, received, httpResults, vars, unordered, prefixOnly = false) {
  const mismatches = [];
  const byClient = new Map();
  for (const s of received) {
    if (!byClient.has(s.client)) byClient.set(s.client, []);
    byClient.get(s.client).push({ step: s, used: false });
  }
  const cursor = new Map();
  const failedClients = new Set();
  const mm = (o) => mismatches.push(new Mismatch({ scenario: rec.scenario, segment: si, ...o }));
  for (const exp of seg.steps.filter(isExpected)) {
    if (exp.kind === 'http') {
      if (prefixOnly) continue;
      const res = httpResults.get(exp.seq);
      if (!res) continue;
      const { got, result: r } = res;
      if (r.ok) vars = { ...r.vars, ...vars };
      else mm({ seq: exp.seq, client: exp.client, path: r.path, why: r.why, expected: describe(exp), received: got.error ? `no response: ${got.error}` : `status ${got.status} ${got.raw.toString('utf8').slice(0, 500)}` });
      continue;
    }
    if (failedClients.has(exp.client)) continue;
    const list = byClient.get(exp.client) || [];
    if (unordered) {
      let best = null;
      let found = false;
      for (const item of list) {
        if (item.used) continue;
        const r = matchSocketStep(exp, item.step, vars);
        if (r.ok) { item.used = true; vars = r.vars; found = true; break; }
        if (!best) best = { r, item };
      }
      if (!found && !prefixOnly && !exp.optional) {
        mm({ seq: exp.seq, client: exp.client, path: best?.r.path, why: best ? `no observed step matches (closest: ${best.r.why})` : 'expected step was not observed', expected: describe(exp), received: best ? describe(best.item.step) : '(nothing left for this client)' });
      }
      continue;
    }
    const i = cursor.get(exp.client) || 0;
    const item = list[i];
    // An optional step (see deviations: coalesced updates) may be absent.
    if (exp.optional && (!item || !matchSocketStep(exp, item.step, vars).ok)) continue;
    if (!item) {
      if (!prefixOnly) mm({ seq: exp.seq, client: exp.client, why: 'expected step was not observed', expected: describe(exp), received: '(nothing more for this client)' });
      failedClients.add(exp.client);
      continue;
    }
    const r = matchSocketStep(exp, item.step, vars);
    if (!r.ok) {
      if (!prefixOnly) mm({ seq: exp.seq, client: exp.client, path: r.path, why: r.why, expected: describe(exp), received: describe(item.step) });
      failedClients.add(exp.client);
      continue;
    }
    item.used = true;
    vars = r.vars;
    cursor.set(exp.client, i + 1);
  }
  if (!prefixOnly) {
    for (const [client, list] of byClient) {
      if (failedClients.has(client)) continue;
      for (const item of list) {
        if (!item.used) mm({ client, why: 'unexpected extra step', expected: '(nothing)', received: describe(item.step) });
      }
    }
  }
  return { mismatches, vars };
}

/** waitForVars matches what has arrived so far until the named variables are bound. */
async function waitForVars(names, expected, inbox, vars, unordered, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = matchSegment({ scenario: '' }, 0, { steps: expected }, inbox(), new Map(), vars, unordered, true);
    if (names.every((n) => n in r.vars) || Date.now() > deadline) return r.vars;
    await sleep(10);
  }
}
