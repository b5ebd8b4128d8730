package ratelimit

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

var start = time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)

func TestWindow(t *testing.T) {
	l := NewWindow(3, time.Hour)
	for i := range 3 {
		if ok, _ := l.Allow("k", start.Add(time.Duration(i)*time.Minute)); !ok {
			t.Fatalf("event %d refused", i)
		}
	}
	for _, tc := range []struct {
		name   string
		key    string
		at     time.Duration
		ok     bool
		wait   time.Duration
		reason string
	}{
		{"fourth", "k", 10 * time.Minute, false, 50 * time.Minute, "the oldest of the three leaves at 1h"},
		{"other key", "other", 10 * time.Minute, true, 0, "keys are independent"},
		{"refusal not counted", "k", time.Hour - time.Nanosecond, false, time.Nanosecond, "a refused event is not recorded"},
		{"boundary", "k", time.Hour, true, 0, "an event exactly one window old has left"},
		{"full again", "k", time.Hour + time.Second, false, time.Minute - time.Second, "the second event leaves at 1h01m"},
	} {
		ok, wait := l.Allow(tc.key, start.Add(tc.at))
		if ok != tc.ok || wait != tc.wait {
			t.Fatalf("%s: ok=%v wait=%v, want %v %v (%s)", tc.name, ok, wait, tc.ok, tc.wait, tc.reason)
		}
	}
}

func TestWindowOff(t *testing.T) {
	var nilWindow *Window
	for name, l := range map[string]*Window{"max 0": NewWindow(0, time.Hour), "nil": nilWindow} {
		for range 5 {
			if ok, _ := l.Allow("k", start); !ok {
				t.Fatalf("%s must allow everything", name)
			}
		}
		l.Add("k", start)
		if l.Wait("k", start) != 0 {
			t.Fatalf("%s: Wait must be 0", name)
		}
	}
}

// TestAllCountsOnlyWhenEveryLimitAllows is the OTP send rule: a send the
// per-IP limit refuses must not use up the phone's cooldown.
func TestAllCountsOnlyWhenEveryLimitAllows(t *testing.T) {
	var mu sync.Mutex
	cooldown, perIP := NewWindow(1, time.Minute), NewWindow(1, time.Hour)
	if ok, _ := All(&mu, start, Check{cooldown, "phone1"}, Check{perIP, "ip"}); !ok {
		t.Fatal("first send refused")
	}
	ok, wait := All(&mu, start.Add(2*time.Minute), Check{cooldown, "phone2"}, Check{perIP, "ip"})
	if ok || wait != 58*time.Minute {
		t.Fatalf("second address-limited send: ok=%v wait=%v, want refused for 58m", ok, wait)
	}
	if cooldown.Wait("phone2", start.Add(2*time.Minute)) != 0 {
		t.Fatal("the refused send counted against phone2's cooldown")
	}
}

func TestWindowSweepsIdleKeys(t *testing.T) {
	l := NewWindow(1, time.Minute)
	for i := range minSweep {
		l.Add(fmt.Sprint("key", i), start)
	}
	if n := len(l.hits); n != minSweep {
		t.Fatalf("%d keys before the map outgrew the threshold, want %d", n, minSweep)
	}
	l.Add("late", start.Add(2*time.Minute)) // every other key is idle by now
	if _, ok := l.hits["late"]; !ok || len(l.hits) != 1 {
		t.Fatalf("%d keys kept after the sweep, want only the live one", len(l.hits))
	}
}

func TestRetrySeconds(t *testing.T) {
	for _, tc := range []struct {
		in   time.Duration
		want int
	}{{0, 1}, {time.Millisecond, 1}, {time.Second, 1}, {1500 * time.Millisecond, 2}, {30 * time.Second, 30}} {
		if got := RetrySeconds(tc.in); got != tc.want {
			t.Fatalf("RetrySeconds(%v) = %d, want %d", tc.in, got, tc.want)
		}
	}
}
