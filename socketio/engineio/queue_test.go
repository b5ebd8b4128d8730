package engineio

import (
	"net/http"
	"testing"
	"time"
)

func TestQueueStateFramesReplaceUnsentOnes(t *testing.T) {
	var q outQueue
	now := time.Now()
	a1, msg, a2, b1 := TextMessageString("a1"), TextMessageString("msg"), TextMessageString("a2"), TextMessageString("b1")
	q.push(a1, "a", now)
	q.push(msg, "", now)
	q.push(b1, "b", now)
	q.push(a2, "a", now)
	if want := a2.Len() + msg.Len() + b1.Len(); q.bytes != want {
		t.Fatalf("queue counts %d bytes, want %d", q.bytes, want)
	}
	got := q.take(nil)
	want := []*Frame{msg, b1, a2}
	if len(got) != len(want) {
		t.Fatalf("took %d frames, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("frame %d: %q, want %q", i, got[i].Payload(), want[i].Payload())
		}
	}
	if !q.empty() || q.bytes != 0 || !q.since.IsZero() {
		t.Fatal("take left the queue non-empty")
	}
}

func TestQueueOverdue(t *testing.T) {
	var q outQueue
	now := time.Now()
	if q.overdue(now.Add(time.Hour), 10, time.Second) {
		t.Fatal("an empty queue is never overdue")
	}
	q.push(TextMessageString("12345"), "", now)
	if q.overdue(now, 10, time.Second) {
		t.Fatal("7 bytes under a 10-byte bound, just queued: overdue")
	}
	if !q.overdue(now.Add(2*time.Second), 10, time.Second) {
		t.Fatal("a frame waiting 2 s past a 1 s bound: not overdue")
	}
	q.push(TextMessageString("12345"), "", now)
	if !q.overdue(now, 10, time.Second) {
		t.Fatal("14 bytes over a 10-byte bound: not overdue")
	}
}

// TestStateFramesOverPolling queues frames while no poll is pending: the
// poll gets the newest state frame only, after the ordinary one.
func TestStateFramesOverPolling(t *testing.T) {
	h := &echoHandler{opened: make(chan *Session, 1)}
	srv := NewServer(testConfig(), h)
	base := serve(t, srv)
	session := mustOpen(t, base)
	s := <-h.opened
	s.SendState("presence", TextMessageString("old"))
	s.Send(TextMessageString("event"))
	s.SendState("presence", TextMessageString("new"))
	if status, body := mustDo(t, http.MethodGet, session, ""); body != "4event\x1e4new" {
		t.Fatalf("poll: %d %q", status, body)
	}
}
