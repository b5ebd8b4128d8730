package store

import (
	"context"
	"database/sql"
	"time"
)

// Tenant is a row of "Tenant": a venue with its chat rooms.
type Tenant struct {
	ID              string          `db:"id"`
	Name            string          `db:"name"`
	Slug            string          `db:"slug"`
	Metadata        NullJSON        `db:"metadata"`
	LogoURL         sql.NullString  `db:"logoUrl"`
	Address         sql.NullString  `db:"address"`
	CreatedAt       time.Time       `db:"createdAt"`
	UpdatedAt       time.Time       `db:"updatedAt"`
	BSSID           sql.NullString  `db:"bssid"`
	StaticIP        sql.NullString  `db:"staticIp"`
	Latitude        sql.NullFloat64 `db:"latitude"`
	Longitude       sql.NullFloat64 `db:"longitude"`
	MenuEnabled     bool            `db:"menuEnabled"`
	FeedbackEnabled bool            `db:"feedbackEnabled"`
	StaffEnabled    bool            `db:"staffEnabled"`
	MenuURL         sql.NullString  `db:"menuUrl"`
}

const tenantColumns = `t."id", t."name", t."slug", t."metadata", t."logoUrl", t."address", t."createdAt",
	t."updatedAt", t."bssid", t."staticIp", t."latitude", t."longitude", t."menuEnabled",
	t."feedbackEnabled", t."staffEnabled", t."menuUrl"`

// TenantBySlug loads the tenant with this slug.
func (db *DB) TenantBySlug(ctx context.Context, slug string) (Tenant, error) {
	var t Tenant
	err := db.db.GetContext(ctx, &t, `SELECT `+tenantColumns+` FROM "Tenant" t WHERE t."slug" = $1`, slug)
	if err != nil {
		return Tenant{}, notFound("store: tenant by slug", err)
	}
	return t, nil
}

// TenantByID loads the tenant with this id.
func (db *DB) TenantByID(ctx context.Context, id string) (Tenant, error) {
	var t Tenant
	err := db.db.GetContext(ctx, &t, `SELECT `+tenantColumns+` FROM "Tenant" t WHERE t."id" = $1`, id)
	if err != nil {
		return Tenant{}, notFound("store: tenant by id", err)
	}
	return t, nil
}
