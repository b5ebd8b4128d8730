package socketio

import (
	"log/slog"
	"net/http"

	engine "github.com/zishang520/socket.io/servers/engine/v3"
	"github.com/zishang520/socket.io/servers/engine/v3/config"
	"github.com/zishang520/socket.io/servers/engine/v3/transports"
	"github.com/zishang520/socket.io/v3/pkg/types"
)

// Engine is the Engine.IO layer alone (no Socket.IO packets): sessions,
// transports, heartbeat and upgrade, behind the guard that fixes the
// library's protocol gaps. Transport builds on it; the conformance server
// also serves it bare.
type Engine struct {
	opts    TransportOptions
	server  engine.Server
	handler http.Handler
	log     *slog.Logger
	beats   *heartbeats
}

// NewEngine builds an Engine.IO 4 server with the same settings
// NewTransport uses (ConnectTimeout is unused here).
func NewEngine(opts TransportOptions) *Engine {
	opts = opts.withDefaults()
	eo := config.DefaultServerOptions()
	applyEngineOptions(eo, opts)
	return newEngine(opts, engine.NewServer(eo))
}

func newEngine(opts TransportOptions, srv engine.Server) *Engine {
	e := &Engine{opts: opts, server: srv, log: opts.Logger, beats: newHeartbeats(opts)}
	_ = srv.On("connection", e.beats.track)
	e.handler = e.guard(srv)
	return e
}

// applyEngineOptions holds the settings chatd always wants from the engine:
// EIO 4 only, polling and websocket, upgrades allowed.
func applyEngineOptions(eo *config.ServerOptions, opts TransportOptions) {
	eo.SetPingInterval(opts.PingInterval)
	eo.SetPingTimeout(opts.PingTimeout)
	eo.SetMaxHttpBufferSize(opts.MaxPayload)
	eo.SetTransports(types.NewSet[transports.TransportCtor](
		orderedCtor{engine.Polling}, orderedCtor{engine.WebSocket}))
	eo.SetAllowUpgrades(true)
	eo.SetAllowEIO3(false)
	if opts.CORSAnyOrigin {
		eo.SetCors(corsAnyOrigin())
	}
}

// Server is the library's Engine.IO server, for its "connection" event.
func (e *Engine) Server() engine.Server { return e.server }

// Handler serves opts.Path for the engine.
func (e *Engine) Handler() http.Handler { return e.handler }

// Close closes every session.
func (e *Engine) Close() { e.server.Close() }
