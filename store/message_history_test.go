package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"chatd/store"
	"chatd/store/storetest"
)

func TestMessageHistory(t *testing.T) { storetest.EachDialect(t, testMessageHistory) }

func testMessageHistory(t *testing.T, d storetest.Dialect) {
	db, _ := storetest.OpenSeededIn(t, d, nil)
	ctx := context.Background()
	const tenant, alice, mod = "7e4a0000-0000-4000-8000-00000000de00", "a11ce000-0000-4000-8000-000000000001", "30d00000-0000-4000-8000-000000000002"
	ids := func(msgs []store.Message, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		out := ""
		for _, m := range msgs {
			out += m.ID[len(m.ID)-1:]
		}
		return out
	}
	window := time.Now().Add(-48 * time.Hour)
	longAgo := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name, got, want string
	}{
		{"general room", ids(db.RoomHistory(ctx, tenant, "cm0roomgeneral00000000002", window)), "34"},
		{"general room, all time", ids(db.RoomHistory(ctx, tenant, "cm0roomgeneral00000000002", longAgo)), "534"},
		{"room-less excludes DMs", ids(db.RoomHistory(ctx, tenant, "", longAgo)), "6"},
		{"other tenant", ids(db.RoomHistory(ctx, "nope", "", longAgo)), ""},
		{"DMs of the sender", ids(db.PrivateHistory(ctx, tenant, alice, window)), "7"},
		{"DMs of the recipient", ids(db.PrivateHistory(ctx, tenant, mod, window)), "7"},
		{"DMs in the future", ids(db.PrivateHistory(ctx, tenant, mod, time.Now().Add(time.Hour))), ""},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, tc.got, tc.want)
		}
	}
	const id = "11110000-0000-4000-8000-000000000003"
	if _, err := db.TenantMessage(ctx, "nope", id); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("message of another tenant: %v", err)
	}
	if m, err := db.TenantMessage(ctx, tenant, id); err != nil || m.RoomID.String != "cm0roomgeneral00000000002" {
		t.Fatalf("message: %+v %v", m, err)
	}
	if deleted, err := db.DeleteMessage(ctx, "nope", id); deleted || err != nil {
		t.Fatalf("delete in another tenant: %v %v", deleted, err)
	}
	if deleted, err := db.DeleteMessage(ctx, tenant, id); !deleted || err != nil {
		t.Fatalf("delete: %v %v", deleted, err)
	}
	if _, err := db.TenantMessage(ctx, tenant, id); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("still there: %v", err)
	}
}
