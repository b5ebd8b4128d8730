package auth

import (
	"encoding/base64"
	"strconv"
	"strings"
	"testing"
	"time"

	"chatd/store"
)

// The deterministic vector of betterauth.md §3, accepted by getCookieCache
// in BetterAuth 1.4.18 and 1.7.25.
const (
	vectorSessionData = `{"session":{"expiresAt":"2099-01-08T00:00:00.000Z","token":"abc123","createdAt":"2099-01-01T00:00:00.000Z","updatedAt":"2099-01-01T00:00:00.000Z","ipAddress":"","userAgent":"","userId":"u1","id":"s1"},"user":{"name":"Alice","email":"alice@example.com","emailVerified":false,"image":null,"createdAt":"2099-01-01T00:00:00.000Z","updatedAt":"2099-01-01T00:00:00.000Z","isAnonymous":false,"id":"u1"},"updatedAt":4070908800000,"version":"1"}`
	vectorExpiresAt   = 4070909100000
	vectorCacheCookie = "eyJzZXNzaW9uIjp7InNlc3Npb24iOnsiZXhwaXJlc0F0IjoiMjA5OS0wMS0wOFQwMDowMDowMC4wMDBaIiwidG9rZW4iOiJhYmMxMjMiLCJjcmVhdGVkQXQiOiIyMDk5LTAxLTAxVDAwOjAwOjAwLjAwMFoiLCJ1cGRhdGVkQXQiOiIyMDk5LTAxLTAxVDAwOjAwOjAwLjAwMFoiLCJpcEFkZHJlc3MiOiIiLCJ1c2VyQWdlbnQiOiIiLCJ1c2VySWQiOiJ1MSIsImlkIjoiczEifSwidXNlciI6eyJuYW1lIjoiQWxpY2UiLCJlbWFpbCI6ImFsaWNlQGV4YW1wbGUuY29tIiwiZW1haWxWZXJpZmllZCI6ZmFsc2UsImltYWdlIjpudWxsLCJjcmVhdGVkQXQiOiIyMDk5LTAxLTAxVDAwOjAwOjAwLjAwMFoiLCJ1cGRhdGVkQXQiOiIyMDk5LTAxLTAxVDAwOjAwOjAwLjAwMFoiLCJpc0Fub255bW91cyI6ZmFsc2UsImlkIjoidTEifSwidXBkYXRlZEF0Ijo0MDcwOTA4ODAwMDAwLCJ2ZXJzaW9uIjoiMSJ9LCJleHBpcmVzQXQiOjQwNzA5MDkxMDAwMDAsInNpZ25hdHVyZSI6IkZHM0V5M0N1cmhJUGJVX0dIdHVRSjYwR1FiU3c4TWJDZjQ3RkVmUm1lQkkifQ"
	vectorCacheSig    = "FG3Ey3CurhIPbU_GHtuQJ60GQbSw8MbCf47FEfRmeBI"
)

func TestCookieCacheVector(t *testing.T) {
	t.Parallel()
	s := NewSigner(vectorSecret)
	got := s.encodeCompact([]byte(vectorSessionData), vectorExpiresAt)
	if got != vectorCacheCookie {
		raw, _ := base64.RawURLEncoding.DecodeString(got)
		t.Fatalf("encodeCompact:\n got %s\nwant signature %s", raw, vectorCacheSig)
	}
	payload, ok := s.decodeCompact(vectorCacheCookie, time.Date(2098, 1, 1, 0, 0, 0, 0, time.UTC))
	if !ok || string(payload) != vectorSessionData {
		t.Fatalf("decodeCompact(vector) = %s, %v", payload, ok)
	}
	if _, ok := s.decodeCompact(vectorCacheCookie, time.UnixMilli(vectorExpiresAt)); ok {
		t.Error("decodeCompact accepted an expired cache")
	}
	if _, ok := NewSigner(vectorSecret+"x").decodeCompact(vectorCacheCookie, time.Time{}); ok {
		t.Error("decodeCompact accepted a cache signed with another secret")
	}
}

func TestAppendJSString(t *testing.T) {
	t.Parallel()
	// Expected values are what Node's JSON.stringify prints.
	tests := []struct{ in, want string }{
		{`plain`, `"plain"`},
		{`a"b\c`, `"a\"b\\c"`},
		{"tab\tnl\ncr\rbs\bff\f", `"tab\tnl\ncr\rbs\bff\f"`},
		{"\x00\x1f\x7f", `"\u0000\u001f` + "\x7f" + `"`},
		{"<&>\u2028\u2029é😀", "\"<&>\u2028\u2029é😀\""},
		{"bad\xffutf8", "\"bad\uFFFDutf8\""},
	}
	for _, tt := range tests {
		if got := string(appendJSString(nil, tt.in)); got != tt.want {
			t.Errorf("appendJSString(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func testSessions(cfg Config) *Sessions {
	now := func() time.Time { return time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC) }
	return NewSessions(nil, NewSigner(vectorSecret), now, cfg)
}

func TestCacheCookiesRoundTrip(t *testing.T) {
	t.Parallel()
	m := testSessions(Config{CacheMaxAge: 300 * time.Second})
	su := sampleSessionUser("Zoë \"<x>\"")
	cookies := m.CacheCookies(su, false, []string{"better-auth.session_data.0", "other"})
	if len(cookies) != 2 || !strings.HasPrefix(cookies[0], "better-auth.session_data.0=; Max-Age=0;") {
		t.Fatalf("cookies = %q", cookies)
	}
	name, rest, _ := strings.Cut(cookies[1], "=")
	value, attrs, _ := strings.Cut(rest, ";")
	if name != "better-auth.session_data" || attrs != " Max-Age=300; Path=/; HttpOnly; SameSite=Lax" {
		t.Fatalf("cookie = %q", cookies[1])
	}
	payload, ok := m.signer.decodeCompact(value, m.now())
	want := `{"session":` + string(SessionJSON(su.Session)) + `,"user":` + string(UserJSON(su.User)) +
		`,"updatedAt":` + strconv.FormatInt(m.now().UnixMilli(), 10) + `,"version":"1"}`
	if !ok || string(payload) != want {
		t.Fatalf("payload = %s, %v\nwant %s", payload, ok, want)
	}
}

func TestCacheCookiesChunksAndDontRemember(t *testing.T) {
	t.Parallel()
	m := testSessions(Config{CacheMaxAge: 300 * time.Second, SecureCookies: true})
	su := sampleSessionUser(strings.Repeat("n", 5000))
	cookies := m.CacheCookies(su, true, []string{"__Secure-better-auth.session_data", "__Secure-better-auth.session_data.1", "__Secure-better-auth.session_data.7"})
	for _, stale := range []string{"__Secure-better-auth.session_data=;", "__Secure-better-auth.session_data.7=;"} {
		if len(cookies) == 0 || !strings.HasPrefix(cookies[0], stale) {
			t.Fatalf("stale %s not deleted first: %.60q", stale, cookies)
		}
		cookies = cookies[1:]
	}
	if len(cookies) < 2 {
		t.Fatalf("a long cache was not chunked: %d cookies", len(cookies))
	}
	var joined strings.Builder
	for i, c := range cookies {
		prefix := "__Secure-better-auth.session_data." + string(rune('0'+i)) + "="
		if !strings.HasPrefix(c, prefix) || !strings.HasSuffix(c, "; Path=/; HttpOnly; Secure; SameSite=Lax") {
			t.Fatalf("chunk %d = %.80q…", i, c)
		}
		v, _, _ := strings.Cut(strings.TrimPrefix(c, prefix), ";")
		if len(v) > cacheChunkSize {
			t.Fatalf("chunk %d has %d characters", i, len(v))
		}
		joined.WriteString(v)
	}
	if _, ok := m.signer.decodeCompact(joined.String(), m.now()); !ok {
		t.Fatal("joined chunks do not verify")
	}
	if _, ok := m.signer.decodeCompact(joined.String(), m.now().Add(61*time.Second)); ok {
		t.Error("a dont_remember cache must live 60 s only")
	}
	if m.CacheCookies(su, false, nil) == nil || testSessions(Config{}).CacheCookies(su, false, nil) != nil {
		t.Error("CacheMaxAge 0 must turn the cache off, and only then")
	}
}

func sampleSessionUser(name string) store.SessionUser {
	ts := time.Date(2026, 11, 25, 11, 0, 0, 123e6, time.UTC)
	ip, ua := "203.0.113.7", "Mozilla/5.0 test"
	su := store.SessionUser{
		Session: store.Session{ID: "s1", UserID: "u1", Token: "8H5tWcQ3aXzV0kLmN9pR2sT4uY6wB1dE",
			ExpiresAt: ts.Add(30 * 24 * time.Hour), IPAddress: &ip, UserAgent: &ua, CreatedAt: ts, UpdatedAt: ts},
		User: store.User{ID: "u1", IsAnonymous: true, Role: "USER", CreatedAt: ts, UpdatedAt: ts},
	}
	su.User.Name.String, su.User.Name.Valid = name, true
	return su
}
