// The two kinds of client a recording drives: real socket.io-client sockets
// and plain HTTP/1.1 requests, each reporting what it observed as steps in
// the recording's own shape.
import http from 'node:http';
import https from 'node:https';
import { createHash } from 'node:crypto';
import { io } from 'socket.io-client';

/** socketOptions turns recorded options into socket.io-client options. */
export function socketOptions(recorded, pathName) {
  const opts = structuredClone(recorded || {});
  for (const [k, v] of Object.entries(opts)) {
    if (v === 'Infinity') opts[k] = Infinity; // JSON cannot hold Infinity
  }
  if (pathName) opts.path = pathName;
  // One recorded client = one connection: never share a Manager between clients.
  opts.forceNew = true;
  return opts;
}

/**
 * SocketClient wraps one socket.io-client socket; observed() steps are pushed
 * to sink(step) as {kind, client, ...} in arrival order.
 */
export class SocketClient {
  constructor(name, sink) {
    this.name = name;
    this.sink = sink;
    this.socket = null;
    this.handshake = null;
  }

  open(baseURL, step) {
    const opts = socketOptions(step.options, step.path);
    // Keep the recorded namespace (the URL's path), point at chatd.
    let ns = '/';
    try { ns = new URL(step.url).pathname || '/'; } catch { /* no URL recorded */ }
    const socket = io(new URL(ns, baseURL).toString(), opts);
    this.socket = socket;
    let refusals = 0;
    const push = (s) => {
      // A refused client (deviations: reject_client) keeps retrying with its
      // backoff; its retries are not steps.
      if (step.refused && (s.kind === 'connect_error' && refusals++ > 0)) return;
      this.sink({ client: this.name, t: Date.now(), ...s });
    };
    const hookEngine = () => {
      const engine = socket.io.engine;
      if (!engine || engine.__replayHooked) return;
      engine.__replayHooked = true;
      engine.on('packet', (p) => {
        if (p.type === 'open') {
          try { this.handshake = JSON.parse(p.data); } catch { this.handshake = p.data; }
        }
      });
    };
    hookEngine();
    socket.io.on('reconnect_attempt', () => setImmediate(hookEngine));
    socket.io.on('open', () => {
      const engine = socket.io.engine;
      const data = this.handshake ?? {
        sid: engine.id, upgrades: engine.upgrades, pingInterval: engine.pingInterval,
        pingTimeout: engine.pingTimeout, maxPayload: engine.maxPayload,
      };
      this.handshake = null;
      push({ kind: 'engine_open', transport: engine.transport?.name, data });
    });
    socket.on('connect', () => {
      push({ kind: 'connect', socket_id: socket.id, transport: socket.io.engine?.transport?.name });
    });
    socket.on('connect_error', (err) => {
      push({ kind: 'connect_error', message: err?.message, data: err?.data ?? null });
    });
    socket.on('disconnect', (reason, details) => {
      push({ kind: 'disconnect', reason, details: details ?? null });
    });
    socket.onAny((event, ...args) => push({ kind: 'event', event, args }));
  }

  emit(event, args) {
    this.socket.emit(event, ...args);
  }

  close() {
    if (this.socket) this.socket.disconnect();
  }
}

function multipartBody(body) {
  const boundary = body.boundary || '----chatdreplay' + Date.now().toString(16);
  const chunks = [];
  for (const part of body.multipart || []) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"`;
    if (part.filename !== undefined && part.filename !== null) head += `; filename="${part.filename}"`;
    head += '\r\n';
    if (part.contentType) head += `Content-Type: ${part.contentType}\r\n`;
    head += '\r\n';
    chunks.push(Buffer.from(head, 'utf8'));
    const data = part.base64 !== undefined ? Buffer.from(part.base64, 'base64') : Buffer.from(String(part.value ?? ''), 'utf8');
    chunks.push(data, Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { data: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

function hasHeader(headers, name) {
  return Object.keys(headers).some((k) => k.toLowerCase() === name);
}

/** requestBody encodes a recorded request body; returns {data, contentType}. */
export function requestBody(body) {
  if (!body) return { data: null };
  if ('json' in body) return { data: Buffer.from(JSON.stringify(body.json)), contentType: 'application/json' };
  if ('text' in body) return { data: Buffer.from(body.text, 'utf8'), contentType: 'text/plain' };
  if ('multipart' in body) return multipartBody(body);
  if ('base64' in body) return { data: Buffer.from(body.base64, 'base64') };
  return { data: null };
}

/**
 * doHTTP sends one recorded request to baseURL and resolves
 * {status, headers (lower-case names), raw (Buffer)}.
 */
export function doHTTP(baseURL, req, timeoutMs = 10000) {
  const url = new URL(req.path, baseURL);
  for (const [k, v] of Object.entries(req.query || {})) {
    for (const item of Array.isArray(v) ? v : [v]) url.searchParams.append(k, String(item));
  }
  const headers = { ...(req.headers || {}) };
  const { data, contentType } = requestBody(req.body);
  if (data && contentType && !hasHeader(headers, 'content-type')) headers['Content-Type'] = contentType;
  // The length is that of the bytes sent here, whatever was recorded.
  for (const k of Object.keys(headers)) if (k.toLowerCase() === 'content-length' || k.toLowerCase() === 'transfer-encoding') delete headers[k];
  if (data) headers['Content-Length'] = String(data.length);
  if (!hasHeader(headers, 'connection')) headers.Connection = 'close';
  const lib = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const r = lib.request(url, { method: req.method, headers, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, raw: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    r.setTimeout(timeoutMs, () => r.destroy(new Error(`HTTP ${req.method} ${req.path}: no answer in ${timeoutMs} ms`)));
    r.on('error', reject);
    if (data) r.write(data);
    r.end();
  });
}

export function sha256(buf) {
  return createHash('sha256').update(buf).digest('hex');
}
