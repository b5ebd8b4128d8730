package store

import (
	"context"
	"fmt"
	"time"
)

const historyColumns = `"id", "text", "imageUrl", "createdAt", "senderId", "senderAlias", "senderGender",
	"recipientId", "roomId", "userId", "tenantId"`

// History limits: the oldest N messages of the window, as the original did.
const (
	RoomHistoryLimit    = 100
	PrivateHistoryLimit = 200
)

// RoomHistory lists a room's messages (roomID "" means the tenant-level ones
// without a room) created after since (exclusive), oldest first. Private
// messages never appear, even though they too have no room.
func (db *DB) RoomHistory(ctx context.Context, tenantID, roomID string, since time.Time) ([]Message, error) {
	msgs := []Message{}
	err := db.db.SelectContext(ctx, &msgs, `SELECT `+historyColumns+` FROM "Message"
		WHERE "tenantId" = $1 AND "recipientId" IS NULL
		  AND (CASE WHEN $2 = '' THEN "roomId" IS NULL ELSE "roomId" = $2 END)
		  AND "createdAt" > $3
		ORDER BY "createdAt" ASC, "id" ASC LIMIT $4`, tenantID, roomID, since.UTC(), RoomHistoryLimit)
	if err != nil {
		return nil, fmt.Errorf("store: room history: %w", err)
	}
	return msgs, nil
}

// PrivateHistory lists the private messages userID sent or received in a
// tenant after since (exclusive), oldest first.
func (db *DB) PrivateHistory(ctx context.Context, tenantID, userID string, since time.Time) ([]Message, error) {
	msgs := []Message{}
	err := db.db.SelectContext(ctx, &msgs, `SELECT `+historyColumns+` FROM "Message"
		WHERE "tenantId" = $1 AND "recipientId" IS NOT NULL
		  AND ("senderId" = $2 OR "recipientId" = $2)
		  AND "createdAt" > $3
		ORDER BY "createdAt" ASC, "id" ASC LIMIT $4`, tenantID, userID, since.UTC(), PrivateHistoryLimit)
	if err != nil {
		return nil, fmt.Errorf("store: private history: %w", err)
	}
	return msgs, nil
}

// TenantMessage loads one message by id within a tenant.
func (db *DB) TenantMessage(ctx context.Context, tenantID, id string) (Message, error) {
	var m Message
	err := db.db.GetContext(ctx, &m, `SELECT `+historyColumns+` FROM "Message" WHERE "id" = $1 AND "tenantId" = $2`, id, tenantID)
	if err != nil {
		return Message{}, notFound("store: tenant message", err)
	}
	return m, nil
}
