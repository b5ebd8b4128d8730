package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/lib/pq"

	"chatd"
)

// connectBatches are the batchers of the statements every socket's connect
// and join run (batch.go). They exist on PostgreSQL only: SQLite is in
// the process, with no round trip to save, so there each call runs alone.
type connectBatches struct {
	users    *batcher[string, userWithBlocked] // UserWithBlocked
	sessions *batcher[string, sessionConnect]  // SessionConnect
	guests   *batcher[Guest, struct{}]         // SaveGuest
}

type userWithBlocked struct {
	found   bool
	user    User
	blocked []string
}

type sessionConnect struct {
	found bool
	su    SessionUser
	info  ConnectInfo
}

func newConnectBatches(db *DB) connectBatches {
	return connectBatches{
		users:    &batcher[string, userWithBlocked]{run: db.usersWithBlocked},
		sessions: &batcher[string, sessionConnect]{run: db.sessionsConnect},
		guests: &batcher[Guest, struct{}]{run: db.saveGuests,
			class: guestClass, key: func(g Guest) string { return g.ID }},
	}
}

// usersWithBlocked is UserWithBlocked for several ids in one query.
//
// The batched reads are written so that their plan does not depend on the
// tables' statistics, and are then prepared. Each user is looked up on its
// own through the primary key: the ids come as a set (unnest) and each row
// is read in a LATERAL subquery that LIMIT 1 keeps from being merged into a
// join; its blocks likewise through their index on "userId" (a LATERAL
// subquery that ORDER BY keeps apart). Written as a join with
// `"id" = ANY($1)`, the plan followed the statistics: a "user" table
// without fresh ones (a fresh venue's, growing by a guest a join) was read
// whole for every batch of ten ids or more, and a prepared statement's
// generic plan, made once, would have kept doing so as the table grew. So
// the query was planned at every run, and planning was two thirds of its
// cost (pgbench on the perf database: 0.42 ms a batch planned, 0.14 ms
// prepared).
func (db *DB) usersWithBlocked(ctx context.Context, ids []string) ([]batchResult[userWithBlocked], error) {
	rows, err := queryRows(ctx, db, func(r *userBlockedRow) []any { return append(r.User.fields(), &r.BlockedID) }, `
		SELECT `+userColumns+`, b."blockedId"
		FROM unnest($1::text[]) AS k("id")
		JOIN LATERAL (SELECT * FROM "user" u WHERE u."id" = k."id" LIMIT 1) u ON true
		LEFT JOIN LATERAL (
		  SELECT b."blockedId", b."createdAt", b."id" FROM "BlockedUser" b
		  WHERE b."userId" = u."id" ORDER BY b."createdAt", b."id"
		) b ON true
		ORDER BY u."id", b."createdAt", b."id"`, distinct(ids))
	if err != nil {
		return nil, fmt.Errorf("store: user with blocked: %w", err)
	}
	found := foldUsers(rows)
	res := make([]batchResult[userWithBlocked], len(ids))
	for i, id := range ids {
		if u := found[id]; u != nil {
			res[i].out = *u
		}
	}
	return res, nil
}

// userBlockedRow is a row of the user-with-blocks query: the user, and one
// user it blocked (NULL when none).
type userBlockedRow struct {
	User
	BlockedID sql.NullString `db:"blockedId"`
}

// foldUsers gathers rows ordered by user, then block, into each user with
// its blocked ids, oldest block first.
func foldUsers(rows []userBlockedRow) map[string]*userWithBlocked {
	found := map[string]*userWithBlocked{}
	for _, r := range rows {
		u := found[r.ID]
		if u == nil {
			u = &userWithBlocked{found: true, user: r.User, blocked: []string{}}
			found[r.ID] = u
		}
		if r.BlockedID.Valid {
			u.blocked = append(u.blocked, r.BlockedID.String)
		}
	}
	return found
}

// sessionConnectRow is a row of the session-connect query: the session
// and its user, and one staff room (kind 0) or blocked user (kind 1), or
// neither.
type sessionConnectRow struct {
	SessionUser
	Kind sql.NullInt64  `db:"kind"`
	ID   sql.NullString `db:"xid"`
}

// foldSessions gathers rows ordered by token, then kind, into each
// session with its rooms and blocked ids.
func foldSessions(rows []sessionConnectRow) map[string]*sessionConnect {
	found := map[string]*sessionConnect{}
	for _, r := range rows {
		sc := found[r.Session.Token]
		if sc == nil {
			sc = &sessionConnect{found: true, su: r.SessionUser, info: ConnectInfo{Rooms: []string{}, Blocked: []string{}}}
			found[r.Session.Token] = sc
		}
		switch {
		case !r.Kind.Valid:
		case r.Kind.Int64 == 0:
			sc.info.Rooms = append(sc.info.Rooms, r.ID.String)
		default:
			sc.info.Blocked = append(sc.info.Blocked, r.ID.String)
		}
	}
	return found
}

// sessionsConnect is SessionConnect for several tokens in one query: the
// rooms and blocks of each session's user are read beside it (LATERAL),
// each through its user's index.
//
// Each session, and its user, is looked up on its own through its unique
// index: the tokens come as a set (unnest) and each row is read in a
// LATERAL subquery that LIMIT 1 keeps from being merged into a join.
// Written as `"token" = ANY($1)`, the plan depended on the tables'
// statistics, and a "session" table of a few thousand rows (a venue's,
// where sessions come from phone logins) without fresh statistics was
// scanned and hashed whole, with "user", for every batch: 1 ms a batch on
// the perf database against 0.35 ms, and the connect path waits for it.
func (db *DB) sessionsConnect(ctx context.Context, tokens []string) ([]batchResult[sessionConnect], error) {
	rows, err := queryRows(ctx, db, func(r *sessionConnectRow) []any {
		return append(append(r.Session.fields(), r.User.fields()...), &r.Kind, &r.ID)
	}, sessionUserSelect+`,
		       x."kind" "kind", x."id" "xid"
		FROM unnest($1::text[]) AS k("token")
		JOIN LATERAL (SELECT * FROM "session" s WHERE s."token" = k."token" LIMIT 1) s ON true
		JOIN LATERAL (SELECT * FROM "user" u WHERE u."id" = s."userId" LIMIT 1) u ON true
		LEFT JOIN LATERAL (
		  SELECT 0 AS "kind", r."id" AS "id", r."tenantId" AS "k1", r."createdAt" AS "k2", r."id" AS "k3"
		  FROM "Room" r JOIN "TenantMember" m ON m."tenantId" = r."tenantId"
		  WHERE m."userId" = s."userId"
		  UNION ALL
		  SELECT 1, b."blockedId", '', b."createdAt", b."id" FROM "BlockedUser" b
		  WHERE b."userId" = s."userId"
		) x ON true
		ORDER BY s."token", x."kind", x."k1", x."k2", x."k3"`, distinct(tokens))
	if err != nil {
		return nil, fmt.Errorf("store: session connect: %w", err)
	}
	found := foldSessions(rows)
	res := make([]batchResult[sessionConnect], len(tokens))
	for i, t := range tokens {
		if sc := found[t]; sc != nil {
			res[i].out = *sc
		}
	}
	return res, nil
}

// distinct is keys without repeats, for a lookup by a set of keys: two
// calls in one batch may ask for the same key, and each key's rows must come
// once.
func distinct(keys []string) pq.StringArray {
	seen := make(map[string]struct{}, len(keys))
	out := make(pq.StringArray, 0, len(keys))
	for _, k := range keys {
		if _, dup := seen[k]; !dup {
			seen[k] = struct{}{}
			out = append(out, k)
		}
	}
	return out
}

// queryRows runs a hot query (prepared, prepared.go) and scans each row
// into the fields of a new T that fields lists, in the query's column
// order. The batched reads scan by hand: sqlx's mapping of columns to
// fields by reflection was a tenth of their CPU.
func queryRows[T any](ctx context.Context, db *DB, fields func(*T) []any, query string, args ...any) ([]T, error) {
	rows, err := db.hotQuery(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var t T
		if err := rows.Scan(fields(&t)...); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// guestClass sorts guest writes by the conflict rule they need: one batch
// is one statement, whose rule is the same for every row.
func guestClass(g Guest) string {
	if g.plainInsert() {
		return "new," + upsertClass(g)
	}
	return upsertClass(g)
}

// upsertClass is guestClass without New.
func upsertClass(g Guest) string {
	switch {
	case g.OnlyCreate:
		return "create"
	case g.Image != nil && g.Touch:
		return "image,touch"
	case g.Image != nil:
		return "image"
	case g.Touch:
		return "touch"
	}
	return "profile"
}

// saveGuests is SaveGuest for several guests of one class (guestClass) and
// distinct ids, in one statement: the rows come as arrays, so the
// statement's text, and its prepared plan, is the same for any count.
func (db *DB) saveGuests(ctx context.Context, gs []Guest) ([]batchResult[struct{}], error) {
	n := len(gs)
	ids, names := make(pq.StringArray, n), make(pq.StringArray, n)
	statuses, images := make([]sql.NullString, n), make([]sql.NullString, n)
	created, updated := make(pq.StringArray, n), make(pq.StringArray, n)
	for i, g := range gs {
		ids[i], names[i], statuses[i], images[i] = g.ID, g.Name, g.Status, derefNull(g.Image)
		created[i], updated[i] = dbTimeText(g.CreatedAt), dbTimeText(g.UpdatedAt)
	}
	args := []any{ids, names, pq.Array(statuses), pq.Array(images), created, updated, gs[0].Image != nil, gs[0].Touch}
	insert := `
		INSERT INTO "user" ("id", "name", "status", "image", "isAnonymous", "role", "createdAt", "updatedAt")
		SELECT v."id", v."name", v."status", v."image", ` + db.dialect.lazyTrue + `, 'USER', v."c", v."u"
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamp(3)[], $6::timestamp(3)[])
		  AS v("id", "name", "status", "image", "c", "u")`
	if gs[0].plainInsert() {
		_, err := db.hotExec(ctx, insert, args[:6]...)
		if err == nil {
			return make([]batchResult[struct{}], n), nil
		}
		if !isUniqueViolation(err) {
			return nil, fmt.Errorf("store: save guest: %w", err)
		}
	}
	if _, err := db.hotExec(ctx, insert+`
		ON CONFLICT ("id") `+guestConflict(gs[0]), args[:guestArgs(gs[0])]...); err != nil {
		return nil, fmt.Errorf("store: save guest: %w", err)
	}
	return make([]batchResult[struct{}], n), nil
}

// dbTimeText is a time as a TIMESTAMP(3) literal, in UTC as every column
// holds it.
func dbTimeText(t time.Time) string {
	return chatd.DBTime(t).UTC().Format("2006-01-02 15:04:05.000")
}
