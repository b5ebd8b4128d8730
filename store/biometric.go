package store

import (
	"context"
	"database/sql"
	"time"

	"chatd"
)

// BiometricToken is a row of "BiometricToken": a long-lived credential the
// native app keeps in the Keychain. Token holds "h1:"+hex(SHA-256) for rows
// chatd writes and the raw token for rows the old server wrote.
type BiometricToken struct {
	ID        string       `db:"id"`
	Token     string       `db:"token"`
	UserID    string       `db:"userId"`
	DeviceID  string       `db:"deviceId"`
	CreatedAt time.Time    `db:"createdAt"`
	ExpiresAt sql.NullTime `db:"expiresAt"`
}

// CreateBiometricToken inserts t.
func (db *DB) CreateBiometricToken(ctx context.Context, t BiometricToken) error {
	_, err := db.db.ExecContext(ctx, `
		INSERT INTO "BiometricToken" ("id", "token", "userId", "deviceId", "createdAt", "expiresAt")
		VALUES ($1, $2, $3, $4, $5, $6)`,
		t.ID, t.Token, t.UserID, t.DeviceID, chatd.DBTime(t.CreatedAt), nullDBTime(t.ExpiresAt))
	if err != nil {
		return writeErr("store: create biometric token", err)
	}
	return nil
}

// BiometricTokenByToken loads the row whose token column equals stored
// exactly (the hashed form).
func (db *DB) BiometricTokenByToken(ctx context.Context, stored string) (BiometricToken, error) {
	var t BiometricToken
	err := db.db.GetContext(ctx, &t, `SELECT "id", "token", "userId", "deviceId", "createdAt", "expiresAt"
		FROM "BiometricToken" WHERE "token" = $1`, stored)
	if err != nil {
		return BiometricToken{}, notFound("store: biometric token", err)
	}
	return t, nil
}

// LegacyBiometricToken loads a row the old server wrote with the raw token.
// A presented value that itself looks hashed never matches, so a leaked
// database row cannot be replayed as a token.
func (db *DB) LegacyBiometricToken(ctx context.Context, raw string) (BiometricToken, error) {
	var t BiometricToken
	err := db.db.GetContext(ctx, &t, `SELECT "id", "token", "userId", "deviceId", "createdAt", "expiresAt"
		FROM "BiometricToken" WHERE "token" = $1 AND "token" NOT LIKE 'h1:%'`, raw)
	if err != nil {
		return BiometricToken{}, notFound("store: legacy biometric token", err)
	}
	return t, nil
}
