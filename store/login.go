package store

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"chatd"
)

// Queries of the phone, passkey and social logins: single-use verification
// rows and the user lookups and creations those logins need.

// ReplaceVerifications deletes every row for v.Identifier and inserts v, in
// one transaction: one live OTP per phone.
func (db *DB) ReplaceVerifications(ctx context.Context, v Verification) error {
	return db.InTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM "verification" WHERE "identifier" = $1`, v.Identifier); err != nil {
			return fmt.Errorf("store: replace verifications: %w", err)
		}
		_, err := tx.ExecContext(ctx, `
			INSERT INTO "verification" ("id", "identifier", "value", "expiresAt", "createdAt", "updatedAt")
			VALUES ($1, $2, $3, $4, $5, $6)`, v.ID, v.Identifier, v.Value,
			chatd.DBTime(v.ExpiresAt), chatd.DBTime(v.CreatedAt), chatd.DBTime(v.UpdatedAt))
		if err != nil {
			return writeErr("store: replace verifications", err)
		}
		return nil
	})
}

// SwapVerificationValue sets a row's value only if it still holds old (a
// compare-and-swap), so concurrent writers cannot overwrite each other's
// attempt counts. It reports whether the row was changed.
func (db *DB) SwapVerificationValue(ctx context.Context, id, old, new string) (bool, error) {
	res, err := db.db.ExecContext(ctx, `UPDATE "verification" SET "value" = $3, "updatedAt" = $4
		WHERE "id" = $1 AND "value" = $2`, id, old, new, db.Now())
	if err != nil {
		return false, fmt.Errorf("store: swap verification value: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// ConsumeVerification deletes a row and reports whether this call deleted
// it: of two requests using the same code or challenge, only one wins.
func (db *DB) ConsumeVerification(ctx context.Context, id string) (bool, error) {
	res, err := db.db.ExecContext(ctx, `DELETE FROM "verification" WHERE "id" = $1`, id)
	if err != nil {
		return false, fmt.Errorf("store: consume verification: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// UserByPhone loads the oldest user with this phone number.
func (db *DB) UserByPhone(ctx context.Context, phone string) (User, error) {
	var u User
	err := db.db.GetContext(ctx, &u, `SELECT `+userColumns+` FROM "user" u
		WHERE u."phoneNumber" = $1 ORDER BY u."createdAt" ASC, u."id" ASC LIMIT 1`, phone)
	if err != nil {
		return User{}, notFound("store: user by phone", err)
	}
	return u, nil
}

// UserByEmailFold loads the user whose email equals email ignoring case
// (social logins compare provider emails that way); the oldest wins.
func (db *DB) UserByEmailFold(ctx context.Context, email string) (User, error) {
	var u User
	err := db.db.GetContext(ctx, &u, `SELECT `+userColumns+` FROM "user" u
		WHERE lower(u."email") = lower($1) ORDER BY u."createdAt" ASC, u."id" ASC LIMIT 1`, email)
	if err != nil {
		return User{}, notFound("store: user by email", err)
	}
	return u, nil
}

// CreateUser inserts u.
func (db *DB) CreateUser(ctx context.Context, u User) error {
	return db.InTx(ctx, func(tx *sqlx.Tx) error { return CreateUserTx(ctx, tx, u) })
}

// CreateUserWithAccount inserts a user and its first account together.
func (db *DB) CreateUserWithAccount(ctx context.Context, u User, a Account) error {
	return db.InTx(ctx, func(tx *sqlx.Tx) error {
		if err := CreateUserTx(ctx, tx, u); err != nil {
			return err
		}
		return CreateAccountTx(ctx, tx, a)
	})
}

// CreateAccount inserts a (linking a provider to an existing user).
func (db *DB) CreateAccount(ctx context.Context, a Account) error {
	return db.InTx(ctx, func(tx *sqlx.Tx) error { return CreateAccountTx(ctx, tx, a) })
}

// SetUserImageIfEmpty sets the user's image only when it has none.
func (db *DB) SetUserImageIfEmpty(ctx context.Context, userID, image string) error {
	_, err := db.db.ExecContext(ctx, `UPDATE "user" SET "image" = $2, "updatedAt" = $3
		WHERE "id" = $1 AND ("image" IS NULL OR "image" = '')`, userID, image, db.Now())
	if err != nil {
		return fmt.Errorf("store: set user image: %w", err)
	}
	return nil
}
