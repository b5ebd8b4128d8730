package server

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"chatd"
	"chatd/auth"
)

// Passkey endpoints (docs/http-routes.md, "Passkeys"; @better-auth/passkey 1.4.18). The relying
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

// freshSession is 1.4.18's freshSessionMiddleware, behind requireSession:
// the session must have been created or refreshed within a day (403).
func (s *Server) freshSession(c *gin.Context) {
	if s.now().Sub(sessionOf(c).Session.UpdatedAt) >= passkeyFreshWindow {
		s.authError(c, errSessionNotFresh)
	}
}

var errSessionNotFresh = &chatd.Error{Code: chatd.EFORBIDDEN, Message: "Session is not fresh", Reason: "SESSION_NOT_FRESH"}

// passkeyRegisterOptions is GET /api/auth/passkey/generate-register-options.
func (s *Server) passkeyRegisterOptions(c *gin.Context) {
	su := sessionOf(c)
	if a := c.Query("authenticatorAttachment"); a != "" && a != "platform" && a != "cross-platform" {
		s.authError(c, baInvalid(`[query.authenticatorAttachment] Invalid option: expected one of "platform"|"cross-platform"`))
		return
	}
	opts, token, err := s.deps.Logins.Passkeys.RegistrationOptions(c.Request.Context(), s.passkeyRP(c, true), su.User,
		limitString(c.Query("name"), 256), c.Query("authenticatorAttachment"))
	if err != nil {
		s.authError(c, failure("passkey registration options failed", err))
		return
	}
	s.setSignedCookie(c, s.deps.Sessions.CookieName(passkeyCookieKey), token, passkeyCookieAge)
	c.JSON(http.StatusOK, opts)
}

// passkeyVerifyRegistration is POST /api/auth/passkey/verify-registration.
func (s *Server) passkeyVerifyRegistration(c *gin.Context) {
	su := sessionOf(c)
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
		s.authError(c, auth.ErrPasskeyChallenge)
		return
	}
	pk, err := s.deps.Logins.Passkeys.VerifyRegistration(c.Request.Context(), in)
	if err != nil {
		s.authError(c, err)
		return
	}
	c.JSON(http.StatusOK, pk)
}

// passkeyAuthenticateOptions is GET /api/auth/passkey/generate-authenticate-options.
func (s *Server) passkeyAuthenticateOptions(c *gin.Context) {
	su, _, err := s.sessionFrom(c)
	if err != nil {
		s.authError(c, failure("passkey session lookup failed", err))
		return
	}
	opts, token, err := s.deps.Logins.Passkeys.AuthenticationOptions(c.Request.Context(), s.passkeyRP(c, true), su.User.ID)
	if err != nil {
		s.authError(c, failure("passkey authentication options failed", err))
		return
	}
	s.setSignedCookie(c, s.deps.Sessions.CookieName(passkeyCookieKey), token, passkeyCookieAge)
	c.JSON(http.StatusOK, opts)
}

// passkeyVerifyAuthentication is POST /api/auth/passkey/verify-authentication:
// a passkey login, ending in a SESSION_EXPIRES_IN session.
func (s *Server) passkeyVerifyAuthentication(c *gin.Context) {
	body, ok := s.readBABody(c, false)
	if !ok {
		return
	}
	if !isJSONObject(body["response"]) {
		s.authError(c, baValidation("body.response", "record", body["response"]))
		return
	}
	in := auth.AuthenticationInput{RP: s.passkeyRP(c, false), Response: body["response"],
		ChallengeToken: s.signedCookie(c.Request, s.deps.Sessions.CookieName(passkeyCookieKey))}
	userID, err := s.deps.Logins.Passkeys.VerifyAuthentication(c.Request.Context(), in)
	if err != nil {
		s.authError(c, err)
		return
	}
	lifetime := s.deps.Sessions.Config().ExpiresIn
	sess, err := s.deps.Sessions.Create(c.Request.Context(), userID, lifetime, s.origins.ClientIP(c.Request), c.Request.UserAgent())
	if err != nil {
		s.authError(c, &chatd.Error{Code: chatd.EINTERNAL, Message: "Unable to create session", Reason: "UNABLE_TO_CREATE_SESSION"})
		return
	}
	s.setSessionCookie(c, sess, lifetime)
	c.JSON(http.StatusOK, gin.H{"session": json.RawMessage(auth.SessionJSON(sess))})
}

// passkeyList is GET /api/auth/passkey/list-user-passkeys.
func (s *Server) passkeyList(c *gin.Context) {
	su := sessionOf(c)
	list, err := s.deps.Logins.Passkeys.List(c.Request.Context(), su.User.ID)
	if err != nil {
		s.authError(c, failure("list passkeys failed", err))
		return
	}
	c.JSON(http.StatusOK, list)
}

// passkeyDelete is POST /api/auth/passkey/delete-passkey.
func (s *Server) passkeyDelete(c *gin.Context) {
	su := sessionOf(c)
	body, ok := s.readBABody(c, false)
	if !ok {
		return
	}
	id, present, ok := body.str("id")
	if !present || !ok {
		s.authError(c, baValidation("body.id", "string", body["id"]))
		return
	}
	if err := s.deps.Logins.Passkeys.Delete(c.Request.Context(), su.User.ID, id); err != nil {
		s.authError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": true})
}

// passkeyUpdate is POST /api/auth/passkey/update-passkey (rename).
func (s *Server) passkeyUpdate(c *gin.Context) {
	su := sessionOf(c)
	body, ok := s.readBABody(c, false)
	if !ok {
		return
	}
	id, idPresent, idOK := body.str("id")
	name, namePresent, nameOK := body.str("name")
	switch {
	case !idPresent || !idOK:
		s.authError(c, baValidation("body.id", "string", body["id"]))
		return
	case !namePresent || !nameOK:
		s.authError(c, baValidation("body.name", "string", body["name"]))
		return
	case len(name) > 256:
		s.authError(c, baInvalid("[body.name] Too big: expected string to have <=256 characters"))
		return
	}
	pk, err := s.deps.Logins.Passkeys.Rename(c.Request.Context(), su.User.ID, id, name)
	if err != nil {
		s.authError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"passkey": pk})
}

// baValidation is better-call's 400 for a body field zod refused, with
// zod 4's message: "[body.id] Invalid input: expected string, received undefined".
func baValidation(path, expected string, raw json.RawMessage) error {
	return baInvalid("[" + path + "] Invalid input: expected " + expected + ", received " + jsonTypeName(raw))
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
