// Package ratelimit holds chatd's sliding-window limiter: the rule "at most
// max events per key in any window of length per", which the OTP sends, the
// biometric logins and the feedback posts follow. Limits that are a steady
// rate with a burst use golang.org/x/time/rate instead.
//
// Every count is in process: a restart forgets them (docs/http-routes.md,
// "Rate limits").
package ratelimit

import (
	"sync"
	"time"
)

// Window counts events per key in a sliding window. Times are passed in, so
// the caller's injected clock rules; times are expected not to go backwards.
// The zero of max disables the limit; a nil *Window allows everything.
type Window struct {
	mu        sync.Mutex
	max       int
	per       time.Duration
	hits      map[string][]time.Time // per key, oldest first, at most max
	nextSweep int                    // sweep idle keys when the map grows past this
}

// NewWindow allows max events per key within any window of length per. A
// max of zero or less disables the limit.
func NewWindow(max int, per time.Duration) *Window {
	return &Window{max: max, per: per, hits: map[string][]time.Time{}, nextSweep: minSweep}
}

// Allow records one event for key at now when the limit allows it;
// otherwise it records nothing and says how long until the oldest counted
// event leaves the window.
func (w *Window) Allow(key string, now time.Time) (ok bool, wait time.Duration) {
	if w.off() {
		return true, 0
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if wait := w.waitLocked(key, now); wait > 0 {
		return false, wait
	}
	w.addLocked(key, now)
	return true, 0
}

// Wait returns zero when one more event for key is allowed at now, or how
// long until the oldest counted event leaves the window. It records
// nothing, so a caller can check several limits and then Add to each only
// when all of them pass (see All).
func (w *Window) Wait(key string, now time.Time) time.Duration {
	if w.off() {
		return 0
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.waitLocked(key, now)
}

// Add records one event for key at now, allowed or not.
func (w *Window) Add(key string, now time.Time) {
	if w.off() {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.addLocked(key, now)
}

func (w *Window) off() bool { return w == nil || w.max <= 0 }

func (w *Window) waitLocked(key string, now time.Time) time.Duration {
	live := w.prune(key, now)
	if len(live) < w.max {
		return 0
	}
	return live[len(live)-w.max].Add(w.per).Sub(now)
}

func (w *Window) addLocked(key string, now time.Time) {
	live := w.prune(key, now)
	if len(live) >= w.max { // Add past the limit: only the newest max count
		live = live[len(live)-w.max+1:]
	}
	w.hits[key] = append(live, now)
	w.sweep(now)
}

// prune drops key's events that left the window (an event exactly per ago
// has left); the caller holds mu.
func (w *Window) prune(key string, now time.Time) []time.Time {
	times := w.hits[key]
	i := 0
	for i < len(times) && !times[i].After(now.Add(-w.per)) {
		i++
	}
	times = times[i:]
	if len(times) == 0 {
		delete(w.hits, key)
		return nil
	}
	w.hits[key] = times
	return times
}

// minSweep is the map size below which idle keys are left alone.
const minSweep = 10000

// sweep drops idle keys once the map has doubled since the last sweep: keys
// are client-chosen (addresses, phone numbers), so idle ones must not pile
// up, and the cost of a sweep stays proportional to the growth that caused
// it.
func (w *Window) sweep(now time.Time) {
	if len(w.hits) <= w.nextSweep {
		return
	}
	for k := range w.hits {
		w.prune(k, now)
	}
	w.nextSweep = max(minSweep, 2*len(w.hits))
}

// Check is one limit and the key it is checked for, for All.
type Check struct {
	Limit *Window
	Key   string
}

// All allows one event only when every check allows it, and then records it
// in each; otherwise it records nothing and returns the longest wait. mu
// makes the check-then-record one step for callers sharing it.
func All(mu *sync.Mutex, now time.Time, checks ...Check) (ok bool, wait time.Duration) {
	mu.Lock()
	defer mu.Unlock()
	for _, c := range checks {
		wait = max(wait, c.Limit.Wait(c.Key, now))
	}
	if wait > 0 {
		return false, wait
	}
	for _, c := range checks {
		c.Limit.Add(c.Key, now)
	}
	return true, 0
}

// RetrySeconds rounds a wait up to whole seconds, at least one: what a
// Retry-After header and the "retry in N seconds" messages carry.
func RetrySeconds(d time.Duration) int {
	return max(1, int((d+time.Second-1)/time.Second))
}
