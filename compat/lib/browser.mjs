// A real browser for the web-client tests: Debian's Chromium driven by
// playwright-core, and a tiny page server standing in for the web app's origin.
import http from 'node:http';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { repoRoot } from './harness.mjs';

const clientBundle = path.join(repoRoot, 'compat', 'node_modules', 'socket.io-client', 'dist', 'socket.io.min.js');

const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const machineArgs = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** launchBrowser starts headless Chromium with the flags this machine needs. */
export async function launchBrowser() {
  return chromium.launch({ executablePath, args: machineArgs });
}

/**
 * launchWebView starts Chromium with the cookie policy of Capacitor's Android
 * WebView, which accepts third-party cookies (the app's pages call a server
 * on another site): a fresh profile whose preferences allow them, where
 * Chromium's own default blocks them. options are launchPersistentContext's
 * (args are added to the machine's). Returns { context, close() }; close
 * ends the browser and removes the profile.
 */
export async function launchWebView({ args = [], ...options } = {}) {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'chatd-webview-'));
  mkdirSync(path.join(profile, 'Default'));
  writeFileSync(path.join(profile, 'Default', 'Preferences'), JSON.stringify({ profile: { cookie_controls_mode: 0 } }));
  const removeProfile = () => rmSync(profile, { recursive: true, force: true, maxRetries: 5 });
  try {
    const context = await chromium.launchPersistentContext(profile, { executablePath, args: [...machineArgs, ...args], ...options });
    return { context, close: async () => { await context.close(); removeProfile(); } };
  } catch (e) {
    removeProfile();
    throw e;
  }
}

/** pageHTML is an empty page with socket.io-client's browser bundle loaded. */
const pageHTML = '<!doctype html><html><head><script src="/socket.io.min.js"></script></head><body>chat</body></html>';

/**
 * routeOrigin makes a browser context answer origin (e.g. http://localhost,
 * where a Capacitor Android WebView serves the app) with the empty page and
 * the socket.io-client bundle, without a server on that origin's port.
 */
export async function routeOrigin(context, origin) {
  const bundle = readFileSync(clientBundle);
  await context.route(origin + '/**', (route) => {
    if (new URL(route.request().url()).pathname === '/socket.io.min.js') {
      return route.fulfill({ status: 200, contentType: 'text/javascript', body: bundle });
    }
    return route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: pageHTML });
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
    res.end(pageHTML);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((r) => server.close(r)),
  };
}
