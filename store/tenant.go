package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
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

// tenantReturning is tenantColumns unqualified, for RETURNING (which SQLite
// does not let name the table's alias).
var tenantReturning = strings.ReplaceAll(tenantColumns, `t."`, `"`)

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

// Tenants lists every tenant, oldest first (ties by id), so the order is
// stable where the original's was undefined.
func (db *DB) Tenants(ctx context.Context) ([]Tenant, error) {
	tenants := []Tenant{}
	err := db.db.SelectContext(ctx, &tenants, `SELECT `+tenantColumns+` FROM "Tenant" t ORDER BY t."createdAt" ASC, t."id" ASC`)
	if err != nil {
		return nil, fmt.Errorf("store: tenants: %w", err)
	}
	return tenants, nil
}

// CountTenants is count(*) of "Tenant" (the diagnostics probe).
func (db *DB) CountTenants(ctx context.Context) (int, error) {
	var n int
	if err := db.db.GetContext(ctx, &n, `SELECT count(*) FROM "Tenant"`); err != nil {
		return 0, fmt.Errorf("store: count tenants: %w", err)
	}
	return n, nil
}

// TenantUpdate is a partial update of a tenant: nil fields stay as they are.
// LogoURL and MenuURL are set to NULL when their Valid is false.
type TenantUpdate struct {
	Name            *string
	LogoURL         *sql.NullString
	MenuURL         *sql.NullString
	MenuEnabled     *bool
	FeedbackEnabled *bool
	StaffEnabled    *bool
}

// UpdateTenant applies u to the tenant with this id, stamping updatedAt, and
// returns the row as stored. An empty update returns the row unchanged.
func (db *DB) UpdateTenant(ctx context.Context, id string, u TenantUpdate) (Tenant, error) {
	var sets []string
	args := []any{id}
	add := func(column string, v any) {
		args = append(args, v)
		sets = append(sets, fmt.Sprintf(`%q = $%d`, column, len(args)))
	}
	if u.Name != nil {
		add("name", *u.Name)
	}
	if u.LogoURL != nil {
		add("logoUrl", *u.LogoURL)
	}
	if u.MenuURL != nil {
		add("menuUrl", *u.MenuURL)
	}
	if u.MenuEnabled != nil {
		add("menuEnabled", *u.MenuEnabled)
	}
	if u.FeedbackEnabled != nil {
		add("feedbackEnabled", *u.FeedbackEnabled)
	}
	if u.StaffEnabled != nil {
		add("staffEnabled", *u.StaffEnabled)
	}
	if len(sets) == 0 {
		return db.TenantByID(ctx, id)
	}
	add("updatedAt", db.Now())
	var t Tenant
	err := db.db.GetContext(ctx, &t, `UPDATE "Tenant" SET `+strings.Join(sets, ", ")+
		` WHERE "id" = $1 RETURNING `+tenantReturning, args...)
	if err != nil {
		return Tenant{}, notFound("store: update tenant", err)
	}
	return t, nil
}
