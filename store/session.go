package store

import (
	"context"
	"time"
)

// Session is a row of "session". Token is the raw token BetterAuth stores.
type Session struct {
	ID        string    `db:"id"`
	UserID    string    `db:"userId"`
	Token     string    `db:"token"`
	ExpiresAt time.Time `db:"expiresAt"`
	IPAddress *string   `db:"ipAddress"`
	UserAgent *string   `db:"userAgent"`
	CreatedAt time.Time `db:"createdAt"`
	UpdatedAt time.Time `db:"updatedAt"`
}

// SessionUser is a session with the user it belongs to.
type SessionUser struct {
	Session Session `db:"s"`
	User    User    `db:"u"`
}

// SessionByToken loads the session whose token column equals token (never by
// id), with its user. Expired sessions are returned too: liveness is the
// caller's rule, because get-session must see them to delete them.
func (db *DB) SessionByToken(ctx context.Context, token string) (SessionUser, error) {
	var su SessionUser
	err := db.db.GetContext(ctx, &su, `
		SELECT s."id" "s.id", s."userId" "s.userId", s."token" "s.token", s."expiresAt" "s.expiresAt",
		       s."ipAddress" "s.ipAddress", s."userAgent" "s.userAgent", s."createdAt" "s.createdAt",
		       s."updatedAt" "s.updatedAt",
		       u."id" "u.id", u."name" "u.name", u."email" "u.email", u."emailVerified" "u.emailVerified",
		       u."image" "u.image", u."phoneNumber" "u.phoneNumber", u."gender" "u.gender",
		       u."status" "u.status", u."isAnonymous" "u.isAnonymous", u."role" "u.role",
		       u."createdAt" "u.createdAt", u."updatedAt" "u.updatedAt"
		FROM "session" s JOIN "user" u ON u."id" = s."userId"
		WHERE s."token" = $1`, token)
	if err != nil {
		return SessionUser{}, notFound("store: session by token", err)
	}
	return su, nil
}
