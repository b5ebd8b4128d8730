package engineio

import (
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// How long a request waits for another one of the same session that the
// client sent first on another connection (Go's server may hand them over
// in either order; Node sees them in arrival order). A GET during an upgrade
// waits for the upgrade packet already on the websocket: after it the GET
// must be refused. A close packet waits for the client's pending GET, which
// must be answered with a noop.
const (
	upgradeWait = 200 * time.Millisecond
	closeWait   = 300 * time.Millisecond
)

// pollEnd says how a pending GET was woken.
type pollEnd uint8

const (
	pollData  pollEnd = iota + 1 // frames are waiting
	pollNoop                     // end it with a noop (upgrade, client close)
	pollClose                    // end it with what is queued and a close packet
	pollGone                     // answer it as a request for an unknown session
)

// pendingPoll is a GET waiting for packets.
type pendingPoll struct {
	ch  chan pollEnd // buffered 1; the first wake wins
	end pollEnd
}

func (p *pendingPoll) wake(e pollEnd) {
	if p.end == 0 || e > p.end {
		p.end = e
	}
	select {
	case p.ch <- e:
	default:
	}
}

// onPoll serves a GET: it answers at once when packets are waiting, else
// parks until some are queued or the session ends. An aborted GET closes
// the session, as does a second concurrent one.
func (s *Session) onPoll(w http.ResponseWriter, r *http.Request) {
	if !s.awaitUpgrade() {
		WriteError(w, errBadRequest) // the session moved to the websocket
		return
	}
	s.mu.Lock()
	if s.state == stateClosed {
		s.mu.Unlock()
		WriteError(w, errUnknownSID)
		return
	}
	if s.poll != nil {
		if r.Context().Err() != nil {
			// This GET was aborted before it got here: it is the client's
			// earlier poll, handed over after the one now pending. As Node
			// (which sees them in order) the session ends with it, and the
			// pending poll finds no session.
			s.poll.wake(pollGone)
			s.mu.Unlock()
			s.close("transport error", closeAbort)
			return
		}
		s.mu.Unlock()
		s.close("transport error", closeAbort) // overlap from client
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	if s.polled != nil {
		close(s.polled)
		s.polled = nil
	}
	if s.state == stateClosing {
		frames := append(s.queue.take(nil), closeFrame)
		s.mu.Unlock()
		writePayload(w, frames)
		s.finishLinger()
		return
	}
	if !s.queue.empty() || s.upgrading {
		frames := s.queue.take(nil)
		s.mu.Unlock()
		if len(frames) == 0 {
			frames = []*Frame{noopFrame} // an upgrade is under way: do not park
		}
		writePayload(w, frames)
		return
	}
	p := &pendingPoll{ch: make(chan pollEnd, 1)}
	s.poll = p
	s.mu.Unlock()

	select {
	case <-p.ch:
	case <-r.Context().Done():
		s.mu.Lock()
		aborted := s.poll == p && p.end == 0
		s.mu.Unlock()
		if aborted {
			s.close("transport error", closeAbort) // poll closed prematurely
			return
		}
	}
	s.mu.Lock()
	s.poll = nil
	if p.end == pollGone {
		s.mu.Unlock()
		WriteError(w, errUnknownSID)
		return
	}
	var frames []*Frame
	if s.ws == nil { // after an upgrade the queue belongs to the websocket
		frames = s.queue.take(nil)
	}
	switch p.end {
	case pollNoop:
		frames = append(frames, noopFrame)
	case pollClose:
		frames = append(frames, closeFrame)
	}
	s.mu.Unlock()
	if len(frames) == 0 {
		frames = []*Frame{noopFrame}
	}
	writePayload(w, frames)
}

// awaitUpgrade holds a GET that arrives while the session is upgrading: the
// upgrade packet may already be on the websocket, and once it is handled
// this GET must be refused. Once the probe is answered and nothing waits on
// the websocket, no upgrade packet is coming first and the GET goes on at
// once: the client is waiting for its noop to send the upgrade, and holding
// the GET longer lets a ping due meanwhile take the noop's place (Node
// answers such a GET within its 100 ms upgrade check). It reports whether
// the session is still on polling.
func (s *Session) awaitUpgrade() bool {
	deadline := time.Now().Add(upgradeWait)
	for {
		s.mu.Lock()
		upgrading, onWS, probe := s.upgrading, s.ws != nil, s.probe
		s.mu.Unlock()
		if onWS {
			return false
		}
		if !upgrading || time.Now().After(deadline) || probe != nil && probe.quiet() {
			return true
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// awaitPoll holds a close packet until the GET the client sent before it is
// registered, so that GET ends with a noop instead of finding no session.
func (s *Session) awaitPoll() {
	s.mu.Lock()
	if s.poll != nil || s.state != stateOpen {
		s.mu.Unlock()
		return
	}
	if s.polled == nil {
		s.polled = make(chan struct{})
	}
	ch := s.polled
	s.mu.Unlock()
	t := time.NewTimer(closeWait)
	defer t.Stop()
	select {
	case <-ch:
	case <-t.C:
	}
}

// onPost serves a POST: a payload of packets from the client. Over
// MaxPayload it is refused with 413 and the session stays; an undecodable
// one closes the session ("parse error").
func (s *Session) onPost(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	if s.posting {
		s.mu.Unlock()
		s.close("transport error", closeAbort) // data request overlap
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	s.posting = true
	s.mu.Unlock()
	defer func() { s.mu.Lock(); s.posting = false; s.mu.Unlock() }()

	if r.Header.Get("Content-Type") == "application/octet-stream" {
		s.close("transport error", closeAbort) // binary bodies are EIO 3 only
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	limit := s.srv.cfg.MaxPayload
	body, err := io.ReadAll(io.LimitReader(r.Body, int64(limit)+1))
	if err != nil {
		s.close("transport error", closeAbort)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	if len(body) > limit {
		w.WriteHeader(http.StatusRequestEntityTooLarge)
		return
	}
	packets, err := decodePayload(body)
	if err != nil {
		s.close("parse error", closeAbort)
		WriteError(w, errBadRequest)
		return
	}
	for _, p := range packets {
		if p.typ == PacketClose {
			s.awaitPoll()
		}
		s.onPacket(p)
		if p.typ == PacketClose {
			break
		}
	}
	h := w.Header()
	h.Set("Content-Type", "text/html")
	h.Set("Content-Length", "2")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, "ok")
}

// payloadPool holds the buffers polling responses are framed in.
var payloadPool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// writePayload answers a GET with frames as one polling payload.
func writePayload(w http.ResponseWriter, frames []*Frame) {
	bp := payloadPool.Get().(*[]byte)
	buf := appendPayload((*bp)[:0], frames)
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=UTF-8")
	h.Set("Content-Length", strconv.Itoa(len(buf)))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf)
	if cap(buf) <= 64<<10 {
		*bp = buf[:0]
		payloadPool.Put(bp)
	}
}
