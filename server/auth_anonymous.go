package server

import (
	"bytes"
	"encoding/json"
	"net/http"

	"github.com/gin-gonic/gin"

	"chatd/auth"
	"chatd/store"
)

// logins are the BetterAuth sign-in methods over this server's store.
func (s *Server) logins() *auth.Logins { return auth.NewLogins(s.deps.Store, s.deps.Sessions) }

// client is who is signing in, as the session row records it.
func (s *Server) client(c *gin.Context) auth.Client {
	ua := c.Request.UserAgent()
	if len(ua) > 512 {
		ua = ua[:512]
	}
	return auth.Client{IP: s.origins.ClientIP(c.Request), UserAgent: ua}
}

// currentSession is the caller's live session, nil when there is none.
func (s *Server) currentSession(c *gin.Context) (*store.SessionUser, error) {
	su, ok, err := s.sessionFrom(c)
	if err != nil || !ok {
		return nil, err
	}
	return &su, nil
}

// signInAnonymous is POST /api/auth/sign-in/anonymous: a new anonymous user and
// a 30-day session; an anonymous caller gets BetterAuth's "cannot sign in
// again" 400, whose message text the client relies on.
func (s *Server) signInAnonymous(c *gin.Context) {
	if _, ok := s.readBABody(c, false); !ok {
		return
	}
	current, err := s.currentSession(c)
	if err != nil {
		s.authError(c, failure("anonymous sign-in failed", err))
		return
	}
	su, err := s.logins().Anonymous(c.Request.Context(), current, s.client(c))
	if err != nil {
		s.authError(c, err)
		return
	}
	s.setSessionCookies(c, su, s.deps.Sessions.Config().ExpiresIn, false)
	s.respondSignedIn(c, su, nil)
}

// respondSignedIn writes {"token","user"} plus extra leading fields (sign-in
// email's "redirect"), the shape of every BetterAuth sign-in.
func (s *Server) respondSignedIn(c *gin.Context, su store.SessionUser, extra map[string]any) {
	body := []byte(`{`)
	for _, k := range []string{"redirect", "url"} {
		if v, ok := extra[k]; ok {
			b, _ := jsonMarshal(v)
			body = append(append(append(body, `"`+k+`":`...), b...), ',')
		}
	}
	tok, _ := jsonMarshal(su.Session.Token)
	body = append(append(append(body, `"token":`...), tok...), `,"user":`...)
	body = append(append(body, auth.UserJSON(su.User)...), '}')
	c.Data(http.StatusOK, "application/json", body)
}

// linkAnonymous runs the anonymous plugin's after-hook for a sign-in that
// produced newUser: the request's previous anonymous user is deleted. A
// failure is logged; the sign-in itself has succeeded.
func (s *Server) linkAnonymous(c *gin.Context, previous *store.SessionUser, newUser store.User) {
	if err := s.logins().LinkAnonymous(c.Request.Context(), previous, newUser); err != nil {
		s.log.ErrorContext(c.Request.Context(), "anonymous link failed", "user_id", newUser.ID, "error", err)
	}
}

// jsonMarshal is json.Marshal without HTML escaping, like JSON.stringify.
func jsonMarshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}
