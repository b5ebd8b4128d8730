package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"chatd"
	"chatd/ratelimit"
	"chatd/store"
)

// Biometric login (POST /api/auth/biometric/setup, POST
// /api/auth/biometric/login): a 64-hex bearer token the native app keeps in the
// Keychain, stored hashed. POST /api/auth/biometric/login never answers 401 for
// anything but a bad credential, because the app wipes its stored credential on
// a 401.

var (
	ErrBiometricMissing  = chatd.Errorf(chatd.EINVALID, "Missing credentials")
	ErrBiometricInvalid  = chatd.Errorf(chatd.EUNAUTHORIZED, "Invalid biometric token")
	ErrBiometricMismatch = chatd.Errorf(chatd.EUNAUTHORIZED, "Identifier mismatch")
)

// BiometricStore is what the biometric flows need from the database.
type BiometricStore interface {
	CreateBiometricToken(ctx context.Context, t store.BiometricToken) error
	BiometricTokenByToken(ctx context.Context, stored string) (store.BiometricToken, error)
	LegacyBiometricToken(ctx context.Context, raw string) (store.BiometricToken, error)
	UserByID(ctx context.Context, id string) (store.User, error)
}

// Biometric runs POST /api/auth/biometric/setup and POST /api/auth/biometric/login.
type Biometric struct {
	store BiometricStore
	log   *slog.Logger
	now   func() time.Time
	perIP *ratelimit.Window
}

// NewBiometric wires the flows with POST /api/auth/biometric/login's limit of
// 10 logins per IP a minute.
func NewBiometric(st BiometricStore, logger *slog.Logger, now func() time.Time) *Biometric {
	return &Biometric{store: st, log: logger, now: now, perIP: ratelimit.NewWindow(10, time.Minute)}
}

// HashBiometricToken is the stored form of a token: "h1:"+hex(SHA-256).
func HashBiometricToken(raw string) string {
	sum := sha256.Sum256([]byte(raw))
	return "h1:" + hex.EncodeToString(sum[:])
}

// Setup issues a new token for the user on deviceID and returns it raw; only
// its hash is stored. Earlier tokens stay valid (parity).
func (b *Biometric) Setup(ctx context.Context, userID, deviceID string) (string, error) {
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return "", fmt.Errorf("biometric: token: %w", err)
	}
	raw := hex.EncodeToString(buf)
	err := b.store.CreateBiometricToken(ctx, store.BiometricToken{ID: store.NewUUID(), Token: HashBiometricToken(raw),
		UserID: userID, DeviceID: deviceID, CreatedAt: b.now()})
	if err != nil {
		return "", fmt.Errorf("biometric: setup: %w", err)
	}
	return raw, nil
}

// Login checks the per-IP limit (a *RateLimitError), the token and the identifier (the user's
// phone number or email, exactly) and returns the user to log in.
func (b *Biometric) Login(ctx context.Context, token, identifier, deviceID, clientIP string) (store.User, error) {
	if ok, wait := b.perIP.Allow(clientIP, b.now()); !ok {
		return store.User{}, &RateLimitError{RetryAfter: ratelimit.RetrySeconds(wait)}
	}
	if token == "" || identifier == "" {
		return store.User{}, ErrBiometricMissing
	}
	row, err := b.lookup(ctx, token)
	if err != nil {
		return store.User{}, err
	}
	user, err := b.store.UserByID(ctx, row.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, ErrBiometricInvalid
	} else if err != nil {
		return store.User{}, fmt.Errorf("biometric: user: %w", err)
	}
	if !equalsValid(user.PhoneNumber, identifier) && !equalsValid(user.Email, identifier) {
		return store.User{}, ErrBiometricMismatch
	}
	if deviceID != "" && deviceID != row.DeviceID {
		b.log.InfoContext(ctx, "biometric login from another device id", "user_id", user.ID)
	}
	return user, nil
}

// lookup finds the hashed row, then a legacy raw one; expired rows count as
// missing.
func (b *Biometric) lookup(ctx context.Context, token string) (store.BiometricToken, error) {
	if len(token) > 512 {
		return store.BiometricToken{}, ErrBiometricInvalid
	}
	row, err := b.store.BiometricTokenByToken(ctx, HashBiometricToken(token))
	if errors.Is(err, store.ErrNotFound) {
		row, err = b.store.LegacyBiometricToken(ctx, token)
	}
	if errors.Is(err, store.ErrNotFound) {
		return store.BiometricToken{}, ErrBiometricInvalid
	} else if err != nil {
		return store.BiometricToken{}, fmt.Errorf("biometric: lookup: %w", err)
	}
	if row.ExpiresAt.Valid && !row.ExpiresAt.Time.After(b.now()) {
		return store.BiometricToken{}, ErrBiometricInvalid
	}
	return row, nil
}

func equalsValid(s sql.NullString, v string) bool { return s.Valid && s.String == v }
