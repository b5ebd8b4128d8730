package store_test

import (
	"context"
	"errors"
	"testing"

	"chatd/store"
	"chatd/store/storetest"
)

// openSeeded returns a store on a fresh database of dialect d holding the
// recordings' seed.
func openSeeded(t *testing.T, d storetest.Dialect) *store.DB {
	t.Helper()
	db, _ := storetest.OpenSeededIn(t, d, nil)
	return db
}

func TestTenantAndRoomsFromSeed(t *testing.T) { storetest.EachDialect(t, testTenantAndRoomsFromSeed) }

func testTenantAndRoomsFromSeed(t *testing.T, d storetest.Dialect) {
	db := openSeeded(t, d)
	ctx := context.Background()
	tenant, err := db.TenantBySlug(ctx, "demo")
	if err != nil {
		t.Fatal(err)
	}
	if tenant.ID != "7e4a0000-0000-4000-8000-00000000de00" || tenant.Name != "Demo Space" {
		t.Fatalf("unexpected tenant %+v", tenant)
	}
	if _, err := db.TenantBySlug(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown slug: got %v, want ErrNotFound", err)
	}
	rooms, err := db.RoomsByTenant(ctx, tenant.ID)
	if err != nil || len(rooms) != 2 {
		t.Fatalf("rooms = %+v, %v", rooms, err)
	}
}

func TestSessionByToken(t *testing.T) { storetest.EachDialect(t, testSessionByToken) }

func testSessionByToken(t *testing.T, d storetest.Dialect) {
	db := openSeeded(t, d)
	su, err := db.SessionByToken(context.Background(), "alice-session-token-0001")
	if err != nil {
		t.Fatal(err)
	}
	if su.User.ID != "a11ce000-0000-4000-8000-000000000001" || su.Session.UserID != su.User.ID {
		t.Fatalf("unexpected session %+v", su)
	}
	if _, err := db.SessionByToken(context.Background(), "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("got %v, want ErrNotFound", err)
	}
}
