package server

import (
	"context"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"

	"github.com/gin-gonic/gin"

	"chatd"
	"chatd/auth"
	"chatd/store"
)

// getSession is BetterAuth's GET /api/auth/get-session on the database path:
// null when signed out, the refresh rule, cookies re-issued on refresh, the
// session_data cache written on every answer with a session.
func (s *Server) getSession(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	noRefresh := c.Query("disableRefresh") == "true" || s.dontRemember(c.Request)
	sawToken := false
	for _, candidate := range sessionCandidates(c.Request) {
		token, ok := s.deps.Sessions.Signer().TokenFromCandidate(candidate)
		if !ok {
			continue // a bad signature clears nothing
		}
		lk, err := s.deps.Sessions.Get(c.Request.Context(), token, noRefresh)
		switch {
		case errors.Is(err, auth.ErrSessionGone):
			sawToken = true
			continue
		case errors.Is(err, auth.ErrRefreshLost):
			s.clearSessionCookies(c)
			s.authError(c, err)
			return
		case err != nil:
			s.authError(c, failure("get session failed", err))
			return
		}
		s.sessionCookiesAfterGet(c, lk, noRefresh)
		c.Data(http.StatusOK, "application/json", auth.SessionUserJSON(lk.SessionUser))
		return
	}
	if sawToken {
		s.clearSessionCookies(c)
	}
	c.Data(http.StatusOK, "application/json", []byte("null"))
}

// sessionCookiesAfterGet sets what BetterAuth 1.4.18 sets on get-session's
// database path: after a refresh the session_token cookie (Max-Age = what
// is left, i.e. expiresIn) and the cache; without one the cache only; and
// nothing when refreshing was off (dont_remember or ?disableRefresh).
func (s *Server) sessionCookiesAfterGet(c *gin.Context, lk auth.Lookup, noRefresh bool) {
	switch {
	case lk.Refreshed:
		s.setSessionCookies(c, lk.SessionUser, s.deps.Sessions.Config().ExpiresIn, false)
	case !noRefresh:
		s.addSetCookies(c, s.cookies(c.Request).CacheCookies(lk.SessionUser, false, requestCookieNames(c.Request))...)
	}
}

// deleteSessions deletes the session of every token the request presents
// (Bearer and both cookies, signed or raw), expired or not, and ends the
// sockets that authenticated with it, on every process.
func (s *Server) deleteSessions(c *gin.Context) error {
	ctx := c.Request.Context()
	for _, candidate := range sessionCandidates(c.Request) {
		token, ok := s.deps.Sessions.Signer().TokenFromCandidate(candidate)
		if !ok {
			continue
		}
		su, err := s.deps.Store.SessionByToken(ctx, token)
		if errors.Is(err, store.ErrNotFound) {
			continue
		} else if err != nil {
			return err
		}
		if err := s.deps.Sessions.Delete(ctx, token); err != nil {
			return err
		}
		if s.deps.SessionSockets != nil {
			s.deps.SessionSockets.EndSession(context.WithoutCancel(ctx), su.Session.ID)
		}
	}
	return nil
}

// sessionSocketEnder ends the sockets bound to a session: a signed-out
// session must not go on sending on a socket opened with it.
type sessionSocketEnder interface {
	EndSession(ctx context.Context, sessionID string) int
}

// signOut is POST /api/auth/sign-out: end the presented sessions, delete the cookies, always
// {"success":true}.
func (s *Server) signOut(c *gin.Context) {
	if _, ok := s.readBABody(c, false); !ok {
		return
	}
	if err := s.deleteSessions(c); err != nil {
		s.authError(c, failure("sign out failed", err))
		return
	}
	s.clearSessionCookies(c)
	c.JSON(http.StatusOK, gin.H{"success": true})
}

// logout is POST /api/auth/logout, the old custom route: like sign-out, in the Next.js error
// style, never 401.
func (s *Server) logout(c *gin.Context) {
	if err := s.deleteSessions(c); err != nil {
		s.nextError(c, failure("logout", err), "Logout failed")
		return
	}
	s.clearSessionCookies(c)
	c.JSON(http.StatusOK, gin.H{"success": true})
}

// debugUser is the one view of the caller's own user that GET /api/debug-session shows: never
// the session, the token, role or emailVerified.
type debugUser struct {
	ID          string  `json:"id"`
	Name        *string `json:"name"`
	Email       *string `json:"email"`
	Image       *string `json:"image"`
	PhoneNumber *string `json:"phoneNumber"`
	Gender      *string `json:"gender"`
	Status      *string `json:"status"`
	IsAnonymous bool    `json:"isAnonymous"`
	CreatedAt   string  `json:"createdAt"`
}

// debugSession is GET /api/debug-session.
func (s *Server) debugSession(c *gin.Context) {
	su, ok, err := s.sessionFrom(c)
	if err != nil {
		s.nextError(c, failure("debug session", err), "")
		return
	}
	if !ok {
		c.JSON(http.StatusOK, gin.H{"authenticated": false, "user": nil})
		return
	}
	c.JSON(http.StatusOK, gin.H{"authenticated": true, "user": newDebugUser(su.User)})
}

func newDebugUser(u store.User) debugUser {
	return debugUser{
		ID: u.ID, Name: nullString(u.Name), Email: nullString(u.Email), Image: nullString(u.Image),
		PhoneNumber: nullString(u.PhoneNumber), Gender: nullString(u.Gender), Status: nullString(u.Status),
		IsAnonymous: u.IsAnonymous, CreatedAt: chatd.FormatTime(u.CreatedAt),
	}
}

// authOK is GET /api/auth/ok.
func (s *Server) authOK(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"ok": true}) }

var errorCodeRe = regexp.MustCompile(`^['A-Za-z0-9_-]+$`)

// authErrorPage is GET /api/auth/error: a redirect home in production,
// a minimal page elsewhere, as BetterAuth did.
func (s *Server) authErrorPage(c *gin.Context) {
	code := c.Query("error")
	if len(code) > 200 || !errorCodeRe.MatchString(code) {
		code = "UNKNOWN"
	}
	desc := c.Query("error_description")
	if len(desc) > 1000 {
		desc = desc[:1000]
	}
	if s.cfg.NodeEnv == "production" {
		q := url.Values{"error": {code}}
		if desc != "" {
			q.Set("error_description", desc)
		}
		c.Redirect(http.StatusFound, "/?"+q.Encode())
		return
	}
	page := fmt.Sprintf(`<!DOCTYPE html><html><head><meta charset="utf-8"><title>Error</title></head>`+
		`<body><h1>Authentication error</h1><p><code>%s</code></p><p>%s</p><p><a href="/">Go home</a></p></body></html>`,
		html.EscapeString(code), html.EscapeString(desc))
	c.Data(http.StatusOK, "text/html; charset=utf-8", []byte(page))
}
