package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"chatd/store"
	"chatd/store/storetest"
)

// TestHotQueriesWithAndWithoutPreparedStatements: the connect path's
// queries give the same answers on prepared statements, again and again
// (each pooled connection prepares its own), and plainly behind PgBouncer.
func TestHotQueriesWithAndWithoutPreparedStatements(t *testing.T) {
	t.Parallel()
	_, dbURL := storetest.OpenSeeded(t, nil)
	sep := "?"
	if strings.Contains(dbURL, "?") {
		sep = "&"
	}
	for _, u := range []string{dbURL, dbURL + sep + "pgbouncer=true"} {
		db, err := store.Open(context.Background(), store.Config{URL: u, MaxOpenConns: 3}, time.Now)
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		for i := 0; i < 10; i++ {
			su, err := db.SessionByToken(ctx, "alice-session-token-0001")
			if err != nil || su.User.Name.String != "Alice" {
				t.Fatalf("%s: session %+v, %v", u, su, err)
			}
			if u, blocked, err := db.UserWithBlocked(ctx, seedBob); err != nil || u.Name.String != "Bob" || len(blocked) != 0 {
				t.Fatalf("user with blocked: %+v %v %v", u, blocked, err)
			}
			if rooms, _, err := db.ConnectState(ctx, seedMod); err != nil || len(rooms) != 2 {
				t.Fatalf("connect state: %v %v", rooms, err)
			}
			if su, info, err := db.SessionConnect(ctx, "mod-session-token-0002"); err != nil || su.User.ID != seedMod || len(info.Rooms) != 2 {
				t.Fatalf("session connect: %+v %+v %v", su, info, err)
			}
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
