package server

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"chatd/store"
	"chatd/store/storetest"
)

func TestPublicTenantRoutes(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t, nil)
	tests := []struct {
		name   string
		req    apiReq
		status int
		body   string // exact JSON; "@name" means the golden file
	}{
		{"A1 root", apiReq{method: "GET", target: "/api"}, 200, `{"status":"ok","message":"Hello World!"}`},
		{"A1 root trailing slash", apiReq{method: "GET", target: "/api/"}, 200, `{"status":"ok","message":"Hello World!"}`},
		{"A2 diag", apiReq{method: "GET", target: "/api/diag"}, 200,
			`{"status":"ok","database":"connected","tenantCount":1,"dbKeys":["db","prisma"],"hasPrisma":true,"hasDb":true,"env":"production"}`},
		{"A3 list", apiReq{method: "GET", target: "/api/tenants"}, 200,
			`[{"id":"` + seedTenantID + `","name":"Demo Space","slug":"demo","logoUrl":null,"latitude":45.4642,"longitude":9.19}]`},
		{"A5 by slug", apiReq{method: "GET", target: "/api/tenants/demo"}, 200, "@tenant_demo"},
		{"A5 trailing slash", apiReq{method: "GET", target: "/api/tenants/demo/"}, 200, "@tenant_demo"},
		{"A5 unknown", apiReq{method: "GET", target: "/api/tenants/nope"}, 404,
			`{"message":"Tenant with slug nope not found","error":"Not Found","statusCode":404}`},
		{"A5 unknown, decoded slug", apiReq{method: "GET", target: "/api/tenants/no%20pe"}, 404,
			`{"message":"Tenant with slug no pe not found","error":"Not Found","statusCode":404}`},
		{"A5 is case-sensitive", apiReq{method: "GET", target: "/api/tenants/DEMO"}, 404,
			`{"message":"Tenant with slug DEMO not found","error":"Not Found","statusCode":404}`},
		{"A6 staff", apiReq{method: "GET", target: "/api/tenants/demo/staff"}, 200, "@staff_demo"},
		{"A6 unknown tenant", apiReq{method: "GET", target: "/api/tenants/nope/staff"}, 200, `[]`},
		{"unknown route", apiReq{method: "GET", target: "/api/does-not-exist"}, 404,
			`{"message":"Cannot GET /api/does-not-exist","error":"Not Found","statusCode":404}`},
		{"unknown route keeps raw path and query", apiReq{method: "GET", target: "/api/foo/?x=1"}, 404,
			`{"message":"Cannot GET /api/foo/?x=1","error":"Not Found","statusCode":404}`},
		{"root page", apiReq{method: "GET", target: "/"}, 404, `{"message":"Cannot GET /","error":"Not Found","statusCode":404}`},
		{"wrong method on a Nest route", apiReq{method: "PUT", target: "/api/tenants"}, 404,
			`{"message":"Cannot PUT /api/tenants","error":"Not Found","statusCode":404}`},
		{"DELETE on a tenant", apiReq{method: "DELETE", target: "/api/tenants/demo"}, 404,
			`{"message":"Cannot DELETE /api/tenants/demo","error":"Not Found","statusCode":404}`},
		{"query too long", apiReq{method: "GET", target: "/api/tenants?x=" + strings.Repeat("a", 9000)}, 414,
			`{"message":"URI Too Long","statusCode":414}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := e.do(tc.req)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.status, w.Body)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
				t.Fatalf("content-type %q", ct)
			}
			if strings.HasPrefix(tc.body, "@") {
				assertGolden(t, w.Body.Bytes(), tc.body[1:])
				return
			}
			assertJSON(t, w.Body.Bytes(), tc.body)
		})
	}
}

func TestWrongMethodOnNextRouteIs405(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t, nil)
	w := e.do(apiReq{method: "PUT", target: "/api/validate-nas"})
	if w.Code != http.StatusMethodNotAllowed || w.Body.Len() != 0 || w.Header().Get("Allow") != "GET, POST" {
		t.Fatalf("got %d %q Allow=%q", w.Code, w.Body, w.Header().Get("Allow"))
	}
	for _, tc := range []struct {
		method, target string
		status         int
	}{
		{"GET", "/api/auth/logout", 405},          // a Next route under /api/auth/
		{"DELETE", "/api/validate-nas/", 405},     // trailing slash tolerated
		{"POST", "/api/auth/get-session", 404},    // a BetterAuth path, wrong method
		{"GET", "/api/auth/does-not-exist", 404},  // unknown under /api/auth/
		{"GET", "/api/auth/does-not-exist/", 404}, // with a slash
	} {
		w := e.do(apiReq{method: tc.method, target: tc.target})
		if w.Code != tc.status || w.Body.Len() != 0 {
			t.Errorf("%s %s: %d %q, want %d and an empty body", tc.method, tc.target, w.Code, w.Body, tc.status)
		}
		if allow := w.Header().Get("Allow"); (tc.status == 405) != (allow != "") {
			t.Errorf("%s %s: Allow %q", tc.method, tc.target, allow)
		}
	}
}

func TestStaffOrderAndFallback(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t, nil)
	// An OWNER added last still comes first; a second tenant has no members.
	storetest.Exec(t, e.dbURL, `INSERT INTO "TenantMember" ("id","userId","tenantId","role","createdAt","updatedAt")
		VALUES ('m-owner', $1, $2, 'OWNER', now(), now())`, seedAlice, seedTenantID)
	storetest.Exec(t, e.dbURL, `INSERT INTO "Tenant" ("id","name","slug","createdAt","updatedAt")
		VALUES ('t2', 'Empty', 'empty', now(), now())`)
	var staff []map[string]any
	decode(t, e.do(apiReq{method: "GET", target: "/api/tenants/demo/staff"}), &staff)
	var order []string
	for _, s := range staff {
		order = append(order, s["memberRole"].(string))
		for _, hidden := range []string{"email", "phoneNumber", "role", "emailVerified"} {
			if _, ok := s[hidden]; ok {
				t.Fatalf("staff entry leaks %s: %v", hidden, s)
			}
		}
	}
	if strings.Join(order, ",") != "OWNER,ADMIN,MODERATOR" {
		t.Fatalf("order %v", order)
	}
	// The fallback: the oldest registered user (Alice), without memberRole.
	w := e.do(apiReq{method: "GET", target: "/api/tenants/empty/staff"})
	assertJSON(t, w.Body.Bytes(), `[{"id":"`+seedAlice+`","name":"Alice","image":null,"gender":"female","status":null,"isAnonymous":false,"createdAt":"2025-01-02T09:00:00.000Z"}]`)

	off := newAPIEnv(t, func(c *Config, _ *Deps) { c.StaffFallback = false })
	storetest.Exec(t, off.dbURL, `INSERT INTO "Tenant" ("id","name","slug","createdAt","updatedAt") VALUES ('t2','Empty','empty',now(),now())`)
	assertJSON(t, off.do(apiReq{method: "GET", target: "/api/tenants/empty/staff"}).Body.Bytes(), `[]`)
}

func TestSetupReview(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t, nil)
	// From a trusted proxy, the caller is the right-most untrusted XFF entry.
	req := apiReq{method: "GET", target: "/api/tenants/setup-review?name=" + "Hotel%20Bella_Vista!!", remote: "127.0.0.1:9",
		headers: map[string]string{"X-Forwarded-For": "2001:db8::7"}}
	w := e.do(req)
	if w.Code != 200 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	var got struct {
		Name, Slug string
		Rooms      []struct{ Name, Type, Description string }
	}
	decode(t, w, &got)
	if got.Name != "Hotel Bella_Vista!!" || got.Slug != "hotel-bella-vista" || len(got.Rooms) != 2 ||
		got.Rooms[0].Type != "ANNOUNCEMENT" || got.Rooms[0].Description != "Messaggi da Hotel Bella_Vista!!" ||
		got.Rooms[1].Type != "GENERAL" || got.Rooms[1].Name != "Hotel Bella_Vista!!" {
		t.Fatalf("unexpected %+v", got)
	}
	// The device of that IP now resolves to the new tenant (full IPv6 kept).
	w = e.do(apiReq{method: "GET", target: "/api/tenants/validate-nas", remote: "[::1]:9", headers: map[string]string{"X-Forwarded-For": "2001:db8::7"}})
	if !strings.Contains(w.Body.String(), `"slug":"hotel-bella-vista"`) {
		t.Fatalf("nas not pointed at the review tenant: %s", w.Body)
	}
	// Running it again renames nothing and adds no rooms.
	w = e.do(req)
	decode(t, w, &got)
	if len(got.Rooms) != 2 {
		t.Fatalf("rooms duplicated: %+v", got.Rooms)
	}
	// An empty slug falls back; the default name is used without ?name.
	decode(t, e.do(apiReq{method: "GET", target: "/api/tenants/setup-review?name=%21%21"}), &got)
	if got.Slug != "app-review-space" {
		t.Fatalf("slug %q", got.Slug)
	}
	decode(t, e.do(apiReq{method: "GET", target: "/api/tenants/setup-review"}), &got)
	if got.Name != "App Review Space" || got.Slug != "app-review-space" {
		t.Fatalf("default %+v", got)
	}

	strict := newAPIEnv(t, func(c *Config, _ *Deps) { c.StrictAuth = true })
	w = strict.do(apiReq{method: "GET", target: "/api/tenants/setup-review"})
	if w.Code != 404 {
		t.Fatalf("strict: %d", w.Code)
	}
	assertJSON(t, w.Body.Bytes(), `{"message":"Cannot GET /api/tenants/setup-review","error":"Not Found","statusCode":404}`)
}

func TestReviewSlug(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"App Review Space": "app-review-space", "  Caffè  Roma ": "caff-roma", "a__b--c  d": "a-b-c-d",
		"---": "app-review-space", "Ünïcode": "ncode", "x_y": "x-y",
	} {
		if got := reviewSlug(in); got != want {
			t.Errorf("reviewSlug(%q) = %q, want %q", in, got, want)
		}
	}
}

// A tenant without rooms still answers "rooms": [] — the app reads rooms[0].
func TestWithRoomsAlwaysAnArray(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(withRooms(store.Tenant{ID: "t1", Slug: "s", Name: "n"}, nil))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"rooms":[]`) {
		t.Fatalf("tenant without rooms: %s", b)
	}
}
