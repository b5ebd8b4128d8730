// Package chatd holds the vocabulary every layer of chatd shares: the kinds of
// error a request can end in. The transports (server for HTTP, socketio for
// Socket.IO) each own one table that maps these kinds to what a client sees,
// so internal error text never reaches a client.
package chatd

import (
	"errors"
	"fmt"
)

// Error kinds. They are stable strings so logs and tests can match on them.
const (
	EINVALID      = "invalid"      // the request is malformed or fails validation
	EUNAUTHORIZED = "unauthorized" // no valid session where one is required
	EFORBIDDEN    = "forbidden"    // a session, but not allowed to do this
	ENOTFOUND     = "not_found"    // the thing asked for does not exist
	ECONFLICT     = "conflict"     // the write clashes with existing data
	ERATELIMIT    = "rate_limited" // too many requests; try again later
	EUNAVAILABLE  = "unavailable"  // a dependency (database, Redis) is down
	EINTERNAL     = "internal"     // a bug or an unexpected failure
)

// Error is an error whose Message is safe to show to a client.
type Error struct {
	Code    string
	Message string
	// Reason is a stable upper-case code some clients read beside the
	// message (BetterAuth's "code", the OTP route's USER_NOT_FOUND); ""
	// for most errors.
	Reason string
	// RetryAfter, in seconds, tells a rate-limited client when to come
	// back; 0 when it does not apply.
	RetryAfter int
}

func (e *Error) Error() string {
	return fmt.Sprintf("chatd error: code=%s message=%s", e.Code, e.Message)
}

// The errors the chat rules send as the socket's "error" event, by text
// (docs/socket-events.md, "Error events"). The HTTP routes have their own texts
// (server/errors.go); what both transports share is the kind.
var (
	ErrInvalidPayload  = Errorf(EINVALID, "Invalid payload")                     // a malformed event payload
	ErrMessageTooLong  = Errorf(EINVALID, "Message too long")                    // over the text limit
	ErrAnnouncementOff = Errorf(EFORBIDDEN, "Only admins can post in this room") // an announcement room, not a moderator
	ErrMessageNotSaved = Errorf(EINTERNAL, "message not saved")                  // the message could not be stored
)

// Errorf builds an *Error whose message is safe to show to a client.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the kind of err: the Code of the first *Error in its chain,
// or EINTERNAL for anything else (a wrapped driver error is never shown).
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the client-safe message of err, or "Internal error."
// when err carries none.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}
