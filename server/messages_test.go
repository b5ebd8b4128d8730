package server

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"chatd/socketio/chat"
	"chatd/store/storetest"
)

const msgID = "11110000-0000-4000-8000-00000000000"

// history fetches a message list and returns its ids, checking that every
// entry carries timestamp == createdAt.
func history(t *testing.T, e *apiEnv, req apiReq) (ids []string, createdAt map[string]string) {
	t.Helper()
	w := e.do(req)
	if w.Code != 200 {
		t.Fatalf("%s: status %d %s", req.target, w.Code, w.Body)
	}
	var list []map[string]any
	decode(t, w, &list)
	createdAt = map[string]string{}
	for _, m := range list {
		if m["timestamp"] != m["createdAt"] || m["createdAt"] == nil {
			t.Fatalf("timestamp must equal createdAt: %v", m)
		}
		id := m["id"].(string)
		ids = append(ids, strings.TrimPrefix(id, msgID))
		createdAt[id] = m["createdAt"].(string)
	}
	return ids, createdAt
}

func TestRoomHistory(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t, nil)
	get := func(q string) string {
		ids, _ := history(t, e, apiReq{method: "GET", target: "/api/messages?" + q})
		return strings.Join(ids, ",")
	}
	_, at := history(t, e, apiReq{method: "GET", target: "/api/messages?tenant=demo&roomId=" + roomGeneral})
	tests := []struct{ name, query, want string }{
		{"room, 48 h window", "tenant=demo&roomId=" + roomGeneral, "3,4"},
		{"announcement room", "tenant=demo&roomId=" + roomAnnunci, "1,2"},
		{"room-less: tenant messages, never DMs", "tenant=demo", "6"},
		{"empty roomId is room-less", "tenant=demo&roomId=", "6"},
		{"since is exclusive", "tenant=demo&roomId=" + roomGeneral + "&since=" + at[msgID+"3"], "4"},
		{"since has no 48 h floor", "tenant=demo&roomId=" + roomGeneral + "&since=2000-01-01T00:00:00.000Z", "5,3,4"},
		{"since without fraction", "tenant=demo&roomId=" + roomGeneral + "&since=2000-01-01T00:00:00Z", "5,3,4"},
		{"since as a date", "tenant=demo&roomId=" + roomGeneral + "&since=2000-01-01", "5,3,4"},
		{"tenantId", "tenantId=" + seedTenantID + "&roomId=" + roomGeneral, "3,4"},
		{"unknown tenant", "tenant=nope&roomId=" + roomGeneral, ""},
		{"unknown tenantId", "tenantId=nope", ""},
		{"nothing", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := get(tc.query); got != tc.want {
				t.Fatalf("ids %q, want %q", got, tc.want)
			}
		})
	}
	for _, bad := range []string{"not-a-date", "2026-13-01", "1700000000"} {
		w := e.do(apiReq{method: "GET", target: "/api/messages?tenant=demo&since=" + bad})
		if w.Code != 400 {
			t.Fatalf("since=%s: %d", bad, w.Code)
		}
		assertJSON(t, w.Body.Bytes(), `{"message":"Invalid since parameter","error":"Bad Request","statusCode":400}`)
	}
	// A full message, exactly.
	w := e.do(apiReq{method: "GET", target: "/api/messages?tenant=demo"})
	var list []map[string]any
	decode(t, w, &list)
	ts := list[0]["createdAt"].(string)
	assertJSON(t, w.Body.Bytes(), `[{"id":"`+msgID+`6","text":"Messaggio globale del tenant","imageUrl":null,"createdAt":"`+ts+`",`+
		`"senderId":"`+seedAdmin+`","senderAlias":"Admin","senderGender":"other","recipientId":null,"roomId":null,`+
		`"userId":"`+seedAdmin+`","tenantId":"`+seedTenantID+`","timestamp":"`+ts+`"}]`)
}

func TestHistoryLimits(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t, nil)
	// 150 recent room messages and 250 recent DMs: the oldest 100 / 200 come back.
	storetest.Exec(t, e.dbURL, `INSERT INTO "Message" ("id","text","createdAt","senderId","senderAlias","senderGender","roomId","tenantId")
		SELECT 'bulk-' || lpad(i::text, 3, '0'), 'm', now() - interval '1 hour' + i * interval '1 second', $1, 'A', 'x', $2, $3
		FROM generate_series(1, 150) i`, seedAlice, roomGeneral, seedTenantID)
	storetest.Exec(t, e.dbURL, `INSERT INTO "Message" ("id","text","createdAt","senderId","senderAlias","senderGender","recipientId","tenantId")
		SELECT 'dm-' || lpad(i::text, 3, '0'), 'd', now() - interval '1 hour' + i * interval '1 second', $1, 'A', 'x', $2, $3
		FROM generate_series(1, 250) i`, seedBob, seedAlice, seedTenantID)
	ids, _ := history(t, e, apiReq{method: "GET", target: "/api/messages?tenant=demo&roomId=" + roomGeneral})
	if len(ids) != 100 || ids[0] != "3" || ids[1] != "4" || ids[99] != "bulk-098" {
		t.Fatalf("room history: %d entries, %v…%v", len(ids), ids[0], ids[len(ids)-1])
	}
	ids, _ = history(t, e, apiReq{method: "GET", target: "/api/messages/private?tenant=demo&userId=" + seedBob})
	if len(ids) != 200 || ids[0] != "dm-001" || ids[199] != "dm-200" {
		t.Fatalf("private history: %d entries, %v…%v", len(ids), ids[0], ids[len(ids)-1])
	}
}

func TestPrivateHistory(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t, nil)
	strict := newAPIEnv(t, func(c *Config, _ *Deps) { c.StrictAuth = true })
	const p = "/api/messages/private?"
	tests := []struct {
		name string
		env  *apiEnv
		req  apiReq
		want string // ids, or "401"/"403"
	}{
		{"sender", e, apiReq{target: p + "tenant=demo&userId=" + seedAlice}, "7"},
		{"recipient with tenantId", e, apiReq{target: p + "tenant=demo&tenantId=" + seedTenantID + "&userId=" + seedMod}, "7"},
		{"since", e, apiReq{target: p + "tenant=demo&since=2000-01-01T00:00:00.000Z&userId=" + seedAlice}, "7"},
		{"no DMs", e, apiReq{target: p + "tenant=demo&userId=" + seedBob}, ""},
		{"no userId", e, apiReq{target: p + "tenant=demo"}, ""},
		{"no tenant", e, apiReq{target: p + "userId=" + seedAlice}, ""},
		{"matching session", e, apiReq{target: p + "tenant=demo&userId=" + seedAlice, headers: bearer(aliceToken)}, "7"},
		{"session of someone else", e, apiReq{target: p + "tenant=demo&userId=" + seedAlice, headers: bearer(modToken)}, "403"},
		{"cookie session of someone else", e, apiReq{target: p + "tenant=demo&userId=" + seedAlice,
			headers: map[string]string{"Cookie": "better-auth.session_token=" + modToken}}, "403"},
		{"expired session counts as none", e, apiReq{target: p + "tenant=demo&userId=" + seedAlice, headers: bearer(eveToken)}, "7"},
		{"strict: no session", strict, apiReq{target: p + "tenant=demo&userId=" + seedAlice}, "401"},
		{"strict: own DMs", strict, apiReq{target: p + "tenant=demo&userId=" + seedAlice, headers: bearer(aliceToken)}, "7"},
		{"strict: userId defaults to the session user", strict, apiReq{target: p + "tenant=demo", headers: bearer(modToken)}, "7"},
		{"strict: someone else", strict, apiReq{target: p + "tenant=demo&userId=" + seedMod, headers: bearer(aliceToken)}, "403"},
		{"bad since", e, apiReq{target: p + "tenant=demo&since=x&userId=" + seedAlice}, "400"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.req.method = "GET"
			switch tc.want {
			case "401", "403", "400":
				w := tc.env.do(tc.req)
				body := map[string]string{
					"401": `{"message":"Unauthorized","statusCode":401}`,
					"403": `{"message":"Forbidden","error":"Forbidden","statusCode":403}`,
					"400": `{"message":"Invalid since parameter","error":"Bad Request","statusCode":400}`,
				}[tc.want]
				if fmt.Sprint(w.Code) != tc.want {
					t.Fatalf("status %d, want %s", w.Code, tc.want)
				}
				assertJSON(t, w.Body.Bytes(), body)
			default:
				ids, _ := history(t, tc.env, tc.req)
				if got := strings.Join(ids, ","); got != tc.want {
					t.Fatalf("ids %q, want %q", got, tc.want)
				}
			}
		})
	}
}

// roomHub records what the chat service broadcasts.
type roomHub struct {
	mu   sync.Mutex
	sent []string
}

func (h *roomHub) Emit(room, event string, payload any) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.sent = append(h.sent, fmt.Sprintf("%s %s %v", room, event, payload))
}

func (h *roomHub) EmitLocalState(room, _, event string, payload any) { h.Emit(room, event, payload) }

func TestDeleteMessage(t *testing.T) {
	t.Parallel()
	hub := &roomHub{}
	var svc *chat.Service
	e := newAPIEnv(t, func(_ *Config, d *Deps) {
		svc = chat.NewService(chat.Config{}, chat.Deps{Store: d.Store, Hub: hub, Logger: d.Logger})
		d.Messages = svc
	})
	t.Cleanup(svc.Close)
	storetest.Exec(t, e.dbURL, `INSERT INTO "TenantMember" ("id","userId","tenantId","role","createdAt","updatedAt")
		VALUES ('m-owner', $1, $2, 'OWNER', now(), now())`, seedAlice, seedTenantID)
	slug := func(h map[string]string) map[string]string { h["X-Tenant-Slug"] = "demo"; return h }
	forbidden := `{"message":"Not authorized to delete messages","error":"Forbidden","statusCode":403}`
	tests := []struct {
		name   string
		req    apiReq
		status int
		body   string
	}{
		{"no credentials", apiReq{target: "/api/messages/" + msgID + "3", headers: map[string]string{"X-Tenant-Slug": "demo"}}, 401,
			`{"message":"Unauthorized","statusCode":401}`},
		{"unknown token", apiReq{target: "/api/messages/" + msgID + "3", headers: slug(bearer("nope"))}, 401,
			`{"message":"Invalid token","error":"Unauthorized","statusCode":401}`},
		{"expired cookie", apiReq{target: "/api/messages/" + msgID + "3", headers: slug(map[string]string{"Cookie": "better-auth.session_token=" + eveToken})}, 401,
			`{"message":"Invalid token","error":"Unauthorized","statusCode":401}`},
		{"no tenant header", apiReq{target: "/api/messages/" + msgID + "3", headers: bearer(modToken)}, 403, forbidden},
		{"unknown tenant", apiReq{target: "/api/messages/" + msgID + "3", headers: map[string]string{"Authorization": "Bearer " + modToken, "X-Tenant-Slug": "nope"}}, 403, forbidden},
		{"not a moderator", apiReq{target: "/api/messages/" + msgID + "3", headers: slug(bearer(seedBobToken))}, 403, forbidden},
		{"tenantId of another tenant", apiReq{target: "/api/messages/" + msgID + "3?tenantId=other", headers: slug(bearer(modToken))}, 403,
			`{"message":"Tenant ID required","error":"Forbidden","statusCode":403}`},
		{"moderator deletes a room message", apiReq{target: "/api/messages/" + msgID + "3?tenantId=" + seedTenantID, headers: slug(bearer(modToken))}, 200,
			`{"success":true}`},
		{"already gone", apiReq{target: "/api/messages/" + msgID + "3", headers: slug(bearer(modToken))}, 200, `{"success":false}`},
		{"owner deletes a tenant message", apiReq{target: "/api/messages/" + msgID + "6", headers: slug(bearer(aliceToken))}, 200, `{"success":true}`},
		{"admin with a same-origin cookie", apiReq{target: "/api/messages/" + msgID + "1",
			headers: slug(map[string]string{"Cookie": "better-auth.session_token=" + adminToken, "Origin": "http://example.com"})}, 200, `{"success":true}`},
		{"cookie from a foreign origin", apiReq{target: "/api/messages/" + msgID + "2",
			headers: slug(map[string]string{"Cookie": "better-auth.session_token=" + adminToken, "Origin": "https://evil.example"})}, 403,
			`{"message":"Invalid origin","error":"Forbidden","statusCode":403}`},
	}
	storetest.Exec(t, e.dbURL, `INSERT INTO "session" ("id","userId","token","expiresAt","createdAt","updatedAt")
		VALUES ('s-bob', $1, $2, '2099-01-01', now(), now())`, seedBob, seedBobToken)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.req.method = "DELETE"
			w := e.do(tc.req)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.status, w.Body)
			}
			assertJSON(t, w.Body.Bytes(), tc.body)
		})
	}
	hub.mu.Lock()
	defer hub.mu.Unlock()
	want := []string{
		roomGeneral + " messageDeleted map[messageId:" + msgID + "3 roomId:" + roomGeneral + "]",
		"tenant:demo messageDeleted map[messageId:" + msgID + "6]",
		roomAnnunci + " messageDeleted map[messageId:" + msgID + "1 roomId:" + roomAnnunci + "]",
	}
	if strings.Join(hub.sent, "\n") != strings.Join(want, "\n") {
		t.Fatalf("broadcasts:\n%s\nwant:\n%s", strings.Join(hub.sent, "\n"), strings.Join(want, "\n"))
	}
	// Message 2 survived the refused delete.
	ids, _ := history(t, e, apiReq{method: "GET", target: "/api/messages?tenant=demo&roomId=" + roomAnnunci})
	if strings.Join(ids, ",") != "2" {
		t.Fatalf("announcement room now %v", ids)
	}
}

const seedBobToken = "bob-session-token-test"

func TestDeleteMessageWithoutChatService(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t, nil)
	h := map[string]string{"Authorization": "Bearer " + modToken, "X-Tenant-Slug": "demo"}
	for _, want := range []string{`{"success":true}`, `{"success":false}`} {
		w := e.do(apiReq{method: "DELETE", target: "/api/messages/" + msgID + "4", headers: h})
		if w.Code != 200 {
			t.Fatalf("status %d", w.Code)
		}
		assertJSON(t, w.Body.Bytes(), want)
	}
}
