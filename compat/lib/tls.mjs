// A TLS terminator for tests that need chatd on https, as behind the proxy of
// a production deployment: it forwards raw TCP, so HTTP, polling and
// WebSocket upgrades all pass. The certificate is self-signed for one host
// name, made with the openssl command line; clients must be told to accept it.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';

/** selfSignedCert returns {key, cert} (PEM) for hostname, valid one day. */
export function selfSignedCert(hostname) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'chatd-tls-'));
  try {
    const key = path.join(dir, 'key.pem');
    const cert = path.join(dir, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-days', '1', '-subj', '/CN=' + hostname, '-addext', 'subjectAltName=DNS:' + hostname,
      '-keyout', key, '-out', cert], { stdio: 'pipe' });
    return { key: readFileSync(key), cert: readFileSync(cert) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * terminateTLS listens on 127.0.0.1:<free port> with a certificate for
 * hostname and forwards each connection in clear to 127.0.0.1:targetPort(),
 * asked per connection (the target may start after the proxy, when it must
 * know the public URL). Returns { port, close() }.
 */
export async function terminateTLS(hostname, targetPort) {
  const sockets = new Set();
  const server = tls.createServer(selfSignedCert(hostname), (client) => {
    const upstream = net.connect(targetPort(), '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => { client.destroy(); upstream.destroy(); });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    close: () => new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(resolve);
    }),
  };
}
