// Package auth is chatd's BetterAuth-compatible session layer: signed
// cookies, session lookup and creation, password hashes and the login
// methods. Every transport resolves identities through it.
package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"strings"

	"chatd"
)

// Signer signs and verifies cookie values the way better-call does: an
// HMAC-SHA256 keyed with the raw secret string, standard base64 with padding.
type Signer struct{ secret []byte }

// NewSigner returns a Signer keyed with BETTER_AUTH_SECRET.
func NewSigner(secret string) Signer { return Signer{secret: []byte(secret)} }

// Signature is base64std(HMAC-SHA256(secret, value)): 44 characters ending "=".
func (s Signer) Signature(value string) string {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte(value))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// CookieValue is the signed cookie value as sent on the wire:
// encodeURIComponent(value + "." + signature).
func (s Signer) CookieValue(value string) string {
	return url.QueryEscape(value + "." + s.Signature(value))
}

// TokenFromCandidate turns a token candidate (a cookie value, a Bearer value,
// a Socket.IO auth.token) into the raw session token to look up. It
// URL-decodes with decodeURIComponent semantics ("+" stays "+"), then accepts
// either the signed form (checked in constant time) or a raw token, which has
// no ".". ok is false for an empty value, a bad signature, or a value that
// is not valid text (chatd's text rule: no lookup is sent a NUL).
func (s Signer) TokenFromCandidate(candidate string) (token string, ok bool) {
	v, err := url.PathUnescape(candidate)
	if err != nil {
		v = candidate
	}
	v = strings.Trim(v, `"`)
	if v == "" || !chatd.ValidText(v) {
		return "", false
	}
	i := strings.LastIndex(v, ".")
	if i < 1 || len(v)-i-1 != 44 || !strings.HasSuffix(v, "=") {
		return v, true // a raw token: 32-character BetterAuth or 44-character legacy base64
	}
	token, sig := v[:i], v[i+1:]
	return token, hmac.Equal([]byte(s.Signature(token)), []byte(sig))
}

// Unsign accepts only the signed form of a cookie value (BetterAuth's
// getSignedCookie): URL-decoded, "value.signature", signature checked in
// constant time. dont_remember and the passkey challenge are read this way.
func (s Signer) Unsign(cookie string) (value string, ok bool) {
	v, err := url.PathUnescape(cookie)
	if err != nil {
		v = cookie
	}
	i := strings.LastIndex(v, ".")
	if i < 1 || len(v)-i-1 != 44 || !strings.HasSuffix(v, "=") {
		return "", false
	}
	value, sig := v[:i], v[i+1:]
	return value, hmac.Equal([]byte(s.Signature(value)), []byte(sig))
}
