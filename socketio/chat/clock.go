package chat

import "time"

// Clock is the time every rule runs on: message timestamps, the per-socket
// limits, the presence schedule's windows and the session expiry and
// recheck timers. Tests drive it by hand (Deps.Clock).
type Clock interface {
	Now() time.Time
	// AfterFunc runs f in its own goroutine after d.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a pending AfterFunc.
type Timer interface {
	// Stop cancels the call; false when it already ran or is running.
	Stop() bool
}

// RealClock is the wall clock and the runtime's timers.
type RealClock struct{}

func (RealClock) Now() time.Time                            { return time.Now() }
func (RealClock) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }
