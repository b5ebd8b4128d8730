package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"chatd"
	"chatd/store"
)

// Passkeys (docs/http-routes.md, "Passkeys") as @better-auth/passkey 1.4.18 does them: the same
// options JSON, the same challenge cookie and "verification" row, the same
// "passkey" rows, so a passkey registered on either server signs in on both.
// go-webauthn does the cryptographic verification (passkey_verify.go).

// Passkey errors; their messages become BetterAuth {"code","message"} bodies.
var (
	ErrPasskeyChallenge     = chatd.Errorf(chatd.EINVALID, "Challenge not found")
	ErrPasskeyNotAllowed    = chatd.Errorf(chatd.EUNAUTHORIZED, "You are not allowed to register this passkey")
	ErrPasskeyRegistration  = chatd.Errorf(chatd.EINTERNAL, "Failed to verify registration")
	ErrPasskeyUnknown       = chatd.Errorf(chatd.EUNAUTHORIZED, "Passkey not found")
	ErrPasskeyAuthFailed    = chatd.Errorf(chatd.EINVALID, "Authentication failed")
	ErrPasskeyOriginMissing = chatd.Errorf(chatd.EINVALID, "origin missing")
	ErrPasskeyMissing       = chatd.Errorf(chatd.ENOTFOUND, "Passkey not found")
	// ErrPasskeyNotOwner is 1.4.18's bare APIError("UNAUTHORIZED"): an empty body.
	ErrPasskeyNotOwner = chatd.Errorf(chatd.EUNAUTHORIZED, "")
	// ErrPasskeyNull is 1.4.18's `ctx.json(null, {status: 400})`.
	ErrPasskeyNull = chatd.Errorf(chatd.EINVALID, "")
)

const (
	passkeyChallengeTTL = 5 * time.Minute
	passkeyRPName       = "Local"
	passkeyTimeoutMS    = 60000
)

// PasskeyStore is what the passkey endpoints need from the database.
type PasskeyStore interface {
	PasskeysByUser(ctx context.Context, userID string) ([]store.Passkey, error)
	PasskeyByCredentialID(ctx context.Context, credentialID string) (store.Passkey, error)
	PasskeyByID(ctx context.Context, id string) (store.Passkey, error)
	CreatePasskey(ctx context.Context, p store.Passkey) error
	UpdatePasskeyCounter(ctx context.Context, id string, counter int64) error
	RenamePasskey(ctx context.Context, id, name string) (store.Passkey, error)
	DeletePasskey(ctx context.Context, id string) error
	CreateVerification(ctx context.Context, v store.Verification) (store.Verification, error)
	VerificationByIdentifier(ctx context.Context, identifier string) (store.Verification, error)
	ConsumeVerification(ctx context.Context, id string) (bool, error)
}

// RelyingParty is derived per request: ID is the hostname of the request's
// Origin (capacitor://localhost → localhost, a LAN IP stays an IP), Origin is
// that Origin.
type RelyingParty struct{ ID, Origin string }

// Passkeys runs the passkey routes (docs/http-routes.md, "Passkeys").
type Passkeys struct {
	store PasskeyStore
	log   *slog.Logger
	now   func() time.Time
}

// NewPasskeys wires the passkey endpoints.
func NewPasskeys(st PasskeyStore, logger *slog.Logger, now func() time.Time) *Passkeys {
	return &Passkeys{store: st, log: logger, now: now}
}

// PasskeyJSON is a passkey row as BetterAuth returns it.
type PasskeyJSON struct {
	ID           string  `json:"id"`
	Name         *string `json:"name"`
	PublicKey    string  `json:"publicKey"`
	UserID       string  `json:"userId"`
	CredentialID string  `json:"credentialID"`
	Counter      int64   `json:"counter"`
	DeviceType   string  `json:"deviceType"`
	BackedUp     bool    `json:"backedUp"`
	Transports   *string `json:"transports"`
	CreatedAt    *string `json:"createdAt"`
	AAGUID       *string `json:"aaguid"`
}

// NewPasskeyJSON renders p.
func NewPasskeyJSON(p store.Passkey) PasskeyJSON {
	out := PasskeyJSON{ID: p.ID, PublicKey: p.PublicKey, UserID: p.UserID, CredentialID: p.CredentialID,
		Counter: p.Counter, DeviceType: p.DeviceType, BackedUp: p.BackedUp}
	if p.Name.Valid {
		out.Name = &p.Name.String
	}
	if p.Transports.Valid {
		out.Transports = &p.Transports.String
	}
	if p.AAGUID.Valid {
		out.AAGUID = &p.AAGUID.String
	}
	if p.CreatedAt.Valid {
		s := chatd.FormatTime(p.CreatedAt.Time)
		out.CreatedAt = &s
	}
	return out
}

type credentialDescriptor struct {
	ID         string   `json:"id"`
	Transports []string `json:"transports,omitempty"`
	Type       string   `json:"type"`
}

// RegistrationOptions is simplewebauthn's PublicKeyCredentialCreationOptionsJSON.
type RegistrationOptions struct {
	Challenge string `json:"challenge"`
	RP        struct {
		Name string `json:"name"`
		ID   string `json:"id"`
	} `json:"rp"`
	User struct {
		ID          string `json:"id"`
		Name        string `json:"name"`
		DisplayName string `json:"displayName"`
	} `json:"user"`
	PubKeyCredParams       []credParam            `json:"pubKeyCredParams"`
	Timeout                int                    `json:"timeout"`
	Attestation            string                 `json:"attestation"`
	ExcludeCredentials     []credentialDescriptor `json:"excludeCredentials"`
	AuthenticatorSelection map[string]any         `json:"authenticatorSelection"`
	Extensions             map[string]any         `json:"extensions"`
	Hints                  []string               `json:"hints"`
}

type credParam struct {
	Alg  int    `json:"alg"`
	Type string `json:"type"`
}

// The algorithms simplewebauthn offers by default: Ed25519, ES256, RS256.
var passkeyAlgs = []credParam{{-8, "public-key"}, {-7, "public-key"}, {-257, "public-key"}}

// AuthenticationOptions is simplewebauthn's PublicKeyCredentialRequestOptionsJSON.
type AuthenticationOptions struct {
	RPID             string                 `json:"rpId"`
	Challenge        string                 `json:"challenge"`
	AllowCredentials []credentialDescriptor `json:"allowCredentials,omitempty"`
	Timeout          int                    `json:"timeout"`
	UserVerification string                 `json:"userVerification"`
}

// challengeValue is the verification row's value in 1.4.18's shape.
type challengeValue struct {
	ExpectedChallenge string `json:"expectedChallenge"`
	UserData          struct {
		ID string `json:"id"`
	} `json:"userData"`
}

// RegistrationOptions starts a registration for user. It returns the options
// and the challenge token to set, signed, in the challenge cookie.
func (p *Passkeys) RegistrationOptions(ctx context.Context, rp RelyingParty, user store.User, name, attachment string) (RegistrationOptions, string, error) {
	existing, err := p.store.PasskeysByUser(ctx, user.ID)
	if err != nil {
		return RegistrationOptions{}, "", fmt.Errorf("passkey: list: %w", err)
	}
	var o RegistrationOptions
	o.Challenge = newChallenge()
	o.RP.Name, o.RP.ID = passkeyRPName, rp.ID
	// A random handle, not the user id, exactly as BetterAuth: logins find the
	// passkey by credential id only.
	o.User.ID = base64.RawURLEncoding.EncodeToString([]byte(randomFrom("abcdefghijklmnopqrstuvwxyz0123456789", 32)))
	o.User.DisplayName = user.ID
	if user.Email.Valid && user.Email.String != "" {
		o.User.DisplayName = user.Email.String
	}
	o.User.Name = o.User.DisplayName
	if name != "" {
		o.User.Name = name
	}
	o.PubKeyCredParams, o.Timeout, o.Attestation = passkeyAlgs, passkeyTimeoutMS, "none"
	o.ExcludeCredentials = descriptors(existing)
	o.AuthenticatorSelection = map[string]any{"residentKey": "preferred", "userVerification": "preferred", "requireResidentKey": false}
	if attachment == "platform" || attachment == "cross-platform" {
		o.AuthenticatorSelection["authenticatorAttachment"] = attachment
	}
	o.Extensions, o.Hints = map[string]any{"credProps": true}, []string{}
	token, err := p.saveChallenge(ctx, o.Challenge, user.ID)
	return o, token, err
}

// AuthenticationOptions starts a login. userID is the caller's user when the
// request carries a session ("" otherwise); its passkeys are then allowed.
func (p *Passkeys) AuthenticationOptions(ctx context.Context, rp RelyingParty, userID string) (AuthenticationOptions, string, error) {
	o := AuthenticationOptions{RPID: rp.ID, Challenge: newChallenge(), Timeout: passkeyTimeoutMS, UserVerification: "preferred"}
	if userID != "" {
		existing, err := p.store.PasskeysByUser(ctx, userID)
		if err != nil {
			return AuthenticationOptions{}, "", fmt.Errorf("passkey: list: %w", err)
		}
		o.AllowCredentials = descriptors(existing)
	}
	token, err := p.saveChallenge(ctx, o.Challenge, userID)
	return o, token, err
}

func descriptors(passkeys []store.Passkey) []credentialDescriptor {
	out := []credentialDescriptor{}
	for _, pk := range passkeys {
		d := credentialDescriptor{ID: pk.CredentialID, Type: "public-key"}
		if pk.Transports.Valid {
			d.Transports = strings.Split(pk.Transports.String, ",")
		}
		out = append(out, d)
	}
	return out
}

// saveChallenge stores the challenge under a fresh token for five minutes.
func (p *Passkeys) saveChallenge(ctx context.Context, challenge, userID string) (string, error) {
	var v challengeValue
	v.ExpectedChallenge, v.UserData.ID = challenge, userID
	raw, _ := json.Marshal(v)
	token := randomFrom("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", 32)
	now := chatd.DBTime(p.now())
	_, err := p.store.CreateVerification(ctx, store.Verification{ID: store.NewID(), Identifier: token, Value: string(raw),
		ExpiresAt: now.Add(passkeyChallengeTTL), CreatedAt: now, UpdatedAt: now})
	if err != nil {
		return "", fmt.Errorf("passkey: save challenge: %w", err)
	}
	return token, nil
}

// loadChallenge finds the live challenge row for the cookie's token.
func (p *Passkeys) loadChallenge(ctx context.Context, token string) (store.Verification, challengeValue, error) {
	if token == "" {
		return store.Verification{}, challengeValue{}, ErrPasskeyChallenge
	}
	row, err := p.store.VerificationByIdentifier(ctx, token)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !row.ExpiresAt.After(p.now())) {
		return store.Verification{}, challengeValue{}, errChallengeRowMissing
	} else if err != nil {
		return store.Verification{}, challengeValue{}, fmt.Errorf("passkey: load challenge: %w", err)
	}
	var v challengeValue
	if err := json.Unmarshal([]byte(row.Value), &v); err != nil || v.ExpectedChallenge == "" {
		return store.Verification{}, challengeValue{}, errChallengeRowMissing
	}
	return row, v, nil
}

// errChallengeRowMissing is a cookie whose row is gone (used or expired);
// each endpoint answers it its own way, as 1.4.18 does.
var errChallengeRowMissing = errors.New("passkey: challenge row missing")

// List returns the user's passkeys.
func (p *Passkeys) List(ctx context.Context, userID string) ([]PasskeyJSON, error) {
	rows, err := p.store.PasskeysByUser(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("passkey: list: %w", err)
	}
	out := make([]PasskeyJSON, 0, len(rows))
	for _, r := range rows {
		out = append(out, NewPasskeyJSON(r))
	}
	return out, nil
}

// Delete removes one of the user's passkeys.
func (p *Passkeys) Delete(ctx context.Context, userID, id string) error {
	pk, err := p.owned(ctx, userID, id, ErrPasskeyNotOwner)
	if err != nil {
		return err
	}
	if err := p.store.DeletePasskey(ctx, pk.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("passkey: delete: %w", err)
	}
	return nil
}

// Rename sets the name of one of the user's passkeys.
func (p *Passkeys) Rename(ctx context.Context, userID, id, name string) (PasskeyJSON, error) {
	if _, err := p.owned(ctx, userID, id, ErrPasskeyNotAllowed); err != nil {
		return PasskeyJSON{}, err
	}
	pk, err := p.store.RenamePasskey(ctx, id, name)
	if errors.Is(err, store.ErrNotFound) {
		return PasskeyJSON{}, ErrPasskeyMissing
	} else if err != nil {
		return PasskeyJSON{}, fmt.Errorf("passkey: rename: %w", err)
	}
	return NewPasskeyJSON(pk), nil
}

func (p *Passkeys) owned(ctx context.Context, userID, id string, notOwner error) (store.Passkey, error) {
	pk, err := p.store.PasskeyByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Passkey{}, ErrPasskeyMissing
	} else if err != nil {
		return store.Passkey{}, fmt.Errorf("passkey: load: %w", err)
	}
	if pk.UserID != userID {
		return store.Passkey{}, notOwner
	}
	return pk, nil
}

// newChallenge is 32 random bytes, base64url without padding.
func newChallenge() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// randomFrom draws n characters uniformly from alphabet (at most 256 long).
func randomFrom(alphabet string, n int) string {
	limit := 256 - 256%len(alphabet)
	out := make([]byte, 0, n)
	buf := make([]byte, 2*n)
	for len(out) < n {
		_, _ = rand.Read(buf)
		for _, b := range buf {
			if int(b) < limit && len(out) < n {
				out = append(out, alphabet[int(b)%len(alphabet)])
			}
		}
	}
	return string(out)
}
