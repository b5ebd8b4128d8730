package server

import (
	"time"

	"chatd/ratelimit"
)

// feedbackLimits are the feedback route's two limits (docs/http-routes.md,
// "Rate limits"): one post per 30 s per client IP and user (a venue shares
// one IP), and 20 per 10 min per IP against floods.
type feedbackLimits struct {
	perUser *ratelimit.Window
	perIP   *ratelimit.Window
}

func newFeedbackLimits() *feedbackLimits {
	return &feedbackLimits{perUser: ratelimit.NewWindow(1, 30*time.Second), perIP: ratelimit.NewWindow(20, 10*time.Minute)}
}

// allow checks the per-user limit first so a rejected post does not use up
// the IP's budget; a refusal says how many whole seconds (at least 1) until
// a post would pass.
func (f *feedbackLimits) allow(ip, userID string, now time.Time) (ok bool, retryAfter int) {
	if ok, wait := f.perUser.Allow(ip+"|"+userID, now); !ok {
		return false, ratelimit.RetrySeconds(wait)
	}
	if ok, wait := f.perIP.Allow(ip, now); !ok {
		return false, ratelimit.RetrySeconds(wait)
	}
	return true, 0
}
