package server

import (
	"bytes"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// syncBuffer is a log sink the handlers may write from any goroutine.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestAccessLogLevels: every request gets its "http request" line at info,
// except Socket.IO's own successful requests, which log at debug.
func TestAccessLogLevels(t *testing.T) {
	var logs syncBuffer
	e := newAPIEnv(t, func(_ *Config, d *Deps) {
		d.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
		d.Sockets = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Query().Get("fail") != "" {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			w.WriteHeader(http.StatusOK)
		})
	})
	tests := []struct {
		target string
		logged bool
	}{
		{"/api/tenants", true},
		{"/socket.io/?EIO=4&transport=polling", false},
		{"/socket.io/?EIO=4&transport=polling&fail=1", true},
	}
	for _, tt := range tests {
		before := strings.Count(logs.String(), `msg="http request"`)
		e.do(apiReq{method: "GET", target: tt.target})
		after := strings.Count(logs.String(), `msg="http request"`)
		if got := after > before; got != tt.logged {
			t.Errorf("GET %s logged at info = %v, want %v", tt.target, got, tt.logged)
		}
	}
}
