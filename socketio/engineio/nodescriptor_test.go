package engineio

import (
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"chatd/socketio/internal/wstest"
)

// plainConn hides the descriptor of a connection (as a TLS connection
// would): the engine can neither poll it nor write it without blocking.
type plainConn struct{ net.Conn }

type plainListener struct{ net.Listener }

func (l plainListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return plainConn{c}, nil
}

// TestWebsocketWithoutDescriptor: a websocket whose connection has no
// descriptor gets its open packet and its answers from a writer of its own.
func TestWebsocketWithoutDescriptor(t *testing.T) {
	cfg := testConfig()
	cfg.PingInterval = time.Minute // no ping may carry the open packet out
	srv := NewServer(cfg, &echoHandler{})
	hs := httptest.NewUnstartedServer(srv)
	hs.Listener = plainListener{hs.Listener}
	hs.Start()
	t.Cleanup(func() { srv.Close(); hs.Close() })
	ws, err := wstest.Dial("ws"+strings.TrimPrefix(hs.URL, "http")+"/engine.io/?EIO=4&transport=websocket", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	if open, err := ws.ReadText(2 * time.Second); err != nil || !strings.HasPrefix(open, "0{") {
		t.Fatalf("open packet: %q, %v", open, err)
	}
	if err := ws.Send("4hello"); err != nil {
		t.Fatal(err)
	}
	if got, err := ws.ReadText(2 * time.Second); err != nil || got != "4hello" {
		t.Fatalf("echo: %q, %v", got, err)
	}
}
