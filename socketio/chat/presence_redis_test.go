package chat

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"chatd/auth"
	"chatd/store"
	"chatd/store/storetest"
)

// testRedis connects to the test Redis (TEST_REDIS_URL, default the local
// one) and returns a key prefix of this test's own, deleted at the end.
// Without Redis the test skips, or fails when CI requires services.
func testRedis(t *testing.T) (*goredis.Client, string) {
	t.Helper()
	rdb := goredis.NewClient(storetest.RedisOptions(t))
	prefix := "chatd-test-" + store.RandomString(12)
	t.Cleanup(func() {
		defer rdb.Close()
		ctx := context.Background()
		keys, _ := rdb.Keys(ctx, prefix+"*").Result()
		if len(keys) > 0 {
			rdb.Del(ctx, keys...)
		}
	})
	return rdb, prefix
}

func TestRedisPresenceStore(t *testing.T) {
	rdb, prefix := testRedis(t)
	ctx := t.Context()
	a := NewRedisPresence(rdb, prefix)
	b := NewRedisPresence(rdb, prefix)
	if a.Node() == b.Node() {
		t.Fatal("two processes share a node id")
	}
	a.nodeTTL = 300 * time.Millisecond
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(a.Put(ctx, "t1", entry("sa", "u1", 1, "r1")))
	must(b.Put(ctx, "t1", entry("sb", "u2", 2, "r1")))
	must(b.Put(ctx, "t2", entry("sc", "u3", 3)))
	got, err := b.Entries(ctx, "t1")
	if err != nil || len(got) != 2 {
		t.Fatalf("entries seen by b: %+v, %v", got, err)
	}
	must(b.Remove(ctx, "t2", "sc"))
	must(b.Remove(ctx, "t2", "missing"))
	if got, _ := a.Entries(ctx, "t2"); len(got) != 0 {
		t.Fatalf("t2 after remove: %+v", got)
	}
	// a stops beating: its entries disappear for readers, then b's sweep
	// deletes them once and reports the tenant.
	time.Sleep(400 * time.Millisecond)
	got, _ = b.Entries(ctx, "t1")
	if len(got) != 1 || got[0].SocketID != "sb" {
		t.Fatalf("entries after a died: %+v", got)
	}
	changed, err := b.Heartbeat(ctx)
	if err != nil || len(changed) != 1 || changed[0] != "t1" {
		t.Fatalf("sweep changed %v, %v", changed, err)
	}
	if changed, _ := b.Heartbeat(ctx); len(changed) != 0 {
		t.Fatalf("second sweep changed %v", changed)
	}
	if n, _ := rdb.HLen(ctx, prefix+":t:t1").Result(); n != 1 {
		t.Fatalf("hash holds %d entries, want 1", n)
	}
	if ok, _ := rdb.SIsMember(ctx, prefix+":tenants", "t2").Result(); ok {
		t.Fatal("an empty tenant stayed in the sweep set")
	}
	// Broadcast claims: one process per window.
	window := 200 * time.Millisecond
	if wait, err := a.ClaimBroadcast(ctx, "t1", window); err != nil || wait != 0 {
		t.Fatalf("first claim wait=%v err=%v", wait, err)
	}
	if wait, _ := b.ClaimBroadcast(ctx, "t1", window); wait <= 0 || wait > window {
		t.Fatalf("second claim wait=%v", wait)
	}
	time.Sleep(window + 50*time.Millisecond)
	if wait, _ := b.ClaimBroadcast(ctx, "t1", window); wait != 0 {
		t.Fatalf("claim after the window wait=%v", wait)
	}
}

// TestRedisPresenceAcrossProcesses runs two chat services (two chatd
// processes) on one Redis and one hub: presence lists both, and when one
// process dies without a goodbye the other publishes the tenant without
// its users.
func TestRedisPresenceAcrossProcesses(t *testing.T) {
	rdb, prefix := testRedis(t)
	pa := NewRedisPresence(rdb, prefix)
	pa.nodeTTL = 10 * time.Second // only Close can make it leave within the test
	cfg := Config{PresenceWindow: testWindow, HeartbeatInterval: 50 * time.Millisecond}
	e := newEnvWith(t, cfg, pa)
	pb := NewRedisPresence(rdb, prefix)
	svcB := NewService(cfg, Deps{Store: e.db, Sessions: auth.NewResolver(auth.NewSigner("x"), e.db, e.clock.Now),
		Hub: e.hub, Presence: pb, Now: e.clock.Now})
	t.Cleanup(svcB.Close)

	alice, _ := e.joined(aliceTok, "", "Alice") // on process A
	bobC := e.hub.newConn()                     // on process B
	id, err := svcB.Authenticate(t.Context(), Handshake{UserID: bobID, TenantSlug: "demo"}, bobC.ID())
	if err != nil {
		t.Fatal(err)
	}
	svcB.Connected(t.Context(), bobC, id)
	svcB.Handle(t.Context(), bobC, "join", []any{wire(joinPayload(bobID, "Bob", nil))})
	got := bobC.waitFor(t, "presenceUpdate")
	if ids := got[len(got)-1].Payload.(map[string]any)["onlineIds"].([]any); len(ids) != 2 {
		t.Fatalf("process B sees %v, want both users", ids)
	}
	got = alice.waitFor(t, "presenceUpdate")
	if counts := got[len(got)-1].Payload.(map[string]any)["roomCounts"].(map[string]any); counts[roomGen] != 2.0 {
		t.Fatalf("roomCounts %v", counts)
	}
	// A third process crashes: its entry (Admin) shows until its heartbeat
	// key expires, then B's sweep publishes the tenant without it.
	ghost := NewRedisPresence(rdb, prefix)
	ghost.nodeTTL = 200 * time.Millisecond
	raw, _ := json.Marshal(map[string]any{"id": adminID, "alias": "Admin"})
	if err := ghost.Put(t.Context(), tenantID, PresenceEntry{SocketID: "ghost", UserID: adminID, User: raw, JoinedAt: 1}); err != nil {
		t.Fatal(err)
	}
	e.svc.coalesce.changed(tenantID, "demo")
	waitOnline(t, bobC, 3)
	waitOnline(t, bobC, 2)
	// Process A shuts down: it leaves at once, not after its key expires.
	e.svc.Close()
	waitOnline(t, bobC, 1)
}

// waitOnline waits for a presenceUpdate listing n users.
func waitOnline(t *testing.T, c *recConn, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		for _, ev := range c.take() {
			if ev.Name == "presenceUpdate" && len(ev.Payload.(map[string]any)["onlineIds"].([]any)) == n {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no presenceUpdate with %d users", n)
}
