package chat

import (
	"cmp"
	"context"
	"log/slog"
	"sync"
	"time"

	"chatd"
)

// A socket that authenticated with a session token or cookie is bound to
// that session: when the session ends, so does the socket, with "io server
// disconnect" so the client does not reconnect with a dead credential.
// Sessions end four ways: sign-out (the HTTP routes call EndSession on the
// process that served them, which tells the others through the
// SessionBus), expiry (each process times its own sockets), deletion with
// the user (DisconnectUser), and deletion by anything else sharing the
// database (a BetterAuth server's revoke-sessions, an operator), which
// each process notices at its next check of the session, at the latest
// Config.SessionRecheck after the last.

// SessionRef is the session a socket authenticated with.
type SessionRef struct {
	ID        string
	ExpiresAt time.Time
	token     string // the credential as presented, to look the session up again at expiry
}

// SessionBus carries "this session ended" to every chatd process, so each
// ends its own sockets bound to it. Nil in Deps means one process.
type SessionBus interface {
	Publish(ctx context.Context, sessionID string) error
	// Subscribe calls ended for every session id published (by any
	// process) until ctx ends; it returns once the subscription is live.
	Subscribe(ctx context.Context, ended func(sessionID string)) error
	Close() error
}

// recheckAfterError is how long an expiry check waits to try again when
// the session lookup failed (the database is down): the socket stays until
// the session can be read.
const recheckAfterError = time.Minute

// sessionSockets is the bookkeeping: session id → its sockets on this
// process, each with its expiry timer, and the bus to the other processes.
type sessionSockets struct {
	bus     SessionBus // nil: this process only
	clock   Clock
	recheck time.Duration // the longest between two checks of a session; 0: only at its expiry
	stopBus context.CancelFunc

	mu      sync.Mutex
	sockets map[string]map[*socketState]func() bool // the value stops the socket's expiry timer
}

// newSessionSockets sets up the bookkeeping of s and starts listening for
// sessions the other processes end.
func newSessionSockets(s *Service, cfg Config, deps Deps) *sessionSockets {
	b := &sessionSockets{bus: deps.SessionBus, clock: deps.Clock, recheck: cfg.SessionRecheck,
		sockets: map[string]map[*socketState]func() bool{}}
	if b.bus == nil && cfg.RedisURL != "" {
		if bus, err := redisSessionBusFromURL(cfg.RedisURL, cmp.Or(cfg.RedisPrefix, "socket.io")); err != nil {
			s.log.Error("session ends stay on this process", slog.String("error", err.Error()))
		} else {
			b.bus = bus
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	b.stopBus = cancel
	if b.bus != nil {
		if err := b.bus.Subscribe(ctx, func(id string) { s.endLocalSession(id) }); err != nil {
			s.log.Error("session end subscription failed", slog.String("error", err.Error()))
		}
	}
	return b
}

// close stops listening to the other processes and every expiry timer.
func (b *sessionSockets) close() {
	b.stopBus()
	if b.bus != nil {
		_ = b.bus.Close()
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for id, socks := range b.sockets {
		for _, stop := range socks {
			stop()
		}
		delete(b.sockets, id)
	}
}

// bindSession starts following a socket's session, if it has one.
func (s *Service) bindSession(sock *socketState) {
	ref := sock.id.Session
	if ref.ID == "" {
		return
	}
	s.bound.mu.Lock()
	defer s.bound.mu.Unlock()
	if s.bound.sockets[ref.ID] == nil {
		s.bound.sockets[ref.ID] = map[*socketState]func() bool{}
	}
	s.bound.sockets[ref.ID][sock] = s.bound.clock.AfterFunc(s.bound.untilCheck(ref.ExpiresAt, s.now()), func() { s.checkSession(sock) }).Stop
}

// untilCheck is how long until a session expiring at expiresAt is next
// looked up: at its expiry, or sooner when rechecks are on.
func (b *sessionSockets) untilCheck(expiresAt, now time.Time) time.Duration {
	d := expiresAt.Sub(now)
	if b.recheck > 0 && b.recheck < d {
		return b.recheck
	}
	return d
}

// unbindSession forgets a socket that disconnected.
func (s *Service) unbindSession(sock *socketState) {
	s.bound.mu.Lock()
	defer s.bound.mu.Unlock()
	id := sock.id.Session.ID
	if stop, ok := s.bound.sockets[id][sock]; ok {
		stop()
		delete(s.bound.sockets[id], sock)
		if len(s.bound.sockets[id]) == 0 {
			delete(s.bound.sockets, id)
		}
	}
}

// checkSession runs when a socket's session reaches its expiry or its next
// recheck: a live session (get-session may have moved its expiry) re-arms
// the timer; one that is gone or expired ends the socket.
func (s *Service) checkSession(sock *socketState) {
	ctx, cancel := context.WithTimeout(context.Background(), eventTimeout)
	defer cancel()
	next := recheckAfterError
	su, err := s.sessions.Resolve(ctx, sock.id.Session.token)
	switch code := chatd.ErrorCode(err); {
	case err == nil:
		next = s.bound.untilCheck(su.Session.ExpiresAt, s.now())
	case code == chatd.EUNAUTHORIZED:
		s.log.Info("socket session gone or expired", slog.String("socket_id", sock.conn.ID()), slog.String("user_id", sock.id.UserID))
		sock.conn.Disconnect()
		return
	default:
		s.log.Warn("socket session check failed", slog.String("socket_id", sock.conn.ID()), slog.String("error", err.Error()))
	}
	s.bound.mu.Lock()
	defer s.bound.mu.Unlock()
	if _, still := s.bound.sockets[sock.id.Session.ID][sock]; still {
		s.bound.sockets[sock.id.Session.ID][sock] = s.bound.clock.AfterFunc(next, func() { s.checkSession(sock) }).Stop
	}
}

// EndSession ends every socket bound to the session, on this process and,
// through the SessionBus, on the others. The HTTP routes that delete a
// session call it. It returns how many sockets of this process it ended.
func (s *Service) EndSession(ctx context.Context, sessionID string) int {
	n := s.endLocalSession(sessionID)
	if s.bound.bus != nil {
		if err := s.bound.bus.Publish(ctx, sessionID); err != nil {
			s.log.Error("session end not published", slog.String("session_id", sessionID), slog.String("error", err.Error()))
		}
	}
	return n
}

// endLocalSession disconnects this process's sockets bound to the session.
// They leave the bookkeeping when their disconnect comes back.
func (s *Service) endLocalSession(sessionID string) int {
	s.bound.mu.Lock()
	socks := make([]*socketState, 0, len(s.bound.sockets[sessionID]))
	for sock := range s.bound.sockets[sessionID] {
		socks = append(socks, sock)
	}
	s.bound.mu.Unlock()
	for _, sock := range socks {
		s.log.Info("socket session ended", slog.String("socket_id", sock.conn.ID()), slog.String("user_id", sock.id.UserID))
		sock.conn.Disconnect()
	}
	return len(socks)
}
