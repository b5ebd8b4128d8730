package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/jmoiron/sqlx"

	"chatd"
)

// CredentialProvider is the providerId of an email-and-password account.
const CredentialProvider = "credential"

// Account is a row of "account": one login method of a user (a password, a
// social provider). BetterAuth writes accountId = user id for passwords.
type Account struct {
	ID                    string         `db:"id"`
	UserID                string         `db:"userId"`
	AccountID             string         `db:"accountId"`
	ProviderID            string         `db:"providerId"`
	AccessToken           sql.NullString `db:"accessToken"`
	RefreshToken          sql.NullString `db:"refreshToken"`
	AccessTokenExpiresAt  sql.NullTime   `db:"accessTokenExpiresAt"`
	RefreshTokenExpiresAt sql.NullTime   `db:"refreshTokenExpiresAt"`
	Scope                 sql.NullString `db:"scope"`
	IDToken               sql.NullString `db:"idToken"`
	Password              sql.NullString `db:"password"`
	CreatedAt             time.Time      `db:"createdAt"`
	UpdatedAt             time.Time      `db:"updatedAt"`
}

const accountColumns = `a."id", a."userId", a."accountId", a."providerId", a."accessToken", a."refreshToken",
	a."accessTokenExpiresAt", a."refreshTokenExpiresAt", a."scope", a."idToken", a."password",
	a."createdAt", a."updatedAt"`

// CreateAccountTx inserts a inside tx, with the user it belongs to.
func CreateAccountTx(ctx context.Context, tx *sqlx.Tx, a Account) error {
	_, err := tx.ExecContext(ctx, `
		INSERT INTO "account" ("id", "userId", "accountId", "providerId", "accessToken", "refreshToken",
		                       "accessTokenExpiresAt", "refreshTokenExpiresAt", "scope", "idToken", "password",
		                       "createdAt", "updatedAt")
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		a.ID, a.UserID, a.AccountID, a.ProviderID, a.AccessToken, a.RefreshToken,
		nullDBTime(a.AccessTokenExpiresAt), nullDBTime(a.RefreshTokenExpiresAt), a.Scope, a.IDToken, a.Password,
		chatd.DBTime(a.CreatedAt), chatd.DBTime(a.UpdatedAt))
	if err != nil {
		return writeErr("store: create account", err)
	}
	return nil
}

// AccountByProvider loads the user's account of one provider, e.g. the
// "credential" account that holds the password hash.
func (db *DB) AccountByProvider(ctx context.Context, userID, providerID string) (Account, error) {
	var a Account
	err := db.db.GetContext(ctx, &a, `SELECT `+accountColumns+` FROM "account" a
		WHERE a."userId" = $1 AND a."providerId" = $2 ORDER BY a."createdAt" LIMIT 1`, userID, providerID)
	if err != nil {
		return Account{}, notFound("store: account by provider", err)
	}
	return a, nil
}

// AccountByProviderAccount loads the account a provider knows as accountID
// (a social login's subject).
func (db *DB) AccountByProviderAccount(ctx context.Context, providerID, accountID string) (Account, error) {
	var a Account
	err := db.db.GetContext(ctx, &a, `SELECT `+accountColumns+` FROM "account" a
		WHERE a."providerId" = $1 AND a."accountId" = $2 ORDER BY a."createdAt" LIMIT 1`, providerID, accountID)
	if err != nil {
		return Account{}, notFound("store: account by provider account", err)
	}
	return a, nil
}

func nullDBTime(t sql.NullTime) sql.NullTime {
	if t.Valid {
		t.Time = chatd.DBTime(t.Time)
	}
	return t
}
