package engineio

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"chatd/socketio/internal/wstest"
)

// TestUpgradeLosesNothing sends numbered messages without pause while the
// client upgrades from polling to websocket the way engine.io-client does
// (probe, wait for the pending poll to end, upgrade): every message must
// arrive once, in order, across the two transports.
func TestUpgradeLosesNothing(t *testing.T) {
	h := &echoHandler{opened: make(chan *Session, 1)}
	srv := NewServer(testConfig(), h)
	base := serve(t, srv)
	session := mustOpen(t, base)
	s := <-h.opened
	const total = 2000
	go func() {
		for i := range total {
			s.Send(TextMessageString(strconv.Itoa(i)))
			if i%10 == 0 {
				time.Sleep(time.Millisecond)
			}
		}
	}()
	var got []int
	collect := func(payload string) {
		for _, p := range strings.Split(payload, "\x1e") {
			if strings.HasPrefix(p, "4") {
				n, err := strconv.Atoi(p[1:])
				if err != nil {
					t.Fatalf("packet %q", p)
				}
				got = append(got, n)
			}
		}
	}
	_, body := mustDo(t, http.MethodGet, session, "")
	collect(body)
	ws, err := wstest.Dial(base+"?EIO=4&transport=websocket&sid="+sidOf(session), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	poll := make(chan string, 1)
	go func() { _, b := mustDo(t, http.MethodGet, session, ""); poll <- b }()
	_ = ws.Send("2probe")
	if p, err := ws.ReadText(time.Second); p != "3probe" {
		t.Fatalf("probe answer %q (%v)", p, err)
	}
	collect(<-poll) // the poll in flight ends (messages, or a noop)
	_ = ws.Send("5")
	for len(got) < total {
		p, err := ws.ReadText(2 * time.Second)
		if err != nil {
			t.Fatalf("after %d messages: %v", len(got), err)
		}
		collect(p)
	}
	for i, n := range got {
		if n != i {
			t.Fatalf("message %d is %d: lost or reordered", i, n)
		}
	}
	deadline := time.Now().Add(time.Second)
	for s.Transport() != "websocket" && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if s.Transport() != "websocket" {
		t.Fatalf("session on %s after the upgrade", s.Transport())
	}
}
