package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"chatd"
	"chatd/store"
)

// Config holds the session settings BetterAuth calls session.expiresIn,
// session.updateAge and session.cookieCache, plus the cookie naming rule.
type Config struct {
	ExpiresIn     time.Duration // session lifetime and cookie Max-Age (product: 30 days)
	UpdateAge     time.Duration // get-session refreshes a session at least this old (1 day)
	CacheMaxAge   time.Duration // session_data lifetime; 0 turns the cookie cache off (product: 300 s)
	SecureCookies bool          // "__Secure-" prefix and Secure attribute; see SecureCookies
	CookiePrefix  string        // advanced.cookiePrefix, default "better-auth"
}

// DontRememberLifetime is a session's lifetime when the user signed in with
// rememberMe:false (BetterAuth: one day, never refreshed).
const DontRememberLifetime = 24 * time.Hour

// SecureCookies applies BetterAuth's precedence for the __Secure- prefix: an
// https base URL decides; without a base URL, NODE_ENV=production does.
func SecureCookies(baseURL, nodeEnv string) bool {
	if baseURL != "" {
		return strings.HasPrefix(baseURL, "https://")
	}
	return nodeEnv == "production"
}

// SessionWriter is what Sessions needs from the database.
type SessionWriter interface {
	SessionByToken(ctx context.Context, token string) (store.SessionUser, error)
	CreateSession(ctx context.Context, s store.Session) error
	RefreshSession(ctx context.Context, token string, expiresAt, updatedAt time.Time) error
	DeleteSessionByToken(ctx context.Context, token string) error
}

// Sessions creates, refreshes and ends sessions exactly as BetterAuth 1.4.18
// does, so that chatd and a BetterAuth server can share the "session" table.
type Sessions struct {
	store  SessionWriter
	signer Signer
	now    func() time.Time
	cfg    Config
	// crossSite marks the view CrossSite returns: its cookies carry
	// SameSite=None (cookies.go).
	crossSite bool
}

// NewSessions returns a Sessions; zero config values get BetterAuth's
// defaults for the product (30 days, 1 day, prefix "better-auth").
func NewSessions(st SessionWriter, signer Signer, now func() time.Time, cfg Config) *Sessions {
	if cfg.ExpiresIn <= 0 {
		cfg.ExpiresIn = 30 * 24 * time.Hour
	}
	if cfg.UpdateAge < 0 {
		cfg.UpdateAge = 0
	}
	if cfg.CookiePrefix == "" {
		cfg.CookiePrefix = "better-auth"
	}
	return &Sessions{store: st, signer: signer, now: now, cfg: cfg}
}

// Config returns the settings in force.
func (m *Sessions) Config() Config { return m.cfg }

// Signer returns the cookie signer.
func (m *Sessions) Signer() Signer { return m.signer }

// Now is the clock sessions are timed with, at database precision.
func (m *Sessions) Now() time.Time { return chatd.DBTime(m.now()) }

// New builds a session row without writing it, for logins that insert the
// user and the session in one transaction (store.CreateSessionTx). A
// lifetime of 0 means Config.ExpiresIn.
func (m *Sessions) New(userID string, lifetime time.Duration, ipAddress, userAgent string) store.Session {
	if lifetime <= 0 {
		lifetime = m.cfg.ExpiresIn
	}
	now := m.Now()
	return store.Session{
		ID:        store.NewID(),
		UserID:    userID,
		Token:     store.NewID(), // 32 characters [A-Za-z0-9] from the CSPRNG, stored raw
		ExpiresAt: now.Add(lifetime),
		IPAddress: &ipAddress,
		UserAgent: &userAgent,
		CreatedAt: now,
		UpdatedAt: now,
	}
}

// Create writes a new session for userID. Every login method uses it; the
// caller then sets the cookie with the same lifetime as Max-Age.
func (m *Sessions) Create(ctx context.Context, userID string, lifetime time.Duration, ipAddress, userAgent string) (store.Session, error) {
	s := m.New(userID, lifetime, ipAddress, userAgent)
	if err := m.store.CreateSession(ctx, s); err != nil {
		return store.Session{}, fmt.Errorf("auth: create session: %w", err)
	}
	return s, nil
}

// ErrSessionGone means a token named a session that does not exist or has
// expired: get-session answers null and deletes the cookies.
var ErrSessionGone = chatd.Errorf(chatd.EUNAUTHORIZED, "session expired")

// ErrRefreshLost means the session vanished while being refreshed (a
// concurrent sign-out): BetterAuth answers 401 null and deletes the cookies.
var ErrRefreshLost = chatd.Errorf(chatd.EUNAUTHORIZED, "session deleted during refresh")

// Lookup is the outcome of get-session's database path.
type Lookup struct {
	store.SessionUser
	Refreshed bool // expiry moved: re-issue the session cookie
}

// Get is get-session's database path for one token: a missing session is
// ErrSessionGone, an expired one is deleted and is ErrSessionGone, and a
// live one is refreshed once it is UpdateAge old unless noRefresh (the
// dont_remember cookie or ?disableRefresh=true).
func (m *Sessions) Get(ctx context.Context, token string, noRefresh bool) (Lookup, error) {
	su, err := m.store.SessionByToken(ctx, token)
	if errors.Is(err, store.ErrNotFound) {
		return Lookup{}, ErrSessionGone
	} else if err != nil {
		return Lookup{}, fmt.Errorf("auth: get session: %w", err)
	}
	now := m.Now()
	if !su.Session.ExpiresAt.After(now) {
		if err := m.store.DeleteSessionByToken(ctx, token); err != nil {
			return Lookup{}, fmt.Errorf("auth: delete expired session: %w", err)
		}
		return Lookup{}, ErrSessionGone
	}
	if noRefresh || !m.due(su.Session, now) {
		return Lookup{SessionUser: su}, nil
	}
	expires := now.Add(m.cfg.ExpiresIn)
	if err := m.store.RefreshSession(ctx, token, expires, now); errors.Is(err, store.ErrNotFound) {
		return Lookup{}, ErrRefreshLost // deleted between the read and the update
	} else if err != nil {
		return Lookup{}, fmt.Errorf("auth: refresh session: %w", err)
	}
	su.Session.ExpiresAt, su.Session.UpdatedAt = expires, now
	return Lookup{SessionUser: su, Refreshed: true}, nil
}

// due is BetterAuth's refresh rule: expiresAt − expiresIn + updateAge ≤ now,
// i.e. the session was created or last refreshed at least updateAge ago.
func (m *Sessions) due(s store.Session, now time.Time) bool {
	return !s.ExpiresAt.Add(-m.cfg.ExpiresIn).Add(m.cfg.UpdateAge).After(now)
}

// Delete ends the session with this token, if there is one.
func (m *Sessions) Delete(ctx context.Context, token string) error {
	if err := m.store.DeleteSessionByToken(ctx, token); err != nil {
		return fmt.Errorf("auth: delete session: %w", err)
	}
	return nil
}
