package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"chatd"
	"chatd/auth"
)

// This file is every error answer chatd gives over HTTP: the one table from
// error kinds to statuses, the errors of the HTTP edge, and one writer per
// response style (docs/http-routes.md, "Error styles"):
//
//   - nestError: the NestJS routes, {"message","error","statusCode"};
//   - nextError: the old Next.js routes, {"error": …};
//   - authError: BetterAuth's routes, {"code","message"} or a bare answer;
//   - bareError: a status with an empty body.
//
// Handlers never write an error status themselves; they pass a chatd error
// to their route's writer. What a bad body gets, per style, is in
// nestError's nestText, nextError, and authError's baCodeOf below.

// Kinds of the HTTP edge, beside chatd's: conditions only HTTP has.
const (
	kindTooLarge   = "too_large"              // a body or file over its limit
	kindURITooLong = "uri_too_long"           // a query string over maxQueryBytes
	kindMediaType  = "unsupported_media_type" // a body of a content type the route does not read
	kindMethod     = "method_not_allowed"     // a known path, the wrong method
)

// statusOf is the one table from error kinds to HTTP statuses.
var statusOf = map[string]int{
	chatd.EINVALID:      http.StatusBadRequest,
	chatd.EUNAUTHORIZED: http.StatusUnauthorized,
	chatd.EFORBIDDEN:    http.StatusForbidden,
	chatd.ENOTFOUND:     http.StatusNotFound,
	chatd.ECONFLICT:     http.StatusConflict,
	chatd.ERATELIMIT:    http.StatusTooManyRequests,
	chatd.EUNAVAILABLE:  http.StatusServiceUnavailable,
	chatd.EINTERNAL:     http.StatusInternalServerError,
	kindTooLarge:        http.StatusRequestEntityTooLarge,
	kindURITooLong:      http.StatusRequestURITooLong,
	kindMediaType:       http.StatusUnsupportedMediaType,
	kindMethod:          http.StatusMethodNotAllowed,
}

// The errors of the HTTP edge and of sessions, shared by the routes; each
// style words some of them its own way (below).
var (
	errBodyJSON       = chatd.Errorf(chatd.EINVALID, "Invalid JSON body")
	errBodyTooLarge   = chatd.Errorf(kindTooLarge, "Request body too large")
	errBadRequestBody = chatd.Errorf(chatd.EINVALID, "Invalid request body")
	errURITooLong     = chatd.Errorf(kindURITooLong, "URI Too Long")
	errInvalidOrigin  = chatd.Errorf(chatd.EFORBIDDEN, "Invalid origin")
	errMissingOrigin  = chatd.Errorf(chatd.EFORBIDDEN, "Missing or null Origin")
	errUnauthorized   = chatd.Errorf(chatd.EUNAUTHORIZED, "Unauthorized")  // no session
	errInvalidToken   = chatd.Errorf(chatd.EUNAUTHORIZED, "Invalid token") // a credential that is no live session (NestJS)
	errForbidden      = chatd.Errorf(chatd.EFORBIDDEN, "Forbidden")
	errNotFoundTenant = chatd.Errorf(chatd.ENOTFOUND, "Tenant not found")
	errNoRoute        = chatd.Errorf(chatd.ENOTFOUND, "")                    // bare 404
	errWrongMethod    = chatd.Errorf(kindMethod, "")                         // bare 405
	errNoSessionBA    = chatd.Errorf(chatd.EUNAUTHORIZED, "")                // 1.4.18's sessionMiddleware: empty 401
	errNoSessionIT    = chatd.Errorf(chatd.EUNAUTHORIZED, "Non autorizzato") // the account delete's 401
	// errBARateLimited is BetterAuth's rate limiter's answer, written before
	// its router, so without a code.
	errBARateLimited = chatd.Errorf(chatd.ERATELIMIT, "Too many requests. Please try again later.")
)

// errInternalIT is the Italian 500 of the native-app login routes.
const errInternalIT = "Errore interno del server"

// errorStatus maps err to its status, logging internal errors once with
// their real text (which never reaches the client).
func (s *Server) errorStatus(c *gin.Context, err error) int {
	status, ok := statusOf[chatd.ErrorCode(err)]
	if !ok {
		status = http.StatusInternalServerError
	}
	if status >= 500 {
		s.log.ErrorContext(c.Request.Context(), "request failed",
			slog.String("method", c.Request.Method), slog.String("path", c.Request.URL.Path),
			slog.Any("error", err))
	}
	return status
}

// nestReason is the "error" field NestJS puts beside the message.
var nestReason = map[int]string{
	http.StatusBadRequest:            "Bad Request",
	http.StatusUnauthorized:          "Unauthorized",
	http.StatusForbidden:             "Forbidden",
	http.StatusNotFound:              "Not Found",
	http.StatusConflict:              "Conflict",
	http.StatusRequestEntityTooLarge: "Payload Too Large",
	http.StatusTooManyRequests:       "Too Many Requests",
	http.StatusServiceUnavailable:    "Service Unavailable",
}

// nestText is NestJS's (Express's) own wording of an edge error.
var nestText = map[error]string{errBodyTooLarge: "request entity too large"}

// nestNamed are the errors the original raised with an explicit message
// equal to the reason (new ForbiddenException('Forbidden')), so NestJS kept
// "error" although it repeats the message.
var nestNamed = map[error]bool{chatd.ErrNotActingUser: true}

// nestError answers in NestJS's style:
// {"message":"…","error":"Not Found","statusCode":404}, and the bare
// {"statusCode":500,"message":"Internal server error"} for internal errors.
func (s *Server) nestError(c *gin.Context, err error) {
	status := s.errorStatus(c, err)
	if status >= 500 {
		c.AbortWithStatusJSON(status, gin.H{"statusCode": status, "message": "Internal server error"})
		return
	}
	msg := chatd.ErrorMessage(err)
	for e, text := range nestText {
		if errors.Is(err, e) {
			msg = text
		}
	}
	body := gin.H{"message": msg, "statusCode": status}
	if reason, ok := nestReason[status]; ok && (msg != reason || isOneOf(err, nestNamed)) {
		body["error"] = reason
	}
	c.AbortWithStatusJSON(status, body)
}

// nextError answers in the Next.js route style: {"error":"…"}, plus "code"
// for an error with a Reason and "retryAfter" (and the Retry-After header)
// for a rate limit. A failure the client cannot fix is {"error": internal},
// the route's own fixed text ("Internal server error" when it has none).
func (s *Server) nextError(c *gin.Context, err error, internal string) {
	status := s.errorStatus(c, err)
	if status >= 500 {
		if internal == "" {
			internal = "Internal server error"
		}
		c.AbortWithStatusJSON(status, gin.H{"error": internal})
		return
	}
	body := gin.H{"error": chatd.ErrorMessage(err)}
	var e *chatd.Error
	if errors.As(err, &e) && e.Reason != "" {
		body["code"] = e.Reason
	}
	if errors.As(err, &e) && e.RetryAfter > 0 {
		c.Header("Retry-After", strconv.Itoa(e.RetryAfter))
		body["retryAfter"] = e.RetryAfter
	}
	c.AbortWithStatusJSON(status, body)
}

// baCodeOf are BetterAuth's codes for errors whose code is not derived
// from the message; an error's own Reason comes first.
var baCodeOf = map[error]string{
	errBodyTooLarge:             "PAYLOAD_TOO_LARGE",
	chatd.ErrInvalidText:        "VALIDATION_ERROR",
	auth.ErrPasskeyRegistration: "FAILED_TO_VERIFY_REGISTRATION",
}

// baNullBody are the errors 1.4.18 answers with the JSON body null.
var baNullBody = map[error]bool{auth.ErrPasskeyNull: true, auth.ErrRefreshLost: true}

// authError answers in BetterAuth 1.4.18's style: {"code","message"} (code
// first, as better-call 1.1.8 writes it), with the code derived from the
// message unless the error names one; a conflict is 422. An error without a
// message is an empty body with a JSON content type; baNullBody's the body
// null. A failure the client cannot fix is logged and answered
// INTERNAL_SERVER_ERROR, unless the error carries a code of its own.
func (s *Server) authError(c *gin.Context, err error) {
	status := s.errorStatus(c, err)
	code, coded := baErrorCode(err)
	msg := chatd.ErrorMessage(err)
	switch {
	case status >= 500 && !coded:
		status, code, msg = http.StatusInternalServerError, "INTERNAL_SERVER_ERROR", "Internal Server Error"
	case status >= 500:
		status = http.StatusInternalServerError
	case status == http.StatusConflict:
		status = http.StatusUnprocessableEntity
	}
	switch {
	case isOneOf(err, baNullBody):
		c.Data(status, "application/json", []byte("null"))
		c.Abort()
	case msg == "":
		c.Header("Content-Type", "application/json")
		c.AbortWithStatus(status)
	case errors.Is(err, errBARateLimited):
		c.AbortWithStatusJSON(status, gin.H{"message": msg})
	default:
		body, _ := json.Marshal(struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		}{code, msg})
		c.Data(status, "application/json", body)
		c.Abort()
	}
}

// baErrorCode is err's BetterAuth code; coded reports whether it was named
// rather than derived from the message.
func baErrorCode(err error) (code string, coded bool) {
	var e *chatd.Error
	if errors.As(err, &e) && e.Reason != "" {
		return e.Reason, true
	}
	for known, code := range baCodeOf {
		if errors.Is(err, known) {
			return code, true
		}
	}
	return baCode(chatd.ErrorMessage(err)), false
}

var nonCode = regexp.MustCompile(`[^A-Z0-9_]`)

// baCode derives an error code from a message as better-call 1.1.8 does:
// upper case, spaces to "_", everything else outside [A-Z0-9_] dropped.
func baCode(message string) string {
	return nonCode.ReplaceAllString(strings.ReplaceAll(strings.ToUpper(message), " ", "_"), "")
}

// baInvalid is better-call's 400 for input zod refused.
func baInvalid(message string) error {
	return &chatd.Error{Code: chatd.EINVALID, Message: message, Reason: "VALIDATION_ERROR"}
}

// bareError answers err's status with an empty body: the unknown route
// under /api/auth/ (as BetterAuth did) and a wrong method on a Next route.
func bareError(c *gin.Context, err error) {
	status, ok := statusOf[chatd.ErrorCode(err)]
	if !ok {
		status = http.StatusInternalServerError
	}
	c.AbortWithStatus(status)
}

// failure marks err as a failure the client cannot fix, whatever its kind:
// every writer answers it with its route's 500, and logs the text.
func failure(what string, err error) error { return fmt.Errorf("%s: %v", what, err) }

func isOneOf(err error, set map[error]bool) bool {
	for e := range set {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
