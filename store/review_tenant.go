package store

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// EnsureReviewTenant prepares the App Store review environment (GET
// /api/tenants/setup-review) in one transaction: the tenant with this slug
// (created, or renamed to name), its two default rooms when missing, and the
// NasDevice of callerIP pointed at it. It returns the tenant and its rooms.
func (db *DB) EnsureReviewTenant(ctx context.Context, name, slug, callerIP string) (Tenant, []Room, error) {
	var t Tenant
	var rooms []Room
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		if t, err = db.reviewTenant(ctx, tx, name, slug); err != nil {
			return err
		}
		if rooms, err = db.reviewRooms(ctx, tx, t); err != nil {
			return err
		}
		return db.pointNasAtTenant(ctx, tx, callerIP, t.ID, "Reviewer Device ("+name+")")
	})
	if err != nil {
		return Tenant{}, nil, err
	}
	return t, rooms, nil
}

// reviewTenant creates the tenant or renames it; the row lock keeps two
// concurrent set-ups from racing on the slug.
func (db *DB) reviewTenant(ctx context.Context, tx *sqlx.Tx, name, slug string) (Tenant, error) {
	now := db.Now()
	_, err := tx.ExecContext(ctx, `
		INSERT INTO "Tenant" ("id", "name", "slug", "menuEnabled", "feedbackEnabled", "staffEnabled", "createdAt", "updatedAt")
		VALUES ($1, $2, $3, true, true, true, $4, $4)
		ON CONFLICT ("slug") DO NOTHING`, NewUUID(), name, slug, now)
	if err != nil {
		return Tenant{}, fmt.Errorf("store: create review tenant: %w", err)
	}
	var t Tenant
	err = tx.GetContext(ctx, &t, `SELECT `+tenantColumns+` FROM "Tenant" t WHERE t."slug" = $1`+db.dialect.forUpdate, slug)
	if err != nil {
		return Tenant{}, notFound("store: review tenant", err)
	}
	if t.Name == name {
		return t, nil
	}
	err = tx.GetContext(ctx, &t, `UPDATE "Tenant" SET "name" = $2, "updatedAt" = $3 WHERE "id" = $1 RETURNING `+tenantReturning,
		t.ID, name, now)
	if err != nil {
		return Tenant{}, fmt.Errorf("store: rename review tenant: %w", err)
	}
	return t, nil
}

// reviewRooms adds the announcement room when the tenant has none, and the
// general room too when it has no rooms at all.
func (db *DB) reviewRooms(ctx context.Context, tx *sqlx.Tx, t Tenant) ([]Room, error) {
	rooms, err := roomsByTenant(ctx, tx, t.ID)
	if err != nil {
		return nil, err
	}
	hasAnnouncement := false
	for _, r := range rooms {
		hasAnnouncement = hasAnnouncement || r.Type == RoomTypeAnnouncement
	}
	defaults := defaultRooms(t, "Canale principale per la revisione", db.Now())
	var add []Room
	if !hasAnnouncement {
		add = append(add, defaults[0])
	}
	if len(rooms) == 0 {
		add = append(add, defaults[1])
	}
	for _, r := range add {
		if err := insertRoom(ctx, tx, r); err != nil {
			return nil, err
		}
	}
	if len(add) == 0 {
		return rooms, nil
	}
	return roomsByTenant(ctx, tx, t.ID)
}

func roomsByTenant(ctx context.Context, q sqlx.QueryerContext, tenantID string) ([]Room, error) {
	rooms := []Room{}
	err := sqlx.SelectContext(ctx, q, &rooms, `
		SELECT "id", "name", "description", "type", "tenantId", "createdAt"
		FROM "Room" WHERE "tenantId" = $1 ORDER BY "createdAt" ASC, "id" ASC`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("store: rooms of review tenant: %w", err)
	}
	return rooms, nil
}
