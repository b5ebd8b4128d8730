package server

import (
	"chatd"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"chatd/auth"
	"chatd/store"
)

// Logins are the login methods beside anonymous sign-in: phone OTP
// (/api/auth/otp/*), biometric (/api/auth/biometric/*), passkeys
// (/api/auth/passkey/*) and social (/api/auth/social/native, the web OAuth
// routes); docs/http-routes.md, "Logins". A nil field
// turns its routes into the unknown-route 404.
type Logins struct {
	OTP       *auth.OTP
	Biometric *auth.Biometric
	Passkeys  *auth.Passkeys
	Social    *auth.Social
	BaseURL   string // BETTER_AUTH_URL: OAuth redirects and the error page URL
}

// nativeSessionLifetime is the lifetime of sessions the native-app logins
// create (POST /api/auth/otp/verify, POST /api/auth/biometric/login, POST
// /api/auth/social/native): the old custom routes' 365 days, since the apps
// keep the token in localStorage.
const nativeSessionLifetime = 365 * 24 * time.Hour

// otpSend is POST /api/auth/otp/send.
func (s *Server) otpSend(c *gin.Context) {
	body, err := readJSONObject(c, jsonBodyLimit)
	if err != nil {
		s.nextError(c, err, "")
		return
	}
	phone, present, ok := body.str("phone")
	if !present || !ok || phone == "" {
		s.nextError(c, chatd.Errorf(chatd.EINVALID, "Numero di telefono mancante"), "")
		return
	}
	clean, err := auth.CleanPhone(phone)
	if err != nil {
		s.nextError(c, auth.ErrPhoneFormat, "")
		return
	}
	err = s.deps.Logins.OTP.Send(c.Request.Context(), clean, s.origins.ClientIP(c.Request))
	var limited *auth.RateLimitError
	switch {
	case errors.As(err, &limited):
		s.nextError(c, &chatd.Error{Code: chatd.ERATELIMIT, Message: limited.Error(), RetryAfter: limited.RetryAfter}, "")
	case errors.Is(err, auth.ErrSMSFailed):
		s.nextError(c, err, auth.ErrSMSFailed.Message)
	case err != nil:
		s.nextError(c, failure("otp send", err), errInternalIT)
	default:
		c.JSON(http.StatusOK, gin.H{"success": true})
	}
}

// otpVerify is POST /api/auth/otp/verify.
func (s *Server) otpVerify(c *gin.Context) {
	body, err := readJSONObject(c, jsonBodyLimit)
	if err != nil {
		s.nextError(c, err, "")
		return
	}
	in, ok := otpVerifyInput(body)
	if !ok {
		s.nextError(c, chatd.Errorf(chatd.EINVALID, "Telefono o codice mancante"), "")
		return
	}
	clean, err := auth.CleanPhone(in.Phone)
	if err != nil { // no code was ever sent to a malformed number
		s.nextError(c, auth.ErrOTPInvalid, "")
		return
	}
	in.Phone = clean
	res, err := s.deps.Logins.OTP.Verify(c.Request.Context(), in)
	switch {
	case err != nil: // auth.ErrOTPNoAccount carries its code, USER_NOT_FOUND
		s.nextError(c, err, errInternalIT)
		return
	case res.NeedsAlias:
		c.JSON(http.StatusOK, gin.H{"success": false, "isNewUser": true, "message": "Alias richiesto per nuovi utenti"})
		return
	}
	sess, ok := s.nativeSession(c, res.User.ID, errInternalIT)
	if !ok {
		return
	}
	c.JSON(http.StatusOK, gin.H{"success": true, "user": json.RawMessage(auth.UserJSON(res.User)), "sessionToken": sess.Token})
}

// otpVerifyInput reads POST /api/auth/otp/verify's body; code may be a string or a number.
func otpVerifyInput(body jsonObject) (auth.OTPVerifyInput, bool) {
	var in auth.OTPVerifyInput
	phone, _, ok := body.str("phone")
	code := jsonScalar(body["code"])
	if !ok || phone == "" || code == "" {
		return in, false
	}
	in.Phone, in.Code = phone, code
	in.Alias, _, _ = body.str("alias")
	in.Gender, _, _ = body.str("gender")
	in.RequireExisting = jsTruthy(body["requireExisting"])
	return in, true
}

// jsonScalar is a JSON string's value or a number's literal text; "" for
// anything else.
func jsonScalar(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

// jsTruthy is JavaScript truthiness for a JSON value (requireExisting).
func jsTruthy(raw json.RawMessage) bool {
	switch v := strings.TrimSpace(string(raw)); v {
	case "", "null", "false", `""`:
		return false
	}
	var f float64
	if json.Unmarshal(raw, &f) == nil {
		return f != 0
	}
	return true
}

// nativeSession creates a 365-day session for a native-app login and sets
// its cookie. On failure it answers 500 {"error": internal}.
func (s *Server) nativeSession(c *gin.Context, userID, internal string) (store.Session, bool) {
	sess, err := s.deps.Sessions.Create(c.Request.Context(), userID, nativeSessionLifetime,
		s.origins.ClientIP(c.Request), c.Request.UserAgent())
	if err != nil {
		s.nextError(c, failure("create session", err), internal)
		return store.Session{}, false
	}
	s.setSessionCookie(c, sess, nativeSessionLifetime)
	return sess, true
}
