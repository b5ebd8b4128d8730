package auth

import (
	"testing"
	"time"
)

func TestRateLimiter(t *testing.T) {
	start := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	l := NewRateLimiter(3, time.Hour)
	for i := range 3 {
		if ok, _ := l.Allow("k", start.Add(time.Duration(i)*time.Minute)); !ok {
			t.Fatalf("event %d refused", i)
		}
	}
	ok, wait := l.Allow("k", start.Add(10*time.Minute))
	if ok || wait != 50*time.Minute {
		t.Fatalf("fourth event: ok=%v wait=%v, want refused for 50m", ok, wait)
	}
	if ok, _ := l.Allow("other", start); !ok {
		t.Fatal("keys must be independent")
	}
	if ok, _ := l.Allow("k", start.Add(time.Hour)); !ok {
		t.Fatal("the first event left the window")
	}
	if retrySeconds(1500*time.Millisecond) != 2 || retrySeconds(0) != 1 {
		t.Fatal("retrySeconds rounds up to at least 1")
	}
	if ok, _ := NewRateLimiter(0, time.Hour).Allow("k", start); !ok {
		t.Fatal("max 0 disables the limit")
	}
}

func TestOTPHashAndCode(t *testing.T) {
	h := otpHash("secret", "+393331234567", "123456")
	if len(h) != 64 || h == otpHash("secret", "+393331234567", "123457") || h == otpHash("other", "+393331234567", "123456") {
		t.Fatal("the hash must depend on secret, phone and code")
	}
	if encodeOTPValue(otpValue{V: 1, H: "ab", A: 2}) != `{"v":1,"h":"ab","a":2}` {
		t.Fatal("stored value format")
	}
	for range 200 {
		c, err := newOTPCode()
		if err != nil || len(c) != 6 || c < "100000" || c > "999999" {
			t.Fatalf("code %q %v", c, err)
		}
	}
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"+39 333 123 4567", "+393331234567", true},
		{"+39\t3331234567\n", "+393331234567", true},
		{"+39333123456", "+39333123456", true},
		{"+3933312345678", "", false},
		{"00393331234567", "", false},
		{"+39333abc4567", "", false},
	} {
		got, err := CleanPhone(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Fatalf("CleanPhone(%q) = %q, %v", tc.in, got, err)
		}
	}
}

func TestRateLimiterSweepsIdleKeys(t *testing.T) {
	start := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	l := NewRateLimiter(1, time.Minute)
	for i := range minSweep {
		l.Add(string(rune('a'+i%26))+time.Duration(i).String(), start)
	}
	if n := len(l.hits); n != minSweep {
		t.Fatalf("%d keys before the map outgrew the threshold, want %d", n, minSweep)
	}
	l.Add("late", start.Add(2*time.Minute)) // every other key is idle by now
	if _, ok := l.hits["late"]; !ok || len(l.hits) != 1 {
		t.Fatalf("%d keys kept after the sweep, want only the live one", len(l.hits))
	}
}
