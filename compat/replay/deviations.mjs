// The declared deviations (testdata/recordings/deviations.json): rules that
// say where chatd deliberately differs from the recorded original and how the
// expected steps change. A rule is keyed by what a step looks like (plus a few
// computed facts: is this token a live session, is this join for the socket's
// own user, is this Origin on the allow-list), so a held-out recording with
// the same deliberate change is rewritten too. Nothing else is rewritten: any
// other difference is a failure.
import { existsSync, readFileSync } from 'node:fs';
import { context, sanitizeAlias } from './facts.mjs';
import { keepOlderSocket } from './ghost.mjs';
import path from 'node:path';
import { getPath, setPath, deletePath, parsePath } from './match.mjs';
import { ACTION_KINDS } from './recording.mjs';

export function loadDeviations(dir) {
  const file = path.join(dir, 'deviations.json');
  if (!existsSync(file)) return { rules: [] };
  return JSON.parse(readFileSync(file, 'utf8'));
}

function testValue(cond, v) {
  if (cond !== null && typeof cond === 'object' && !Array.isArray(cond)) {
    if ('present' in cond) return (v !== undefined) === cond.present;
    if ('regex' in cond) return typeof v === 'string' && new RegExp(cond.regex).test(v);
    if ('in' in cond) return cond.in.some((c) => JSON.stringify(c) === JSON.stringify(v));
    if ('not' in cond) return JSON.stringify(cond.not) !== JSON.stringify(v);
  }
  return JSON.stringify(cond) === JSON.stringify(v);
}

/** matches tells whether rule.when holds for step in scenario. */
function matches(when, step, scenario, x) {
  for (const [k, cond] of Object.entries(when)) {
    if (k === 'scenario') { if (!testValue(cond, scenario)) return false; continue; }
    if (k === 'fields') {
      for (const [p, c] of Object.entries(cond)) {
        if (!testValue(c, getPath(step, p))) return false;
      }
      continue;
    }
    if (k === 'facts') {
      for (const [f, c] of Object.entries(cond)) if (!testValue(c, x[f])) return false;
      continue;
    }
    if (k === 'path') { if (!testValue(cond, step.request?.path)) return false; continue; }
    if (k === 'method') { if (!testValue(cond, step.request?.method)) return false; continue; }
    if (k === 'status') { if (!testValue(cond, step.response?.status)) return false; continue; }
    if (!testValue(cond, step[k])) return false;
  }
  return true;
}

const startsWithPath = (p, prefix) => p === prefix || p.startsWith(prefix + '.') || p.startsWith(prefix + '[');

/** dropVolatile removes annotations at or under prefix. */
function dropVolatile(step, prefix) {
  if (step.volatile) step.volatile = step.volatile.filter((a) => !startsWithPath(a.path, prefix));
  if (step.unordered_arrays) step.unordered_arrays = step.unordered_arrays.filter((p) => !startsWithPath(p, prefix));
}

/** expandStar lists concrete paths for a path with `[*]` over arrays of step. */
function expandStar(step, p) {
  const i = p.indexOf('[*]');
  if (i < 0) return [p];
  const head = p.slice(0, i);
  const arr = getPath(step, head);
  if (!Array.isArray(arr)) return [];
  return arr.flatMap((_, j) => expandStar(step, `${head}[${j}]${p.slice(i + 3)}`));
}

/** Ops that rewrite the matched step itself. */
const stepOps = {
  set(step, op) {
    for (const p of expandStar(step, op.path)) {
      dropVolatile(step, p);
      setPath(step, p, structuredClone(op.value));
    }
    if (op.volatile) step.volatile = [...(step.volatile || []), ...structuredClone(op.volatile)];
    if (op.unordered_arrays) step.unordered_arrays = [...(step.unordered_arrays || []), ...op.unordered_arrays];
  },
  delete(step, op) {
    for (const p of expandStar(step, op.path).reverse()) {
      dropVolatile(step, p);
      deletePath(step, p);
    }
  },
  // Copy a value from elsewhere in the step (e.g. a request field the response echoes), when present.
  copy(step, op) {
    const v = getPath(step, op.from);
    if (v === undefined) return;
    dropVolatile(step, op.to);
    setPath(step, op.to, structuredClone(v));
  },
  sanitize_alias(step, op) {
    const v = getPath(step, op.path);
    if (typeof v === 'string') setPath(step, op.path, sanitizeAlias(v));
  },
  // The validate-nas answer chatd computes from the seeded devices: nasId first,
  // then bssid, then the client IP (query publicIp from a trusted loopback
  // peer, else the right-most X-Forwarded-For entry, else 127.0.0.1).
  nas_lookup(step, op, facts) {
    const q = op.from === 'body' ? step.request?.body?.json || {} : step.request?.query || {};
    const h = step.request?.headers || {};
    const xffKey = Object.keys(h).find((k) => k.toLowerCase() === 'x-forwarded-for');
    const xff = xffKey === undefined ? [] : String(h[xffKey]).split(',').map((v) => v.trim()).filter(Boolean);
    // docs/http-routes.md, "Client IP", with the default TRUSTED_PROXIES (loopback): walk from the right past trusted entries.
    const trusted = (v) => /^127\./.test(v) || v === '::1';
    const ip = q.publicIp || [...xff].reverse().find((v) => !trusted(v)) || xff[0] || '127.0.0.1';
    const nas = facts.nas || [];
    const hit = (q.nasId && nas.find((n) => n.nasId === q.nasId)) || (q.bssid && nas.find((n) => n.bssid === q.bssid)) ||
      nas.find((n) => n.publicIp === ip);
    dropVolatile(step, 'response.body');
    step.response.body = { json: hit ? { valid: true, tenant: hit.tenant } : { valid: false } };
  },
  // Keep only the listed keys of each object at path (e.g. a PublicUser).
  pick_keys(step, op) {
    for (const p of expandStar(step, op.path)) {
      const obj = getPath(step, p);
      if (!obj || typeof obj !== 'object') continue;
      for (const k of Object.keys(obj)) {
        if (!op.keys.includes(k)) { dropVolatile(step, `${p}.${k}`); delete obj[k]; }
      }
    }
  },
  // Remove keys from every object under path that has all of where_has.
  strip_keys(step, op) {
    const walk = (v, p) => {
      if (Array.isArray(v)) { v.forEach((e, i) => walk(e, `${p}[${i}]`)); return; }
      if (!v || typeof v !== 'object') return;
      if ((op.where_has || []).every((k) => k in v)) {
        for (const k of op.keys) if (k in v) { dropVolatile(step, `${p}.${k}`); delete v[k]; }
      }
      for (const [k, e] of Object.entries(v)) walk(e, `${p}.${k}`);
    };
    walk(getPath(step, op.path), op.path);
  },
  // Filter an array (keep elements matching `keep`, drop those matching
  // `drop`), re-indexing volatile paths; then add keys copied from others.
  map_array(step, op) {
    const arr = getPath(step, op.path);
    if (!Array.isArray(arr)) return;
    const ok = (e) => (!op.keep || Object.entries(op.keep).every(([k, c]) => testValue(c, getPath(e, k)))) &&
      (!op.drop || !Object.entries(op.drop).every(([k, c]) => testValue(c, getPath(e, k))));
    const newIndex = [];
    const kept = [];
    arr.forEach((e, i) => { if (ok(e)) { newIndex[i] = kept.length; kept.push(e); } else newIndex[i] = -1; });
    const re = new RegExp('^' + op.path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + '\\[(\\d+)\\]');
    step.volatile = (step.volatile || []).flatMap((a) => {
      const m = a.path.match(re);
      if (!m) return [a];
      const j = newIndex[Number(m[1])];
      return j < 0 ? [] : [{ ...a, path: a.path.replace(re, `${op.path}[${j}]`) }];
    });
    setPath(step, op.path, kept);
    for (const [to, from] of Object.entries(op.copy || {})) {
      kept.forEach((e, j) => {
        e[to] = structuredClone(e[from]);
        const src = (step.volatile || []).find((a) => a.path === `${op.path}[${j}].${from}`);
        if (src) {
          const copy = { ...src, path: `${op.path}[${j}].${to}` };
          if (copy.var) copy.role = 'ref';
          delete copy.lenient;
          step.volatile.push(copy);
        }
      });
    }
  },
};

/**
 * applyDeviations returns the recording's steps rewritten by every rule
 * whose `when` holds, in file order, plus the list of applications.
 */
export function applyDeviations(rec, deviations, facts) {
  let steps = structuredClone(rec.steps);
  const applied = [];
  const env = deviations.env || {};
  for (const rule of deviations.rules || []) {
    const x = context(steps, facts, env);
    const hits = steps.filter((s) => matches(rule.when || {}, s, rec.scenario, x.get(s.seq) || {}));
    for (const hit of hits) {
      const before = JSON.stringify(steps);
      for (const op of rule.rewrite || []) {
        if (stepOps[op.op]) { stepOps[op.op](hit, op, facts); continue; }
        if (op.op === 'drop') { steps = steps.filter((s) => s !== hit); continue; }
        if (op.op === 'replace_effects') { steps = replaceEffects(steps, hit, op); continue; }
        if (op.op === 'reject_client') { steps = rejectClient(steps, hit); continue; }
        if (op.op === 'keep_older_socket') { steps = keepOlderSocket(steps, hit); continue; }
        if (op.op === 'not_joined_after') { steps = notJoinedAfter(steps, hit, x); continue; }
        throw new Error(`deviations.json rule ${rule.id}: unknown op ${op.op}`);
      }
      // Only a rule that changed something counts as applied.
      if (JSON.stringify(steps) === before) continue;
      applied.push({ rule: rule.id, scenario: rec.scenario, seq: hit.seq });
      hit.deviation = [...(hit.deviation || []), rule.id];
    }
  }
  return { steps, applied };
}

/**
 * replaceEffects drops the expected `in` steps that follow an action up to
 * the next action or barrier (optionally only some kinds/events/clients) and
 * inserts op.with steps right after the action.
 */
function replaceEffects(steps, action, op) {
  const idx = steps.indexOf(action);
  let end = idx + 1;
  while (end < steps.length && steps[end].kind !== 'barrier' && !(ACTION_KINDS.has(steps[end].kind) && (op.until_next_action ?? true))) end++;
  const who = (s) => {
    const c = op.clients || 'all';
    if (c === 'all') return true;
    if (c === 'self') return s.client === action.client;
    if (c === 'others') return s.client !== action.client;
    return Array.isArray(c) && c.includes(s.client);
  };
  const dropped = new Set();
  for (let i = idx + 1; i < end; i++) {
    const s = steps[i];
    if (s.dir !== 'in' || !who(s)) continue;
    if (op.kinds && !op.kinds.includes(s.kind)) continue;
    if (op.events && s.kind === 'event' && !op.events.includes(s.event)) continue;
    if (op.events && !op.kinds && s.kind !== 'event') continue;
    dropped.add(s);
  }
  // The replacement takes the place of the first dropped step (so it keeps
  // its position in the client's ordered stream), else follows the action.
  const anchor = steps.slice(idx + 1, end).find((s) => dropped.has(s));
  const base = anchor ? anchor.seq : action.seq;
  const inserted = (op.with || []).map((w, i) => {
    const s = structuredClone(w);
    s.client = s.client === '$self' || s.client === undefined ? action.client : s.client;
    s.dir = s.dir || 'in';
    s.seq = base + (i + 1) / 1000;
    return s;
  });
  const out = [];
  let placed = false;
  for (const s of steps) {
    if (s === anchor) { out.push(...inserted); placed = true; }
    if (!dropped.has(s)) out.push(s);
    if (s === action && !anchor) { out.push(...inserted); placed = true; }
  }
  if (!placed) out.push(...inserted);
  return out;
}

/**
 * notJoinedAfter: a refused join leaves a socket that never joined before
 * without a tenant, so until it joins for its own user, what needs a joined
 * tenant (sendMessage, deleteMessage, reportUser, hideConversation) does
 * nothing, and its disconnect changes no presence (docs/socket-events.md, "Client to server events" and "Disconnect").
 */
function notJoinedAfter(steps, join, x) {
  const c = join.client;
  const before = steps.slice(0, steps.indexOf(join));
  if (before.some((s) => s.client === c && s.kind === 'emit' && s.event === 'join' && x.get(s.seq)?.user_bound)) return steps;
  let out = steps;
  for (const s of steps.slice(steps.indexOf(join) + 1)) {
    if (s.client !== c) continue;
    if (s.kind === 'emit' && s.event === 'join' && x.get(s.seq)?.user_bound) break;
    if (s.kind === 'emit' && ['sendMessage', 'deleteMessage', 'reportUser', 'hideConversation'].includes(s.event)) {
      out = replaceEffects(out, s, { clients: 'all', events: ['newMessage', 'privateMessage', 'messageDeleted', 'reportSubmitted', 'conversationHidden', 'rateLimited', 'error', 'exception'] });
    }
    if (s.kind === 'close_socket') out = replaceEffects(out, s, { clients: 'others', events: ['presenceUpdate'] });
  }
  return out;
}

/**
 * rejectClient handles a socket the server refuses at the handshake: the
 * client never connects, so its later expected steps are dropped, its later
 * emits are never sent (socket.io-client buffers them) and what they caused
 * at other clients is dropped too.
 */
function rejectClient(steps, open) {
  // The client retries with its backoff; only the first refusal is a step.
  open.refused = true;
  // Steps inserted by rules carry fractional seqs; they stay.
  const refused = steps.find((s) => s.client === open.client && s.kind === 'connect_error' && s.seq > open.seq);
  const from = refused ? refused.seq : open.seq;
  const isLater = (s) => s.client === open.client && Number.isInteger(s.seq) && s.seq > from;
  let out = steps;
  for (const s of steps.filter((x) => isLater(x) && x.kind === 'emit')) {
    out = replaceEffects(out, s, { clients: 'all' });
  }
  return out.filter((s) => !(isLater(s) && (s.dir === 'in' || s.kind === 'emit')));
}

export { parsePath };

/**
 * ruleHits applies the deviations to every recording and returns, per rule
 * id, the sorted list of {scenario, seq} it rewrote (for checked_against).
 */
export function ruleHits(recs, deviations, facts) {
  const hits = new Map((deviations.rules || []).map((r) => [r.id, []]));
  for (const rec of recs) {
    for (const a of applyDeviations(rec, deviations, facts).applied) hits.get(a.rule).push({ scenario: a.scenario, seq: a.seq });
  }
  for (const list of hits.values()) list.sort((a, b) => a.scenario.localeCompare(b.scenario) || a.seq - b.seq);
  return hits;
}

export { loadFacts, seededFacts, sanitizeAlias } from './facts.mjs';
