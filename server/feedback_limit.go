package server

import (
	"math"
	"sync"
	"time"
)

// windowLimiter counts hits per key in a rolling window, in process
// (docs/http-routes.md, "Rate limits"). It forgets keys whose hits have all
// expired, so memory follows live traffic.
type windowLimiter struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	hits   map[string][]time.Time
	sweep  time.Time
}

func newWindowLimiter(max int, window time.Duration) *windowLimiter {
	return &windowLimiter{max: max, window: window, hits: map[string][]time.Time{}}
}

// allow records a hit for key at now unless the key is at its limit; then it
// returns how many whole seconds (at least 1) until the next hit would pass.
func (l *windowLimiter) allow(key string, now time.Time) (ok bool, retryAfter int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweepExpired(now)
	live := l.live(key, now)
	if len(live) >= l.max {
		wait := live[0].Add(l.window).Sub(now)
		return false, max(1, int(math.Ceil(wait.Seconds())))
	}
	l.hits[key] = append(live, now)
	return true, 0
}

// live is key's hits still inside the window, oldest first.
func (l *windowLimiter) live(key string, now time.Time) []time.Time {
	hits := l.hits[key]
	i := 0
	for i < len(hits) && !hits[i].Add(l.window).After(now) {
		i++
	}
	return hits[i:]
}

// sweepExpired drops every key with no live hit, at most once per window.
func (l *windowLimiter) sweepExpired(now time.Time) {
	if now.Sub(l.sweep) < l.window {
		return
	}
	l.sweep = now
	for key := range l.hits {
		if len(l.live(key, now)) == 0 {
			delete(l.hits, key)
		}
	}
}

// feedbackLimits are POST /api/tenants/:slug/feedback's two limits: one post
// per 30 s per client IP and user (a venue shares one IP), and 20 per 10 min
// per IP against floods.
type feedbackLimits struct {
	perUser *windowLimiter
	perIP   *windowLimiter
}

func newFeedbackLimits() *feedbackLimits {
	return &feedbackLimits{perUser: newWindowLimiter(1, 30*time.Second), perIP: newWindowLimiter(20, 10*time.Minute)}
}

// allow checks the per-user limit first so a rejected post does not use up
// the IP's budget.
func (f *feedbackLimits) allow(ip, userID string, now time.Time) (bool, int) {
	if ok, retry := f.perUser.allow(ip+"|"+userID, now); !ok {
		return false, retry
	}
	return f.perIP.allow(ip, now)
}
