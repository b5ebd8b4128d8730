package store

import (
	"context"
	"fmt"
)

// BlockUser records that userID blocked blockedID. Blocking twice is not an
// error. An unknown user is ErrNotFound.
func (db *DB) BlockUser(ctx context.Context, userID, blockedID string) error {
	_, err := db.db.ExecContext(ctx, `
		INSERT INTO "BlockedUser" ("id", "userId", "blockedId", "createdAt")
		VALUES ($1, $2, $3, $4)
		ON CONFLICT ("userId", "blockedId") DO NOTHING`,
		NewUUID(), userID, blockedID, db.Now())
	if isForeignKeyViolation(err) {
		return fmt.Errorf("store: block user: %w", ErrNotFound)
	} else if err != nil {
		return fmt.Errorf("store: block user: %w", err)
	}
	return nil
}

// UnblockUser removes the block, if any.
func (db *DB) UnblockUser(ctx context.Context, userID, blockedID string) error {
	_, err := db.db.ExecContext(ctx, `DELETE FROM "BlockedUser" WHERE "userId" = $1 AND "blockedId" = $2`,
		userID, blockedID)
	if err != nil {
		return fmt.Errorf("store: unblock user: %w", err)
	}
	return nil
}

// BlockedIDs lists the users userID blocked, oldest block first.
func (db *DB) BlockedIDs(ctx context.Context, userID string) ([]string, error) {
	ids := []string{}
	err := db.db.SelectContext(ctx, &ids, `
		SELECT "blockedId" FROM "BlockedUser" WHERE "userId" = $1 ORDER BY "createdAt", "id"`, userID)
	if err != nil {
		return nil, fmt.Errorf("store: blocked ids: %w", err)
	}
	return ids, nil
}

// BlockedEitherWay reports whether a blocked b or b blocked a: a private
// message between them is delivered to nobody.
func (db *DB) BlockedEitherWay(ctx context.Context, a, b string) (bool, error) {
	var blocked bool
	err := db.db.GetContext(ctx, &blocked, `
		SELECT EXISTS (SELECT 1 FROM "BlockedUser"
		               WHERE ("userId" = $1 AND "blockedId" = $2) OR ("userId" = $2 AND "blockedId" = $1))`,
		a, b)
	if err != nil {
		return false, fmt.Errorf("store: blocked either way: %w", err)
	}
	return blocked, nil
}
