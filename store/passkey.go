package store

import (
	"context"
	"database/sql"
	"fmt"
)

// Passkey is a row of "passkey" exactly as @better-auth/passkey writes it:
// CredentialID is base64url without padding, PublicKey the COSE key in
// standard base64 with padding, Transports joined with ",".
type Passkey struct {
	ID           string         `db:"id"`
	Name         sql.NullString `db:"name"`
	PublicKey    string         `db:"publicKey"`
	UserID       string         `db:"userId"`
	CredentialID string         `db:"credentialID"`
	Counter      int64          `db:"counter"`
	DeviceType   string         `db:"deviceType"`
	BackedUp     bool           `db:"backedUp"`
	Transports   sql.NullString `db:"transports"`
	AAGUID       sql.NullString `db:"aaguid"`
	CreatedAt    sql.NullTime   `db:"createdAt"`
}

const passkeyColumns = `"id", "name", "publicKey", "userId", "credentialID", "counter", "deviceType",
	"backedUp", "transports", "aaguid", "createdAt"`

// CreatePasskey inserts p.
func (db *DB) CreatePasskey(ctx context.Context, p Passkey) error {
	_, err := db.db.ExecContext(ctx, `INSERT INTO "passkey" (`+passkeyColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		p.ID, p.Name, p.PublicKey, p.UserID, p.CredentialID, p.Counter, p.DeviceType,
		p.BackedUp, p.Transports, p.AAGUID, nullDBTime(p.CreatedAt))
	if err != nil {
		return writeErr("store: create passkey", err)
	}
	return nil
}

// PasskeysByUser lists a user's passkeys, oldest first.
func (db *DB) PasskeysByUser(ctx context.Context, userID string) ([]Passkey, error) {
	out := []Passkey{}
	err := db.db.SelectContext(ctx, &out, `SELECT `+passkeyColumns+` FROM "passkey"
		WHERE "userId" = $1 ORDER BY "createdAt" ASC NULLS FIRST, "id" ASC`, userID)
	if err != nil {
		return nil, fmt.Errorf("store: passkeys by user: %w", err)
	}
	return out, nil
}

// PasskeyByCredentialID loads the passkey a login assertion names. The column
// is not unique in BetterAuth's schema; the oldest row wins.
func (db *DB) PasskeyByCredentialID(ctx context.Context, credentialID string) (Passkey, error) {
	var p Passkey
	err := db.db.GetContext(ctx, &p, `SELECT `+passkeyColumns+` FROM "passkey"
		WHERE "credentialID" = $1 ORDER BY "createdAt" ASC NULLS FIRST, "id" ASC LIMIT 1`, credentialID)
	if err != nil {
		return Passkey{}, notFound("store: passkey by credential id", err)
	}
	return p, nil
}

// PasskeyByID loads one passkey.
func (db *DB) PasskeyByID(ctx context.Context, id string) (Passkey, error) {
	var p Passkey
	err := db.db.GetContext(ctx, &p, `SELECT `+passkeyColumns+` FROM "passkey" WHERE "id" = $1`, id)
	if err != nil {
		return Passkey{}, notFound("store: passkey by id", err)
	}
	return p, nil
}

// UpdatePasskeyCounter stores the authenticator's new signature counter.
func (db *DB) UpdatePasskeyCounter(ctx context.Context, id string, counter int64) error {
	res, err := db.db.ExecContext(ctx, `UPDATE "passkey" SET "counter" = $2 WHERE "id" = $1`, id, counter)
	return passkeyChanged("store: update passkey counter", res, err)
}

// RenamePasskey sets a passkey's name and returns the updated row.
func (db *DB) RenamePasskey(ctx context.Context, id, name string) (Passkey, error) {
	var p Passkey
	err := db.db.GetContext(ctx, &p, `UPDATE "passkey" SET "name" = $2 WHERE "id" = $1
		RETURNING `+passkeyColumns, id, name)
	if err != nil {
		return Passkey{}, notFound("store: rename passkey", err)
	}
	return p, nil
}

// DeletePasskey deletes one passkey.
func (db *DB) DeletePasskey(ctx context.Context, id string) error {
	res, err := db.db.ExecContext(ctx, `DELETE FROM "passkey" WHERE "id" = $1`, id)
	return passkeyChanged("store: delete passkey", res, err)
}

// passkeyChanged turns a write that matched no row into ErrNotFound.
func passkeyChanged(op string, res sql.Result, err error) error {
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%s: %w", op, ErrNotFound)
	}
	return nil
}
