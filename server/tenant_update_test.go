package server

import (
	"encoding/json"
	"strings"
	"testing"

	"chatd/store/storetest"
)

func TestUpdateTenant(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t, nil)
	storetest.Exec(t, e.dbURL, `INSERT INTO "TenantMember" ("id","userId","tenantId","role","createdAt","updatedAt")
		VALUES ('m-owner', $1, $2, 'OWNER', now(), now())`, seedAlice, seedTenantID)
	storetest.Exec(t, e.dbURL, `INSERT INTO "user" ("id","name","isAnonymous","role","createdAt","updatedAt")
		VALUES ('super', 'Root', false, 'SUPERADMIN', now(), now())`)
	storetest.Exec(t, e.dbURL, `INSERT INTO "session" ("id","userId","token","expiresAt","createdAt","updatedAt")
		VALUES ('s-super', 'super', 'super-token', '2099-01-01', now(), now())`)
	const path = "/api/tenants/demo"
	tests := []struct {
		name   string
		req    apiReq
		status int
		body   string
	}{
		{"no session", apiReq{method: "POST", target: path, body: `{"name":"X"}`}, 401, `{"error":"Unauthorized"}`},
		{"expired session", apiReq{method: "POST", target: path, body: `{"name":"X"}`, headers: bearer(eveToken)}, 401, `{"error":"Unauthorized"}`},
		{"unknown tenant", apiReq{method: "POST", target: "/api/tenants/nope", body: `{"name":"X"}`, headers: bearer(adminToken)}, 404, `{"error":"Tenant not found"}`},
		{"moderator is not admin", apiReq{method: "POST", target: path, body: `{"name":"X"}`, headers: bearer(modToken)}, 403,
			`{"error":"Forbidden: Admin access required"}`},
		{"malformed JSON", apiReq{method: "POST", target: path, body: `{"name":`, headers: bearer(adminToken)}, 400, `{"error":"Invalid JSON body"}`},
		{"JSON array", apiReq{method: "POST", target: path, body: `[1]`, headers: bearer(adminToken)}, 400, `{"error":"Invalid JSON body"}`},
		{"toggle not a boolean", apiReq{method: "POST", target: path, body: `{"menuEnabled":"yes"}`, headers: bearer(adminToken)}, 400,
			`{"error":"Invalid request body"}`},
		{"toggle null", apiReq{method: "POST", target: path, body: `{"staffEnabled":null}`, headers: bearer(adminToken)}, 400,
			`{"error":"Invalid request body"}`},
		{"name not a string", apiReq{method: "POST", target: path, body: `{"name":5}`, headers: bearer(adminToken)}, 400,
			`{"error":"Invalid request body"}`},
		{"logo with a bad scheme", apiReq{method: "POST", target: path, body: `{"logoUrl":"javascript:alert(1)"}`, headers: bearer(adminToken)}, 400,
			`{"error":"Invalid request body"}`},
		{"foreign origin with a cookie", apiReq{method: "POST", target: path, body: `{"name":"X"}`,
			headers: map[string]string{"Cookie": "better-auth.session_token=" + adminToken, "Origin": "https://evil.example"}}, 403,
			`{"error":"Invalid origin"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := e.do(tc.req)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.status, w.Body)
			}
			assertJSON(t, w.Body.Bytes(), tc.body)
		})
	}

	update := func(token, target, body string) map[string]any {
		t.Helper()
		w := e.do(apiReq{method: "POST", target: target, body: body, headers: bearer(token)})
		if w.Code != 200 {
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
		var got map[string]any
		decode(t, w, &got)
		if _, ok := got["rooms"]; ok {
			t.Fatal("A9 answers without rooms")
		}
		if _, ok := got["bssid"]; ok {
			t.Fatal("bssid leaked")
		}
		return got
	}
	// ADMIN toggles; every field is applied (D4).
	got := update(adminToken, path, `{"menuEnabled":false,"feedbackEnabled":false,"menuUrl":"data:application/pdf;base64,AAAA","unknown":1}`)
	if got["menuEnabled"] != false || got["feedbackEnabled"] != false || got["staffEnabled"] != true || got["menuUrl"] != "data:application/pdf;base64,AAAA" {
		t.Fatalf("toggles not applied: %v", got)
	}
	if got["updatedAt"] == "2025-01-01T10:00:00.000Z" {
		t.Fatal("updatedAt not stamped")
	}
	// OWNER may edit too; an empty name is ignored; null clears a URL.
	got = update(aliceToken, path, `{"name":"","logoUrl":"https://cdn.example/logo.png","menuUrl":null}`)
	if got["name"] != "Demo Space" || got["logoUrl"] != "https://cdn.example/logo.png" || got["menuUrl"] != nil {
		t.Fatalf("owner edit: %v", got)
	}
	// SUPERADMIN via the signed cookie, targeting by body.id when the slug names nothing.
	cookie := map[string]string{"Cookie": "better-auth.session_token=super-token", "Origin": "http://localhost:3000"}
	w := e.do(apiReq{method: "POST", target: "/api/tenants/old-slug", body: `{"id":"` + seedTenantID + `","name":"Renamed"}`, headers: cookie})
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"name":"Renamed"`) {
		t.Fatalf("superadmin by id: %d %s", w.Code, w.Body)
	}
	// No fields: the row comes back unchanged.
	before := update(adminToken, path, `{}`)
	after := update(adminToken, path, ``)
	if before["updatedAt"] != after["updatedAt"] {
		t.Fatal("empty update changed the row")
	}
}

func TestUpdateTenantBodyLimit(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t, nil)
	// 9 MiB of logo is accepted (data URLs), over 10 MiB is not.
	logo, _ := json.Marshal("data:image/png;base64," + strings.Repeat("A", 9<<20))
	w := e.do(apiReq{method: "POST", target: "/api/tenants/demo", body: `{"logoUrl":` + string(logo) + `}`, headers: bearer(adminToken)})
	if w.Code != 200 {
		t.Fatalf("9 MiB logo: %d %.200s", w.Code, w.Body)
	}
	big, _ := json.Marshal(strings.Repeat("A", 10<<20))
	w = e.do(apiReq{method: "POST", target: "/api/tenants/demo", body: `{"logoUrl":` + string(big) + `}`, headers: bearer(adminToken)})
	if w.Code != 413 {
		t.Fatalf("oversize: %d", w.Code)
	}
	assertJSON(t, w.Body.Bytes(), `{"error":"Request body too large"}`)
}
