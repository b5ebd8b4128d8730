package auth_test

import (
	"context"
	"errors"
	"regexp"
	"testing"
	"time"

	"chatd/auth"
	"chatd/store"
)

func TestAnonymousLogin(t *testing.T) {
	t.Parallel()
	m, db, clk := newSessions(t)
	l := auth.NewLogins(db, m)
	ctx := context.Background()
	su, err := l.Anonymous(ctx, nil, auth.Client{IP: "203.0.113.7", UserAgent: "ua"})
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^temp@[a-z0-9]{32}\.com$`).MatchString(su.User.Email.String) || su.User.Name.String != "Anonymous" ||
		!su.User.IsAnonymous || su.User.Role != "USER" || !su.User.EmailVerified.Valid || su.User.EmailVerified.Bool {
		t.Fatalf("user %+v", su.User)
	}
	stored, err := db.SessionByToken(ctx, su.Session.Token)
	if err != nil || stored.User.ID != su.User.ID || !stored.Session.ExpiresAt.Equal(clk.now().Add(30*24*time.Hour)) {
		t.Fatalf("stored %+v, %v", stored, err)
	}
	if _, err := l.Anonymous(ctx, &su, auth.Client{}); !errors.Is(err, auth.ErrAnonymousAgain) {
		t.Fatalf("second anonymous sign-in: %v", err)
	}
	real := su
	real.User.IsAnonymous = false
	if _, err := l.Anonymous(ctx, &real, auth.Client{}); err != nil {
		t.Fatalf("a registered user may start an anonymous session: %v", err)
	}
}

func TestEmailLoginAndLinking(t *testing.T) {
	t.Parallel()
	m, db, _ := newSessions(t)
	l := auth.NewLogins(db, m)
	ctx := context.Background()
	anon, err := l.Anonymous(ctx, nil, auth.Client{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		in   auth.SignUp
		want error
	}{
		{auth.SignUp{Name: "Ada", Email: "not-an-email", Password: "password123"}, auth.ErrInvalidEmail},
		{auth.SignUp{Name: "Ada", Email: "ada@example.com", Password: "short"}, auth.ErrPasswordTooShort},
		{auth.SignUp{Name: "Ada", Email: "ada@example.com", Password: string(make([]rune, 129))}, auth.ErrPasswordTooLong},
		{auth.SignUp{Name: "Ada", Email: " Ada@Example.COM ", Password: "password123", RememberMe: true}, nil},
		{auth.SignUp{Name: "Ada 2", Email: "ada@example.com", Password: "password123"}, auth.ErrUserExists},
	}
	var ada store.SessionUser
	for _, tt := range tests {
		su, err := l.SignUpEmail(ctx, tt.in, auth.Client{})
		if !errors.Is(err, tt.want) {
			t.Fatalf("SignUpEmail(%q, %q) = %v, want %v", tt.in.Email, tt.in.Password, err, tt.want)
		}
		if err == nil {
			ada = su
		}
	}
	if ada.User.Email.String != "ada@example.com" {
		t.Fatalf("email not lower-cased: %q", ada.User.Email.String)
	}
	acct, err := db.AccountByProvider(ctx, ada.User.ID, store.CredentialProvider)
	if err != nil || acct.AccountID != ada.User.ID || !auth.VerifyPassword(acct.Password.String, "password123") {
		t.Fatalf("credential account %+v, %v", acct, err)
	}
	for _, pw := range []string{"password124", ""} {
		if _, err := l.SignInEmail(ctx, "ada@example.com", pw, true, auth.Client{}); !errors.Is(err, auth.ErrInvalidEmailOrPassword) {
			t.Fatalf("wrong password %q: %v", pw, err)
		}
	}
	if _, err := l.SignInEmail(ctx, "nobody@example.com", "password123", true, auth.Client{}); !errors.Is(err, auth.ErrInvalidEmailOrPassword) {
		t.Fatalf("unknown user: %v", err)
	}
	short, err := l.SignInEmail(ctx, "ADA@example.com", "password123", false, auth.Client{})
	if err != nil || short.User.ID != ada.User.ID || short.Session.ExpiresAt.Sub(short.Session.CreatedAt) != auth.DontRememberLifetime {
		t.Fatalf("rememberMe:false sign-in: %+v, %v", short.Session, err)
	}

	if err := l.LinkAnonymous(ctx, &anon, ada.User); err != nil {
		t.Fatal(err)
	}
	if _, err := db.UserByID(ctx, anon.User.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("anonymous user kept after linking: %v", err)
	}
	if _, err := db.SessionByToken(ctx, anon.Session.Token); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("anonymous session kept after linking: %v", err)
	}
	if err := l.LinkAnonymous(ctx, &short, ada.User); err != nil {
		t.Fatal(err)
	}
	if _, err := db.UserByID(ctx, ada.User.ID); err != nil {
		t.Fatalf("a registered previous user must never be deleted: %v", err)
	}
}
