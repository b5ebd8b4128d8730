package socketio

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/zishang520/socket.io/servers/socket/v3"

	"chatd/socketio/chat"
	"chatd/store"
)

// The transport settings the clients were tuned against (socket-contract.md
// §1): mobile sockets that die must leave presence within about 15 s, and
// chat images travel inline, so packets of several hundred KB are normal.
const (
	DefaultGatewayPingInterval = 5 * time.Second
	DefaultGatewayPingTimeout  = 10 * time.Second
	DefaultCloseDelay          = 200 * time.Millisecond
)

// Config configures the gateway. Zero durations and sizes take the contract's
// values.
type Config struct {
	PingInterval   time.Duration
	PingTimeout    time.Duration
	MaxPayload     int64 // bytes; default 1,000,000
	ConnectTimeout time.Duration
	// CloseDelay is how long a server-side disconnect waits after the
	// DISCONNECT packet before closing the transport.
	CloseDelay time.Duration
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
	Logger   *slog.Logger
	Now      func() time.Time
}

// Gateway binds the chat rules to Socket.IO sockets on namespace "/".
type Gateway struct {
	cfg            Config
	log            *slog.Logger
	transport      *Transport
	chat           *chat.Service
	origins        OriginPolicy
	redis          *redisCluster // nil without REDIS_URL
	ctx            context.Context
	cancel         context.CancelFunc
	closeOnce      sync.Once
	closing        atomic.Bool
	connectedCount atomic.Int64 // sockets of this process past the handshake
}

// New builds the transport, the chat rules and, with cfg.RedisURL, the
// cluster adapter and presence store.
func New(cfg Config, deps Deps) (*Gateway, error) {
	cfg = cfg.withDefaults()
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Origins == nil {
		return nil, errors.New("socketio: Deps.Origins is required")
	}
	g := &Gateway{cfg: cfg, log: deps.Logger, origins: deps.Origins}
	g.ctx, g.cancel = context.WithCancel(context.Background())
	g.transport = NewTransport(TransportOptions{
		PingInterval:   cfg.PingInterval,
		PingTimeout:    cfg.PingTimeout,
		MaxPayload:     cfg.MaxPayload,
		ConnectTimeout: cfg.ConnectTimeout,
		Logger:         deps.Logger,
	})
	chatDeps := chat.Deps{Store: deps.Store, Sessions: deps.Sessions, Hub: hub{io: g.transport.IO()},
		Logger: deps.Logger, Now: deps.Now}
	if cfg.RedisURL != "" {
		rc, err := newRedisCluster(g.ctx, cfg.RedisURL, cfg.RedisPrefix, deps.Logger)
		if err != nil {
			g.cancel()
			g.transport.Close()
			return nil, err
		}
		g.redis = rc
		g.transport.IO().SetAdapter(rc.adapter())
		chatDeps.Presence = rc.presence()
	}
	g.chat = chat.NewService(cfg.Chat, chatDeps)
	io := g.transport.IO()
	io.Use(g.authenticate)
	_ = io.On("connection", func(args ...any) {
		if s, ok := args[0].(*socket.Socket); ok {
			g.connected(s)
		}
	})
	return g, nil
}

func (c Config) withDefaults() Config {
	if c.PingInterval <= 0 {
		c.PingInterval = DefaultGatewayPingInterval
	}
	if c.PingTimeout <= 0 {
		c.PingTimeout = DefaultGatewayPingTimeout
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
// (http-api.md §5.2); one without Origin (native apps, curl) passes. Polling
// responses get their CORS headers from the HTTP middleware in front.
//
// For an allowed origin the Origin header is removed before a WebSocket
// upgrade reaches the library: its upgrader otherwise applies gorilla's
// same-origin default and fails every cross-origin upgrade (the web app on
// :3000 talking to :3001) with 400. The allow-list has already decided.
func (g *Gateway) Handler() http.Handler {
	next := g.transport.Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if g.closing.Load() && r.URL.Query().Get("sid") == "" {
			// A client reconnecting during shutdown must find another
			// process, not a new session here.
			writeEngineError(w, http.StatusServiceUnavailable, 0, "Shutting down")
			return
		}
		origin := r.Header.Get("Origin")
		if origin != "" && r.Method != http.MethodOptions {
			if !g.origins.Allowed(r, origin) {
				g.log.Info("socket handshake refused", slog.String("reason", "origin not allowed"), slog.String("origin", origin))
				writeEngineError(w, http.StatusForbidden, 4, "Forbidden")
				return
			}
			if websocket.IsWebSocketUpgrade(r) {
				// handshakeOf still needs it: the rules treat native origins apart.
				r = r.Clone(context.WithValue(r.Context(), upgradeOriginKey{}, origin))
				r.Header.Del("Origin")
			}
		}
		next.ServeHTTP(w, r)
	})
}

// Chat is the chat rules, for the HTTP routes that act on chat state
// (DELETE /api/messages/:id broadcasts messageDeleted through it).
func (g *Gateway) Chat() *chat.Service { return g.chat }

// DisconnectUser ends every socket bound to userID with "io server
// disconnect", so the client does not reconnect by itself: for a deleted
// account, whose sockets could only be refused again. Local sockets are
// found by identity (joined or not); with Redis, sockets on other processes
// are reached through the user's personal room, which they enter on join.
// It returns how many local sockets it ended.
func (g *Gateway) DisconnectUser(userID string) int {
	n := 0
	g.transport.IO().Sockets().Sockets().Range(func(_ socket.SocketId, s *socket.Socket) bool {
		if id, ok := s.Data().(chat.Identity); ok && id.UserID == userID && userID != "" {
			newConn(s, g.cfg.CloseDelay).Disconnect()
			n++
		}
		return true
	})
	if g.redis != nil && userID != "" {
		g.transport.IO().In(socket.Room(userID)).DisconnectSockets(false)
	}
	return n
}

// Close disconnects every socket, stops the rules and releases Redis. It is
// safe to call more than once.
func (g *Gateway) Close() {
	g.closeOnce.Do(func() {
		g.closing.Store(true)
		g.dropSockets()
		if g.chat != nil {
			g.chat.Close()
		}
		g.transport.Close()
		g.cancel()
		if g.redis != nil {
			g.redis.close()
		}
	})
}

// dropSockets closes every local connection while the rules and the Redis
// adapter still run, so presence loses these sockets and, after one presence
// window, the other processes hear about it. It closes the transport rather
// than sending DISCONNECT (what the library's Disconnect(true) does first):
// "transport close" makes clients reconnect to the next process by
// themselves, "io server disconnect" would stop them for good.
func (g *Gateway) dropSockets() {
	var open []*socket.Socket
	g.transport.IO().Sockets().Sockets().Range(func(_ socket.SocketId, s *socket.Socket) bool {
		open = append(open, s)
		s.Conn().Close(false)
		return true
	})
	if len(open) == 0 {
		return
	}
	deadline := time.Now().Add(2 * time.Second)
	for _, s := range open {
		for s.Connected() && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
	}
	window := g.cfg.Chat.PresenceWindow
	if window <= 0 {
		window = chat.DefaultPresenceWindow
	}
	time.Sleep(2 * window)
}

// connected runs after the CONNECT ack: the rules greet the socket, then
// every event the rules know is routed to them; the rest are ignored.
func (g *Gateway) connected(s *socket.Socket) {
	g.connectedCount.Add(1)
	id, _ := s.Data().(chat.Identity)
	c := newConn(s, g.cfg.CloseDelay)
	g.log.Info("socket connected", slog.String("socket_id", c.ID()), slog.String("user_id", id.UserID),
		slog.String("transport", s.Conn().Transport().Name()))
	g.chat.Connected(g.ctx, c, id)
	for _, event := range g.chat.Events() {
		_ = s.On(event, func(args ...any) {
			g.chat.Handle(g.ctx, c, event, withoutAck(args))
		})
	}
	_ = s.On("disconnect", func(args ...any) {
		reason, _ := firstArg(args).(string)
		g.log.Info("socket disconnected", slog.String("socket_id", c.ID()),
			slog.String("user_id", id.UserID), slog.String("reason", reason))
		g.chat.Disconnected(g.ctx, c)
		g.connectedCount.Add(-1)
	})
}

// Connections is how many sockets of this process are connected (for the
// chatd_socket_connections gauge).
func (g *Gateway) Connections() int64 { return g.connectedCount.Load() }

// withoutAck drops the acknowledgement callback the library appends when
// the client asked for one: the contract uses no acks.
func withoutAck(args []any) []any {
	if n := len(args); n > 0 {
		if _, ok := args[n-1].(socket.Ack); ok {
			return args[:n-1]
		}
	}
	return args
}

func firstArg(args []any) any {
	if len(args) == 0 {
		return nil
	}
	return args[0]
}
