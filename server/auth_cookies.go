package server

import (
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"chatd/auth"
	"chatd/store"
)

// setSessionCookie sets the signed session_token cookie for sess with
// maxAge as Max-Age (SESSION_EXPIRES_IN for BetterAuth logins, 365 days for
// the native ones), plus the session_data cookie cache, which needs the
// user and so costs one lookup; the other logins call this after Create.
func (s *Server) setSessionCookie(c *gin.Context, sess store.Session, maxAge time.Duration) {
	su := store.SessionUser{Session: sess}
	if s.deps.Sessions.Config().CacheMaxAge > 0 {
		u, err := s.deps.Store.UserByID(c.Request.Context(), sess.UserID)
		if err != nil {
			// The token cookie alone is a working login; the cache is an optimisation.
			s.log.WarnContext(c.Request.Context(), "session cache skipped", "user_id", sess.UserID, "error", err)
			s.addSetCookies(c, s.cookies(c.Request).SessionTokenCookie(sess.Token, maxAge))
			return
		}
		su.User = u
	}
	s.setSessionCookies(c, su, maxAge, false)
}

// setSessionCookies sets session_token (no Max-Age when dontRemember) and
// session_data for a session whose user is already loaded.
func (s *Server) setSessionCookies(c *gin.Context, su store.SessionUser, maxAge time.Duration, dontRemember bool) {
	m := s.cookies(c.Request)
	if dontRemember {
		maxAge = 0
	}
	s.addSetCookies(c, m.SessionTokenCookie(su.Session.Token, maxAge))
	if dontRemember {
		s.addSetCookies(c, m.DontRememberCookie())
	}
	if su.User.ID != "" {
		s.addSetCookies(c, m.CacheCookies(su, dontRemember, requestCookieNames(c.Request))...)
	}
}

// clearSessionCookies deletes session_token under both names,
// session_data (with any chunks the request carried) and dont_remember.
func (s *Server) clearSessionCookies(c *gin.Context) {
	s.addSetCookies(c, s.cookies(c.Request).ClearCookies(requestCookieNames(c.Request))...)
}

// cookies is what writes the response's cookies: for a request from a native
// app's origin, the cross-site view (SameSite=None; Secure when the public
// URL is https), so the WebView keeps the session it is given and sends it
// back; for every other request, BetterAuth's defaults (SameSite=Lax).
func (s *Server) cookies(r *http.Request) *auth.Sessions {
	if s.native.Contains(r.Header.Get("Origin")) {
		return s.deps.Sessions.CrossSite()
	}
	return s.deps.Sessions
}

func (s *Server) addSetCookies(c *gin.Context, cookies ...string) {
	for _, v := range cookies {
		c.Writer.Header().Add("Set-Cookie", v)
	}
}

// requestCookieNames lists the cookie names the request carries, so stale
// session_data chunks can be deleted.
func requestCookieNames(r *http.Request) []string {
	var out []string
	for _, line := range r.Header.Values("Cookie") {
		for _, part := range strings.Split(line, ";") {
			if k, _, ok := strings.Cut(strings.TrimSpace(part), "="); ok {
				out = append(out, strings.TrimSpace(k))
			}
		}
	}
	return out
}

// dontRemember reports whether the request carries a validly signed
// dont_remember cookie: its session is never refreshed.
func (s *Server) dontRemember(r *http.Request) bool {
	v := auth.RequestCookie(r, s.deps.Sessions.CookieName(auth.CookieDontRemember))
	return v != "" && s.deps.Sessions.IsDontRemember(v)
}
