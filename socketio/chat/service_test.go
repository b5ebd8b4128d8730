package chat

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"

	"chatd"
	"chatd/store"
)

func TestCloseLeavesNoGoroutines(t *testing.T) {
	e := newEnvWith(t, Config{PresenceWindow: time.Hour, HeartbeatInterval: time.Millisecond}, nil)
	e.svc.Close()
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	svc := NewService(Config{PresenceWindow: time.Hour, HeartbeatInterval: time.Millisecond},
		Deps{Store: e.db, Hub: e.hub})
	svc.schedule.joined(tenantID, "", "s1") // a timer that would fire in an hour…
	time.Sleep(5 * time.Millisecond)
	svc.Close() // …is stopped (its update sent now); the heartbeat goroutine ends
	svc.Close() // and a second Close is harmless
	if n := len(e.hub.broadcasts("tenant:demo|presenceUpdate")); n != 1 {
		t.Fatalf("%d updates on Close, want 1", n)
	}
}

func TestWithoutResolverTokensAreInvalid(t *testing.T) {
	t.Parallel()
	svc := NewService(Config{}, Deps{})
	defer svc.Close()
	_, err := svc.Authenticate(context.Background(), Handshake{Token: "x"}, "sid")
	if chatd.ErrorMessage(err) != "invalid session" {
		t.Fatalf("err = %v", err)
	}
}

func TestUnknownEventsAndSocketsAreIgnored(t *testing.T) {
	t.Parallel()
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

// TestConcurrentSockets drives many sockets at once (run with -race): joins,
// messages and disconnects interleave; at the end the tenant is empty.
func TestConcurrentSockets(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	watcher, _ := e.joined(aliceTok, "", "Alice")
	const n = 12
	before := e.messages()
	done := make(chan struct{})
	for i := range n {
		go func() {
			defer func() { done <- struct{}{} }()
			c, id := e.connect(Handshake{UserAlias: "Guest", TenantSlug: "demo"})
			for j := range 3 {
				e.emit(c, "join", joinPayload(id.UserID, "Guest", map[string]any{"status": string(rune('a' + j))}))
				e.emit(c, "sendMessage", msg(store.NewUUID(), id.UserID, "hi", map[string]any{"roomId": roomGen}))
				e.clock.Advance(time.Second)
			}
			if i%2 == 0 {
				e.emit(c, "blockUser", map[string]any{"blockedId": aliceID})
			}
			e.disconnect(c)
		}()
	}
	for range n {
		<-done
	}
	e.settle()
	updates := e.hub.broadcasts("tenant:demo|presenceUpdate")
	last := updates[len(updates)-1].Payload.(map[string]any)
	if ids := last["onlineIds"].([]any); len(ids) != 1 || ids[0] != aliceID {
		t.Fatalf("final presence %v", ids)
	}
	if got := e.count(`SELECT count(*) FROM "BlockedUser" WHERE "blockedId" = $1`, aliceID); got != n/2 {
		t.Fatalf("%d blocks, want %d", got, n/2)
	}
	if got := e.messages() - before; got != 3*n {
		t.Fatalf("%d messages stored, want %d", got, 3*n)
	}
	watcher.take()
}

func TestEventBudget(t *testing.T) {
	t.Parallel()
	var b eventBudget
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range eventBurst {
		if !b.take(now) {
			t.Fatalf("event %d of the burst refused", i)
		}
	}
	if b.take(now) {
		t.Fatal("an event past the burst was taken")
	}
	now = now.Add(time.Second / eventRate)
	if !b.take(now) || b.take(now) {
		t.Fatal("refill is not eventRate per second")
	}
}

func TestFloodIsDropped(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	alice, _ := e.joined(aliceTok, "", "Alice")
	alice.take()
	for range 2 * eventBurst {
		e.emit(alice, "blockUser", map[string]any{"blockedId": modID})
	}
	if got := len(alice.take()); got >= 2*eventBurst || got < eventBurst-5 {
		t.Fatalf("%d of %d flood events answered", got, 2*eventBurst)
	}
	e.clock.Advance(time.Minute)
	e.emit(alice, "unblockUser", map[string]any{"blockedId": modID})
	if got := alice.take(); len(got) != 1 {
		t.Fatalf("after a minute: %v", got)
	}
}
