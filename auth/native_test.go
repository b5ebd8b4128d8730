package auth_test

import (
	"strings"
	"testing"
	"time"

	"chatd/auth"
	"chatd/store"
)

func TestNativeOrigins(t *testing.T) {
	t.Parallel()
	n := auth.NewNativeOrigins([]string{" http://chat.app.local/ ", "*", "capacitor://localhost"})
	tests := []struct {
		origin string
		want   bool
	}{
		{"capacitor://localhost", true},
		{"http://localhost", true},
		{"https://localhost", true},
		{"https://localhost/", true},
		{"http://chat.app.local", true},
		{"http://localhost:3000", false},
		{"https://localhost:8443", false},
		{"http://127.0.0.1", false},
		{"capacitor://evil.example", false},
		{"https://chat.example.com", false},
		{"null", false},
		{"*", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := n.Contains(tt.origin); got != tt.want {
			t.Errorf("Contains(%q) = %v, want %v", tt.origin, got, tt.want)
		}
	}
	if got := strings.Join(n.List(), ","); got != "capacitor://localhost,http://localhost,https://localhost,http://chat.app.local" {
		t.Errorf("List = %s", got)
	}
}

// TestCrossSiteCookies: every cookie written for a native app's request
// carries SameSite=None; Secure when cookies are Secure at all, and stays
// BetterAuth's default when they are not (a browser drops SameSite=None
// without Secure).
func TestCrossSiteCookies(t *testing.T) {
	t.Parallel()
	signer := auth.NewSigner(secret)
	secure := auth.NewSessions(nil, signer, time.Now, auth.Config{SecureCookies: true, CacheMaxAge: 300 * time.Second})
	cross := secure.CrossSite()
	if cross == secure || cross.CrossSite() != cross {
		t.Fatal("CrossSite must return a distinct view, once")
	}
	su := store.SessionUser{Session: store.Session{ID: "s1", Token: "abc123", UserID: "u1"}, User: store.User{ID: "u1"}}
	written := map[string][]string{
		"session_token": {cross.SessionTokenCookie("abc123", time.Hour)},
		"dont_remember": {cross.DontRememberCookie()},
		"session_data":  cross.CacheCookies(su, false, nil),
		"clear":         cross.ClearCookies([]string{"__Secure-better-auth.session_data.0"}),
		"signed":        {cross.SignedCookie("__Secure-better-auth.better-auth-passkey", "challenge", 300*time.Second)},
	}
	for what, cookies := range written {
		if len(cookies) == 0 {
			t.Fatalf("%s: no cookie", what)
		}
		for _, c := range cookies {
			if !strings.HasSuffix(c, "; Path=/; HttpOnly; Secure; SameSite=None") {
				t.Errorf("%s: %s", what, c)
			}
		}
	}
	if got := secure.SessionTokenCookie("abc123", time.Hour); !strings.HasSuffix(got, "; HttpOnly; Secure; SameSite=Lax") {
		t.Errorf("the web view changed: %s", got)
	}
	plain := auth.NewSessions(nil, signer, time.Now, auth.Config{})
	if plain.CrossSite() != plain {
		t.Error("without Secure cookies CrossSite must keep BetterAuth's defaults")
	}
	if got := plain.CrossSite().SessionTokenCookie("abc123", time.Hour); !strings.HasSuffix(got, "; Path=/; HttpOnly; SameSite=Lax") {
		t.Errorf("plain http native cookie = %s", got)
	}
}

func TestSignedCookie(t *testing.T) {
	t.Parallel()
	m := auth.NewSessions(nil, auth.NewSigner(secret), time.Now, auth.Config{})
	if got := m.SignedCookie("better-auth.state", "abc123", 300*time.Second); got != "better-auth.state=abc123.Lf%2FiDiCQognAPZffIKp3%2B%2F1hOeMRiVyrI6h6AgUK%2Bok%3D; Max-Age=300; Path=/; HttpOnly; SameSite=Lax" {
		t.Errorf("SignedCookie = %s", got)
	}
	if got := m.SignedCookie("better-auth.state", "", 0); got != "better-auth.state=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax" {
		t.Errorf("deleting SignedCookie = %s", got)
	}
}
