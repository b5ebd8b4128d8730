package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"chatd"
)

// Guest is what the chat writes about a guest (an anonymous user): its
// profile, and for a row that does not exist yet its timestamps.
type Guest struct {
	ID     string
	Name   string
	Status sql.NullString
	Image  *sql.NullString // nil: leave the stored image (NULL in a new row)
	// CreatedAt is when the guest came to be (its first connect); UpdatedAt
	// the time of this write. A guest whose row was written by a join has
	// UpdatedAt after CreatedAt, which keeps it from SweepGuests.
	CreatedAt time.Time
	UpdatedAt time.Time
	// Touch writes UpdatedAt even when the profile is unchanged.
	Touch bool
	// OnlyCreate makes the row when it is missing and changes nothing when
	// it exists.
	OnlyCreate bool
	// New says the id was made for this guest moments ago (a new guest's
	// first join), so no row is expected to hold it: in a batch (PostgreSQL)
	// the row is inserted without ON CONFLICT, whose speculative insertion
	// was 40 % of a guest row's cost to PostgreSQL (pgbench, 8 rows a
	// statement: 0.43 ms with it, 0.24 ms without). Should a row hold the id
	// after all (the guest's second socket joined first), the batch is
	// written again as the upsert it would have been without New.
	New bool
}

// plainInsert reports whether g's row is inserted without a conflict check
// (New; OnlyCreate keeps its own rule).
func (g Guest) plainInsert() bool { return g.New && !g.OnlyCreate }

// SaveGuest creates the guest's row, or updates the profile of the
// anonymous user with that id when it exists and differs (or g.Touch). A
// registered user with that id is never changed.
//
// It does not wait for the disk: the write commits with synchronous_commit
// off, so a new guest's join costs one round trip and no WAL flush (the
// flush, 1–50 ms on a busy disk, was most of a guest's connect). What a
// crash of PostgreSQL can lose is only the guest rows and profiles of the
// last few hundred milliseconds (wal_writer_delay × 3), and nothing that
// refers to them: every later write naming the guest (a message, a block,
// a report) commits synchronously, and a synchronous commit flushes the WAL
// up to itself, this row included. A guest whose row was lost is resumed
// by its signed id (chat/guests.go) and written again at its next join.
func (db *DB) SaveGuest(ctx context.Context, g Guest) error {
	if db.batches.guests != nil {
		_, err := db.batches.guests.do(ctx, g)
		return err
	}
	return db.saveGuest(ctx, g)
}

// saveGuest is SaveGuest in a statement of its own.
func (db *DB) saveGuest(ctx context.Context, g Guest) error {
	args := []any{g.ID, g.Name, g.Status, derefNull(g.Image), chatd.DBTime(g.CreatedAt), chatd.DBTime(g.UpdatedAt),
		g.Image != nil, g.Touch}
	_, err := db.hotExec(ctx, `
		INSERT INTO "user" ("id", "name", "status", "image", "isAnonymous", "role", "createdAt", "updatedAt")
		VALUES ($1, $2, $3, $4, `+db.dialect.lazyTrue+`, 'USER', $5, $6)
		ON CONFLICT ("id") `+guestConflict(g), args[:guestArgs(g)]...)
	if err != nil {
		return fmt.Errorf("store: save guest: %w", err)
	}
	return nil
}

// guestUpdate is a guest write's conflict rule, its arguments 1–6 the row
// and 7–8 whether the image is written and whether updatedAt is (Touch):
// the profile of an anonymous user is updated when it differs or Touch.
const guestUpdate = `DO UPDATE SET "name" = EXCLUDED."name", "status" = EXCLUDED."status",
		  "image" = CASE WHEN $7 THEN EXCLUDED."image" ELSE "user"."image" END,
		  "updatedAt" = EXCLUDED."updatedAt"
		WHERE "user"."isAnonymous" AND ($8
		   OR "user"."name" IS DISTINCT FROM EXCLUDED."name"
		   OR "user"."status" IS DISTINCT FROM EXCLUDED."status"
		   OR ($7 AND "user"."image" IS DISTINCT FROM EXCLUDED."image"))`

// guestConflict is the conflict rule of g's write: OnlyCreate leaves an
// existing row alone.
func guestConflict(g Guest) string {
	if g.OnlyCreate {
		return `DO NOTHING`
	}
	return guestUpdate
}

// guestArgs is how many of the eight arguments g's write passes: the
// conflict rule of OnlyCreate names only the row's six.
func guestArgs(g Guest) int {
	if g.OnlyCreate {
		return 6
	}
	return 8
}

// SweepGuests deletes up to limit guests created before createdBefore that
// never joined nor wrote anything, and returns how many went. Such a guest
// is an anonymous user whose row no join ever wrote (updatedAt still equals
// createdAt: the chat creates guest rows at the first join or write, and
// every join of older versions wrote the profile) and whom no row anywhere
// names: no message sent, received or attributed, no block either way, no
// report either way, no hidden conversation either side, no session,
// account, passkey, biometric token, membership or feedback.
func (db *DB) SweepGuests(ctx context.Context, createdBefore time.Time, limit int) (int, error) {
	res, err := db.db.ExecContext(ctx, `
		DELETE FROM "user" WHERE "id" IN (
		  SELECT u."id" FROM "user" u
		  WHERE u."isAnonymous" AND u."createdAt" < $1 AND u."updatedAt" = u."createdAt"
		    AND NOT EXISTS (SELECT 1 FROM "Message" m WHERE m."senderId" = u."id")
		    AND NOT EXISTS (SELECT 1 FROM "Message" m WHERE m."recipientId" = u."id")
		    AND NOT EXISTS (SELECT 1 FROM "Message" m WHERE m."userId" = u."id")
		    AND NOT EXISTS (SELECT 1 FROM "BlockedUser" b WHERE b."userId" = u."id" OR b."blockedId" = u."id")
		    AND NOT EXISTS (SELECT 1 FROM "Report" r WHERE r."reporterId" = u."id" OR r."accusedId" = u."id")
		    AND NOT EXISTS (SELECT 1 FROM "HiddenConversation" h WHERE h."userId" = u."id" OR h."peerId" = u."id")
		    AND NOT EXISTS (SELECT 1 FROM "session" s WHERE s."userId" = u."id")
		    AND NOT EXISTS (SELECT 1 FROM "account" a WHERE a."userId" = u."id")
		    AND NOT EXISTS (SELECT 1 FROM "passkey" p WHERE p."userId" = u."id")
		    AND NOT EXISTS (SELECT 1 FROM "BiometricToken" t WHERE t."userId" = u."id")
		    AND NOT EXISTS (SELECT 1 FROM "TenantMember" tm WHERE tm."userId" = u."id")
		    AND NOT EXISTS (SELECT 1 FROM "Feedback" f WHERE f."userId" = u."id")
		  ORDER BY u."createdAt"
		  LIMIT $2)`, chatd.DBTime(createdBefore), limit)
	if err != nil {
		return 0, fmt.Errorf("store: sweep guests: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("store: sweep guests: %w", err)
	}
	return int(n), nil
}
