// A real browser for the web-client tests: Debian's Chromium driven by
// playwright-core, and a tiny page server standing in for the web app's origin.
import http from 'node:http';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { repoRoot } from './harness.mjs';

const clientBundle = path.join(repoRoot, 'compat', 'node_modules', 'socket.io-client', 'dist', 'socket.io.min.js');

/** launchBrowser starts headless Chromium with the flags this machine needs. */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/**
 * servePage serves an empty HTML page that has socket.io-client's browser
 * bundle loaded, on 127.0.0.1:<free port>. Returns { origin, close() }.
 */
export async function servePage() {
  const bundle = readFileSync(clientBundle);
  const server = http.createServer((req, res) => {
    if (req.url === '/socket.io.min.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(bundle);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><html><head><script src="/socket.io.min.js"></script></head><body>chat</body></html>');
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((r) => server.close(r)),
  };
}
