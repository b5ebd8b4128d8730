package server

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// admissions drives a SocketAdmission as the engine does, keeping each
// client's releases so a test can end its sessions, oldest first.
type admissions struct {
	*SocketAdmission
	held map[string][]func()
}

func (a *admissions) admit(r *http.Request) error {
	release, err := a.Admit(r)
	if err == nil && release != nil {
		if a.held == nil {
			a.held = map[string][]func(){}
		}
		k := r.RemoteAddr + "|" + r.Header.Get("X-Forwarded-For")
		a.held[k] = append(a.held[k], release)
	}
	return err
}

// end ends the oldest session admitted with r's address and headers; it
// reports false when there is none.
func (a *admissions) end(r *http.Request) bool {
	k := r.RemoteAddr + "|" + r.Header.Get("X-Forwarded-For")
	if len(a.held[k]) == 0 {
		return false
	}
	release := a.held[k][0]
	a.held[k] = a.held[k][1:]
	release()
	return true
}

// admissionStep is one handshake (or, with release, one session ending)
// at a time after the test's start.
type admissionStep struct {
	at      time.Duration
	peer    string // TCP peer; 10.0.0.1 is the trusted proxy
	xff     string // X-Forwarded-For
	release bool
	want    error
}

func TestSocketAdmission(t *testing.T) {
	const proxy = "10.0.0.1"
	tests := []struct {
		name   string
		limits SocketLimits
		steps  []admissionStep
	}{
		{"cap, and a released session frees its place", SocketLimits{Rate: 100, Burst: 100, MaxPerClient: 2}, []admissionStep{
			{peer: "198.51.100.1"}, {peer: "198.51.100.1"},
			{peer: "198.51.100.1", want: ErrSocketCap},
			{peer: "198.51.100.2"}, // another client is not affected
			{peer: "198.51.100.1", release: true},
			{peer: "198.51.100.1"},
			{peer: "198.51.100.1", want: ErrSocketCap},
		}},
		{"rate: a burst, then the sustained rate", SocketLimits{Rate: 2, Burst: 3}, []admissionStep{
			{peer: "198.51.100.1"}, {peer: "198.51.100.1"}, {peer: "198.51.100.1"},
			{peer: "198.51.100.1", want: ErrSocketRate},
			{peer: "198.51.100.2"},
			{at: 499 * time.Millisecond, peer: "198.51.100.1", want: ErrSocketRate},
			{at: 500 * time.Millisecond, peer: "198.51.100.1"},
			{at: 500 * time.Millisecond, peer: "198.51.100.1", want: ErrSocketRate},
			{at: 2 * time.Second, peer: "198.51.100.1"}, {at: 2 * time.Second, peer: "198.51.100.1"}, {at: 2 * time.Second, peer: "198.51.100.1"},
			{at: 2 * time.Second, peer: "198.51.100.1", want: ErrSocketRate}, // the bucket holds no more than the burst
		}},
		{"a handshake refused by the cap spends no token", SocketLimits{Rate: 0.001, Burst: 2, MaxPerClient: 1}, []admissionStep{
			{peer: "198.51.100.1"},
			{peer: "198.51.100.1", want: ErrSocketCap}, {peer: "198.51.100.1", want: ErrSocketCap},
			{peer: "198.51.100.1", release: true},
			{peer: "198.51.100.1"},
			{peer: "198.51.100.1", release: true},
			{peer: "198.51.100.1", want: ErrSocketRate},
		}},
		{"exempt clients are never limited", SocketLimits{Rate: 0.001, Burst: 1, MaxPerClient: 1, Exempt: []string{"127.0.0.0/8", "::1", "192.0.2.0/24"}}, []admissionStep{
			{peer: "127.0.0.1"}, {peer: "127.0.0.1"}, {peer: "127.0.0.2"}, {peer: "::1"}, {peer: "::1"},
			{peer: "192.0.2.9"}, {peer: "192.0.2.9"},
			{peer: proxy, xff: "192.0.2.7"}, {peer: proxy, xff: "192.0.2.7"},
			{peer: "198.51.100.1"}, {peer: "198.51.100.1", want: ErrSocketCap},
		}},
		{"behind a trusted proxy, X-Forwarded-For names the client", SocketLimits{MaxPerClient: 1}, []admissionStep{
			{peer: proxy, xff: "198.51.100.1"},
			{peer: proxy, xff: "198.51.100.2"},
			{peer: proxy, xff: "198.51.100.1", want: ErrSocketCap},
			{peer: proxy, xff: "203.0.113.5, 198.51.100.1", want: ErrSocketCap}, // a forged first hop does not help
			{peer: proxy}, // the proxy's own handshake is the proxy's
			{peer: proxy, want: ErrSocketCap},
		}},
		{"an untrusted peer's X-Forwarded-For is ignored", SocketLimits{MaxPerClient: 1}, []admissionStep{
			{peer: "198.51.100.1", xff: "203.0.113.1"},
			{peer: "198.51.100.1", xff: "203.0.113.2", want: ErrSocketCap},
		}},
		{"an IPv6 client is its /64", SocketLimits{MaxPerClient: 2}, []admissionStep{
			{peer: "2001:db8::1"}, {peer: "2001:db8::ffff:2"},
			{peer: "2001:db8::3", want: ErrSocketCap},
			{peer: "2001:db8:0:1::1"},
			{peer: "::ffff:198.51.100.1"}, {peer: "198.51.100.1"}, // a mapped IPv4 address is the IPv4 client
			{peer: "198.51.100.1", want: ErrSocketCap},
		}},
		{"no limits", SocketLimits{}, []admissionStep{
			{peer: "198.51.100.1"}, {peer: "198.51.100.1"}, {peer: "198.51.100.1"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
			start := clock.t
			a := &admissions{SocketAdmission: newTestAdmission(t, tt.limits, clock, proxy)}
			for i, s := range tt.steps {
				clock.t = start.Add(s.at)
				r := handshakeRequest(s.peer, s.xff)
				if s.release {
					if !a.end(r) {
						t.Fatalf("step %d (%+v): no session to end", i, s)
					}
					continue
				}
				if err := a.admit(r); !errors.Is(err, s.want) || (s.want == nil) != (err == nil) {
					t.Fatalf("step %d (%+v): Admit = %v, want %v", i, s, err, s.want)
				}
			}
		})
	}
}

// TestSocketAdmissionCounts: the refusals are counted by reason and the
// open-session count follows admissions and releases.
func TestSocketAdmissionCounts(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	a := &admissions{SocketAdmission: newTestAdmission(t, SocketLimits{Rate: 0.001, Burst: 3, MaxPerClient: 2}, clock)}
	r := handshakeRequest("198.51.100.1", "")
	for range 4 {
		_ = a.admit(r) // 2 admitted, 2 refused by the cap
	}
	a.end(r)
	_ = a.admit(r) // the third token
	a.end(r)
	_ = a.admit(r) // no token left
	if got := [3]int64{a.Refused(RefusedRate), a.Refused(RefusedCap), a.Refused(RefusedClients)}; got != [3]int64{1, 2, 0} {
		t.Fatalf("refused rate/cap/clients = %v, want [1 2 0]", got)
	}
	if a.Open() != 1 {
		t.Fatalf("open = %d, want 1", a.Open())
	}
	for a.end(r) {
	}
	if a.Open() != 0 {
		t.Fatalf("open = %d after every release, want 0", a.Open())
	}
}

// TestSocketAdmissionBoundedTable: a flood of addresses cannot grow the
// limiter past MaxClients; idle clients are forgotten, clients with open
// sessions never are (their count must survive until Released).
func TestSocketAdmissionBoundedTable(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	a := &admissions{SocketAdmission: newTestAdmission(t, SocketLimits{Rate: 1, Burst: 5, MaxPerClient: 10, MaxClients: 3}, clock)}
	ip := func(i int) *http.Request { return handshakeRequest(fmt.Sprintf("198.51.%d.%d", i/250, i%250+1), "") }

	for i := range 3 { // three clients hold a session each
		if err := a.admit(ip(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.admit(ip(3)); !errors.Is(err, ErrSocketClients) {
		t.Fatalf("a fourth client while three hold sessions: %v, want ErrSocketClients", err)
	}
	a.end(ip(0))
	if err := a.admit(ip(3)); err != nil { // client 0 holds nothing now and is forgotten
		t.Fatalf("after a release: %v", err)
	}
	if err := a.admit(ip(1)); err != nil { // client 1 kept its count: two open now
		t.Fatal(err)
	}
	for _, i := range []int{1, 1, 2, 3} {
		if !a.end(ip(i)) {
			t.Fatalf("client %d: no session to end", i)
		}
	}
	if a.Open() != 0 {
		t.Fatalf("open = %d, want 0", a.Open())
	}

	// A flood of one handshake per address, each released at once: the
	// table never passes its bound, and new clients still get in.
	refused := 0
	for i := 10; i < 10_000; i++ {
		clock.t = clock.t.Add(10 * time.Millisecond)
		r := ip(i)
		if err := a.admit(r); err != nil {
			refused++
			continue
		}
		a.end(r)
		if n := a.Clients(); n > 3 {
			t.Fatalf("%d clients tracked, bound 3", n)
		}
	}
	if refused > 0 {
		t.Fatalf("%d of 9,990 new clients refused: the table does not make room", refused)
	}

	// Idle clients (no session, full bucket) are forgotten by the periodic
	// sweep even when the table is not full.
	clock.t = clock.t.Add(idleSweepEvery + 5*time.Second /* a bucket refills in Burst/Rate */)
	_ = a.admit(ip(20_000))
	if n := a.Clients(); n != 1 {
		t.Fatalf("%d clients tracked after the idle sweep, want 1 (the new one)", n)
	}
}

func TestSocketAdmissionConfig(t *testing.T) {
	if _, err := NewSocketAdmission(SocketLimits{Rate: 1, Burst: 0}, nil, time.Now, slog.Default()); err == nil {
		t.Fatal("a rate with a zero burst was accepted")
	}
	if _, err := NewSocketAdmission(SocketLimits{Exempt: []string{"loopback"}}, nil, time.Now, slog.Default()); err == nil {
		t.Fatal("an exemption that is not an IP or CIDR was accepted")
	}
}

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

// newTestAdmission builds the limiter on Origins.ClientIP with the given
// trusted proxies and a discarded log.
func newTestAdmission(t *testing.T, limits SocketLimits, clock *fakeClock, proxies ...string) *SocketAdmission {
	t.Helper()
	o, err := NewOrigins(nil, proxies)
	if err != nil {
		t.Fatal(err)
	}
	a, err := NewSocketAdmission(limits, o.ClientIP, clock.now, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func handshakeRequest(peer, xff string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/socket.io/?EIO=4&transport=websocket", nil)
	r.RemoteAddr = net.JoinHostPort(peer, "40000")
	if xff != "" {
		r.Header.Set("X-Forwarded-For", xff)
	}
	return r
}
