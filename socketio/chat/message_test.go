package chat

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"chatd"
)

const msgID = "c1e00000-0000-4000-8000-000000000001"

func msg(id, sender, text string, extra map[string]any) map[string]any {
	m := map[string]any{"id": id, "text": text, "senderId": sender, "senderAlias": "Alice", "senderGender": "female",
		"timestamp": "2025-06-01T12:00:00.000Z", "tenantId": tenantID, "tenantSlug": "demo"}
	for k, v := range extra {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	return m
}

func (e *env) messages() int { return e.count(`SELECT count(*) FROM "Message"`) }

func TestSendRoomMessageEchoesAndPersists(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	lurker, _ := e.connect(Handshake{UserAlias: "Lurker", TenantSlug: "demo"})
	lurker.take()
	alice, _ := e.joined(aliceTok, "", "Alice")
	bob, _ := e.joined("", bobID, "Bob")
	e.settle()
	alice.take()
	sent := msg(msgID, aliceID, "<b>Ciao</b> <i>mondo</i>", map[string]any{"roomId": roomGen, "extra": "kept"})
	e.emit(alice, "sendMessage", sent)
	want := map[string]any{}
	for k, v := range sent {
		want[k] = v
	}
	want["text"], want["timestamp"] = "Ciao mondo", chatd.FormatTime(e.clock.Now())
	for _, c := range []*recConn{alice, bob} {
		got := c.waitFor(t, "newMessage")
		if !reflect.DeepEqual(got[len(got)-1].Payload, want) {
			t.Fatalf("got %s\nwant %s", mustJSON(t, got[len(got)-1].Payload), mustJSON(t, want))
		}
	}
	if got := lurker.take(); len(got) != 0 {
		t.Fatalf("lurker got %v", got)
	}
	m, err := e.db.MessageByID(context.Background(), msgID)
	if err != nil {
		t.Fatal(err)
	}
	if m.Text != "Ciao mondo" || m.RoomID.String != roomGen || m.TenantID != tenantID || m.UserID.String != aliceID ||
		m.SenderGender != "female" || m.RecipientID.Valid || !m.CreatedAt.Equal(e.clock.Now()) {
		t.Fatalf("stored %+v", m)
	}
}

func TestSendRouting(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	alice, _ := e.joined(aliceTok, "", "Alice")
	bob, _ := e.joined("", bobID, "Bob")
	mod, _ := e.joined(modTok, "", "Mod")
	e.settle()
	for _, c := range []*recConn{alice, bob, mod} {
		c.take()
	}
	// No room, no recipient: the tenant's lobby; no text key: text "".
	e.emit(bob, "sendMessage", msg("c1e00000-0000-4000-8000-000000000002", bobID, "", map[string]any{"text": nil, "imageUrl": "/api/uploads/chat/foto.jpg"}))
	for _, c := range []*recConn{alice, bob, mod} {
		got := c.waitFor(t, "newMessage")
		if p := got[0].Payload.(map[string]any); p["text"] != "" || p["imageUrl"] != "/api/uploads/chat/foto.jpg" {
			t.Fatalf("got %v", p)
		}
	}
	// The echo names the joined tenant, whatever the client wrote.
	e.clock.Advance(time.Second)
	e.emit(bob, "sendMessage", msg("c1e00000-0000-4000-8000-000000000006", bobID, "x", map[string]any{"tenantId": "forged", "tenantSlug": "forged"}))
	if p := alice.waitFor(t, "newMessage")[0].Payload.(map[string]any); p["tenantId"] != tenantID || p["tenantSlug"] != "demo" {
		t.Fatalf("echo names tenant %v / %v", p["tenantId"], p["tenantSlug"])
	}
	bob.take()
	mod.take()
	// Private: recipient and sender only; hidden conversations reopen.
	e.clock.Advance(time.Second)
	if err := e.db.HideConversation(context.Background(), aliceID, modID, tenantID); err != nil {
		t.Fatal(err)
	}
	if err := e.db.HideConversation(context.Background(), modID, aliceID, tenantID); err != nil {
		t.Fatal(err)
	}
	e.emit(mod, "sendMessage", msg("c1e00000-0000-4000-8000-000000000003", modID, "psst", map[string]any{"recipientId": aliceID}))
	alice.waitFor(t, "privateMessage")
	mod.waitFor(t, "privateMessage")
	e.settle()
	if got := bob.take(); len(got) != 0 {
		t.Fatalf("bob got a private message: %v", got)
	}
	if n := e.count(`SELECT count(*) FROM "HiddenConversation"`); n != 0 {
		t.Fatalf("%d hidden conversations left after a private message", n)
	}
	// Blocked either way: stored, delivered to nobody.
	if err := e.db.BlockUser(context.Background(), aliceID, modID); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Second)
	e.emit(mod, "sendMessage", msg("c1e00000-0000-4000-8000-000000000004", modID, "blocked?", map[string]any{"recipientId": aliceID}))
	e.clock.Advance(time.Second)
	e.emit(alice, "sendMessage", msg("c1e00000-0000-4000-8000-000000000005", aliceID, "yes", map[string]any{"recipientId": modID}))
	e.settle()
	if got := append(alice.take(), mod.take()...); len(got) != 0 {
		t.Fatalf("blocked private messages were delivered: %v", got)
	}
	if n := e.count(`SELECT count(*) FROM "Message" WHERE "id" IN ('c1e00000-0000-4000-8000-000000000004', 'c1e00000-0000-4000-8000-000000000005')`); n != 2 {
		t.Fatalf("%d blocked messages stored, want 2", n)
	}
}

func TestSendRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		token   string
		payload map[string]any
		want    []event // what the sender gets; nothing is delivered or stored
	}{
		{"announcement by a user", aliceTok, msg(msgID, aliceID, "hi", map[string]any{"roomId": roomAnn}),
			[]event{{"error", map[string]any{"message": "Only admins can post in this room"}}}},
		{"someone else's senderId", aliceTok, msg(msgID, modID, "hi", map[string]any{"roomId": roomGen}),
			[]event{{"error", map[string]any{"message": "Forbidden"}}}},
		{"unknown room", aliceTok, msg(msgID, aliceID, "hi", map[string]any{"roomId": "cm0roomdoesnotexist000000"}),
			[]event{{"error", map[string]any{"message": "message not saved"}}}},
		{"room of another tenant", aliceTok, msg(msgID, aliceID, "hi", map[string]any{"roomId": "r-other"}),
			[]event{{"error", map[string]any{"message": "message not saved"}}}},
		{"recipient is a room", aliceTok, msg(msgID, aliceID, "hi", map[string]any{"recipientId": roomGen}),
			[]event{{"error", map[string]any{"message": "message not saved"}}}},
		{"recipient is a lobby", aliceTok, msg(msgID, aliceID, "hi", map[string]any{"recipientId": "tenant:demo"}),
			[]event{{"error", map[string]any{"message": "message not saved"}}}},
		{"duplicate id", aliceTok, msg(seedMsg3, aliceID, "dup", map[string]any{"roomId": roomGen}), nil},
		{"empty after sanitising", aliceTok, msg(msgID, aliceID, " <br/> ", nil), nil},
		{"too long", aliceTok, msg(msgID, aliceID, strings.Repeat("a", maxText+1), nil),
			[]event{{"error", map[string]any{"message": "Message too long"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel() // each case has its own database
			e := newEnv(t)
			for _, q := range []string{
				`INSERT INTO "Tenant" ("id","name","slug","createdAt","updatedAt") VALUES ('t2','Other','other',now(),now())`,
				`INSERT INTO "Room" ("id","name","tenantId") VALUES ('r-other','Room','t2')`,
			} {
				if _, err := e.db.SQL().Exec(q); err != nil {
					t.Fatal(err)
				}
			}
			sender, _ := e.joined(tt.token, "", "Alice")
			other, _ := e.joined(modTok, "", "Mod")
			e.settle()
			sender.take()
			other.take()
			before := e.messages()
			e.emit(sender, "sendMessage", tt.payload)
			e.settle()
			if got := sender.take(); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("sender got %v, want %v", got, tt.want)
			}
			if got := other.take(); len(got) != 0 {
				t.Fatalf("delivered: %v", got)
			}
			if n := e.messages(); n != before {
				t.Fatalf("%d messages stored", n-before)
			}
		})
	}
}

func TestSendAnnouncementByModerator(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	alice, _ := e.joined(aliceTok, "", "Alice")
	admin, _ := e.joined(adminTok, "", "Admin")
	e.emit(admin, "sendMessage", msg(msgID, adminID, "Evento", map[string]any{"roomId": roomAnn}))
	alice.waitFor(t, "newMessage")
}

func TestSendRateLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	alice, _ := e.joined(aliceTok, "", "Alice")
	e.settle()
	alice.take()
	id := func(n int) string { return "c1e00000-0000-4000-8000-00000000010" + string(rune('0'+n)) }
	// Nothing to send and before-join messages do not take the slot.
	e.emit(alice, "sendMessage", nil)
	e.emit(alice, "sendMessage", map[string]any{})
	e.emit(alice, "sendMessage", msg(id(0), aliceID, "", nil))
	e.clock.Advance(100 * time.Millisecond)
	e.emit(alice, "sendMessage", msg(id(1), aliceID, "first", nil))
	alice.waitFor(t, "newMessage")
	e.clock.Advance(100 * time.Millisecond)
	e.emit(alice, "sendMessage", msg(id(2), aliceID, "too soon", nil))
	want := []event{{"rateLimited", map[string]any{"retryAfter": 400.0}}}
	if got := alice.take(); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	// A refused message does not move the slot: 400 ms later it frees.
	e.clock.Advance(400 * time.Millisecond)
	e.emit(alice, "sendMessage", msg(id(3), aliceID, " <br/> ", nil)) // empty after sanitising: takes the slot
	e.clock.Advance(100 * time.Millisecond)
	e.emit(alice, "sendMessage", msg(id(4), aliceID, "after empty", nil))
	want = []event{{"rateLimited", map[string]any{"retryAfter": 400.0}}}
	if got := alice.take(); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	e.clock.Advance(400 * time.Millisecond)
	e.emit(alice, "sendMessage", msg(id(5), aliceID, "announcement", map[string]any{"roomId": roomAnn}))
	e.clock.Advance(1 * time.Millisecond)
	e.emit(alice, "sendMessage", msg(id(6), aliceID, "after refused", nil))
	got := alice.take()
	if len(got) != 2 || got[0].Name != "error" || !reflect.DeepEqual(got[1], event{"rateLimited", map[string]any{"retryAfter": 499.0}}) {
		t.Fatalf("got %v", got)
	}
	// A socket that never joined is ignored and keeps no slot.
	late, _ := e.connect(Handshake{Token: aliceTok})
	e.emit(late, "sendMessage", msg(id(7), aliceID, "before join", nil))
	if got := late.take(); len(got) != 0 {
		t.Fatalf("before join got %v", got)
	}
	if n := e.count(`SELECT count(*) FROM "Message" WHERE "id" LIKE 'c1e00000-0000-4000-8000-00000000010%'`); n != 1 {
		t.Fatalf("%d messages stored, want 1", n)
	}
}

func TestSendWriteFailure(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	alice, _ := e.joined(aliceTok, "", "Alice")
	guest, id := e.joined("", "", "Guest")
	e.settle()
	alice.take()
	guest.take()
	// The guest's user row goes (account deleted) while the socket lives:
	// the message's userId foreign key fails.
	if _, err := e.db.SQL().Exec(`DELETE FROM "user" WHERE "id" = $1`, id.UserID); err != nil {
		t.Fatal(err)
	}
	before := e.messages()
	e.emit(guest, "sendMessage", msg(msgID, id.UserID, "lost", map[string]any{"roomId": roomGen, "recipientId": nil}))
	e.settle()
	want := []event{{"error", map[string]any{"message": "message not saved"}}}
	if got := guest.take(); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if got := alice.take(); len(got) != 0 {
		t.Fatalf("delivered after a failed write: %v", got)
	}
	if e.messages() != before {
		t.Fatal("a row was written")
	}
}

func TestSendMalformedPayloads(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	alice, _ := e.joined(aliceTok, "", "Alice")
	e.settle()
	alice.take()
	big := strings.Repeat("x", maxRawText+1)
	payloads := []any{
		"text", 42.0, []any{"a"}, true,
		map[string]any{"text": 5.0, "id": msgID, "senderId": aliceID},
		msg(msgID, aliceID, "x", map[string]any{"id": nil}),
		msg(msgID, aliceID, "x", map[string]any{"id": 7.0}),
		msg(msgID, aliceID, "x", map[string]any{"id": "bad id with spaces"}),
		msg(msgID, aliceID, "x", map[string]any{"id": "not-a-uuid"}),
		msg(msgID, aliceID, "x", map[string]any{"id": "c1e00000-0000-4000-8000-00000000000g"}),
		msg(msgID, aliceID, "x", map[string]any{"id": strings.Repeat("a", 129)}),
		msg(msgID, aliceID, "x", map[string]any{"senderId": nil}),
		msg(msgID, aliceID, "x", map[string]any{"senderId": []any{aliceID}}),
		msg(msgID, aliceID, "x", map[string]any{"roomId": 3.0}),
		msg(msgID, aliceID, "x", map[string]any{"recipientId": map[string]any{"id": modID}}),
		msg(msgID, aliceID, "x", map[string]any{"recipientId": strings.Repeat("a", 129)}),
		msg(msgID, aliceID, "x", map[string]any{"senderAlias": strings.Repeat("a", 101)}),
		msg(msgID, aliceID, "x", map[string]any{"senderGender": strings.Repeat("a", 33)}),
		msg(msgID, aliceID, "x", map[string]any{"imageUrl": "javascript:alert(1)"}),
		msg(msgID, aliceID, "x", map[string]any{"imageUrl": "/api/auth/sign-out"}),
		msg(msgID, aliceID, "x", map[string]any{"imageUrl": "data:image/png,<svg onload=alert(1)>"}),
		msg(msgID, aliceID, "x", map[string]any{"imageUrl": 1.0}),
		msg(msgID, aliceID, big, nil),
		msg(msgID, aliceID, "x", map[string]any{"junk": strings.Repeat("j", maxEchoJSON)}),
	}
	before := e.messages()
	for i, p := range payloads {
		e.clock.Advance(time.Second)
		e.emit(alice, "sendMessage", p)
		for _, ev := range alice.take() {
			if ev.Name != "error" {
				t.Fatalf("payload %d: got %v", i, ev)
			}
		}
	}
	if n := e.messages(); n != before {
		t.Fatalf("%d rows written by malformed payloads", n-before)
	}
	// Still alive and well.
	e.clock.Advance(time.Second)
	e.emit(alice, "sendMessage", msg(msgID, aliceID, "ok", nil))
	alice.waitFor(t, "newMessage")
}

// panicConn panics on every Emit, standing in for a transport bug.
type panicConn struct{ *recConn }

func (panicConn) Emit(string, any) { panic("boom") }

func TestHandleRecoversFromPanics(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := panicConn{e.hub.newConn()}
	id, err := e.svc.Authenticate(context.Background(), Handshake{Token: aliceTok}, c.ID())
	if err != nil {
		t.Fatal(err)
	}
	e.svc.Connected(context.Background(), c, id)
	payload := wire(joinPayload(aliceID, "Alice", nil))
	e.svc.Handle(context.Background(), c, "join", []any{payload}) // panics inside at blockedUsers
	done := make(chan struct{})
	go func() {
		e.svc.Handle(context.Background(), c, "join", []any{payload}) // the socket's lock was released
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		t.Fatal("the socket is stuck after a panic")
	}
}
