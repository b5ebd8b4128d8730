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

func TestPasskeyRows(t *testing.T) { storetest.EachDialect(t, testPasskeyRows) }

func testPasskeyRows(t *testing.T, d storetest.Dialect) {
	db, _ := storetest.OpenSeededIn(t, d, nil)
	ctx := context.Background()
	const alice = "a11ce000-0000-4000-8000-000000000001"
	created := time.Date(2026, 11, 25, 21, 28, 49, 184_000_000, time.UTC)
	p := store.Passkey{ID: "HzfEHICs4brjZ9OLlIhW4mc3u7V7uwGh", PublicKey: "pQECAyYgASFYIHvN", UserID: alice,
		CredentialID: "NXqFXLl4zgtJ2XCg_Yjdwg", Counter: 0, DeviceType: "multiDevice", BackedUp: true,
		Transports: sql.NullString{String: "hybrid,internal", Valid: true},
		AAGUID:     sql.NullString{String: "00000000-0000-0000-0000-000000000000", Valid: true},
		CreatedAt:  sql.NullTime{Time: created, Valid: true}}
	if err := db.CreatePasskey(ctx, p); err != nil {
		t.Fatal(err)
	}
	got, err := db.PasskeyByCredentialID(ctx, p.CredentialID)
	if got.CreatedAt.Time.Equal(created) {
		got.CreatedAt.Time = created // same instant; the driver's zone value differs
	}
	if err != nil || got != p {
		t.Fatalf("read back %+v, %v; want %+v", got, err, p)
	}
	if err := db.UpdatePasskeyCounter(ctx, p.ID, 5); err != nil {
		t.Fatal(err)
	}
	renamed, err := db.RenamePasskey(ctx, p.ID, "Laptop")
	if err != nil || renamed.Counter != 5 || renamed.Name.String != "Laptop" {
		t.Fatalf("rename: %+v %v", renamed, err)
	}
	list, err := db.PasskeysByUser(ctx, alice)
	if err != nil || len(list) != 1 || list[0].ID != p.ID {
		t.Fatalf("list: %+v %v", list, err)
	}
	if none, err := db.PasskeysByUser(ctx, "nobody"); err != nil || none == nil || len(none) != 0 {
		t.Fatalf("an empty list must be [], got %#v %v", none, err)
	}
	if err := db.DeletePasskey(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"by id":     func() error { _, err := db.PasskeyByID(ctx, p.ID); return err }(),
		"by cred":   func() error { _, err := db.PasskeyByCredentialID(ctx, p.CredentialID); return err }(),
		"delete":    db.DeletePasskey(ctx, p.ID),
		"counter":   db.UpdatePasskeyCounter(ctx, p.ID, 1),
		"rename":    func() error { _, err := db.RenamePasskey(ctx, p.ID, "x"); return err }(),
		"user gone": db.CreatePasskey(ctx, store.Passkey{ID: "x", UserID: "nobody", PublicKey: "k", CredentialID: "c", DeviceType: "singleDevice"}),
	} {
		if name == "user gone" {
			if err == nil {
				t.Fatal("a passkey of a missing user was stored")
			}
			continue
		}
		if !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("%s after delete: %v, want ErrNotFound", name, err)
		}
	}
}
