package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"chatd"
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

// ConnectInfo is what an authenticated socket needs at connect besides
// its session: the rooms it enters as staff and whom its user blocked.
type ConnectInfo struct {
	Rooms, Blocked []string
}

// ConnectState is what an authenticated socket needs at connect, in one
// query: the rooms of every tenant where userID is a member (staff receive
// room messages from the moment they connect), by tenant then creation,
// and the users userID blocked, oldest block first (its first join's
// blockedUsers).
func (db *DB) ConnectState(ctx context.Context, userID string) (rooms, blocked []string, err error) {
	var rows []struct {
		Kind int       `db:"kind"`
		ID   string    `db:"id"`
		K1   string    `db:"k1"` // the sort keys
		K2   time.Time `db:"k2"`
		K3   string    `db:"k3"`
	}
	err = db.hotSelect(ctx, &rows, `
		SELECT 0 AS "kind", r."id" AS "id", r."tenantId" AS "k1", r."createdAt" AS "k2", r."id" AS "k3"
		FROM "Room" r JOIN "TenantMember" m ON m."tenantId" = r."tenantId" WHERE m."userId" = $1
		UNION ALL
		SELECT 1, b."blockedId", '', b."createdAt", b."id" FROM "BlockedUser" b WHERE b."userId" = $1
		ORDER BY 1, 3, 4, 5`, userID)
	if err != nil {
		return nil, nil, fmt.Errorf("store: connect state: %w", err)
	}
	rooms, blocked = []string{}, []string{}
	for _, r := range rows {
		if r.Kind == 0 {
			rooms = append(rooms, r.ID)
		} else {
			blocked = append(blocked, r.ID)
		}
	}
	return rooms, blocked, nil
}

// TenantGrant loads what userID holds in tenantID: the account's role and
// the membership row, if any (chatd.Grant). The rules that read it are in
// access.go (chatd.Grant.Admin, .Moderator); this is only the query. A user
// without a row (a socket guest not yet written) holds nothing.
func (db *DB) TenantGrant(ctx context.Context, userID, tenantID string) (chatd.Grant, error) {
	var rows []struct {
		UserRole    string         `db:"userRole"`
		Role        sql.NullString `db:"memberRole"`
		CanModerate sql.NullBool   `db:"canModerate"`
	}
	err := db.db.SelectContext(ctx, &rows, `
		SELECT CAST(u."role" AS TEXT) AS "userRole", CAST(m."role" AS TEXT) AS "memberRole", m."canModerate"
		FROM "user" u LEFT JOIN "TenantMember" m ON m."userId" = u."id" AND m."tenantId" = $2
		WHERE u."id" = $1`, userID, tenantID)
	if err != nil {
		return chatd.Grant{}, fmt.Errorf("store: tenant grant: %w", err)
	} else if len(rows) == 0 {
		return chatd.Grant{}, nil
	}
	r := rows[0]
	return chatd.Grant{UserRole: r.UserRole, Member: r.Role.Valid, Role: r.Role.String, CanModerate: r.CanModerate.Bool}, nil
}
