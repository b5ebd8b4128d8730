package chat

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"chatd"
	"chatd/store"
)

func TestSanitizeAlias(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, socket, want string }{
		{" Zoë_b<X>b-1 !", "abc", "Zoë_bXb-1"},
		{"Carla", "abc", "Carla"},
		{"", "dlmBtdXYZ", "Guest-dlmBtd"},
		{"!!!", "ab", "Guest-ab"},
		{"   ", "0123456789", "Guest-012345"},
		{"Ünïcødé Łukasz ŻÓŁĆ", "x", "Ünïcødé Łukasz ŻÓŁĆ"},
		{"emoji 🎉 party", "x", "emoji  party"},
		{"abcdefghijklmnopqrstuvwxyz0123456789", "x", "abcdefghijklmnopqrstuvwxyz0123"},
		{"abcdefghijklmnopqrstuvwxyz012 ", "x", "abcdefghijklmnopqrstuvwxyz012"},
		{"<script>alert(1)</script>", "x", "scriptalert1script"},
	}
	for _, tt := range tests {
		if got := SanitizeAlias(tt.in, tt.socket); got != tt.want {
			t.Errorf("SanitizeAlias(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	tenant := tenantID
	tests := []struct {
		name    string
		h       Handshake
		want    Identity // UserID "" means: a new user, checked below
		wantErr string
	}{
		{"token", Handshake{Token: aliceTok, TenantSlug: "demo"}, Identity{UserID: aliceID, Alias: "Alice", TenantID: &tenant}, ""},
		{"token wins over query ids", Handshake{Token: modTok, UserID: bobID, UserAlias: "Bob"}, Identity{UserID: modID, Alias: "Mod"}, ""},
		{"token unknown tenant", Handshake{Token: aliceTok, TenantSlug: "nope"}, Identity{UserID: aliceID, Alias: "Alice"}, ""},
		{"unknown token", Handshake{Token: "not-a-real-token", UserID: "x", TenantSlug: "demo"}, Identity{}, "invalid session"},
		{"expired token", Handshake{Token: eveTok, TenantSlug: "demo"}, Identity{}, "invalid session"},
		{"resume anonymous", Handshake{UserID: bobID, UserAlias: "Whatever", TenantSlug: "demo"},
			Identity{UserID: bobID, Alias: "Bob", TenantID: &tenant, Anonymous: true, Resumed: true}, ""},
		{"registered id without session", Handshake{UserID: aliceID, UserAlias: "Alice", TenantSlug: "demo"}, Identity{}, "authentication required"},
		{"moderator id without session", Handshake{UserID: modID, TenantSlug: "demo"}, Identity{}, "authentication required"},
		{"new anonymous", Handshake{UserID: "local-0000-carla", UserAlias: " Carla<b> ", TenantSlug: "demo"},
			Identity{Alias: "Carlab", TenantID: &tenant, Anonymous: true, Created: true}, ""},
		{"no query at all", Handshake{}, Identity{Alias: "Guest-", Anonymous: true, Created: true}, ""},
		{"live cookie", Handshake{CookieToken: modTok, UserID: bobID}, Identity{UserID: modID, Alias: "Mod"}, ""},
		{"stale cookie goes anonymous", Handshake{CookieToken: eveTok, UserID: bobID, TenantSlug: "demo"},
			Identity{UserID: bobID, Alias: "Bob", TenantID: &tenant, Anonymous: true, Resumed: true}, ""},
		{"explicit token beats cookie", Handshake{Token: "not-a-real-token", CookieToken: modTok}, Identity{}, "invalid session"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			socketID := "dlmBtdAAAAAAAAAAAAAA"
			got, err := e.svc.Authenticate(ctx, tt.h, socketID)
			if tt.wantErr != "" {
				if chatd.ErrorMessage(err) != tt.wantErr || chatd.ErrorCode(err) != chatd.EUNAUTHORIZED {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.want.Created {
				if got.UserID == "" || got.UserID == tt.h.UserID {
					t.Fatalf("new user id = %q", got.UserID)
				}
				if tt.want.Alias == "Guest-" {
					tt.want.Alias = "Guest-dlmBtd"
				}
				// No row until the guest needs one (guests.go).
				if _, err := e.db.UserByID(ctx, got.UserID); !errors.Is(err, store.ErrNotFound) {
					t.Fatalf("a connect wrote the guest's row: %v", err)
				}
				if !e.svc.guests.issued(got.UserID) {
					t.Fatalf("new guest id %q is not one of ours", got.UserID)
				}
				tt.want.UserID = got.UserID
			}
			if (got.Session.ID != "") == got.Anonymous {
				t.Fatalf("session %+v bound to a socket with anonymous=%v", got.Session, got.Anonymous)
			}
			got.Session = SessionRef{}                      // a session user's socket is bound to its session (sessions_test.go)
			got.row, got.blocked, got.staff = nil, nil, nil // what the rules keep for later, checked by the join tests
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("identity = %+v (tenant %v), want %+v", got, got.TenantID, tt.want)
			}
		})
	}
}

func TestConnectedGreetsAndAutoJoinsStaff(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	created, id := e.connect(Handshake{UserID: "local-0000-dora", UserAlias: "Dora", TenantSlug: "demo"})
	want := []event{{"userCreated", map[string]any{"id": id.UserID, "alias": "Dora", "tenantId": tenantID}}}
	if got := created.take(); !reflect.DeepEqual(got, want) {
		t.Fatalf("new anonymous got %v, want %v", got, want)
	}
	resumed, _ := e.connect(Handshake{UserID: bobID, UserAlias: "Bob"})
	want = []event{{"userConfirmed", map[string]any{"id": bobID, "alias": "Bob", "tenantId": nil}}}
	if got := resumed.take(); !reflect.DeepEqual(got, want) {
		t.Fatalf("resumed got %v, want %v", got, want)
	}
	alice, _ := e.connect(Handshake{Token: aliceTok, TenantSlug: "demo"})
	mod, _ := e.connect(Handshake{Token: modTok, TenantSlug: "demo"})
	if got := append(alice.take(), mod.take()...); len(got) != 0 {
		t.Fatalf("registered sockets got %v, want nothing", got)
	}
	if alice.inRoom(roomGen) || created.inRoom(roomGen) {
		t.Fatal("a non-member was auto-joined to a room")
	}
	if !mod.inRoom(roomGen) || !mod.inRoom(roomAnn) {
		t.Fatal("the moderator was not auto-joined to the tenant's rooms")
	}
	// Staff hear room messages before they join (ws_auth_valid_token).
	e.emit(alice, "join", map[string]any{"user": map[string]any{"id": aliceID, "alias": "Alice"}, "tenantSlug": "demo"})
	e.emit(alice, "sendMessage", map[string]any{"id": "c1e00000-0000-4000-8000-000000000001", "text": "ciao",
		"senderId": aliceID, "senderAlias": "Alice", "roomId": roomGen, "tenantSlug": "demo"})
	got := mod.waitFor(t, "newMessage")
	if len(got) != 1 || got[0].Payload.(map[string]any)["text"] != "ciao" {
		t.Fatalf("moderator got %v", got)
	}
}
