package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"chatd"
	"chatd/store"
)

// Social login with Google and Apple: native ID tokens (POST
// /api/auth/social/native) and the web OAuth redirect flow (POST
// /api/auth/sign-in/social and the callbacks). Identity always comes from a
// verified ID token's claims.

// Provider names as the clients send them.
const (
	Google = "google"
	Apple  = "apple"
)

// Social errors with POST /api/auth/social/native's verbatim messages.
var (
	ErrUnsupportedProvider = chatd.Errorf(chatd.EINVALID, "Unsupported provider")
	ErrTokenVerification   = chatd.Errorf(chatd.EUNAUTHORIZED, "Token verification failed")
	ErrSocialNoAccount     = chatd.Errorf(chatd.ENOTFOUND, "Account non trovato. Questa pagina consente solo l'accesso ad account esistenti.")
	ErrSocialNoEmail       = chatd.Errorf(chatd.EUNAUTHORIZED, "No email provided and no existing account found")
)

// ProviderConfig is one provider's client and endpoints (docs/operations.md, "Social login").
type ProviderConfig struct {
	ClientID     string   // GOOGLE_CLIENT_ID / APPLE_CLIENT_ID: enables the web flow
	ClientSecret string   // for the code exchange (Apple: a pre-generated JWT)
	Audiences    []string // every aud POST /api/auth/social/native accepts (client ids of web, iOS, Android, extras)
	JWKSURL      string
	AuthURL      string
	TokenURL     string
}

// SocialConfig configures both providers; BaseURL is BETTER_AUTH_URL, the
// root of the OAuth redirect_uri and of the default error URL.
type SocialConfig struct {
	Google, Apple ProviderConfig
	BaseURL       string
}

// Provider defaults (docs/http-routes.md, "POST /api/auth/sign-in/social";
// docs/operations.md, "Social login").
const (
	GoogleJWKSURL  = "https://www.googleapis.com/oauth2/v3/certs"
	GoogleAuthURL  = "https://accounts.google.com/o/oauth2/v2/auth"
	GoogleTokenURL = "https://oauth2.googleapis.com/token"
	AppleJWKSURL   = "https://appleid.apple.com/auth/keys"
	AppleAuthURL   = "https://appleid.apple.com/auth/authorize"
	AppleTokenURL  = "https://appleid.apple.com/auth/token"
)

var providerIssuers = map[string][]string{
	Google: {"https://accounts.google.com", "accounts.google.com"},
	Apple:  {"https://appleid.apple.com"},
}

// SocialStore is what the social logins need from the database.
type SocialStore interface {
	AccountByProviderAccount(ctx context.Context, providerID, accountID string) (store.Account, error)
	UserByEmailFold(ctx context.Context, email string) (store.User, error)
	UserByID(ctx context.Context, id string) (store.User, error)
	CreateUserWithAccount(ctx context.Context, u store.User, a store.Account) error
	CreateAccount(ctx context.Context, a store.Account) error
	SetUserImageIfEmpty(ctx context.Context, userID, image string) error
	CreateVerification(ctx context.Context, v store.Verification) (store.Verification, error)
	VerificationByIdentifier(ctx context.Context, identifier string) (store.Verification, error)
	ConsumeVerification(ctx context.Context, id string) (bool, error)
}

// Social runs POST /api/auth/social/native and the web OAuth routes.
type Social struct {
	cfg    SocialConfig
	store  SocialStore
	log    *slog.Logger
	now    func() time.Time
	client *http.Client
	native map[string]*IDTokenVerifier // audiences: every app's client id
	web    map[string]*IDTokenVerifier // audience: the web client id only
}

// NewSocial wires both providers; one JWKS cache per provider serves both
// verifiers. client is used for JWKS and token requests.
func NewSocial(cfg SocialConfig, st SocialStore, logger *slog.Logger, now func() time.Time, client *http.Client) *Social {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	s := &Social{cfg: cfg, store: st, log: logger, now: now, client: client,
		native: map[string]*IDTokenVerifier{}, web: map[string]*IDTokenVerifier{}}
	for name, p := range map[string]ProviderConfig{Google: cfg.Google, Apple: cfg.Apple} {
		keys := NewJWKS(p.JWKSURL, client, now)
		s.native[name] = NewIDTokenVerifier(keys, providerIssuers[name], p.Audiences, now)
		s.web[name] = NewIDTokenVerifier(keys, providerIssuers[name], []string{p.ClientID}, now)
	}
	return s
}

// NativeInput is POST /api/auth/social/native's body: profileName is the
// client's display name, used only as a cosmetic fallback for a new user's
// name.
type NativeInput struct {
	Provider, IDToken, ProfileName string
	RequireExisting                bool
}

// SocialResult is the user to log in and whether it was just created.
type SocialResult struct {
	User  store.User
	IsNew bool
}

// NativeLogin verifies a Google or Apple ID token and finds, links or
// creates its user.
func (s *Social) NativeLogin(ctx context.Context, in NativeInput) (SocialResult, error) {
	v, ok := s.native[in.Provider]
	if !ok {
		return SocialResult{}, ErrUnsupportedProvider
	}
	claims, err := v.Verify(ctx, in.IDToken)
	if err != nil {
		s.log.InfoContext(ctx, "native social token refused", "provider", in.Provider, "error", err)
		return SocialResult{}, ErrTokenVerification
	}
	email := ""
	if claims.EmailVerified {
		email = strings.ToLower(claims.Email)
	}
	user, found, err := s.existing(ctx, in.Provider, claims.Subject, email)
	if err != nil {
		return SocialResult{}, err
	}
	if found {
		return SocialResult{User: user}, s.linkExisting(ctx, user, in.Provider, claims, store.Account{})
	}
	if in.RequireExisting {
		return SocialResult{}, ErrSocialNoAccount
	}
	if email == "" {
		return SocialResult{}, ErrSocialNoEmail
	}
	name := firstNonEmpty(claims.Name, strings.TrimSpace(in.ProfileName), strings.Split(email, "@")[0])
	user, err = s.create(ctx, newSocialUser{provider: in.Provider, sub: claims.Subject, email: email, verified: true,
		name: name, picture: claims.Picture, gender: "other"}, store.Account{})
	if errors.Is(err, store.ErrConflict) { // a concurrent first login created the user: log into it
		if u, found, err2 := s.existing(ctx, in.Provider, claims.Subject, email); err2 == nil && found {
			return SocialResult{User: u}, nil
		}
	}
	return SocialResult{User: user, IsNew: true}, err
}

// existing finds the user through the provider account, else by email
// (compared case-insensitively; "" skips it).
func (s *Social) existing(ctx context.Context, provider, sub, email string) (store.User, bool, error) {
	acct, err := s.store.AccountByProviderAccount(ctx, provider, sub)
	if err == nil {
		u, err := s.store.UserByID(ctx, acct.UserID)
		if err == nil {
			return u, true, nil
		} else if !errors.Is(err, store.ErrNotFound) {
			return store.User{}, false, fmt.Errorf("social: user: %w", err)
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return store.User{}, false, fmt.Errorf("social: account: %w", err)
	}
	if email == "" {
		return store.User{}, false, nil
	}
	u, err := s.store.UserByEmailFold(ctx, email)
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, false, nil
	} else if err != nil {
		return store.User{}, false, fmt.Errorf("social: user by email: %w", err)
	}
	return u, true, nil
}

// linkExisting adds the provider account when missing and sets the picture
// when the user has none. tokens carries the web flow's OAuth tokens.
func (s *Social) linkExisting(ctx context.Context, u store.User, provider string, c IDClaims, tokens store.Account) error {
	if _, err := s.store.AccountByProviderAccount(ctx, provider, c.Subject); errors.Is(err, store.ErrNotFound) {
		if err := s.store.CreateAccount(ctx, s.account(u.ID, provider, c.Subject, tokens)); err != nil {
			return fmt.Errorf("social: link account: %w", err)
		}
	} else if err != nil {
		return fmt.Errorf("social: account: %w", err)
	}
	if c.Picture != "" && (!u.Image.Valid || u.Image.String == "") {
		if err := s.store.SetUserImageIfEmpty(ctx, u.ID, c.Picture); err != nil {
			return fmt.Errorf("social: image: %w", err)
		}
	}
	return nil
}

// newSocialUser is what a social login knows about a user it creates.
// gender is "other" for POST /api/auth/social/native (the old route's default) and empty (NULL) for
// the web flow, which BetterAuth ran without one.
type newSocialUser struct {
	provider, sub, email string
	verified             bool
	name, picture        string
	gender               string
}

// create inserts a user and its provider account together.
func (s *Social) create(ctx context.Context, n newSocialUser, tokens store.Account) (store.User, error) {
	now := chatd.DBTime(s.now())
	u := store.User{ID: store.NewID(), Name: sql.NullString{String: truncateRunes(n.name, 100), Valid: true},
		Email:         sql.NullString{String: n.email, Valid: true},
		EmailVerified: sql.NullBool{Bool: n.verified, Valid: true},
		Image:         sql.NullString{String: n.picture, Valid: n.picture != ""},
		Gender:        sql.NullString{String: n.gender, Valid: n.gender != ""}, Role: "USER", CreatedAt: now, UpdatedAt: now}
	if err := s.store.CreateUserWithAccount(ctx, u, s.account(u.ID, n.provider, n.sub, tokens)); err != nil {
		return store.User{}, fmt.Errorf("social: create user: %w", err)
	}
	return u, nil
}

func (s *Social) account(userID, provider, sub string, tokens store.Account) store.Account {
	now := chatd.DBTime(s.now())
	tokens.ID, tokens.UserID, tokens.ProviderID, tokens.AccountID = store.NewID(), userID, provider, sub
	tokens.CreatedAt, tokens.UpdatedAt = now, now
	return tokens
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

func truncateRunes(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}
