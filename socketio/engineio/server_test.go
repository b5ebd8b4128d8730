package engineio

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"chatd/socketio/internal/wstest"
)

// refuseAll is an Admission that refuses every session.
type refuseAll struct{}

func (refuseAll) Admit(*http.Request) (func(), error) { return nil, errors.New("too many") }

func TestHandshakeErrors(t *testing.T) {
	tests := []struct {
		name       string
		method     string
		query      string
		admission  Admission
		wantStatus int
		wantBody   string // prefix
	}{
		{"opens", "GET", "EIO=4&transport=polling", nil, 200, `0{"sid":"`},
		{"unknown transport", "GET", "EIO=4&transport=udp", nil, 400, `{"code":0,"message":"Transport unknown"}`},
		{"no transport", "GET", "EIO=4", nil, 400, `{"code":0,"message":"Transport unknown"}`},
		{"EIO 3 refused", "GET", "EIO=3&transport=polling", nil, 400, `{"code":5,"message":"Unsupported protocol version"}`},
		{"no EIO refused", "GET", "transport=polling", nil, 400, `{"code":5,"message":"Unsupported protocol version"}`},
		{"unknown transport before version", "GET", "EIO=3&transport=bogus", nil, 400, `{"code":0,"message":"Transport unknown"}`},
		{"handshake must be a GET", "POST", "EIO=4&transport=polling", nil, 400, `{"code":2,"message":"Bad handshake method"}`},
		{"websocket without upgrade", "GET", "EIO=4&transport=websocket", nil, 400, `{"code":3,"message":"Bad request"}`},
		{"unknown sid", "GET", "EIO=4&transport=polling&sid=nope", nil, 400, `{"code":1,"message":"Session ID unknown"}`},
		{"refused by admission", "GET", "EIO=4&transport=polling", refuseAll{}, 429, `{"code":4,`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.Admission = tc.admission
			base, _, _ := startEcho(t, cfg)
			status, body := mustDo(t, tc.method, base+"?"+tc.query, "")
			if status != tc.wantStatus || !strings.HasPrefix(body, tc.wantBody) {
				t.Fatalf("got %d %q, want %d %q…", status, body, tc.wantStatus, tc.wantBody)
			}
		})
	}
}

func TestHandshakeIsNodes(t *testing.T) {
	base, _, _ := startEcho(t, testConfig())
	_, body := mustDo(t, http.MethodGet, base+"?EIO=4&transport=polling", "")
	sid := sidOf(mustOpen(t, base))
	if len(sid) != 20 {
		t.Errorf("sid %q: want 20 characters as Node's base64id", sid)
	}
	want := `","upgrades":["websocket"],"pingInterval":300,"pingTimeout":200,"maxPayload":1000}`
	if !strings.HasPrefix(body, `0{"sid":"`) || !strings.HasSuffix(body, want) {
		t.Fatalf("polling handshake %q, want keys in Node's order ending %s", body, want)
	}
	ws, err := wstest.Dial(base+"?EIO=4&transport=websocket", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	open, err := ws.ReadText(time.Second)
	if err != nil || !strings.HasSuffix(open, `","upgrades":[],"pingInterval":300,"pingTimeout":200,"maxPayload":1000}`) {
		t.Fatalf("websocket handshake %q (%v): want no upgrades", open, err)
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
		{"text and base64 binary", "4hello\x1ebAQIDBA==", 200, 200, "4hello\x1ebAQIDBA=="},
		{"unknown packet type closes", "abc", 400, 400, ""},
		{"bad base64 closes", "b!!!", 400, 400, ""},
		{"empty payload closes", "", 400, 400, ""},
		{"trailing separator closes", "4a\x1e", 400, 400, ""},
		{"too large is refused, the session stays", "4" + strings.Repeat("x", 1000), 413, 200, "2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			base, _, _ := startEcho(t, testConfig())
			session := mustOpen(t, base)
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

func TestSecondConcurrentPollClosesTheSession(t *testing.T) {
	base, h, _ := startEcho(t, testConfig())
	session := mustOpen(t, base)
	first := make(chan string, 1)
	go func() { _, b := mustDo(t, http.MethodGet, session, ""); first <- b }()
	time.Sleep(30 * time.Millisecond)
	if status, _ := mustDo(t, http.MethodGet, session, ""); status != 400 {
		t.Fatalf("second poll: %d, want 400", status)
	}
	if got := <-first; got != "1" {
		t.Fatalf("first poll got %q, want the close packet", got)
	}
	if got := h.closedReasons(); len(got) != 1 || got[0] != "transport error" {
		t.Fatalf("closed with %v", got)
	}
}

func TestCloseWaitsForTheConcurrentPoll(t *testing.T) {
	base, h, _ := startEcho(t, testConfig())
	session := mustOpen(t, base)
	poll := make(chan string, 1)
	closed := make(chan int, 1)
	// The close is sent first on purpose: it must wait until the poll is
	// registered so the poll ends with a noop.
	go func() { s, _ := mustDo(t, http.MethodPost, session, "1"); closed <- s }()
	time.Sleep(20 * time.Millisecond)
	go func() { _, b := mustDo(t, http.MethodGet, session, ""); poll <- b }()
	if got := <-poll; got != "6" {
		t.Fatalf("poll: %q, want the noop", got)
	}
	if s := <-closed; s != 200 {
		t.Fatalf("close: %d", s)
	}
	if s, _ := mustDo(t, http.MethodGet, session, ""); s != 400 {
		t.Fatalf("session still open: %d", s)
	}
	if got := h.closedReasons(); len(got) != 1 || got[0] != "transport close" {
		t.Fatalf("closed with %v", got)
	}
}

func TestPingDeadlineAtRequestTime(t *testing.T) {
	s := &Session{srv: &Server{cfg: testConfig().withDefaults()}}
	base := time.Unix(1000, 0)
	s.heard = base.UnixNano()
	tests := []struct {
		after time.Duration
		want  bool
	}{
		{449 * time.Millisecond, false},
		{450 * time.Millisecond, true}, // interval + timeout - slack
		{time.Second, true},
	}
	for _, tc := range tests {
		if got := s.expired(base.Add(tc.after)); got != tc.want {
			t.Errorf("after %v: expired=%v, want %v", tc.after, got, tc.want)
		}
	}
}

func TestPingTimeoutOverPolling(t *testing.T) {
	base, h, _ := startEcho(t, testConfig())
	session := mustOpen(t, base)
	if status, body := mustDo(t, http.MethodGet, session, ""); status != 200 || body != "2" {
		t.Fatalf("poll: %d %q, want the ping", status, body)
	}
	// An unsolicited pong before the ping does not count; this one answers.
	mustDo(t, http.MethodPost, session, "3")
	if status, body := mustDo(t, http.MethodGet, session, ""); status != 200 || body != "2" {
		t.Fatalf("poll after pong: %d %q, want the next ping", status, body)
	}
	time.Sleep(250 * time.Millisecond)
	if status, _ := mustDo(t, http.MethodGet, session, ""); status != 400 {
		t.Fatalf("poll after the timeout: %d, want 400", status)
	}
	if got := h.closedReasons(); len(got) != 1 || got[0] != "ping timeout" {
		t.Fatalf("closed with %v", got)
	}
}

func TestUnsolicitedPongsKeepNothingAlive(t *testing.T) {
	base, h, _ := startEcho(t, testConfig())
	ws, err := wstest.Dial(base+"?EIO=4&transport=websocket", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	if _, err := ws.ReadText(time.Second); err != nil {
		t.Fatal(err)
	}
	// Pongs before any ping, then silence: the ping goes unanswered.
	for range 3 {
		_ = ws.Send("3")
	}
	deadline := time.Now().Add(2 * time.Second)
	for len(h.closedReasons()) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := h.closedReasons(); len(got) != 1 || got[0] != "ping timeout" {
		t.Fatalf("closed with %v, want ping timeout", got)
	}
}

// TestCloseLeavesNoGoroutines opens sessions on both transports, closes the
// server and checks that nothing it started is left.
func TestCloseLeavesNoGoroutines(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	h := &echoHandler{}
	srv := NewServer(testConfig(), h)
	hs := httptest.NewServer(srv)
	base := hs.URL + "/engine.io/"
	for range 3 {
		session := mustOpen(t, base)
		mustDo(t, http.MethodPost, session, "4x")
		ws, err := wstest.Dial(base+"?EIO=4&transport=websocket", nil)
		if err != nil {
			t.Fatal(err)
		}
		_ = ws.Send("4y")
		_, _ = ws.ReadText(time.Second)
		defer ws.Close()
	}
	srv.Close()
	hs.Close()
	http.DefaultClient.CloseIdleConnections()
}
