package chat

import (
	"chatd"
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestDeleteMessageEvent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		token     string
		payload   map[string]any
		joined    bool
		sender    []event // what the deleting socket gets
		broadcast []event // what another joined socket gets
		deleted   string  // the message that must be gone, "" when none
	}{
		{"moderator with room", modTok, map[string]any{"messageId": seedMsg3, "roomId": roomGen, "tenantSlug": "demo"}, true,
			[]event{{"messageDeleted", map[string]any{"messageId": seedMsg3, "roomId": roomGen}}},
			[]event{{"messageDeleted", map[string]any{"messageId": seedMsg3, "roomId": roomGen}}}, seedMsg3},
		{"admin without room", adminTok, map[string]any{"messageId": seedMsg6, "tenantSlug": "demo"}, true,
			[]event{{"messageDeleted", map[string]any{"messageId": seedMsg6}}},
			[]event{{"messageDeleted", map[string]any{"messageId": seedMsg6}}}, seedMsg6},
		{"room of nobody: the lobby hears it", modTok, map[string]any{"messageId": seedMsg3, "roomId": bobID, "tenantSlug": "demo"}, true,
			[]event{{"messageDeleted", map[string]any{"messageId": seedMsg3}}},
			[]event{{"messageDeleted", map[string]any{"messageId": seedMsg3}}}, seedMsg3},
		{"unknown message", modTok, map[string]any{"messageId": "c1e00000-dead-4000-8000-000000000000", "roomId": roomGen}, true, nil, nil, ""},
		{"moderator before join", modTok, map[string]any{"messageId": seedMsg3, "roomId": roomGen, "tenantSlug": "demo"}, false, nil, nil, ""},
		{"registered non-moderator", aliceTok, map[string]any{"messageId": seedMsg3, "roomId": roomGen, "tenantSlug": "demo"}, true,
			[]event{{"error", map[string]any{"message": "Unauthorized"}}}, nil, ""},
		{"anonymous", "", map[string]any{"messageId": seedMsg3, "tenantSlug": "demo"}, true,
			[]event{{"error", map[string]any{"message": "Unauthorized"}}}, nil, ""},
		{"malformed id", modTok, map[string]any{"messageId": 3.0}, true, nil, nil, ""},
		{"malformed room", modTok, map[string]any{"messageId": seedMsg3, "roomId": []any{}}, true, nil, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel() // each case has its own database
			e := newEnv(t)
			other, _ := e.joined("", bobID, "Bob")
			var c *recConn
			if tt.joined {
				c, _ = e.joined(tt.token, "", "X")
			} else {
				c, _ = e.connect(Handshake{Token: tt.token})
			}
			e.settle()
			c.take()
			other.take()
			before := e.messages()
			e.emit(c, "deleteMessage", tt.payload)
			e.settle()
			if got := c.take(); !reflect.DeepEqual(got, tt.sender) {
				t.Fatalf("socket got %v, want %v", got, tt.sender)
			}
			if got := other.take(); !reflect.DeepEqual(got, tt.broadcast) {
				t.Fatalf("other got %v, want %v", got, tt.broadcast)
			}
			want := before
			if tt.deleted != "" {
				want--
				if n := e.count(`SELECT count(*) FROM "Message" WHERE "id" = $1`, tt.deleted); n != 0 {
					t.Fatal("message still there")
				}
			}
			if n := e.messages(); n != want {
				t.Fatalf("%d messages, want %d", n, want)
			}
		})
	}
}

func TestRemoveMessageTenantScope(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	// A second tenant with its own moderator and message.
	for _, q := range []string{
		`INSERT INTO "Tenant" ("id","name","slug","createdAt","updatedAt") VALUES ('t2','Other','other',now(),now())`,
		`INSERT INTO "TenantMember" ("id","userId","tenantId","role","updatedAt") VALUES ('m2','a11ce000-0000-4000-8000-000000000001','t2','STAFF',now())`,
		`INSERT INTO "TenantMember" ("id","userId","tenantId","role","canModerate","updatedAt") VALUES ('m3','b0b00000-0000-4000-8000-000000000005','t2','STAFF',true,now())`,
		`INSERT INTO "Message" ("id","text","senderId","senderAlias","senderGender","tenantId") VALUES ('other-msg','x','s','S','other','t2')`,
	} {
		if _, err := e.db.SQL().Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name, user, slug, id string
		deleted              bool
		err                  error
	}{
		{"moderator of demo, message of other", modID, "demo", "other-msg", false, nil},
		{"moderator of demo on other", modID, "other", "other-msg", false, chatd.ErrNotModerator},
		{"staff without canModerate", aliceID, "other", "other-msg", false, chatd.ErrNotModerator},
		{"unknown tenant", modID, "nope", "other-msg", false, chatd.ErrNotModerator},
		{"canModerate member", bobID, "other", "other-msg", true, nil},
	}
	for _, tt := range tests {
		deleted, err := e.svc.RemoveMessage(ctx, tt.user, tt.slug, tt.id, "")
		if deleted != tt.deleted || !errors.Is(err, tt.err) {
			t.Fatalf("%s: deleted=%v err=%v, want %v %v", tt.name, deleted, err, tt.deleted, tt.err)
		}
	}
	if got := e.hub.broadcasts("tenant:other|messageDeleted"); len(got) != 1 {
		t.Fatalf("broadcasts %v", got)
	}
}

func TestBlockUnblock(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	alice, _ := e.joined(aliceTok, "", "Alice")
	e.settle()
	alice.take()
	steps := []struct {
		event   string
		payload any
		want    []event
	}{
		{"blockUser", map[string]any{"blockedId": modID}, []event{{"userBlocked", map[string]any{"blockedId": modID}}}},
		{"blockUser", map[string]any{"blockedId": modID}, []event{{"userBlocked", map[string]any{"blockedId": modID}}}},
		{"blockUser", map[string]any{}, nil},
		{"blockUser", "x", nil},
		{"blockUser", map[string]any{"blockedId": aliceID}, nil},
		{"blockUser", map[string]any{"blockedId": "no-such-user"}, nil},
		{"join", joinPayload(aliceID, "Alice", nil), []event{{"blockedUsers", map[string]any{"blockedIds": []any{modID}}}}},
		{"unblockUser", map[string]any{"blockedId": modID}, []event{{"userUnblocked", map[string]any{"unblockedId": modID}}}},
		{"unblockUser", map[string]any{"blockedId": 1.0}, nil},
	}
	for i, s := range steps {
		e.emit(alice, s.event, s.payload)
		var got []event
		for _, ev := range alice.take() {
			if ev.Name != "presenceUpdate" {
				got = append(got, ev)
			}
		}
		if !reflect.DeepEqual(got, s.want) {
			t.Fatalf("step %d %s: got %v, want %v", i, s.event, got, s.want)
		}
	}
	if n := e.count(`SELECT count(*) FROM "BlockedUser"`); n != 0 {
		t.Fatalf("%d blocks left", n)
	}
}

func TestReportAndHide(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	alice, _ := e.connect(Handshake{Token: aliceTok})
	// Before join: nothing.
	e.emit(alice, "hideConversation", map[string]any{"peerId": modID, "tenantSlug": "demo"})
	e.emit(alice, "reportUser", map[string]any{"accusedId": modID, "reason": "spam"})
	if got := alice.take(); len(got) != 0 {
		t.Fatalf("before join got %v", got)
	}
	e.emit(alice, "join", joinPayload(aliceID, "Alice", nil))
	alice.waitFor(t, "presenceUpdate")
	steps := []struct {
		event   string
		payload any
		want    []event
	}{
		{"reportUser", map[string]any{"accusedId": modID, "reason": "spam", "details": "Messaggi ripetuti",
			"context": []any{map[string]any{"id": seedMsg3, "text": "Ciao"}}}, []event{{"reportSubmitted", nil}}},
		{"reportUser", map[string]any{"accusedId": modID}, nil},
		{"reportUser", map[string]any{"accusedId": modID, "reason": 3.0}, nil},
		{"reportUser", map[string]any{"accusedId": modID, "reason": "x", "details": 3.0}, []event{{"error", map[string]any{"message": "Invalid payload"}}}},
		{"reportUser", map[string]any{"accusedId": "no-such-user", "reason": "x"}, nil},
		{"hideConversation", map[string]any{"peerId": modID, "tenantSlug": "demo"}, []event{{"conversationHidden", map[string]any{"peerId": modID}}}},
		{"hideConversation", map[string]any{"peerId": modID, "tenantSlug": "demo"}, []event{{"conversationHidden", map[string]any{"peerId": modID}}}},
		{"hideConversation", map[string]any{"peerId": modID}, nil},
		{"hideConversation", map[string]any{"peerId": modID, "tenantSlug": "other"}, nil},
		{"hideConversation", []any{}, nil},
	}
	for i, s := range steps {
		e.emit(alice, s.event, s.payload)
		if got := alice.take(); !reflect.DeepEqual(got, s.want) {
			t.Fatalf("step %d %s: got %v, want %v", i, s.event, got, s.want)
		}
	}
	reports, err := e.db.ReportsByTenant(context.Background(), tenantID)
	if err != nil || len(reports) != 1 {
		t.Fatalf("reports %+v, %v", reports, err)
	}
	r := reports[0]
	if r.ReporterID != aliceID || r.AccusedID != modID || r.Reason != "spam" || r.Details.String != "Messaggi ripetuti" ||
		string(r.Context.JSON) == "" {
		t.Fatalf("report %+v", r)
	}
	if n := e.count(`SELECT count(*) FROM "HiddenConversation" WHERE "userId" = $1 AND "peerId" = $2 AND "tenantId" = $3`, aliceID, modID, tenantID); n != 1 {
		t.Fatalf("%d hidden rows, want 1", n)
	}
}

// TestMalformedPayloadsWriteNothing sends every event shapes it does not
// expect; nothing is written anywhere and the socket keeps working.
func TestMalformedPayloadsWriteNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	alice, _ := e.joined(aliceTok, "", "Alice")
	huge := strings.Repeat("x", 200_000)
	bad := map[string][]any{
		"join": {"demo", 42.0, nil, []any{}, map[string]any{"user": []any{}, "tenantSlug": "demo"},
			map[string]any{"user": map[string]any{"id": 42.0}, "tenantSlug": "demo"},
			map[string]any{"user": map[string]any{"id": aliceID}, "tenantSlug": map[string]any{"$ne": ""}},
			map[string]any{"user": map[string]any{"id": aliceID}, "tenantSlug": huge},
			map[string]any{"user": map[string]any{"id": aliceID, "alias": "X", "image": 3.0}, "tenantSlug": "demo"}},
		"deleteMessage": {"x", nil, map[string]any{"messageId": 42.0}, map[string]any{"messageId": []any{seedMsg3}},
			map[string]any{"messageId": huge}},
		"blockUser":   {"x", nil, map[string]any{"blockedId": 42.0}, map[string]any{"blockedId": map[string]any{"id": modID}}, map[string]any{"blockedId": huge}, map[string]any{"blockedId": ""}},
		"unblockUser": {"x", nil, map[string]any{"blockedId": 42.0}, map[string]any{"blockedId": huge}},
		"reportUser": {"x", nil, map[string]any{"accusedId": modID, "reason": map[string]any{"x": 1.0}},
			map[string]any{"accusedId": 42.0, "reason": "spam"}, map[string]any{"accusedId": modID, "reason": huge},
			map[string]any{"accusedId": modID, "reason": "spam", "details": huge},
			map[string]any{"accusedId": modID, "reason": "spam", "context": huge}},
		"hideConversation": {"x", nil, map[string]any{"peerId": 42.0, "tenantSlug": "demo"}, map[string]any{"peerId": []any{modID}},
			map[string]any{"peerId": huge, "tenantSlug": "demo"}},
	}
	counts := func() string {
		return mustJSON(t, []int{e.messages(), e.count(`SELECT count(*) FROM "BlockedUser"`), e.count(`SELECT count(*) FROM "Report"`),
			e.count(`SELECT count(*) FROM "HiddenConversation"`), e.count(`SELECT count(*) FROM "user"`),
			e.count(`SELECT count(*) FROM "user" WHERE "id" = $1 AND "name" = 'Alice' AND "image" IS NULL AND "status" IS NULL`, aliceID)})
	}
	before := counts()
	for event, payloads := range bad {
		for i, p := range payloads {
			e.emit(alice, event, p)
			for _, ev := range alice.take() {
				if ev.Name != "error" && ev.Name != "presenceUpdate" {
					t.Fatalf("%s payload %d: got %v", event, i, ev)
				}
			}
		}
	}
	if after := counts(); after != before {
		t.Fatalf("rows changed: %s → %s", before, after)
	}
	e.emit(alice, "blockUser", map[string]any{"blockedId": modID})
	if got := alice.take(); len(got) != 1 || got[0].Name != "userBlocked" {
		t.Fatalf("socket no longer works: %v", got)
	}
}
