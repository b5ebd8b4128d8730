package engineio

import (
	"container/heap"
	"sync"
	"time"
)

// schedule runs every session's heartbeat from one goroutine and one timer:
// a session is an entry in a heap ordered by when its heartbeat is due, not
// a runtime timer of its own that starts a goroutine each time it fires.
// Re-arming a session pushes a new entry and leaves the old one in place;
// Session.heartbeat ignores an entry that is no longer the session's due
// time, so stale entries cost a few bytes until their time comes.
type schedule struct {
	mu      sync.Mutex
	entries dueHeap
	stopped bool
	wake    chan struct{}
	stop    chan struct{}
	done    chan struct{}
}

type dueEntry struct {
	at time.Time
	s  *Session
}

type dueHeap []dueEntry

func (h dueHeap) Len() int           { return len(h) }
func (h dueHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h dueHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *dueHeap) Push(x any)        { *h = append(*h, x.(dueEntry)) }
func (h *dueHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = dueEntry{}
	*h = old[:len(old)-1]
	return e
}

func newSchedule() *schedule {
	sc := &schedule{wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go sc.run()
	return sc
}

// at schedules s's heartbeat at t.
func (sc *schedule) at(s *Session, t time.Time) {
	e := dueEntry{at: t, s: s}
	sc.mu.Lock()
	if sc.stopped {
		sc.mu.Unlock()
		return
	}
	heap.Push(&sc.entries, e)
	first := sc.entries[0].s == s && sc.entries[0].at.Equal(t)
	sc.mu.Unlock()
	if first {
		select {
		case sc.wake <- struct{}{}:
		default:
		}
	}
}

func (sc *schedule) run() {
	defer close(sc.done)
	timer := time.NewTimer(time.Hour)
	var due []dueEntry
	for {
		now := time.Now()
		var next time.Time
		sc.mu.Lock()
		for len(sc.entries) > 0 && !sc.entries[0].at.After(now) {
			due = append(due, heap.Pop(&sc.entries).(dueEntry))
		}
		if len(sc.entries) > 0 {
			next = sc.entries[0].at
		}
		if cap(sc.entries) > 64 && len(sc.entries) < cap(sc.entries)/4 {
			sc.entries = append(dueHeap(nil), sc.entries...) // give back a burst's array
		}
		sc.mu.Unlock()
		for i, e := range due {
			e.s.heartbeat(e.at)
			due[i] = dueEntry{}
		}
		due = due[:0]
		wait := time.Hour
		if !next.IsZero() {
			wait = time.Until(next)
		}
		timer.Reset(wait)
		select {
		case <-timer.C:
		case <-sc.wake:
		case <-sc.stop:
			timer.Stop()
			return
		}
	}
}

// close stops the schedule; heartbeats due later do not run.
func (sc *schedule) close() {
	sc.mu.Lock()
	was := sc.stopped
	sc.stopped = true
	sc.entries = nil
	sc.mu.Unlock()
	if !was {
		close(sc.stop)
	}
	<-sc.done
}
