package sio

import (
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"chatd/internal/workers"
	"chatd/socketio/engineio"
)

// Defaults of Config.
const (
	DefaultConnectTimeout     = 45 * time.Second
	DefaultMaxAttachments     = 10 // Node's socket.io-parser maxAttachments
	DefaultMaxAttachmentBytes = 1_000_000
	DefaultCloseDelay         = 200 * time.Millisecond
)

// maxIdleWorkers bounds the goroutines kept for handling packets between
// bursts: enough for the connections a busy process handles at the same
// moment; a storm beyond it starts goroutines as before.
const maxIdleWorkers = 256

// Config configures a Server. Zero values take the defaults above.
type Config struct {
	// ConnectTimeout closes a connection that has joined no namespace by
	// then.
	ConnectTimeout time.Duration
	// MaxAttachments and MaxAttachmentBytes bound the binary attachments of
	// one packet (their number and their total size); a packet over either
	// closes the connection.
	MaxAttachments     int
	MaxAttachmentBytes int
	// CloseDelay is how long Disconnect(true) waits after the DISCONNECT
	// packet before closing the connection, so the client sees
	// "io server disconnect" (and usually closes first).
	CloseDelay time.Duration
	// MaxPendingBytes bounds the received packets waiting for their
	// handlers on one connection; past it the connection is not read until
	// they catch up.
	MaxPendingBytes int
	Logger          *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.ConnectTimeout <= 0 {
		c.ConnectTimeout = DefaultConnectTimeout
	}
	if c.MaxAttachments <= 0 {
		c.MaxAttachments = DefaultMaxAttachments
	}
	if c.MaxAttachmentBytes <= 0 {
		c.MaxAttachmentBytes = DefaultMaxAttachmentBytes
	}
	if c.CloseDelay <= 0 {
		c.CloseDelay = DefaultCloseDelay
	}
	if c.MaxPendingBytes <= 0 {
		c.MaxPendingBytes = 4 << 20
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Server is a Socket.IO v5 server: it is the Engine.IO server's Handler and
// routes each connection's packets to its namespaces.
type Server struct {
	cfg Config
	log *slog.Logger

	mu   sync.RWMutex
	nsps map[string]*Namespace

	workers *workers.Pool // runs the clients' packet handling
}

// NewServer returns a server without namespaces; add them with Of before
// serving.
func NewServer(cfg Config) *Server {
	cfg = cfg.withDefaults()
	return &Server{cfg: cfg, log: cfg.Logger, nsps: map[string]*Namespace{}, workers: workers.New(maxIdleWorkers)}
}

// Of returns the namespace name, creating it. A CONNECT to a namespace that
// was never created is refused with "Invalid namespace".
func (srv *Server) Of(name string) *Namespace {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if ns := srv.nsps[name]; ns != nil {
		return ns
	}
	ns := newNamespace(srv, name)
	srv.nsps[name] = ns
	return ns
}

func (srv *Server) namespace(name string) *Namespace {
	srv.mu.RLock()
	defer srv.mu.RUnlock()
	return srv.nsps[name]
}

// Close closes every namespace's adapter.
func (srv *Server) Close() {
	srv.workers.Close()
	srv.mu.RLock()
	defer srv.mu.RUnlock()
	for _, ns := range srv.nsps {
		ns.closeAdapter()
	}
}

// Open implements engineio.Handler: every Engine.IO session is a Socket.IO
// connection.
func (srv *Server) Open(es *engineio.Session) engineio.Receiver {
	return newClient(srv, es)
}

// Event is one event a client sent: its name, its arguments as raw JSON
// (binary attachments appear as their placeholders
// {"_placeholder":true,"num":N}), the attachments, and the ack id when the
// client asked for an acknowledgement.
type Event struct {
	Name        string
	Args        []json.RawMessage
	Attachments [][]byte
	AckID       *int64
}

// ConnectError refuses a CONNECT from a middleware: the client gets
// CONNECT_ERROR {"message": Message, "data": Data}, without "data" when
// Data is nil.
type ConnectError struct {
	Message string
	Data    any
}

func (e *ConnectError) Error() string { return e.Message }

// connectErrorPacket is the CONNECT_ERROR data for e.
func connectErrorData(e *ConnectError) json.RawMessage {
	v := struct {
		Message string `json:"message"`
		Data    any    `json:"data,omitempty"`
	}{e.Message, e.Data}
	b, err := json.Marshal(v)
	if err != nil {
		b, _ = json.Marshal(struct {
			Message string `json:"message"`
		}{e.Message})
	}
	return b
}
