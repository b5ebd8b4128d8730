package store_test

import (
	"context"
	"testing"
	"time"

	"chatd/store"
	"chatd/store/storetest"
)

// TestGuestWritesCommitLazily: the expression SaveGuest writes isAnonymous
// with is true and turns synchronous_commit off for its own transaction
// only; the pooled connection is back to the server's setting afterwards,
// so no later write (a message: acknowledged means persisted) inherits it.
func TestGuestWritesCommitLazily(t *testing.T) {
	db, dbURL := storetest.OpenSeeded(t, time.Now)
	raw := storetest.MustOpenSQL(t, dbURL)
	ctx := context.Background()
	conn, err := raw.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	setting := func() string {
		var v string
		if err := conn.QueryRowContext(ctx, `SELECT current_setting('synchronous_commit')`).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	before := setting()
	if before == "off" {
		t.Fatalf("the server runs with synchronous_commit off: this test proves nothing")
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var ok bool
	var inside string
	if err := tx.QueryRowContext(ctx, `SELECT `+store.LazyTrue(db)+`, current_setting('synchronous_commit')`).Scan(&ok, &inside); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if !ok || inside != "off" {
		t.Fatalf("lazy expression = %v, synchronous_commit inside = %q; want true, off", ok, inside)
	}
	if after := setting(); after != before {
		t.Fatalf("synchronous_commit after the transaction = %q, want %q", after, before)
	}
}
