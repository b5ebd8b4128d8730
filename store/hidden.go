package store

import (
	"context"
	"fmt"
	"strings"

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

// unhideConversations shows again, on both sides, the conversation of
// every stored private message among msgs: a new private message reopens
// it. One statement for the whole batch.
func unhideConversations(ctx context.Context, ex sqlx.ExecerContext, msgs []Message, stored map[string]bool) error {
	var b strings.Builder
	var args []any
	for _, m := range msgs {
		if !m.RecipientID.Valid || !stored[m.ID] {
			continue
		}
		if len(args) > 0 {
			b.WriteString(" OR ")
		}
		n := len(args)
		fmt.Fprintf(&b, `("tenantId" = $%d AND (("userId" = $%d AND "peerId" = $%d) OR ("userId" = $%d AND "peerId" = $%d)))`,
			n+1, n+2, n+3, n+3, n+2)
		args = append(args, m.TenantID, m.SenderID, m.RecipientID.String)
	}
	if len(args) == 0 {
		return nil
	}
	if _, err := ex.ExecContext(ctx, `DELETE FROM "HiddenConversation" WHERE `+b.String(), args...); err != nil {
		return fmt.Errorf("store: unhide conversations: %w", err)
	}
	return nil
}
