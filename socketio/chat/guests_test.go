package chat

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"chatd/store"
)

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestGuestIDs(t *testing.T) {
	t.Parallel()
	g := newGuestIDs([]byte("deployment secret"))
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		id := g.new()
		if !uuidV4.MatchString(id) || seen[id] || !g.issued(id) {
			t.Fatalf("id %q: uuid v4 %v, repeated %v, recognised %v", id, uuidV4.MatchString(id), seen[id], g.issued(id))
		}
		seen[id] = true
	}
	id := g.new()
	flip := []byte(id)
	flip[3] ^= 1 // 0↔1, 2↔3 … a↔`: still hex or not, never the same id
	for name, other := range map[string]string{
		"another deployment's id": newGuestIDs([]byte("other secret")).new(),
		"a random uuid":           store.NewUUID(),
		"one character changed":   string(flip),
		"upper case":              strings.ToUpper(id),
		"braces":                  "{" + id + "}",
		"empty":                   "",
		"the seed's guest":        bobID,
	} {
		if g.issued(other) {
			t.Errorf("%s (%q) taken for one of ours", name, other)
		}
	}
	if !newGuestIDs([]byte("deployment secret")).issued(id) {
		t.Fatal("a second process with the same key does not recognise the id")
	}
}

// TestGuestRowOnlyWhenNeeded: a token-less connect writes nothing (main
// wrote a user row per handshake); the id it was given resumes on any
// process with the same key; the first join or write creates the row.
func TestGuestRowOnlyWhenNeeded(t *testing.T) {
	t.Parallel()
	cfg := Config{PresenceWindow: testWindow, GuestIDKey: []byte("k")}
	e := newEnvWith(t, cfg, nil)
	guests := func() int { return e.count(`SELECT count(*) FROM "user" WHERE "isAnonymous"`) }
	before := guests()
	var ids []string
	for i := 0; i < 20; i++ {
		c, id := e.connect(Handshake{UserID: store.NewUUID(), UserAlias: "Probe", TenantSlug: "demo"})
		ids = append(ids, id.UserID)
		e.disconnect(c)
	}
	if n := guests(); n != before {
		t.Fatalf("20 token-less connects left %d guest rows", n-before)
	}
	// Reconnecting with the id it was given, here or on another process.
	other := e.peer(cfg, nil)
	for _, p := range []*env{e, other} {
		c, id := p.connect(Handshake{UserID: ids[0], UserAlias: "Carla", TenantSlug: "demo"})
		got := c.take()
		want := []event{{"userConfirmed", map[string]any{"id": ids[0], "alias": "Carla", "tenantId": tenantID}}}
		if id.UserID != ids[0] || mustJSON(t, got) != mustJSON(t, want) {
			t.Fatalf("reconnect got %v (id %s), want %v", got, id.UserID, want)
		}
	}
	if n := guests(); n != before {
		t.Fatal("a reconnect wrote a row")
	}
	// The first join writes the row, with updatedAt after createdAt.
	c, _ := e.connect(Handshake{UserID: ids[0], UserAlias: "Carla", TenantSlug: "demo"})
	e.clock.Advance(time.Second)
	e.emit(c, "join", joinPayload(ids[0], "Carla <3", map[string]any{"status": "ciao"}))
	c.waitFor(t, "presenceUpdate")
	if n := e.count(`SELECT count(*) FROM "user" WHERE "id" = $1 AND "isAnonymous" AND "name" = 'Carla 3'
		AND "status" = 'ciao' AND "updatedAt" > "createdAt"`, ids[0]); n != 1 {
		t.Fatal("the first join did not create the guest's row")
	}
	// A write before any join creates it too (BlockedUser names the user).
	c2, id2 := e.connect(Handshake{UserAlias: "Dora", TenantSlug: "demo"})
	e.emit(c2, "blockUser", map[string]any{"blockedId": aliceID})
	c2.waitFor(t, "userBlocked")
	if n := e.count(`SELECT count(*) FROM "BlockedUser" b JOIN "user" u ON u."id" = b."userId"
		WHERE u."id" = $1 AND u."name" = 'Dora'`, id2.UserID); n != 1 {
		t.Fatal("a block before joining did not create the row")
	}
	// Its first join then lists that block without asking the database.
	e.emit(c2, "join", joinPayload(id2.UserID, "Dora", nil))
	got := c2.waitFor(t, "blockedUsers")
	if blocked := got[len(got)-1].Payload.(map[string]any)["blockedIds"]; mustJSON(t, blocked) != `["`+aliceID+`"]` {
		t.Fatalf("blockedUsers %v", blocked)
	}
	// An unknown id that is not one of ours is a new guest, as before.
	_, id3 := e.connect(Handshake{UserID: "local-0000-eve", TenantSlug: "demo"})
	if !id3.Created || id3.UserID == "local-0000-eve" {
		t.Fatalf("unknown id: %+v", id3)
	}
}

// TestGuestSweep: the sweep loop deletes old unused guests, and only them.
func TestGuestSweep(t *testing.T) {
	t.Parallel()
	cfg := Config{PresenceWindow: testWindow, GuestSweepAge: 24 * time.Hour, GuestSweepInterval: 20 * time.Millisecond}
	e := newEnvWith(t, cfg, nil)
	old := e.clock.Now().Add(-48 * time.Hour)
	unused, joined := store.NewUUID(), store.NewUUID()
	for id, updated := range map[string]time.Time{unused: old, joined: old.Add(time.Second)} {
		if err := e.db.SaveGuest(t.Context(), store.Guest{ID: id, Name: "g", CreatedAt: old, UpdatedAt: updated}); err != nil {
			t.Fatal(err)
		}
	}
	waitUntil(t, func() bool { return e.count(`SELECT count(*) FROM "user" WHERE "id" = $1`, unused) == 0 })
	if e.count(`SELECT count(*) FROM "user" WHERE "id" = $1`, joined) != 1 {
		t.Fatal("the sweep deleted a guest that joined")
	}
}
