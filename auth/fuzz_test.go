package auth

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"chatd"
	"chatd/store"
)

// FuzzCookieToken drives the credential path every request and handshake
// takes: a Cookie header parsed by hand (RequestCookie), then the candidate
// turned into a token (TokenFromCandidate). Whatever the header, a token
// that comes out is non-empty valid text; and a value chatd signed comes
// back unchanged, behind any other cookies.
func FuzzCookieToken(f *testing.F) {
	s := NewSigner("fuzz-secret-at-least-32-characters-long")
	for _, seed := range [][2]string{
		{"better-auth.session_token=" + s.CookieValue("abc123DEF456ghi789JKL012mno345PQ"), "abc123DEF456ghi789JKL012mno345PQ"},
		{`better-auth.session_token="raw-token"; other=1`, "true"},
		{"a=b; better-auth.session_token=tok%00; c=d", "x.y"},
		{"better-auth.session_token=%ff%fe", "\xff"},
		{"better-auth.session_token=v." + strings.Repeat("A", 43) + "=", `"quoted"`},
		{"better-auth.session_token=%", "%"},
		{"better-auth.session_token", ""},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, header, value string) {
		r := &http.Request{Header: http.Header{"Cookie": {header}}}
		if tok, ok := s.TokenFromCandidate(RequestCookie(r, "better-auth.session_token")); ok && (tok == "" || !chatd.ValidText(tok)) {
			t.Fatalf("token %q from %q", tok, header)
		}
		// Values chatd signs: tokens and "true", never a space, a quote or
		// a cookie separator.
		if value == "" || !chatd.ValidText(value) || strings.ContainsAny(value, "\" ;") {
			return
		}
		signed := s.CookieValue(value)
		r = &http.Request{Header: http.Header{"Cookie": {"other=1; better-auth.session_token=" + signed}}}
		if tok, ok := s.TokenFromCandidate(RequestCookie(r, "better-auth.session_token")); !ok || tok != value {
			t.Fatalf("signed %q came back as %q, %v", value, tok, ok)
		}
		if v, ok := s.Unsign(signed); !ok || v != value {
			t.Fatalf("Unsign(CookieValue(%q)) = %q, %v", value, v, ok)
		}
	})
}

// FuzzSessionDataCache: the session_data cookie chatd writes is JSON that
// BetterAuth parses back to the same user, and its signature holds; any
// other value either fails the check or yields a JSON object.
func FuzzSessionDataCache(f *testing.F) {
	s := NewSigner("fuzz-secret-at-least-32-characters-long")
	f.Add("Alice", "alice@example.com", "https://cdn.example/a.png", "\"quotes\" \\ \n\u2028<&>", int64(60_000), "eyJ9")
	f.Add("\xff\xfe", "", "\x00", "😀", int64(1), "")
	f.Add("", "", "", "", int64(-5), vectorCacheCookie)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, name, email, image, status string, lifeMs int64, cookie string) {
		if payload, ok := s.decodeCompact(cookie, now); ok && (!json.Valid(payload) || payload[0] != '{') {
			t.Fatalf("decodeCompact accepted %q with payload %q", cookie, payload)
		}
		ua := status
		su := store.SessionUser{
			Session: store.Session{ID: "s1", UserID: "u1", Token: name, ExpiresAt: now, CreatedAt: now, UpdatedAt: now, UserAgent: &ua},
			User: store.User{ID: "u1", Name: sql.NullString{String: name, Valid: true}, Email: sql.NullString{String: email, Valid: email != ""},
				Image: sql.NullString{String: image, Valid: true}, Status: sql.NullString{String: status, Valid: true}, Role: "USER",
				CreatedAt: now, UpdatedAt: now},
		}
		data := cacheSessionData(su, now)
		var parsed struct {
			Session struct{ Token, UserAgent string }
			User    struct{ Name, Image, Status string }
		}
		if err := json.Unmarshal(data, &parsed); err != nil {
			t.Fatalf("cache payload is not JSON: %v\n%s", err, data)
		}
		for _, pair := range [][2]string{{parsed.User.Name, name}, {parsed.User.Image, image}, {parsed.User.Status, status},
			{parsed.Session.Token, name}, {parsed.Session.UserAgent, status}} {
			if pair[0] != asNodeReads(pair[1]) {
				t.Fatalf("%q came back as %q", pair[1], pair[0])
			}
		}
		expires := now.UnixMilli() + lifeMs
		payload, ok := s.decodeCompact(s.encodeCompact(data, expires), now)
		if ok != (lifeMs > 0) || (ok && !bytes.Equal(payload, data)) {
			t.Fatalf("round trip (life %d ms): %q, %v", lifeMs, payload, ok)
		}
	})
}

// asNodeReads is s as a JavaScript string holds it after a UTF-8 decode:
// every invalid byte is U+FFFD.
func asNodeReads(s string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteRune(r)
	}
	return b.String()
}
