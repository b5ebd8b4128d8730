package server

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"chatd/auth"
	"chatd/store"
)

// The session cookie under its two names (docs/http-routes.md, "Sessions"): the
// __Secure- one first.
const (
	secureSessionCookie = "__Secure-better-auth.session_token"
	sessionCookie       = "better-auth.session_token"
)

// sessionCandidates are the request's token candidates in the order of
// docs/http-routes.md, "Sessions": the Bearer value, then the prefixed cookie,
// then the plain one. Empty candidates are left out.
func sessionCandidates(r *http.Request) []string {
	var out []string
	if v := bearerToken(r); v != "" {
		out = append(out, v)
	}
	for _, name := range []string{secureSessionCookie, sessionCookie} {
		if v := auth.RequestCookie(r, name); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// bearerToken is the value after "Bearer " (case-insensitive scheme), or "".
func bearerToken(r *http.Request) string {
	h := strings.TrimSpace(r.Header.Get("Authorization"))
	if len(h) < 7 || !strings.EqualFold(h[:7], "bearer ") {
		return ""
	}
	return strings.TrimSpace(h[7:])
}

// presentsSession reports whether the request carries any session candidate,
// so a route can tell "no credentials" from "credentials that do not resolve".
func presentsSession(r *http.Request) bool { return len(sessionCandidates(r)) > 0 }

// sessionFrom resolves the request's session (docs/http-routes.md, "Sessions").
// ok is false when nothing live was presented; err is non-nil only when the
// lookup itself failed (the database), which callers answer with a 500. The
// result is cached on the context so several checks in one request look up
// once.
func (s *Server) sessionFrom(c *gin.Context) (su store.SessionUser, ok bool, err error) {
	const key = ctxSession
	if v, found := c.Get(key); found {
		cached := v.(sessionResult)
		return cached.su, cached.ok, nil
	}
	candidates := sessionCandidates(c.Request)
	if len(candidates) == 0 || s.deps.Resolver == nil {
		return store.SessionUser{}, false, nil
	}
	su, err = s.deps.Resolver.Resolve(c.Request.Context(), candidates...)
	if errors.Is(err, auth.ErrNoSession) {
		c.Set(key, sessionResult{})
		return store.SessionUser{}, false, nil
	} else if err != nil {
		return store.SessionUser{}, false, err
	}
	c.Set(key, sessionResult{su: su, ok: true})
	return su, true, nil
}

const ctxSession = "chatd.session"

type sessionResult struct {
	su store.SessionUser
	ok bool
}

// requireSession is "a session is required" for a route group: without a
// live session the route's writer answers refusal (invalid when something
// was presented that is not a live session), a failed lookup its 500.
// Handlers behind it read the session with sessionOf.
func (s *Server) requireSession(answer func(*gin.Context, error), refusal, invalid error) gin.HandlerFunc {
	return func(c *gin.Context) {
		_, ok, err := s.sessionFrom(c)
		switch {
		case err != nil:
			answer(c, failure("session lookup", err))
		case !ok && presentsSession(c.Request):
			answer(c, invalid)
		case !ok:
			answer(c, refusal)
		}
	}
}

// sessionOf is the session requireSession found.
func sessionOf(c *gin.Context) store.SessionUser {
	v, _ := c.Get(ctxSession)
	return v.(sessionResult).su
}
