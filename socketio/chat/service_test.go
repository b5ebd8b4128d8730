package chat

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"

	"chatd"
)

func TestCloseLeavesNoGoroutines(t *testing.T) {
	e := newEnvWith(t, Config{PresenceWindow: time.Hour, HeartbeatInterval: time.Millisecond}, nil)
	e.svc.Close()
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	svc := NewService(Config{PresenceWindow: time.Hour, HeartbeatInterval: time.Millisecond},
		Deps{Store: e.db, Hub: e.hub})
	svc.coalesce.changed(tenantID, "") // a timer that would fire in an hour…
	time.Sleep(5 * time.Millisecond)
	svc.Close() // …is stopped (its update sent now); the heartbeat goroutine ends
	svc.Close() // and a second Close is harmless
	if n := len(e.hub.broadcasts("tenant:demo|presenceUpdate")); n != 1 {
		t.Fatalf("%d updates on Close, want 1", n)
	}
}

func TestWithoutResolverTokensAreInvalid(t *testing.T) {
	svc := NewService(Config{}, Deps{})
	defer svc.Close()
	_, err := svc.Authenticate(context.Background(), Handshake{Token: "x"}, "sid")
	if chatd.ErrorMessage(err) != "invalid session" {
		t.Fatalf("err = %v", err)
	}
}

func TestUnknownEventsAndSocketsAreIgnored(t *testing.T) {
	hub := newRecHub()
	svc := NewService(Config{}, Deps{Hub: hub})
	defer svc.Close()
	c := hub.newConn()
	svc.Handle(context.Background(), c, "join", []any{map[string]any{}}) // never Connected
	svc.Connected(context.Background(), c, Identity{UserID: "u", Anonymous: true})
	svc.Handle(context.Background(), c, "nope", nil)
	svc.Handle(context.Background(), c, "sendMessage", nil)
	svc.Disconnected(context.Background(), c)
	svc.Disconnected(context.Background(), c)
	if got := c.take(); len(got) != 0 {
		t.Fatalf("got %v", got)
	}
	if len(svc.Events()) != 7 {
		t.Fatalf("events %v", svc.Events())
	}
}
