package server

import (
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"chatd"
	"chatd/auth"
)

// Limits on what a sign-up may carry.
const (
	maxNameLength  = 100
	maxImageLength = 2048
)

// signUpEmail is POST /api/auth/sign-up/email: behind EMAIL_PASSWORD_ENABLED,
// off in the product (400, as BetterAuth answers there).
func (s *Server) signUpEmail(c *gin.Context) {
	body, ok := s.readBABody(c, true)
	if !ok {
		return
	}
	// better-call validates the body before the handler says "not enabled".
	in, field := signUpFrom(body)
	if field != "" {
		msg := "[body." + field + "] Invalid input"
		if field == "email" {
			msg = "[body.email] Invalid email address"
		}
		s.authError(c, baInvalid(msg))
		return
	}
	if !s.cfg.EmailPassword {
		s.authError(c, auth.ErrEmailPasswordSignUpOff)
		return
	}
	if !s.callbackAllowed(c, body) {
		return
	}
	previous, err := s.currentSession(c)
	if err != nil {
		s.authError(c, failure("sign up failed", err))
		return
	}
	su, err := s.logins().SignUpEmail(c.Request.Context(), in, s.client(c))
	if err != nil {
		s.authError(c, err)
		return
	}
	s.linkAnonymous(c, previous, su.User)
	s.setSessionCookies(c, su, s.deps.Sessions.Config().ExpiresIn, !in.RememberMe)
	s.respondSignedIn(c, su, nil)
}

// signUpFrom reads sign-up's fields; field names the first invalid one.
func signUpFrom(body jsonObject) (in auth.SignUp, field string) {
	var present, ok bool
	if in.Name, present, ok = body.str("name"); !present || !ok || utf8.RuneCountInString(in.Name) > maxNameLength {
		return in, "name"
	}
	if in.Email, present, ok = body.str("email"); !present || !ok {
		return in, "email"
	} else if _, err := auth.NormalizeEmail(in.Email); err != nil {
		return in, "email"
	}
	if in.Password, present, ok = body.str("password"); !present || !ok || in.Password == "" {
		return in, "password"
	}
	if img, present, ok := body.str("image"); !ok || len(img) > maxImageLength || (img != "" && !chatd.IsAssetURL(img)) {
		return in, "image"
	} else if present {
		in.Image = &img
	}
	in.RememberMe = true
	if rm, present, ok := body.boolean("rememberMe"); !ok {
		return in, "rememberMe"
	} else if present {
		in.RememberMe = rm
	}
	return in, ""
}

// signInEmail is POST /api/auth/sign-in/email.
func (s *Server) signInEmail(c *gin.Context) {
	body, ok := s.readBABody(c, true)
	if !ok {
		return
	}
	email, ePresent, eOK := body.str("email")
	password, pPresent, pOK := body.str("password")
	rememberMe, rPresent, rOK := body.boolean("rememberMe")
	switch {
	case !ePresent || !eOK:
		s.authError(c, baInvalid("[body.email] Invalid input"))
		return
	case !pPresent || !pOK || len(password) > 4*auth.MaxPasswordLength:
		s.authError(c, baInvalid("[body.password] Invalid input"))
		return
	case !rOK:
		s.authError(c, baInvalid("[body.rememberMe] Invalid input"))
		return
	}
	if !s.cfg.EmailPassword {
		s.authError(c, auth.ErrEmailPasswordDisabled)
		return
	}
	if !rPresent {
		rememberMe = true
	}
	if !s.callbackAllowed(c, body) {
		return
	}
	previous, err := s.currentSession(c)
	if err != nil {
		s.authError(c, failure("sign in failed", err))
		return
	}
	su, err := s.logins().SignInEmail(c.Request.Context(), email, password, rememberMe, s.client(c))
	if err != nil {
		s.authError(c, err)
		return
	}
	s.linkAnonymous(c, previous, su.User)
	s.setSessionCookies(c, su, s.deps.Sessions.Config().ExpiresIn, !rememberMe)
	extra := map[string]any{"redirect": false}
	if cb, present, _ := body.str("callbackURL"); present && cb != "" {
		extra = map[string]any{"redirect": true, "url": cb}
		c.Header("Location", cb)
	}
	s.respondSignedIn(c, su, extra)
}

// callbackAllowed checks callbackURL (docs/http-routes.md, "Origin check"): a
// relative path ("/x", not "//x") or an absolute URL of an allowed origin;
// otherwise 403 INVALID_CALLBACKURL, and false.
func (s *Server) callbackAllowed(c *gin.Context, body jsonObject) bool {
	cb, present, ok := body.str("callbackURL")
	if !present {
		return true
	}
	if ok && safeCallback(c.Request, cb, s.origins) {
		return true
	}
	s.authError(c, chatd.Errorf(chatd.EFORBIDDEN, "Invalid callbackURL"))
	return false
}

func safeCallback(r *http.Request, cb string, origins *Origins) bool {
	if strings.HasPrefix(cb, "/") {
		return !strings.HasPrefix(cb, "//") && !strings.HasPrefix(cb, `/\`)
	}
	u, err := url.Parse(cb)
	return err == nil && u.Scheme != "" && u.Host != "" && origins.Allowed(r, u.Scheme+"://"+u.Host)
}
