package sio

import (
	"net/http/httptest"
	"testing"
	"time"

	"chatd/socketio/engineio"
)

// TestAnswersLeaveAtOnce: what a client's own packets make the server send
// (the open packet, the CONNECT ack, an event's reply) leaves as soon as
// the handlers are done, not at the flusher's next batch: with batches an
// hour apart every answer still arrives at once.
func TestAnswersLeaveAtOnce(t *testing.T) {
	io := NewServer(Config{Logger: quiet()})
	io.Of("/").OnConnection(func(s *Socket) {
		s.OnEvent(func(s *Socket, ev Event) { s.EmitRaw("back", ev.Args, nil) })
	})
	eng := engineio.NewServer(engineio.Config{PingInterval: time.Minute, PingTimeout: time.Minute,
		FlushInterval: time.Hour, Logger: quiet()}, io)
	hs := httptest.NewServer(eng)
	t.Cleanup(func() { eng.Close(); hs.Close() })
	url := hs.URL + "/socket.io/?EIO=4&transport=websocket"
	for n := range 3 { // the first batch of an idle flusher leaves at once anyway
		c := dial(t, url)
		c.send("40")
		if got := c.read(); len(got) < 2 || got[:2] != "40" {
			t.Fatalf("CONNECT answered %q", got)
		}
		for i := range 3 {
			c.send(`42["m",1]`)
			if got := c.read(); got != `42["back",1]` {
				t.Fatalf("socket %d reply %d: %q", n, i, got)
			}
		}
	}
}
