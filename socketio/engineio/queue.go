package engineio

import "time"

// outQueue is a session's bounded outbound queue. Frames wait here until the
// transport takes them: the websocket writer drains everything in one
// writev, a poll takes everything as one payload. It counts the bytes it
// holds and the time its oldest frame has waited, which is how a slow
// consumer is found. The session's mutex guards it.
type outQueue struct {
	entries []queued
	bytes   int
	since   time.Time // when the oldest waiting frame was queued; zero when empty
}

// queued is one waiting frame; key is its state key ("" for an ordinary
// frame). A dropped entry (replaced state) has a nil frame.
type queued struct {
	f   *Frame
	key string
}

// push appends f. With a key, an unsent frame of the same key is dropped
// first: a connection holds at most one unsent frame per state key.
func (q *outQueue) push(f *Frame, key string, now time.Time) {
	if key != "" {
		for i := range q.entries {
			if e := &q.entries[i]; e.f != nil && e.key == key {
				q.bytes -= e.f.Len()
				e.f = nil
				e.key = ""
			}
		}
	}
	if q.bytes == 0 && q.since.IsZero() {
		q.since = now
	}
	q.entries = append(q.entries, queued{f: f, key: key})
	q.bytes += f.Len()
}

// empty reports whether no frame is waiting.
func (q *outQueue) empty() bool {
	for _, e := range q.entries {
		if e.f != nil {
			return false
		}
	}
	return true
}

// take moves every waiting frame into dst and empties the queue, keeping its
// backing array when it is small (a large one goes, so a burst does not pin
// memory on an idle connection).
func (q *outQueue) take(dst []*Frame) []*Frame {
	for _, e := range q.entries {
		if e.f != nil {
			dst = append(dst, e.f)
		}
	}
	q.reset()
	return dst
}

// reset drops everything.
func (q *outQueue) reset() {
	if cap(q.entries) > 16 {
		q.entries = nil
	} else {
		clear(q.entries)
		q.entries = q.entries[:0]
	}
	q.bytes = 0
	q.since = time.Time{}
}

// overdue reports whether the queue is past its bounds: more than maxBytes
// waiting, or a frame waiting longer than maxWait.
func (q *outQueue) overdue(now time.Time, maxBytes int, maxWait time.Duration) bool {
	if q.bytes > maxBytes {
		return true
	}
	return !q.since.IsZero() && now.Sub(q.since) > maxWait
}
