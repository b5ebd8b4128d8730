package store_test

import (
	"context"
	"errors"
	"testing"

	"chatd"
	"chatd/store"
	"chatd/store/storetest"
)

func TestTenantStaffAndGrants(t *testing.T) { storetest.EachDialect(t, testTenantStaffAndGrants) }

func testTenantStaffAndGrants(t *testing.T, d storetest.Dialect) {
	db, dbURL := storetest.OpenSeededIn(t, d, nil)
	const tenant = "7e4a0000-0000-4000-8000-00000000de00"
	storetest.Exec(t, dbURL, `INSERT INTO "TenantMember" ("id","userId","tenantId","role","canModerate","createdAt","updatedAt") VALUES
		('m-staff','b0b00000-0000-4000-8000-000000000005',$1,'STAFF',true,CURRENT_TIMESTAMP,CURRENT_TIMESTAMP),
		('m-owner','a11ce000-0000-4000-8000-000000000001',$1,'OWNER',false,CURRENT_TIMESTAMP,CURRENT_TIMESTAMP)`, tenant)
	ctx := context.Background()
	staff, err := db.TenantStaff(ctx, tenant)
	if err != nil {
		t.Fatal(err)
	}
	var roles []string
	for _, s := range staff {
		roles = append(roles, s.MemberRole+":"+s.Name.String)
	}
	if want := "OWNER:Alice ADMIN:Admin MODERATOR:Mod STAFF:Bob"; join(roles) != want {
		t.Fatalf("staff %q, want %q", join(roles), want)
	}
	g, err := db.TenantGrant(ctx, "b0b00000-0000-4000-8000-000000000005", tenant)
	if err != nil || !g.Member || g.Role != "STAFF" || !g.CanModerate || g.UserRole != "USER" {
		t.Fatalf("grant %+v %v", g, err)
	}
	if g, err := db.TenantGrant(ctx, "e0e00000-0000-4000-8000-000000000004", tenant); err != nil || g.Member || g.Role != "" {
		t.Fatalf("non-member: %+v %v", g, err)
	}
	if g, err := db.TenantGrant(ctx, "no-such-user", tenant); err != nil || g != (chatd.Grant{}) {
		t.Fatalf("unknown user: %+v %v", g, err)
	}
	u, err := db.OldestRegisteredUser(ctx)
	if err != nil || u.Name.String != "Alice" {
		t.Fatalf("oldest registered: %+v %v", u, err)
	}
	storetest.Exec(t, dbURL, `UPDATE "user" SET "isAnonymous" = true`)
	if _, err := db.OldestRegisteredUser(ctx); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("no registered user: %v", err)
	}
}

func join(s []string) string {
	out := ""
	for i, v := range s {
		if i > 0 {
			out += " "
		}
		out += v
	}
	return out
}
