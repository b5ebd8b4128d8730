package engineio

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/url"
	"testing"
	"time"
)

// rawUpgrade sends a websocket handshake for path with the given
// Sec-WebSocket-Key on a plain TCP connection and returns the connection
// with a reader over it.
func rawUpgrade(t *testing.T, base, path, key string) (net.Conn, *bufio.Reader) {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	req := "GET " + path + " HTTP/1.1\r\nHost: " + u.Host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := conn.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(3 * time.Second))
	return conn, bufio.NewReader(conn)
}

// TestRefusedWebsocketHandshakeIsClosed: a websocket handshake the upgrader
// refuses (here a Sec-WebSocket-Key of the wrong size) gets its error
// response and then the end of the connection, new session or upgrade
// alike: the hijacked connection is not left open for the client to hold.
func TestRefusedWebsocketHandshakeIsClosed(t *testing.T) {
	cfg := testConfig()
	cfg.PingInterval = time.Minute // the polling session must outlive the test
	h := &echoHandler{opened: make(chan *Session, 1)}
	srv := NewServer(cfg, h)
	base := serve(t, srv)
	sid := sidOf(mustOpen(t, base))
	<-h.opened
	for name, path := range map[string]string{
		"new session": "/engine.io/?EIO=4&transport=websocket",
		"upgrade":     "/engine.io/?EIO=4&transport=websocket&sid=" + sid,
	} {
		t.Run(name, func(t *testing.T) {
			_, br := rawUpgrade(t, base, path, "short")
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("response: %v", err)
			}
			if resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("status %d, want 400", resp.StatusCode)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			if _, err := br.ReadByte(); err != io.EOF {
				t.Fatalf("after the refusal: %v, want the server to close (EOF)", err)
			}
		})
	}
}
