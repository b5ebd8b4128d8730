package store

import (
	"context"
	"fmt"
)

// SetUserImage points a user's avatar at image, stamping updatedAt. It lives
// apart from user.go because only the avatar upload writes it.
func (db *DB) SetUserImage(ctx context.Context, userID, image string) error {
	res, err := db.db.ExecContext(ctx, `UPDATE "user" SET "image" = $2, "updatedAt" = $3 WHERE "id" = $1`,
		userID, image, db.Now())
	if err != nil {
		return fmt.Errorf("store: set user image: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: set user image: %w", ErrNotFound)
	}
	return nil
}
