package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// CreateTenant creates a venue as the product does: the tenant (menu,
// feedback and staff enabled) with its announcement room "Annunci" and a
// general room of its own name, in one transaction. A taken slug is
// ErrConflict.
func (db *DB) CreateTenant(ctx context.Context, name, slug string) (Tenant, []Room, error) {
	var t Tenant
	var rooms []Room
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		now := db.Now()
		t = Tenant{ID: NewUUID(), Name: name, Slug: slug, MenuEnabled: true, FeedbackEnabled: true, StaffEnabled: true,
			CreatedAt: now, UpdatedAt: now}
		_, err := tx.ExecContext(ctx, `
			INSERT INTO "Tenant" ("id", "name", "slug", "menuEnabled", "feedbackEnabled", "staffEnabled", "createdAt", "updatedAt")
			VALUES ($1, $2, $3, true, true, true, $4, $4)`, t.ID, t.Name, t.Slug, now)
		if err != nil {
			return writeErr("store: create tenant", err)
		}
		rooms = defaultRooms(t, "Canale principale", now)
		for _, r := range rooms {
			if err := insertRoom(ctx, tx, r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Tenant{}, nil, err
	}
	return t, rooms, nil
}

// defaultRooms are a new venue's two rooms: "Annunci", where only moderators
// post, and the general room named after the venue. The general room is a
// millisecond younger, so "createdAt ASC" keeps the announcement room first.
func defaultRooms(t Tenant, generalDescription string, now time.Time) []Room {
	return []Room{
		{ID: NewCUID(), Name: "Annunci", Type: RoomTypeAnnouncement, TenantID: t.ID, CreatedAt: now,
			Description: sql.NullString{String: "Messaggi da " + t.Name, Valid: true}},
		{ID: NewCUID(), Name: t.Name, Type: RoomTypeGeneral, TenantID: t.ID, CreatedAt: now.Add(time.Millisecond),
			Description: sql.NullString{String: generalDescription, Valid: true}},
	}
}

func insertRoom(ctx context.Context, tx *sqlx.Tx, r Room) error {
	_, err := tx.ExecContext(ctx, `
		INSERT INTO "Room" ("id", "name", "description", "type", "tenantId", "createdAt")
		VALUES ($1, $2, $3, $4, $5, $6)`, r.ID, r.Name, r.Description, r.Type, r.TenantID, r.CreatedAt)
	if err != nil {
		return fmt.Errorf("store: create room: %w", err)
	}
	return nil
}
