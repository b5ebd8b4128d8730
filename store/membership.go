package store

import "context"

// TenantMemberRow loads the whole "TenantMember" row of userID in tenantID
// (GET /api/auth/membership returns it verbatim); ErrNotFound when not a member.
func (db *DB) TenantMemberRow(ctx context.Context, userID, tenantID string) (TenantMember, error) {
	var m TenantMember
	err := db.db.GetContext(ctx, &m, `
		SELECT "id", "userId", "tenantId", "role", "canModerate", "canManageOrders", "canViewStats",
		       "createdAt", "updatedAt"
		FROM "TenantMember" WHERE "userId" = $1 AND "tenantId" = $2`, userID, tenantID)
	if err != nil {
		return TenantMember{}, notFound("store: tenant member", err)
	}
	return m, nil
}
