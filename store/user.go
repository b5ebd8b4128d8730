package store

import (
	"context"
	"database/sql"
	"time"
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
