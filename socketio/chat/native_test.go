package chat

import (
	"context"
	"reflect"
	"testing"
	"time"

	"chatd"
)

const extraNativeOrigin = "http://chat.app.local"

func newNativeEnv(t *testing.T, fallback bool) *env {
	t.Helper()
	return newEnvWith(t, Config{PresenceWindow: testWindow, NativeIDFallback: fallback,
		NativeOrigins: []string{extraNativeOrigin}}, nil)
}

func TestNativeIDFallbackHandshake(t *testing.T) {
	t.Parallel()
	tenant := tenantID
	member := func(id, alias string) Identity {
		return Identity{UserID: id, Alias: alias, TenantID: &tenant, Resumed: true, MemberOnly: true}
	}
	tests := []struct {
		name     string
		fallback bool
		h        Handshake
		want     Identity
		wantErr  string
	}{
		{"iOS origin", true, Handshake{UserID: aliceID, UserAlias: "x", TenantSlug: "demo", Origin: "capacitor://localhost"}, member(aliceID, "Alice"), ""},
		{"Android http origin, a moderator", true, Handshake{UserID: modID, TenantSlug: "demo", Origin: "http://localhost"}, member(modID, "Mod"), ""},
		{"Android https origin with a slash", true, Handshake{UserID: adminID, TenantSlug: "demo", Origin: "https://localhost/"}, member(adminID, "Admin"), ""},
		{"NATIVE_ORIGINS entry", true, Handshake{UserID: aliceID, TenantSlug: "demo", Origin: extraNativeOrigin}, member(aliceID, "Alice"), ""},
		{"web origin", true, Handshake{UserID: aliceID, TenantSlug: "demo", Origin: "http://127.0.0.1:3000"}, Identity{}, "authentication required"},
		{"localhost on another port is a web origin", true, Handshake{UserID: aliceID, TenantSlug: "demo", Origin: "http://localhost:3000"}, Identity{}, "authentication required"},
		{"no origin", true, Handshake{UserID: aliceID, TenantSlug: "demo"}, Identity{}, "authentication required"},
		{"off", false, Handshake{UserID: aliceID, TenantSlug: "demo", Origin: "capacitor://localhost"}, Identity{}, "authentication required"},
		{"a session keeps full rights", true, Handshake{Token: modTok, UserID: modID, TenantSlug: "demo", Origin: "capacitor://localhost"},
			Identity{UserID: modID, Alias: "Mod", TenantID: &tenant}, ""},
		{"a bad session is not a fallback", true, Handshake{Token: "not-a-real-token", UserID: modID, Origin: "capacitor://localhost"}, Identity{}, "invalid session"},
		{"an anonymous user resumes as before", true, Handshake{UserID: bobID, TenantSlug: "demo", Origin: "capacitor://localhost"},
			Identity{UserID: bobID, Alias: "Bob", TenantID: &tenant, Anonymous: true, Resumed: true}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel() // each case has its own database
			e := newNativeEnv(t, tt.fallback)
			got, err := e.svc.Authenticate(context.Background(), tt.h, "dlmBtdAAAAAAAAAAAAAA")
			if tt.wantErr != "" {
				if chatd.ErrorMessage(err) != tt.wantErr || chatd.ErrorCode(err) != chatd.EUNAUTHORIZED {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
			} else if err != nil || !reflect.DeepEqual(withoutSession(got), tt.want) {
				t.Fatalf("identity = %+v, %v; want %+v", got, err, tt.want)
			}
			if bound := got.Session.ID != ""; bound != (tt.h.Token != "" && err == nil) {
				t.Fatalf("session bound = %v for token %q", bound, tt.h.Token)
			}
			counted := int64(0)
			if got.MemberOnly {
				counted = 1
			}
			if n := e.svc.NativeFallbacks(); n != counted {
				t.Fatalf("NativeFallbacks = %d, want %d", n, counted)
			}
		})
	}
}

// nativeJoined connects userID from the iOS origin without a credential and
// joins demo, as the unmodified app does after a phone-code sign-up.
func (e *env) nativeJoined(userID, alias string) *recConn {
	e.t.Helper()
	c, id := e.connect(Handshake{UserID: userID, UserAlias: alias, TenantSlug: "demo", Origin: "capacitor://localhost"})
	if !id.MemberOnly {
		e.t.Fatalf("native fallback identity %+v is not member-only", id)
	}
	// As the original greeted any user resumed by id.
	want := []event{{"userConfirmed", map[string]any{"id": userID, "alias": id.Alias, "tenantId": tenantID}}}
	if got := c.take(); !reflect.DeepEqual(got, want) {
		e.t.Fatalf("native socket greeted with %v, want %v", got, want)
	}
	e.emit(c, "join", map[string]any{"user": map[string]any{"id": userID, "alias": alias, "gender": "male"}, "tenantSlug": "demo"})
	c.waitFor(e.t, "presenceUpdate")
	return c
}

func TestNativeMemberRights(t *testing.T) {
	t.Parallel()
	e := newNativeEnv(t, true)
	alice, _ := e.joined(aliceTok, "", "Alice")
	native := e.nativeJoined(modID, "Mod")
	e.settle()
	alice.take()
	native.take()

	// An ordinary member's rights: room messages and private messages.
	e.emit(native, "sendMessage", msg("c1e00000-0000-4000-8000-00000000a001", modID, "ciao", map[string]any{"roomId": roomGen}))
	if p := alice.waitFor(t, "newMessage")[0].Payload.(map[string]any); p["senderId"] != modID {
		t.Fatalf("room message %v", p)
	}
	e.clock.Advance(time.Second)
	e.emit(native, "sendMessage", msg("c1e00000-0000-4000-8000-00000000a002", modID, "psst", map[string]any{"recipientId": aliceID}))
	alice.waitFor(t, "privateMessage")
	native.waitFor(t, "privateMessage")
	e.clock.Advance(time.Second)
	e.emit(alice, "sendMessage", msg("c1e00000-0000-4000-8000-00000000a003", aliceID, "ok", map[string]any{"recipientId": modID}))
	native.waitFor(t, "privateMessage")
	e.settle()
	native.take()
	alice.take()

	// None of the moderator's: no delete, no announcement.
	e.emit(native, "deleteMessage", map[string]any{"messageId": seedMsg3, "roomId": roomGen, "tenantSlug": "demo"})
	e.clock.Advance(time.Second)
	e.emit(native, "sendMessage", msg("c1e00000-0000-4000-8000-00000000a004", modID, "avviso", map[string]any{"roomId": roomAnn}))
	e.settle()
	want := []event{{"error", map[string]any{"message": "Unauthorized"}}, {"error", map[string]any{"message": "Only admins can post in this room"}}}
	if got := native.take(); !reflect.DeepEqual(got, want) {
		t.Fatalf("native moderator got %v, want %v", got, want)
	}
	if n := e.count(`SELECT count(*) FROM "Message" WHERE "id" IN ($1, 'c1e00000-0000-4000-8000-00000000a004')`, seedMsg3); n != 1 {
		t.Fatalf("%d of the seed message and the announcement stored, want only the seed message", n)
	}
	if got := alice.take(); len(got) != 0 {
		t.Fatalf("alice heard %v", got)
	}

	// The same user's socket with a session keeps every right.
	mod, _ := e.joined(modTok, "", "Mod")
	if !mod.inRoom(roomAnn) {
		t.Fatal("the session socket lost the staff rooms")
	}
	e.settle()
	mod.take()
	e.emit(mod, "deleteMessage", map[string]any{"messageId": seedMsg3, "roomId": roomGen, "tenantSlug": "demo"})
	mod.waitFor(t, "messageDeleted")
	if n := e.count(`SELECT count(*) FROM "Message" WHERE "id" = $1`, seedMsg3); n != 0 {
		t.Fatal("the session socket's delete did not happen")
	}
}

func TestNativeMemberIsNotAutoJoinedToStaffRooms(t *testing.T) {
	t.Parallel()
	e := newNativeEnv(t, true)
	c, _ := e.connect(Handshake{UserID: modID, TenantSlug: "demo", Origin: "http://localhost"})
	if c.inRoom(roomAnn) || c.inRoom(roomGen) {
		t.Fatal("a member-only socket was auto-joined to the rooms of the tenants its user works for")
	}
}

// withoutSession is id without the session it is bound to (which the
// table compares separately: only a token handshake has one) and without
// the user row the join reuses.
func withoutSession(id Identity) Identity {
	id.Session = SessionRef{}
	id.row, id.blocked, id.staff = nil, nil, nil // what the rules keep for the join, checked by the join tests
	return id
}
