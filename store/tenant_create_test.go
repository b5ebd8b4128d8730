package store_test

import (
	"context"
	"errors"
	"testing"

	"chatd/store"
	"chatd/store/storetest"
)

func TestCreateTenant(t *testing.T) { storetest.EachDialect(t, testCreateTenant) }

func testCreateTenant(t *testing.T, d storetest.Dialect) {
	db, _ := storetest.OpenIn(t, d, nil)
	ctx := context.Background()
	tenant, rooms, err := db.CreateTenant(ctx, "Café Roma", "cafe-roma")
	if err != nil {
		t.Fatal(err)
	}
	got, err := db.TenantBySlug(ctx, "cafe-roma")
	if err != nil || got.ID != tenant.ID || got.Name != "Café Roma" || !got.MenuEnabled || !got.FeedbackEnabled || !got.StaffEnabled {
		t.Fatalf("stored tenant %+v, %v", got, err)
	}
	stored, err := db.RoomsByTenant(ctx, tenant.ID)
	if err != nil || len(stored) != 2 || len(rooms) != 2 {
		t.Fatalf("rooms %+v, %v", stored, err)
	}
	want := []struct{ name, typ, description string }{
		{"Annunci", store.RoomTypeAnnouncement, "Messaggi da Café Roma"},
		{"Café Roma", store.RoomTypeGeneral, "Canale principale"},
	}
	for i, w := range want {
		if r := stored[i]; r.ID != rooms[i].ID || r.Name != w.name || r.Type != w.typ || r.Description.String != w.description {
			t.Errorf("room %d: %+v, want %+v", i, r, w)
		}
	}
	if _, _, err := db.CreateTenant(ctx, "Other", "cafe-roma"); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("taken slug: %v, want ErrConflict", err)
	}
	if n, _ := db.CountTenants(ctx); n != 1 {
		t.Fatalf("%d tenants after a refused create, want 1", n)
	}
}
