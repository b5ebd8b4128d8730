package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"chatd/store"
	"chatd/store/storetest"
)

// SQLite has one write lock: concurrent writers, including transactions
// that read before they write, must queue for it rather than fail with
// "database is locked".
func TestSQLiteConcurrentWriters(t *testing.T) {
	t.Parallel()
	db, _ := storetest.OpenSeededIn(t, storetest.SQLite, nil)
	ctx := context.Background()
	const writers = 24
	var wg sync.WaitGroup
	errs := make(chan error, 3*writers)
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := store.Message{ID: fmt.Sprintf("c0ffee00-0000-4000-8000-%012d", i), Text: "hi", CreatedAt: time.Now(),
				SenderID: seedAlice, SenderAlias: "Alice", SenderGender: "female", RecipientID: ns(seedMod),
				UserID: ns(seedAlice), TenantID: seedTenant}
			errs <- db.CreateMessage(ctx, m)
			errs <- db.HideConversation(ctx, seedMod, seedAlice, seedTenant)
			_, _, err := db.EnsureReviewTenant(ctx, "Review", "review", fmt.Sprintf("192.0.2.%d", i))
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := count(t, db, `SELECT count(*) FROM "Message" WHERE "id" LIKE 'c0ffee00-%'`); n != writers {
		t.Fatalf("%d messages stored, want %d", n, writers)
	}
	if n := count(t, db, `SELECT count(*) FROM "Tenant" WHERE "slug" = 'review'`); n != 1 {
		t.Fatalf("%d review tenants, want 1", n)
	}
}
