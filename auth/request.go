package auth

import (
	"net/http"
	"strings"
)

// RequestCookie is the first occurrence of name across every Cookie header
// of r, surrounding quotes stripped; "" when absent. It parses by hand, as
// BetterAuth does, because net/http silently drops a value holding a byte it
// deems invalid (a backslash, an inner quote).
func RequestCookie(r *http.Request, name string) string {
	for _, line := range r.Header.Values("Cookie") {
		if v, ok := CookieValue(line, name); ok {
			return v
		}
	}
	return ""
}

// CookieValue is RequestCookie for one Cookie header line, and whether the
// line names the cookie at all.
func CookieValue(line, name string) (string, bool) {
	for part := range strings.SplitSeq(line, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok && strings.TrimSpace(k) == name {
			return strings.Trim(strings.TrimSpace(v), `"`), true
		}
	}
	return "", false
}
