package store_test

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"chatd/store"
	"chatd/store/storetest"
)

func TestBlocks(t *testing.T) { storetest.EachDialect(t, testBlocks) }

func testBlocks(t *testing.T, d storetest.Dialect) {
	db := openSeeded(t, d)
	ctx := context.Background()
	if err := db.BlockUser(ctx, seedAlice, seedMod); err != nil {
		t.Fatal(err)
	}
	if err := db.BlockUser(ctx, seedAlice, seedMod); err != nil {
		t.Fatalf("blocking twice: %v", err)
	}
	if err := db.BlockUser(ctx, seedAlice, seedBob); err != nil {
		t.Fatal(err)
	}
	if err := db.BlockUser(ctx, seedAlice, "no-such-user"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown user: %v, want ErrNotFound", err)
	}
	ids, err := db.BlockedIDs(ctx, seedAlice)
	if err != nil || !reflect.DeepEqual(ids, []string{seedMod, seedBob}) && !reflect.DeepEqual(ids, []string{seedBob, seedMod}) {
		t.Fatalf("blocked ids %v, %v", ids, err)
	}
	if ids, _ := db.BlockedIDs(ctx, seedMod); len(ids) != 0 || ids == nil {
		t.Fatalf("mod's blocked ids %#v, want an empty list", ids)
	}
	either := []struct {
		a, b string
		want bool
	}{{seedAlice, seedMod, true}, {seedMod, seedAlice, true}, {seedMod, seedBob, false}, {seedAdmin, seedAlice, false}}
	for _, tt := range either {
		if got, err := db.BlockedEitherWay(ctx, tt.a, tt.b); err != nil || got != tt.want {
			t.Fatalf("BlockedEitherWay(%s, %s) = %v, %v", tt.a, tt.b, got, err)
		}
	}
	if err := db.UnblockUser(ctx, seedAlice, seedMod); err != nil {
		t.Fatal(err)
	}
	if err := db.UnblockUser(ctx, seedAlice, seedMod); err != nil {
		t.Fatalf("unblocking twice: %v", err)
	}
	if got, _ := db.BlockedEitherWay(ctx, seedMod, seedAlice); got {
		t.Fatal("still blocked after unblock")
	}
}
