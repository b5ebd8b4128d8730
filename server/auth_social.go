package server

import (
	"chatd"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"chatd/auth"
)

// socialNative is POST /api/auth/social/native: a Google or Apple ID
// token from the native SDK, verified against the provider's keys.
func (s *Server) socialNative(c *gin.Context) {
	body, err := readJSONObject(c, jsonBodyLimit)
	if err != nil {
		s.nextError(c, err, "")
		return
	}
	provider, _, _ := body.str("provider")
	idToken, _, _ := body.str("idToken")
	if provider == "" || idToken == "" {
		s.nextError(c, chatd.Errorf(chatd.EINVALID, "Missing provider or idToken"), "")
		return
	}
	if provider != auth.Google && provider != auth.Apple {
		s.nextError(c, chatd.Errorf(chatd.EINVALID, "Unsupported provider"), "")
		return
	}
	in := auth.NativeInput{Provider: provider, IDToken: idToken, RequireExisting: jsTruthy(body["requireExisting"])}
	if profile, err := objectField(body, "profile"); err == nil {
		in.ProfileName, _, _ = profile.str("name")
	}
	res, err := s.deps.Logins.Social.NativeLogin(c.Request.Context(), in)
	if err != nil {
		s.nextError(c, err, "Login failed")
		return
	}
	sess, ok := s.nativeSession(c, res.User.ID, "Login failed")
	if !ok {
		return
	}
	c.JSON(http.StatusOK, gin.H{"success": true, "isNewUser": res.IsNew, "user": nativeUserJSON(res.User, false),
		"sessionToken": sess.Token})
}

// objectField reads a nested JSON object; absent or another type is an error.
func objectField(body jsonObject, key string) (jsonObject, error) {
	var obj jsonObject
	if !body.has(key) {
		return nil, errors.New("absent")
	}
	if err := jsonUnmarshalObject(body[key], &obj); err != nil {
		return nil, err
	}
	return obj, nil
}

// socialSignIn is POST /api/auth/sign-in/social: the web redirect flow.
func (s *Server) socialSignIn(c *gin.Context) {
	body, ok := s.readBABody(c, false)
	if !ok {
		return
	}
	in := auth.SignInInput{}
	for _, f := range []struct {
		key  string
		dst  *string
		name string
	}{{"callbackURL", &in.CallbackURL, "callbackURL"}, {"errorCallbackURL", &in.ErrorURL, "errorCallbackURL"},
		{"newUserCallbackURL", &in.NewUserURL, "newUserCallbackURL"}} {
		v, _, _ := body.str(f.key)
		if v != "" && !s.safeCallbackURL(c.Request, v) {
			s.authError(c, chatd.Errorf(chatd.EFORBIDDEN, "Invalid %s", f.name))
			return
		}
		*f.dst = v
	}
	in.Provider, _, _ = body.str("provider")
	in.OwnOrigin = s.origins.OwnOrigin(c.Request)
	in.RequestSignUp = jsTruthy(body["requestSignUp"])
	if body.has("idToken") {
		s.authError(c, chatd.Errorf(chatd.ENOTFOUND, "id_token not supported"))
		return
	}
	authURL, state, err := s.deps.Logins.Social.SignIn(c.Request.Context(), in)
	if errors.Is(err, auth.ErrProviderNotFound) {
		s.authError(c, err)
		return
	} else if err != nil {
		s.authError(c, failure("social sign-in failed", err))
		return
	}
	s.setSignedCookie(c, s.deps.Sessions.CookieName("state"), state, 300)
	redirect := !jsTruthy(body["disableRedirect"])
	if redirect {
		c.Header("Location", authURL)
	}
	c.JSON(http.StatusOK, gin.H{"url": authURL, "redirect": redirect})
}

// safeCallbackURL is the callback URL rule (docs/http-routes.md, "Origin
// check"): a relative path (not "//…") or an absolute
// URL whose origin is allowed or the request's own.
func (s *Server) safeCallbackURL(r *http.Request, v string) bool {
	if strings.HasPrefix(v, "/") {
		return !strings.HasPrefix(v, "//") && !strings.HasPrefix(v, `/\`)
	}
	u, err := url.Parse(v)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return false
	}
	return s.origins.Allowed(r, u.Scheme+"://"+u.Host)
}

// setSignedCookie sets a BetterAuth-signed cookie with its default
// attributes (the OAuth state and the passkey challenge).
func (s *Server) setSignedCookie(c *gin.Context, name, value string, maxAgeSeconds int) {
	s.addSetCookies(c, s.cookies(c.Request).SignedCookie(name, value, time.Duration(maxAgeSeconds)*time.Second))
}

// signedCookie is the verified value of a signed cookie, "" when absent or
// badly signed.
func (s *Server) signedCookie(r *http.Request, name string) string {
	v, ok := s.deps.Sessions.Signer().Unsign(auth.RequestCookie(r, name))
	if !ok {
		return ""
	}
	return v
}

// callbackFields are the OAuth parameters POST /api/auth/callback/:provider
// forwards to GET /api/auth/callback/:provider.
var callbackFields = []string{"code", "state", "error", "error_description", "device_id", "user"}

// socialCallbackPost is POST /api/auth/callback/:provider: Apple's form_post,
// redirected to GET /api/auth/callback/:provider as a GET.
func (s *Server) socialCallbackPost(c *gin.Context) {
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, jsonBodyLimit)
	_ = c.Request.ParseForm() // a malformed body forwards nothing; GET /api/auth/callback/:provider then reports it
	q := url.Values{}
	for _, k := range callbackFields {
		if v := c.Request.Form.Get(k); v != "" {
			q.Set(k, v)
		}
	}
	c.Redirect(http.StatusFound, s.authBaseURL()+"/api/auth/callback/"+url.PathEscape(c.Param("provider"))+"?"+q.Encode())
}

// socialCallback is GET /api/auth/callback/:provider.
func (s *Server) socialCallback(c *gin.Context) {
	provider := c.Param("provider")
	if !s.deps.Logins.Social.Configured(provider) {
		c.Redirect(http.StatusFound, s.authBaseURL()+"/api/auth/error?error=oauth_provider_not_found")
		return
	}
	q := c.Request.URL.Query()
	in := auth.CallbackInput{Provider: provider, Code: q.Get("code"), State: q.Get("state"), Error: q.Get("error"),
		ErrorDescription: q.Get("error_description"), User: q.Get("user"),
		CookieState: s.signedCookie(c.Request, s.deps.Sessions.CookieName("state")), OwnOrigin: s.origins.OwnOrigin(c.Request)}
	previous, hadSession, _ := s.sessionFrom(c)
	res, err := s.deps.Logins.Social.Callback(c.Request.Context(), in)
	var failed *auth.CallbackError
	if errors.As(err, &failed) {
		c.Redirect(http.StatusFound, failed.Redirect())
		return
	} else if err != nil {
		s.log.ErrorContext(c.Request.Context(), "oauth callback failed", "error", err)
		c.Redirect(http.StatusFound, s.authBaseURL()+"/api/auth/error?error=internal_server_error")
		return
	}
	lifetime := s.deps.Sessions.Config().ExpiresIn
	sess, err := s.deps.Sessions.Create(c.Request.Context(), res.User.ID, lifetime, s.origins.ClientIP(c.Request), c.Request.UserAgent())
	if err != nil {
		s.log.ErrorContext(c.Request.Context(), "oauth session failed", "error", err)
		c.Redirect(http.StatusFound, s.authBaseURL()+"/api/auth/error?error=unable_to_create_session")
		return
	}
	s.setSessionCookie(c, sess, lifetime)
	s.setSignedCookie(c, s.deps.Sessions.CookieName("state"), "", 0)
	// The anonymous hand-over: a guest who signs in with a provider leaves
	// the guest account behind, and BetterAuth deletes it.
	if hadSession && previous.User.IsAnonymous && previous.User.ID != res.User.ID {
		if err := s.deps.Store.DeleteUser(c.Request.Context(), previous.User.ID); err != nil {
			s.log.WarnContext(c.Request.Context(), "delete anonymous user after social login", "error", err)
		}
	}
	c.Redirect(http.StatusFound, res.Redirect)
}

// authBaseURL is BETTER_AUTH_URL (without a trailing slash), or "" for
// same-origin relative redirects when it is unset.
func (s *Server) authBaseURL() string { return strings.TrimRight(s.deps.Logins.BaseURL, "/") }

func jsonUnmarshalObject(raw []byte, dst *jsonObject) error {
	if err := json.Unmarshal(raw, dst); err != nil || *dst == nil {
		return errors.New("not an object")
	}
	return nil
}
