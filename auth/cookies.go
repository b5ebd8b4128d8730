package auth

import (
	"strconv"
	"strings"
	"time"
)

// Cookie keys as BetterAuth names them; the wire name is
// [__Secure-]<prefix>.<key>.
const (
	CookieSessionToken = "session_token"
	CookieSessionData  = "session_data"
	CookieDontRemember = "dont_remember"
)

const securePrefix = "__Secure-"

// maxCookieAge is better-call's ceiling on Max-Age: 400 days.
const maxCookieAge = 400 * 24 * time.Hour

// CookieName is the wire name of a cookie key under the configured prefix
// rule: what chatd writes and what BetterAuth reads.
func (m *Sessions) CookieName(key string) string {
	name := m.cfg.CookiePrefix + "." + key
	if m.cfg.SecureCookies {
		return securePrefix + name
	}
	return name
}

// TokenCookieNames are the session_token names a request may carry, in the
// order the resolver tries them (docs/http-routes.md, "Sessions"): the
// __Secure- name, then the plain one. Both are always accepted, whatever the
// prefix rule says.
func (m *Sessions) TokenCookieNames() []string {
	name := m.cfg.CookiePrefix + "." + CookieSessionToken
	return []string{securePrefix + name, name}
}

// serialize writes one Set-Cookie value with BetterAuth's attributes, in
// better-call's order. maxAge < 0 leaves Max-Age out (a browser-session
// cookie); 0 deletes the cookie.
func (m *Sessions) serialize(name, value string, maxAge time.Duration, secure bool) string {
	var b strings.Builder
	b.WriteString(name)
	b.WriteByte('=')
	b.WriteString(value)
	if maxAge >= 0 {
		maxAge = min(maxAge, maxCookieAge)
		b.WriteString("; Max-Age=")
		b.WriteString(strconv.FormatInt(int64(maxAge/time.Second), 10))
	}
	b.WriteString("; Path=/; HttpOnly")
	if secure || m.crossSite {
		b.WriteString("; Secure")
	}
	if m.crossSite {
		b.WriteString("; SameSite=None")
	} else {
		b.WriteString("; SameSite=Lax")
	}
	return b.String()
}

// CrossSite is the view of m whose cookies carry BetterAuth's cross-site
// attributes, SameSite=None; Secure, for a response to a page on another
// site (the native apps' localhost origins): a SameSite=Lax cookie set or
// deleted by a cross-site fetch is dropped by the browser. Browsers refuse
// SameSite=None without Secure, so only a deployment whose cookies are
// Secure (an https public URL) gets it; otherwise CrossSite returns m.
func (m *Sessions) CrossSite() *Sessions {
	if !m.cfg.SecureCookies || m.crossSite {
		return m
	}
	view := *m
	view.crossSite = true
	return &view
}

// SignedCookie is a BetterAuth-signed cookie with the default attributes
// (the OAuth state, the passkey challenge): value "" writes an empty value,
// maxAge 0 deletes it.
func (m *Sessions) SignedCookie(name, value string, maxAge time.Duration) string {
	if value != "" {
		value = m.signer.CookieValue(value)
	}
	return m.serialize(name, value, max(maxAge, 0), m.cfg.SecureCookies)
}

// SessionTokenCookie is the signed session_token Set-Cookie value. A maxAge
// ≤ 0 omits Max-Age, as BetterAuth does for rememberMe:false.
func (m *Sessions) SessionTokenCookie(token string, maxAge time.Duration) string {
	if maxAge <= 0 {
		maxAge = -1
	}
	return m.serialize(m.CookieName(CookieSessionToken), m.signer.CookieValue(token), maxAge, m.cfg.SecureCookies)
}

// DontRememberCookie is the signed dont_remember=true cookie a
// rememberMe:false sign-in sets; it has no Max-Age.
func (m *Sessions) DontRememberCookie() string {
	return m.serialize(m.CookieName(CookieDontRemember), m.signer.CookieValue("true"), -1, m.cfg.SecureCookies)
}

// IsDontRemember reports whether a dont_remember cookie value is validly
// signed: only then does it stop refreshes and shorten lifetimes.
func (m *Sessions) IsDontRemember(value string) bool {
	v, ok := m.signer.Unsign(value)
	return ok && v == "true"
}

// ClearCookies are the deletions sign-out and a dead get-session send:
// session_token under both names, session_data (and any chunks the request
// carried, named in requestCookies) and dont_remember.
func (m *Sessions) ClearCookies(requestCookies []string) []string {
	var out []string
	for _, name := range m.TokenCookieNames() {
		out = append(out, m.serialize(name, "", 0, strings.HasPrefix(name, securePrefix) || m.cfg.SecureCookies))
	}
	data := m.CookieName(CookieSessionData)
	out = append(out, m.serialize(data, "", 0, m.cfg.SecureCookies))
	for _, name := range requestCookies {
		if isChunkOf(name, data) {
			out = append(out, m.serialize(name, "", 0, m.cfg.SecureCookies))
		}
	}
	return append(out, m.serialize(m.CookieName(CookieDontRemember), "", 0, m.cfg.SecureCookies))
}

// isChunkOf reports whether name is "<base>.<n>", a chunk of a long cookie.
func isChunkOf(name, base string) bool {
	rest, ok := strings.CutPrefix(name, base+".")
	if !ok || rest == "" {
		return false
	}
	_, err := strconv.Atoi(rest)
	return err == nil
}
