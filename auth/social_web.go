package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"chatd"
	"chatd/store"
)

// The web OAuth flow (POST /api/auth/sign-in/social, then GET or POST
// /api/auth/callback/:provider), as BetterAuth 1.4.18 runs it: a state row in
// "verification" plus a signed state cookie, PKCE for Google, Apple's
// form_post, errors as redirect query codes.

const oauthStateTTL = 10 * time.Minute

// ErrProviderNotFound is POST /api/auth/sign-in/social's 404 for a provider that is not configured.
var ErrProviderNotFound = chatd.Errorf(chatd.ENOTFOUND, "Provider not found")

// CallbackError is a failed callback: Code goes into the error redirect.
type CallbackError struct {
	Code, Description string
	URL               string // where to redirect (the state's errorURL or the default)
	StateParam        bool   // no state at all: the code goes in ?state=
}

func (e *CallbackError) Error() string { return "oauth callback: " + e.Code }

// Redirect is the error URL with the code in its query.
func (e *CallbackError) Redirect() string {
	q := url.Values{}
	if e.StateParam {
		q.Set("state", e.Code)
	} else {
		q.Set("error", e.Code)
		if e.Description != "" {
			q.Set("error_description", e.Description)
		}
	}
	sep := "?"
	if strings.Contains(e.URL, "?") {
		sep = "&"
	}
	return e.URL + sep + q.Encode()
}

// oauthState is the state row's value in BetterAuth's shape.
type oauthState struct {
	CallbackURL   string `json:"callbackURL"`
	CodeVerifier  string `json:"codeVerifier"`
	ErrorURL      string `json:"errorURL,omitempty"`
	NewUserURL    string `json:"newUserURL,omitempty"`
	ExpiresAt     int64  `json:"expiresAt"`
	RequestSignUp bool   `json:"requestSignUp,omitempty"`
}

// SignInInput is POST /api/auth/sign-in/social's validated body. OwnOrigin is the request's own
// origin, the base URL when BETTER_AUTH_URL is unset.
type SignInInput struct {
	Provider, CallbackURL, ErrorURL, NewUserURL string
	RequestSignUp                               bool
	OwnOrigin                                   string
}

// Configured reports whether the web flow of provider is enabled.
func (s *Social) Configured(provider string) bool {
	p, ok := s.provider(provider)
	return ok && p.ClientID != ""
}

func (s *Social) provider(name string) (ProviderConfig, bool) {
	switch name {
	case Google:
		return s.cfg.Google, true
	case Apple:
		return s.cfg.Apple, true
	}
	return ProviderConfig{}, false
}

// base is BETTER_AUTH_URL, else the request's own origin (fallback): the
// root of redirect_uri and of the default error URL.
func (s *Social) base(fallback string) string {
	if s.cfg.BaseURL != "" {
		return s.cfg.BaseURL
	}
	return fallback
}

func (s *Social) oauthConfig(name string, p ProviderConfig, base string) *oauth2.Config {
	scopes := []string{"email", "profile", "openid"}
	if name == Apple {
		scopes = []string{"email", "name"}
	}
	return &oauth2.Config{ClientID: p.ClientID, ClientSecret: p.ClientSecret, Scopes: scopes,
		RedirectURL: base + "/api/auth/callback/" + name,
		Endpoint:    oauth2.Endpoint{AuthURL: p.AuthURL, TokenURL: p.TokenURL, AuthStyle: oauth2.AuthStyleInParams}}
}

// SignIn stores a fresh state and returns the provider URL and the state
// to set in the signed state cookie.
func (s *Social) SignIn(ctx context.Context, in SignInInput) (authURL, state string, err error) {
	p, ok := s.provider(in.Provider)
	if !ok || p.ClientID == "" {
		return "", "", ErrProviderNotFound
	}
	state = randomFrom("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 32)
	verifier := randomFrom("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", 128)
	now := chatd.DBTime(s.now())
	value, _ := json.Marshal(oauthState{CallbackURL: in.CallbackURL, CodeVerifier: verifier, ErrorURL: in.ErrorURL,
		NewUserURL: in.NewUserURL, ExpiresAt: now.Add(oauthStateTTL).UnixMilli(), RequestSignUp: in.RequestSignUp})
	_, err = s.store.CreateVerification(ctx, store.Verification{ID: store.NewID(), Identifier: state, Value: string(value),
		ExpiresAt: now.Add(oauthStateTTL), CreatedAt: now, UpdatedAt: now})
	if err != nil {
		return "", "", fmt.Errorf("social: save state: %w", err)
	}
	cfg := s.oauthConfig(in.Provider, p, s.base(in.OwnOrigin))
	if in.Provider == Apple {
		return cfg.AuthCodeURL(state, oauth2.SetAuthURLParam("response_type", "code id_token"),
			oauth2.SetAuthURLParam("response_mode", "form_post")), state, nil
	}
	return cfg.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier),
		oauth2.SetAuthURLParam("include_granted_scopes", "true")), state, nil
}

// CallbackInput is GET /api/auth/callback/:provider's query (POST
// /api/auth/callback/:provider's form, redirected) plus the state the signed
// cookie carried ("" when missing or badly signed).
type CallbackInput struct {
	Provider, Code, State, Error, ErrorDescription, User string
	CookieState                                          string
	OwnOrigin                                            string // as in SignInInput
}

// CallbackResult is a logged-in user and where to send the browser.
type CallbackResult struct {
	User     store.User
	Redirect string
}

// Callback finishes the flow: state checks, code exchange, ID token
// verification, find/link/create. Failures are *CallbackError.
func (s *Social) Callback(ctx context.Context, in CallbackInput) (CallbackResult, error) {
	fail := &CallbackError{URL: s.base(in.OwnOrigin) + "/api/auth/error"}
	if in.State == "" {
		fail.Code, fail.StateParam = "state_not_found", true
		return CallbackResult{}, fail
	}
	st, rowID, err := s.loadState(ctx, in.State)
	if err != nil {
		fail.Code = "please_restart_the_process"
		return CallbackResult{}, fail
	}
	if st.ErrorURL != "" {
		fail.URL = st.ErrorURL
	}
	if in.CookieState != in.State {
		fail.Code = "state_mismatch"
		return CallbackResult{}, fail
	}
	if consumed, err := s.store.ConsumeVerification(ctx, rowID); err != nil || !consumed {
		fail.Code = "please_restart_the_process"
		return CallbackResult{}, fail
	}
	if in.Error != "" {
		fail.Code, fail.Description = in.Error, in.ErrorDescription
		return CallbackResult{}, fail
	}
	if in.Code == "" {
		fail.Code = "no_code"
		return CallbackResult{}, fail
	}
	user, isNew, code := s.exchangeAndLogin(ctx, in, st)
	if code != "" {
		fail.Code = code
		return CallbackResult{}, fail
	}
	redirect := st.CallbackURL
	if isNew && st.NewUserURL != "" {
		redirect = st.NewUserURL
	}
	if redirect == "" {
		redirect = "/"
	}
	return CallbackResult{User: user, Redirect: redirect}, nil
}

func (s *Social) loadState(ctx context.Context, state string) (oauthState, string, error) {
	row, err := s.store.VerificationByIdentifier(ctx, state)
	if err != nil {
		return oauthState{}, "", err
	}
	if !row.ExpiresAt.After(s.now()) {
		return oauthState{}, "", errors.New("state expired")
	}
	var st oauthState
	if err := json.Unmarshal([]byte(row.Value), &st); err != nil {
		return oauthState{}, "", err
	}
	return st, row.ID, nil
}

// exchangeAndLogin returns the user, whether it is new, or an error code.
func (s *Social) exchangeAndLogin(ctx context.Context, in CallbackInput, st oauthState) (store.User, bool, string) {
	p, _ := s.provider(in.Provider)
	var opts []oauth2.AuthCodeOption
	if in.Provider == Google {
		opts = append(opts, oauth2.VerifierOption(st.CodeVerifier))
	}
	tok, err := s.oauthConfig(in.Provider, p, s.base(in.OwnOrigin)).Exchange(context.WithValue(ctx, oauth2.HTTPClient, s.client), in.Code, opts...)
	if err != nil {
		s.log.InfoContext(ctx, "oauth code exchange failed", "provider", in.Provider, "error", err)
		return store.User{}, false, "invalid_code"
	}
	idToken, _ := tok.Extra("id_token").(string)
	claims, err := s.web[in.Provider].Verify(ctx, idToken)
	if err != nil {
		s.log.InfoContext(ctx, "oauth id token refused", "provider", in.Provider, "error", err)
		return store.User{}, false, "unable_to_get_user_info"
	}
	if claims.Email == "" {
		return store.User{}, false, "email_not_found"
	}
	tokens := store.Account{}
	tokens.AccessToken.String, tokens.AccessToken.Valid = tok.AccessToken, tok.AccessToken != ""
	tokens.RefreshToken.String, tokens.RefreshToken.Valid = tok.RefreshToken, tok.RefreshToken != ""
	tokens.IDToken.String, tokens.IDToken.Valid = idToken, true
	tokens.AccessTokenExpiresAt.Time, tokens.AccessTokenExpiresAt.Valid = tok.Expiry, !tok.Expiry.IsZero()
	if scope, _ := tok.Extra("scope").(string); scope != "" {
		tokens.Scope.String, tokens.Scope.Valid = scope, true
	}
	return s.webUser(ctx, in, claims, tokens)
}

// webUser applies BetterAuth's linking rule: an existing user with this
// email is linked only when the provider verified the email.
func (s *Social) webUser(ctx context.Context, in CallbackInput, c IDClaims, tokens store.Account) (store.User, bool, string) {
	email := strings.ToLower(c.Email)
	if acct, err := s.store.AccountByProviderAccount(ctx, in.Provider, c.Subject); err == nil {
		if u, err := s.store.UserByID(ctx, acct.UserID); err == nil {
			return u, false, ""
		}
	}
	u, err := s.store.UserByEmailFold(ctx, email)
	if err == nil {
		if !c.EmailVerified {
			return store.User{}, false, "account_not_linked"
		}
		if err := s.linkExisting(ctx, u, in.Provider, c, tokens); err != nil {
			s.log.ErrorContext(ctx, "oauth link failed", "error", err)
			return store.User{}, false, "unable_to_link_account"
		}
		return u, false, ""
	} else if !errors.Is(err, store.ErrNotFound) {
		s.log.ErrorContext(ctx, "oauth user lookup failed", "error", err)
		return store.User{}, false, "unable_to_get_user_info"
	}
	name := firstNonEmpty(c.Name, appleName(in.User), email)
	u, err = s.create(ctx, newSocialUser{provider: in.Provider, sub: c.Subject, email: email, verified: c.EmailVerified,
		name: name, picture: c.Picture}, tokens)
	if errors.Is(err, store.ErrConflict) { // a concurrent callback created the user: log into it
		if u, found, err2 := s.existing(ctx, in.Provider, c.Subject, ""); err2 == nil && found {
			return u, false, ""
		}
	}
	if err != nil {
		s.log.ErrorContext(ctx, "oauth create user failed", "error", err)
		return store.User{}, false, "unable_to_create_user"
	}
	return u, true, ""
}

// appleName reads "firstName lastName" from Apple's first-login user field.
func appleName(raw string) string {
	var v struct {
		Name struct {
			FirstName string `json:"firstName"`
			LastName  string `json:"lastName"`
		} `json:"name"`
	}
	if raw == "" || json.Unmarshal([]byte(raw), &v) != nil {
		return ""
	}
	return strings.TrimSpace(v.Name.FirstName + " " + v.Name.LastName)
}
