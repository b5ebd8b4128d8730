package server

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"chatd"
	"chatd/auth"
	"chatd/store"
)

// Passkey endpoints C12–C18 (@better-auth/passkey 1.4.18). The relying
// party is the request's Origin: its hostname is the RP id (localhost for
// capacitor://localhost, the IP on a LAN), the Origin itself the expected
// WebAuthn origin.

const (
	passkeyCookieKey   = "better-auth-passkey"
	passkeyCookieAge   = 300
	passkeyFreshWindow = 24 * time.Hour // 1.4.18's freshAge for registration
)

// passkeyRP derives the relying party. The options endpoints fall back to
// the request's own origin when no Origin header came; the verify endpoints
// need the header, as BetterAuth does (Origin "" then).
func (s *Server) passkeyRP(c *gin.Context, fallback bool) auth.RelyingParty {
	origin := c.GetHeader("Origin")
	if origin == "null" {
		origin = ""
	}
	base := origin
	if base == "" && fallback {
		base = s.origins.OwnOrigin(c.Request)
	}
	u, err := url.Parse(base)
	if err != nil {
		return auth.RelyingParty{Origin: origin}
	}
	return auth.RelyingParty{ID: u.Hostname(), Origin: origin}
}

// passkeySession is the caller's session, answering 401 (an empty body, as
// 1.4.18's session middleware) when there is none. fresh additionally
// requires a session created or refreshed within a day (403 otherwise).
func (s *Server) passkeySession(c *gin.Context, fresh bool) (store.SessionUser, bool) {
	su, ok, err := s.sessionFrom(c)
	if err != nil {
		s.baInternal(c, "passkey session lookup failed", err)
		return su, false
	}
	if !ok {
		baUnauthorized(c)
		return su, false
	}
	if fresh && s.now().Sub(su.Session.UpdatedAt) >= passkeyFreshWindow {
		baError(c, http.StatusForbidden, "SESSION_NOT_FRESH", "Session is not fresh")
		return su, false
	}
	return su, true
}

// passkeyRegisterOptions is C12 GET /api/auth/passkey/generate-register-options.
func (s *Server) passkeyRegisterOptions(c *gin.Context) {
	su, ok := s.passkeySession(c, true)
	if !ok {
		return
	}
	if a := c.Query("authenticatorAttachment"); a != "" && a != "platform" && a != "cross-platform" {
		baError(c, http.StatusBadRequest, "VALIDATION_ERROR",
			`[query.authenticatorAttachment] Invalid option: expected one of "platform"|"cross-platform"`)
		return
	}
	opts, token, err := s.deps.Logins.Passkeys.RegistrationOptions(c.Request.Context(), s.passkeyRP(c, true), su.User,
		limitString(c.Query("name"), 256), c.Query("authenticatorAttachment"))
	if err != nil {
		s.baInternal(c, "passkey registration options failed", err)
		return
	}
	s.setSignedCookie(c, s.deps.Sessions.CookieName(passkeyCookieKey), token, passkeyCookieAge)
	c.JSON(http.StatusOK, opts)
}

// passkeyVerifyRegistration is C13 POST /api/auth/passkey/verify-registration.
func (s *Server) passkeyVerifyRegistration(c *gin.Context) {
	su, ok := s.passkeySession(c, true)
	if !ok {
		return
	}
	body, ok := s.readBABody(c, false)
	if !ok {
		return
	}
	in := auth.RegistrationInput{RP: s.passkeyRP(c, false), UserID: su.User.ID, Response: body["response"],
		ChallengeToken: s.signedCookie(c.Request, s.deps.Sessions.CookieName(passkeyCookieKey))}
	if name, present, ok := body.str("name"); present && ok {
		in.Name = &name
	}
	if in.RP.Origin != "" && in.ChallengeToken == "" {
		s.passkeyError(c, auth.ErrPasskeyChallenge)
		return
	}
	pk, err := s.deps.Logins.Passkeys.VerifyRegistration(c.Request.Context(), in)
	if err != nil {
		s.passkeyError(c, err)
		return
	}
	c.JSON(http.StatusOK, pk)
}

// passkeyAuthenticateOptions is C14 GET /api/auth/passkey/generate-authenticate-options.
func (s *Server) passkeyAuthenticateOptions(c *gin.Context) {
	su, _, err := s.sessionFrom(c)
	if err != nil {
		s.baInternal(c, "passkey session lookup failed", err)
		return
	}
	opts, token, err := s.deps.Logins.Passkeys.AuthenticationOptions(c.Request.Context(), s.passkeyRP(c, true), su.User.ID)
	if err != nil {
		s.baInternal(c, "passkey authentication options failed", err)
		return
	}
	s.setSignedCookie(c, s.deps.Sessions.CookieName(passkeyCookieKey), token, passkeyCookieAge)
	c.JSON(http.StatusOK, opts)
}

// passkeyVerifyAuthentication is C15 POST /api/auth/passkey/verify-authentication:
// a passkey login, ending in a SESSION_EXPIRES_IN session.
func (s *Server) passkeyVerifyAuthentication(c *gin.Context) {
	body, ok := s.readBABody(c, false)
	if !ok {
		return
	}
	if !isJSONObject(body["response"]) {
		baValidation(c, "body.response", "record", body["response"])
		return
	}
	in := auth.AuthenticationInput{RP: s.passkeyRP(c, false), Response: body["response"],
		ChallengeToken: s.signedCookie(c.Request, s.deps.Sessions.CookieName(passkeyCookieKey))}
	userID, err := s.deps.Logins.Passkeys.VerifyAuthentication(c.Request.Context(), in)
	if err != nil {
		s.passkeyError(c, err)
		return
	}
	lifetime := s.deps.Sessions.Config().ExpiresIn
	sess, err := s.deps.Sessions.Create(c.Request.Context(), userID, lifetime, s.origins.ClientIP(c.Request), c.Request.UserAgent())
	if err != nil {
		baError(c, http.StatusInternalServerError, "UNABLE_TO_CREATE_SESSION", "Unable to create session")
		return
	}
	s.setSessionCookie(c, sess, lifetime)
	c.JSON(http.StatusOK, gin.H{"session": json.RawMessage(auth.SessionJSON(sess))})
}

// passkeyList is C16 GET /api/auth/passkey/list-user-passkeys.
func (s *Server) passkeyList(c *gin.Context) {
	su, ok := s.passkeySession(c, false)
	if !ok {
		return
	}
	list, err := s.deps.Logins.Passkeys.List(c.Request.Context(), su.User.ID)
	if err != nil {
		s.baInternal(c, "list passkeys failed", err)
		return
	}
	c.JSON(http.StatusOK, list)
}

// passkeyDelete is C17 POST /api/auth/passkey/delete-passkey.
func (s *Server) passkeyDelete(c *gin.Context) {
	su, ok := s.passkeySession(c, false)
	if !ok {
		return
	}
	body, ok := s.readBABody(c, false)
	if !ok {
		return
	}
	id, present, ok := body.str("id")
	if !present || !ok {
		baValidation(c, "body.id", "string", body["id"])
		return
	}
	if err := s.deps.Logins.Passkeys.Delete(c.Request.Context(), su.User.ID, id); err != nil {
		s.passkeyError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": true})
}

// passkeyUpdate is C18 POST /api/auth/passkey/update-passkey (rename).
func (s *Server) passkeyUpdate(c *gin.Context) {
	su, ok := s.passkeySession(c, false)
	if !ok {
		return
	}
	body, ok := s.readBABody(c, false)
	if !ok {
		return
	}
	id, idPresent, idOK := body.str("id")
	name, namePresent, nameOK := body.str("name")
	switch {
	case !idPresent || !idOK:
		baValidation(c, "body.id", "string", body["id"])
		return
	case !namePresent || !nameOK:
		baValidation(c, "body.name", "string", body["name"])
		return
	case len(name) > 256:
		baError(c, http.StatusBadRequest, "VALIDATION_ERROR", "[body.name] Too big: expected string to have <=256 characters")
		return
	}
	pk, err := s.deps.Logins.Passkeys.Rename(c.Request.Context(), su.User.ID, id, name)
	if err != nil {
		s.passkeyError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"passkey": pk})
}

// passkeyError answers in 1.4.18's shapes: {"code","message"} with the
// code derived from the message, an empty 401, or the bare body null.
func (s *Server) passkeyError(c *gin.Context, err error) {
	var e *chatd.Error
	switch {
	case errors.Is(err, auth.ErrPasskeyNull):
		c.Data(http.StatusBadRequest, "application/json", []byte("null"))
		c.Abort()
	case errors.Is(err, auth.ErrPasskeyNotOwner):
		baUnauthorized(c)
	case errors.Is(err, auth.ErrPasskeyRegistration):
		baError(c, http.StatusInternalServerError, "FAILED_TO_VERIFY_REGISTRATION", auth.ErrPasskeyRegistration.Message)
	case errors.As(err, &e) && e.Code != chatd.EINTERNAL:
		baError(c, statusOf[e.Code], passkeyCode(e.Message), e.Message)
	default:
		s.baInternal(c, "passkey request failed", err)
	}
}

var nonCodeChars = regexp.MustCompile(`[^A-Z0-9_]`)

// passkeyCode is better-call 1.1.8's code derived from a message.
func passkeyCode(message string) string {
	return nonCodeChars.ReplaceAllString(strings.ReplaceAll(strings.ToUpper(message), " ", "_"), "")
}

// baValidation is better-call's 400 for a body field zod refused, with
// zod 4's message: "[body.id] Invalid input: expected string, received undefined".
func baValidation(c *gin.Context, path, expected string, raw json.RawMessage) {
	baError(c, http.StatusBadRequest, "VALIDATION_ERROR",
		"["+path+"] Invalid input: expected "+expected+", received "+jsonTypeName(raw))
}

// jsonTypeName names a JSON value's type the way zod reports what it got.
func jsonTypeName(raw json.RawMessage) string {
	v := strings.TrimSpace(string(raw))
	switch {
	case v == "":
		return "undefined"
	case v == "null":
		return "null"
	case v == "true" || v == "false":
		return "boolean"
	case v[0] == '"':
		return "string"
	case v[0] == '[':
		return "array"
	case v[0] == '{':
		return "object"
	}
	return "number"
}

func isJSONObject(raw json.RawMessage) bool {
	var obj map[string]json.RawMessage
	return json.Unmarshal(raw, &obj) == nil && obj != nil
}

func limitString(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
