package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Report is a row of "Report": a user reporting another to the venue's
// moderators. Context is the client's JSON (typically the messages seen).
type Report struct {
	ID         string         `db:"id"`
	ReporterID string         `db:"reporterId"`
	AccusedID  string         `db:"accusedId"`
	Reason     string         `db:"reason"`
	Details    sql.NullString `db:"details"`
	Context    NullJSON       `db:"context"`
	TenantID   string         `db:"tenantId"`
	CreatedAt  time.Time      `db:"createdAt"`
}

// CreateReport stores r with a new id and the store's time, returning the
// row as written. An unknown reporter or accused user is ErrNotFound.
func (db *DB) CreateReport(ctx context.Context, r Report) (Report, error) {
	r.ID = NewUUID()
	r.CreatedAt = db.Now()
	_, err := db.db.ExecContext(ctx, `
		INSERT INTO "Report" ("id", "reporterId", "accusedId", "reason", "details", "context", "tenantId", "createdAt")
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		r.ID, r.ReporterID, r.AccusedID, r.Reason, r.Details, r.Context, r.TenantID, r.CreatedAt)
	if isForeignKeyViolation(err) {
		return Report{}, fmt.Errorf("store: create report: %w", ErrNotFound)
	} else if err != nil {
		return Report{}, fmt.Errorf("store: create report: %w", err)
	}
	return r, nil
}

// ReportsByTenant lists a tenant's reports, newest first.
func (db *DB) ReportsByTenant(ctx context.Context, tenantID string) ([]Report, error) {
	reports := []Report{}
	err := db.db.SelectContext(ctx, &reports, `
		SELECT "id", "reporterId", "accusedId", "reason", "details", "context", "tenantId", "createdAt"
		FROM "Report" WHERE "tenantId" = $1 ORDER BY "createdAt" DESC, "id"`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("store: reports by tenant: %w", err)
	}
	return reports, nil
}
