// Package socketio binds the chat rules (socketio/chat) to chatd's own
// Socket.IO server (socketio/sio over socketio/engineio) on namespace "/":
// the handshake's origin check and authentication, events routed to the
// rules, the hub the rules broadcast through, and, with Redis, the cluster.
package socketio

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"chatd/socketio/chat"
	"chatd/socketio/engineio"
	"chatd/socketio/sio"
	"chatd/store"
)

// The transport settings the clients were tuned against
// (docs/socket-events.md, "Transport"): mobile sockets that die must leave
// presence within about 15 s, and chat images travel inline, so packets of
// several hundred KB are normal.
const (
	DefaultPingInterval = 5 * time.Second
	DefaultPingTimeout  = 10 * time.Second
	DefaultMaxPayload   = 1_000_000
	DefaultCloseDelay   = 200 * time.Millisecond
)

// Config configures the gateway. Zero durations and sizes take the contract's
// values (and the engine's defaults for the rest).
type Config struct {
	PingInterval   time.Duration
	PingTimeout    time.Duration
	MaxPayload     int // bytes; default 1,000,000
	ConnectTimeout time.Duration
	// CloseDelay is how long a server-side disconnect waits after the
	// DISCONNECT packet before closing the transport.
	CloseDelay time.Duration
	// MaxQueueBytes and WriteTimeout bound what waits to leave one
	// connection; a client past either is dropped as a slow consumer.
	MaxQueueBytes int
	WriteTimeout  time.Duration
	// RedisURL, when set, shares rooms (the Socket.IO Redis adapter) and
	// presence between every chatd process on that Redis.
	RedisURL string
	// RedisPrefix namespaces the adapter's channels and the presence keys;
	// default "socket.io", the Node adapter's own.
	RedisPrefix string
	Chat        chat.Config
}

// OriginPolicy is the one CORS allow-list (server.Origins) as the handshake
// needs it.
type OriginPolicy interface {
	Allowed(r *http.Request, origin string) bool
}

// Deps are the gateway's collaborators.
type Deps struct {
	Store    *store.DB
	Sessions chat.SessionResolver
	Origins  OriginPolicy
	// Admission, when set, admits or refuses each new Engine.IO session
	// (refused: HTTP 429) and hears when it ends.
	Admission engineio.Admission
	// Metrics is the registry the process's /metrics serves; with Redis the
	// adapter's series (chatd_redis_adapter_*) are registered on it. nil:
	// they are not exported.
	Metrics prometheus.Registerer
	Logger  *slog.Logger
	Clock   chat.Clock // the chat rules' time; nil: chat.RealClock
}

// Gateway binds the chat rules to Socket.IO sockets on namespace "/".
type Gateway struct {
	cfg            Config
	log            *slog.Logger
	engine         *engineio.Server
	io             *sio.Server
	nsp            *sio.Namespace
	chat           *chat.Service
	origins        OriginPolicy
	redis          *redisCluster // nil without REDIS_URL
	ctx            context.Context
	cancel         context.CancelFunc
	closeOnce      sync.Once
	closing        atomic.Bool
	connectedCount atomic.Int64 // sockets of this process past the handshake
	onEvent        func(*sio.Socket, sio.Event)
}

// New builds the Socket.IO server, the chat rules and, with cfg.RedisURL,
// the cluster adapter and presence store.
func New(cfg Config, deps Deps) (*Gateway, error) {
	cfg = cfg.withDefaults()
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	if deps.Origins == nil {
		return nil, errors.New("socketio: Deps.Origins is required")
	}
	g := &Gateway{cfg: cfg, log: deps.Logger, origins: deps.Origins}
	g.onEvent = g.handleEvent
	g.ctx, g.cancel = context.WithCancel(context.Background())
	g.io = sio.NewServer(sio.Config{ConnectTimeout: cfg.ConnectTimeout, CloseDelay: cfg.CloseDelay,
		MaxAttachmentBytes: cfg.MaxPayload, Logger: deps.Logger})
	g.nsp = g.io.Of("/")
	chatDeps := chat.Deps{Store: deps.Store, Sessions: deps.Sessions, Hub: hub{ns: g.nsp, log: deps.Logger},
		Logger: deps.Logger, Clock: deps.Clock}
	if cfg.RedisURL != "" {
		rc, err := newRedisCluster(g.ctx, cfg.RedisURL, cfg.RedisPrefix, deps.Metrics, deps.Logger)
		if err != nil {
			g.cancel()
			return nil, err
		}
		if factory := rc.adapter(); factory != nil {
			if err := g.nsp.SetAdapter(factory); err != nil {
				rc.close()
				g.cancel()
				return nil, err
			}
		}
		g.redis = rc
		chatDeps.Presence = rc.presence()
		chatDeps.Notices = rc.notices(deps.Logger)
	}
	g.chat = chat.NewService(cfg.Chat, chatDeps)
	g.nsp.Use(g.authenticate)
	g.nsp.OnConnection(g.connected)
	g.engine = engineio.NewServer(engineio.Config{
		PingInterval: cfg.PingInterval, PingTimeout: cfg.PingTimeout, MaxPayload: cfg.MaxPayload,
		MaxQueueBytes: cfg.MaxQueueBytes, WriteTimeout: cfg.WriteTimeout,
		Admission: deps.Admission, Logger: deps.Logger,
	}, g.io)
	return g, nil
}

func (c Config) withDefaults() Config {
	if c.PingInterval <= 0 {
		c.PingInterval = DefaultPingInterval
	}
	if c.PingTimeout <= 0 {
		c.PingTimeout = DefaultPingTimeout
	}
	if c.MaxPayload <= 0 {
		c.MaxPayload = DefaultMaxPayload
	}
	if c.CloseDelay <= 0 {
		c.CloseDelay = DefaultCloseDelay
	}
	if c.RedisPrefix == "" {
		c.RedisPrefix = "socket.io"
	}
	return c
}

// Handler serves /socket.io/: both transports and the upgrade. A request
// whose Origin is present and not on the allow-list is refused with 403
// (docs/socket-events.md, "Transport"); one without Origin (native apps,
// curl) passes. Polling responses get their CORS headers from the HTTP
// middleware in front.
func (g *Gateway) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if g.closing.Load() && r.URL.Query().Get("sid") == "" {
			// A client reconnecting during shutdown must find another
			// process, not a new session here.
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"code":0,"message":"Shutting down"}`))
			return
		}
		origin := r.Header.Get("Origin")
		if origin != "" && r.Method != http.MethodOptions && !g.origins.Allowed(r, origin) {
			g.log.Info("socket handshake refused", slog.String("reason", "origin not allowed"), slog.String("origin", origin))
			engineio.WriteError(w, engineio.ErrForbidden)
			return
		}
		g.engine.ServeHTTP(w, r)
	})
}

// Chat is the chat rules, for the HTTP routes that act on chat state
// (DELETE /api/messages/:id broadcasts messageDeleted through it).
func (g *Gateway) Chat() *chat.Service { return g.chat }

// DisconnectUser ends every socket bound to userID with "io server
// disconnect", so the client does not reconnect by itself: for a deleted
// account, whose sockets could only be refused again. Local sockets are
// found by identity (joined or not); through the adapter, sockets on other
// processes are reached by the user's personal room, which they enter on
// join. It returns how many local sockets it ended.
func (g *Gateway) DisconnectUser(userID string) int {
	if userID == "" {
		return 0
	}
	n := 0
	g.nsp.Sockets(func(s *sio.Socket) {
		if id, ok := s.Data().(chat.Identity); ok && id.UserID == userID {
			s.Disconnect(true)
			n++
		}
	})
	g.nsp.DisconnectSockets(sio.BroadcastOptions{Rooms: []string{userID}}, true)
	return n
}

// Close disconnects every socket, stops the rules and releases Redis. It is
// safe to call more than once.
func (g *Gateway) Close() {
	g.closeOnce.Do(func() {
		g.closing.Store(true)
		g.dropSockets()
		g.chat.Close()
		g.engine.Close()
		g.io.Close()
		g.cancel()
		if g.redis != nil {
			g.redis.close()
		}
	})
}

// dropSockets closes every connection while the rules and the adapter still
// run, so presence loses these sockets and, after one presence window, the
// other processes hear about it. It closes the transport rather than
// sending DISCONNECT: "transport close" makes clients reconnect to the next
// process by themselves, "io server disconnect" would stop them for good.
func (g *Gateway) dropSockets() {
	open := false
	g.engine.Sessions(func(s *engineio.Session) {
		open = true
		s.Close("server shutting down")
	})
	if !open {
		return
	}
	deadline := time.Now().Add(2 * time.Second)
	for g.connectedCount.Load() > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	window := g.cfg.Chat.PresenceWindow
	if window <= 0 {
		window = chat.DefaultPresenceWindow
	}
	time.Sleep(2 * window)
}

// connected runs after the CONNECT ack, before any event of the socket and
// on the same goroutine as its disconnect: the rules greet the socket, then
// every event the rules know is routed to them; the rest are ignored.
func (g *Gateway) connected(s *sio.Socket) {
	g.connectedCount.Add(1)
	id, _ := s.Data().(chat.Identity)
	c := conn{s}
	userID := id.UserID // not id: the closure lives as long as the socket
	s.OnDisconnect(func(reason string) {
		// Debug, as "socket connected": at a venue's reconnect rate a line
		// per socket was a tenth of the connect path's CPU; the HTTP access
		// log still has one line per socket, and refusals stay at info.
		if g.log.Enabled(g.ctx, slog.LevelDebug) { // the arguments alone cost an allocation
			g.log.Debug("socket disconnected", slog.String("socket_id", c.ID()),
				slog.String("user_id", userID), slog.String("reason", reason))
		}
		g.chat.Disconnected(g.ctx, c)
		g.connectedCount.Add(-1)
	})
	if g.log.Enabled(g.ctx, slog.LevelDebug) {
		g.log.Debug("socket connected", slog.String("socket_id", c.ID()), slog.String("user_id", id.UserID),
			slog.String("transport", s.Transport()))
	}
	g.chat.Connected(g.ctx, c, id)
	s.OnEvent(g.onEvent)
}

// handleEvent routes a socket's event to the rules. It is one function value
// for every socket (built once in New), not a closure per socket.
func (g *Gateway) handleEvent(s *sio.Socket, ev sio.Event) {
	g.chat.Handle(g.ctx, conn{s}, ev.Name, decodeArgs(ev.Args))
}

// decodeArgs turns an event's JSON arguments into the values the rules
// read (objects as map[string]any, numbers as float64); acks are ignored,
// the contract uses none.
func decodeArgs(raw []json.RawMessage) []any {
	args := make([]any, len(raw))
	for i, r := range raw {
		_ = json.Unmarshal(r, &args[i])
	}
	return args
}

// Connections is how many sockets of this process are connected (for the
// chatd_socket_connections gauge).
func (g *Gateway) Connections() int64 { return g.connectedCount.Load() }

// SlowConsumers is how many connections were dropped for not reading what
// was sent to them fast enough, since start (chatd_socket_slow_consumers_total).
func (g *Gateway) SlowConsumers() int64 { return g.engine.Stats().SlowConsumers.Load() }
