package chat

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"

	"chatd/store/storetest"
)

func (c *recConn) isDisconnected() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.disconnected
}

// sessionOf is the id of the session with this token.
func (e *env) sessionOf(token string) string {
	e.t.Helper()
	var id string
	if err := storetest.MustOpenSQL(e.t, e.dbURL).QueryRow(`SELECT "id" FROM "session" WHERE "token" = $1`, token).Scan(&id); err != nil {
		e.t.Fatal(err)
	}
	return id
}

// TestEndSessionEndsItsSockets: ending a session disconnects the sockets
// that authenticated with it, and only those (issue #10 item 4).
func TestEndSessionEndsItsSockets(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	alice1, id := e.joined(aliceTok, "", "Alice")
	alice2, _ := e.connect(Handshake{Token: aliceTok, TenantSlug: "demo"})
	mod, _ := e.connect(Handshake{Token: modTok, TenantSlug: "demo"})
	guest, _ := e.connect(Handshake{UserID: bobID, UserAlias: "Bob", TenantSlug: "demo"})
	if id.Session.ID != e.sessionOf(aliceTok) {
		t.Fatalf("socket bound to session %q", id.Session.ID)
	}
	if n := e.svc.EndSession(t.Context(), id.Session.ID); n != 2 {
		t.Fatalf("EndSession ended %d sockets, want 2", n)
	}
	if !alice1.isDisconnected() || !alice2.isDisconnected() || mod.isDisconnected() || guest.isDisconnected() {
		t.Fatalf("disconnected: alice %v %v, mod %v, guest %v", alice1.isDisconnected(), alice2.isDisconnected(),
			mod.isDisconnected(), guest.isDisconnected())
	}
	e.disconnect(alice1)
	e.disconnect(alice2)
	if n := e.svc.EndSession(t.Context(), id.Session.ID); n != 0 {
		t.Fatalf("%d sockets still bound after their disconnect", n)
	}
}

// TestSessionExpiryEndsSockets: a socket ends when its session expires,
// unless the session was refreshed meanwhile; a session deleted elsewhere
// ends it at the expiry it had. No sleeps: the timers run on the fake
// clock.
func TestSessionExpiryEndsSockets(t *testing.T) {
	t.Parallel()
	e, timers := newTimedEnv(t, 0)
	db := storetest.MustOpenSQL(t, e.dbURL)
	start := e.clock.Now()
	expireIn := func(token string, d time.Duration) {
		t.Helper()
		if _, err := db.Exec(`UPDATE "session" SET "expiresAt" = $2 WHERE "token" = $1`, token, start.Add(d)); err != nil {
			t.Fatal(err)
		}
	}
	expireIn(aliceTok, time.Hour)
	expireIn(modTok, time.Hour)
	expireIn(adminTok, time.Hour)
	alice, _ := e.joined(aliceTok, "", "Alice")
	mod, _ := e.connect(Handshake{Token: modTok})
	admin, _ := e.connect(Handshake{Token: adminTok})
	expireIn(modTok, 3*time.Hour) // refreshed, as get-session does
	if _, err := db.Exec(`DELETE FROM "session" WHERE "token" = $1`, adminTok); err != nil {
		t.Fatal(err)
	}

	timers.Advance(start.Add(time.Hour - time.Millisecond).Sub(e.clock.Now())) // the join moved the clock by a window
	if alice.isDisconnected() || mod.isDisconnected() || admin.isDisconnected() {
		t.Fatal("a socket ended before its session's expiry")
	}
	timers.Advance(time.Millisecond)
	if !alice.isDisconnected() || !admin.isDisconnected() {
		t.Fatalf("at expiry: alice %v, admin (deleted) %v; want both ended", alice.isDisconnected(), admin.isDisconnected())
	}
	if mod.isDisconnected() {
		t.Fatal("a refreshed session's socket ended at the old expiry")
	}
	timers.Advance(2 * time.Hour)
	if !mod.isDisconnected() {
		t.Fatal("the refreshed session's socket outlived its new expiry")
	}
}

// TestSessionDeletedElsewhereEndsSockets: a session deleted outside chatd's
// routes (a BetterAuth server's revoke-sessions on the shared database)
// ends its sockets at the next recheck, long before its expiry.
func TestSessionDeletedElsewhereEndsSockets(t *testing.T) {
	t.Parallel()
	e, timers := newTimedEnv(t, 5*time.Minute)
	alice, _ := e.connect(Handshake{Token: aliceTok})
	mod, _ := e.connect(Handshake{Token: modTok})
	timers.Advance(5 * time.Minute) // a recheck that finds both alive
	if alice.isDisconnected() || mod.isDisconnected() {
		t.Fatal("a live session's socket ended at a recheck")
	}
	if _, err := storetest.MustOpenSQL(t, e.dbURL).Exec(`DELETE FROM "session" WHERE "token" = $1`, aliceTok); err != nil {
		t.Fatal(err)
	}
	timers.Advance(5*time.Minute - time.Millisecond)
	if alice.isDisconnected() {
		t.Fatal("ended before the recheck")
	}
	timers.Advance(time.Millisecond)
	if !alice.isDisconnected() || mod.isDisconnected() {
		t.Fatalf("after the recheck: alice %v (deleted), mod %v", alice.isDisconnected(), mod.isDisconnected())
	}
}

// newTimedEnv is an env with session rechecks
// every recheck (0: off).
func newTimedEnv(t *testing.T, recheck time.Duration) (*env, *manualClock) {
	t.Helper()
	e := newEnvDeps(t, func(_ *env, cfg *Config, _ *Deps) { cfg.SessionRecheck = recheck })
	return e, e.clock
}

// TestSessionEndReachesOtherProcesses: a session ended on one process ends
// its sockets on another sharing Redis.
func TestSessionEndReachesOtherProcesses(t *testing.T) {
	before := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, before) }) // runs last: the services are closed by then
	rdb, prefix := testRedis(t)
	a := newEnvDeps(t, func(_ *env, _ *Config, d *Deps) { d.SessionBus = NewRedisSessionBus(rdb, prefix) })
	b := newEnvDeps(t, func(_ *env, _ *Config, d *Deps) { d.SessionBus = NewRedisSessionBus(rdb, prefix) })
	alice, id := b.connect(Handshake{Token: aliceTok})
	mod, _ := b.connect(Handshake{Token: modTok})
	if n := a.svc.EndSession(context.Background(), id.Session.ID); n != 0 {
		t.Fatalf("process A ended %d sockets of its own", n)
	}
	for deadline := time.Now().Add(5 * time.Second); !alice.isDisconnected(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the socket on process B outlived its session")
		}
	}
	if mod.isDisconnected() {
		t.Fatal("another session's socket ended")
	}
}
