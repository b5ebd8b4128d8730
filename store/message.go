package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
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

// messageColumns is the column list of an INSERT into "Message", in the
// order messageArgs gives the values.
const messageColumns = `"id", "text", "imageUrl", "createdAt", "senderId", "senderAlias",
	"senderGender", "recipientId", "roomId", "userId", "tenantId"`

const messageColumnCount = 11

func messageArgs(m Message) []any {
	return []any{m.ID, m.Text, m.ImageURL, chatd.DBTime(m.CreatedAt), m.SenderID, m.SenderAlias,
		m.SenderGender, m.RecipientID, m.RoomID, m.UserID, m.TenantID}
}

// CreateMessage stores one message (CreateMessages of one).
func (db *DB) CreateMessage(ctx context.Context, m Message) error {
	return db.CreateMessages(ctx, []Message{m})[0]
}

// CreateMessages stores msgs in one statement and, for the private ones,
// un-hides each conversation for both sides in the same transaction, so a
// message is never stored while its conversation stays hidden. It returns
// one error per message: nil when stored, ErrConflict for an id already
// stored (or repeated earlier in msgs; nothing changes for it), else why
// the write failed. When the statement fails because of one row's data (a
// foreign key, an invalid value), each message is tried alone, so one bad
// message cannot fail the others; any other failure fails them all.
func (db *DB) CreateMessages(ctx context.Context, msgs []Message) []error {
	errs := make([]error, len(msgs))
	var rows []Message
	seen := make(map[string]bool, len(msgs))
	for i, m := range msgs {
		if seen[m.ID] {
			errs[i] = fmt.Errorf("store: create message: %w", ErrConflict)
			continue
		}
		seen[m.ID] = true
		rows = append(rows, m)
	}
	stored, err := db.insertMessages(ctx, rows)
	if err != nil && isRowError(err) && len(rows) > 1 {
		for i, m := range msgs {
			if errs[i] == nil {
				errs[i] = db.CreateMessages(ctx, []Message{m})[0]
			}
		}
		return errs
	}
	for i, m := range msgs {
		switch {
		case errs[i] != nil:
		case err != nil:
			errs[i] = err
		case !stored[m.ID]:
			errs[i] = fmt.Errorf("store: create message: %w", ErrConflict)
		}
	}
	return errs
}

// insertMessages runs the multi-row INSERT (and the un-hiding) and returns
// the ids it stored. Without a private message the single statement is its
// own transaction.
func (db *DB) insertMessages(ctx context.Context, rows []Message) (map[string]bool, error) {
	if len(rows) == 0 {
		return nil, nil
	}
	var b strings.Builder
	args := make([]any, 0, len(rows)*messageColumnCount)
	b.WriteString(`INSERT INTO "Message" (` + messageColumns + `) VALUES `)
	private := false
	for i, m := range rows {
		if i > 0 {
			b.WriteByte(',')
		}
		writePlaceholders(&b, len(args), messageColumnCount)
		args = append(args, messageArgs(m)...)
		private = private || m.RecipientID.Valid
	}
	b.WriteString(` ON CONFLICT ("id") DO NOTHING RETURNING "id"`)
	stored := make(map[string]bool, len(rows))
	insert := func(q sqlx.QueryerContext) error {
		var ids []string
		if err := sqlx.SelectContext(ctx, q, &ids, b.String(), args...); err != nil {
			return fmt.Errorf("store: create messages: %w", err)
		}
		for _, id := range ids {
			stored[id] = true
		}
		return nil
	}
	if !private {
		return stored, insert(db.db)
	}
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		if err := insert(tx); err != nil {
			return err
		}
		return unhideConversations(ctx, tx, rows, stored)
	})
	return stored, err
}

// writePlaceholders writes "($n+1, …, $n+count)".
func writePlaceholders(b *strings.Builder, n, count int) {
	b.WriteByte('(')
	for i := 1; i <= count; i++ {
		if i > 1 {
			b.WriteByte(',')
		}
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(n + i))
	}
	b.WriteByte(')')
}

// DeleteMessage deletes the message with this id if it belongs to tenantID,
// reporting whether a row went. The tenant condition is what keeps a
// moderator of one venue from deleting another venue's messages. It is the
// one delete: the socket event and the HTTP route both end here.
func (db *DB) DeleteMessage(ctx context.Context, tenantID, id string) (bool, error) {
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
