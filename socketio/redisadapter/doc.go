// Package redisadapter is the cluster adapter of chatd's Socket.IO server:
// it carries a namespace's broadcasts and remote operations to the other
// processes through Redis pub/sub, speaking @socket.io/redis-adapter 8.x's
// protocol exactly, so that chatd processes and Node socket.io 4.x servers
// using that adapter share rooms (a mixed fleet during a migration).
//
// # Wiring
//
// One adapter per namespace, all on one go-redis v9 client (each takes one
// extra connection for its subscription); the namespace is its sio.Local:
//
//	metrics, err := redisadapter.NewMetrics(registry) // once per process
//	a, err := redisadapter.New(ctx, client, redisadapter.Config{
//		Prefix: "socket.io", // Node's `key` option; REDIS_PREFIX in chatd
//		Nsp:    "/",
//		Metrics: metrics,
//		OnServerSideEmit: handler, // optional: Node's io.serverSideEmit
//	}, namespace, logger)
//	...
//	a.Close() // before the client
//
// A namespace that also implements AckLocal lets a Node server's
// acknowledged broadcast (io.timeout(t).emit(ev, cb)) collect the answers
// of chatd's sockets. Beyond sio.Adapter, *Adapter offers Node's cluster
// queries: FetchSockets, AllRooms, ServerCount, ServerSideEmit(WithAck) and
// BroadcastWithAck; FetchSockets and AllRooms return the other servers'
// part only.
//
// # Protocol
//
// Channels, for prefix P and namespace N, as Node's adapter names them:
//
//	P#N#           broadcasts to every socket or to several rooms
//	P#N#room#      broadcasts to exactly one room
//	               (both received through one PSUBSCRIBE "P#N#*")
//	P-request#N#   requests; its subscriber count (PUBSUB NUMSUB) is the
//	               number of servers
//	P-response#N#, P-response#N#<uid>#   answers
//
// A broadcast is the MessagePack array [uid, packet, {rooms, except,
// flags}]; packet data crosses as MessagePack (binary attachments as bin
// values in place, as Node's Buffers) and is transcoded from and to the
// JSON-with-placeholders form of sio.Packet, keeping key order and
// integers. Requests and answers are JSON, except the acknowledged
// broadcast and its acknowledgements (MessagePack). Every request a Node
// server sends is answered (SOCKETS, ALL_ROOMS, REMOTE_FETCH, SERVER_SIDE_EMIT
// when a handler is set, BROADCAST with acknowledgements) or applied
// (REMOTE_JOIN, REMOTE_LEAVE, REMOTE_DISCONNECT).
//
// One difference from Node's adapter: a Node server applies its own
// socketsJoin, socketsLeave and disconnectSockets when its request comes
// back from Redis; chatd's namespace applies them itself (the sio.Adapter
// contract), so this adapter ignores every message carrying its own uid.
// The volatile and compress flags of a broadcast are not carried
// (sio.BroadcastOptions has no field for them).
//
// # When Redis is unreachable
//
// Everything the adapter publishes goes through one ordered outbox that one
// goroutine publishes in pipelined batches, so no caller ever waits for
// Redis. While Redis cannot take messages they are held, in order, and
// published when it returns. The outbox is bounded: when the oldest held
// message has waited longer than OutboxMaxAge (default 30 s), or holding one
// more would exceed OutboxMaxBytes (default 16 MiB per namespace),
// Broadcast (and AddSockets, DelSockets, DisconnectSockets,
// ServerSideEmit) returns an error wrapping ErrNotDelivered at once and the
// message is never published: the caller tells the sender it was not
// delivered. So a message Broadcast accepted reaches the other processes
// once Redis is back, as long as this process still runs; Close publishes
// what is held for up to CloseTimeout and logs and counts the rest. At the
// instant a connection breaks, a publish whose reply was lost is sent
// again (at least once).
//
// What other processes publish while this one's subscription is down is
// lost to it, as with any Redis pub/sub (Node's adapter alike). The
// subscription comes back by itself; one that goes silent without an error
// is found by a ping left unanswered for HealthCheckInterval and replaced.
// Refusals, drops, outages and recoveries are logged and counted
// (chatd_redis_adapter_* series).
package redisadapter
