// Turning expected steps into patterns and comparing observed steps and HTTP
// responses against them.
import { buildPattern, match, Matcher } from './match.mjs';
import { sha256 } from './clients.mjs';

/** Fields of an `in` step that are compared, per kind. */
const FIELDS = {
  engine_open: ['transport', 'data'],
  connect: ['socket_id', 'transport'],
  connect_error: ['message', 'data'],
  disconnect: ['reason'],
  event: ['event', 'args'],
};

function pick(obj, keys) {
  const out = {};
  for (const k of keys) if (k in obj) out[k] = obj[k];
  return out;
}

const CORS_HEADERS = [
  'access-control-allow-origin', 'access-control-allow-credentials',
  'access-control-allow-methods', 'access-control-allow-headers', 'vary',
];

/** describe renders a step for a mismatch report. */
export function describe(step) {
  if (!step) return '(nothing)';
  const rules = step.deviation ? ` [as rewritten by deviations: ${step.deviation.join(', ')}]` : '';
  return describeStep(step) + rules;
}

function describeStep(step) {
  const o = { ...step };
  delete o.t; delete o.volatile; delete o.unordered_arrays; delete o.dir; delete o.deviation;
  if (o.response) {
    // Only what is compared: status, body, content-type and the CORS headers.
    const h = o.response.headers || {};
    const keep = {};
    for (const k of ['content-type', ...CORS_HEADERS]) if (k in h) keep[k] = h[k];
    o.response = { status: o.response.status, headers: keep, body: o.response.body };
    delete o.latency_ms;
  }
  return JSON.stringify(o, (k, v) => (v instanceof Matcher ? v.toJSON() : v));
}

/** matchSocketStep compares one observed socket step against an expected `in` step. */
export function matchSocketStep(expected, got, vars) {
  if (!got) return { ok: false, path: '(step)', why: 'expected step was not observed' };
  if (got.kind !== expected.kind) {
    return { ok: false, path: 'kind', why: `expected ${expected.kind}, got ${got.kind}` };
  }
  if (expected.kind === 'event' && got.event !== expected.event) {
    return { ok: false, path: 'event', why: `expected event ${JSON.stringify(expected.event)}, got ${JSON.stringify(got.event)}` };
  }
  const fields = FIELDS[expected.kind] || Object.keys(expected).filter((k) => !['seq', 't', 'client', 'dir', 'kind', 'volatile', 'unordered_arrays'].includes(k));
  const want = pick(expected, fields);
  const pattern = buildPattern(expected, want, '');
  return match(pattern, pick(got, fields), vars);
}

const LIST_HEADERS = new Set(['access-control-allow-methods', 'access-control-allow-headers', 'vary']);

function normMediaType(v) {
  return String(v).toLowerCase().replace(/\s+/g, '');
}

function normList(v) {
  return String(v).split(',').map((s) => s.trim().toLowerCase()).filter(Boolean).sort().join(',');
}

function headerValue(h) {
  return Array.isArray(h) ? h.join(', ') : h;
}

/**
 * matchHTTP compares an observed response ({status, headers, raw}) with the
 * expected step: status, body, content-type and, when the request carried an
 * Origin, the CORS headers (present/absent and value).
 */
export function matchHTTP(step, got, vars) {
  const exp = step.response;
  if (got.error) return { ok: false, path: 'response', why: got.error };
  if (got.status !== exp.status) {
    return { ok: false, path: 'response.status', why: `expected ${exp.status}, got ${got.status} (body ${got.raw.toString('utf8').slice(0, 300)})` };
  }
  const pattern = buildPattern(step, { body: exp.body, headers: exp.headers || {} }, 'response');
  let v = vars;
  // Body.
  const body = pattern.body || { empty: true };
  const text = got.raw.toString('utf8');
  if ('json' in body) {
    let parsed;
    try { parsed = JSON.parse(text); } catch { return { ok: false, path: 'response.body', why: `expected JSON, got ${JSON.stringify(text.slice(0, 300))}` }; }
    const r = match(body.json, parsed, v, 'response.body.json');
    if (!r.ok) return r;
    v = r.vars;
  } else if ('text' in body) {
    const r = match(body.text, text, v, 'response.body.text');
    if (!r.ok) return r;
    v = r.vars;
  } else if (body.empty) {
    if (got.raw.length !== 0) return { ok: false, path: 'response.body', why: `expected an empty body, got ${JSON.stringify(text.slice(0, 300))}` };
  } else if (body.sha256) {
    if (sha256(got.raw) !== body.sha256) return { ok: false, path: 'response.body', why: `binary body differs (size ${got.raw.length}, expected ${body.size})` };
  }
  // Headers.
  const expH = exp.headers || {};
  const patH = pattern.headers || {};
  const checks = [];
  if ('content-type' in expH) checks.push('content-type');
  else if (got.raw.length === 0 && got.headers['content-type'] === undefined) { /* both bodiless */ }
  const hasOrigin = Object.keys(step.request.headers || {}).some((k) => k.toLowerCase() === 'origin');
  if (hasOrigin) checks.push(...CORS_HEADERS);
  for (const name of checks) {
    const want = patH[name];
    const have = headerValue(got.headers[name]);
    if (want instanceof Matcher) {
      const r = match(want, have, v, `response.headers.${name}`);
      if (!r.ok) return r;
      v = r.vars;
      continue;
    }
    if (want === undefined && have === undefined) continue;
    if (want === undefined) return { ok: false, path: `response.headers.${name}`, why: `expected no ${name} header, got ${JSON.stringify(have)}` };
    if (have === undefined) return { ok: false, path: `response.headers.${name}`, why: `expected ${JSON.stringify(want)}, header missing` };
    const norm = name === 'content-type' ? normMediaType : LIST_HEADERS.has(name) ? normList : String;
    if (norm(want) !== norm(have)) return { ok: false, path: `response.headers.${name}`, why: `expected ${JSON.stringify(want)}, got ${JSON.stringify(have)}` };
  }
  // Captures on headers that are not compared (e.g. a location or set-cookie) still bind.
  for (const [name, want] of Object.entries(patH)) {
    if (checks.includes(name) || !(want instanceof Matcher) || !want.ann.var) continue;
    const have = headerValue(got.headers[name]);
    if (have === undefined) continue;
    const r = match(want, have, v, `response.headers.${name}`);
    if (r.ok) v = r.vars;
  }
  return { ok: true, vars: v };
}
