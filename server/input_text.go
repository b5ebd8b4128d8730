package server

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"chatd"
)

// textHeaders are the request headers chatd reads as text: a session token,
// the stored user agent, a tenant lookup.
var textHeaders = []string{"Authorization", "User-Agent", "X-Tenant-Slug", "X-Tenant-Id"}

// rejectInvalidText is chatd's text rule (text.go) at the HTTP edge: the
// path, the query and the text headers are checked here, and the body is
// checked as the handler reads it (textReader), so a handler never sees a
// NUL or invalid UTF-8. /socket.io/ is the socket edge's: its handshake
// query and packets are refused with the Socket.IO protocol's errors.
func (s *Server) rejectInvalidText(c *gin.Context) {
	r := c.Request
	if strings.HasPrefix(r.URL.Path, "/socket.io/") {
		return
	}
	if !chatd.ValidText(r.URL.Path) || !validQuery(r.URL.RawQuery) || !validHeaders(r.Header) {
		s.refuseInvalidText(c)
		return
	}
	if r.Body != nil && r.Body != http.NoBody {
		mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if !strings.HasPrefix(mt, "multipart/") { // an upload's file is binary, and its fields are discarded
			r.Body = &textReader{body: r.Body, form: mt == "application/x-www-form-urlencoded"}
		}
	}
}

func validQuery(raw string) bool {
	if raw == "" {
		return true
	}
	values, _ := url.ParseQuery(raw) // malformed pairs are dropped by every reader too
	for k, vs := range values {
		if !chatd.ValidText(k) {
			return false
		}
		for _, v := range vs {
			if !chatd.ValidText(v) {
				return false
			}
		}
	}
	return true
}

func validHeaders(h http.Header) bool {
	for _, name := range textHeaders {
		for _, v := range h.Values(name) {
			if !chatd.ValidText(v) {
				return false
			}
		}
	}
	return true
}

// refuseInvalidText answers 400 in the route's error style: BetterAuth's
// under /api/auth/ (but the old Next routes), NestJS's elsewhere.
func (s *Server) refuseInvalidText(c *gin.Context) {
	switch path := c.Request.URL.Path; {
	case s.nextPaths[path]:
		s.nextError(c, chatd.ErrInvalidText, "")
	case strings.HasPrefix(path, "/api/auth/"):
		s.authError(c, chatd.ErrInvalidText)
	default:
		s.nestError(c, chatd.ErrInvalidText)
	}
}

// textReader passes a request body through, failing the read with
// chatd.ErrInvalidText at the first NUL or byte sequence that is not UTF-8.
// A NUL may come raw, as JSON's \u0000 escape, or (in a form post) as %00;
// an invalid sequence raw, or percent-encoded in a form post. It checks as
// it streams, so a body is never held twice and a handler's size limit
// still applies first.
type textReader struct {
	body io.ReadCloser
	form bool // application/x-www-form-urlencoded: check the percent-decoded bytes
	err  error
	text textScanner
}

func (t *textReader) Read(p []byte) (int, error) {
	if t.err != nil {
		return 0, t.err
	}
	n, err := t.body.Read(p)
	for _, b := range p[:n] {
		if !t.text.feed(b, t.form) {
			t.err = chatd.ErrInvalidText
			return 0, t.err
		}
	}
	if errors.Is(err, io.EOF) && !t.text.complete() {
		t.err = chatd.ErrInvalidText
		return 0, t.err
	}
	return n, err
}

func (t *textReader) Close() error { return t.body.Close() }

// textScanner is the byte-at-a-time state of textReader.
type textScanner struct {
	rune    [utf8.UTFMax]byte // the bytes of an unfinished UTF-8 sequence
	runeLen int
	escape  int  // JSON: 1 after a backslash, 2+k after "\u" and k zeros
	percent int  // form: 1 after '%', 2 after '%' and one hex digit
	hexHigh byte // that digit
}

// feed takes the next byte of the body; false means the body is invalid
// text.
func (s *textScanner) feed(b byte, form bool) bool {
	if form {
		return s.feedForm(b)
	}
	switch {
	case s.escape == 1: // the escaped character, a backslash included
		s.escape = 0
		if b == 'u' {
			s.escape = 2
		}
	case s.escape >= 2 && b == '0':
		if s.escape++; s.escape == 6 {
			return false // \u0000
		}
	case b == '\\':
		s.escape = 1
	default:
		s.escape = 0
	}
	return s.decoded(b)
}

// feedForm percent-decodes (an invalid escape passes as it is: the form
// parser refuses it anyway) and checks the decoded bytes.
func (s *textScanner) feedForm(b byte) bool {
	switch {
	case s.percent == 0 && b == '%':
		s.percent = 1
		return true
	case s.percent == 1 && isHex(b):
		s.percent, s.hexHigh = 2, b
		return true
	case s.percent == 2 && isHex(b):
		s.percent = 0
		return s.decoded(unhex(s.hexHigh)<<4 | unhex(b))
	case s.percent == 1:
		s.percent = 0
		return s.decoded('%') && s.feedForm(b)
	case s.percent == 2:
		s.percent = 0
		return s.decoded('%') && s.decoded(s.hexHigh) && s.feedForm(b)
	}
	return s.decoded(b)
}

// decoded checks one byte of the text: no NUL, and UTF-8 sequences that
// complete validly.
func (s *textScanner) decoded(b byte) bool {
	if b == 0 {
		return false
	}
	if s.runeLen == 0 && b < utf8.RuneSelf {
		return true
	}
	s.rune[s.runeLen] = b
	s.runeLen++
	if !utf8.FullRune(s.rune[:s.runeLen]) {
		return true
	}
	r, size := utf8.DecodeRune(s.rune[:s.runeLen])
	whole := size == s.runeLen && (r != utf8.RuneError || size > 1)
	s.runeLen = 0
	return whole
}

// complete reports whether the body ended on a whole character.
func (s *textScanner) complete() bool { return s.runeLen == 0 }

func isHex(b byte) bool { return b >= '0' && b <= '9' || b >= 'a' && b <= 'f' || b >= 'A' && b <= 'F' }

func unhex(b byte) byte {
	switch {
	case b >= 'a':
		return b - 'a' + 10
	case b >= 'A':
		return b - 'A' + 10
	}
	return b - '0'
}
