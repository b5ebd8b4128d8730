package engineio

import "time"

// The heartbeat (Engine.IO v4): the server pings every PingInterval; the
// client must answer within PingTimeout. A pong counts only as the answer
// to a ping that is out, so unsolicited pongs keep nothing alive. The
// server's schedule (schedule.go) serves both waits of every session.

// maxDeadlineSlack is how much earlier than interval + timeout a request
// already counts as late (see expired).
const maxDeadlineSlack = 50 * time.Millisecond

// armHeartbeat (re)schedules the session's heartbeat; s.mu is held.
func (s *Session) armHeartbeat(after time.Duration) {
	s.hbDue = time.Now().Add(after)
	s.srv.beats.at(s, s.hbDue)
}

// stopHeartbeat stops the heartbeat for good; s.mu is held.
func (s *Session) stopHeartbeat() {
	s.hbDue = time.Time{}
}

// heartbeat runs when the schedule finds the entry for due due: a ping is
// due, or the pong is late.
// It also finds a session whose queue has waited too long for a transport
// that does not take it (a poll that never comes).
func (s *Session) heartbeat(due time.Time) {
	now := time.Now()
	s.mu.Lock()
	if s.state != stateOpen || !s.hbDue.Equal(due) {
		s.mu.Unlock() // stopped, or re-armed since this entry was scheduled
		return
	}
	if s.awaiting {
		s.mu.Unlock()
		s.close("ping timeout", closeAbort)
		return
	}
	if s.queue.overdue(now, s.srv.cfg.MaxQueueBytes, s.srv.cfg.WriteTimeout) {
		s.mu.Unlock()
		s.slowConsumer()
		return
	}
	s.awaiting = true
	s.queue.push(pingFrame, "", now)
	s.flushLocked()
	s.armHeartbeat(s.srv.cfg.PingTimeout)
	s.mu.Unlock()
}

// onPong takes a pong: it answers the ping that is out, or it is ignored.
func (s *Session) onPong() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.awaiting || s.state != stateOpen {
		return
	}
	s.awaiting = false
	s.heard = time.Now().UnixNano()
	s.armHeartbeat(s.srv.cfg.PingInterval)
}

// expired reports, at the moment a request for the session arrives,
// whether the client has been silent past its deadline. The timer enforces
// the same deadline from another goroutine; checking here as well means a
// request that arrives after the deadline never finds the session alive
// because the timer has not run yet (Node runs due timers before I/O). A
// request within a small slack of the deadline counts as late too: a
// client counting the deadline on a loaded event loop fires early.
func (s *Session) expired(now time.Time) bool {
	cfg := s.srv.cfg
	slack := min(maxDeadlineSlack, cfg.PingTimeout/4)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != stateOpen {
		return false
	}
	return now.Sub(time.Unix(0, s.heard)) >= cfg.PingInterval+cfg.PingTimeout-slack
}
