package socketio

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/zishang520/socket.io/parsers/engine/v3/packet"
	engine "github.com/zishang520/socket.io/servers/engine/v3"
)

// heartbeats knows, per session, when the client was last heard from (its
// handshake or its last pong), so the guard can apply the ping deadline at
// the moment a request arrives. The library enforces it with a timer on
// another goroutine; a request racing that timer could still find the
// session alive after interval + timeout had passed, which Node (timers
// run before I/O in its event loop) never allows.
//
// A request landing within a small slack before the deadline is treated as
// late too. Handing it to the library then races the library's own timer
// (and when the timer wins halfway through, the library can leave the poll
// parked on the dying session); and a client counting the deadline with a
// loaded event loop can fire tens of milliseconds early (Node's timers
// start from the loop's cached clock). The slack is a sliver of any real
// timeout (20 s by default) and at most a quarter of a short one.
type heartbeats struct {
	deadline time.Duration // PingInterval + PingTimeout - slack
	now      func() time.Time
	heard    sync.Map // sid → *atomic.Int64 (unix nanoseconds)
}

const maxDeadlineSlack = 50 * time.Millisecond

func newHeartbeats(opts TransportOptions) *heartbeats {
	slack := min(maxDeadlineSlack, opts.PingTimeout/4)
	return &heartbeats{deadline: opts.PingInterval + opts.PingTimeout - slack, now: time.Now}
}

// track is the engine's "connection" listener.
func (h *heartbeats) track(args ...any) {
	conn, ok := args[0].(engine.Socket)
	if !ok {
		return
	}
	sid := conn.Id()
	heard := new(atomic.Int64)
	heard.Store(h.now().UnixNano())
	// The client's clock starts when it reads the handshake, which can be
	// before this event under load; start from when the handshake left.
	if t, ok := conn.Transport().(*orderedTransport); ok {
		if opened := t.opened.Load(); opened != 0 {
			heard.Store(opened)
		}
	}
	h.heard.Store(sid, heard)
	// Listeners are never removed one by one (the library matches them by
	// code pointer); the session's emitter goes away with it.
	_ = conn.On("heartbeat", func(...any) { heard.Store(h.now().UnixNano()) })
	_ = conn.Once("close", func(...any) {
		h.heard.Delete(sid)
		releaseParkedPoll(conn)
	})
	if conn.ReadyState() == "closed" {
		h.heard.Delete(sid)
	}
}

// parkedPollCheck is how long after a session closes its last poll may
// still be registering.
const parkedPollCheck = 50 * time.Millisecond

// releaseParkedPoll ends a poll left hanging on a closed session. The
// library's polling close checks for a pending poll, then arms a 30 s
// fallback; a poll registering in between is answered by neither. A noop
// sent afterwards goes out with the buffered close packet.
func releaseParkedPoll(conn engine.Socket) {
	t := conn.Transport()
	if t == nil || t.Name() != "polling" {
		return
	}
	time.AfterFunc(parkedPollCheck, func() {
		if t.Writable() {
			t.Send([]*packet.Packet{{Type: packet.NOOP}})
		}
	})
}

// expired reports a session whose client has been silent past the deadline.
func (h *heartbeats) expired(sid string) bool {
	v, ok := h.heard.Load(sid)
	if !ok {
		return false
	}
	last := time.Unix(0, v.(*atomic.Int64).Load())
	return h.now().Sub(last) >= h.deadline
}
