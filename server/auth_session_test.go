package server

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"chatd/auth"
	"chatd/store/storetest"
)

// newAuthEnv is an apiEnv with BetterAuth sessions (30 days, refresh after
// a day, cookie cache on) and email and password enabled.
func newAuthEnv(t *testing.T) *apiEnv { return newAPIEnv(t, authEnvDeps) }

func authEnvDeps(cfg *Config, deps *Deps) {
	cfg.NodeEnv, cfg.EmailPassword = "test", true
	deps.Sessions = auth.NewSessions(deps.Store, auth.NewSigner(testSecret), time.Now,
		auth.Config{ExpiresIn: 30 * 24 * time.Hour, UpdateAge: 24 * time.Hour, CacheMaxAge: 300 * time.Second})
}

// cookieFrom returns "name=value" of the Set-Cookie named name, or "".
func cookieFrom(h http.Header, name string) string {
	for _, line := range h.Values("Set-Cookie") {
		if pair, _, _ := strings.Cut(line, ";"); strings.HasPrefix(pair, name+"=") {
			return pair
		}
	}
	return ""
}

func TestAuthSessionLifecycle(t *testing.T) {
	t.Parallel()
	e := newAuthEnv(t)
	w := e.do(apiReq{method: "POST", target: "/api/auth/sign-in/anonymous"})
	if w.Code != http.StatusOK {
		t.Fatalf("sign-in: %d %s", w.Code, w.Body)
	}
	var signIn struct {
		Token string `json:"token"`
		User  struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	_ = json.Unmarshal(w.Body.Bytes(), &signIn)
	cookie := cookieFrom(w.Header(), "better-auth.session_token")
	if cookie == "" || cookieFrom(w.Header(), "better-auth.session_data") == "" {
		t.Fatalf("cookies: %q", w.Header().Values("Set-Cookie"))
	}

	w = e.do(apiReq{method: "GET", target: "/api/auth/get-session", headers: map[string]string{"Cookie": cookie}})
	if w.Code != http.StatusOK || w.Header().Get("Cache-Control") != "no-store" || !strings.Contains(w.Body.String(), `"token":"`+signIn.Token+`"`) {
		t.Fatalf("get-session: %d %v %s", w.Code, w.Header(), w.Body)
	}

	w = e.do(apiReq{method: "POST", target: "/api/auth/get-session", headers: map[string]string{"Cookie": cookie}})
	if w.Code != http.StatusNotFound || w.Body.Len() != 0 {
		t.Fatalf("POST get-session: %d %q", w.Code, w.Body)
	}

	w = e.do(apiReq{method: "POST", target: "/api/auth/update-user", body: `{"name":"x"}`})
	if w.Code != http.StatusUnauthorized || w.Body.Len() != 0 || w.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("update-user without a session: %d %q %v", w.Code, w.Body, w.Header())
	}

	w = e.do(apiReq{method: "POST", target: "/api/auth/sign-out", body: "{}",
		headers: map[string]string{"Cookie": cookie, "Origin": "capacitor://localhost"}})
	if w.Code != http.StatusOK || len(w.Header().Values("Set-Cookie")) != 4 {
		t.Fatalf("sign-out: %d %v", w.Code, w.Header().Values("Set-Cookie"))
	}
	w = e.do(apiReq{method: "GET", target: "/api/auth/get-session", headers: bearer(signIn.Token)})
	if w.Body.String() != "null" {
		t.Fatalf("after sign-out: %s", w.Body)
	}
}

func TestGetSessionSignedOut(t *testing.T) {
	t.Parallel()
	e := newAuthEnv(t)
	tests := []struct {
		name    string
		headers map[string]string
		clears  bool
	}{
		{"no credentials", nil, false},
		{"expired raw cookie", map[string]string{"Cookie": "better-auth.session_token=" + eveToken}, true},
		{"unknown bearer", bearer("unknown-token"), true},
		{"bad signature", map[string]string{"Cookie": "better-auth.session_token=" + aliceToken + ".Lf%2FiDiCQognAPZffIKp3%2B%2F1hOeMRiVyrI6h6AgUK%2Bok%3D"}, false},
	}
	for _, tt := range tests {
		w := e.do(apiReq{method: "GET", target: "/api/auth/get-session", headers: tt.headers})
		if w.Code != http.StatusOK || w.Body.String() != "null" {
			t.Errorf("%s: %d %s", tt.name, w.Code, w.Body)
		}
		if got := len(w.Header().Values("Set-Cookie")) > 0; got != tt.clears {
			t.Errorf("%s: cookies cleared = %v, want %v", tt.name, got, tt.clears)
		}
	}
	var n int
	if err := storetest.MustOpenSQL(t, e.dbURL).QueryRow(`SELECT count(*) FROM "session" WHERE "token" = $1`, eveToken).Scan(&n); err != nil || n != 0 {
		t.Fatalf("expired session row kept: %d %v", n, err)
	}
	w := e.do(apiReq{method: "GET", target: "/api/auth/get-session", headers: bearer(aliceToken)})
	if !strings.Contains(w.Body.String(), `"id":"`+seedAlice+`"`) {
		t.Fatalf("a raw legacy token must resolve: %s", w.Body)
	}
}

func TestEmailSignInCSRF(t *testing.T) {
	t.Parallel()
	e := newAuthEnv(t)
	body := `{"email":"nobody@example.com","password":"password123"}`
	tests := []struct {
		name    string
		headers map[string]string
		status  int
		code    string
	}{
		{"native: no Origin, no Fetch Metadata", nil, 401, "INVALID_EMAIL_OR_PASSWORD"},
		{"untrusted Origin without Fetch Metadata (1.4.18 lets it through)", map[string]string{"Origin": "http://evil.example"}, 401, "INVALID_EMAIL_OR_PASSWORD"},
		{"cross-site navigation", map[string]string{"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Origin": "http://evil.example"},
			403, "CROSSSITE_NAVIGATION_LOGIN_BLOCKED_THIS_REQUEST_APPEARS_TO_BE_A_CSRF_ATTACK"},
		{"cross-site fetch from an untrusted origin", map[string]string{"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "cors", "Origin": "http://evil.example"}, 403, "INVALID_ORIGIN"},
		{"Fetch Metadata without Origin", map[string]string{"Sec-Fetch-Site": "same-origin"}, 403, "MISSING_OR_NULL_ORIGIN"},
		{"same-site fetch from the app", map[string]string{"Sec-Fetch-Site": "same-site", "Origin": "capacitor://localhost"}, 401, "INVALID_EMAIL_OR_PASSWORD"},
		{"cookie with an untrusted Origin", map[string]string{"Cookie": "a=b", "Origin": "http://evil.example"}, 403, "INVALID_ORIGIN"},
	}
	for _, tt := range tests {
		w := e.do(apiReq{method: "POST", target: "/api/auth/sign-in/email", body: body, headers: tt.headers})
		var got struct{ Code string }
		_ = json.Unmarshal(w.Body.Bytes(), &got)
		if w.Code != tt.status || got.Code != tt.code {
			t.Errorf("%s: %d %s, want %d %s", tt.name, w.Code, w.Body, tt.status, tt.code)
		}
	}
}
