package store

import (
	"context"
	"fmt"
	"time"
)

// TenantMember is a row of "TenantMember": a user's staff role in a venue.
type TenantMember struct {
	ID              string    `db:"id"`
	UserID          string    `db:"userId"`
	TenantID        string    `db:"tenantId"`
	Role            string    `db:"role"`
	CanModerate     bool      `db:"canModerate"`
	CanManageOrders bool      `db:"canManageOrders"`
	CanViewStats    bool      `db:"canViewStats"`
	CreatedAt       time.Time `db:"createdAt"`
	UpdatedAt       time.Time `db:"updatedAt"`
}

// MemberRoomIDs lists the rooms of every tenant where userID is a member:
// staff receive room messages from the moment they connect.
func (db *DB) MemberRoomIDs(ctx context.Context, userID string) ([]string, error) {
	ids := []string{}
	err := db.db.SelectContext(ctx, &ids, `
		SELECT r."id" FROM "Room" r JOIN "TenantMember" m ON m."tenantId" = r."tenantId"
		WHERE m."userId" = $1 ORDER BY r."tenantId", r."createdAt", r."id"`, userID)
	if err != nil {
		return nil, fmt.Errorf("store: member room ids: %w", err)
	}
	return ids, nil
}

// CanModerate reports whether userID may moderate tenantID: a superadmin, a
// member with role OWNER, ADMIN or MODERATOR, or a member with canModerate.
// (The original left out OWNER and superadmins; http-api.md §11 adds them.)
func (db *DB) CanModerate(ctx context.Context, userID, tenantID string) (bool, error) {
	var ok bool
	err := db.db.GetContext(ctx, &ok, `
		SELECT EXISTS (SELECT 1 FROM "user" WHERE "id" = $1 AND upper(CAST("role" AS TEXT)) = 'SUPERADMIN')
		    OR EXISTS (SELECT 1 FROM "TenantMember"
		               WHERE "userId" = $1 AND "tenantId" = $2
		                 AND ("role" IN ('OWNER', 'ADMIN', 'MODERATOR') OR "canModerate"))`,
		userID, tenantID)
	if err != nil {
		return false, fmt.Errorf("store: can moderate: %w", err)
	}
	return ok, nil
}
