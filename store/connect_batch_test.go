package store_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"chatd/store"
	"chatd/store/storetest"
)

// TestConnectCallsAtOnce: many sockets connecting and joining at the same
// time each get their own answer: a guest its own row, an unknown id
// ErrNotFound, a token its own session and blocks. On PostgreSQL the calls
// go out in fewer statements than there are calls, and one bad guest row
// fails alone.
func TestConnectCallsAtOnce(t *testing.T) { storetest.EachDialect(t, testConnectCallsAtOnce) }

func testConnectCallsAtOnce(t *testing.T, d storetest.Dialect) {
	db, _ := storetest.OpenSeededIn(t, d, time.Now)
	ctx := context.Background()
	if err := db.BlockUser(ctx, seedMod, seedBob); err != nil {
		t.Fatal(err)
	}
	const n = 60
	created := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	ids := make([]string, n)
	for i := range ids {
		ids[i] = store.NewUUID()
	}
	// Guests written at once.
	errs := atOnce(n, func(i int) error {
		return db.SaveGuest(ctx, store.Guest{ID: ids[i], Name: fmt.Sprintf("guest-%d", i), CreatedAt: created, UpdatedAt: created.Add(time.Second)})
	})
	for i, err := range errs {
		if err != nil {
			t.Fatalf("guest %d: %v", i, err)
		}
	}
	_, _, guestStatements := store.ConnectStatements(db)
	// On PostgreSQL one guest whose name has a NUL cannot be stored: its
	// batch fails and is retried call by call, so it fails alone.
	if d == storetest.Postgres {
		const bad = 2
		more := make([]string, 5)
		errs := make([]error, len(more))
		var wg sync.WaitGroup
		for i := range more {
			more[i] = store.NewUUID()
			name := "more"
			if i == bad {
				name = "nul\x00name"
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = db.SaveGuest(ctx, store.Guest{ID: more[i], Name: name, CreatedAt: created, UpdatedAt: created})
			}()
		}
		wg.Wait()
		for i, err := range errs {
			_, _, rowErr := db.UserWithBlocked(ctx, more[i])
			if (err != nil) != (i == bad) || (rowErr != nil) != (i == bad) {
				t.Fatalf("guest %d of the batch with a bad one: write %v, read %v", i, err, rowErr)
			}
		}
	}
	// Read at once: each its own row, the bad one and unknown ids not found.
	errs = atOnce(n, func(i int) error {
		id := ids[i]
		if i%5 == 0 {
			id = store.NewUUID() // unknown
		}
		u, blocked, err := db.UserWithBlocked(ctx, id)
		switch {
		case i%5 == 0:
			if !errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("want ErrNotFound, got %v (%+v)", err, u)
			}
		case err != nil:
			return err
		case u.ID != id || u.Name.String != fmt.Sprintf("guest-%d", i) || !u.IsAnonymous || len(blocked) != 0 || blocked == nil:
			return fmt.Errorf("got %+v blocked %v", u, blocked)
		}
		return nil
	})
	for i, err := range errs {
		if err != nil {
			t.Fatalf("read %d: %v", i, err)
		}
	}
	// One user read by many calls at once (a batch holds the id several
	// times): each gets its blocks once.
	errs = atOnce(n, func(int) error {
		if _, blocked, err := db.UserWithBlocked(ctx, seedMod); err != nil || fmt.Sprint(blocked) != fmt.Sprint([]string{seedBob}) {
			return fmt.Errorf("moderator: blocked %v, %v", blocked, err)
		}
		return nil
	})
	for i, err := range errs {
		if err != nil {
			t.Fatalf("read %d: %v", i, err)
		}
	}
	// Sessions at once: each token its own user and blocks.
	tokens := []string{"alice-session-token-0001", "mod-session-token-0002", "no-such-token"}
	errs = atOnce(n, func(i int) error {
		token := tokens[i%len(tokens)]
		su, info, err := db.SessionConnect(ctx, token)
		switch {
		case token == "no-such-token":
			if !errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("want ErrNotFound, got %v", err)
			}
		case err != nil:
			return err
		case su.Session.Token != token:
			return fmt.Errorf("token %s got the session of %s", token, su.Session.Token)
		case token == "mod-session-token-0002" && (su.User.ID != seedMod || fmt.Sprint(info.Blocked) != fmt.Sprint([]string{seedBob})):
			return fmt.Errorf("moderator: %s blocked %v", su.User.ID, info.Blocked)
		case token == "alice-session-token-0001" && (su.User.ID != seedAlice || len(info.Blocked) != 0):
			return fmt.Errorf("alice: %s blocked %v", su.User.ID, info.Blocked)
		}
		return nil
	})
	for i, err := range errs {
		if err != nil {
			t.Fatalf("session %d: %v", i, err)
		}
	}
	// On PostgreSQL the calls went out together: fewer statements than
	// calls.
	if d == storetest.Postgres {
		users, sessions, _ := store.ConnectStatements(db)
		users -= 5 + n // the reads checking the batch with a bad guest, and the moderator's
		if users >= n || sessions >= n || guestStatements >= n {
			t.Fatalf("statements for %d calls each: users %d, sessions %d, guests %d: not batched", n, users, sessions, guestStatements)
		}
		t.Logf("statements for %d calls each: users %d, sessions %d, guests %d", n, users, sessions, guestStatements)
	}
}

// atOnce runs f(0) … f(n-1) on n goroutines released together, so that
// their calls meet in the store's batches, and returns their errors.
func atOnce(n int, f func(i int) error) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() { defer wg.Done(); <-start; errs[i] = f(i) }()
	}
	close(start)
	wg.Wait()
	return errs
}

// TestBatchedReadsScanEveryColumn: the batched reads scan rows by hand, so
// a user and a session whose every column holds a distinct value must read
// the same through them as through the plain reads (sqlx, by column name).
func TestBatchedReadsScanEveryColumn(t *testing.T) {
	storetest.EachDialect(t, testBatchedReadsScanEveryColumn)
}

func testBatchedReadsScanEveryColumn(t *testing.T, d storetest.Dialect) {
	db, url := storetest.OpenSeededIn(t, d, time.Now)
	ctx := context.Background()
	const id, token = "f1e1d000-0000-4000-8000-0000000000aa", "every-column-session-token-0099"
	storetest.Exec(t, url, `INSERT INTO "user" ("id","name","email","emailVerified","image","phoneNumber","gender","status","isAnonymous","role","createdAt","updatedAt")
		VALUES ($1, 'Name', 'e@example.com', true, 'https://example.com/i.png', '+15550100', 'female', 'Status', false, 'SUPERADMIN',
		'2025-01-02 09:00:00.001', '2025-01-03 10:00:00.002')`, id)
	storetest.Exec(t, url, `INSERT INTO "session" ("id","userId","token","expiresAt","ipAddress","userAgent","createdAt","updatedAt")
		VALUES ('every-column-session', $1, $2, '2099-01-01 00:00:00.003', '192.0.2.1', 'agent/1', '2025-01-04 11:00:00.004', '2025-01-05 12:00:00.005')`,
		id, token)
	wantUser, err := db.UserByID(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if u, _, err := db.UserWithBlocked(ctx, id); err != nil || !reflect.DeepEqual(u, wantUser) {
		t.Fatalf("UserWithBlocked = %+v, %v; UserByID = %+v", u, err, wantUser)
	}
	wantSession, err := db.SessionByToken(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	if su, _, err := db.SessionConnect(ctx, token); err != nil || !reflect.DeepEqual(su, wantSession) {
		t.Fatalf("SessionConnect = %+v, %v; SessionByToken = %+v", su, err, wantSession)
	}
}
