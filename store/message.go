package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"chatd"
)

// Message is a row of "Message". The client makes the id (it shows the
// message before the server has it), so a replayed id is a duplicate, not a
// new message.
type Message struct {
	ID           string         `db:"id"`
	Text         string         `db:"text"`
	ImageURL     sql.NullString `db:"imageUrl"`
	CreatedAt    time.Time      `db:"createdAt"`
	SenderID     string         `db:"senderId"`
	SenderAlias  string         `db:"senderAlias"`
	SenderGender string         `db:"senderGender"`
	RecipientID  sql.NullString `db:"recipientId"`
	RoomID       sql.NullString `db:"roomId"`
	UserID       sql.NullString `db:"userId"`
	TenantID     string         `db:"tenantId"`
}

// CreateMessage stores m and, for a private message, un-hides the
// conversation for both sides in one transaction, so a message is never
// stored while the conversation stays hidden. An id that is already stored is
// ErrConflict and changes nothing.
func (db *DB) CreateMessage(ctx context.Context, m Message) error {
	return db.InTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `
			INSERT INTO "Message" ("id", "text", "imageUrl", "createdAt", "senderId", "senderAlias",
			                       "senderGender", "recipientId", "roomId", "userId", "tenantId")
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
			ON CONFLICT ("id") DO NOTHING`,
			m.ID, m.Text, m.ImageURL, chatd.DBTime(m.CreatedAt), m.SenderID, m.SenderAlias,
			m.SenderGender, m.RecipientID, m.RoomID, m.UserID, m.TenantID)
		if err != nil {
			return writeErr("store: create message", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("store: create message: %w", err)
		} else if n == 0 {
			return fmt.Errorf("store: create message: %w", ErrConflict)
		}
		if !m.RecipientID.Valid {
			return nil
		}
		return unhideConversation(ctx, tx, m.TenantID, m.SenderID, m.RecipientID.String)
	})
}

// DeleteMessage deletes the message with this id if it belongs to tenantID,
// reporting whether a row went. The tenant condition is what keeps a
// moderator of one venue from deleting another venue's messages.
func (db *DB) DeleteMessage(ctx context.Context, id, tenantID string) (bool, error) {
	res, err := db.db.ExecContext(ctx, `DELETE FROM "Message" WHERE "id" = $1 AND "tenantId" = $2`, id, tenantID)
	if err != nil {
		return false, fmt.Errorf("store: delete message: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: delete message: %w", err)
	}
	return n > 0, nil
}

// MessageByID loads one message.
func (db *DB) MessageByID(ctx context.Context, id string) (Message, error) {
	var m Message
	err := db.db.GetContext(ctx, &m, `
		SELECT "id", "text", "imageUrl", "createdAt", "senderId", "senderAlias", "senderGender",
		       "recipientId", "roomId", "userId", "tenantId"
		FROM "Message" WHERE "id" = $1`, id)
	if err != nil {
		return Message{}, notFound("store: message by id", err)
	}
	return m, nil
}
