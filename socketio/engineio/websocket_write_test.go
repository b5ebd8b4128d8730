package engineio

import (
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// TestWebsocketWritesWhatTheSocketDidNotTake: frames queued faster than a
// client reads fill the socket; what a non-blocking write leaves is
// written by the connection's own writer, in order and whole, once the
// client reads again.
func TestWebsocketWritesWhatTheSocketDidNotTake(t *testing.T) {
	cfg := testConfig()
	cfg.PingInterval, cfg.PingTimeout = time.Minute, time.Minute
	h := &echoHandler{opened: make(chan *Session, 1)}
	base := serve(t, NewServer(cfg, h))
	conn, br := rawUpgrade(t, base, "/engine.io/?EIO=4&transport=websocket", "dGhlIHNhbXBsZSBub25jZQ==")
	_ = conn.(*net.TCPConn).SetReadBuffer(64 << 10)
	if _, err := http.ReadResponse(br, nil); err != nil {
		t.Fatal(err)
	}
	s := <-h.opened
	readFrame := func() []byte {
		t.Helper()
		var hdr [2]byte
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			t.Fatal(err)
		}
		n := int(hdr[1] & 0x7f)
		switch n {
		case 126:
			var ext [2]byte
			if _, err := io.ReadFull(br, ext[:]); err != nil {
				t.Fatal(err)
			}
			n = int(binary.BigEndian.Uint16(ext[:]))
		case 127:
			var ext [8]byte
			if _, err := io.ReadFull(br, ext[:]); err != nil {
				t.Fatal(err)
			}
			n = int(binary.BigEndian.Uint64(ext[:]))
		}
		p := make([]byte, n)
		if _, err := io.ReadFull(br, p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	readFrame() // the open packet

	// 6 MB while the client reads nothing, each message flushed at once so
	// the queue stays under the slow-consumer bound: more than the socket
	// buffers take (the server's grows to 4 MB), so a write leaves a rest.
	const count, size = 60, 100_000
	for i := range count {
		if !s.Send(TextMessage(bytes.Repeat([]byte{byte(i)}, size))) {
			t.Fatalf("message %d refused", i)
		}
		s.Flush()
	}
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	for i := range count {
		p := readFrame()
		if want := append([]byte{'4'}, bytes.Repeat([]byte{byte(i)}, size)...); !bytes.Equal(p, want) {
			t.Fatalf("message %d: %d bytes starting %q, want %d starting %q", i, len(p), p[:min(len(p), 8)], len(want), want[:8])
		}
	}
}
