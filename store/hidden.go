package store

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// HideConversation hides the private conversation with peerID from userID's
// list in one tenant, or refreshes hiddenAt when it is hidden already (the
// list shows only messages newer than hiddenAt).
func (db *DB) HideConversation(ctx context.Context, userID, peerID, tenantID string) error {
	_, err := db.db.ExecContext(ctx, `
		INSERT INTO "HiddenConversation" ("id", "userId", "peerId", "tenantId", "hiddenAt")
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT ("userId", "peerId", "tenantId") DO UPDATE SET "hiddenAt" = EXCLUDED."hiddenAt"`,
		NewUUID(), userID, peerID, tenantID, db.Now())
	if err != nil {
		return writeErr("store: hide conversation", err)
	}
	return nil
}

// HiddenPeerIDs lists the peers whose conversation userID hid in a tenant.
func (db *DB) HiddenPeerIDs(ctx context.Context, userID, tenantID string) ([]string, error) {
	ids := []string{}
	err := db.db.SelectContext(ctx, &ids, `
		SELECT "peerId" FROM "HiddenConversation" WHERE "userId" = $1 AND "tenantId" = $2
		ORDER BY "peerId"`, userID, tenantID)
	if err != nil {
		return nil, fmt.Errorf("store: hidden peer ids: %w", err)
	}
	return ids, nil
}

// unhideConversation shows the conversation between a and b again on both
// sides: a new private message reopens it.
func unhideConversation(ctx context.Context, ex sqlx.ExecerContext, tenantID, a, b string) error {
	_, err := ex.ExecContext(ctx, `
		DELETE FROM "HiddenConversation"
		WHERE "tenantId" = $1 AND (("userId" = $2 AND "peerId" = $3) OR ("userId" = $3 AND "peerId" = $2))`,
		tenantID, a, b)
	if err != nil {
		return fmt.Errorf("store: unhide conversation: %w", err)
	}
	return nil
}
