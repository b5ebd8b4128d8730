package engineio

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// testConfig has short timings so heartbeat tests stay fast.
func testConfig() Config {
	return Config{
		PingInterval: 300 * time.Millisecond,
		PingTimeout:  200 * time.Millisecond,
		MaxPayload:   1000,
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

// echoHandler sends every message back and records how sessions ended.
type echoHandler struct {
	mu      sync.Mutex
	reasons []string
	opened  chan *Session
}

func (h *echoHandler) Open(s *Session) Receiver {
	if h.opened != nil {
		h.opened <- s
	}
	return &echoReceiver{h: h, s: s}
}

func (h *echoHandler) closedReasons() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.reasons...)
}

type echoReceiver struct {
	h *echoHandler
	s *Session
}

func (e *echoReceiver) Message(data []byte, binary bool) {
	if binary {
		e.s.Send(BinaryMessage(data))
		return
	}
	e.s.Send(TextMessage(data))
}

func (e *echoReceiver) Closed(reason string) {
	e.h.mu.Lock()
	e.h.reasons = append(e.h.reasons, reason)
	e.h.mu.Unlock()
}

// startEcho serves an echo Engine.IO server; it returns its URL (with the
// path) and the handler.
func startEcho(t *testing.T, cfg Config) (string, *echoHandler, *Server) {
	t.Helper()
	h := &echoHandler{}
	srv := NewServer(cfg, h)
	return serve(t, srv), h, srv
}

// serve serves srv on httptest and returns its URL with the path.
func serve(t *testing.T, srv *Server) string {
	t.Helper()
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { srv.Close(); hs.Close() })
	return hs.URL + "/engine.io/"
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

// sidOf is the sid query parameter of a session URL.
func sidOf(session string) string {
	_, sid, _ := strings.Cut(session, "sid=")
	return sid
}
