package engineio

import (
	"errors"
	"io"
	"syscall"
	"time"
)

// The session's side of its websockets: messages, the upgrade from polling
// (probe "2probe" → "3probe", then "5"), and a websocket's end.

// onWSMessage handles one message from c, the session's websocket or a
// probe.
func (s *Session) onWSMessage(c *wsConn, op byte, data []byte) {
	p := packet{typ: PacketMessage, data: data, binary: true}
	var err error
	if op == opText {
		p, err = decodeText(data, false)
	}
	s.mu.Lock()
	main, probe := c == s.ws, c == s.probe
	s.mu.Unlock()
	switch {
	case main && err != nil:
		s.close("parse error", closeAbort)
	case main:
		s.onPacket(p)
	case probe && err == nil && p.typ == PacketPing && string(p.data) == "probe":
		s.probed(c)
	case probe && err == nil && p.typ == PacketUpgrade:
		s.completeUpgrade(c)
	case probe:
		s.cancelUpgrade(c)
	}
}

// probed answers a probe and ends the pending poll with a noop, so the
// client can pause polling and send the upgrade.
func (s *Session) probed(c *wsConn) {
	if err := c.writeDirect(probeFrame); err != nil {
		s.cancelUpgrade(c)
		return
	}
	c.probed.Store(true)
	s.mu.Lock()
	if s.poll != nil {
		s.poll.wake(pollNoop)
	}
	s.mu.Unlock()
}

// quiet reports whether a probed websocket has nothing from the client
// waiting: its reader is parked without a buffer and the kernel holds no
// unread byte. A client sends its upgrade packet before a GET that must
// find the session upgraded, so a GET that finds the probe quiet has no
// upgrade packet to wait for. False where it cannot tell (no descriptor).
func (c *wsConn) quiet() bool {
	if c.rc == nil || !c.probed.Load() || !c.parked.Load() {
		return false
	}
	pending := true
	err := c.rc.Control(func(fd uintptr) {
		pending = peekByte(fd) != syscall.EAGAIN // data, an end to report, or an error
	})
	// Parked still: the reader did not take bytes between the two looks.
	return err == nil && !pending && c.parked.Load()
}

// completeUpgrade moves the session onto c: from now on its queue drains
// there. Nothing queued before is lost or reordered: it is the same queue.
func (s *Session) completeUpgrade(c *wsConn) {
	s.mu.Lock()
	if s.probe != c || s.state != stateOpen {
		s.mu.Unlock()
		s.closeConn(c)
		return
	}
	s.probe, s.upgrading, s.ws = nil, false, c
	if s.poll != nil {
		s.poll.wake(pollNoop)
	}
	if !s.queue.empty() {
		c.kick()
	}
	s.mu.Unlock()
}

// cancelUpgrade drops a probe that failed; the session stays on polling.
func (s *Session) cancelUpgrade(c *wsConn) {
	s.mu.Lock()
	if s.probe == c {
		s.probe, s.upgrading = nil, false
	}
	c.closeNow()
	s.mu.Unlock()
}

// watchUpgrade cancels an upgrade the client does not complete in time.
func (s *Session) watchUpgrade(c *wsConn) {
	time.AfterFunc(s.srv.cfg.UpgradeTimeout, func() {
		s.mu.Lock()
		pending := s.probe == c
		s.mu.Unlock()
		if pending {
			s.cancelUpgrade(c)
		}
	})
}

func (s *Session) closeConn(c *wsConn) {
	s.mu.Lock()
	c.closeNow()
	s.mu.Unlock()
}

// wsGone handles the end of c's reader: the client closed it, or it failed.
func (s *Session) wsGone(c *wsConn, err error) {
	s.mu.Lock()
	main, probe := c == s.ws, c == s.probe
	s.mu.Unlock()
	switch {
	case main && (errors.Is(err, io.EOF) || errors.Is(err, errWSClosed)):
		s.close("transport close", closeByClient)
	case main:
		s.close("transport error", closeAbort)
	case probe:
		s.cancelUpgrade(c)
	default:
		s.closeConn(c)
	}
}

// sendControl queues a websocket control frame (a pong to the client's
// ping) on c.
func (s *Session) sendControl(c *wsConn, f *Frame) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case c == s.ws && s.state == stateOpen:
		s.queue.push(f, "", time.Now())
		c.kick()
	case c == s.probe:
		_ = c.writeDirect(f)
	}
}
