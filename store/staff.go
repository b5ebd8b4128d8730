package store

import (
	"context"
	"fmt"
)

// StaffMember is a user listed as staff of a tenant, with the role of their
// "TenantMember" row.
type StaffMember struct {
	User
	MemberRole string `db:"memberRole"`
}

// TenantStaff lists a tenant's members by role priority (OWNER, ADMIN,
// MODERATOR, STAFF), then by when they joined. The enum's own order in the
// database is ADMIN, MODERATOR, STAFF, OWNER, so the priority is spelled out.
func (db *DB) TenantStaff(ctx context.Context, tenantID string) ([]StaffMember, error) {
	staff := []StaffMember{}
	err := db.db.SelectContext(ctx, &staff, `SELECT `+userColumns+`, m."role" "memberRole"
		FROM "TenantMember" m JOIN "user" u ON u."id" = m."userId"
		WHERE m."tenantId" = $1
		ORDER BY CASE m."role" WHEN 'OWNER' THEN 0 WHEN 'ADMIN' THEN 1 WHEN 'MODERATOR' THEN 2 WHEN 'STAFF' THEN 3 ELSE 4 END,
			m."createdAt" ASC, m."id" ASC`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("store: tenant staff: %w", err)
	}
	return staff, nil
}

// OldestRegisteredUser is the earliest-created non-anonymous user: the demo
// fallback "staff" of a tenant without members (STAFF_FALLBACK).
func (db *DB) OldestRegisteredUser(ctx context.Context) (User, error) {
	var u User
	err := db.db.GetContext(ctx, &u, `SELECT `+userColumns+` FROM "user" u
		WHERE u."isAnonymous" = false ORDER BY u."createdAt" ASC, u."id" ASC LIMIT 1`)
	if err != nil {
		return User{}, notFound("store: oldest registered user", err)
	}
	return u, nil
}
