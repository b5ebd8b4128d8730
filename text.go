package chatd

import (
	"strings"
	"unicode/utf8"
)

// Invalid text is a string holding a NUL (U+0000) or bytes that are not
// UTF-8. PostgreSQL cannot store either in a text column, no keyboard types
// them, and no honest client of chatd sends them, so the one rule for every
// input a client controls is to refuse it, at the edge, before any handler
// or chat rule sees it:
//
//   - HTTP (server.rejectInvalidText, the middleware in front of every
//     route): a path, query parameter, text header (Authorization,
//     User-Agent, X-Tenant-*) or body (JSON, including its \u0000 escape,
//     and form posts; not the file of a multipart upload) with invalid text
//     is answered 400 with ErrInvalidText's message.
//   - Socket.IO events (chat.Service.Handle, where every event enters the
//     rules): an event whose payload holds invalid text anywhere, key or
//     value, is dropped with an `error` event carrying that message.
//   - The Socket.IO handshake (chat.Service.Authenticate): a token,
//     userId, userAlias or tenantSlug with invalid text is refused with
//     CONNECT_ERROR and that message; a session cookie with it is no
//     session (a stale cookie is ignored, as always).
//   - Credentials (auth.Signer.TokenFromCandidate): a token candidate that
//     decodes to invalid text is not a token, so no lookup ever sends one to
//     the database.
//
// Refusing never writes anything, answers 500, or logs above info.

// ErrInvalidText is what a client hears when an input breaks the rule.
var ErrInvalidText = Errorf(EINVALID, "Invalid text: NUL characters and invalid UTF-8 are not allowed")

// ValidText reports whether s is UTF-8 without a NUL.
func ValidText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

// ValidTextIn reports whether every string in v, a value decoded from JSON
// (strings, numbers, booleans, nil, []any and map[string]any, keys
// included), is valid text. Values of other types (a binary attachment's
// []byte) are not text and pass.
func ValidTextIn(v any) bool {
	switch v := v.(type) {
	case string:
		return ValidText(v)
	case []any:
		for _, e := range v {
			if !ValidTextIn(e) {
				return false
			}
		}
	case map[string]any:
		for k, e := range v {
			if !ValidText(k) || !ValidTextIn(e) {
				return false
			}
		}
	}
	return true
}
