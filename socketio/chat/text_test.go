package chat

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"chatd"
	"chatd/auth"
	"chatd/store/storetest"
)

// newLoggedEnv is newEnv whose rules fail the test when they log an error.
func newLoggedEnv(t *testing.T) *env {
	t.Helper()
	return newEnvDeps(t, func(_ *env, _ *Config, d *Deps) { d.Logger = errorLogger(t) })
}

// newEnvDeps is newEnv with the rules' Config and Deps edited first.
func newEnvDeps(t *testing.T, edit func(*env, *Config, *Deps)) *env {
	t.Helper()
	start, _ := time.Parse(time.RFC3339, testStart)
	clock := newManualClock(start)
	db, dbURL := storetest.OpenSeeded(t, clock.Now)
	e := &env{t: t, db: db, dbURL: dbURL, hub: newRecHub(), clock: clock}
	e.hub.clock = clock
	deps := Deps{Store: db, Hub: e.hub, Clock: clock, Sessions: auth.NewResolver(auth.NewSigner("test-secret"), db, clock.Now)}
	cfg := Config{PresenceWindow: testWindow}
	edit(e, &cfg, &deps)
	e.svc = NewService(cfg, deps)
	t.Cleanup(e.svc.Close)
	return e
}

// TestInvalidTextInEvents: a NUL anywhere in an event's payload (a
// message's text or alias, a join's alias or status, any other field) is
// refused with an error event before any rule runs: nothing is written,
// broadcast or logged as an error (issue #10 item 6).
func TestInvalidTextInEvents(t *testing.T) {
	t.Parallel()
	e := newLoggedEnv(t)
	alice, _ := e.joined(aliceTok, "", "Alice")
	e.settle()
	alice.take()
	const id2 = "c1e00000-0000-4000-8000-0000000000a2"
	events := []struct {
		name    string
		payload map[string]any
	}{
		{"sendMessage", msg(msgID, aliceID, "ciao\x00", map[string]any{"roomId": roomGen})},
		{"sendMessage", msg(id2, aliceID, "ciao", map[string]any{"senderAlias": "Al\x00ice"})},
		{"sendMessage", msg(id2, aliceID, "ciao", map[string]any{"extra": []any{"\x00"}})},
		{"join", joinPayload(aliceID, "Alice\x00", nil)},
		{"join", joinPayload(aliceID, "Alice", map[string]any{"status": "in pausa\x00"})},
		{"join", joinPayload(aliceID, "Alice", map[string]any{"x\x00": 1.0})},
		{"blockUser", map[string]any{"blockerId": aliceID, "blockedId": bobID + "\x00"}},
		{"reportUser", map[string]any{"reporterId": aliceID, "reportedId": bobID, "reason": "\x00", "tenantId": tenantID}},
	}
	before := e.messages()
	for i, ev := range events {
		e.clock.Advance(time.Second)
		e.emit(alice, ev.name, ev.payload)
		got := alice.take()
		if len(got) != 1 || got[0].Name != "error" || mustJSON(t, got[0].Payload) != `{"message":"`+chatd.ErrInvalidText.Message+`"}` {
			t.Fatalf("event %d (%s): got %v, want one error event", i, ev.name, got)
		}
	}
	e.settle()
	if got := alice.take(); len(got) != 0 {
		t.Fatalf("refused events had effects: %v", got)
	}
	if n := e.messages(); n != before {
		t.Fatalf("%d messages stored", n-before)
	}
	if n := e.count(`SELECT count(*) FROM "user" WHERE "id" = $1 AND "name" = 'Alice' AND "status" IS NULL`, aliceID); n != 1 {
		t.Fatal("the profile changed")
	}
	// The socket goes on working.
	e.emit(alice, "sendMessage", msg(id2, aliceID, "ciao àè 😀", map[string]any{"roomId": roomGen}))
	alice.waitFor(t, "newMessage")
}

// TestInvalidTextInHandshake: a handshake field with a NUL or invalid UTF-8
// refuses the socket with the text rule's message, without touching the
// database; a session cookie with one is no session (the socket is a
// guest).
func TestInvalidTextInHandshake(t *testing.T) {
	t.Parallel()
	e := newLoggedEnv(t)
	users := e.count(`SELECT count(*) FROM "user"`)
	for _, h := range []Handshake{
		{Token: "alice\x00", TenantSlug: "demo"},
		{UserID: bobID + "\x00", UserAlias: "Bob", TenantSlug: "demo"},
		{UserID: "\xff", TenantSlug: "demo"},
		{UserAlias: "Bob\x00", TenantSlug: "demo"},
		{TenantSlug: "de\x00mo"},
		{TenantSlug: "de\xffmo"},
	} {
		_, err := e.svc.Authenticate(context.Background(), h, "socket-1")
		if !errors.Is(err, chatd.ErrInvalidText) {
			t.Errorf("%+q: err = %v, want ErrInvalidText", h, err)
		}
	}
	if n := e.count(`SELECT count(*) FROM "user"`); n != users {
		t.Fatalf("%d users created by refused handshakes", n-users)
	}
	id, err := e.svc.Authenticate(context.Background(), Handshake{CookieToken: "alice\x00", UserAlias: "Ospite", TenantSlug: "demo"}, "socket-2")
	if err != nil || !id.Anonymous {
		t.Fatalf("a cookie with a NUL: %+v, %v; want a guest", id, err)
	}
}

// errorLogFails is a log sink that fails t on every record it gets: with
// Level error, on every error logged.
type errorLogFails struct{ t *testing.T }

func (f errorLogFails) Write(p []byte) (int, error) {
	f.t.Errorf("logged an error: %s", p)
	return len(p), nil
}

func errorLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewJSONHandler(errorLogFails{t}, &slog.HandlerOptions{Level: slog.LevelError}))
}
