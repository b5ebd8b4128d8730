package store_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"chatd/store"
	"chatd/store/storetest"
)

// TestSessionConnect: the handshake's one query answers what SessionByToken
// and ConnectState answer together, in the same order, for a user with
// neither rooms nor blocks, one with both, and an expired session (which
// the caller, not the query, refuses); an unknown token is ErrNotFound.
func TestSessionConnect(t *testing.T) { storetest.EachDialect(t, testSessionConnect) }

func testSessionConnect(t *testing.T, d storetest.Dialect) {
	db, _ := storetest.OpenSeededIn(t, d, time.Now)
	ctx := context.Background()
	// The moderator blocks two users, the later block first by id.
	for _, blocked := range []string{seedBob, seedAlice} {
		if err := db.BlockUser(ctx, seedMod, blocked); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond) // createdAt orders the blocks
	}
	for _, token := range []string{"alice-session-token-0001", "mod-session-token-0002", "admin-session-token-0003",
		"eve-expired-session-token-0004"} {
		for i := 0; i < 3; i++ { // prepared on a connection, then reused
			want, err := db.SessionByToken(ctx, token)
			if err != nil {
				t.Fatal(err)
			}
			rooms, blocked, err := db.ConnectState(ctx, want.User.ID)
			if err != nil {
				t.Fatal(err)
			}
			su, info, err := db.SessionConnect(ctx, token)
			if err != nil {
				t.Fatalf("%s: %v", token, err)
			}
			if !reflect.DeepEqual(su, want) {
				t.Fatalf("%s: session %+v, want %+v", token, su, want)
			}
			if !reflect.DeepEqual(info, store.ConnectInfo{Rooms: rooms, Blocked: blocked}) {
				t.Fatalf("%s: %+v, want rooms %v blocked %v", token, info, rooms, blocked)
			}
			if token == "mod-session-token-0002" && (len(info.Rooms) == 0 || !reflect.DeepEqual(info.Blocked, []string{seedBob, seedAlice})) {
				t.Fatalf("the moderator's state %+v: want its rooms and [bob alice]", info)
			}
		}
	}
	if _, _, err := db.SessionConnect(ctx, "no-such-token"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown token: %v, want ErrNotFound", err)
	}
}
