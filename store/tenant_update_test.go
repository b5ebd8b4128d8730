package store_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"chatd/store"
	"chatd/store/storetest"
)

func TestTenantsListCountAndUpdate(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, testTenantsListCountAndUpdate)
}

func testTenantsListCountAndUpdate(t *testing.T, d storetest.Dialect) {
	clock := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	db, dbURL := storetest.OpenSeededIn(t, d, func() time.Time { return clock })
	storetest.Exec(t, dbURL, `INSERT INTO "Tenant" ("id","name","slug","createdAt","updatedAt") VALUES
		('b-later','Later','later','2025-06-01',CURRENT_TIMESTAMP), ('a-same','Same','same','2025-06-01',CURRENT_TIMESTAMP)`)
	ctx := context.Background()
	list, err := db.Tenants(ctx)
	if err != nil || len(list) != 3 || list[0].Slug != "demo" || list[1].ID != "a-same" || list[2].ID != "b-later" {
		t.Fatalf("order: %+v %v", list, err)
	}
	if n, err := db.CountTenants(ctx); err != nil || n != 3 {
		t.Fatalf("count %d %v", n, err)
	}
	name, off := "New", false
	tenant, err := db.UpdateTenant(ctx, "a-same", store.TenantUpdate{Name: &name, MenuEnabled: &off,
		LogoURL: &sql.NullString{String: "/logo.png", Valid: true}, MenuURL: &sql.NullString{}})
	if err != nil || tenant.Name != "New" || tenant.MenuEnabled || tenant.LogoURL.String != "/logo.png" || tenant.MenuURL.Valid ||
		!tenant.UpdatedAt.Equal(clock) || !tenant.FeedbackEnabled {
		t.Fatalf("update: %+v %v", tenant, err)
	}
	clock = clock.Add(time.Hour)
	same, err := db.UpdateTenant(ctx, "a-same", store.TenantUpdate{})
	if err != nil || !same.UpdatedAt.Equal(tenant.UpdatedAt) {
		t.Fatalf("empty update touched the row: %+v %v", same, err)
	}
	if _, err := db.UpdateTenant(ctx, "nope", store.TenantUpdate{Name: &name}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown tenant: %v", err)
	}
	if err := db.SetUserImage(ctx, "nope", "/x.png"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("image of an unknown user: %v", err)
	}
}
