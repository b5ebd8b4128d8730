package server

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"chatd/auth"
	"chatd/store"
)

// aliceLogin is a phone number given to the seed's Alice for these tests.
func setAlicePhone(t *testing.T, e *loginEnv) {
	t.Helper()
	if _, err := e.db.SQL().Exec(`UPDATE "user" SET "phoneNumber" = $1 WHERE "id" = $2`, testPhone, seedAlice); err != nil {
		t.Fatal(err)
	}
}

func TestBiometricSetupAndLogin(t *testing.T) {
	t.Parallel()
	e := newLoginEnv(t, loginOpts{})
	setAlicePhone(t, e)
	setup := func(body string, headers map[string]string) *httptest.ResponseRecorder {
		return e.do(postJSON("/api/auth/biometric/setup", body, headers))
	}
	// The session may come as Bearer, cookie, or body sessionToken.
	var tokens []string
	for _, tc := range []struct {
		name    string
		body    string
		headers map[string]string
	}{
		{"bearer", `{"deviceId":"v4_manual_device"}`, bearer(aliceToken)},
		{"cookie", `{"deviceId":"v4_manual_device"}`, map[string]string{"Cookie": "better-auth.session_token=" + aliceToken}},
		{"body token", `{"deviceId":"v4_manual_device","sessionToken":"` + aliceToken + `"}`, nil},
	} {
		w := setup(tc.body, tc.headers)
		var out struct {
			Success bool
			Token   string
		}
		decode(t, w, &out)
		if w.Code != 200 || !out.Success || len(out.Token) != 64 || strings.Trim(out.Token, "0123456789abcdef") != "" {
			t.Fatalf("%s: %d %s", tc.name, w.Code, w.Body)
		}
		tokens = append(tokens, out.Token)
	}
	// Stored hashed, never raw.
	row, err := e.db.BiometricTokenByToken(context.Background(), auth.HashBiometricToken(tokens[0]))
	if err != nil || row.UserID != seedAlice || row.DeviceID != "v4_manual_device" || row.ExpiresAt.Valid {
		t.Fatalf("stored row %+v, %v", row, err)
	}
	if _, err := e.db.BiometricTokenByToken(context.Background(), tokens[0]); err == nil {
		t.Fatal("the raw token is stored")
	}

	for _, tc := range []struct {
		name, body string
		status     int
		want       string
	}{
		{"no session", `{"deviceId":"d"}`, 401, `{"error":"Unauthorized"}`},
		{"expired session", `{"deviceId":"d","sessionToken":"` + eveToken + `"}`, 401, `{"error":"Unauthorized"}`},
		{"no device id", `{"sessionToken":"` + aliceToken + `"}`, 400, `{"error":"Device ID required"}`},
		{"device id not a string", `{"deviceId":5,"sessionToken":"` + aliceToken + `"}`, 400, `{"error":"Device ID required"}`},
	} {
		w := setup(tc.body, nil)
		if w.Code != tc.status {
			t.Fatalf("%s: %d %s", tc.name, w.Code, w.Body)
		}
		assertJSON(t, w.Body.Bytes(), tc.want)
	}

	// Login with each token; a device mismatch is only logged.
	w := e.do(postJSON("/api/auth/biometric/login", `{"token":"`+tokens[1]+`","identifier":"`+testPhone+`","deviceId":"another"}`))
	if w.Code != 200 {
		t.Fatalf("login: %d %s", w.Code, w.Body)
	}
	var out struct {
		Success      bool
		SessionToken string
		User         map[string]any
	}
	decode(t, w, &out)
	if !out.Success || out.User["id"] != seedAlice || out.User["alias"] != "Alice" || out.User["phoneNumber"] != testPhone ||
		out.User["email"] != "alice@example.com" || len(out.SessionToken) != 32 {
		t.Fatalf("login body: %s", w.Body)
	}
	if tok := sessionCookieToken(t, w, "31536000"); tok != out.SessionToken {
		t.Fatal("cookie and sessionToken differ")
	}
	if got := e.sessionUser(t, out.SessionToken); got != seedAlice {
		t.Fatalf("get-session sees %q", got)
	}
	// The email is an identifier too.
	if w := e.do(postJSON("/api/auth/biometric/login", `{"token":"`+tokens[2]+`","identifier":"alice@example.com"}`)); w.Code != 200 {
		t.Fatalf("login by email: %d %s", w.Code, w.Body)
	}
}

func TestBiometricLoginErrors(t *testing.T) {
	t.Parallel()
	e := newLoginEnv(t, loginOpts{})
	setAlicePhone(t, e)
	ctx := context.Background()
	now := e.clock.Now()
	rows := []store.BiometricToken{
		{ID: "bio-legacy", Token: "legacy-raw-token", UserID: seedAlice, DeviceID: "v4_manual_device", CreatedAt: now},
		{ID: "bio-expired", Token: auth.HashBiometricToken("expired-token"), UserID: seedAlice, DeviceID: "d", CreatedAt: now},
	}
	rows[1].ExpiresAt.Time, rows[1].ExpiresAt.Valid = now.Add(-time.Second), true
	for _, r := range rows {
		if err := e.db.CreateBiometricToken(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	hashed := auth.HashBiometricToken("legacy-raw-token")
	for _, tc := range []struct {
		name, body string
		status     int
		want       string
	}{
		{"missing token", `{"identifier":"` + testPhone + `"}`, 400, `{"error":"Missing credentials"}`},
		{"missing identifier", `{"token":"legacy-raw-token"}`, 400, `{"error":"Missing credentials"}`},
		{"unknown token", `{"token":"nope","identifier":"` + testPhone + `"}`, 401, `{"error":"Invalid biometric token"}`},
		{"expired token", `{"token":"expired-token","identifier":"` + testPhone + `"}`, 401, `{"error":"Invalid biometric token"}`},
		{"stored hash replayed", `{"token":"` + hashed + `","identifier":"` + testPhone + `"}`, 401, `{"error":"Invalid biometric token"}`},
		{"identifier mismatch", `{"token":"legacy-raw-token","identifier":"+393339999999"}`, 401, `{"error":"Identifier mismatch"}`},
		{"legacy raw row", `{"token":"legacy-raw-token","phoneNumber":"` + testPhone + `"}`, 200, ``},
	} {
		w := e.do(postJSON("/api/auth/biometric/login", tc.body))
		if w.Code != tc.status {
			t.Fatalf("%s: %d %s", tc.name, w.Code, w.Body)
		}
		if tc.want != "" {
			assertJSON(t, w.Body.Bytes(), tc.want)
		}
	}
	// The per-IP limit (10 a minute, 7 used) answers 429, never 401.
	for i := 0; i < 3; i++ {
		e.do(postJSON("/api/auth/biometric/login", `{"token":"nope","identifier":"x"}`))
	}
	w := e.do(postJSON("/api/auth/biometric/login", `{"token":"legacy-raw-token","identifier":"`+testPhone+`"}`))
	if w.Code != 429 || w.Header().Get("Retry-After") == "" {
		t.Fatalf("rate limit: %d %s", w.Code, w.Body)
	}
	assertJSON(t, w.Body.Bytes(), `{"error":"Troppi tentativi. Riprova più tardi."}`)
	e.clock.Add(time.Minute)
	if w := e.do(postJSON("/api/auth/biometric/login", `{"token":"legacy-raw-token","identifier":"`+testPhone+`"}`)); w.Code != 200 {
		t.Fatalf("after a minute: %d", w.Code)
	}
}

// TestLoginOriginChecks applies §6 to the login routes: Next-style routes
// refuse a foreign Origin when cookies come along; BetterAuth-style ones
// also refuse a missing Origin then; Apple's form_post is exempt.
func TestLoginOriginChecks(t *testing.T) {
	t.Parallel()
	e := newLoginEnv(t, loginOpts{})
	cookie := "better-auth.session_token=" + aliceToken
	for _, tc := range []struct {
		name, target string
		headers      map[string]string
		status       int
		want         string
	}{
		{"otp, foreign origin", "/api/auth/otp/send", map[string]string{"Cookie": cookie, "Origin": "https://evil.example"}, 403, `{"error":"Invalid origin"}`},
		{"biometric, foreign referer", "/api/auth/biometric/login", map[string]string{"Cookie": cookie, "Referer": "https://evil.example/x"}, 403, `{"error":"Invalid origin"}`},
		{"native social, foreign origin", "/api/auth/social/native", map[string]string{"Cookie": cookie, "Origin": "https://evil.example"}, 403, `{"error":"Invalid origin"}`},
		{"otp, no origin (native app)", "/api/auth/otp/send", map[string]string{"Cookie": cookie}, 400, `{"error":"Numero di telefono mancante"}`},
		{"otp, capacitor", "/api/auth/otp/send", map[string]string{"Cookie": cookie, "Origin": "capacitor://localhost"}, 400, `{"error":"Numero di telefono mancante"}`},
		{"passkey, no origin", "/api/auth/passkey/delete-passkey", map[string]string{"Cookie": cookie}, 403, `{"code":"MISSING_OR_NULL_ORIGIN","message":"Missing or null Origin"}`},
		{"passkey, foreign origin", "/api/auth/passkey/verify-authentication", map[string]string{"Cookie": cookie, "Origin": "https://evil.example"}, 403, `{"code":"INVALID_ORIGIN","message":"Invalid origin"}`},
		{"social sign-in, null origin", "/api/auth/sign-in/social", map[string]string{"Cookie": cookie, "Origin": "null"}, 403, `{"code":"MISSING_OR_NULL_ORIGIN","message":"Missing or null Origin"}`},
	} {
		w := e.do(postJSON(tc.target, `{}`, tc.headers))
		if w.Code != tc.status {
			t.Fatalf("%s: %d %s", tc.name, w.Code, w.Body)
		}
		assertJSON(t, w.Body.Bytes(), tc.want)
	}
	w := e.do(apiReq{method: "POST", target: "/api/auth/callback/google", headers: map[string]string{"Cookie": cookie, "Origin": "https://appleid.apple.com"}})
	if w.Code != 302 {
		t.Fatalf("form_post callback must be exempt: %d %s", w.Code, w.Body)
	}
}
