package server

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"chatd/auth"
	"chatd/store"
)

// Logins are the login methods beside anonymous sign-in: phone OTP (B1/B2),
// biometric (B3/B4), passkeys (C12–C18) and social (B8, C5–C7). A nil field
// turns its routes into the unknown-route 404.
type Logins struct {
	OTP       *auth.OTP
	Biometric *auth.Biometric
	Passkeys  *auth.Passkeys
	Social    *auth.Social
	BaseURL   string // BETTER_AUTH_URL: OAuth redirects and the error page URL
}

// nativeSessionLifetime is the lifetime of sessions the native-app logins
// create (B2, B4, B8): the old custom routes' 365 days, since the apps keep
// the token in localStorage.
const nativeSessionLifetime = 365 * 24 * time.Hour

// otpSend is B1 POST /api/auth/otp/send.
func (s *Server) otpSend(c *gin.Context) {
	body, err := readJSONObject(c, jsonBodyLimit)
	if err != nil {
		s.bodyErrorNext(c, err)
		return
	}
	phone, present, ok := body.str("phone")
	if !present || !ok || phone == "" {
		c.AbortWithStatusJSON(http.StatusBadRequest, gin.H{"error": "Numero di telefono mancante"})
		return
	}
	clean, err := auth.CleanPhone(phone)
	if err != nil {
		c.AbortWithStatusJSON(http.StatusBadRequest, gin.H{"error": auth.ErrPhoneFormat.Message})
		return
	}
	err = s.deps.Logins.OTP.Send(c.Request.Context(), clean, s.origins.ClientIP(c.Request))
	var limited *auth.RateLimitError
	switch {
	case errors.As(err, &limited):
		c.Header("Retry-After", strconv.Itoa(limited.RetryAfter))
		c.AbortWithStatusJSON(http.StatusTooManyRequests, gin.H{"error": limited.Error(), "retryAfter": limited.RetryAfter})
	case errors.Is(err, auth.ErrSMSFailed):
		c.AbortWithStatusJSON(http.StatusInternalServerError, gin.H{"error": "Errore nell'invio dell'SMS"})
	case err != nil:
		s.log.ErrorContext(c.Request.Context(), "otp send failed", "error", err)
		c.AbortWithStatusJSON(http.StatusInternalServerError, gin.H{"error": "Errore interno del server"})
	default:
		c.JSON(http.StatusOK, gin.H{"success": true})
	}
}

// otpVerify is B2 POST /api/auth/otp/verify.
func (s *Server) otpVerify(c *gin.Context) {
	body, err := readJSONObject(c, jsonBodyLimit)
	if err != nil {
		s.bodyErrorNext(c, err)
		return
	}
	in, ok := otpVerifyInput(body)
	if !ok {
		c.AbortWithStatusJSON(http.StatusBadRequest, gin.H{"error": "Telefono o codice mancante"})
		return
	}
	clean, err := auth.CleanPhone(in.Phone)
	if err != nil { // no code was ever sent to a malformed number
		c.AbortWithStatusJSON(http.StatusBadRequest, gin.H{"error": auth.ErrOTPInvalid.Message})
		return
	}
	in.Phone = clean
	res, err := s.deps.Logins.OTP.Verify(c.Request.Context(), in)
	switch {
	case errors.Is(err, auth.ErrOTPNoAccount):
		c.AbortWithStatusJSON(http.StatusNotFound, gin.H{"error": auth.ErrOTPNoAccount.Message, "code": "USER_NOT_FOUND"})
		return
	case err != nil:
		s.failNext(c, err, "Errore interno del server")
		return
	case res.NeedsAlias:
		c.JSON(http.StatusOK, gin.H{"success": false, "isNewUser": true, "message": "Alias richiesto per nuovi utenti"})
		return
	}
	sess, ok := s.nativeSession(c, res.User.ID, "Errore interno del server")
	if !ok {
		return
	}
	c.JSON(http.StatusOK, gin.H{"success": true, "user": json.RawMessage(auth.UserJSON(res.User)), "sessionToken": sess.Token})
}

// otpVerifyInput reads B2's body; code may be a string or a number.
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
		s.log.ErrorContext(c.Request.Context(), "create session failed", "error", err)
		c.AbortWithStatusJSON(http.StatusInternalServerError, gin.H{"error": internal})
		return store.Session{}, false
	}
	s.setSessionCookie(c, sess, nativeSessionLifetime)
	return sess, true
}

// loginRoutes registers the login methods of Logins. Every path is always
// routed (so a wrong method is still a 405 on the Next routes); a method
// left nil answers the unknown-route 404.
func (s *Server) loginRoutes(api *gin.RouterGroup) {
	l := s.deps.Logins
	ba := api.Group("/auth")
	// Anyone: the native-app logins (Next.js custom routes, Next error style).
	otp := ba.Group("", s.loginEnabled(l.OTP != nil), s.checkOrigin(false))
	otp.POST("/otp/send", s.otpSend)
	otp.POST("/otp/verify", s.otpVerify)
	bio := ba.Group("", s.loginEnabled(l.Biometric != nil), s.checkOrigin(false))
	bio.POST("/biometric/setup", s.biometricSetup)
	bio.POST("/biometric/login", s.biometricLogin)
	social := ba.Group("", s.loginEnabled(l.Social != nil))
	social.POST("/social/native", s.checkOrigin(false), s.socialNative)
	// BetterAuth's web flow: origin-checked, rate-limited like every /sign-in/*.
	social.POST("/sign-in/social", s.baOriginCheck(), s.authRateLimit(), s.socialSignIn)
	social.GET("/callback/:provider", s.socialCallback)
	social.POST("/callback/:provider", s.socialCallbackPost) // Apple's cross-site form_post: exempt (§6)
	pk := ba.Group("/passkey", s.loginEnabled(l.Passkeys != nil))
	pk.GET("/generate-register-options", s.passkeyRegisterOptions)
	pk.GET("/generate-authenticate-options", s.passkeyAuthenticateOptions)
	pk.GET("/list-user-passkeys", s.passkeyList)
	post := pk.Group("", s.baOriginCheck())
	post.POST("/verify-registration", s.passkeyVerifyRegistration)
	post.POST("/verify-authentication", s.passkeyVerifyAuthentication)
	post.POST("/delete-passkey", s.passkeyDelete)
	post.POST("/update-passkey", s.passkeyUpdate)
}

// loginEnabled answers 404 for a login method chatd was built without.
func (s *Server) loginEnabled(enabled bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		if !enabled {
			s.notFound(c)
		}
	}
}
