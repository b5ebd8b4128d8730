package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Feedback is a row of "Feedback": a 1–10 score a user left for a tenant.
type Feedback struct {
	ID        string         `db:"id"`
	Score     int            `db:"score"`
	Comment   sql.NullString `db:"comment"`
	UserID    string         `db:"userId"`
	TenantID  string         `db:"tenantId"`
	CreatedAt time.Time      `db:"createdAt"`
}

// FeedbackWithUser is a feedback row with its author.
type FeedbackWithUser struct {
	Feedback
	User User `db:"u"`
}

// CreateFeedback inserts f with a new id and createdAt = now, and returns it
// with its author.
func (db *DB) CreateFeedback(ctx context.Context, f Feedback) (FeedbackWithUser, error) {
	f.ID, f.CreatedAt = NewUUID(), db.Now()
	_, err := db.db.ExecContext(ctx, `
		INSERT INTO "Feedback" ("id", "score", "comment", "userId", "tenantId", "createdAt")
		VALUES ($1, $2, $3, $4, $5, $6)`, f.ID, f.Score, f.Comment, f.UserID, f.TenantID, f.CreatedAt)
	if err != nil {
		return FeedbackWithUser{}, writeErr("store: create feedback", err)
	}
	u, err := db.UserByID(ctx, f.UserID)
	if err != nil {
		return FeedbackWithUser{}, fmt.Errorf("store: create feedback: %w", err)
	}
	return FeedbackWithUser{Feedback: f, User: u}, nil
}

// FeedbackByTenant lists a tenant's feedback with authors, newest first
// (ties by id, descending).
func (db *DB) FeedbackByTenant(ctx context.Context, tenantID string) ([]FeedbackWithUser, error) {
	list := []FeedbackWithUser{}
	err := db.db.SelectContext(ctx, &list, `
		SELECT f."id", f."score", f."comment", f."userId", f."tenantId", f."createdAt",
		       u."id" "u.id", u."name" "u.name", u."email" "u.email", u."emailVerified" "u.emailVerified",
		       u."image" "u.image", u."phoneNumber" "u.phoneNumber", u."gender" "u.gender",
		       u."status" "u.status", u."isAnonymous" "u.isAnonymous", u."role" "u.role",
		       u."createdAt" "u.createdAt", u."updatedAt" "u.updatedAt"
		FROM "Feedback" f JOIN "user" u ON u."id" = f."userId"
		WHERE f."tenantId" = $1 ORDER BY f."createdAt" DESC, f."id" DESC`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("store: feedback by tenant: %w", err)
	}
	return list, nil
}
