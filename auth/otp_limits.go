package auth

import (
	"sync"
	"time"
)

// RateLimiter counts events per key in a rolling window, in process (docs/http-routes.md,
// "Rate limits": every counter is in-process). Wait answers "how long
// until one more is allowed" without recording, so a caller can check several
// limits and record only when all of them pass.
type RateLimiter struct {
	mu        sync.Mutex
	max       int
	per       time.Duration
	hits      map[string][]time.Time
	nextSweep int // sweep idle keys when the map grows past this
}

// NewRateLimiter allows max events per key within any window of length per.
// A max of zero or less disables the limit.
func NewRateLimiter(max int, per time.Duration) *RateLimiter {
	return &RateLimiter{max: max, per: per, hits: map[string][]time.Time{}, nextSweep: minSweep}
}

// Wait returns zero when one more event for key is allowed at now, or how
// long until the oldest counted event leaves the window.
func (l *RateLimiter) Wait(key string, now time.Time) time.Duration {
	if l == nil || l.max <= 0 {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	live := l.prune(key, now)
	if len(live) < l.max {
		return 0
	}
	return live[len(live)-l.max].Add(l.per).Sub(now)
}

// Add records one event for key at now.
func (l *RateLimiter) Add(key string, now time.Time) {
	if l == nil || l.max <= 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.addLocked(key, now)
}

// minSweep is the map size below which idle keys are left alone.
const minSweep = 10000

// sweep drops idle keys once the map has doubled since the last sweep: keys
// are client-chosen, so idle ones must not pile up, and the cost of a sweep
// stays proportional to the growth that caused it.
func (l *RateLimiter) sweep(now time.Time) {
	if len(l.hits) <= l.nextSweep {
		return
	}
	for k := range l.hits {
		l.prune(k, now)
	}
	l.nextSweep = max(minSweep, 2*len(l.hits))
}

// Allow is Wait followed by Add when the event is allowed.
func (l *RateLimiter) Allow(key string, now time.Time) (bool, time.Duration) {
	if l == nil || l.max <= 0 {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	live := l.prune(key, now)
	if len(live) >= l.max {
		return false, live[len(live)-l.max].Add(l.per).Sub(now)
	}
	l.hits[key] = append(live, now)
	l.sweep(now)
	return true, 0
}

// prune drops events older than the window; the caller holds mu.
func (l *RateLimiter) prune(key string, now time.Time) []time.Time {
	times := l.hits[key]
	i := 0
	for i < len(times) && !times[i].After(now.Add(-l.per)) {
		i++
	}
	times = times[i:]
	if len(times) == 0 {
		delete(l.hits, key)
		return nil
	}
	l.hits[key] = times
	return times
}

// retrySeconds rounds a wait up to whole seconds, at least one, for
// Retry-After headers and the "riprova tra N secondi" message.
func retrySeconds(d time.Duration) int {
	s := int((d + time.Second - 1) / time.Second)
	if s < 1 {
		s = 1
	}
	return s
}

// waitLocked and addLocked are Wait and Add for a caller that already holds
// mu (OTP sends check three limiters under the first one's lock).
func (l *RateLimiter) waitLocked(key string, now time.Time) time.Duration {
	if l.max <= 0 {
		return 0
	}
	live := l.prune(key, now)
	if len(live) < l.max {
		return 0
	}
	return live[len(live)-l.max].Add(l.per).Sub(now)
}

func (l *RateLimiter) addLocked(key string, now time.Time) {
	if l.max <= 0 {
		return
	}
	l.hits[key] = append(l.prune(key, now), now)
	l.sweep(now)
}
