// The replayer's matching rules and deviation rewrites, on hand-made steps
// (no server needed), and the honesty of deviations.json: every rule's
// checked_against list is exactly the steps it rewrites in the shared
// recordings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { buildPattern, match, substitute, parsePath } from '../replay/match.mjs';
import { matchHTTP } from '../replay/compare.mjs';
import { applyDeviations, loadDeviations, ruleHits, seededFacts } from '../replay/deviations.mjs';
import { listRecordings, loadRecording, seedPath, segments } from '../replay/recording.mjs';
import { defaultRecordingsDir, chatdEnv } from '../replay/scenario.mjs';
import { chatdBin } from '../lib/harness.mjs';

const ev = (args, extra = {}) => ({ seq: 1, kind: 'event', client: 'a', dir: 'in', event: 'x', args, ...extra });
const m = (step, actual, vars = {}) => match(buildPattern(step, { args: step.args }), { args: actual }, vars);

test('parsePath', () => {
  assert.deepEqual(parsePath('args[0].users[12].socketId'), ['args', 0, 'users', 12, 'socketId']);
  assert.deepEqual(parsePath('response.headers.content-length'), ['response', 'headers', 'content-length']);
});

const cases = [
  { name: 'literal equal', step: ev([{ a: 1 }]), got: [{ a: 1 }], ok: true },
  { name: 'literal differs', step: ev([{ a: 1 }]), got: [{ a: 2 }], ok: false },
  { name: 'key order is not significant', step: ev([{ a: 1, b: 2 }]), got: [{ b: 2, a: 1 }], ok: true },
  { name: 'an extra key fails', step: ev([{ a: 1 }]), got: [{ a: 1, b: 2 }], ok: false },
  { name: 'a missing key fails', step: ev([{ a: 1, b: null }]), got: [{ a: 1 }], ok: false },
  { name: 'ordered array order matters', step: ev([[1, 2]]), got: [[2, 1]], ok: false },
  { name: 'unordered array as multiset', step: ev([{ u: [1, 2, 2] }], { unordered_arrays: ['args[0].u'] }), got: [{ u: [2, 1, 2] }], ok: true },
  { name: 'unordered multiset counts', step: ev([{ u: [1, 2, 2] }], { unordered_arrays: ['args[0].u'] }), got: [{ u: [2, 1, 1] }], ok: false },
  { name: 'iso8601 capture', step: ev([{ t: 'x' }], { volatile: [{ path: 'args[0].t', var: 'ts', role: 'capture', match: 'iso8601' }] }), got: [{ t: '2026-01-01T00:00:00.000Z' }], ok: true, bound: { ts: '2026-01-01T00:00:00.000Z' } },
  { name: 'iso8601 rejects 9 digits', step: ev([{ t: 'x' }], { volatile: [{ path: 'args[0].t', var: 'ts', role: 'capture', match: 'iso8601' }] }), got: [{ t: '2026-01-01T00:00:00.000000000Z' }], ok: false },
  { name: 'ref equal', step: ev([{ id: 'x' }], { volatile: [{ path: 'args[0].id', var: 'v', role: 'ref' }] }), vars: { v: 'abc' }, got: [{ id: 'abc' }], ok: true },
  { name: 'ref differs', step: ev([{ id: 'x' }], { volatile: [{ path: 'args[0].id', var: 'v', role: 'ref' }] }), vars: { v: 'abc' }, got: [{ id: 'abd' }], ok: false },
  { name: 'lenient ref accepts any timestamp', step: ev([{ t: 'x' }], { volatile: [{ path: 'args[0].t', var: 'ts', role: 'ref', match: 'iso8601', lenient: true }] }), vars: { ts: '2026-01-01T00:00:00.000Z' }, got: [{ t: '2026-02-01T00:00:00.000Z' }], ok: true },
  { name: 'int_range inside', step: ev([{ r: 400 }], { volatile: [{ path: 'args[0].r', match: 'int_range', min: 1, max: 500 }] }), got: [{ r: 399 }], ok: true },
  { name: 'int_range outside', step: ev([{ r: 400 }], { volatile: [{ path: 'args[0].r', match: 'int_range', min: 1, max: 500 }] }), got: [{ r: 501 }], ok: false },
  { name: 'template with var', step: ev([{ u: '/a/x.png' }], { volatile: [{ path: 'args[0].u', template: '/a/${id}.png', role: 'ref' }] }), vars: { id: 'u1' }, got: [{ u: '/a/u1.png' }], ok: true },
  { name: 'template mismatch', step: ev([{ u: '/a/x.png' }], { volatile: [{ path: 'args[0].u', template: '/a/${id}.png', role: 'ref' }] }), vars: { id: 'u1' }, got: [{ u: '/a/u2.png' }], ok: false },
  { name: 'template wildcard', step: ev(['0{"sid":"x"}'], { volatile: [{ path: 'args[0]', template: '0{"sid":"${*}"}', role: 'wildcard' }] }), got: ['0{"sid":"abc-_"}'], ok: true },
  { name: 'capture inside an unordered array binds the matched element', step: ev([{ users: [{ id: 'a', s: 'x' }, { id: 'b', s: 'y' }] }], { unordered_arrays: ['args[0].users'], volatile: [{ path: 'args[0].users[1].s', var: 'sb', role: 'capture' }] }), got: [{ users: [{ id: 'b', s: 'S2' }, { id: 'a', s: 'x' }] }], ok: true, bound: { sb: 'S2' } },
];

for (const c of cases) {
  test(`match: ${c.name}`, () => {
    const r = m(c.step, c.got, c.vars || {});
    assert.equal(r.ok, c.ok, JSON.stringify(r));
    if (c.bound) for (const [k, v] of Object.entries(c.bound)) assert.equal(r.vars[k], v);
  });
}

test('substitute fills refs of an emit', () => {
  const step = { kind: 'emit', args: [{ user: { id: 'old' } }], volatile: [{ path: 'args[0].user.id', var: 'anon', role: 'ref' }] };
  assert.deepEqual(substitute(step, step.args, 'args', { anon: 'new' }), [{ user: { id: 'new' } }]);
});

const httpStep = (resp, reqHeaders = {}) => ({ seq: 1, kind: 'http', request: { method: 'GET', path: '/x', headers: reqHeaders }, response: resp });
const got = (status, headers, body) => ({ status, headers, raw: Buffer.from(body) });

test('matchHTTP: status, JSON body, content-type', () => {
  const step = httpStep({ status: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, body: { json: { a: 1 } } });
  assert.ok(matchHTTP(step, got(200, { 'content-type': 'application/json; charset=UTF-8' }, '{"a":1}'), {}).ok);
  assert.ok(!matchHTTP(step, got(201, { 'content-type': 'application/json; charset=utf-8' }, '{"a":1}'), {}).ok);
  assert.ok(!matchHTTP(step, got(200, { 'content-type': 'text/plain' }, '{"a":1}'), {}).ok);
  assert.ok(!matchHTTP(step, got(200, { 'content-type': 'application/json; charset=utf-8' }, '{"a":2}'), {}).ok);
});

test('matchHTTP: CORS headers are strict only with an Origin', () => {
  const resp = { status: 200, headers: { 'content-type': 'application/json', vary: 'Origin' }, body: { json: {} } };
  const h = { 'content-type': 'application/json', 'access-control-allow-origin': 'https://evil.example' };
  assert.ok(matchHTTP(httpStep(resp), got(200, h, '{}'), {}).ok, 'no Origin: CORS headers are not compared');
  const r = matchHTTP(httpStep(resp, { Origin: 'https://evil.example' }), got(200, h, '{}'), {});
  assert.ok(!r.ok);
  assert.match(r.why, /expected no access-control-allow-origin|vary/);
});

test('deviation ops: map_array keeps volatile paths aligned and copies keys', () => {
  const rec = {
    scenario: 's',
    steps: [{
      seq: 1, kind: 'http', client: 'r', request: { method: 'GET', path: '/api/messages', headers: {} },
      response: { status: 200, headers: {}, body: { json: [{ id: 1, recipientId: 'x', createdAt: 'a' }, { id: 2, recipientId: null, createdAt: 'b' }] } },
      volatile: [{ path: 'response.body.json[0].createdAt', var: 'ts', role: 'capture' }, { path: 'response.body.json[1].createdAt', var: 'ts#2', role: 'capture', match: 'iso8601' }],
    }],
  };
  const dev = { rules: [{ id: 'r', when: { kind: 'http' }, rewrite: [{ op: 'map_array', path: 'response.body.json', keep: { recipientId: null }, copy: { timestamp: 'createdAt' } }] }] };
  const { steps, applied } = applyDeviations(rec, dev, { sessions: new Map(), users: new Map(), messageIds: new Set(), roomIds: new Set() });
  assert.equal(applied.length, 1);
  assert.deepEqual(steps[0].response.body.json, [{ id: 2, recipientId: null, createdAt: 'b', timestamp: 'b' }]);
  assert.deepEqual(steps[0].volatile.map((v) => [v.path, v.var, v.role]), [
    ['response.body.json[0].createdAt', 'ts#2', 'capture'],
    ['response.body.json[0].timestamp', 'ts#2', 'ref'],
  ]);
});

test('segments cut at barriers and keep the unordered flag', () => {
  const segs = segments([{ seq: 0, kind: 'emit' }, { seq: 1, kind: 'barrier', quiet_ms: 400, unordered_segment: true }, { seq: 2, kind: 'sleep', ms: 1 }]);
  assert.equal(segs.length, 2);
  assert.equal(segs[0].barrier.unordered_segment, true);
  assert.equal(segs[1].steps.length, 1);
});

test('deviations.json: every rule names a spec section and its checked_against is exactly what it rewrites', async () => {
  const dev = loadDeviations(defaultRecordingsDir);
  assert.ok(dev.rules.length > 0);
  const ids = new Set();
  for (const r of dev.rules) {
    assert.ok(!ids.has(r.id), `duplicate rule id ${r.id}`);
    ids.add(r.id);
    assert.match(r.spec || '', /(socket-contract|http-api|betterauth)\.md §/, `${r.id}: no spec section`);
    assert.ok(Array.isArray(r.rewrite) && r.rewrite.length, `${r.id}: no rewrite`);
  }
  const recs = listRecordings(defaultRecordingsDir).map(loadRecording);
  const env = chatdEnv(dev, '');
  const facts = await seededFacts(seedPath(recs[0]), (url) => execFileSync(chatdBin(), ['migrate'], {
    env: { PATH: process.env.PATH, DATABASE_URL: url, ...env }, stdio: 'pipe',
  }));
  const hits = ruleHits(recs, dev, facts);
  for (const r of dev.rules) {
    const want = [...r.checked_against].sort((a, b) => a.scenario.localeCompare(b.scenario) || a.seq - b.seq);
    assert.deepEqual(hits.get(r.id), want, `${r.id}: checked_against differs from the steps it rewrites`);
  }
});
