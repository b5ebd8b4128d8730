package chat

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

// sent is one presenceUpdate the schedule asked for.
type sent struct {
	at        time.Duration // since the test began
	entries   int
	receivers int
	newcomers bool
}

// scheduleRig drives a presenceSchedule over a simulated tenant whose
// entries are the sockets joined so far (s1, s2, …), all local.
type scheduleRig struct {
	t      *testing.T
	clock  *manualClock
	start  time.Time
	s      *presenceSchedule
	joined int
	sent   []sent
	joinAt map[string]time.Duration
	waited map[string]time.Duration // socket → how long it waited for its first list
	last   map[string]int           // socket → entries of the last list it got
}

func newScheduleRig(t *testing.T, window time.Duration, large int) *scheduleRig {
	r := &scheduleRig{t: t, clock: newManualClock(time.Unix(1_800_000_000, 0)), joinAt: map[string]time.Duration{}, waited: map[string]time.Duration{},
		last: map[string]int{}}
	r.start = r.clock.Now()
	r.s = newPresenceSchedule(window, large, r.clock, func(job presenceFlush) int {
		now := r.clock.Now().Sub(r.start)
		receivers := job.newcomers
		if receivers == nil {
			spared := map[string]bool{}
			for _, id := range job.current {
				spared[id] = true
			}
			for i := 1; i <= r.joined; i++ {
				if id := fmt.Sprintf("s%d", i); !spared[id] {
					receivers = append(receivers, id)
				}
			}
		}
		for _, id := range receivers {
			if _, ok := r.waited[id]; !ok {
				r.waited[id] = now - r.joinAt[id]
			}
			r.last[id] = r.joined
		}
		r.sent = append(r.sent, sent{at: now, entries: r.joined, receivers: len(receivers), newcomers: job.newcomers != nil})
		return r.joined
	})
	return r
}

func (r *scheduleRig) join() {
	r.joined++
	id := fmt.Sprintf("s%d", r.joined)
	r.joinAt[id] = r.clock.Now().Sub(r.start)
	r.s.joined("t1", "demo", id)
}

// entriesSent is the total of entries delivered: each update carries
// every entry to each of its receivers (bytes are ~150 times that).
func (r *scheduleRig) entriesSent() int {
	n := 0
	for _, s := range r.sent {
		n += s.entries * s.receivers
	}
	return n
}

func TestPresenceScheduleSmallTenantKeepsTheWindow(t *testing.T) {
	t.Parallel()
	r := newScheduleRig(t, 100*time.Millisecond, 100)
	r.join()
	r.clock.Advance(30 * time.Millisecond)
	r.join() // rides along
	r.clock.Advance(69 * time.Millisecond)
	if len(r.sent) != 0 {
		t.Fatalf("sent before the window closed: %+v", r.sent)
	}
	r.clock.Advance(time.Millisecond)
	if len(r.sent) != 1 || r.sent[0].entries != 2 || r.sent[0].at != 100*time.Millisecond || r.sent[0].newcomers {
		t.Fatalf("one update with both at 100 ms, got %+v", r.sent)
	}
	// Changes further apart than the window: one update each, a window after each.
	r.clock.Advance(500 * time.Millisecond)
	r.join()
	r.clock.Advance(time.Second)
	r.s.left("t1", "demo", "s3")
	r.clock.Advance(time.Second)
	if len(r.sent) != 3 || r.sent[1].at != 700*time.Millisecond || r.sent[2].at != 1700*time.Millisecond {
		t.Fatalf("updates %+v", r.sent)
	}
}

// TestPresenceScheduleWaitsForTheSend: the next update is computed only
// after the previous one was handed over, however long that takes.
func TestPresenceScheduleWaitsForTheSend(t *testing.T) {
	t.Parallel()
	clock := newManualClock(time.Unix(1_800_000_000, 0))
	release := make(chan struct{})
	var mu sync.Mutex
	flushes, running, overlapped := 0, 0, false
	s := newPresenceSchedule(10*time.Millisecond, 100, clock, func(presenceFlush) int {
		mu.Lock()
		flushes++
		running++
		overlapped = overlapped || running > 1
		mu.Unlock()
		<-release
		mu.Lock()
		running--
		mu.Unlock()
		return 1
	})
	s.joined("t1", "demo", "a")
	done := make(chan struct{})
	go func() { clock.Advance(10 * time.Millisecond); close(done) }() // the first update blocks in flush
	waitUntil(t, func() bool { mu.Lock(); defer mu.Unlock(); return flushes == 1 })
	for i := 0; i < 5; i++ {
		s.changed("t1", "")
	}
	go clock.Advance(time.Second) // the window passes while the send still runs
	time.Sleep(20 * time.Millisecond)
	mu.Lock()
	if flushes != 1 {
		t.Fatalf("%d updates computed while the first was being handed over", flushes)
	}
	mu.Unlock()
	close(release)
	<-done
	clock.Advance(time.Second)
	waitUntil(t, func() bool { mu.Lock(); defer mu.Unlock(); return flushes == 2 })
	mu.Lock()
	defer mu.Unlock()
	if overlapped {
		t.Fatal("two updates of one tenant ran at once")
	}
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 3s")
		}
		time.Sleep(time.Millisecond)
	}
}

// TestPresenceScheduleStorm: 1,000 joins at several speeds. Every socket
// ends with the full list within 500 ms of the last join, newcomers get a
// list within a window of joining, and the total stays under twice the
// floor of one full list per socket.
func TestPresenceScheduleStorm(t *testing.T) {
	t.Parallel()
	const n = 1000
	for _, every := range []time.Duration{100 * time.Microsecond, 500 * time.Microsecond, time.Millisecond, 1500 * time.Microsecond} {
		t.Run(fmt.Sprintf("a join every %v", every), func(t *testing.T) {
			r := newScheduleRig(t, 100*time.Millisecond, 100)
			for i := 0; i < n; i++ {
				r.join()
				r.clock.Advance(every)
			}
			last := r.clock.Now().Sub(r.start) - every
			r.clock.Advance(10 * time.Second)
			for id, waited := range r.waited {
				if waited > 100*time.Millisecond+every {
					t.Fatalf("%s waited %v for its first list", id, waited)
				}
			}
			if len(r.waited) != n {
				t.Fatalf("%d of %d sockets got a list", len(r.waited), n)
			}
			for id, entries := range r.last {
				if entries != n {
					t.Fatalf("%s ended with a list of %d, want %d", id, entries, n)
				}
			}
			final := r.sent[len(r.sent)-1]
			if final.entries != n {
				t.Fatalf("the last update is not the full list: %+v", final)
			}
			if final.at-last > 500*time.Millisecond {
				t.Fatalf("converged %v after the last join", final.at-last)
			}
			if ratio := float64(r.entriesSent()) / (n * n); ratio > 2 {
				t.Fatalf("sent %.2fx the floor in %d updates: %+v", ratio, len(r.sent), r.sent)
			} else {
				t.Logf("%.2fx the floor, %d updates, converged %v after the last join", ratio, len(r.sent), final.at-last)
			}
		})
	}
}

// TestPresenceScheduleLargeTenantChurn: a large tenant that never pauses
// still gets full updates: the first within 3 ms per user, then at doubling
// intervals up to maxPresenceDelay.
func TestPresenceScheduleLargeTenantChurn(t *testing.T) {
	t.Parallel()
	r := newScheduleRig(t, 100*time.Millisecond, 100)
	for i := 0; i < 500; i++ {
		r.join()
	}
	r.clock.Advance(200 * time.Millisecond)
	for i := 0; i < 4000; i++ { // a leave and a rejoin every 10 ms for 40 s
		r.s.left("t1", "demo", "s1")
		r.s.joined("t1", "demo", "s1")
		r.clock.Advance(10 * time.Millisecond)
	}
	var fulls []time.Duration
	for _, s := range r.sent {
		if !s.newcomers {
			fulls = append(fulls, s.at)
		}
	}
	want := []time.Duration{100 * time.Millisecond, 1700 * time.Millisecond, 4700 * time.Millisecond,
		10700 * time.Millisecond, 20700 * time.Millisecond, 30700 * time.Millisecond}
	if fmt.Sprint(fulls) != fmt.Sprint(want) {
		t.Fatalf("full updates at %v, want %v", fulls, want)
	}
}

// TestPresenceScheduleOnlyForLocalSockets: a change elsewhere is sent here
// only to a tenant with sockets here, a window later.
func TestPresenceScheduleOnlyForLocalSockets(t *testing.T) {
	t.Parallel()
	r := newScheduleRig(t, 100*time.Millisecond, 100)
	r.s.changed("t1", "demo")
	r.clock.Advance(time.Second)
	if len(r.sent) != 0 {
		t.Fatalf("an update for a tenant without local sockets: %+v", r.sent)
	}
	r.join()
	r.clock.Advance(time.Second)
	r.s.changed("t1", "")
	r.clock.Advance(time.Second)
	if len(r.sent) != 2 || r.sent[1].at != 2100*time.Millisecond {
		t.Fatalf("updates %+v", r.sent)
	}
}

// TestPresenceScheduleSparesCurrentNewcomers: in a large tenant, the
// newcomers whose own list was made after the last change are not sent the
// same list again by the full update that ends the storm; a change after
// their list makes the full update reach them too.
func TestPresenceScheduleSparesCurrentNewcomers(t *testing.T) {
	t.Parallel()
	for _, changeAfter := range []bool{false, true} {
		t.Run(fmt.Sprintf("a change after the newcomers' list: %v", changeAfter), func(t *testing.T) {
			r := newScheduleRig(t, 100*time.Millisecond, 10)
			for range 200 {
				r.join()
			}
			r.clock.Advance(150 * time.Millisecond) // the first update, to all 200
			r.join()                                // s201
			r.clock.Advance(90 * time.Millisecond)
			r.join()                               // s202; the storm goes on, so the full update waits
			r.clock.Advance(10 * time.Millisecond) // s201's window: the newcomers' list
			if got := r.sent[len(r.sent)-1]; !got.newcomers || got.receivers != 2 || got.entries != 202 {
				t.Fatalf("newcomers' list: %+v", got)
			}
			want := 200 // the full update goes to the others only
			if changeAfter {
				r.join() // s203: the newcomers' list is stale now
				want = 203
			}
			r.clock.Advance(time.Second)
			final := r.sent[len(r.sent)-1]
			if final.newcomers || final.receivers != want || final.entries != r.joined {
				t.Fatalf("final update %+v, want %d receivers of %d entries", final, want, r.joined)
			}
			for id, entries := range r.last {
				if entries != r.joined {
					t.Fatalf("%s ended with a list of %d, want %d", id, entries, r.joined)
				}
			}
		})
	}
}
