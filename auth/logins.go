package auth

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"chatd"
	"chatd/store"
)

// Errors of the BetterAuth logins. Their messages are BetterAuth 1.4.18's,
// from which the transport derives the error code as better-call does
// ("Invalid email or password" → INVALID_EMAIL_OR_PASSWORD).
var (
	ErrAnonymousAgain         = chatd.Errorf(chatd.EINVALID, "Anonymous users cannot sign in again anonymously")
	ErrInvalidEmailOrPassword = chatd.Errorf(chatd.EUNAUTHORIZED, "Invalid email or password")
	ErrUserExists             = chatd.Errorf(chatd.ECONFLICT, "User already exists. Use another email.")
	ErrPasswordTooShort       = chatd.Errorf(chatd.EINVALID, "Password too short")
	ErrPasswordTooLong        = chatd.Errorf(chatd.EINVALID, "Password too long")
	ErrInvalidEmail           = chatd.Errorf(chatd.EINVALID, "Invalid email")
	ErrEmailPasswordDisabled  = chatd.Errorf(chatd.EINVALID, "Email and password is not enabled")
	ErrEmailPasswordSignUpOff = chatd.Errorf(chatd.EINVALID, "Email and password sign up is not enabled")
)

// LoginStore is what the logins need from the database.
type LoginStore interface {
	InTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error
	Now() time.Time
	UserByEmail(ctx context.Context, email string) (store.User, error)
	AccountByProvider(ctx context.Context, userID, providerID string) (store.Account, error)
	DeleteUser(ctx context.Context, id string) error
}

// Logins are the BetterAuth sign-in methods chatd serves itself: anonymous
// and email-and-password. They create users the way BetterAuth's adapter
// does and sessions through Sessions.
type Logins struct {
	store    LoginStore
	sessions *Sessions
}

// NewLogins returns Logins over st, creating sessions with sessions.
func NewLogins(st LoginStore, sessions *Sessions) *Logins {
	return &Logins{store: st, sessions: sessions}
}

// Client is who is signing in: the session row's ipAddress and userAgent.
type Client struct{ IP, UserAgent string }

// Anonymous creates an anonymous user ("Anonymous", temp@<id>.com, the
// 1.4.x form) and its first session. current is the caller's live session,
// if any: an anonymous one may not sign in anonymously again.
func (l *Logins) Anonymous(ctx context.Context, current *store.SessionUser, cl Client) (store.SessionUser, error) {
	if current != nil && current.User.IsAnonymous {
		return store.SessionUser{}, ErrAnonymousAgain
	}
	for attempt := 0; ; attempt++ {
		now := l.store.Now()
		u := store.User{
			ID:            store.NewID(),
			Name:          sql.NullString{String: "Anonymous", Valid: true},
			Email:         sql.NullString{String: "temp@" + lowerID(32) + ".com", Valid: true},
			EmailVerified: sql.NullBool{Bool: false, Valid: true},
			IsAnonymous:   true,
			Role:          "USER",
			CreatedAt:     now,
			UpdatedAt:     now,
		}
		su, err := l.createWithSession(ctx, u, nil, 0, cl)
		if errors.Is(err, store.ErrConflict) && attempt < 2 {
			continue // a 32-character random email collided: draw again
		}
		return su, err
	}
}

// SignUp is the sign-up/email request.
type SignUp struct {
	Name, Email, Password string
	Image                 *string
	RememberMe            bool
}

// SignUpEmail creates a user with a "credential" account holding the
// scrypt hash, and signs them in (autoSignIn, BetterAuth's default).
func (l *Logins) SignUpEmail(ctx context.Context, in SignUp, cl Client) (store.SessionUser, error) {
	email, err := NormalizeEmail(in.Email)
	if err != nil {
		return store.SessionUser{}, err
	}
	if err := checkPasswordLength(in.Password); err != nil {
		return store.SessionUser{}, err
	}
	if _, err := l.store.UserByEmail(ctx, email); err == nil {
		return store.SessionUser{}, ErrUserExists
	} else if !errors.Is(err, store.ErrNotFound) {
		return store.SessionUser{}, fmt.Errorf("auth: sign up: %w", err)
	}
	hash, err := HashPassword(in.Password)
	if err != nil {
		return store.SessionUser{}, err
	}
	now := l.store.Now()
	u := store.User{
		ID: store.NewID(), Name: sql.NullString{String: in.Name, Valid: true},
		Email:         sql.NullString{String: email, Valid: true},
		EmailVerified: sql.NullBool{Bool: false, Valid: true},
		Role:          "USER", CreatedAt: now, UpdatedAt: now,
	}
	if in.Image != nil {
		u.Image = sql.NullString{String: *in.Image, Valid: true}
	}
	acct := &store.Account{
		ID: store.NewID(), UserID: u.ID, AccountID: u.ID, ProviderID: store.CredentialProvider,
		Password: sql.NullString{String: hash, Valid: true}, CreatedAt: now, UpdatedAt: now,
	}
	su, err := l.createWithSession(ctx, u, acct, l.lifetime(in.RememberMe), cl)
	if errors.Is(err, store.ErrConflict) {
		return store.SessionUser{}, ErrUserExists // lost a race for the email
	}
	return su, err
}

// SignInEmail checks the password of the user's credential account and
// creates a session. Unknown users and wrong passwords are one error.
func (l *Logins) SignInEmail(ctx context.Context, email, password string, rememberMe bool, cl Client) (store.SessionUser, error) {
	email, err := NormalizeEmail(email)
	if err != nil {
		return store.SessionUser{}, err
	}
	u, err := l.store.UserByEmail(ctx, email)
	if errors.Is(err, store.ErrNotFound) {
		_, _ = HashPassword(password) // spend the same time as a real check
		return store.SessionUser{}, ErrInvalidEmailOrPassword
	} else if err != nil {
		return store.SessionUser{}, fmt.Errorf("auth: sign in: %w", err)
	}
	acct, err := l.store.AccountByProvider(ctx, u.ID, store.CredentialProvider)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !acct.Password.Valid) {
		_, _ = HashPassword(password)
		return store.SessionUser{}, ErrInvalidEmailOrPassword
	} else if err != nil {
		return store.SessionUser{}, fmt.Errorf("auth: sign in: %w", err)
	}
	if !VerifyPassword(acct.Password.String, password) {
		return store.SessionUser{}, ErrInvalidEmailOrPassword
	}
	s, err := l.sessions.Create(ctx, u.ID, l.lifetime(rememberMe), cl.IP, cl.UserAgent)
	if err != nil {
		return store.SessionUser{}, err
	}
	return store.SessionUser{Session: s, User: u}, nil
}

// LinkAnonymous is the anonymous plugin's after-hook: when a request that
// carried an anonymous session signs in as a different, real user, the
// anonymous user is deleted (its sessions and accounts cascade). No data
// is migrated, as in BetterAuth without onLinkAccount.
func (l *Logins) LinkAnonymous(ctx context.Context, previous *store.SessionUser, newUser store.User) error {
	if previous == nil || !previous.User.IsAnonymous || newUser.IsAnonymous || previous.User.ID == newUser.ID {
		return nil
	}
	if err := l.store.DeleteUser(ctx, previous.User.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("auth: delete linked anonymous user: %w", err)
	}
	return nil
}

// lifetime is the session lifetime for rememberMe: the configured one, or
// one day when the user asked not to be remembered.
func (l *Logins) lifetime(rememberMe bool) time.Duration {
	if rememberMe {
		return l.sessions.cfg.ExpiresIn
	}
	return DontRememberLifetime
}

// createWithSession inserts the user, optionally an account, and the first
// session in one transaction.
func (l *Logins) createWithSession(ctx context.Context, u store.User, acct *store.Account, lifetime time.Duration, cl Client) (store.SessionUser, error) {
	s := l.sessions.New(u.ID, lifetime, cl.IP, cl.UserAgent)
	err := l.store.InTx(ctx, func(tx *sqlx.Tx) error {
		if err := store.CreateUserTx(ctx, tx, u); err != nil {
			return err
		}
		if acct != nil {
			if err := store.CreateAccountTx(ctx, tx, *acct); err != nil {
				return err
			}
		}
		return store.CreateSessionTx(ctx, tx, s)
	})
	if err != nil {
		return store.SessionUser{}, fmt.Errorf("auth: create user: %w", err)
	}
	return store.SessionUser{Session: s, User: u}, nil
}

// NormalizeEmail lower-cases and checks an address as BetterAuth's zod
// schema would (a plain addr-spec, no display name).
func NormalizeEmail(email string) (string, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if len(email) > 254 {
		return "", ErrInvalidEmail
	}
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || !strings.Contains(email[strings.LastIndex(email, "@"):], ".") {
		return "", ErrInvalidEmail
	}
	return email, nil
}

func checkPasswordLength(pw string) error {
	n := 0
	for _, r := range pw { // JavaScript's length: UTF-16 code units
		n++
		if r > 0xFFFF {
			n++
		}
	}
	switch {
	case n < MinPasswordLength:
		return ErrPasswordTooShort
	case n > MaxPasswordLength:
		return ErrPasswordTooLong
	}
	return nil
}

// lowerID is n characters of [a-z0-9] from the CSPRNG, unbiased: the id in
// an anonymous user's temp@<id>.com email.
func lowerID(n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	out := make([]byte, 0, n)
	buf := make([]byte, 2*n)
	for len(out) < n {
		_, _ = rand.Read(buf) // crypto/rand never fails on Linux
		for _, b := range buf {
			if b < 252 && len(out) < n { // 252 = 7*36
				out = append(out, alphabet[int(b)%36])
			}
		}
	}
	return string(out)
}
