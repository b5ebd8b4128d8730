package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Room is a row of "Room". Type is ANNOUNCEMENT or GENERAL.
type Room struct {
	ID          string         `db:"id"`
	Name        string         `db:"name"`
	Description sql.NullString `db:"description"`
	Type        string         `db:"type"`
	TenantID    string         `db:"tenantId"`
	CreatedAt   time.Time      `db:"createdAt"`
}

// The room types: only moderators may post in an announcement room.
const (
	RoomTypeAnnouncement = "ANNOUNCEMENT"
	RoomTypeGeneral      = "GENERAL"
)

// RoomsByTenant lists a tenant's rooms, oldest first (ties by id), so that
// rooms[0] is always the first-created room.
func (db *DB) RoomsByTenant(ctx context.Context, tenantID string) ([]Room, error) {
	rooms := []Room{}
	err := db.db.SelectContext(ctx, &rooms, `
		SELECT "id", "name", "description", "type", "tenantId", "createdAt"
		FROM "Room" WHERE "tenantId" = $1 ORDER BY "createdAt" ASC, "id" ASC`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("store: rooms by tenant: %w", err)
	}
	return rooms, nil
}
