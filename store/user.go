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

// fields are u's fields in userColumns' order, for a hand-written Scan.
func (u *User) fields() []any {
	return []any{&u.ID, &u.Name, &u.Email, &u.EmailVerified, &u.Image, &u.PhoneNumber,
		&u.Gender, &u.Status, &u.IsAnonymous, &u.Role, &u.CreatedAt, &u.UpdatedAt}
}

// UserByID loads one user.
func (db *DB) UserByID(ctx context.Context, id string) (User, error) {
	var u User
	err := db.db.GetContext(ctx, &u, `SELECT `+userColumns+` FROM "user" u WHERE u."id" = $1`, id)
	if err != nil {
		return User{}, notFound("store: user by id", err)
	}
	return u, nil
}

// errUserWithBlockedNotFound is made once: every new guest's handshake
// gets it, and formatting it each time was a percent of the connect path.
var errUserWithBlockedNotFound = fmt.Errorf("store: user with blocked: %w", ErrNotFound)

// UserWithBlocked loads one user and, in the same query, the users it
// blocked, oldest block first (what a guest's handshake and first join
// need).
func (db *DB) UserWithBlocked(ctx context.Context, id string) (User, []string, error) {
	if db.batches.users != nil {
		r, err := db.batches.users.do(ctx, id)
		if err == nil && !r.found {
			err = errUserWithBlockedNotFound
		}
		return r.user, r.blocked, err
	}
	return db.userWithBlocked(ctx, id)
}

// userWithBlocked is UserWithBlocked in a statement of its own.
func (db *DB) userWithBlocked(ctx context.Context, id string) (User, []string, error) {
	var rows []userBlockedRow
	err := db.hotSelect(ctx, &rows, `
		SELECT `+userColumns+`, b."blockedId" FROM "user" u
		LEFT JOIN "BlockedUser" b ON b."userId" = u."id"
		WHERE u."id" = $1 ORDER BY b."createdAt", b."id"`, id)
	if err != nil {
		return User{}, nil, fmt.Errorf("store: user with blocked: %w", err)
	}
	u := foldUsers(rows)[id]
	if u == nil {
		return User{}, nil, fmt.Errorf("store: user with blocked: %w", ErrNotFound)
	}
	return u.user, u.blocked, nil
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

// updateProfile sets the columns of a UserProfile; profileArgs gives its
// arguments ($1 the id, $10 updatedAt).
const updateProfile = `
	UPDATE "user" SET
	  "name"   = CASE WHEN $2 THEN $3 ELSE "name" END,
	  "image"  = CASE WHEN $4 THEN $5 ELSE "image" END,
	  "gender" = CASE WHEN $6 THEN $7 ELSE "gender" END,
	  "status" = CASE WHEN $8 THEN $9 ELSE "status" END,
	  "updatedAt" = $10
	`

func profileArgs(id string, p UserProfile, now time.Time) []any {
	return []any{id, p.Name != nil, deref(p.Name), p.Image != nil, derefNull(p.Image),
		p.Gender != nil, deref(p.Gender), p.Status != nil, derefNull(p.Status), now}
}

// UpdateUserProfile applies p to the user and bumps updatedAt.
func (db *DB) UpdateUserProfile(ctx context.Context, id string, p UserProfile) error {
	res, err := db.db.ExecContext(ctx, updateProfile+`WHERE "id" = $1`, profileArgs(id, p, db.Now())...)
	if err != nil {
		return fmt.Errorf("store: update user profile: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: update user profile: %w", ErrNotFound)
	}
	return nil
}

// SaveProfile is UpdateUserProfile that writes only when p changes
// something: an unchanged profile keeps its row (and updatedAt) as it is.
// An unknown user is ErrNotFound.
func (db *DB) SaveProfile(ctx context.Context, id string, p UserProfile) error {
	res, err := db.hotExec(ctx, updateProfile+`
		WHERE "id" = $1 AND (($2 AND "name" IS DISTINCT FROM $3) OR ($4 AND "image" IS DISTINCT FROM $5)
		   OR ($6 AND "gender" IS DISTINCT FROM $7) OR ($8 AND "status" IS DISTINCT FROM $9))`,
		profileArgs(id, p, db.Now())...)
	if err != nil {
		return fmt.Errorf("store: save profile: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if _, err := db.UserByID(ctx, id); err != nil {
			return fmt.Errorf("store: save profile: %w", err)
		}
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
