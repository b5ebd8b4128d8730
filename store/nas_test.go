package store_test

import (
	"context"
	"errors"
	"testing"

	"chatd/store"
	"chatd/store/storetest"
)

func TestTenantByNas(t *testing.T) { storetest.EachDialect(t, testTenantByNas) }

func testTenantByNas(t *testing.T, d storetest.Dialect) {
	db, dbURL := storetest.OpenSeededIn(t, d, nil)
	// A second tenant's device shares nothing with the seed's, except being
	// matched by a different criterion, to prove the order nasId > bssid > IP.
	storetest.Exec(t, dbURL, `INSERT INTO "Tenant" ("id","name","slug","createdAt","updatedAt") VALUES ('t2','Two','two',CURRENT_TIMESTAMP,CURRENT_TIMESTAMP)`)
	storetest.Exec(t, dbURL, `INSERT INTO "NasDevice" ("id","nasId","bssid","publicIp","tenantId","createdAt","updatedAt")
		VALUES ('n2','nas-two','11:11:11:11:11:11','198.51.100.2','t2',CURRENT_TIMESTAMP,CURRENT_TIMESTAMP)`)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		m    store.NasMatch
		slug string // "" = not found
	}{
		{"nasId", store.NasMatch{NasID: "nas-demo-1"}, "demo"},
		{"bssid", store.NasMatch{BSSID: "aa:bb:cc:dd:ee:ff"}, "demo"},
		{"publicIp", store.NasMatch{PublicIP: "203.0.113.10"}, "demo"},
		{"nasId wins over bssid and IP", store.NasMatch{NasID: "nas-two", BSSID: "aa:bb:cc:dd:ee:ff", PublicIP: "203.0.113.10"}, "two"},
		{"bssid wins over IP", store.NasMatch{BSSID: "11:11:11:11:11:11", PublicIP: "203.0.113.10"}, "two"},
		{"an unknown nasId falls through to bssid", store.NasMatch{NasID: "nope", BSSID: "aa:bb:cc:dd:ee:ff"}, "demo"},
		{"no criteria", store.NasMatch{}, ""},
		{"no match", store.NasMatch{NasID: "x", BSSID: "y", PublicIP: "z"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tenant, err := db.TenantByNas(ctx, tc.m)
			if tc.slug == "" {
				if !errors.Is(err, store.ErrNotFound) {
					t.Fatalf("got %v %v, want ErrNotFound", tenant.Slug, err)
				}
				return
			}
			if err != nil || tenant.Slug != tc.slug {
				t.Fatalf("got %q %v, want %q", tenant.Slug, err, tc.slug)
			}
		})
	}
}

func TestEnsureReviewTenant(t *testing.T) { storetest.EachDialect(t, testEnsureReviewTenant) }

func testEnsureReviewTenant(t *testing.T, d storetest.Dialect) {
	db, dbURL := storetest.OpenSeededIn(t, d, nil)
	ctx := context.Background()
	// Re-pointing the seed's device (same public IP) at a new review tenant.
	tenant, rooms, err := db.EnsureReviewTenant(ctx, "Review", "review", "203.0.113.10")
	if err != nil {
		t.Fatal(err)
	}
	if tenant.Name != "Review" || !tenant.MenuEnabled || !tenant.FeedbackEnabled || !tenant.StaffEnabled || len(rooms) != 2 ||
		rooms[0].Type != "ANNOUNCEMENT" || rooms[1].Type != "GENERAL" || len(rooms[0].ID) != 25 || rooms[0].ID[0] != 'c' {
		t.Fatalf("tenant %+v rooms %+v", tenant, rooms)
	}
	got, err := db.TenantByNas(ctx, store.NasMatch{PublicIP: "203.0.113.10"})
	if err != nil || got.ID != tenant.ID {
		t.Fatalf("device not re-pointed: %v %v", got.Slug, err)
	}
	// The existing "demo" slug: renamed, gets no extra rooms (it has both).
	tenant, rooms, err = db.EnsureReviewTenant(ctx, "Demo Renamed", "demo", "192.0.2.1")
	if err != nil || tenant.Name != "Demo Renamed" || len(rooms) != 2 {
		t.Fatalf("rename: %+v %d %v", tenant, len(rooms), err)
	}
	// A tenant with only a general room gets the announcement room only.
	storetest.Exec(t, dbURL, `DELETE FROM "Room" WHERE "type" = 'ANNOUNCEMENT' AND "tenantId" = $1`, tenant.ID)
	_, rooms, err = db.EnsureReviewTenant(ctx, "Demo Renamed", "demo", "192.0.2.1")
	if err != nil || len(rooms) != 2 {
		t.Fatalf("announcement restored: %d %v", len(rooms), err)
	}
}
