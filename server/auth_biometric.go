package server

import (
	"chatd"
	"database/sql"
	"errors"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"chatd/auth"
	"chatd/store"
)

// maxDeviceID bounds POST /api/auth/biometric/setup's deviceId; the app sends a short constant.
const maxDeviceID = 256

// biometricSetup is POST /api/auth/biometric/setup: the session comes
// from Bearer, the cookies, or the body's sessionToken, in that order.
func (s *Server) biometricSetup(c *gin.Context) {
	body, err := readJSONObject(c, jsonBodyLimit)
	if err != nil {
		s.nextError(c, err, "")
		return
	}
	candidates := sessionCandidates(c.Request)
	if tok, _, ok := body.str("sessionToken"); ok && tok != "" {
		candidates = append(candidates, tok)
	}
	su, err := s.deps.Resolver.Resolve(c.Request.Context(), candidates...)
	if errors.Is(err, auth.ErrNoSession) {
		s.nextError(c, errUnauthorized, "")
		return
	} else if err != nil {
		s.nextError(c, err, "Setup failed")
		return
	}
	deviceID, _, ok := body.str("deviceId")
	if !ok || deviceID == "" || len(deviceID) > maxDeviceID {
		s.nextError(c, chatd.Errorf(chatd.EINVALID, "Device ID required"), "")
		return
	}
	token, err := s.deps.Logins.Biometric.Setup(c.Request.Context(), su.User.ID, deviceID)
	if err != nil {
		s.nextError(c, err, "Setup failed")
		return
	}
	c.JSON(http.StatusOK, gin.H{"success": true, "token": token})
}

// biometricLogin is POST /api/auth/biometric/login. It answers 401 only
// for a bad credential: the app deletes its stored credential on a 401.
func (s *Server) biometricLogin(c *gin.Context) {
	body, err := readJSONObject(c, jsonBodyLimit)
	if err != nil {
		s.nextError(c, err, "")
		return
	}
	token, _, _ := body.str("token")
	identifier, _, _ := body.str("identifier")
	if identifier == "" {
		identifier, _, _ = body.str("phoneNumber")
	}
	deviceID, _, _ := body.str("deviceId")
	user, err := s.deps.Logins.Biometric.Login(c.Request.Context(), token, identifier, deviceID, s.origins.ClientIP(c.Request))
	var limited *auth.RateLimitError
	if errors.As(err, &limited) {
		c.Header("Retry-After", strconv.Itoa(limited.RetryAfter)) // the header only: the body never had retryAfter
		s.nextError(c, chatd.Errorf(chatd.ERATELIMIT, "Troppi tentativi. Riprova più tardi."), "")
		return
	} else if err != nil {
		s.nextError(c, err, "Login failed")
		return
	}
	sess, ok := s.nativeSession(c, user.ID, "Login failed")
	if !ok {
		return
	}
	c.JSON(http.StatusOK, gin.H{"success": true, "user": nativeUserJSON(user, true), "sessionToken": sess.Token})
}

// nativeUserJSON is the reduced user POST /api/auth/biometric/login and POST
// /api/auth/social/native return: alias = name. withPhone adds phoneNumber
// (POST /api/auth/biometric/login has it, POST /api/auth/social/native does
// not).
func nativeUserJSON(u store.User, withPhone bool) gin.H {
	out := gin.H{"id": u.ID, "name": nullable(u.Name), "alias": nullable(u.Name), "email": nullable(u.Email),
		"image": nullable(u.Image), "gender": nullable(u.Gender)}
	if withPhone {
		out["phoneNumber"] = nullable(u.PhoneNumber)
	}
	return out
}

// nullable is a NULL column as JSON null.
func nullable(s sql.NullString) any {
	if !s.Valid {
		return nil
	}
	return s.String
}
