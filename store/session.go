package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"chatd"
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

// sessionUserSelect is the select list that fills a SessionUser from
// "session" s joined to "user" u.
const sessionUserSelect = `
		SELECT s."id" "s.id", s."userId" "s.userId", s."token" "s.token", s."expiresAt" "s.expiresAt",
		       s."ipAddress" "s.ipAddress", s."userAgent" "s.userAgent", s."createdAt" "s.createdAt",
		       s."updatedAt" "s.updatedAt",
		       u."id" "u.id", u."name" "u.name", u."email" "u.email", u."emailVerified" "u.emailVerified",
		       u."image" "u.image", u."phoneNumber" "u.phoneNumber", u."gender" "u.gender",
		       u."status" "u.status", u."isAnonymous" "u.isAnonymous", u."role" "u.role",
		       u."createdAt" "u.createdAt", u."updatedAt" "u.updatedAt"`

// fields are s's fields in sessionUserSelect's order, for a hand-written
// Scan (the user's follow: User.fields).
func (s *Session) fields() []any {
	return []any{&s.ID, &s.UserID, &s.Token, &s.ExpiresAt, &s.IPAddress, &s.UserAgent, &s.CreatedAt, &s.UpdatedAt}
}

// SessionByToken loads the session whose token column equals token (never by
// id), with its user. Expired sessions are returned too: liveness is the
// caller's rule, because get-session must see them to delete them.
func (db *DB) SessionByToken(ctx context.Context, token string) (SessionUser, error) {
	var su SessionUser
	err := db.hotGet(ctx, &su, sessionUserSelect+`
		FROM "session" s JOIN "user" u ON u."id" = s."userId"
		WHERE s."token" = $1`, token)
	if err != nil {
		return SessionUser{}, notFound("store: session by token", err)
	}
	return su, nil
}

// execer is what single-statement writes need: the pool or a transaction,
// so a login can create its user and session in one transaction.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// CreateSession inserts s as BetterAuth would: every column written, times
// in UTC milliseconds, no reliance on defaults.
func (db *DB) CreateSession(ctx context.Context, s Session) error {
	return insertSession(ctx, db.db, s)
}

// CreateSessionTx is CreateSession inside tx.
func CreateSessionTx(ctx context.Context, tx *sqlx.Tx, s Session) error {
	return insertSession(ctx, tx, s)
}

func insertSession(ctx context.Context, q execer, s Session) error {
	_, err := q.ExecContext(ctx, `
		INSERT INTO "session" ("id", "userId", "token", "expiresAt", "ipAddress", "userAgent", "createdAt", "updatedAt")
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		s.ID, s.UserID, s.Token, chatd.DBTime(s.ExpiresAt), s.IPAddress, s.UserAgent,
		chatd.DBTime(s.CreatedAt), chatd.DBTime(s.UpdatedAt))
	if err != nil {
		return writeErr("store: create session", err)
	}
	return nil
}

// RefreshSession moves a session's expiry (get-session's daily refresh).
func (db *DB) RefreshSession(ctx context.Context, token string, expiresAt, updatedAt time.Time) error {
	res, err := db.db.ExecContext(ctx, `UPDATE "session" SET "expiresAt" = $2, "updatedAt" = $3 WHERE "token" = $1`,
		token, chatd.DBTime(expiresAt), chatd.DBTime(updatedAt))
	if err != nil {
		return fmt.Errorf("store: refresh session: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: refresh session: %w", ErrNotFound)
	}
	return nil
}

// DeleteSessionByToken deletes the session with this token, expired or not.
// A missing row is not an error: sign-out is idempotent.
func (db *DB) DeleteSessionByToken(ctx context.Context, token string) error {
	if _, err := db.db.ExecContext(ctx, `DELETE FROM "session" WHERE "token" = $1`, token); err != nil {
		return fmt.Errorf("store: delete session: %w", err)
	}
	return nil
}

// DeleteSessionsByUser deletes every session of a user.
func (db *DB) DeleteSessionsByUser(ctx context.Context, userID string) error {
	if _, err := db.db.ExecContext(ctx, `DELETE FROM "session" WHERE "userId" = $1`, userID); err != nil {
		return fmt.Errorf("store: delete sessions of user: %w", err)
	}
	return nil
}

// SessionConnect is SessionByToken with ConnectState in the same query, so
// that a socket authenticating with a session costs one round trip: the
// session and its user, the rooms of every tenant where the user is a
// member, and whom the user blocked (both ordered as ConnectState orders
// them). One row comes back per room and per blocked user, each repeating
// the session and user, or one row when there is neither. Each branch finds
// its user through the token's index (a join on the outer user would scan
// every membership and room first).
func (db *DB) SessionConnect(ctx context.Context, token string) (SessionUser, ConnectInfo, error) {
	if db.batches.sessions != nil {
		r, err := db.batches.sessions.do(ctx, token)
		if err == nil && !r.found {
			err = fmt.Errorf("store: session connect: %w", ErrNotFound)
		}
		return r.su, r.info, err
	}
	return db.sessionConnect(ctx, token)
}

// sessionConnect is SessionConnect in a statement of its own.
func (db *DB) sessionConnect(ctx context.Context, token string) (SessionUser, ConnectInfo, error) {
	var rows []sessionConnectRow
	err := db.hotSelect(ctx, &rows, sessionUserSelect+`,
		       x."kind" "kind", x."id" "xid"
		FROM "session" s JOIN "user" u ON u."id" = s."userId"
		LEFT JOIN (
		  SELECT 0 AS "kind", r."id" AS "id", r."tenantId" AS "k1", r."createdAt" AS "k2", r."id" AS "k3"
		  FROM "Room" r JOIN "TenantMember" m ON m."tenantId" = r."tenantId"
		  WHERE m."userId" = (SELECT "userId" FROM "session" WHERE "token" = $1)
		  UNION ALL
		  SELECT 1, b."blockedId", '', b."createdAt", b."id" FROM "BlockedUser" b
		  WHERE b."userId" = (SELECT "userId" FROM "session" WHERE "token" = $1)
		) x ON 1 = 1
		WHERE s."token" = $1
		ORDER BY x."kind", x."k1", x."k2", x."k3"`, token)
	if err != nil {
		return SessionUser{}, ConnectInfo{}, fmt.Errorf("store: session connect: %w", err)
	}
	sc := foldSessions(rows)[token]
	if sc == nil {
		return SessionUser{}, ConnectInfo{}, fmt.Errorf("store: session connect: %w", ErrNotFound)
	}
	return sc.su, sc.info, nil
}
