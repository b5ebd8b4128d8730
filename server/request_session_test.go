package server

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"

	"chatd/auth"
)

func TestSessionFrom(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t, nil)
	signed := auth.NewSigner(testSecret).CookieValue(aliceToken)
	forged := auth.NewSigner("another-secret-entirely-different").CookieValue(aliceToken)
	tests := []struct {
		name    string
		headers map[string][]string
		user    string // "" = no session
	}{
		{"nothing", nil, ""},
		{"bearer raw token", map[string][]string{"Authorization": {"Bearer " + aliceToken}}, seedAlice},
		{"bearer scheme is case-insensitive", map[string][]string{"Authorization": {"bearer " + aliceToken}}, seedAlice},
		{"bearer of an expired session", map[string][]string{"Authorization": {"Bearer " + eveToken}}, ""},
		{"signed cookie", map[string][]string{"Cookie": {"better-auth.session_token=" + signed}}, seedAlice},
		{"signed cookie, secure name", map[string][]string{"Cookie": {"__Secure-better-auth.session_token=" + signed}}, seedAlice},
		{"cookie with a forged signature", map[string][]string{"Cookie": {"better-auth.session_token=" + forged}}, ""},
		{"raw legacy cookie, quoted", map[string][]string{"Cookie": {`better-auth.session_token="` + modToken + `"`}}, seedMod},
		{"first cookie occurrence wins", map[string][]string{"Cookie": {"better-auth.session_token=" + modToken + "; better-auth.session_token=" + aliceToken}}, seedMod},
		{"bearer before cookies", map[string][]string{"Authorization": {"Bearer " + modToken}, "Cookie": {"better-auth.session_token=" + aliceToken}}, seedMod},
		{"a dead bearer falls through to the cookie", map[string][]string{"Authorization": {"Bearer nope"}, "Cookie": {"better-auth.session_token=" + aliceToken}}, seedAlice},
		{"secure name before the plain one", map[string][]string{"Cookie": {"better-auth.session_token=" + modToken + "; __Secure-better-auth.session_token=" + aliceToken}}, seedAlice},
		{"other cookies are ignored", map[string][]string{"Cookie": {"session_token=" + aliceToken + "; admin_session=true"}}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := gin.CreateTestContext(httptest.NewRecorder())
			c.Request = httptest.NewRequest("GET", "/", nil)
			c.Request.Header = http.Header(tc.headers)
			if c.Request.Header == nil {
				c.Request.Header = http.Header{}
			}
			su, ok, err := e.srv.sessionFrom(c)
			if err != nil {
				t.Fatal(err)
			}
			if got := map[bool]string{true: su.User.ID, false: ""}[ok]; got != tc.user {
				t.Fatalf("user %q, want %q", got, tc.user)
			}
			// The second call answers from the request's cache, identically.
			su2, ok2, _ := e.srv.sessionFrom(c)
			if ok2 != ok || su2.User.ID != su.User.ID {
				t.Fatal("cached result differs")
			}
		})
	}
}

func TestSessionFromDatabaseDown(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t, nil)
	e.db.Close()
	c, _ := gin.CreateTestContext(httptest.NewRecorder())
	c.Request = httptest.NewRequest("GET", "/", nil)
	c.Request.Header.Set("Authorization", "Bearer "+aliceToken)
	if _, ok, err := e.srv.sessionFrom(c); ok || err == nil {
		t.Fatalf("ok=%v err=%v, want a lookup error", ok, err)
	}
	// Routes answer with their fixed 500 bodies, never the driver's text.
	for _, tc := range []struct {
		req    apiReq
		status int
		body   string
	}{
		{apiReq{method: "POST", target: "/api/tenants/demo", body: `{}`, headers: bearer(adminToken)}, 500, `{"error":"Failed to update tenant"}`},
		{apiReq{method: "GET", target: "/api/tenants/demo/feedback", headers: bearer(adminToken)}, 500, `{"error":"Failed to fetch feedback"}`},
		{apiReq{method: "POST", target: "/api/tenants/demo/feedback", body: `{"score":5}`, headers: bearer(adminToken)}, 500, `{"error":"Failed to submit feedback"}`},
		{apiReq{method: "GET", target: "/api/tenants"}, 500, `{"statusCode":500,"message":"Internal server error"}`},
		{apiReq{method: "GET", target: "/api/validate-nas?nas_id=x"}, 500, `{"error":"Failed to validate NAS"}`},
		{apiReq{method: "GET", target: "/api/diag"}, 200,
			`{"status":"error","message":"database unavailable","dbKeys":["db","prisma"],"hasPrisma":true,"hasDb":true}`},
		{apiReq{method: "GET", target: "/api/ready"}, 503, `{"status":"unavailable"}`},
		{apiReq{method: "GET", target: "/api/health"}, 200, `{"status":"ok"}`},
	} {
		w := e.do(tc.req)
		if w.Code != tc.status {
			t.Fatalf("%s %s: %d %s", tc.req.method, tc.req.target, w.Code, w.Body)
		}
		assertJSON(t, w.Body.Bytes(), tc.body)
	}
}

func TestReady(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t, nil)
	w := e.do(apiReq{method: "GET", target: "/api/ready"})
	if w.Code != 200 {
		t.Fatalf("ready: %d %s", w.Code, w.Body)
	}
	assertJSON(t, w.Body.Bytes(), `{"status":"ok"}`)
	// A database without chatd's schema is reachable but not ready.
	if _, err := e.db.SQL().Exec(`DROP TABLE "Feedback"`); err != nil {
		t.Fatal(err)
	}
	if w := e.do(apiReq{method: "GET", target: "/api/ready"}); w.Code != 503 {
		t.Fatalf("ready without the schema: %d %s", w.Code, w.Body)
	}
}
