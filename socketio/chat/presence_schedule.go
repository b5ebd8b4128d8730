package chat

import (
	"sync"
	"time"
)

// DefaultLargeTenant is the number of online users above which a tenant's
// presence is "large" (see presenceSchedule).
const DefaultLargeTenant = 100

// A large tenant's full update waits for the joins to pause, but no longer
// than presenceDelayPerUser per user (3 s for 1,000), at most
// maxPresenceDelay: the bytes of one update grow with the square of the
// tenant, so the pause between updates grows with the tenant.
const (
	presenceDelayPerUser = 3 * time.Millisecond
	maxPresenceDelay     = 10 * time.Second
)

// presenceFlush is one presenceUpdate to compute and hand to this process's
// sockets: to the tenant's lobby but the sockets in current, or only to
// the sockets in newcomers.
type presenceFlush struct {
	tenantID  string
	slug      string // "" when only the id is known
	newcomers []string
	current   []string // sockets that hold this update already
}

// presenceSchedule decides when this process sends each tenant's
// presenceUpdate to its own sockets. An update is always computed from the
// latest state, and a tenant's next one only after the previous one was
// handed to every local socket, so updates never queue up behind each
// other however slow sending gets.
//
// A small tenant keeps the contract's window: the first change arms one
// window, later changes ride along. A large tenant (more than large users)
// would move O(n²) bytes per window during a join storm, so its full update
// waits until no change came for one window (the storm is over), or at most
// maxDelay(n); meanwhile the sockets that joined get the current list for
// themselves once per window, so nobody waits for a first list. In a storm
// of n joins that is about n²/2 entries for the newcomers plus n² for the
// final update, under twice the floor of one full list per client; the
// final update skips the newcomers whose own list no change has outdated,
// so a storm that ends within a window or two costs little more than the
// floor.
type presenceSchedule struct {
	window time.Duration
	large  int
	clock  Clock
	flush  func(presenceFlush) (entries int)

	mu      sync.Mutex
	tenants map[string]*tenantPresence
	closed  bool
	running sync.WaitGroup
}

// tenantPresence is the schedule of one tenant.
type tenantPresence struct {
	slug      string
	local     int       // this process's sockets joined to the tenant
	size      int       // entries at the last update
	pending   bool      // a change no full update carried yet
	first     time.Time // the first pending change
	last      time.Time // the latest change
	newcomers []string  // local sockets joined since the last update
	firstNew  time.Time
	forced    int // full updates in a row sent without a pause in the changes
	flushing  bool
	timer     Timer
	// changes counts every change; current are the newcomers whose own list
	// was made when it stood at currentAt. While no change came since, the
	// full update is their list again, and they are spared it: after a
	// storm short enough to end within a window, the newcomers' list is
	// also the final state.
	changes   uint64
	current   []string
	currentAt uint64
}

func newPresenceSchedule(window time.Duration, large int, clock Clock, flush func(presenceFlush) int) *presenceSchedule {
	return &presenceSchedule{window: window, large: large, clock: clock, flush: flush, tenants: map[string]*tenantPresence{}}
}

// joined notes that a local socket joined the tenant.
func (s *presenceSchedule) joined(tenantID, slug, socketID string) {
	s.update(tenantID, slug, func(t *tenantPresence, now time.Time) {
		t.local++
		if len(t.newcomers) == 0 {
			t.firstNew = now
		}
		t.newcomers = append(t.newcomers, socketID)
	})
}

// left notes that a local socket left the tenant.
func (s *presenceSchedule) left(tenantID, slug, socketID string) {
	s.update(tenantID, slug, func(t *tenantPresence, _ time.Time) {
		t.local = max(t.local-1, 0)
		for i, id := range t.newcomers {
			if id == socketID {
				t.newcomers = append(t.newcomers[:i:i], t.newcomers[i+1:]...)
				break
			}
		}
	})
}

// changed notes a change made elsewhere (another process, a dead one). A
// tenant without sockets here has nobody to tell.
func (s *presenceSchedule) changed(tenantID, slug string) {
	s.update(tenantID, slug, nil)
}

// localTenants lists the tenants this process has sockets in.
func (s *presenceSchedule) localTenants() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	for id, t := range s.tenants {
		if t.local > 0 {
			ids = append(ids, id)
		}
	}
	return ids
}

// update applies a local change (apply) or notes another one (apply nil)
// and arms the tenant's timer.
func (s *presenceSchedule) update(tenantID, slug string, apply func(*tenantPresence, time.Time)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	t := s.tenants[tenantID]
	if apply == nil && (t == nil || t.local == 0) {
		return
	}
	if t == nil {
		t = &tenantPresence{}
		s.tenants[tenantID] = t
	}
	if slug != "" {
		t.slug = slug
	}
	now := s.clock.Now()
	if apply != nil {
		apply(t, now)
	}
	if !t.pending {
		t.pending, t.first = true, now
	}
	t.changes++
	t.last = now
	s.arm(tenantID, t, now)
}

// isLarge reports whether the tenant gets the large-tenant schedule.
func (s *presenceSchedule) isLarge(t *tenantPresence) bool { return max(t.size, t.local) > s.large }

// fullDue is when the tenant's next full update is due.
func (s *presenceSchedule) fullDue(t *tenantPresence) time.Time {
	if !s.isLarge(t) {
		return t.first.Add(s.window)
	}
	quiet := t.last.Add(s.window)
	if limit := t.first.Add(s.maxDelay(t)); limit.Before(quiet) {
		return limit
	}
	return quiet
}

// maxDelay is how long a large tenant's full update may wait for a pause:
// presenceDelayPerUser per user, doubled after each update that had to be
// sent without a pause (a long storm: its updates then grow geometrically,
// so their sum stays a fraction of the last one), at most
// maxPresenceDelay.
func (s *presenceSchedule) maxDelay(t *tenantPresence) time.Duration {
	d := max(time.Duration(max(t.size, t.local))*presenceDelayPerUser, s.window)
	for i := 0; i < t.forced && d < maxPresenceDelay; i++ {
		d *= 2
	}
	return min(d, maxPresenceDelay)
}

// newcomersDue is when a large tenant's newcomers get their own list: a
// window after the first of them joined.
func (s *presenceSchedule) newcomersDue(t *tenantPresence) time.Time { return t.firstNew.Add(s.window) }

// nextDue is when the tenant next needs attention: its full update, or in
// a large tenant the newcomers' own list.
func (s *presenceSchedule) nextDue(t *tenantPresence) time.Time {
	due := s.fullDue(t)
	if s.isLarge(t) && len(t.newcomers) > 0 {
		if nd := s.newcomersDue(t); nd.Before(due) {
			due = nd
		}
	}
	return due
}

// arm sets the tenant's timer when it needs one; s.mu is held. An armed
// timer is left alone: when it fires early (the due time moved on), fire
// arms it again.
func (s *presenceSchedule) arm(tenantID string, t *tenantPresence, now time.Time) {
	if t.flushing || t.timer != nil {
		return
	}
	if !t.pending && len(t.newcomers) == 0 {
		if t.local == 0 {
			delete(s.tenants, tenantID)
		}
		return
	}
	s.running.Add(1)
	t.timer = s.clock.AfterFunc(max(s.nextDue(t).Sub(now), 0), func() {
		defer s.running.Done()
		s.fire(tenantID)
	})
}

// fire runs when a tenant's timer expires: it sends what is due, or arms
// the timer again for when it will be.
func (s *presenceSchedule) fire(tenantID string) {
	s.mu.Lock()
	t := s.tenants[tenantID]
	if s.closed || t == nil {
		s.mu.Unlock()
		return
	}
	t.timer = nil
	now := s.clock.Now()
	job := presenceFlush{tenantID: tenantID, slug: t.slug}
	newcomersDue := s.isLarge(t) && len(t.newcomers) > 0 && !now.Before(s.newcomersDue(t))
	switch {
	case t.pending && !now.Before(s.fullDue(t)), newcomersDue && 8*(t.local-len(t.newcomers)) <= t.local:
		// When nearly every socket is a newcomer the update goes to all:
		// it costs little more and may be the last one the storm needs.
		if s.isLarge(t) && now.Before(t.last.Add(s.window)) {
			t.forced++
		} else {
			t.forced = 0
		}
		if t.currentAt == t.changes {
			job.current = t.current
		}
		t.pending, t.newcomers, t.current = false, nil, nil
	case newcomersDue:
		job.newcomers, t.newcomers = t.newcomers, nil
		t.current, t.currentAt = job.newcomers, t.changes
	default:
		s.arm(tenantID, t, now)
		s.mu.Unlock()
		return
	}
	t.flushing = true
	s.mu.Unlock()

	entries := s.flush(job)

	s.mu.Lock()
	defer s.mu.Unlock()
	t.flushing = false
	if entries >= 0 {
		t.size = entries
	}
	if !s.closed {
		s.arm(tenantID, t, s.clock.Now())
	}
}

// close stops every timer, waits for updates being sent and returns the
// tenants whose full update was still due (id → slug), so that the last
// changes of a process going away are still announced.
func (s *presenceSchedule) close() map[string]string {
	s.mu.Lock()
	s.closed = true
	due := map[string]string{}
	for id, t := range s.tenants {
		if t.timer != nil && t.timer.Stop() {
			s.running.Done()
		}
		t.timer = nil
		if t.pending || len(t.newcomers) > 0 {
			due[id] = t.slug
		}
	}
	s.mu.Unlock()
	s.running.Wait()
	return due
}
