package server

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// ipCounter hands every request its own client IP, so A10's per-user limit
// only bites where a test means it to.
var ipCounter atomic.Int32

func freshIP() string { return fmt.Sprintf("198.51.100.%d:4000", ipCounter.Add(1)%250+1) }

func TestPostFeedback(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t, nil)
	const path = "/api/tenants/demo/feedback"
	tests := []struct {
		name   string
		req    apiReq
		status int
		body   string
	}{
		{"no credentials", apiReq{method: "POST", target: path, body: `{"score":3}`}, 401, `{"error":"Unauthorized"}`},
		{"invalid token", apiReq{method: "POST", target: path, body: `{"score":3}`, headers: bearer("not-a-token")}, 401, `{"error":"Unauthorized"}`},
		{"expired session", apiReq{method: "POST", target: path, body: `{"score":3}`, headers: bearer(eveToken)}, 401, `{"error":"Unauthorized"}`},
		{"unknown body userId is never created", apiReq{method: "POST", target: path,
			body: `{"score":5,"userId":"c1e00000-0000-4000-8000-00000000fb01"}`}, 401, `{"error":"Unauthorized"}`},
		{"session and another userId", apiReq{method: "POST", target: path, body: `{"score":5,"userId":"` + seedBob + `"}`,
			headers: bearer(aliceToken)}, 403, `{"error":"Forbidden"}`},
		{"unknown tenant", apiReq{method: "POST", target: "/api/tenants/nope/feedback", body: `{"score":3}`, headers: bearer(aliceToken)}, 404,
			`{"error":"Tenant not found"}`},
		{"score zero", apiReq{method: "POST", target: path, body: `{"score":0}`, headers: bearer(aliceToken)}, 400, `{"error":"Invalid score"}`},
		{"score eleven", apiReq{method: "POST", target: path, body: `{"score":11}`, headers: bearer(aliceToken)}, 400, `{"error":"Invalid score"}`},
		{"score fraction", apiReq{method: "POST", target: path, body: `{"score":9.5}`, headers: bearer(aliceToken)}, 400, `{"error":"Invalid score"}`},
		{"score string", apiReq{method: "POST", target: path, body: `{"score":"9"}`, headers: bearer(aliceToken)}, 400, `{"error":"Invalid score"}`},
		{"score missing", apiReq{method: "POST", target: path, body: `{}`, headers: bearer(aliceToken)}, 400, `{"error":"Invalid score"}`},
		{"comment too long", apiReq{method: "POST", target: path, body: `{"score":5,"comment":"` + strings.Repeat("è", 2001) + `"}`,
			headers: bearer(aliceToken)}, 400, `{"error":"Invalid comment"}`},
		{"comment not a string", apiReq{method: "POST", target: path, body: `{"score":5,"comment":5}`, headers: bearer(aliceToken)}, 400,
			`{"error":"Invalid comment"}`},
		{"userId not a string", apiReq{method: "POST", target: path, body: `{"score":5,"userId":5}`}, 400, `{"error":"Invalid request body"}`},
		{"malformed JSON", apiReq{method: "POST", target: path, body: `{"score":`, headers: bearer(aliceToken)}, 400, `{"error":"Invalid JSON body"}`},
		{"oversize body", apiReq{method: "POST", target: path, body: `{"comment":"` + strings.Repeat("x", 1<<20) + `"}`,
			headers: bearer(aliceToken)}, 413, `{"error":"Request body too large"}`},
		{"foreign origin with a cookie", apiReq{method: "POST", target: path, body: `{"score":5}`,
			headers: map[string]string{"Cookie": "better-auth.session_token=" + aliceToken, "Origin": "https://evil.example"}}, 403,
			`{"error":"Invalid origin"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.req.remote = freshIP()
			w := e.do(tc.req)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d: %.300s", w.Code, tc.status, w.Body)
			}
			assertJSON(t, w.Body.Bytes(), tc.body)
		})
	}

	// Success with a session (Bearer), and with body.userId of an existing user.
	var got struct {
		ID, UserID, TenantID, CreatedAt string
		Score                           int
		Comment                         *string
		User                            map[string]any
	}
	w := e.do(apiReq{method: "POST", target: path, body: `{"score":9,"comment":"Ottimo posto"}`, headers: bearer(aliceToken), remote: freshIP()})
	if w.Code != 200 {
		t.Fatalf("bearer: %d %s", w.Code, w.Body)
	}
	decode(t, w, &got)
	if got.Score != 9 || got.Comment == nil || *got.Comment != "Ottimo posto" || got.UserID != seedAlice || got.TenantID != seedTenantID ||
		len(got.ID) != 36 || len(got.CreatedAt) != 24 {
		t.Fatalf("unexpected %+v", got)
	}
	assertJSON(t, mustJSON(t, got.User), `{"id":"`+seedAlice+`","name":"Alice","image":null,"gender":"female","status":null,"isAnonymous":false,"createdAt":"2025-01-02T09:00:00.000Z"}`)
	w = e.do(apiReq{method: "POST", target: path, body: `{"score":7,"comment":"","userId":"` + seedBob + `"}`, remote: freshIP()})
	decode(t, w, &got)
	if w.Code != 200 || got.UserID != seedBob || got.Comment != nil {
		t.Fatalf("body userId: %d %s", w.Code, w.Body)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPostFeedbackRateLimit(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t, nil)
	const path = "/api/tenants/demo/feedback"
	ip := freshIP()
	if w := e.do(apiReq{method: "POST", target: path, body: `{"score":5}`, headers: bearer(aliceToken), remote: ip}); w.Code != 200 {
		t.Fatalf("first: %d", w.Code)
	}
	w := e.do(apiReq{method: "POST", target: path, body: `{"score":5}`, headers: bearer(aliceToken), remote: ip})
	if w.Code != 429 || w.Header().Get("Retry-After") != "30" {
		t.Fatalf("second: %d Retry-After=%q", w.Code, w.Header().Get("Retry-After"))
	}
	assertJSON(t, w.Body.Bytes(), `{"error":"Too many requests","retryAfter":30}`)
	// Another user behind the same venue IP is not affected.
	if w := e.do(apiReq{method: "POST", target: path, body: `{"score":5}`, headers: bearer(modToken), remote: ip}); w.Code != 200 {
		t.Fatalf("other user, same IP: %d", w.Code)
	}
}

func TestFeedbackLimits(t *testing.T) {
	t.Parallel()
	f := newFeedbackLimits()
	t0 := time.Unix(1000, 0)
	for i, tc := range []struct {
		ip, user string
		at       time.Duration
		ok       bool
		retry    int
	}{
		{"ip", "u1", 0, true, 0},
		{"ip", "u1", time.Second, false, 29},
		{"ip", "u1", 29500 * time.Millisecond, false, 1}, // rounded up, never 0
		{"ip", "u2", time.Second, true, 0},               // another user behind the same IP
		{"ip", "u1", 30 * time.Second, true, 0},
	} {
		ok, retry := f.allow(tc.ip, tc.user, t0.Add(tc.at))
		if ok != tc.ok || retry != tc.retry {
			t.Fatalf("post %d: ok=%v retry=%d, want %v %d", i, ok, retry, tc.ok, tc.retry)
		}
	}
	// 20 per IP per 10 minutes across users; posts the user's own limit
	// refused do not count against the IP.
	f = newFeedbackLimits()
	for i := range 20 {
		if ok, _ := f.allow("ip", fmt.Sprint("user", i), t0); !ok {
			t.Fatalf("user %d refused", i)
		}
		if ok, _ := f.allow("ip", fmt.Sprint("user", i), t0); ok {
			t.Fatalf("user %d's second post allowed", i)
		}
	}
	if ok, retry := f.allow("ip", "user-21", t0); ok || retry != 600 {
		t.Fatalf("21st post: ok=%v retry=%d", ok, retry)
	}
}

func TestListFeedback(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t, nil)
	for i, body := range []string{`{"score":3,"userId":"` + seedBob + `"}`, `{"score":8,"userId":"` + seedAlice + `","comment":"ok"}`} {
		if w := e.do(apiReq{method: "POST", target: "/api/tenants/demo/feedback", body: body, remote: freshIP()}); w.Code != 200 {
			t.Fatalf("seed feedback %d: %d %s", i, w.Code, w.Body)
		}
		time.Sleep(5 * time.Millisecond) // distinct createdAt
	}
	const path = "/api/tenants/demo/feedback"
	tests := []struct {
		name   string
		req    apiReq
		status int
		body   string
	}{
		{"non-admin", apiReq{method: "GET", target: path, headers: bearer(aliceToken)}, 403, `{"error":"Forbidden"}`},
		{"moderator", apiReq{method: "GET", target: path, headers: bearer(modToken)}, 403, `{"error":"Forbidden"}`},
		{"no credentials", apiReq{method: "GET", target: path}, 401, `{"error":"Unauthorized"}`},
		{"unknown userId", apiReq{method: "GET", target: path + "?userId=nobody"}, 401, `{"error":"Unauthorized"}`},
		{"userId of a non-admin", apiReq{method: "GET", target: path + "?userId=" + seedBob}, 403, `{"error":"Forbidden"}`},
		{"session and another userId", apiReq{method: "GET", target: path + "?userId=" + seedAdmin, headers: bearer(aliceToken)}, 403, `{"error":"Forbidden"}`},
		{"unknown tenant", apiReq{method: "GET", target: "/api/tenants/nope/feedback", headers: bearer(adminToken)}, 404, `{"error":"Tenant not found"}`},
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
	for _, req := range []apiReq{
		{method: "GET", target: path, headers: bearer(adminToken)},
		{method: "GET", target: path + "?userId=" + seedAdmin}, // compat: the admin's id without a session
	} {
		var list []struct {
			Score  int
			UserID string
			User   map[string]any
		}
		w := e.do(req)
		decode(t, w, &list)
		if w.Code != 200 || len(list) != 2 || list[0].Score != 8 || list[1].Score != 3 || list[0].User["id"] != seedAlice {
			t.Fatalf("%s: %d %s", req.target, w.Code, w.Body)
		}
		if _, ok := list[0].User["email"]; ok {
			t.Fatal("author e-mail leaked")
		}
	}

	strict := newAPIEnv(t, func(c *Config, _ *Deps) { c.StrictAuth = true })
	w := strict.do(apiReq{method: "GET", target: path + "?userId=" + seedAdmin})
	if w.Code != 401 {
		t.Fatalf("strict list by userId: %d", w.Code)
	}
	w = strict.do(apiReq{method: "POST", target: path, body: `{"score":5,"userId":"` + seedBob + `"}`, remote: freshIP()})
	if w.Code != 401 {
		t.Fatalf("strict post by userId: %d", w.Code)
	}
	assertJSON(t, w.Body.Bytes(), `{"error":"Unauthorized"}`)
	if w := strict.do(apiReq{method: "GET", target: path, headers: bearer(adminToken)}); w.Code != 200 {
		t.Fatalf("strict admin: %d", w.Code)
	}
}
