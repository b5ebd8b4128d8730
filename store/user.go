package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"chatd"
)

// User is a row of "user", BetterAuth's table with the product's extra columns.
type User struct {
	ID            string         `db:"id"`
	Name          sql.NullString `db:"name"`
	Email         sql.NullString `db:"email"`
	EmailVerified sql.NullBool   `db:"emailVerified"`
	Image         sql.NullString `db:"image"`
	PhoneNumber   sql.NullString `db:"phoneNumber"`
	Gender        sql.NullString `db:"gender"`
	Status        sql.NullString `db:"status"`
	IsAnonymous   bool           `db:"isAnonymous"`
	Role          string         `db:"role"`
	CreatedAt     time.Time      `db:"createdAt"`
	UpdatedAt     time.Time      `db:"updatedAt"`
}

// userColumns lists every column of "user", for SELECTs that fill a User.
const userColumns = `u."id", u."name", u."email", u."emailVerified", u."image", u."phoneNumber",
	u."gender", u."status", u."isAnonymous", u."role", u."createdAt", u."updatedAt"`

// UserByID loads one user.
func (db *DB) UserByID(ctx context.Context, id string) (User, error) {
	var u User
	err := db.db.GetContext(ctx, &u, `SELECT `+userColumns+` FROM "user" u WHERE u."id" = $1`, id)
	if err != nil {
		return User{}, notFound("store: user by id", err)
	}
	return u, nil
}

// CreateUserTx inserts u inside tx (a login creates the user and its first
// session together). A taken email is ErrConflict.
func CreateUserTx(ctx context.Context, tx *sqlx.Tx, u User) error {
	_, err := tx.ExecContext(ctx, `
		INSERT INTO "user" ("id", "name", "email", "emailVerified", "image", "phoneNumber", "gender", "status",
		                    "isAnonymous", "role", "createdAt", "updatedAt")
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		u.ID, u.Name, u.Email, u.EmailVerified, u.Image, u.PhoneNumber, u.Gender, u.Status,
		u.IsAnonymous, u.Role, chatd.DBTime(u.CreatedAt), chatd.DBTime(u.UpdatedAt))
	if err != nil {
		return writeErr("store: create user", err)
	}
	return nil
}

// UserByEmail loads the user with this email (stored lower-cased by sign-up).
func (db *DB) UserByEmail(ctx context.Context, email string) (User, error) {
	var u User
	err := db.db.GetContext(ctx, &u, `SELECT `+userColumns+` FROM "user" u WHERE u."email" = $1`, email)
	if err != nil {
		return User{}, notFound("store: user by email", err)
	}
	return u, nil
}

// UserProfile is what a user may change about themselves (update-user); a
// nil field is left as it is.
type UserProfile struct {
	Name   *string
	Image  *sql.NullString
	Gender *string
	Status *sql.NullString
}

// UpdateUserProfile applies p to the user and bumps updatedAt.
func (db *DB) UpdateUserProfile(ctx context.Context, id string, p UserProfile) error {
	res, err := db.db.ExecContext(ctx, `
		UPDATE "user" SET
		  "name"   = CASE WHEN $2 THEN $3 ELSE "name" END,
		  "image"  = CASE WHEN $4 THEN $5 ELSE "image" END,
		  "gender" = CASE WHEN $6 THEN $7 ELSE "gender" END,
		  "status" = CASE WHEN $8 THEN $9 ELSE "status" END,
		  "updatedAt" = $10
		WHERE "id" = $1`,
		id, p.Name != nil, deref(p.Name), p.Image != nil, derefNull(p.Image),
		p.Gender != nil, deref(p.Gender), p.Status != nil, derefNull(p.Status), db.Now())
	if err != nil {
		return fmt.Errorf("store: update user profile: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: update user profile: %w", ErrNotFound)
	}
	return nil
}

func deref(s *string) sql.NullString {
	if s == nil {
		return sql.NullString{}
	}
	return sql.NullString{String: *s, Valid: true}
}

func derefNull(s *sql.NullString) sql.NullString {
	if s == nil {
		return sql.NullString{}
	}
	return *s
}

// DeleteUser deletes a user in one statement; the foreign keys cascade to
// sessions, accounts, passkeys and memberships and null Message.userId.
func (db *DB) DeleteUser(ctx context.Context, id string) error {
	res, err := db.db.ExecContext(ctx, `DELETE FROM "user" WHERE "id" = $1`, id)
	if err != nil {
		return fmt.Errorf("store: delete user: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: delete user: %w", ErrNotFound)
	}
	return nil
}

// CreateAnonymousUser inserts a guest of the chat (isAnonymous, no e-mail)
// named name, with createdAt = updatedAt = the store's time.
func (db *DB) CreateAnonymousUser(ctx context.Context, id, name string) (User, error) {
	now := db.Now()
	u := User{ID: id, Name: sql.NullString{String: name, Valid: true}, IsAnonymous: true, Role: "USER",
		CreatedAt: now, UpdatedAt: now}
	_, err := db.db.ExecContext(ctx, `
		INSERT INTO "user" ("id", "name", "isAnonymous", "role", "createdAt", "updatedAt")
		VALUES ($1, $2, true, 'USER', $3, $4)`, u.ID, u.Name, u.CreatedAt, u.UpdatedAt)
	if err != nil {
		return User{}, writeErr("store: create anonymous user", err)
	}
	return u, nil
}
