package chat

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"chatd"
)

func joinPayload(id, alias string, extra map[string]any) map[string]any {
	u := map[string]any{"id": id, "alias": alias, "gender": "female"}
	for k, v := range extra {
		u[k] = v
	}
	return map[string]any{"user": u, "tenantSlug": "demo"}
}

func TestJoinFollowsRecording(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	lurker, _ := e.connect(Handshake{UserID: "local-0000-lurker", UserAlias: "Lurker", TenantSlug: "demo"})
	lurker.take()
	alice, _ := e.connect(Handshake{Token: aliceTok, TenantSlug: "demo"})
	e.emit(alice, "join", joinPayload(aliceID, "Alice", nil))
	got := alice.waitFor(t, "presenceUpdate")
	want := []event{
		{"blockedUsers", map[string]any{"blockedIds": []any{}}},
		{"presenceUpdate", map[string]any{
			"users":      []any{map[string]any{"id": aliceID, "alias": "Alice", "gender": "female", "socketId": alice.ID()}},
			"onlineIds":  []any{aliceID},
			"roomCounts": map[string]any{roomAnn: 1.0, roomGen: 1.0},
		}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("alice got\n%s\nwant\n%s", mustJSON(t, got), mustJSON(t, want))
	}
	bob, _ := e.connect(Handshake{UserID: bobID, UserAlias: "Bob", TenantSlug: "demo"})
	bob.take()
	e.emit(bob, "join", joinPayload(bobID, "Bob", map[string]any{"gender": "male", "status": "Disponibile"}))
	got = bob.waitFor(t, "presenceUpdate")
	if len(got) != 2 || got[0].Name != "blockedUsers" {
		t.Fatalf("bob got %v", got)
	}
	users := got[1].Payload.(map[string]any)["users"].([]any)
	wantBob := map[string]any{"id": bobID, "alias": "Bob", "gender": "male", "status": "Disponibile", "socketId": bob.ID()}
	if len(users) != 2 || !reflect.DeepEqual(users[1], wantBob) {
		t.Fatalf("users = %s", mustJSON(t, users))
	}
	if a := alice.waitFor(t, "presenceUpdate"); len(a) != 1 {
		t.Fatalf("alice got %v", a)
	}
	e.settle()
	if got := lurker.take(); len(got) != 0 {
		t.Fatalf("a socket that never joined got %v", got)
	}
	if n := e.count(`SELECT count(*) FROM "user" WHERE "id" = $1 AND "status" = 'Disponibile' AND "name" = 'Bob'`, bobID); n != 1 {
		t.Fatal("bob's profile was not persisted")
	}
}

func TestJoinIgnoresAndRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		payload any
		want    []event
	}{
		{"unknown tenant", map[string]any{"user": map[string]any{"id": bobID, "alias": "Bob"}, "tenantSlug": "nope"}, nil},
		{"missing user", map[string]any{"tenantSlug": "demo"}, nil},
		{"missing tenantSlug", map[string]any{"user": map[string]any{"id": bobID, "alias": "Bob"}}, nil},
		{"not an object", "demo", nil},
		{"no payload", nil, nil},
		{"user not an object", map[string]any{"user": "bob", "tenantSlug": "demo"}, nil},
		{"tenantSlug a number", map[string]any{"user": map[string]any{"id": bobID}, "tenantSlug": 7}, nil},
		{"foreign id", joinPayload(aliceID, "Alice", nil), []event{{"error", map[string]any{"message": "Forbidden"}}}},
		{"stale local id", joinPayload("local-0000-bob", "Bob", nil), []event{{"error", map[string]any{"message": "Forbidden"}}}},
		{"status not a string", joinPayload(bobID, "Bob", map[string]any{"status": 5.0}),
			[]event{{"error", map[string]any{"message": "Invalid payload"}}}},
		{"oversize user", joinPayload(bobID, "Bob", map[string]any{"bio": strings.Repeat("b", 5000)}),
			[]event{{"error", map[string]any{"message": "Invalid payload"}}}},
	}
	e := newEnv(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bob, _ := e.connect(Handshake{UserID: bobID, UserAlias: "Bob", TenantSlug: "demo"})
			bob.take()
			e.emit(bob, "join", tt.payload)
			e.settle()
			if got := bob.take(); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			if bob.inRoom("tenant:demo") {
				t.Fatal("socket joined the lobby")
			}
			if n := len(e.hub.broadcasts("tenant:demo|presenceUpdate")); n != 0 {
				t.Fatalf("%d presence updates sent", n)
			}
			e.disconnect(bob)
		})
	}
	if n := e.count(`SELECT count(*) FROM "user" WHERE "id" = $1 AND "name" = 'Bob' AND "status" IS NULL`, bobID); n != 1 {
		t.Fatal("a refused join changed the profile")
	}
}

func TestJoinAliasChangeOrderAndProfile(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	alice, _ := e.joined(aliceTok, "", "Alice")
	bob, _ := e.joined("", bobID, "Bob")
	alice.waitFor(t, "presenceUpdate")
	changedAt := chatd.FormatTime(e.clock.Now())
	e.emit(bob, "join", joinPayload(bobID, "Roberto", map[string]any{"gender": "male"}))
	got := bob.waitFor(t, "presenceUpdate")
	if names := []string{got[0].Name, got[1].Name, got[2].Name}; len(got) != 3 ||
		!reflect.DeepEqual(names, []string{"newMessage", "blockedUsers", "presenceUpdate"}) {
		t.Fatalf("bob got %v", got)
	}
	msg := got[0].Payload.(map[string]any)
	if msg["text"] != "L'utente *Bob* ha modificato il suo alias in *Roberto*" || msg["senderId"] != "system" ||
		msg["senderAlias"] != "System" || msg["senderGender"] != "other" || msg["tenantId"] != tenantID ||
		msg["timestamp"] != changedAt || len(msg) != 7 {
		t.Fatalf("system message %v", msg)
	}
	if a := alice.waitFor(t, "presenceUpdate"); a[0].Name != "newMessage" || a[0].Payload.(map[string]any)["id"] != msg["id"] {
		t.Fatalf("alice got %v", a)
	}
	// Same alias, new status and image: no system message; URL stored, data: not.
	e.emit(bob, "join", joinPayload(bobID, "Roberto", map[string]any{"status": "In pausa", "image": "https://example.com/r.png"}))
	got = bob.waitFor(t, "presenceUpdate")
	if len(got) != 2 || got[0].Name != "blockedUsers" {
		t.Fatalf("bob got %v", got)
	}
	var seen []event
	for _, image := range []string{"data:image/png;base64,AAAA", "javascript:alert(1)", "/api/auth/sign-out", "https://x/" + strings.Repeat("a", maxImageURL)} {
		e.emit(bob, "join", joinPayload(bobID, "Roberto", map[string]any{"image": image}))
		seen = append(seen, bob.waitFor(t, "blockedUsers")...)
	}
	e.settle()
	var updates []event
	for _, ev := range append(seen, bob.take()...) {
		if ev.Name == "presenceUpdate" {
			updates = append(updates, ev)
		}
	}
	if len(updates) == 0 {
		t.Fatal("bob got no presenceUpdate")
	}
	for _, ev := range updates {
		for _, u := range ev.Payload.(map[string]any)["users"].([]any) {
			if _, has := u.(map[string]any)["image"]; has {
				t.Fatalf("presence shows an image: %v", u)
			}
		}
	}
	if n := e.count(`SELECT count(*) FROM "user" WHERE "id" = $1 AND "name" = 'Roberto' AND "image" = 'https://example.com/r.png' AND "status" IS NULL`, bobID); n != 1 {
		t.Fatal("profile not persisted as name=Roberto, image=URL, status=null")
	}
	if n := e.count(`SELECT count(*) FROM "Message" WHERE "senderId" = 'system'`); n != 0 {
		t.Fatal("the system message was stored")
	}
}

func TestSecondSocketOfSameUser(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	observer, _ := e.joined(aliceTok, "", "Alice")
	mod1, _ := e.joined(modTok, "", "Mod")
	observer.waitFor(t, "presenceUpdate")
	mod2, _ := e.joined(modTok, "", "Mod")
	got := observer.waitFor(t, "presenceUpdate")
	users := got[len(got)-1].Payload.(map[string]any)["users"].([]any)
	if len(users) != 2 || users[1].(map[string]any)["socketId"] != mod2.ID() {
		t.Fatalf("users after the second socket: %s", mustJSON(t, users))
	}
	counts := got[len(got)-1].Payload.(map[string]any)["roomCounts"].(map[string]any)
	if counts[roomGen] != 2.0 {
		t.Fatalf("roomCounts counts sockets, not users: %v", counts)
	}
	mod1.mu.Lock()
	kicked := mod1.disconnected
	mod1.mu.Unlock()
	if kicked {
		t.Fatal("the older socket was disconnected")
	}
	// The older socket still hears its rooms.
	e.emit(observer, "sendMessage", map[string]any{"id": "c1e00000-0000-4000-8000-000000000009", "text": "hi",
		"senderId": aliceID, "senderAlias": "Alice", "roomId": roomGen})
	mod1.waitFor(t, "newMessage")
	// The newer one leaves: presence falls back to the older socket.
	e.disconnect(mod2)
	got = observer.waitFor(t, "presenceUpdate")
	users = got[len(got)-1].Payload.(map[string]any)["users"].([]any)
	if len(users) != 2 || users[1].(map[string]any)["socketId"] != mod1.ID() {
		t.Fatalf("users after the newer socket left: %s", mustJSON(t, users))
	}
	e.disconnect(mod1)
	got = observer.waitFor(t, "presenceUpdate")
	if ids := got[len(got)-1].Payload.(map[string]any)["onlineIds"]; !reflect.DeepEqual(ids, []any{aliceID}) {
		t.Fatalf("onlineIds = %v", ids)
	}
}

func TestDisconnect(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	alice, _ := e.joined(aliceTok, "", "Alice")
	lurker, _ := e.connect(Handshake{UserAlias: "Lurker"})
	e.disconnect(lurker)
	e.settle()
	if got := alice.take(); len(got) != 0 {
		t.Fatalf("a never-joined socket's disconnect sent %v", got)
	}
	bob, _ := e.joined("", bobID, "Bob")
	alice.waitFor(t, "presenceUpdate")
	e.disconnect(bob)
	got := alice.waitFor(t, "presenceUpdate")
	p := got[0].Payload.(map[string]any)
	if !reflect.DeepEqual(p["onlineIds"], []any{aliceID}) || !reflect.DeepEqual(p["roomCounts"], map[string]any{roomAnn: 1.0, roomGen: 1.0}) {
		t.Fatalf("after disconnect: %v", p)
	}
	e.emit(bob, "join", joinPayload(bobID, "Bob", nil)) // a late event of a gone socket
	e.settle()
	if got := alice.take(); len(got) != 0 {
		t.Fatalf("an event after disconnect did something: %v", got)
	}
}

func TestPresenceCoalescing(t *testing.T) {
	t.Parallel()
	window := 300 * time.Millisecond
	e := newEnvWith(t, Config{PresenceWindow: window}, nil)
	var socks []*recConn
	for _, tok := range []string{aliceTok, modTok, adminTok} {
		c, id := e.connect(Handshake{Token: tok, TenantSlug: "demo"})
		e.emit(c, "join", joinPayload(id.UserID, id.Alias, nil))
		socks = append(socks, c)
		e.clock.Advance(window / 4) // three joins, all within one window
	}
	if n := len(e.hub.broadcasts("tenant:demo|presenceUpdate")); n != 0 {
		t.Fatalf("%d updates before the window closed", n)
	}
	e.clock.Advance(window / 4)
	got := socks[0].take()
	updates := e.hub.broadcasts("tenant:demo|presenceUpdate")
	if len(updates) != 1 {
		t.Fatalf("%d updates for three joins in one window, want 1", len(updates))
	}
	if ids := got[len(got)-1].Payload.(map[string]any)["onlineIds"].([]any); len(ids) != 3 {
		t.Fatalf("the coalesced update is not the final state: %v", ids)
	}
	// Changes further apart than the window: one update each.
	e.disconnect(socks[2])
	e.clock.Advance(2 * window)
	e.disconnect(socks[1])
	e.clock.Advance(2 * window)
	if updates := e.hub.broadcasts("tenant:demo|presenceUpdate"); len(updates) != 3 {
		t.Fatalf("%d updates, want 3", len(updates))
	}
}

func TestCloseSendsDueUpdates(t *testing.T) {
	t.Parallel()
	e := newEnvWith(t, Config{PresenceWindow: time.Hour}, nil)
	c, id := e.connect(Handshake{Token: aliceTok, TenantSlug: "demo"})
	e.emit(c, "join", joinPayload(id.UserID, id.Alias, nil))
	if n := len(e.hub.broadcasts("tenant:demo|presenceUpdate")); n != 0 {
		t.Fatalf("%d updates before the window closed", n)
	}
	e.svc.Close()
	if n := len(e.hub.broadcasts("tenant:demo|presenceUpdate")); n != 1 {
		t.Fatalf("%d updates after Close, want the due one", n)
	}
}

// Presence carries the alias as the client sent it (docs/socket-events.md,
// "join" and "presenceUpdate"); the stored name is sanitised, and the
// alias-change message carries it with tags stripped and cut to 30
// characters.
func TestJoinShowsAliasAsSentAndStoresItSanitised(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	bob, _ := e.joined("", bobID, "Bob")
	raw := " Zoë_b<X>b-1 !"
	e.emit(bob, "join", joinPayload(bobID, raw, map[string]any{"gender": "male"}))
	got := bob.waitFor(t, "presenceUpdate")
	if len(got) != 3 || got[0].Name != "newMessage" {
		t.Fatalf("bob got %v", got)
	}
	if text := got[0].Payload.(map[string]any)["text"]; text != "L'utente *Bob* ha modificato il suo alias in *Zoë_bb-1 !*" {
		t.Fatalf("system message text %q", text)
	}
	users := got[2].Payload.(map[string]any)["users"].([]any)
	if alias := users[0].(map[string]any)["alias"]; alias != raw {
		t.Fatalf("presence alias = %q, want the alias as sent %q", alias, raw)
	}
	if n := e.count(`SELECT count(*) FROM "user" WHERE "id" = $1 AND "name" = 'Zoë_bXb-1'`, bobID); n != 1 {
		t.Fatal("the stored name was not sanitised")
	}
}
