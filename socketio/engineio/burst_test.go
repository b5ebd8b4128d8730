package engineio

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"

	"chatd/socketio/internal/wstest"
)

// TestWebsocketBurstsLoseNoInput: however a client's frames reach the
// socket, a watched connection reads every message, in order. A burst ends
// without asking the kernel when its last read was short (burstInput), and
// asks it when a read filled the buffer; input that comes after a burst
// ended is reported when the connection is re-armed.
func TestWebsocketBurstsLoseNoInput(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.PingInterval = 5 * time.Second
	base, _, _ := startEcho(t, cfg)
	conn, err := wstest.Dial(base+"?EIO=4&transport=websocket", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ReadText(time.Second); err != nil {
		t.Fatal(err)
	}
	frame := func(i int) []byte {
		var b bytes.Buffer
		// ~100 bytes a frame: 60 of them fill more than a read buffer.
		if err := wsutil.WriteClientMessage(&b, ws.OpText, fmt.Appendf(nil, "4m%03d-%090d", i, i)); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	next := 0
	var pending []byte
	queue := func(n int) {
		for range n {
			pending = append(pending, frame(next)...)
			next++
		}
	}
	send := func(b []byte) {
		if _, err := conn.Raw().Write(b); err != nil {
			t.Fatal(err)
		}
	}
	queue(60) // one write larger than the server's read buffer
	send(pending)
	pending = nil
	for range 5 { // frames in two parts, the second after a pause
		queue(1)
		send(pending[:7])
		time.Sleep(10 * time.Millisecond)
		send(pending[7:])
		pending = nil
	}
	for range 20 { // one frame a write, some after the burst ended
		queue(1)
		send(pending)
		pending = nil
		time.Sleep(time.Millisecond)
	}
	for i := range next {
		want := fmt.Sprintf("m%03d-%090d", i, i)
		got, err := conn.ReadText(2 * time.Second)
		if err != nil {
			t.Fatalf("echo %d of %d: %v", i, next, err)
		}
		if got != "4"+want {
			t.Fatalf("echo %d: %.20q, want %.20q", i, got, "4"+want)
		}
	}
}
