package store_test

import (
	"context"
	"reflect"
	"testing"

	"chatd/store/storetest"
)

func TestMemberRoomsAndModeration(t *testing.T) {
	t.Parallel()
	storetest.EachDialect(t, testMemberRoomsAndModeration)
}

func testMemberRoomsAndModeration(t *testing.T, d storetest.Dialect) {
	db := openSeeded(t, d)
	ctx := context.Background()
	for _, q := range []string{
		`INSERT INTO "Tenant" ("id","name","slug","createdAt","updatedAt") VALUES ('t2','Other','other',CURRENT_TIMESTAMP,CURRENT_TIMESTAMP)`,
		`INSERT INTO "Room" ("id","name","tenantId","createdAt") VALUES ('r2','Room','t2','2025-01-01')`,
		`INSERT INTO "TenantMember" ("id","userId","tenantId","role","updatedAt") VALUES ('m1','` + seedMod + `','t2','STAFF',CURRENT_TIMESTAMP)`,
		`INSERT INTO "TenantMember" ("id","userId","tenantId","role","canModerate","updatedAt") VALUES ('m2','` + seedBob + `','t2','STAFF',true,CURRENT_TIMESTAMP)`,
		`INSERT INTO "TenantMember" ("id","userId","tenantId","role","updatedAt") VALUES ('m3','` + seedAlice + `','t2','OWNER',CURRENT_TIMESTAMP)`,
		`UPDATE "user" SET "role" = 'SUPERADMIN' WHERE "id" = 'e0e00000-0000-4000-8000-000000000004'`,
	} {
		if _, err := db.SQL().Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	for _, blocked := range []string{seedBob, seedAlice} {
		if err := db.BlockUser(ctx, seedMod, blocked); err != nil {
			t.Fatal(err)
		}
	}
	rooms, blocked, err := db.ConnectState(ctx, seedMod)
	want := []string{"cm0roomannunci00000000001", seedGen, "r2"}
	if err != nil || !reflect.DeepEqual(sorted(rooms), sorted(want)) {
		t.Fatalf("mod's rooms %v, %v; want %v", rooms, err, want)
	}
	if wantBlocked, _ := db.BlockedIDs(ctx, seedMod); !reflect.DeepEqual(blocked, wantBlocked) || len(blocked) != 2 {
		t.Fatalf("mod's blocked %v, want %v", blocked, wantBlocked)
	}
	if rooms, blocked, _ := db.ConnectState(ctx, "nobody"); rooms == nil || len(rooms) != 0 || blocked == nil || len(blocked) != 0 {
		t.Fatalf("non-member rooms %#v, blocked %#v", rooms, blocked)
	}
	tests := []struct {
		user, tenant string
		want         bool
	}{
		{seedMod, seedTenant, true},                          // MODERATOR
		{seedAdmin, seedTenant, true},                        // ADMIN
		{seedAlice, seedTenant, false},                       // no membership
		{seedMod, "t2", false},                               // STAFF
		{seedBob, "t2", true},                                // STAFF with canModerate
		{seedAlice, "t2", true},                              // OWNER
		{"e0e00000-0000-4000-8000-000000000004", "t2", true}, // superadmin
		{seedBob, seedTenant, false},
	}
	for _, tt := range tests {
		if g, err := db.TenantGrant(ctx, tt.user, tt.tenant); err != nil || g.Moderator() != tt.want {
			t.Errorf("TenantGrant(%s, %s) = %+v, %v; want Moderator() %v", tt.user, tt.tenant, g, err, tt.want)
		}
	}
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}
