package server

import (
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"testing/iotest"

	"chatd"
)

func TestTextReader(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body string
		form, ok   bool
	}{
		{"plain JSON", `{"name":"Anna","status":"àèìòù 😀"}`, false, true},
		{"escapes", `{"a":"\n\t\"\\\u00e8\ud83d\ude00\u0001"}`, false, true},
		{"escaped backslash then u0000 text", `{"a":"\\u0000"}`, false, true},
		{"two escaped backslashes then u0000 text", `{"a":"\\\\u0000"}`, false, true},
		{"zeros after another escape", `{"a":"\u1000\u0100\u0010"}`, false, true},
		{"invalid JSON is the decoder's problem", `{"a":`, false, true},
		{"NUL escape", `{"name":"a\u0000b"}`, false, false},
		{"NUL escape after an escaped backslash", `{"name":"\\\u0000"}`, false, false},
		{"NUL escape in a key", `{"\u0000":1}`, false, false},
		{"NUL escape, upper-case U is not an escape", `{"a":"\U0000"}`, false, true},
		{"raw NUL", "{\"name\":\"a\x00b\"}", false, false},
		{"invalid byte", "{\"name\":\"a\xffb\"}", false, false},
		{"overlong encoding", "{\"name\":\"\xc0\xaf\"}", false, false},
		{"surrogate half", "{\"name\":\"\xed\xa0\x80\"}", false, false},
		{"cut at the end", "{\"name\":\"\xe2\x82", false, false},
		{"form", "name=Anna+B&email=a%40b.c&x=%C3%A8", true, true},
		{"form with a bad escape", "a=%zz&b=%4", true, true},
		{"form %00", "name=a%00b", true, false},
		{"form raw NUL", "name=a\x00b", true, false},
		{"form encoded invalid byte", "name=%ff", true, false},
		{"form encoded cut sequence", "name=%E2%82", true, false},
		{"form percent then NUL byte", "name=%\x00", true, false},
		{"JSON rule is not applied to forms", `name=\u0000`, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, chunked := range []bool{false, true} {
				var r io.Reader = strings.NewReader(tt.body)
				if chunked {
					r = iotest.OneByteReader(r)
				}
				got, err := io.ReadAll(&textReader{body: io.NopCloser(r), form: tt.form})
				if tt.ok && (err != nil || string(got) != tt.body) {
					t.Fatalf("chunked=%v: %q, %v; want the body back", chunked, got, err)
				}
				if !tt.ok && !errors.Is(err, chatd.ErrInvalidText) {
					t.Fatalf("chunked=%v: err = %v, want ErrInvalidText", chunked, err)
				}
			}
		})
	}
}

// TestInvalidTextRefused: a NUL or invalid UTF-8 anywhere a client puts
// text is 400 with the text rule's message, never a 500, a write or an
// ERROR log line (issue #10 item 6).
func TestInvalidTextRefused(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t, func(cfg *Config, deps *Deps) {
		authEnvDeps(cfg, deps)
		deps.Logger = errorLogger(t)
	})
	msg := chatd.ErrInvalidText.Message
	ba := `{"code":"VALIDATION_ERROR","message":"` + msg + `"}`
	nest := `{"statusCode":400,"error":"Bad Request","message":"` + msg + `"}`
	next := `{"error":"` + msg + `"}`
	alice := bearer(aliceToken)
	tests := []struct {
		name string
		req  apiReq
		want string
	}{
		{"update-user name NUL", apiReq{method: "POST", target: "/api/auth/update-user", body: `{"name":"a\u0000b"}`, headers: alice}, ba},
		{"update-user status NUL", apiReq{method: "POST", target: "/api/auth/update-user", body: `{"status":"\u0000"}`, headers: alice}, ba},
		{"update-user invalid UTF-8", apiReq{method: "POST", target: "/api/auth/update-user", body: "{\"name\":\"\xff\"}", headers: alice}, ba},
		{"update-user NUL in an unknown key", apiReq{method: "POST", target: "/api/auth/update-user", body: `{"name":"ok","x\u0000":1}`, headers: alice}, ba},
		{"sign-in form", apiReq{method: "POST", target: "/api/auth/sign-in/email", body: "email=a%00@b.c&password=x",
			headers: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}, ba},
		{"legacy NAS check (Next route)", apiReq{method: "POST", target: "/api/validate-nas", body: `{"nas_id":"\u0000","bssid":"x"}`}, next},
		{"tenant update", apiReq{method: "POST", target: "/api/tenants/demo", body: `{"name":"\u0000"}`, headers: bearer(adminToken)}, next},
		{"feedback", apiReq{method: "POST", target: "/api/tenants/demo/feedback", body: `{"userId":"` + seedAlice + `","score":5,"comment":"\u0000"}`}, next},
		{"private history query", apiReq{method: "GET", target: "/api/messages/private?tenant=demo&userId=%00"}, nest},
		{"room history query", apiReq{method: "GET", target: "/api/messages?tenantId=%ff"}, nest},
		{"tenant path", apiReq{method: "GET", target: "/api/tenants/de%00mo"}, nest},
		{"query key", apiReq{method: "GET", target: "/api/tenants?%00=1"}, nest},
		{"bearer header", apiReq{method: "GET", target: "/api/auth/get-session", headers: map[string]string{"Authorization": "Bearer \xff"}}, ba},
		{"user agent", apiReq{method: "POST", target: "/api/auth/sign-in/anonymous", headers: map[string]string{"User-Agent": "Mozilla \xff"}}, ba},
		{"tenant header", apiReq{method: "DELETE", target: "/api/messages/11110000-0000-4000-8000-000000000003",
			headers: map[string]string{"Authorization": "Bearer " + modToken, "X-Tenant-Slug": "de\xffmo"}}, nest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := e.do(tc.req)
			if w.Code != 400 {
				t.Fatalf("status %d, want 400: %s", w.Code, w.Body)
			}
			assertJSON(t, w.Body.Bytes(), tc.want)
		})
	}
	// A NUL reaching a lookup through a token's percent-encoding is no token.
	for _, h := range []map[string]string{{"Authorization": "Bearer alice%00"}, {"Cookie": "better-auth.session_token=alice%00"}} {
		if w := e.do(apiReq{method: "GET", target: "/api/auth/get-session", headers: h}); w.Code != 200 || w.Body.String() != "null" {
			t.Errorf("get-session with %v: %d %s", h, w.Code, w.Body)
		}
	}
	var name string
	if err := e.db.SQL().Get(&name, `SELECT "name" FROM "user" WHERE "id" = $1`, seedAlice); err != nil || name != "Alice" {
		t.Fatalf("profile changed to %q (%v)", name, err)
	}
	// Honest text still passes.
	if w := e.do(apiReq{method: "POST", target: "/api/auth/update-user", body: `{"name":"Alìce 😀","status":"Qui\n"}`, headers: alice}); w.Code != 200 {
		t.Fatalf("valid update: %d %s", w.Code, w.Body)
	}
}

// errorLogFails is a log sink that fails t on every record it gets: with
// Level error, on every error logged.
type errorLogFails struct{ t *testing.T }

func (f errorLogFails) Write(p []byte) (int, error) {
	f.t.Errorf("logged an error: %s", p)
	return len(p), nil
}

func errorLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewJSONHandler(errorLogFails{t}, &slog.HandlerOptions{Level: slog.LevelError}))
}
