package server

import (
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
)

// BetterAuth's stricter built-in rule: /sign-in* and /sign-up* allow 3
// requests per 10 seconds per client IP and path, in production only.
const (
	signInLimit  = 3
	signInWindow = 10 * time.Second
	// maxLimiterKeys bounds the memory a flood of addresses can take.
	maxLimiterKeys = 100_000
)

// authRateLimit is BetterAuth's in-memory limiter for the sign-in and
// sign-up paths. Each call makes its own limiter; since the key holds the
// path, one per route behaves exactly like BetterAuth's single map.
func (s *Server) authRateLimit() gin.HandlerFunc {
	l := &fixedWindow{max: signInLimit, window: signInWindow, now: s.now, hits: map[string]*windowHits{}}
	return func(c *gin.Context) {
		if s.cfg.NodeEnv != "production" {
			return
		}
		path := c.Request.URL.Path
		if !strings.HasPrefix(path, "/api/auth/sign-in") && !strings.HasPrefix(path, "/api/auth/sign-up") {
			return
		}
		if wait, ok := l.allow(s.origins.ClientIP(c.Request) + "|" + path); !ok {
			secs := strconv.Itoa(int((wait + time.Second - 1) / time.Second))
			c.Header("X-Retry-After", secs)
			c.Header("Retry-After", secs)
			s.authError(c, errBARateLimited)
		}
	}
}

func (s *Server) now() time.Time {
	if s.deps.Now != nil {
		return s.deps.Now()
	}
	return time.Now()
}

// fixedWindow reproduces BetterAuth's rule: refuse while the last counted
// request is within the window and max were counted; otherwise count, and
// restart the count once the window has passed since the last request.
type fixedWindow struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	now    func() time.Time
	hits   map[string]*windowHits
}

type windowHits struct {
	count int
	last  time.Time
}

// allow counts one request for key, or says how long to wait.
func (f *fixedWindow) allow(key string) (wait time.Duration, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	h := f.hits[key]
	switch {
	case h == nil:
		if len(f.hits) >= maxLimiterKeys {
			f.sweep(now)
		}
		f.hits[key] = &windowHits{count: 1, last: now}
	case now.Sub(h.last) < f.window && h.count >= f.max:
		return h.last.Add(f.window).Sub(now), false
	case now.Sub(h.last) > f.window:
		h.count, h.last = 1, now
	default:
		h.count++
		h.last = now
	}
	return 0, true
}

// sweep drops keys whose window has passed; if a flood keeps every key
// fresh, it starts over rather than grow without bound.
func (f *fixedWindow) sweep(now time.Time) {
	for k, h := range f.hits {
		if now.Sub(h.last) > f.window {
			delete(f.hits, k)
		}
	}
	if len(f.hits) >= maxLimiterKeys {
		clear(f.hits)
	}
}
