package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"strings"

	"golang.org/x/crypto/scrypt"
	"golang.org/x/text/unicode/norm"
)

// BetterAuth's scrypt parameters (better-auth/dist/crypto/password.mjs).
const (
	scryptN      = 16384
	scryptR      = 16
	scryptP      = 1
	scryptKeyLen = 64
)

// Password length limits: BetterAuth's minPasswordLength / maxPasswordLength.
const (
	MinPasswordLength = 8
	MaxPasswordLength = 128
)

// HashPassword hashes password the way BetterAuth stores it in
// account.password: "<32 hex salt>:<128 hex key>", where the salt given to
// scrypt is the hex string itself, not the 16 bytes it encodes.
func HashPassword(password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("auth: password salt: %w", err)
	}
	return hashWithSalt(password, hex.EncodeToString(salt))
}

func hashWithSalt(password, saltHex string) (string, error) {
	key, err := scrypt.Key([]byte(norm.NFKC.String(password)), []byte(saltHex), scryptN, scryptR, scryptP, scryptKeyLen)
	if err != nil {
		return "", fmt.Errorf("auth: scrypt: %w", err)
	}
	return saltHex + ":" + hex.EncodeToString(key), nil
}

// VerifyPassword reports whether password matches a hash BetterAuth or
// chatd stored; a malformed hash never matches.
func VerifyPassword(hash, password string) bool {
	saltHex, keyHex, ok := strings.Cut(hash, ":")
	if !ok || saltHex == "" || len(keyHex) != 2*scryptKeyLen {
		return false
	}
	want, err := hex.DecodeString(keyHex)
	if err != nil {
		return false
	}
	got, err := scrypt.Key([]byte(norm.NFKC.String(password)), []byte(saltHex), scryptN, scryptR, scryptP, scryptKeyLen)
	return err == nil && subtle.ConstantTimeCompare(got, want) == 1
}
