package redisadapter

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"chatd/socketio/sio"
)

// Errors of the adapter. A Broadcast (or any operation handed to other
// processes) that returns an error wrapping ErrNotDelivered reached no other
// process and never will: the caller should tell the sender.
var (
	ErrNotDelivered = errors.New("redisadapter: not delivered to other processes")
	ErrClosed       = errors.New("redisadapter: closed")
	ErrTimeout      = errors.New("redisadapter: not every server answered in time")
)

// Defaults of Config.
const (
	DefaultPrefix              = "socket.io" // the Node adapter's default key
	DefaultRequestTimeout      = 5 * time.Second
	DefaultOutboxMaxBytes      = 16 << 20
	DefaultOutboxMaxAge        = 30 * time.Second
	DefaultCloseTimeout        = 2 * time.Second
	DefaultHealthCheckInterval = 5 * time.Second
)

// Config of one namespace's adapter. Zero values take the defaults.
type Config struct {
	// Prefix is the key of every channel, Node's `key` option.
	Prefix string
	// Nsp is the namespace, "/" by default.
	Nsp string
	// RequestTimeout bounds FetchSockets, AllRooms and ServerSideEmitWithAck.
	RequestTimeout time.Duration
	// PublishOnSpecificResponseChannel answers a request on the requester's
	// own response channel ("<prefix>-response#<nsp>#<uid>#"), Node's option
	// of the same name; off by default, like Node's, so that any 8.x hears us.
	PublishOnSpecificResponseChannel bool
	// OutboxMaxBytes and OutboxMaxAge bound what is held for other processes
	// while Redis cannot take it (see the package documentation).
	OutboxMaxBytes int
	OutboxMaxAge   time.Duration
	// CloseTimeout is how long Close waits for held messages to be published.
	CloseTimeout time.Duration
	// HealthCheckInterval: a subscription silent for this long is pinged, and
	// reconnected when the ping is not answered within as long again.
	HealthCheckInterval time.Duration
	// OnServerSideEmit receives another server's serverSideEmit: args is the
	// JSON array [event, ...args]; ack is nil unless the emitter waits for an
	// answer, and then must be called once (later calls are ignored). It runs
	// on the adapter's receiving goroutine and must not block.
	OnServerSideEmit func(args json.RawMessage, ack func(json.RawMessage))
	// Metrics, shared by every namespace's adapter; nil: not exported.
	Metrics *Metrics
	// Now is the clock of the outbox's age bound; time.Now by default.
	Now func() time.Time
}

func (c Config) withDefaults() Config {
	if c.Prefix == "" {
		c.Prefix = DefaultPrefix
	}
	if c.Nsp == "" {
		c.Nsp = "/"
	}
	c.RequestTimeout = orDuration(c.RequestTimeout, DefaultRequestTimeout)
	c.OutboxMaxAge = orDuration(c.OutboxMaxAge, DefaultOutboxMaxAge)
	c.CloseTimeout = orDuration(c.CloseTimeout, DefaultCloseTimeout)
	c.HealthCheckInterval = orDuration(c.HealthCheckInterval, DefaultHealthCheckInterval)
	if c.OutboxMaxBytes <= 0 {
		c.OutboxMaxBytes = DefaultOutboxMaxBytes
	}
	if c.Metrics == nil {
		c.Metrics = newUnregisteredMetrics()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

func orDuration(d, fallback time.Duration) time.Duration {
	if d <= 0 {
		return fallback
	}
	return d
}

// Ack is one client's acknowledgement of an acknowledged broadcast: its
// first argument, as JSON with attachment placeholders, and the attachments.
type Ack struct {
	Data        json.RawMessage
	Attachments [][]byte
}

// AckLocal is implemented by a namespace that can deliver a broadcast whose
// recipients acknowledge it (Node's broadcastWithAck): onClientCount is
// called once with the number of sockets the packet went to, onAck once per
// acknowledgement. Without it, such a broadcast from another server is
// delivered without an acknowledgement id and reported as reaching no
// client, so the emitter does not wait for this process.
type AckLocal interface {
	DeliverLocalWithAck(pkt sio.Packet, opts sio.BroadcastOptions, onClientCount func(int), onAck func(Ack))
}

// Adapter is one namespace's cluster adapter over Redis. It implements
// sio.Adapter; its other methods are the cluster queries Node's adapter
// offers (fetchSockets, allRooms, serverCount, serverSideEmit,
// broadcastWithAck).
type Adapter struct {
	cfg     Config
	client  *goredis.Client
	local   sio.Local
	log     *slog.Logger
	metrics nspMetrics
	uid     string

	channel                 string // "<prefix>#<nsp>#", psubscribed with "*"
	requestChannel          string
	responseChannel         string
	specificResponseChannel string

	out     *outbox
	sub     *subscriber
	pending pendingTable
	closing chan struct{} // closed by Close: pending queries end
	once    sync.Once
}

var _ sio.Adapter = (*Adapter)(nil)

// New subscribes to the namespace's channels on client (go-redis v9; the
// subscription takes a connection of its own) and returns once Redis has
// confirmed them; ctx bounds only that. The adapter lives until Close, which
// does not close client.
func New(ctx context.Context, client *goredis.Client, cfg Config, local sio.Local, log *slog.Logger) (*Adapter, error) {
	if client == nil || local == nil {
		return nil, errors.New("redisadapter: New needs a Redis client and a namespace")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg = cfg.withDefaults()
	a := &Adapter{
		cfg:     cfg,
		client:  client,
		local:   local,
		log:     log.With(slog.String("nsp", cfg.Nsp)),
		metrics: cfg.Metrics.forNsp(cfg.Nsp),
		uid:     newID(),
		closing: make(chan struct{}),
	}
	a.channel = cfg.Prefix + "#" + cfg.Nsp + "#"
	a.requestChannel = cfg.Prefix + "-request#" + cfg.Nsp + "#"
	a.responseChannel = cfg.Prefix + "-response#" + cfg.Nsp + "#"
	a.specificResponseChannel = a.responseChannel + a.uid + "#"
	a.pending.init()
	a.out = newOutbox(client, cfg, a.log, a.metrics)
	sub, err := newSubscriber(ctx, client, cfg.HealthCheckInterval, a.log, a.metrics, a.dispatch,
		[]string{a.channel + "*"}, []string{a.requestChannel, a.responseChannel, a.specificResponseChannel})
	if err != nil {
		a.out.close(0)
		return nil, fmt.Errorf("redisadapter: subscribe: %w", err)
	}
	a.sub = sub
	return a, nil
}

// UID is this adapter's server id in the cluster's messages.
func (a *Adapter) UID() string { return a.uid }

// Broadcast implements sio.Adapter. It never waits for Redis: the message
// is queued for publishing, and an error wrapping ErrNotDelivered means it
// was refused (see the package documentation).
func (a *Adapter) Broadcast(_ context.Context, pkt sio.Packet, opts sio.BroadcastOptions) error {
	if opts.Local {
		return nil
	}
	payload, err := encodeBroadcast(a.uid, a.cfg.Nsp, pkt, opts)
	if err != nil {
		return err
	}
	return a.out.push(a.broadcastChannel(opts.Rooms), payload)
}

// broadcastChannel is the room's own channel when there is exactly one
// room, so that Node servers without that room skip the message unread.
func (a *Adapter) broadcastChannel(rooms []string) string {
	if rooms = unique(rooms); len(rooms) == 1 {
		return a.channel + rooms[0] + "#"
	}
	return a.channel
}

// AddSockets implements sio.Adapter (Node's socketsJoin).
func (a *Adapter) AddSockets(_ context.Context, opts sio.BroadcastOptions, rooms []string) error {
	if opts.Local || len(rooms) == 0 {
		return nil
	}
	return a.publishRequest(request{UID: a.uid, Type: requestRemoteJoin, Opts: toWireOpts(opts), Rooms: rooms})
}

// DelSockets implements sio.Adapter (Node's socketsLeave).
func (a *Adapter) DelSockets(_ context.Context, opts sio.BroadcastOptions, rooms []string) error {
	if opts.Local || len(rooms) == 0 {
		return nil
	}
	return a.publishRequest(request{UID: a.uid, Type: requestRemoteLeave, Opts: toWireOpts(opts), Rooms: rooms})
}

// DisconnectSockets implements sio.Adapter (Node's disconnectSockets).
func (a *Adapter) DisconnectSockets(_ context.Context, opts sio.BroadcastOptions, close bool) error {
	if opts.Local {
		return nil
	}
	return a.publishRequest(request{UID: a.uid, Type: requestRemoteDisconnect, Opts: toWireOpts(opts), Close: &close})
}

func (a *Adapter) publishRequest(req request) error {
	payload, err := json.Marshal(req)
	if err != nil {
		return err
	}
	return a.out.push(a.requestChannel, payload)
}

// Close stops receiving, publishes what is held for up to CloseTimeout
// (what is left is dropped, logged and counted), and fails every pending
// query with ErrClosed. It does not close the Redis client.
func (a *Adapter) Close() error {
	a.once.Do(func() {
		close(a.closing)
		a.sub.close()
		a.out.close(a.cfg.CloseTimeout)
		a.pending.close()
	})
	return nil
}

// newID is a random id for this server and its requests (Node uses six
// random characters; any string works).
func newID() string { return rand.Text()[:16] }
