package chat

import (
	"strings"
	"testing"
	"time"
)

// systemMessages are the alias-change messages among events.
func systemMessages(events []event) []string {
	var out []string
	for _, ev := range events {
		if m, ok := ev.Payload.(map[string]any); ok && ev.Name == "newMessage" && m["senderId"] == "system" {
			out = append(out, m["text"].(string))
		}
	}
	return out
}

// TestAliasChangeTakesTheMessageSlot: an alias change is a message every
// member reads, so it counts against the sender's message rate limit (on
// main one socket announced 198 aliases in 5 s).
func TestAliasChangeTakesTheMessageSlot(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	alice, _ := e.joined(aliceTok, "", "Alice")
	bob, _ := e.joined("", bobID, "Bob")
	e.settle()
	alice.take()
	for i, alias := range []string{"B1", "B2", "B3", "B4"} {
		e.emit(bob, "join", joinPayload(bobID, alias, nil))
		bob.waitFor(t, "blockedUsers")
		if i == 1 {
			e.clock.Advance(DefaultMessageInterval) // the slot frees: B3 is announced
		}
	}
	// The alias change took the slot: a message right after it waits.
	e.emit(bob, "sendMessage", map[string]any{"id": "c1e00000-0000-4000-8000-000000000010", "text": "hi",
		"senderId": bobID, "senderAlias": "B4"})
	bob.waitFor(t, "rateLimited")
	e.settle()
	got := systemMessages(alice.take())
	want := []string{"L'utente *Bob* ha modificato il suo alias in *B1*", "L'utente *B2* ha modificato il suo alias in *B3*"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("announced %q, want %q", got, want)
	}
}

// TestAliasChangeMessageIsBounded: the message carries the alias with tags
// stripped and cut to the stored name's 30 characters.
func TestAliasChangeMessageIsBounded(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	bob, _ := e.joined("", bobID, "Bob")
	long := "<img src=x onerror=alert(1)>Roberto" + strings.Repeat("x", 3000) + "</b>"
	e.emit(bob, "join", joinPayload(bobID, long, nil))
	got := systemMessages(bob.waitFor(t, "blockedUsers"))
	want := "L'utente *Bob* ha modificato il suo alias in *Roberto" + strings.Repeat("x", 23) + "*"
	if len(got) != 1 || got[0] != want {
		t.Fatalf("announced %q, want %q", got, want)
	}
	for _, tt := range []struct{ in, want string }{
		{"  <b>Zoë</b>  ", "Zoë"},
		{"<script></script>", "Guest-abcdef"},
		{strings.Repeat("é", 40), strings.Repeat("é", 30)},
		{"a*b*c", "a*b*c"},
	} {
		if got := announcedAlias(tt.in, "abcdefgh"); got != tt.want {
			t.Errorf("announcedAlias(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestJoinThatChangesNothing writes nothing: no profile write (main wrote
// the profile on every join), no alias message. The socket gets its
// blockedUsers and the tenant its presenceUpdate, as from the original
// (ws_block_unblock_user).
func TestJoinThatChangesNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	updatedAt := func(id string) time.Time {
		t.Helper()
		u, err := e.db.UserByID(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		return u.UpdatedAt
	}
	start := e.clock.Now()
	alice, _ := e.joined(aliceTok, "", "Alice") // Alice's stored name is Alice already
	bob, _ := e.joined("", bobID, "Bob")        // so is Bob's
	e.settle()
	alice.take()
	bob.take()
	// Bob's seed row was never written by a join: his first join marked it
	// (guests.go, the sweep); Alice's was left alone.
	aliceAt, bobAt := updatedAt(aliceID), updatedAt(bobID)
	if bobAt.Before(start) || !aliceAt.Before(start) {
		t.Fatalf("after the first joins: alice updatedAt %v, bob %v", aliceAt, bobAt)
	}
	e.clock.Advance(time.Hour)                // any write from now on shows in updatedAt
	same := map[string]any{"gender": "other"} // what e.joined sent
	for i := 0; i < 3; i++ {
		e.emit(alice, "join", joinPayload(aliceID, "Alice", same))
		e.emit(bob, "join", joinPayload(bobID, "Bob", same))
	}
	e.settle()
	for name, c := range map[string]*recConn{"alice": alice, "bob": bob} {
		counts := map[string]int{}
		for _, ev := range c.take() {
			counts[ev.Name]++
		}
		if counts["blockedUsers"] != 3 || counts["presenceUpdate"] < 1 || len(counts) != 2 {
			t.Fatalf("%s got %v, want three blockedUsers and presenceUpdate", name, counts)
		}
	}
	if updatedAt(aliceID) != aliceAt || updatedAt(bobID) != bobAt {
		t.Fatal("a join that changed nothing wrote the profile")
	}
	// A real change is written.
	changedAt := e.clock.Now()
	e.emit(alice, "join", joinPayload(aliceID, "Alice", map[string]any{"gender": "other", "status": "qui"}))
	alice.waitFor(t, "presenceUpdate")
	if !updatedAt(aliceID).Equal(changedAt) {
		t.Fatal("a changed profile was not written")
	}
	// Re-joins are not new sockets: once both leave, the tenant has none here.
	e.disconnect(alice)
	e.disconnect(bob)
	if got := e.svc.schedule.localTenants(); len(got) != 0 {
		t.Fatalf("tenants with local sockets after every socket left: %v", got)
	}
}
