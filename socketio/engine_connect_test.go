package socketio

import (
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/zishang520/socket.io/servers/socket/v3"
)

// TestEventRightAfterConnectAck answers every CONNECT ack at once, as
// socket.io-client does with its buffered emits, on many connections at a
// time: each event must be answered, never met with a closed connection.
func TestEventRightAfterConnectAck(t *testing.T) {
	tr := NewTransport(testOptions())
	tr.IO().Of("/custom", func(args ...any) {
		s := args[0].(*socket.Socket)
		_ = s.On("ping-me", func(...any) { _ = s.Emit("pong-you") })
	})
	srv := httptest.NewServer(tr.Handler())
	t.Cleanup(func() { tr.Close(); srv.Close() })
	url := "ws" + strings.TrimPrefix(srv.URL, "http") + DefaultPath + "?EIO=4&transport=websocket"

	var wg sync.WaitGroup
	errs := make(chan string, 40)
	for range 40 {
		wg.Go(func() {
			if msg := connectAndEmit(url); msg != "" {
				errs <- msg
			}
		})
	}
	wg.Wait()
	close(errs)
	for msg := range errs {
		t.Error(msg)
	}
}

func connectAndEmit(url string) string {
	ws, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		return "dial: " + err.Error()
	}
	defer ws.Close()
	_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	steps := []struct{ send, want string }{
		{"", "0{"},
		{"40/custom,", "40/custom,"},
		{`42/custom,["ping-me"]`, `42/custom,["pong-you"]`},
	}
	for _, st := range steps {
		if st.send != "" {
			if err := ws.WriteMessage(websocket.TextMessage, []byte(st.send)); err != nil {
				return "write: " + err.Error()
			}
		}
		got, err := readSkippingPings(ws)
		if err != nil {
			return "after " + st.send + ": " + err.Error()
		}
		if !strings.HasPrefix(got, st.want) {
			return "got " + got + ", want " + st.want
		}
	}
	return ""
}

// readSkippingPings answers Engine.IO pings and returns the next packet.
func readSkippingPings(ws *websocket.Conn) (string, error) {
	for {
		_, got, err := ws.ReadMessage()
		if err != nil {
			return "", err
		}
		if string(got) != "2" {
			return string(got), nil
		}
		if err := ws.WriteMessage(websocket.TextMessage, []byte("3")); err != nil {
			return "", err
		}
	}
}
