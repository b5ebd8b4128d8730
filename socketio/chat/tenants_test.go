package chat

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"chatd/store/storetest"
)

// TestTenantChangesReachEveryProcess: tenants and rooms are cached (a change
// made behind the cache's back is not seen), and once one process reports
// the change, the next join on either process sees the renamed tenant and
// enters the added room.
func TestTenantChangesReachEveryProcess(t *testing.T) {
	t.Parallel()
	rdb, prefix := testRedis(t)
	cfg := Config{PresenceWindow: testWindow, TenantCacheTTL: time.Hour}
	withRedis := func(d *Deps) {
		d.Presence = NewRedisPresence(rdb, prefix)
		d.Notices = NewRedisNotices(rdb, prefix, nil)
	}
	a := newEnvWith(t, cfg, nil, withRedis)
	b := a.peer(cfg, nil, withRedis)
	waitSubscribed(t, rdb, prefix, 2)
	a.joined(aliceTok, "", "Alice") // both processes now hold demo and its rooms
	b.joined(modTok, "", "Mod")
	const newRoom = "cm0roomnew0000000000000003"
	storetest.Exec(t, a.dbURL, `UPDATE "Tenant" SET "name" = 'Renamed' WHERE "id" = $1`, tenantID)
	storetest.Exec(t, a.dbURL, `INSERT INTO "Room" ("id","name","type","tenantId","createdAt") VALUES ($1,'New','GENERAL',$2,now())`,
		newRoom, tenantID)
	ctx := context.Background()
	name := func(p *env) string {
		tenant, err := p.svc.tenants.bySlug(ctx, "demo")
		if err != nil {
			t.Fatal(err)
		}
		return tenant.Name
	}
	for _, p := range []*env{a, b} {
		if got := name(p); got != "Demo Space" {
			t.Fatalf("tenant read %q: not cached", got)
		}
		if c, _ := p.joined("", "", "Early"); c.inRoom(newRoom) {
			t.Fatal("the added room was seen before the change was reported")
		}
	}
	a.svc.TenantChanged(ctx, tenantID) // what the HTTP routes call
	waitUntil(t, func() bool { return name(b) == "Renamed" })
	if name(a) != "Renamed" {
		t.Fatal("the reporting process kept its copy")
	}
	for _, p := range []*env{a, b} {
		c, id := p.connect(Handshake{UserAlias: "Late", TenantSlug: "demo"})
		p.emit(c, "join", joinPayload(id.UserID, "Late", nil))
		if !c.inRoom(newRoom) {
			t.Fatal("the next join did not enter the added room")
		}
		waitRoomCount(t, c, newRoom)
	}
}

// waitRoomCount waits for a presenceUpdate whose roomCounts lists room.
func waitRoomCount(t *testing.T, c *recConn, room string) {
	t.Helper()
	waitUntil(t, func() bool {
		c.hub.clock.Advance(testWindow)
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, ev := range c.events {
			if p, ok := ev.Payload.(map[string]any); ok && ev.Name == "presenceUpdate" {
				if _, ok := p["roomCounts"].(map[string]any)[room]; ok {
					return true
				}
			}
		}
		return false
	})
}

// TestTenantCacheLoadsOnce: a storm of joins on a cold cache makes one
// query per key; an invalidation during a load keeps its (possibly stale)
// result out of the cache.
func TestTenantCacheLoadsOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	counted := &countingStore{Store: e.db}
	cache := newTenantCache(counted, time.Hour, time.Now)
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := cache.bySlug(context.Background(), "demo"); err != nil {
				t.Error(err)
			}
			if _, err := cache.roomsOf(context.Background(), tenantID); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if calls := counted.take(); strings.Count(calls, "TenantBySlug") != 1 || strings.Count(calls, "RoomsByTenant") != 1 {
		t.Fatalf("50 cold reads made %q", calls)
	}
	if _, err := cache.byID(context.Background(), tenantID); err != nil || counted.take() != "" {
		t.Fatal("the tenant loaded by slug is not cached by id")
	}
	if _, err := cache.bySlug(context.Background(), "nope"); err == nil {
		t.Fatal("an unknown slug was found")
	}
	// A load that began before an invalidation is not kept.
	gen := cache.gen
	cache.invalidate(tenantID)
	if cache.gen == gen {
		t.Fatal("invalidate did not move the generation")
	}
	stale, _ := cache.load(context.Background(), "s:demo-stale", func(context.Context) (any, error) {
		cache.invalidate(tenantID) // the change lands while the query runs
		return e.db.TenantBySlug(context.Background(), "demo")
	}, cache.keepTenant)
	if stale == nil {
		t.Fatal("the load failed")
	}
	counted.take()
	if _, err := cache.bySlug(context.Background(), "demo"); err != nil || counted.take() != "TenantBySlug" {
		t.Fatal("a load overtaken by an invalidation was cached")
	}
}
