package chat

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

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
	t.Parallel()
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
}

// TestRedisPresenceAcrossProcesses runs two chat services (two chatd
// processes) on one Redis, each sending presence to its own sockets only:
// presence lists both, and when one process dies without a goodbye the
// other publishes the tenant without its users.
func TestRedisPresenceAcrossProcesses(t *testing.T) {
	t.Parallel()
	rdb, prefix := testRedis(t)
	pa := NewRedisPresence(rdb, prefix)
	pa.nodeTTL = 10 * time.Second // only Close can make it leave within the test
	cfg := Config{PresenceWindow: testWindow, HeartbeatInterval: 50 * time.Millisecond, GuestIDKey: []byte("k")}
	withNotices := func(d *Deps) { d.Notices = NewRedisNotices(rdb, prefix, nil) }
	a := newEnvWith(t, cfg, pa, withNotices)
	b := a.peer(cfg, NewRedisPresence(rdb, prefix), withNotices)
	waitSubscribed(t, rdb, prefix, 2)

	alice, _ := a.joined(aliceTok, "", "Alice") // on process A
	bobC, _ := b.connect(Handshake{UserID: bobID, TenantSlug: "demo"})
	b.emit(bobC, "join", joinPayload(bobID, "Bob", nil)) // on process B
	waitOnline(t, bobC, 2)
	waitOnline(t, alice, 2)
	if n := len(b.hub.broadcasts("tenant:demo|presenceUpdate")) + len(b.hub.broadcasts(bobC.ID()+"|presenceUpdate")); n == 0 {
		t.Fatal("process B sent nothing to its own socket")
	}
	// A third process crashes: its entry (Admin) shows until its heartbeat
	// key expires, then a sweep publishes the tenant without it.
	ghost := NewRedisPresence(rdb, prefix)
	ghost.nodeTTL = 200 * time.Millisecond
	raw, _ := json.Marshal(map[string]any{"id": adminID, "alias": "Admin"})
	if err := ghost.Put(t.Context(), tenantID, PresenceEntry{SocketID: "ghost", UserID: adminID, User: raw, JoinedAt: 1}); err != nil {
		t.Fatal(err)
	}
	a.svc.presenceChanged(t.Context(), tenantID, "demo")
	waitOnline(t, bobC, 3)
	waitOnline(t, bobC, 2)
	// Process A shuts down: it leaves at once, not after its key expires.
	a.svc.Close()
	waitOnline(t, bobC, 1)
}

// waitSubscribed waits until n processes listen to the notices channel.
func waitSubscribed(t *testing.T, rdb *goredis.Client, prefix string, n int64) {
	t.Helper()
	channel := prefix + ":notices"
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		if got, _ := rdb.PubSubNumSub(t.Context(), channel).Result(); got[channel] >= n {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("fewer than %d subscribers on %s", n, channel)
}

// waitOnline waits for a presenceUpdate listing n users.
func waitOnline(t *testing.T, c *recConn, n int) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second) // only a failing test waits this long
	for time.Now().Before(deadline) {
		for _, ev := range c.take() {
			if ev.Name == "presenceUpdate" && len(ev.Payload.(map[string]any)["onlineIds"].([]any)) == n {
				return
			}
		}
		c.hub.clock.Advance(testWindow)  // a notice from the other process arms a window
		time.Sleep(5 * time.Millisecond) // for the notice, over Redis
	}
	t.Fatalf("no presenceUpdate with %d users", n)
}
