package auth

import (
	"database/sql"
	"strconv"
	"time"
	"unicode/utf8"

	"chatd"
	"chatd/store"
)

// jsObject writes a JSON object the way JavaScript's JSON.stringify would
// write it: keys in insertion order, no whitespace, JS string escaping. The
// cookie cache is signed over JSON that BetterAuth re-serializes, so chatd
// must produce the very bytes JS would.
type jsObject struct{ buf []byte }

func (o *jsObject) key(k string) {
	if len(o.buf) == 0 {
		o.buf = append(o.buf, '{')
	} else {
		o.buf = append(o.buf, ',')
	}
	o.buf = appendJSString(o.buf, k)
	o.buf = append(o.buf, ':')
}

func (o *jsObject) str(k, v string) { o.key(k); o.buf = appendJSString(o.buf, v) }
func (o *jsObject) raw(k string, v []byte) {
	o.key(k)
	o.buf = append(o.buf, v...)
}
func (o *jsObject) num(k string, v int64) { o.key(k); o.buf = strconv.AppendInt(o.buf, v, 10) }
func (o *jsObject) time(k string, t time.Time) {
	o.str(k, chatd.FormatTime(t))
}
func (o *jsObject) boolean(k string, v bool) { o.key(k); o.buf = strconv.AppendBool(o.buf, v) }

func (o *jsObject) nullStr(k string, v sql.NullString) {
	if !v.Valid {
		o.raw(k, []byte("null"))
		return
	}
	o.str(k, v.String)
}

func (o *jsObject) nullBool(k string, v sql.NullBool) {
	if !v.Valid {
		o.raw(k, []byte("null"))
		return
	}
	o.boolean(k, v.Bool)
}

// optStr writes a nullable column: null when NULL, as Prisma returns it.
// (BetterAuth itself writes "" for a missing IP or user agent.)
func (o *jsObject) optStr(k string, v *string) {
	if v == nil {
		o.raw(k, []byte("null"))
		return
	}
	o.str(k, *v)
}

func (o *jsObject) bytes() []byte {
	if len(o.buf) == 0 {
		return []byte("{}")
	}
	return append(o.buf, '}')
}

// appendJSString quotes s as JSON.stringify does: only '"', '\\' and control
// characters are escaped (\b \f \n \r \t short, others \u00xx lower-case);
// U+2028, U+2029, '<', '>' and '&' stay literal, unlike encoding/json.
// Invalid UTF-8 becomes U+FFFD, which is what Node decodes it to.
func appendJSString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			b = append(b, c)
			i++
			continue
		}
		if c < utf8.RuneSelf {
			switch c {
			case '"':
				b = append(b, '\\', '"')
			case '\\':
				b = append(b, '\\', '\\')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				const hex = "0123456789abcdef"
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		b = utf8.AppendRune(b, r) // RuneError for invalid bytes
		i += size
	}
	return append(b, '"')
}

// SessionJSON is the session object of get-session and the cookie cache:
// every column, including the raw token, dates in toISOString form.
func SessionJSON(s store.Session) []byte {
	var o jsObject
	o.time("expiresAt", s.ExpiresAt)
	o.str("token", s.Token)
	o.time("createdAt", s.CreatedAt)
	o.time("updatedAt", s.UpdatedAt)
	o.optStr("ipAddress", s.IPAddress)
	o.optStr("userAgent", s.UserAgent)
	o.str("userId", s.UserID)
	o.str("id", s.ID)
	return o.bytes()
}

// UserJSON is the user object BetterAuth returns with the product's
// additional fields: every column of "user", nulls kept.
func UserJSON(u store.User) []byte {
	var o jsObject
	o.nullStr("name", u.Name)
	o.nullStr("email", u.Email)
	o.nullBool("emailVerified", u.EmailVerified)
	o.nullStr("image", u.Image)
	o.time("createdAt", u.CreatedAt)
	o.time("updatedAt", u.UpdatedAt)
	o.boolean("isAnonymous", u.IsAnonymous)
	o.nullStr("phoneNumber", u.PhoneNumber)
	o.nullStr("gender", u.Gender)
	o.nullStr("status", u.Status)
	o.str("role", u.Role)
	o.str("id", u.ID)
	return o.bytes()
}

// SessionUserJSON is get-session's body: {"session":…,"user":…}.
func SessionUserJSON(su store.SessionUser) []byte {
	var o jsObject
	o.raw("session", SessionJSON(su.Session))
	o.raw("user", UserJSON(su.User))
	return o.bytes()
}
