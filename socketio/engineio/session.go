package engineio

import (
	"log/slog"
	"net/http"
	"sync"
	"time"
)

type sessionState uint8

const (
	stateOpen    sessionState = iota
	stateClosing              // closed by the server, its close packet still waiting for a poll
	stateClosed
)

// Session is one Engine.IO session (Node's engine.io Socket).
type Session struct {
	id   string
	srv  *Server
	hs   handshakeInfo // what later layers read of the handshake request
	recv Receiver

	mu        sync.Mutex
	state     sessionState
	ws        *wsConn // the websocket once the session is on one
	probe     *wsConn // a websocket being probed for an upgrade
	upgrading bool
	queue     outQueue
	poll      *pendingPoll  // the GET waiting for packets
	posting   bool          // a POST is being read
	polled    chan struct{} // closed when the next GET registers; made on demand
	hbDue     time.Time
	awaiting  bool  // a ping is out and its pong not back
	heard     int64 // unix nanoseconds of the handshake or the last pong
	linger    *time.Timer
	admitted  func() // gives back the admission's count (Config.Admission)
}

// ID is the session id (Engine.IO sid).
func (s *Session) ID() string { return s.id }

// Request is the handshake request, trimmed to its method, URL, remote
// address and the headers later layers read (cookies, origin, user agent,
// forwarding headers). It is rebuilt on every call: read it once.
func (s *Session) Request() *http.Request { return s.hs.request() }

// Query is the value of key in the handshake's query ("" when absent), as
// url.Values.Get reads it.
func (s *Session) Query(key string) string {
	v, _ := QueryValue(s.hs.field(hsQuery), key)
	return v
}

// Header is the handshake's header name when it is one of the kept headers
// (Cookie, Origin, User-Agent, Referer, the forwarding headers,
// Accept-Language), "" otherwise. name is in canonical form.
func (s *Session) Header(name string) string {
	for i, k := range keptHeaders {
		if k == name {
			return s.hs.field(hsHeaders + i)
		}
	}
	return ""
}

// Transport names the current transport: "polling" or "websocket".
func (s *Session) Transport() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ws != nil {
		return "websocket"
	}
	return "polling"
}

// Send queues frames to leave in order, without anything in between. It
// reports false when the session is closed or was just closed as a slow
// consumer.
func (s *Session) Send(frames ...*Frame) bool {
	return s.send(time.Now(), "", frames)
}

// SendAt is Send for a broadcast, with the time read once for all its
// recipients: reading the clock costs more than the rest of queueing a
// shared frame.
func (s *Session) SendAt(now time.Time, frames ...*Frame) bool {
	return s.send(now, "", frames)
}

// SendState queues f under a state key: if a frame with the same key is
// still waiting, it is dropped and f takes the place at the end.
func (s *Session) SendState(key string, f *Frame) bool {
	return s.send(time.Now(), key, []*Frame{f})
}

// SendStateAt is SendState for a broadcast (see SendAt).
func (s *Session) SendStateAt(now time.Time, key string, f *Frame) bool {
	return s.send(now, key, []*Frame{f})
}

func (s *Session) send(now time.Time, key string, frames []*Frame) bool {
	s.mu.Lock()
	if s.state != stateOpen {
		s.mu.Unlock()
		return false
	}
	for _, f := range frames {
		s.queue.push(f, key, now)
	}
	if s.queue.overdue(now, s.srv.cfg.MaxQueueBytes, s.srv.cfg.WriteTimeout) {
		s.mu.Unlock()
		s.slowConsumer()
		return false
	}
	s.flushLocked()
	s.mu.Unlock()
	return true
}

// Flush writes what waits for the websocket now, on the caller's
// goroutine, instead of at the flusher's next batch (up to an interval
// away). The Socket.IO layer calls it when it has handled everything a
// client sent: the answers to a client's own packets (the CONNECT ack, a
// join's reply) then leave without waiting, which is most of a short-lived
// client's round trip, while broadcasts keep their batches. Polling
// sessions are woken by send already.
func (s *Session) Flush() {
	s.mu.Lock()
	c := s.ws
	s.mu.Unlock()
	if c != nil {
		c.flushNow()
	}
}

// flushLocked hands waiting frames to the transport: it starts the
// websocket writer or wakes the pending poll. s.mu is held.
func (s *Session) flushLocked() {
	if s.ws != nil {
		s.ws.kick()
		return
	}
	if s.poll != nil {
		s.poll.wake(pollData)
	}
}

// Close closes the session as the server: a websocket gets what is queued,
// then a close frame; a poll gets what is queued, then a close packet.
func (s *Session) Close(reason string) { s.close(reason, closeGraceful) }

type closeHow uint8

const (
	closeGraceful closeHow = iota // the server ends it: flush, then close
	closeByClient                 // the client sent a close packet or closed the transport
	closeAbort                    // an error: drop everything now
)

// close ends the session once; the receiver hears of it after s.mu is
// released.
func (s *Session) close(reason string, how closeHow) {
	s.mu.Lock()
	if s.state == stateClosed || (s.state == stateClosing && how == closeGraceful) {
		s.mu.Unlock()
		return
	}
	wasOpen := s.state == stateOpen
	s.stopHeartbeat()
	if s.probe != nil {
		s.probe.closeNow()
		s.probe = nil
		s.upgrading = false
	}
	s.state = stateClosed
	switch {
	case s.ws != nil && how == closeAbort:
		s.queue.reset()
		s.ws.closeNow()
	case s.ws != nil:
		if how == closeByClient {
			s.queue.reset()
		}
		s.ws.closeAfterFlush(&s.queue)
	case s.poll != nil && how == closeByClient:
		s.queue.reset()
		s.poll.wake(pollNoop)
	case s.poll != nil:
		if how == closeAbort {
			s.queue.reset()
		}
		s.poll.wake(pollClose)
	case how == closeGraceful:
		// The close packet waits for the next poll, as in Node.
		s.state = stateClosing
		s.linger = time.AfterFunc(pollCloseTimeout, func() { s.close(reason, closeAbort) })
	default:
		s.queue.reset()
	}
	final := s.state == stateClosed
	s.mu.Unlock()
	if final {
		s.srv.remove(s)
		s.release()
	}
	if wasOpen {
		s.srv.log.Debug("engine.io session closed", slog.String("sid", s.id), slog.String("reason", reason))
		s.recv.Closed(reason)
	}
}

// finishLinger removes a session whose close packet a poll just took.
func (s *Session) finishLinger() {
	s.mu.Lock()
	lingering := s.state == stateClosing
	s.state = stateClosed
	if s.linger != nil {
		s.linger.Stop()
	}
	s.mu.Unlock()
	if lingering {
		s.srv.remove(s)
		s.release()
	}
}

func (s *Session) release() {
	if s.admitted != nil {
		s.admitted()
	}
}

// slowConsumer closes a session that does not take its frames fast enough.
func (s *Session) slowConsumer() {
	s.mu.Lock()
	open := s.state == stateOpen
	queued := s.queue.bytes
	s.mu.Unlock()
	if !open {
		return
	}
	s.srv.stats.SlowConsumers.Add(1)
	s.srv.log.Warn("socket dropped: slow consumer", slog.String("sid", s.id),
		slog.String("transport", s.Transport()), slog.Int("queued_bytes", queued))
	s.close("slow consumer", closeAbort)
}

// onPacket handles one decoded packet from the current transport.
func (s *Session) onPacket(p packet) {
	switch p.typ {
	case PacketMessage:
		s.recv.Message(p.data, p.binary)
	case PacketPong:
		s.onPong()
	case PacketClose:
		s.close("transport close", closeByClient)
	case PacketPing:
		// Engine.IO v4: only the server pings (Node: "invalid heartbeat
		// direction").
		s.close("transport error", closeAbort)
	}
}

// open starts a new session on its first transport.
func (s *Session) open() {
	s.heard = time.Now().UnixNano()
	s.mu.Lock()
	s.armHeartbeat(s.srv.cfg.PingInterval)
	s.mu.Unlock()
}
