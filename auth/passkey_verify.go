package auth

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/protocol/webauthncose"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/google/uuid"

	"chatd"
	"chatd/store"
)

// ceremonyUser adapts one credential to go-webauthn's User. BetterAuth's user
// handles are random and not stored, so the handle is whatever the ceremony
// carries: the passkey row, found by credential id, is what identifies the user.
type ceremonyUser struct {
	handle []byte
	creds  []webauthn.Credential
}

func (u ceremonyUser) WebAuthnID() []byte                         { return u.handle }
func (u ceremonyUser) WebAuthnName() string                       { return "" }
func (u ceremonyUser) WebAuthnDisplayName() string                { return "" }
func (u ceremonyUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

// relyingParty builds go-webauthn for one request's RP. The RP id is carried
// in the session data, not the config, because go-webauthn's config refuses
// IP addresses and the LAN setup uses one.
func relyingParty(rp RelyingParty) (*webauthn.WebAuthn, webauthn.SessionData, error) {
	w, err := webauthn.New(&webauthn.Config{RPDisplayName: passkeyRPName, RPOrigins: []string{rp.Origin}})
	if err != nil {
		return nil, webauthn.SessionData{}, fmt.Errorf("passkey: relying party: %w", err)
	}
	return w, webauthn.SessionData{RelyingPartyID: rp.ID, Origin: rp.Origin,
		UserVerification: protocol.VerificationPreferred}, nil
}

// RegistrationInput is POST /api/auth/passkey/verify-registration's body and context.
type RegistrationInput struct {
	RP             RelyingParty
	UserID         string
	ChallengeToken string          // from the verified challenge cookie
	Response       json.RawMessage // the RegistrationResponseJSON
	Name           *string
}

// VerifyRegistration checks the attestation against the stored challenge and
// stores the new passkey in BetterAuth's format.
func (p *Passkeys) VerifyRegistration(ctx context.Context, in RegistrationInput) (PasskeyJSON, error) {
	if in.RP.Origin == "" {
		return PasskeyJSON{}, ErrPasskeyNull
	}
	row, ch, err := p.loadChallenge(ctx, in.ChallengeToken)
	if errors.Is(err, errChallengeRowMissing) {
		return PasskeyJSON{}, ErrPasskeyNull
	} else if err != nil {
		return PasskeyJSON{}, err
	}
	if ch.UserData.ID != in.UserID {
		return PasskeyJSON{}, ErrPasskeyNotAllowed
	}
	cred, transports, err := verifyAttestation(in.RP, ch.ExpectedChallenge, in.Response)
	if err != nil {
		p.log.InfoContext(ctx, "passkey registration refused", "error", err)
		return PasskeyJSON{}, ErrPasskeyRegistration
	}
	pk := newPasskeyRow(in.UserID, cred, transports, p.now())
	if in.Name != nil {
		pk.Name = sql.NullString{String: *in.Name, Valid: true}
	}
	if err := p.store.CreatePasskey(ctx, pk); err != nil {
		return PasskeyJSON{}, fmt.Errorf("passkey: store: %w", err)
	}
	if _, err := p.store.ConsumeVerification(ctx, row.ID); err != nil {
		return PasskeyJSON{}, fmt.Errorf("passkey: consume challenge: %w", err)
	}
	return NewPasskeyJSON(pk), nil
}

func verifyAttestation(rp RelyingParty, challenge string, response json.RawMessage) (*webauthn.Credential, string, error) {
	parsed, err := protocol.ParseCredentialCreationResponseBytes(response)
	if err != nil {
		return nil, "", fmt.Errorf("parse: %w", describe(err))
	}
	w, session, err := relyingParty(rp)
	if err != nil {
		return nil, "", err
	}
	handle := []byte("registration")
	session.Challenge, session.UserID = challenge, handle
	for _, a := range passkeyAlgs {
		session.CredParams = append(session.CredParams, protocol.CredentialParameter{
			Type: protocol.PublicKeyCredentialType, Algorithm: webauthncose.COSEAlgorithmIdentifier(a.Alg)})
	}
	cred, err := w.CreateCredential(ceremonyUser{handle: handle}, session, parsed)
	if err != nil {
		return nil, "", describe(err)
	}
	var body struct {
		Response struct {
			Transports []string `json:"transports"`
		} `json:"response"`
	}
	_ = json.Unmarshal(response, &body)
	return cred, strings.Join(body.Response.Transports, ","), nil
}

// newPasskeyRow renders a verified credential the way @better-auth/passkey
// stores it.
func newPasskeyRow(userID string, cred *webauthn.Credential, transports string, now time.Time) store.Passkey {
	deviceType := "singleDevice"
	if cred.Flags.BackupEligible {
		deviceType = "multiDevice"
	}
	aaguid := uuid.Nil.String()
	if id, err := uuid.FromBytes(cred.Authenticator.AAGUID); err == nil {
		aaguid = id.String()
	}
	return store.Passkey{ID: store.NewID(), PublicKey: base64.StdEncoding.EncodeToString(cred.PublicKey), UserID: userID,
		CredentialID: base64.RawURLEncoding.EncodeToString(cred.ID), Counter: int64(cred.Authenticator.SignCount),
		DeviceType: deviceType, BackedUp: cred.Flags.BackupState,
		Transports: sql.NullString{String: transports, Valid: true},
		AAGUID:     sql.NullString{String: aaguid, Valid: true},
		CreatedAt:  sql.NullTime{Time: chatd.DBTime(now), Valid: true}}
}

// AuthenticationInput is POST /api/auth/passkey/verify-authentication's body and context.
type AuthenticationInput struct {
	RP             RelyingParty
	ChallengeToken string
	Response       json.RawMessage // the AuthenticationResponseJSON
}

// VerifyAuthentication checks an assertion against the stored challenge and
// the passkey named by its credential id, updates the counter and consumes
// the challenge. It returns the passkey's user id, who is then logged in.
func (p *Passkeys) VerifyAuthentication(ctx context.Context, in AuthenticationInput) (string, error) {
	if in.RP.Origin == "" {
		return "", ErrPasskeyOriginMissing
	}
	row, ch, err := p.loadChallenge(ctx, in.ChallengeToken)
	if errors.Is(err, errChallengeRowMissing) {
		return "", ErrPasskeyChallenge
	} else if err != nil {
		return "", err
	}
	var ids struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(in.Response, &ids) != nil || ids.ID == "" {
		return "", ErrPasskeyUnknown
	}
	pk, err := p.store.PasskeyByCredentialID(ctx, ids.ID)
	if errors.Is(err, store.ErrNotFound) {
		return "", ErrPasskeyUnknown
	} else if err != nil {
		return "", fmt.Errorf("passkey: load: %w", err)
	}
	counter, err := verifyAssertion(in.RP, ch.ExpectedChallenge, pk, in.Response)
	if err != nil {
		p.log.InfoContext(ctx, "passkey authentication refused", "error", err)
		return "", ErrPasskeyAuthFailed
	}
	// Consuming is what makes the challenge single-use: of two concurrent
	// replays only one deletes the row.
	if consumed, err := p.store.ConsumeVerification(ctx, row.ID); err != nil {
		return "", fmt.Errorf("passkey: consume challenge: %w", err)
	} else if !consumed {
		return "", ErrPasskeyChallenge
	}
	if err := p.store.UpdatePasskeyCounter(ctx, pk.ID, counter); err != nil {
		return "", fmt.Errorf("passkey: counter: %w", err)
	}
	return pk.UserID, nil
}

func verifyAssertion(rp RelyingParty, challenge string, pk store.Passkey, response json.RawMessage) (int64, error) {
	parsed, err := protocol.ParseCredentialRequestResponseBytes(response)
	if err != nil {
		return 0, fmt.Errorf("parse: %w", describe(err))
	}
	cred, err := storedCredential(pk)
	if err != nil {
		return 0, err
	}
	w, session, err := relyingParty(rp)
	if err != nil {
		return 0, err
	}
	handle := []byte(parsed.Response.UserHandle)
	if len(handle) == 0 {
		handle = []byte("assertion")
	}
	session.Challenge, session.UserID = challenge, handle
	verified, err := w.ValidateLogin(ceremonyUser{handle: handle, creds: []webauthn.Credential{cred}}, session, parsed)
	if err != nil {
		return 0, describe(err)
	}
	if verified.Authenticator.CloneWarning { // simplewebauthn refuses a counter that did not grow
		return 0, errors.New("signature counter did not increase")
	}
	return int64(parsed.Response.AuthenticatorData.Counter), nil
}

// storedCredential turns a passkey row back into go-webauthn's credential.
func storedCredential(pk store.Passkey) (webauthn.Credential, error) {
	id, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(pk.CredentialID, "="))
	if err != nil {
		return webauthn.Credential{}, fmt.Errorf("stored credential id: %w", err)
	}
	pub, err := base64.StdEncoding.DecodeString(pk.PublicKey)
	if err != nil {
		return webauthn.Credential{}, fmt.Errorf("stored public key: %w", err)
	}
	c := webauthn.Credential{ID: id, PublicKey: pub,
		Flags:         webauthn.CredentialFlags{BackupEligible: pk.DeviceType == "multiDevice", BackupState: pk.BackedUp},
		Authenticator: webauthn.Authenticator{SignCount: uint32(max(pk.Counter, 0))}}
	if pk.AAGUID.Valid {
		if u, err := uuid.Parse(pk.AAGUID.String); err == nil {
			c.Authenticator.AAGUID = u[:]
		}
	}
	return c, nil
}

// describe adds go-webauthn's details, which its Error() leaves out, for logs.
func describe(err error) error {
	var pe *protocol.Error
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %s (%s)", pe.Type, pe.Details, pe.DevInfo)
	}
	return err
}
