package socketio

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	engine "github.com/zishang520/socket.io/servers/engine/v3"
	"github.com/zishang520/socket.io/v3/pkg/types"
)

// testOptions are short timings so the heartbeat tests stay fast.
func testOptions() TransportOptions {
	return TransportOptions{
		PingInterval:   300 * time.Millisecond,
		PingTimeout:    200 * time.Millisecond,
		MaxPayload:     1000,
		ConnectTimeout: time.Second,
	}
}

// startEngine serves a bare Engine that echoes every message.
func startEngine(t *testing.T, opts TransportOptions) string {
	t.Helper()
	e := NewEngine(opts)
	_ = e.Server().On("connection", func(args ...any) {
		conn := args[0].(engine.Socket)
		_ = conn.On("message", func(args ...any) {
			if sb, ok := args[0].(*types.StringBuffer); ok {
				conn.Send(types.NewStringBufferString(sb.String()), nil, nil)
			}
		})
	})
	srv := httptest.NewServer(e.Handler())
	t.Cleanup(func() { e.Close(); srv.Close() })
	return srv.URL + DefaultPath
}

func mustDo(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, string(b)
}

// mustOpen handshakes over polling and returns the session's URL.
func mustOpen(t *testing.T, base string) string {
	t.Helper()
	status, body := mustDo(t, http.MethodGet, base+"?EIO=4&transport=polling", "")
	const prefix = `0{"sid":"`
	if status != http.StatusOK || !strings.HasPrefix(body, prefix) {
		t.Fatalf("handshake: %d %q", status, body)
	}
	sid, _, _ := strings.Cut(body[len(prefix):], `"`)
	return base + "?EIO=4&transport=polling&sid=" + sid
}

func TestTransportHandshake(t *testing.T) {
	tests := []struct {
		name       string
		allow      func(*http.Request) error
		path       string
		wantStatus int
		wantBody   string // prefix
	}{
		{"node key order", nil, "/socket.io/?EIO=4&transport=polling", 200,
			`0{"sid":"`},
		{"refused by AllowRequest", func(*http.Request) error { return errors.New("origin not allowed") },
			"/socket.io/?EIO=4&transport=polling", 403, `{"code":4,"message":"Forbidden"}`},
		{"unknown transport", nil, "/socket.io/?EIO=4&transport=udp", 400, `{"code":0,"message":"Transport unknown"}`},
		{"EIO 3 refused", nil, "/socket.io/?EIO=3&transport=polling", 400,
			`{"code":5,"message":"Unsupported protocol version"}`},
		{"no EIO refused", nil, "/socket.io/?transport=polling", 400,
			`{"code":5,"message":"Unsupported protocol version"}`},
		{"unknown transport before version", nil, "/socket.io/?EIO=3&transport=bogus", 400,
			`{"code":0,"message":"Transport unknown"}`},
		{"outside the path", nil, "/socket.iox/?EIO=4&transport=polling", 404, ``},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := testOptions()
			opts.AllowRequest = tc.allow
			tr := NewTransport(opts)
			srv := httptest.NewServer(tr.Handler())
			t.Cleanup(func() { tr.Close(); srv.Close() })
			status, body := mustDo(t, http.MethodGet, srv.URL+tc.path, "")
			if status != tc.wantStatus || !strings.HasPrefix(body, tc.wantBody) {
				t.Fatalf("got %d %q, want %d %q…", status, body, tc.wantStatus, tc.wantBody)
			}
		})
	}
}

func TestHandshakeKeysInNodeOrder(t *testing.T) {
	base := startEngine(t, testOptions())
	_, body := mustDo(t, http.MethodGet, base+"?EIO=4&transport=polling", "")
	keys := []string{`"sid":`, `"upgrades":["websocket"]`, `"pingInterval":300`, `"pingTimeout":200`, `"maxPayload":1000}`}
	at := 0
	for _, k := range keys {
		i := strings.Index(body[at:], k)
		if i < 0 {
			t.Fatalf("%q missing or out of order in %q", k, body)
		}
		at += i
	}
}

func TestPollingPayloads(t *testing.T) {
	tests := []struct {
		name        string
		payload     string
		wantPost    int
		wantPoll    int
		wantPollMsg string
	}{
		{"one packet", "4hello", 200, 200, "4hello"},
		{"several packets", "4a\x1e4b", 200, 200, "4a\x1e4b"},
		{"unknown packet type closes", "abc", 400, 400, ""},
		{"bad base64 closes", "b!!!", 400, 400, ""},
		{"empty payload closes", "", 400, 400, ""},
		{"too large is refused", "4" + strings.Repeat("x", 1000), 413, 200, "2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			session := mustOpen(t, startEngine(t, testOptions()))
			if status, _ := mustDo(t, http.MethodPost, session, tc.payload); status != tc.wantPost {
				t.Fatalf("POST: %d, want %d", status, tc.wantPost)
			}
			status, body := mustDo(t, http.MethodGet, session, "")
			if status != tc.wantPoll || (tc.wantPollMsg != "" && body != tc.wantPollMsg) {
				t.Fatalf("GET: %d %q, want %d %q", status, body, tc.wantPoll, tc.wantPollMsg)
			}
		})
	}
}

func TestCloseWaitsForTheConcurrentPoll(t *testing.T) {
	session := mustOpen(t, startEngine(t, testOptions()))
	type result struct {
		status int
		body   string
	}
	poll := make(chan result, 1)
	// The close is sent first on purpose: the guard must hold it until the
	// poll is registered so the poll ends with a noop.
	closed := make(chan int, 1)
	go func() { s, _ := mustDo(t, http.MethodPost, session, "1"); closed <- s }()
	time.Sleep(20 * time.Millisecond)
	go func() { s, b := mustDo(t, http.MethodGet, session, ""); poll <- result{s, b} }()
	if got := <-poll; got.status != 200 || got.body != "6" {
		t.Fatalf("poll: %d %q, want 200 \"6\"", got.status, got.body)
	}
	if s := <-closed; s != 200 {
		t.Fatalf("close: %d", s)
	}
	if s, _ := mustDo(t, http.MethodGet, session, ""); s != 400 {
		t.Fatalf("session still open: %d", s)
	}
}

func TestPingDeadlineAtRequestTime(t *testing.T) {
	now := time.Unix(1000, 0)
	h := newHeartbeats(testOptions())
	h.now = func() time.Time { return now }
	heard := new(atomic.Int64)
	heard.Store(now.UnixNano())
	h.heard.Store("s1", heard)
	tests := []struct {
		after time.Duration
		want  bool
	}{
		{449 * time.Millisecond, false},
		{450 * time.Millisecond, true}, // interval + timeout - slack
		{time.Second, true},
	}
	for _, tc := range tests {
		now = time.Unix(1000, 0).Add(tc.after)
		if got := h.expired("s1"); got != tc.want {
			t.Errorf("after %v: expired=%v, want %v", tc.after, got, tc.want)
		}
	}
	if h.expired("unknown") {
		t.Error("an unknown sid is never expired")
	}
}

// TestCloseLeavesNoGoroutines opens sessions, closes the transport and
// checks that the goroutines it started (timers, write queues, pollers)
// are gone.
func TestCloseLeavesNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	tr := NewTransport(testOptions())
	srv := httptest.NewServer(tr.Handler())
	base := srv.URL + DefaultPath
	for range 5 {
		session := mustOpen(t, base)
		mustDo(t, http.MethodPost, session, "40")
	}
	tr.Close()
	srv.Close()
	http.DefaultClient.CloseIdleConnections()
	deadline := time.Now().Add(3 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Fatalf("%d goroutines left over (was %d):\n%s", n, before, buf[:runtime.Stack(buf, true)])
	}
}
