package store

import (
	"context"
	"fmt"
	"time"

	"chatd"
)

// Verification is a row of "verification": a short-lived value keyed by an
// identifier (a passkey challenge, an OTP), as BetterAuth stores them.
type Verification struct {
	ID         string    `db:"id"`
	Identifier string    `db:"identifier"`
	Value      string    `db:"value"`
	ExpiresAt  time.Time `db:"expiresAt"`
	CreatedAt  time.Time `db:"createdAt"`
	UpdatedAt  time.Time `db:"updatedAt"`
}

// CreateVerification inserts v; an empty ID gets a new 32-character one and
// zero times get the store's clock.
func (db *DB) CreateVerification(ctx context.Context, v Verification) (Verification, error) {
	if v.ID == "" {
		v.ID = NewID()
	}
	now := db.Now()
	if v.CreatedAt.IsZero() {
		v.CreatedAt = now
	}
	if v.UpdatedAt.IsZero() {
		v.UpdatedAt = now
	}
	v.ExpiresAt, v.CreatedAt, v.UpdatedAt = chatd.DBTime(v.ExpiresAt), chatd.DBTime(v.CreatedAt), chatd.DBTime(v.UpdatedAt)
	_, err := db.db.ExecContext(ctx, `
		INSERT INTO "verification" ("id", "identifier", "value", "expiresAt", "createdAt", "updatedAt")
		VALUES ($1, $2, $3, $4, $5, $6)`, v.ID, v.Identifier, v.Value, v.ExpiresAt, v.CreatedAt, v.UpdatedAt)
	if err != nil {
		return Verification{}, writeErr("store: create verification", err)
	}
	return v, nil
}

// VerificationByIdentifier loads the newest row for identifier, expired or
// not: expiry is the caller's rule.
func (db *DB) VerificationByIdentifier(ctx context.Context, identifier string) (Verification, error) {
	var v Verification
	err := db.db.GetContext(ctx, &v, `SELECT "id", "identifier", "value", "expiresAt", "createdAt", "updatedAt"
		FROM "verification" WHERE "identifier" = $1 ORDER BY "createdAt" DESC LIMIT 1`, identifier)
	if err != nil {
		return Verification{}, notFound("store: verification by identifier", err)
	}
	return v, nil
}

// DeleteVerification deletes one row by id; a missing row is not an error.
func (db *DB) DeleteVerification(ctx context.Context, id string) error {
	if _, err := db.db.ExecContext(ctx, `DELETE FROM "verification" WHERE "id" = $1`, id); err != nil {
		return fmt.Errorf("store: delete verification: %w", err)
	}
	return nil
}

// DeleteVerificationsByIdentifier deletes every row for identifier.
func (db *DB) DeleteVerificationsByIdentifier(ctx context.Context, identifier string) error {
	if _, err := db.db.ExecContext(ctx, `DELETE FROM "verification" WHERE "identifier" = $1`, identifier); err != nil {
		return fmt.Errorf("store: delete verifications: %w", err)
	}
	return nil
}
