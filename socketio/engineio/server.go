// Package engineio is chatd's Engine.IO v4 server: the handshake, HTTP
// long-polling, websocket (directly and by upgrade from polling), the
// heartbeat, and the write path every Socket.IO packet leaves by.
//
// It behaves as Node's engine.io 6 (packages/engine.io in socketio/socket.io)
// where a client can tell, and is built for load where it cannot: a frame
// is encoded once and shared by every session it goes to, each session has
// one bounded outbound queue drained with as few syscalls as possible, a
// session that cannot keep up is closed ("slow consumer") instead of
// buffered without limit, and an idle websocket session holds no buffer and
// one parked goroutine.
package engineio

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of Config, Node's where Node has one.
const (
	DefaultPingInterval   = 25 * time.Second
	DefaultPingTimeout    = 20 * time.Second
	DefaultMaxPayload     = 1_000_000
	DefaultUpgradeTimeout = 10 * time.Second
	DefaultMaxQueueBytes  = 4 << 20
	DefaultWriteTimeout   = 10 * time.Second
	DefaultFlushInterval  = 5 * time.Millisecond
	// pollCloseTimeout bounds how long a session closed by the server waits
	// for the poll that carries its close packet (Node: 30 s).
	pollCloseTimeout = 30 * time.Second
)

// Config configures a Server. Zero values take the defaults above.
type Config struct {
	PingInterval   time.Duration
	PingTimeout    time.Duration
	MaxPayload     int // bytes of one packet or polling payload (maxHttpBufferSize)
	UpgradeTimeout time.Duration
	// MaxQueueBytes bounds the frames waiting to leave one session; past it
	// the session is a slow consumer and is closed.
	MaxQueueBytes int
	// WriteTimeout bounds one websocket write, and how long a frame may wait
	// for a poll to take it; past it the session is a slow consumer.
	WriteTimeout time.Duration
	// FlushInterval is the shortest time between two batches of websocket
	// writes: under load, what a connection gets within it leaves in one
	// writev. An idle connection's frame leaves at once.
	FlushInterval time.Duration
	// CORSAnyOrigin answers CORS with "*" (the conformance server). chatd
	// leaves it off: its HTTP middleware owns CORS.
	CORSAnyOrigin bool
	// Admission, when set, admits or refuses every new session.
	Admission Admission
	Logger    *slog.Logger
}

// Admission decides on new sessions, e.g. per client IP. Admit sees the
// handshake request; an error refuses the session with HTTP 429. An
// admitted session's release (nil when there is nothing to give back) is
// called once, when the session ends, by whatever path.
type Admission interface {
	Admit(r *http.Request) (release func(), err error)
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
	if c.UpgradeTimeout <= 0 {
		c.UpgradeTimeout = DefaultUpgradeTimeout
	}
	if c.MaxQueueBytes <= 0 {
		c.MaxQueueBytes = DefaultMaxQueueBytes
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = DefaultWriteTimeout
	}
	if c.FlushInterval <= 0 {
		c.FlushInterval = DefaultFlushInterval
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Handler receives new sessions. Open runs once per session, before any of
// its messages, and returns what receives them.
type Handler interface {
	Open(s *Session) Receiver
}

// Receiver gets one session's messages and its end. Message is called on
// one goroutine at a time, in arrival order; data belongs to the receiver.
// Closed is called once, after the last Message.
type Receiver interface {
	Message(data []byte, binary bool)
	Closed(reason string)
}

// Stats counts what an operator watches.
type Stats struct {
	Sessions      atomic.Int64 // open now
	SlowConsumers atomic.Int64 // closed for not keeping up, since start
}

// Server is an Engine.IO server. Serve it at its path with ServeHTTP.
type Server struct {
	cfg     Config
	handler Handler
	log     *slog.Logger
	open    []byte // the handshake's constant tail: ,"pingInterval":…}

	mu       sync.RWMutex
	sessions map[string]*Session
	closed   bool

	stats    Stats
	flushers []*flusher
	next     atomic.Uint32
	poller   *poller // nil where epoll is not available
	beats    *schedule
}

// NewServer returns a server handing its sessions to h.
func NewServer(cfg Config, h Handler) *Server {
	cfg = cfg.withDefaults()
	tail, _ := json.Marshal(struct {
		PingInterval int64 `json:"pingInterval"`
		PingTimeout  int64 `json:"pingTimeout"`
		MaxPayload   int   `json:"maxPayload"`
	}{cfg.PingInterval.Milliseconds(), cfg.PingTimeout.Milliseconds(), cfg.MaxPayload})
	tail[0] = ','
	srv := &Server{cfg: cfg, handler: h, log: cfg.Logger, open: tail, sessions: map[string]*Session{}}
	srv.poller = newPoller()
	srv.beats = newSchedule()
	for range runtime.GOMAXPROCS(0) {
		srv.flushers = append(srv.flushers, newFlusher(cfg.FlushInterval))
	}
	return srv
}

// nextFlusher spreads websocket connections over the flushers.
func (srv *Server) nextFlusher() *flusher {
	return srv.flushers[int(srv.next.Add(1))%len(srv.flushers)]
}

// Stats are the server's counters.
func (srv *Server) Stats() *Stats { return &srv.stats }

// Config is the server's configuration with defaults applied.
func (srv *Server) Config() Config { return srv.cfg }

// Close closes every session ("forced close") and refuses new ones.
func (srv *Server) Close() {
	srv.mu.Lock()
	srv.closed = true
	all := make([]*Session, 0, len(srv.sessions))
	for _, s := range srv.sessions {
		all = append(all, s)
	}
	srv.mu.Unlock()
	for _, s := range all {
		s.Close("forced close")
	}
	for _, f := range srv.flushers {
		f.close()
	}
	if srv.poller != nil {
		srv.poller.close()
	}
	srv.beats.close()
}

// Sessions calls fn for every open session.
func (srv *Server) Sessions(fn func(*Session)) {
	srv.mu.RLock()
	all := make([]*Session, 0, len(srv.sessions))
	for _, s := range srv.sessions {
		all = append(all, s)
	}
	srv.mu.RUnlock()
	for _, s := range all {
		fn(s)
	}
}

func (srv *Server) session(sid string) *Session {
	srv.mu.RLock()
	defer srv.mu.RUnlock()
	return srv.sessions[sid]
}

// add registers a new session; false when the server is closed.
func (srv *Server) add(s *Session) bool {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.closed {
		return false
	}
	srv.sessions[s.id] = s
	srv.stats.Sessions.Add(1)
	return true
}

func (srv *Server) remove(s *Session) {
	srv.mu.Lock()
	if srv.sessions[s.id] == s {
		delete(srv.sessions, s.id)
		srv.stats.Sessions.Add(-1)
	}
	srv.mu.Unlock()
}

// openPacket is the handshake packet, keys in Node's order.
func (srv *Server) openPacket(sid string, upgrades bool) *Frame {
	b := make([]byte, 0, 96)
	b = append(b, PacketOpen)
	b = append(b, `{"sid":"`...)
	b = append(b, sid...)
	if upgrades {
		b = append(b, `","upgrades":["websocket"]`...)
	} else {
		b = append(b, `","upgrades":[]`...)
	}
	b = append(b, srv.open...)
	f := newFrame(opText, len(b))
	copy(f.Payload(), b)
	return f
}

// NewID returns a random id as Node's base64id makes them: 15 random bytes,
// URL-safe base64, 20 characters.
func NewID() string {
	var b [15]byte
	_, _ = rand.Read(b[:])
	return base64.URLEncoding.EncodeToString(b[:])
}

// Engine.IO error codes and their messages (Node's Server.errors).
const (
	errUnknownTransport = 0
	errUnknownSID       = 1
	errBadHandshake     = 2
	errBadRequest       = 3
	errForbidden        = 4
	errUnsupported      = 5
)

var errorMessages = [...]string{
	"Transport unknown", "Session ID unknown", "Bad handshake method",
	"Bad request", "Forbidden", "Unsupported protocol version",
}

// WriteError answers like Node's engine.io: a JSON body with the protocol's
// error code and its fixed message, 403 for Forbidden, 400 otherwise.
func WriteError(w http.ResponseWriter, code int) {
	status := http.StatusBadRequest
	if code == errForbidden {
		status = http.StatusForbidden
	}
	writeJSONError(w, status, code, errorMessages[code])
}

func writeJSONError(w http.ResponseWriter, status, code int, message string) {
	body, _ := json.Marshal(struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}{code, message})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// ErrForbidden is the code of a refused handshake, for callers that refuse
// one in front of the server (the origin check).
const ErrForbidden = errForbidden
