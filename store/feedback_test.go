package store_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"chatd/store"
	"chatd/store/storetest"
)

func TestFeedback(t *testing.T) { storetest.EachDialect(t, testFeedback) }

func testFeedback(t *testing.T, d storetest.Dialect) {
	clock := time.Date(2026, 2, 15, 10, 0, 0, 123456789, time.UTC)
	db, _ := storetest.OpenSeededIn(t, d, func() time.Time { return clock })
	ctx := context.Background()
	const tenant, alice, bob = "7e4a0000-0000-4000-8000-00000000de00", "a11ce000-0000-4000-8000-000000000001", "b0b00000-0000-4000-8000-000000000005"
	first, err := db.CreateFeedback(ctx, store.Feedback{Score: 9, Comment: sql.NullString{String: "ok", Valid: true}, UserID: alice, TenantID: tenant})
	if err != nil {
		t.Fatal(err)
	}
	if len(first.ID) != 36 || !first.CreatedAt.Equal(clock.Truncate(time.Millisecond)) || first.User.Name.String != "Alice" {
		t.Fatalf("created %+v", first)
	}
	clock = clock.Add(time.Second)
	if _, err := db.CreateFeedback(ctx, store.Feedback{Score: 2, UserID: bob, TenantID: tenant}); err != nil {
		t.Fatal(err)
	}
	list, err := db.FeedbackByTenant(ctx, tenant)
	if err != nil || len(list) != 2 || list[0].UserID != bob || list[0].Comment.Valid || list[1].ID != first.ID || list[1].User.ID != alice {
		t.Fatalf("list %+v %v", list, err)
	}
	if _, err := db.CreateFeedback(ctx, store.Feedback{Score: 2, UserID: "nobody", TenantID: tenant}); err == nil || errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown user: %v", err)
	}
	if empty, err := db.FeedbackByTenant(ctx, "nope"); err != nil || len(empty) != 0 || empty == nil {
		t.Fatalf("unknown tenant: %#v %v", empty, err)
	}
}
