package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"chatd/store"
	"chatd/store/storetest"
)

func TestCreateAnonymousUser(t *testing.T) { storetest.EachDialect(t, testCreateAnonymousUser) }

func testCreateAnonymousUser(t *testing.T, d storetest.Dialect) {
	now := time.Date(2026, 11, 26, 1, 0, 0, 123456789, time.UTC)
	db, _ := storetest.OpenIn(t, d, func() time.Time { return now })
	ctx := context.Background()
	id := store.NewUUID()
	u, err := db.CreateAnonymousUser(ctx, id, "Zoë")
	if err != nil {
		t.Fatal(err)
	}
	got, err := db.UserByID(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	want := now.Truncate(time.Millisecond)
	if !got.IsAnonymous || got.Name.String != "Zoë" || got.Role != "USER" || got.Email.Valid ||
		!got.CreatedAt.Equal(want) || !got.UpdatedAt.Equal(want) || !u.CreatedAt.Equal(want) {
		t.Fatalf("stored %+v", got)
	}
	if _, err := db.CreateAnonymousUser(ctx, id, "again"); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("same id twice: %v, want ErrConflict", err)
	}
}
