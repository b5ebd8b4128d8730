package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"chatd/store"
	"chatd/store/storetest"
)

func TestBiometricTokenRows(t *testing.T) { storetest.EachDialect(t, testBiometricTokenRows) }

func testBiometricTokenRows(t *testing.T, d storetest.Dialect) {
	db, _ := storetest.OpenSeededIn(t, d, nil)
	ctx := context.Background()
	const alice = "a11ce000-0000-4000-8000-000000000001"
	now := time.Date(2026, 1, 2, 3, 4, 5, 6_000_000, time.UTC)
	hashed := store.BiometricToken{ID: "b1", Token: "h1:abc", UserID: alice, DeviceID: "v4_manual_device", CreatedAt: now}
	legacy := store.BiometricToken{ID: "b2", Token: "raw-legacy", UserID: alice, DeviceID: "v4_manual_device", CreatedAt: now}
	for _, r := range []store.BiometricToken{hashed, legacy} {
		if err := db.CreateBiometricToken(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := db.BiometricTokenByToken(ctx, "h1:abc"); err != nil || got.ID != "b1" || got.UserID != alice ||
		got.DeviceID != "v4_manual_device" || !got.CreatedAt.Equal(now) || got.ExpiresAt.Valid {
		t.Fatalf("hashed row: %+v %v", got, err)
	}
	if got, err := db.LegacyBiometricToken(ctx, "raw-legacy"); err != nil || got.ID != "b2" {
		t.Fatalf("legacy row: %+v %v", got, err)
	}
	// A stored hash presented as a token is never a legacy match.
	if _, err := db.LegacyBiometricToken(ctx, "h1:abc"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("hash matched as legacy: %v", err)
	}
	if err := db.CreateBiometricToken(ctx, hashed); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate token: %v, want ErrConflict", err)
	}
}
