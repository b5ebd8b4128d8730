// The Node reference for the official suites: engine.io and socket.io 4.8
// (compat's own packages) with the settings and handlers that
// compat/conformance gives chatd's engine (spec/protocol-conformance.md).
// `CONFORMANCE_SERVER=node scripts/conformance.sh N` runs the suites against
// it, to tell a failure of our engine from one the machine's load causes.
//
//	node compat/official/reference-server.mjs [port]   (default 3000)
import http from 'node:http';
import { Server as EngineServer } from 'engine.io';
import { Server } from 'socket.io';

const settings = { pingInterval: 300, pingTimeout: 200, maxHttpBufferSize: 1e6, cors: { origin: '*' } };
const httpServer = http.createServer();

const io = new Server(httpServer, { ...settings, connectTimeout: 1000 });
io.of('/').on('connection', (socket) => {
  socket.emit('auth', socket.handshake.auth);
  socket.on('message', (...args) => socket.emit('message-back', ...args));
  socket.on('message-with-ack', (...args) => args.pop()(...args));
});
io.of('/custom').on('connection', (socket) => socket.emit('auth', socket.handshake.auth));

// Bare Engine.IO at /engine.io/: every message straight back.
const engine = new EngineServer(settings);
engine.attach(httpServer, { path: '/engine.io/' });
engine.on('connection', (socket) => socket.on('message', (data) => socket.send(data)));

const port = Number(process.argv[2] || 3000);
httpServer.listen(port, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${port}`));
