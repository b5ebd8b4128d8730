package auth_test

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"chatd/auth"
	"chatd/store"
	"chatd/store/storetest"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

const secret = "test-secret-at-least-32-characters-long"

func newSessions(t *testing.T) (*auth.Sessions, *store.DB, *clock) {
	t.Helper()
	clk := &clock{t: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)}
	db, _ := storetest.Open(t, clk.now)
	m := auth.NewSessions(db, auth.NewSigner(secret), clk.now, auth.Config{
		ExpiresIn: 30 * 24 * time.Hour, UpdateAge: 24 * time.Hour, CacheMaxAge: 300 * time.Second,
	})
	return m, db, clk
}

func createUser(t *testing.T, db *store.DB) store.User {
	t.Helper()
	u := store.User{ID: store.NewID(), IsAnonymous: true, Role: "USER", CreatedAt: db.Now(), UpdatedAt: db.Now()}
	u.Name.String, u.Name.Valid = "Anonymous", true
	err := db.InTx(context.Background(), func(tx *sqlx.Tx) error { return store.CreateUserTx(context.Background(), tx, u) })
	if err != nil {
		t.Fatal(err)
	}
	return u
}

var tokenRe = regexp.MustCompile(`^[A-Za-z0-9]{32}$`)

func TestCreateWritesBetterAuthRow(t *testing.T) {
	t.Parallel()
	m, db, clk := newSessions(t)
	ctx := context.Background()
	u := createUser(t, db)
	s, err := m.Create(ctx, u.ID, 0, "203.0.113.7", "Mozilla/5.0 test")
	if err != nil {
		t.Fatal(err)
	}
	if !tokenRe.MatchString(s.Token) || !tokenRe.MatchString(s.ID) || s.Token == s.ID {
		t.Fatalf("id %q token %q", s.ID, s.Token)
	}
	got, err := db.SessionByToken(ctx, s.Token)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Session.ExpiresAt.Equal(clk.now().Add(30*24*time.Hour)) || !got.Session.CreatedAt.Equal(clk.now()) ||
		*got.Session.IPAddress != "203.0.113.7" || *got.Session.UserAgent != "Mozilla/5.0 test" || got.User.ID != u.ID {
		t.Fatalf("row %+v", got.Session)
	}
	native, err := m.Create(ctx, u.ID, 365*24*time.Hour, "", "")
	if err != nil || !native.ExpiresAt.Equal(clk.now().Add(365*24*time.Hour)) {
		t.Fatalf("365-day session: %+v, %v", native, err)
	}
}

func TestGetRefreshesExpiresAndDeletes(t *testing.T) {
	t.Parallel()
	m, db, clk := newSessions(t)
	ctx := context.Background()
	u := createUser(t, db)
	s, _ := m.Create(ctx, u.ID, 0, "", "")
	tests := []struct {
		name      string
		advance   time.Duration
		noRefresh bool
		refreshed bool
	}{
		{"12 hours old: untouched", 12 * time.Hour, false, false},
		{"a day and a minute old, disableRefresh", 12*time.Hour + time.Minute, true, false},
		{"a day and a minute old: refreshed", 0, false, true},
		{"right after a refresh: untouched", time.Minute, false, false},
	}
	for _, tt := range tests {
		clk.add(tt.advance)
		got, err := m.Get(ctx, s.Token, tt.noRefresh)
		if err != nil || got.Refreshed != tt.refreshed {
			t.Fatalf("%s: refreshed=%v err=%v", tt.name, got.Refreshed, err)
		}
		row, _ := db.SessionByToken(ctx, s.Token)
		if tt.refreshed && (!row.Session.ExpiresAt.Equal(clk.now().Add(30*24*time.Hour)) || !row.Session.UpdatedAt.Equal(clk.now())) {
			t.Fatalf("%s: row not moved: %+v", tt.name, row.Session)
		}
		if !row.Session.ExpiresAt.Equal(got.Session.ExpiresAt) {
			t.Fatalf("%s: returned %v, stored %v", tt.name, got.Session.ExpiresAt, row.Session.ExpiresAt)
		}
	}
	clk.add(31 * 24 * time.Hour)
	if _, err := m.Get(ctx, s.Token, false); !errors.Is(err, auth.ErrSessionGone) {
		t.Fatalf("expired: %v", err)
	}
	if _, err := db.SessionByToken(ctx, s.Token); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("expired row kept: %v", err)
	}
	if _, err := m.Get(ctx, "unknown", false); !errors.Is(err, auth.ErrSessionGone) {
		t.Fatalf("unknown: %v", err)
	}
}

func TestCookies(t *testing.T) {
	t.Parallel()
	m, _, _ := newSessions(t)
	const token = "abc123"
	want := "better-auth.session_token=abc123.Lf%2FiDiCQognAPZffIKp3%2B%2F1hOeMRiVyrI6h6AgUK%2Bok%3D; Max-Age=2592000; Path=/; HttpOnly; SameSite=Lax"
	if got := m.SessionTokenCookie(token, 30*24*time.Hour); got != want {
		t.Errorf("SessionTokenCookie:\n got %s\nwant %s", got, want)
	}
	if got := m.SessionTokenCookie(token, 0); strings.Contains(got, "Max-Age") {
		t.Errorf("rememberMe:false cookie has a Max-Age: %s", got)
	}
	if got := m.DontRememberCookie(); got != "better-auth.dont_remember=true.xnU03I3W18LiGdvBTSILgf83RkXhpwPOwB1BFh6BPNk%3D; Path=/; HttpOnly; SameSite=Lax" {
		t.Errorf("DontRememberCookie = %s", got)
	}
	if !m.IsDontRemember("true.xnU03I3W18LiGdvBTSILgf83RkXhpwPOwB1BFh6BPNk%3D") || m.IsDontRemember("true") {
		t.Error("IsDontRemember must accept only the signed value")
	}
	clear := m.ClearCookies([]string{"better-auth.session_data.1", "x"})
	wantClear := []string{
		"__Secure-better-auth.session_token=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax",
		"better-auth.session_token=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax",
		"better-auth.session_data=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax",
		"better-auth.session_data.1=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax",
		"better-auth.dont_remember=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax",
	}
	if strings.Join(clear, "\n") != strings.Join(wantClear, "\n") {
		t.Errorf("ClearCookies:\n%s", strings.Join(clear, "\n"))
	}
	secure := auth.NewSessions(nil, auth.NewSigner(secret), time.Now, auth.Config{SecureCookies: true})
	if got := secure.SessionTokenCookie(token, time.Hour); !strings.HasPrefix(got, "__Secure-better-auth.session_token=") || !strings.HasSuffix(got, "; Max-Age=3600; Path=/; HttpOnly; Secure; SameSite=Lax") {
		t.Errorf("secure cookie = %s", got)
	}
}

func TestSecureCookiesRule(t *testing.T) {
	t.Parallel()
	tests := []struct {
		base, env string
		want      bool
	}{
		{"https://chat.example.com", "development", true},
		{"http://localhost:3000", "production", false},
		{"", "production", true},
		{"", "development", false},
	}
	for _, tt := range tests {
		if got := auth.SecureCookies(tt.base, tt.env); got != tt.want {
			t.Errorf("SecureCookies(%q, %q) = %v", tt.base, tt.env, got)
		}
	}
}
