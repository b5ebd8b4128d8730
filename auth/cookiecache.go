package auth

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"time"

	"chatd/store"
)

// The session_data cookie cache, "compact" strategy, as BetterAuth 1.4.18
// writes and checks it (docs/betterauth.md, "The session_data cookie cache"):
//
//	signature = base64url(HMAC-SHA256(secret, JSON({...sessionData, expiresAt})))
//	cookie    = base64url(JSON({session: sessionData, expiresAt, signature}))
//
// BetterAuth verifies by re-serializing the parsed payload, so the signed
// bytes must be exactly what JSON.stringify gives: jsObject writes them.

// cacheVersion is session.cookieCache.version's default.
const cacheVersion = "1"

// Cookie-size rules of BetterAuth 1.4.18's session store: a value longer
// than 4093 characters is split into chunks of 3896 named "<name>.<i>".
const (
	cacheChunkAbove = 4093
	cacheChunkSize  = 4096 - 200
)

// dontRememberCacheAge is the cache lifetime when the cookie itself has no
// Max-Age (rememberMe:false): BetterAuth falls back to 60 seconds.
const dontRememberCacheAge = 60 * time.Second

// cacheSessionData is the payload BetterAuth caches: {session, user,
// updatedAt, version}.
func cacheSessionData(su store.SessionUser, now time.Time) []byte {
	var o jsObject
	o.raw("session", SessionJSON(su.Session))
	o.raw("user", UserJSON(su.User))
	o.num("updatedAt", now.UnixMilli())
	o.str("version", cacheVersion)
	return o.bytes()
}

// encodeCompact signs sessionData (a JSON object in JS form) valid until
// expiresAtMs and returns the cookie value.
func (s Signer) encodeCompact(sessionData []byte, expiresAtMs int64) string {
	signed := withExpiresAt(sessionData, expiresAtMs)
	m := hmac.New(sha256.New, s.secret)
	m.Write(signed)
	sig := base64.RawURLEncoding.EncodeToString(m.Sum(nil))
	var o jsObject
	o.raw("session", sessionData)
	o.num("expiresAt", expiresAtMs)
	o.str("signature", sig)
	return base64.RawURLEncoding.EncodeToString(o.bytes())
}

// withExpiresAt is JSON.stringify({...sessionData, expiresAt}): the object
// with one more key before its closing brace.
func withExpiresAt(sessionData []byte, expiresAtMs int64) []byte {
	obj := bytes.TrimSpace(sessionData)
	out := make([]byte, 0, len(obj)+32)
	out = append(out, obj[:len(obj)-1]...)
	if len(obj) > 2 {
		out = append(out, ',')
	}
	out = append(out, `"expiresAt":`...)
	out = strconv.AppendInt(out, expiresAtMs, 10)
	return append(out, '}')
}

// decodeCompact checks a compact cookie value's signature and expiry and
// returns the signed payload. chatd itself reads the database; this exists
// to prove round trips in tests and for diagnostics.
func (s Signer) decodeCompact(cookie string, now time.Time) (json.RawMessage, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(cookie)
	if err != nil {
		return nil, false
	}
	var c struct {
		Session   json.RawMessage `json:"session"`
		ExpiresAt int64           `json:"expiresAt"`
		Signature string          `json:"signature"`
	}
	if json.Unmarshal(raw, &c) != nil || len(c.Session) < 2 || c.Session[0] != '{' {
		return nil, false
	}
	m := hmac.New(sha256.New, s.secret)
	m.Write(withExpiresAt(c.Session, c.ExpiresAt))
	want := base64.RawURLEncoding.EncodeToString(m.Sum(nil))
	if !hmac.Equal([]byte(want), []byte(c.Signature)) || c.ExpiresAt <= now.UnixMilli() {
		return nil, false
	}
	return c.Session, true
}

// CacheCookies are the Set-Cookie values of session_data for su: one cookie,
// or chunks when the value is long. requestCookies (the names the request
// carried) lets stale pieces be deleted: BetterAuth reads the unchunked name
// first, so a leftover one would hide new chunks. Nil when the cache is off.
func (m *Sessions) CacheCookies(su store.SessionUser, dontRemember bool, requestCookies []string) []string {
	if m.cfg.CacheMaxAge <= 0 {
		return nil
	}
	now := m.now()
	maxAge, life := m.cfg.CacheMaxAge, m.cfg.CacheMaxAge
	if dontRemember {
		maxAge, life = -1, dontRememberCacheAge
	}
	value := m.signer.encodeCompact(cacheSessionData(su, now), now.Add(life).UnixMilli())
	name := m.CookieName(CookieSessionData)
	pieces := map[string]string{name: value}
	if len(value) > cacheChunkAbove {
		pieces = map[string]string{}
		for i := 0; i*cacheChunkSize < len(value); i++ {
			pieces[name+"."+strconv.Itoa(i)] = value[i*cacheChunkSize : min((i+1)*cacheChunkSize, len(value))]
		}
	}
	var out []string
	for _, c := range requestCookies {
		if _, kept := pieces[c]; !kept && (c == name || isChunkOf(c, name)) {
			out = append(out, m.serialize(c, "", 0, m.cfg.SecureCookies))
		}
	}
	if len(pieces) == 1 {
		return append(out, m.serialize(name, value, maxAge, m.cfg.SecureCookies))
	}
	for i := range len(pieces) {
		n := name + "." + strconv.Itoa(i)
		out = append(out, m.serialize(n, pieces[n], maxAge, m.cfg.SecureCookies))
	}
	return out
}
