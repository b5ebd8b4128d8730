// A Node socket.io 4.8 server with @socket.io/redis-adapter 8 (on ioredis),
// the other half of a mixed fleet: it shares rooms with chatd processes on
// the same Redis and prefix. Besides the bare server (io, for a test to
// drive), it relays the product's chat the way the original gateway routes
// it (docs/socket-events.md, "Rooms" and "sendMessage"), without a database:
//   - a socket with query.userId is in the room <userId>;
//   - join {user, tenantSlug} joins tenant:<slug>, <user.id> and the rooms
//     listed for the tenant in `tenantRooms`, then emits blockedUsers {blockedIds: []};
//   - sendMessage (a Message) goes, with the server's timestamp, as
//     privateMessage to <recipientId> and <senderId>, else as newMessage to
//     <roomId>, else as newMessage to tenant:<slug>.
//
// In a test:   const node = await startNodeClusterServer({ redisURL, prefix, tenantRooms: { demo: [ROOM_GENERAL] } });
// From a shell: REDIS_URL=redis://127.0.0.1:6379/0 REDIS_PREFIX=socket.io PORT=3101 node compat/lib/node-cluster-server.mjs
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { Server } from 'socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';

/**
 * startNodeClusterServer listens on 127.0.0.1:port (0: a free port).
 * Returns { url, port, io, close() }.
 */
export async function startNodeClusterServer({ redisURL, prefix = 'socket.io', port = 0, tenantRooms = {}, requestsTimeout = 3000 } = {}) {
  const pub = new Redis(redisURL, { lazyConnect: true });
  const sub = pub.duplicate();
  await Promise.all([pub.connect(), sub.connect()]);
  const requestChannel = `${prefix}-request#/#`;
  const before = await numsub(pub, requestChannel);
  const httpServer = http.createServer();
  const io = new Server(httpServer, {
    cors: { origin: true, credentials: true },
    adapter: createAdapter(pub, sub, { key: prefix, requestsTimeout }),
  });
  relayChat(io, tenantRooms);
  await new Promise((resolve) => httpServer.listen(port, '127.0.0.1', resolve));
  // Wait until this server's subscriptions are in place: until then other
  // servers do not count it, and it misses what they publish.
  await waitSubscribers(pub, requestChannel, before + 1);
  const actual = httpServer.address().port;
  return {
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    io,
    async close() {
      await new Promise((resolve) => io.close(() => resolve()));
      pub.disconnect();
      sub.disconnect();
    },
  };
}

function relayChat(io, tenantRooms) {
  io.on('connection', (socket) => {
    const userId = socket.handshake.query.userId;
    if (userId) {
      socket.data.userId = userId;
      socket.join(userId);
    }
    socket.on('join', ({ user, tenantSlug } = {}) => {
      if (!user?.id || !tenantSlug) return;
      socket.data.tenantSlug = tenantSlug;
      socket.join([`tenant:${tenantSlug}`, user.id, ...(tenantRooms[tenantSlug] ?? [])]);
      socket.emit('blockedUsers', { blockedIds: [] });
    });
    socket.on('sendMessage', (msg = {}) => {
      const slug = msg.tenantSlug ?? socket.data.tenantSlug;
      const out = { ...msg, timestamp: new Date().toISOString() };
      delete out.tenantSlug;
      if (msg.recipientId) io.to(msg.recipientId).to(msg.senderId).emit('privateMessage', out);
      else if (msg.roomId) io.to(msg.roomId).emit('newMessage', out);
      else io.to(`tenant:${slug}`).emit('newMessage', out);
    });
  });
}

async function numsub(client, channel) {
  const [, count] = await client.call('PUBSUB', 'NUMSUB', channel);
  return Number(count);
}

async function waitSubscribers(client, channel, want, timeout = 5000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    if (await numsub(client, channel) >= want) return;
    if (Date.now() > deadline) throw new Error(`fewer than ${want} subscribers on ${channel} after ${timeout} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const server = await startNodeClusterServer({
    redisURL: process.env.REDIS_URL || 'redis://127.0.0.1:6379/0',
    prefix: process.env.REDIS_PREFIX || 'socket.io',
    port: Number(process.env.PORT || 0),
    tenantRooms: JSON.parse(process.env.TENANT_ROOMS || '{}'),
  });
  console.log(`listening on ${server.url}`);
  const stop = async () => { await server.close(); process.exit(0); };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
