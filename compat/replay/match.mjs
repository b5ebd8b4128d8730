// Value matching for recorded steps: volatile annotations (capture, ref,
// template, match any/integer/int_range/iso8601), unordered arrays compared
// as multisets, significant key sets and insignificant key order.

export const ISO8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Matcher is a leaf of an expected-value pattern that is not a literal. */
export class Matcher {
  constructor(ann, example) {
    this.ann = ann;
    this.example = example;
  }
  toJSON() {
    const a = this.ann;
    if (a.template) return `<template ${a.template}>`;
    if (a.var) return `<${a.role} ${a.var}${a.match ? ' ' + a.match : ''}>`;
    if (a.match === 'int_range') return `<int ${a.min}..${a.max}>`;
    return `<${a.match || 'any'}>`;
  }
}

/** Unordered marks an array that is compared as a multiset. */
export class Unordered {
  constructor(items) { this.items = items; }
  toJSON() { return this.items; }
}

/** parsePath splits `args[0].users[1].socketId` into ['args', 0, 'users', 1, 'socketId']. */
export function parsePath(path) {
  const out = [];
  for (const part of path.split('.')) {
    const m = part.match(/^([^[\]]*)((?:\[\d+\])*)$/);
    if (!m) { out.push(part); continue; }
    if (m[1] !== '') out.push(m[1]);
    for (const idx of m[2].matchAll(/\[(\d+)\]/g)) out.push(Number(idx[1]));
  }
  return out;
}

export function getPath(obj, path) {
  let cur = obj;
  for (const k of Array.isArray(path) ? path : parsePath(path)) {
    if (cur == null) return undefined;
    cur = cur instanceof Unordered ? cur.items[k] : cur[k];
  }
  return cur;
}

/** setPath replaces the value at path (creating objects on the way); returns false if impossible. */
export function setPath(obj, path, value) {
  const keys = Array.isArray(path) ? path : parsePath(path);
  let cur = obj;
  for (let i = 0; i < keys.length - 1; i++) {
    let next = cur instanceof Unordered ? cur.items[keys[i]] : cur[keys[i]];
    if (next == null || typeof next !== 'object') {
      if (next !== undefined) return false;
      next = typeof keys[i + 1] === 'number' ? [] : {};
      cur[keys[i]] = next;
    }
    cur = next;
  }
  const last = keys[keys.length - 1];
  if (cur instanceof Unordered) cur.items[last] = value; else cur[last] = value;
  return true;
}

export function deletePath(obj, path) {
  const keys = parsePath(path);
  const parent = getPath(obj, keys.slice(0, -1));
  if (parent == null || typeof parent !== 'object') return;
  const last = keys[keys.length - 1];
  if (Array.isArray(parent)) parent.splice(last, 1); else delete parent[last];
}

/**
 * buildPattern turns the expected part of a step into a pattern: volatile
 * paths become Matchers, arrays named in unordered_arrays become Unordered.
 * prefix is the part of the step the pattern is built from ('' or 'response').
 */
export function buildPattern(step, root, prefix = '') {
  const pat = structuredClone(root);
  const strip = (p) => (prefix && p.startsWith(prefix + '.') ? p.slice(prefix.length + 1) : prefix ? null : p);
  for (const ann of step.volatile || []) {
    const rel = strip(ann.path);
    if (rel === null) continue;
    // An annotation for a value the (rewritten) expectation no longer has is moot.
    if (getPath(root, rel) === undefined) continue;
    setPath(pat, rel, new Matcher(ann, getPath(root, rel)));
  }
  // Deepest paths first so an outer Unordered wraps already-wrapped inner arrays.
  const arrays = (step.unordered_arrays || []).map(strip).filter((p) => p !== null)
    .sort((a, b) => parsePath(b).length - parsePath(a).length);
  for (const rel of arrays) {
    const arr = getPath(pat, rel);
    if (Array.isArray(arr)) setPath(pat, rel, new Unordered(arr));
  }
  return pat;
}

/** substitute fills refs of an out step (emit args, HTTP request) with bound values. */
export function substitute(step, root, prefix, vars) {
  const out = structuredClone(root);
  for (const ann of step.volatile || []) {
    if (ann.role !== 'ref' && !ann.template) continue;
    if (!ann.path.startsWith(prefix + '.') && !ann.path.startsWith(prefix + '[')) continue;
    const rel = ann.path.slice(prefix.length).replace(/^\./, '');
    if (ann.template) {
      const v = fillTemplate(ann.template, vars);
      if (v !== null) setPath(out, rel, v);
    } else if (ann.var in vars) {
      setPath(out, rel, vars[ann.var]);
    }
  }
  return out;
}

function fillTemplate(tpl, vars) {
  let missing = false;
  const s = tpl.replace(/\$\{([^}]+)\}/g, (_, name) => {
    if (name === '*') { missing = true; return ''; }
    if (!(name in vars)) { missing = true; return ''; }
    return String(vars[name]);
  });
  return missing ? null : s;
}

function escapeRe(s) { return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'); }

function templateRegex(tpl, vars) {
  let re = '';
  let last = 0;
  for (const m of tpl.matchAll(/\$\{([^}]+)\}/g)) {
    re += escapeRe(tpl.slice(last, m.index));
    const name = m[1];
    if (name === '*') re += '[\\s\\S]*';
    else if (name in vars) re += escapeRe(String(vars[name]));
    else re += `(?<${'v' + Object.keys(vars).length + '_' + m.index}>[\\s\\S]*?)`;
    last = m.index + m[0].length;
  }
  re += escapeRe(tpl.slice(last));
  return new RegExp('^' + re + '$');
}

function typeOf(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/**
 * match compares actual against pattern. It returns {ok: true, vars} with
 * the bindings extended, or {ok: false, path, why}. vars is not modified.
 */
export function match(pattern, actual, vars, path = '') {
  if (pattern instanceof Matcher) return matchLeaf(pattern, actual, vars, path);
  if (pattern instanceof Unordered) {
    if (!Array.isArray(actual)) return fail(path, `expected an array, got ${typeOf(actual)}`);
    if (actual.length !== pattern.items.length) {
      return fail(path, `expected ${pattern.items.length} items (any order), got ${actual.length}`);
    }
    return matchMultiset(pattern.items, actual, vars, path);
  }
  if (Array.isArray(pattern)) {
    if (!Array.isArray(actual)) return fail(path, `expected an array, got ${typeOf(actual)}`);
    if (actual.length !== pattern.length) return fail(path, `expected ${pattern.length} items, got ${actual.length}`);
    let v = vars;
    for (let i = 0; i < pattern.length; i++) {
      const r = match(pattern[i], actual[i], v, `${path}[${i}]`);
      if (!r.ok) return r;
      v = r.vars;
    }
    return { ok: true, vars: v };
  }
  if (pattern !== null && typeof pattern === 'object') {
    if (typeOf(actual) !== 'object') return fail(path, `expected an object, got ${typeOf(actual)}`);
    const want = Object.keys(pattern).sort();
    const got = Object.keys(actual).sort();
    const missing = want.filter((k) => !(k in actual));
    const extra = got.filter((k) => !(k in pattern));
    if (missing.length || extra.length) {
      return fail(path, `key set differs: missing [${missing.join(', ')}], extra [${extra.join(', ')}]`);
    }
    let v = vars;
    for (const k of want) {
      const r = match(pattern[k], actual[k], v, path ? `${path}.${k}` : k);
      if (!r.ok) return r;
      v = r.vars;
    }
    return { ok: true, vars: v };
  }
  if (pattern === actual) return { ok: true, vars };
  return fail(path, `expected ${JSON.stringify(pattern)}, got ${JSON.stringify(actual)}`);
}

function fail(path, why) { return { ok: false, path: path || '(root)', why }; }

function matchMultiset(items, actual, vars, path) {
  // Backtracking assignment; arrays here are small (presence lists, rooms).
  const used = new Array(actual.length).fill(false);
  let firstFailure = null;
  const go = (i, v) => {
    if (i === items.length) return { ok: true, vars: v };
    for (let j = 0; j < actual.length; j++) {
      if (used[j]) continue;
      const r = match(items[i], actual[j], v, `${path}[${j}]`);
      if (!r.ok) { if (!firstFailure) firstFailure = r; continue; }
      used[j] = true;
      const rest = go(i + 1, r.vars);
      if (rest.ok) return rest;
      used[j] = false;
    }
    return fail(path, `no element matches expected item ${JSON.stringify(items[i])}` +
      (firstFailure ? ` (closest: ${firstFailure.path}: ${firstFailure.why})` : ''));
  };
  return go(0, vars);
}

function matchLeaf(m, actual, vars, path) {
  const a = m.ann;
  if (actual === undefined) return fail(path, `expected ${JSON.stringify(m)}, value missing`);
  if (a.template) {
    if (typeof actual !== 'string') return fail(path, `expected a string for template, got ${typeOf(actual)}`);
    if (!templateRegex(a.template, vars).test(actual)) {
      return fail(path, `${JSON.stringify(actual)} does not match template ${JSON.stringify(a.template)}`);
    }
    return { ok: true, vars };
  }
  if (a.match === 'any') return { ok: true, vars };
  if (a.match === 'integer') {
    const ok = (typeof actual === 'number' && Number.isInteger(actual)) || (typeof actual === 'string' && /^\d+$/.test(actual));
    return ok ? { ok: true, vars } : fail(path, `expected an integer, got ${JSON.stringify(actual)}`);
  }
  if (a.match === 'int_range') {
    const ok = typeof actual === 'number' && Number.isInteger(actual) && actual >= a.min && actual <= a.max;
    return ok ? { ok: true, vars } : fail(path, `expected an integer in ${a.min}..${a.max}, got ${JSON.stringify(actual)}`);
  }
  const isoOK = a.match !== 'iso8601' || (typeof actual === 'string' && ISO8601.test(actual));
  if (!isoOK) return fail(path, `expected an ISO-8601 timestamp with ms, got ${JSON.stringify(actual)}`);
  if (a.role === 'ref' && a.var in vars) {
    if (a.lenient) return { ok: true, vars };
    if (JSON.stringify(vars[a.var]) === JSON.stringify(actual)) return { ok: true, vars };
    return fail(path, `expected the value bound to ${a.var} (${JSON.stringify(vars[a.var])}), got ${JSON.stringify(actual)}`);
  }
  // A capture (or a ref whose capture was removed by a deviation) binds any value of the example's shape.
  if (m.example !== undefined && typeOf(m.example) !== typeOf(actual)) {
    return fail(path, `expected a ${typeOf(m.example)} for ${a.var || 'volatile value'}, got ${JSON.stringify(actual)}`);
  }
  if (typeof m.example === 'string' && m.example !== '' && actual === '') {
    return fail(path, `expected a non-empty string for ${a.var || 'volatile value'}`);
  }
  if (!a.var) return { ok: true, vars };
  return { ok: true, vars: { ...vars, [a.var]: actual } };
}
