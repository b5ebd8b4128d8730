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
// The batched reads are planned at every run, not prepared: a prepared
// statement's generic plan is made once, from the table's size then, and a
// "user" table that was small when chatd started (a fresh venue) kept being
// read whole for every batch as it grew (measured: 13,000 rows read per
// batch, PostgreSQL's CPU the connect path's limit). Planned each time, the
// lookup uses the primary key whatever the size.
func (db *DB) usersWithBlocked(ctx context.Context, ids []string) ([]batchResult[userWithBlocked], error) {
	var rows []userBlockedRow
	err := db.db.SelectContext(ctx, &rows, `
		SELECT `+userColumns+`, b."blockedId" FROM "user" u
		LEFT JOIN "BlockedUser" b ON b."userId" = u."id"
		WHERE u."id" = ANY($1) ORDER BY u."id", b."createdAt", b."id"`, pq.StringArray(ids))
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
func (db *DB) sessionsConnect(ctx context.Context, tokens []string) ([]batchResult[sessionConnect], error) {
	var rows []sessionConnectRow
	err := db.db.SelectContext(ctx, &rows, sessionUserSelect+`,
		       x."kind" "kind", x."id" "xid"
		FROM "session" s JOIN "user" u ON u."id" = s."userId"
		LEFT JOIN LATERAL (
		  SELECT 0 AS "kind", r."id" AS "id", r."tenantId" AS "k1", r."createdAt" AS "k2", r."id" AS "k3"
		  FROM "Room" r JOIN "TenantMember" m ON m."tenantId" = r."tenantId"
		  WHERE m."userId" = s."userId"
		  UNION ALL
		  SELECT 1, b."blockedId", '', b."createdAt", b."id" FROM "BlockedUser" b
		  WHERE b."userId" = s."userId"
		) x ON true
		WHERE s."token" = ANY($1)
		ORDER BY s."token", x."kind", x."k1", x."k2", x."k3"`, pq.StringArray(tokens))
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

// guestClass sorts guest writes by the conflict rule they need: one batch
// is one statement, whose rule is the same for every row.
func guestClass(g Guest) string {
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
	_, err := db.hotExec(ctx, `
		INSERT INTO "user" ("id", "name", "status", "image", "isAnonymous", "role", "createdAt", "updatedAt")
		SELECT v."id", v."name", v."status", v."image", `+db.dialect.lazyTrue+`, 'USER', v."c", v."u"
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamp(3)[], $6::timestamp(3)[])
		  AS v("id", "name", "status", "image", "c", "u")
		ON CONFLICT ("id") `+guestConflict(gs[0]), args[:guestArgs(gs[0])]...)
	if err != nil {
		return nil, fmt.Errorf("store: save guest: %w", err)
	}
	return make([]batchResult[struct{}], n), nil
}

// dbTimeText is a time as a TIMESTAMP(3) literal, in UTC as every column
// holds it.
func dbTimeText(t time.Time) string {
	return chatd.DBTime(t).UTC().Format("2006-01-02 15:04:05.000")
}
