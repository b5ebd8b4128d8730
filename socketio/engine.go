// Package socketio is chatd's Socket.IO layer: the engine (transports,
// handshake, heartbeat, upgrade) built on github.com/zishang520/socket.io
// with the library's protocol gaps closed in front of it, and the chat
// gateway that binds the chat rules to sockets.
package socketio

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"time"

	engine "github.com/zishang520/socket.io/servers/engine/v3"
	"github.com/zishang520/socket.io/servers/socket/v3"
	"github.com/zishang520/socket.io/v3/pkg/types"
)

// Defaults follow the reference Socket.IO server so that clients tuned for
// it see the same timings.
const (
	DefaultPath           = "/socket.io/"
	DefaultPingInterval   = 25 * time.Second
	DefaultPingTimeout    = 20 * time.Second
	DefaultMaxPayload     = 1_000_000
	DefaultConnectTimeout = 45 * time.Second
)

// TransportOptions configures the engine. Zero values take the defaults
// above.
type TransportOptions struct {
	Path           string // default "/socket.io/"
	PingInterval   time.Duration
	PingTimeout    time.Duration
	MaxPayload     int64 // bytes (maxHttpBufferSize)
	ConnectTimeout time.Duration
	// AllowRequest decides on every handshake (a request without sid);
	// a non-nil error refuses it with 403. nil allows everything.
	AllowRequest func(r *http.Request) error
	// CORSAnyOrigin makes the engine answer CORS itself with "*". chatd
	// leaves it off (its HTTP middleware owns CORS); the conformance server
	// turns it on.
	CORSAnyOrigin bool
	// Logger receives engine-level problems; nil means slog.Default().
	Logger *slog.Logger
}

// Transport is the Socket.IO server bound to an Engine.
type Transport struct {
	engine *Engine
	io     *socket.Server
}

// NewTransport builds a Socket.IO server speaking Engine.IO 4 over polling
// and websocket (upgrade allowed), without connection-state recovery.
func NewTransport(opts TransportOptions) *Transport {
	opts = opts.withDefaults()
	so := socket.DefaultServerOptions()
	so.SetServeClient(false)
	so.SetConnectTimeout(opts.ConnectTimeout)
	so.SetPath(strings.TrimSuffix(opts.Path, "/"))
	applyEngineOptions(&so.Options.ServerOptions, opts)
	// Bind instead of ServeHandler so that the guard in front of the engine
	// can reach its sessions.
	io := socket.NewServer(nil, so)
	e := newEngine(opts, engine.NewServer(so))
	io.Bind(e.server)
	openConnectGates(io)
	return &Transport{engine: e, io: io}
}

func (o TransportOptions) withDefaults() TransportOptions {
	if o.Path == "" {
		o.Path = DefaultPath
	}
	if !strings.HasSuffix(o.Path, "/") {
		o.Path += "/"
	}
	if o.PingInterval <= 0 {
		o.PingInterval = DefaultPingInterval
	}
	if o.PingTimeout <= 0 {
		o.PingTimeout = DefaultPingTimeout
	}
	if o.MaxPayload <= 0 {
		o.MaxPayload = DefaultMaxPayload
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = DefaultConnectTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// IO is the Socket.IO server, for registering namespaces and handlers.
func (t *Transport) IO() *socket.Server { return t.io }

// Handler serves opts.Path: polling, websocket and the upgrade between them.
func (t *Transport) Handler() http.Handler { return t.engine.Handler() }

// Close disconnects every client and stops the engine.
func (t *Transport) Close() {
	t.io.Close(nil)
}

// corsAnyOrigin is the library's CORS answer for the conformance server.
func corsAnyOrigin() *types.Cors { return &types.Cors{Origin: "*"} }

// writeEngineError answers like the Engine.IO server does: a JSON body with
// the protocol's error code and a fixed message, never internal text.
func writeEngineError(w http.ResponseWriter, status, code int, message string) {
	body, _ := json.Marshal(struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}{code, message})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
