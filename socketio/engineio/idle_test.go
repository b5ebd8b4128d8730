package engineio

import (
	"runtime"
	"testing"
	"time"

	"chatd/socketio/internal/wstest"
)

// An idle websocket session holds no goroutine (issue #14: at most one
// parked goroutine; the poller makes it none): opening many sessions and
// letting them go quiet must not leave a goroutine per session, and each
// one must still answer when spoken to.
func TestIdleWebsocketsHoldNoGoroutine(t *testing.T) {
	cfg := testConfig()
	cfg.PingInterval, cfg.PingTimeout = time.Minute, time.Minute // nobody answers pings here
	base, _, _ := startEcho(t, cfg)
	const n = 200
	before := runtime.NumGoroutine()
	conns := make([]*wstest.Conn, 0, n)
	for range n {
		ws, err := wstest.Dial(base+"?EIO=4&transport=websocket", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer ws.Close()
		if open, err := ws.ReadText(time.Second); err != nil || open[0] != '0' {
			t.Fatalf("open packet %q, %v", open, err)
		}
		conns = append(conns, ws)
	}
	var extra int
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if extra = runtime.NumGoroutine() - before; extra < n/10 {
			break
		}
	}
	if extra >= n/10 {
		t.Fatalf("%d idle websocket sessions hold %d goroutines", n, extra)
	}
	for i, ws := range conns {
		if err := ws.Send("4hello"); err != nil {
			t.Fatal(err)
		}
		if msg, err := ws.ReadText(time.Second); err != nil || msg != "4hello" {
			t.Fatalf("session %d echoed %q, %v", i, msg, err)
		}
	}
}
