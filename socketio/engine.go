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

// Transport is the Socket.IO server plus the HTTP handler that fronts it.
type Transport struct {
	opts    TransportOptions
	io      *socket.Server
	handler http.Handler
	log     *slog.Logger
}

// NewTransport builds a Socket.IO server speaking Engine.IO 4 over polling
// and websocket (upgrade allowed), without connection-state recovery.
func NewTransport(opts TransportOptions) *Transport {
	opts = opts.withDefaults()
	io := socket.NewServer(nil, serverOptions(opts))
	t := &Transport{opts: opts, io: io, log: opts.Logger}
	t.handler = t.guard(io.ServeHandler(nil))
	return t
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

func serverOptions(o TransportOptions) *socket.ServerOptions {
	so := socket.DefaultServerOptions()
	so.SetPath(strings.TrimSuffix(o.Path, "/"))
	so.SetServeClient(false)
	so.SetPingInterval(o.PingInterval)
	so.SetPingTimeout(o.PingTimeout)
	so.SetMaxHttpBufferSize(o.MaxPayload)
	so.SetConnectTimeout(o.ConnectTimeout)
	so.SetTransports(types.NewSet(engine.Polling, engine.WebSocket))
	so.SetAllowUpgrades(true)
	so.SetAllowEIO3(false)
	if o.CORSAnyOrigin {
		so.SetCors(&types.Cors{Origin: "*"})
	}
	return so
}

// IO is the Socket.IO server, for registering namespaces and handlers.
func (t *Transport) IO() *socket.Server { return t.io }

// Handler serves opts.Path: polling, websocket and the upgrade between them.
func (t *Transport) Handler() http.Handler { return t.handler }

// Close disconnects every client and stops the engine.
func (t *Transport) Close() {
	t.io.Close(nil)
}

// guard answers what the library must not see: requests outside the path
// and handshakes refused by AllowRequest.
func (t *Transport) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path+"/", t.opts.Path) {
			http.NotFound(w, r)
			return
		}
		if t.opts.AllowRequest != nil && r.URL.Query().Get("sid") == "" {
			if err := t.opts.AllowRequest(r); err != nil {
				t.log.Info("socket handshake refused", slog.String("reason", err.Error()))
				writeEngineError(w, http.StatusForbidden, 4, "Forbidden")
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// writeEngineError answers like the Engine.IO server does: a JSON body with
// the protocol's error code and a fixed message, never internal text.
func writeEngineError(w http.ResponseWriter, status, code int, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}{code, message})
}
