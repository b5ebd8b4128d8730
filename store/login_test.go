package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"chatd/store"
	"chatd/store/storetest"
)

func TestLoginQueries(t *testing.T) { storetest.EachDialect(t, testLoginQueries) }

func testLoginQueries(t *testing.T, d storetest.Dialect) {
	db, _ := storetest.OpenSeededIn(t, d, nil)
	ctx := context.Background()
	now := db.Now()
	v := store.Verification{ID: "v1", Identifier: "+393331234567", Value: "a", ExpiresAt: now.Add(time.Minute), CreatedAt: now, UpdatedAt: now}
	if err := db.ReplaceVerifications(ctx, v); err != nil {
		t.Fatal(err)
	}
	v2 := v
	v2.ID, v2.Value = "v2", "b"
	if err := db.ReplaceVerifications(ctx, v2); err != nil {
		t.Fatal(err)
	}
	if got, err := db.VerificationByIdentifier(ctx, v.Identifier); err != nil || got.ID != "v2" {
		t.Fatalf("replace kept %+v %v", got, err)
	}
	if _, err := db.CreateVerification(ctx, store.Verification{ID: "v1", Identifier: "other", Value: "x", ExpiresAt: now}); err != nil {
		t.Fatalf("v1 should be gone: %v", err)
	}
	if ok, _ := db.SwapVerificationValue(ctx, "v2", "stale", "c"); ok {
		t.Fatal("swap with a stale value succeeded")
	}
	if ok, _ := db.SwapVerificationValue(ctx, "v2", "b", "c"); !ok {
		t.Fatal("swap with the current value failed")
	}
	if ok, _ := db.ConsumeVerification(ctx, "v2"); !ok {
		t.Fatal("first consume failed")
	}
	if ok, _ := db.ConsumeVerification(ctx, "v2"); ok {
		t.Fatal("second consume succeeded")
	}
	if u, err := db.UserByEmailFold(ctx, "ALICE@Example.COM"); err != nil || u.ID != "a11ce000-0000-4000-8000-000000000001" {
		t.Fatalf("email fold: %+v %v", u, err)
	}
	if _, err := db.UserByPhone(ctx, "+390000000000"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown phone: %v", err)
	}
}
