package socketio

import (
	"encoding/json"
	"log/slog"
	"strings"

	"chatd"
	"chatd/auth"
	"chatd/socketio/chat"
	"chatd/socketio/sio"
)

// The session cookie under its two names (docs/betterauth.md), the
// __Secure- one first.
var sessionCookies = []string{"__Secure-better-auth.session_token", "better-auth.session_token"}

// maxHandshakeField bounds every string taken from the handshake before it
// reaches the rules. Longer values are cut, not dropped: a cut token still
// fails the lookup ("invalid session") instead of turning the socket
// anonymous. Tokens are 32 or 44 characters, signed cookies under 100, ids 36.
const maxHandshakeField = 512

// authenticate is the namespace middleware: it decides who the socket is
// before the CONNECT ack, so a refused client gets CONNECT_ERROR
// {"message": …} (without "data", as Node) and never a connect followed by a
// disconnect.
func (g *Gateway) authenticate(s *sio.Socket) error {
	hs := handshakeOf(s)
	id, err := g.chat.Authenticate(g.ctx, hs, s.ID())
	if err != nil {
		msg := chatd.ErrorMessage(err)
		level := slog.LevelInfo
		if code := chatd.ErrorCode(err); code == chatd.EINTERNAL || code == chatd.EUNAVAILABLE {
			level = slog.LevelError
		}
		g.log.Log(g.ctx, level, "socket refused", slog.String("socket_id", s.ID()),
			slog.String("reason", msg), slog.Any("error", err))
		return &sio.ConnectError{Message: msg}
	}
	s.SetData(id)
	return nil
}

// handshakeOf reads what the socket presented: the token from auth.token,
// else query.token; failing both, the session cookie as CookieToken (a stale
// cookie does not lock a browser out of the guest path); and the anonymous
// path's query.
func handshakeOf(s *sio.Socket) chat.Handshake {
	h := chat.Handshake{
		Token:      authToken(s.Auth()),
		UserID:     bounded(s.HandshakeQuery("userId")),
		UserAlias:  bounded(s.HandshakeQuery("userAlias")),
		TenantSlug: bounded(s.HandshakeQuery("tenantSlug")),
		Origin:     bounded(s.HandshakeHeader("Origin")),
	}
	if h.Token == "" {
		h.Token = bounded(s.HandshakeQuery("token"))
	}
	if h.Token == "" {
		h.CookieToken = cookieToken(s.HandshakeHeader("Cookie"))
	}
	return h
}

// authToken is auth.token when it is a string; the app sends null when it
// has no session, which means "anonymous".
func authToken(raw json.RawMessage) string {
	var a struct {
		Token any `json:"token"`
	}
	_ = json.Unmarshal(raw, &a)
	v, _ := a.Token.(string)
	return bounded(v)
}

func cookieToken(header string) string {
	for _, name := range sessionCookies {
		v, _ := auth.CookieValue(header, name)
		if v = bounded(v); v != "" {
			return v
		}
	}
	return ""
}

func bounded(s string) string {
	if len(s) > maxHandshakeField {
		return strings.ToValidUTF8(s[:maxHandshakeField], "")
	}
	return s
}
