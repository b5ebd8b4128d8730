package server

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"

	"chatd"
	"chatd/auth"
)

// TestErrorWriters pins each style's exact answer for the errors every
// route shares: the writers replaced hand-written bodies, and the apps
// read these bytes.
func TestErrorWriters(t *testing.T) {
	s := &Server{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	nest := s.nestError
	next := func(c *gin.Context, err error) { s.nextError(c, err, "Failed to update tenant") }
	ba := s.authError
	tests := []struct {
		name        string
		write       func(*gin.Context, error)
		err         error
		status      int
		contentType string
		body        string
	}{
		{"nest invalid body", nest, errBodyJSON, 400, "application/json; charset=utf-8", `{"error":"Bad Request","message":"Invalid JSON body","statusCode":400}`},
		{"nest body too large", nest, errBodyTooLarge, 413, "application/json; charset=utf-8", `{"error":"Payload Too Large","message":"request entity too large","statusCode":413}`},
		{"nest unauthorized", nest, errUnauthorized, 401, "application/json; charset=utf-8", `{"message":"Unauthorized","statusCode":401}`},
		{"nest invalid token", nest, errInvalidToken, 401, "application/json; charset=utf-8", `{"error":"Unauthorized","message":"Invalid token","statusCode":401}`},
		{"nest another user's session", nest, chatd.ErrNotActingUser, 403, "application/json; charset=utf-8", `{"error":"Forbidden","message":"Forbidden","statusCode":403}`},
		{"nest uri too long", nest, errURITooLong, 414, "application/json; charset=utf-8", `{"message":"URI Too Long","statusCode":414}`},
		{"nest internal", nest, errors.New("db down"), 500, "application/json; charset=utf-8", `{"message":"Internal server error","statusCode":500}`},
		{"next invalid body", next, errBodyJSON, 400, "application/json; charset=utf-8", `{"error":"Invalid JSON body"}`},
		{"next body too large", next, errBodyTooLarge, 413, "application/json; charset=utf-8", `{"error":"Request body too large"}`},
		{"next invalid text", next, chatd.ErrInvalidText, 400, "application/json; charset=utf-8", `{"error":"` + chatd.ErrInvalidText.Message + `"}`},
		{"next rate limit", next, &chatd.Error{Code: chatd.ERATELIMIT, Message: "Too many requests", RetryAfter: 7}, 429, "application/json; charset=utf-8", `{"error":"Too many requests","retryAfter":7}`},
		{"next with a code", next, auth.ErrOTPNoAccount, 404, "application/json; charset=utf-8", `{"code":"USER_NOT_FOUND","error":"` + auth.ErrOTPNoAccount.Message + `"}`},
		{"next internal", next, errors.New("db down"), 500, "application/json; charset=utf-8", `{"error":"Failed to update tenant"}`},
		{"ba invalid body", ba, errBodyJSON, 400, "application/json", `{"code":"INVALID_JSON_BODY","message":"Invalid JSON body"}`},
		{"ba body too large", ba, errBodyTooLarge, 413, "application/json", `{"code":"PAYLOAD_TOO_LARGE","message":"Request body too large"}`},
		{"ba invalid text", ba, chatd.ErrInvalidText, 400, "application/json", `{"code":"VALIDATION_ERROR","message":"` + chatd.ErrInvalidText.Message + `"}`},
		{"ba no session", ba, errNoSessionBA, 401, "application/json", ``},
		{"ba not fresh", ba, errSessionNotFresh, 403, "application/json", `{"code":"SESSION_NOT_FRESH","message":"Session is not fresh"}`},
		{"ba conflict", ba, auth.ErrUserExists, 422, "application/json", `{"code":"USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL","message":"User already exists. Use another email."}`},
		{"ba null body", ba, auth.ErrPasskeyNull, 400, "application/json", `null`},
		{"ba coded 500", ba, auth.ErrPasskeyRegistration, 500, "application/json", `{"code":"FAILED_TO_VERIFY_REGISTRATION","message":"Failed to verify registration"}`},
		{"ba internal", ba, chatd.Errorf(chatd.EUNAVAILABLE, "redis down"), 500, "application/json", `{"code":"INTERNAL_SERVER_ERROR","message":"Internal Server Error"}`},
		{"ba rate limit", ba, errBARateLimited, 429, "application/json; charset=utf-8", `{"message":"Too many requests. Please try again later."}`},
		{"bare wrong method", func(c *gin.Context, err error) { bareError(c, err) }, errWrongMethod, 405, "", ``},
	}
	for _, tt := range tests {
		w := httptest.NewRecorder()
		c, _ := gin.CreateTestContext(w)
		c.Request = httptest.NewRequest(http.MethodPost, "/api/x", nil)
		tt.write(c, tt.err)
		c.Writer.WriteHeaderNow()
		if w.Code != tt.status || w.Header().Get("Content-Type") != tt.contentType || w.Body.String() != tt.body {
			t.Errorf("%s: %d %q %s; want %d %q %s", tt.name, w.Code, w.Header().Get("Content-Type"), w.Body, tt.status, tt.contentType, tt.body)
		}
		if !c.IsAborted() {
			t.Errorf("%s: the handler chain was not aborted", tt.name)
		}
	}
}
