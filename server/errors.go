package server

import (
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"chatd"
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

// errorStatus maps err to its status, logging internal errors once with
// their real text (which never reaches the client).
func (s *Server) errorStatus(c *gin.Context, err error) int {
	code := chatd.ErrorCode(err)
	status, ok := statusOf[code]
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

// nestError answers in NestJS's error style:
// {"message":"…","error":"Not Found","statusCode":404}, and the bare
// {"statusCode":500,"message":"Internal server error"} for internal errors.
func (s *Server) nestError(c *gin.Context, err error) {
	status := s.errorStatus(c, err)
	if status >= 500 {
		c.AbortWithStatusJSON(status, gin.H{"statusCode": status, "message": "Internal server error"})
		return
	}
	c.AbortWithStatusJSON(status, nestBody(status, chatd.ErrorMessage(err)))
}

func nestBody(status int, message string) gin.H {
	body := gin.H{"message": message, "statusCode": status}
	if reason, ok := nestReason[status]; ok && message != reason {
		body["error"] = reason
	}
	return body
}

// nextError answers in the Next.js route style: {"error":"…"}.
func (s *Server) nextError(c *gin.Context, err error) {
	status := s.errorStatus(c, err)
	msg := chatd.ErrorMessage(err)
	if status >= 500 {
		msg = "Internal server error"
	}
	c.AbortWithStatusJSON(status, gin.H{"error": msg})
}
