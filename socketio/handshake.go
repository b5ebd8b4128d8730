package socketio

import (
	"log/slog"
	"net/http"
	"strings"

	"github.com/zishang520/socket.io/parsers/socket/v3/parser"
	"github.com/zishang520/socket.io/servers/socket/v3"

	"chatd"
	"chatd/auth"
	"chatd/socketio/chat"
)

// The session cookie under its two names (http-api.md §4.3), the
// __Secure- one first.
var sessionCookies = []string{"__Secure-better-auth.session_token", "better-auth.session_token"}

// maxHandshakeField bounds every string taken from the handshake before it
// reaches the rules. Longer values are cut, not dropped: a cut token still
// fails the lookup ("invalid session") instead of turning the socket
// anonymous. Tokens are 32 or 44 characters, signed cookies under 100, ids 36.
const maxHandshakeField = 512

// authenticate is the namespace middleware: it decides who the socket is
// before the CONNECT ack, so a refused client gets CONNECT_ERROR and never a
// connect followed by a disconnect.
func (g *Gateway) authenticate(s *socket.Socket, next func(*socket.ExtendedError)) {
	hs := handshakeOf(s)
	id, err := g.chat.Authenticate(g.ctx, hs, string(s.Id()))
	if err != nil {
		msg := connectErrorMessage(err)
		level := slog.LevelInfo
		if code := chatd.ErrorCode(err); code == chatd.EINTERNAL || code == chatd.EUNAVAILABLE {
			level = slog.LevelError
		}
		g.log.Log(g.ctx, level, "socket refused", slog.String("socket_id", string(s.Id())),
			slog.String("reason", msg), slog.Any("error", err))
		refuse(s, msg)
		return
	}
	s.SetData(id)
	next(nil)
}

// refuse answers the CONNECT with CONNECT_ERROR {"message": msg} and leaves
// the middleware chain unfinished, so the socket is never connected; the
// client closes the transport (or the connect timeout does). It writes the
// packet itself because the library's next(err) always adds "data": null,
// which Node leaves out (socket.io-client then sees err.data === null instead
// of undefined).
func refuse(s *socket.Socket, msg string) {
	packet := &parser.Packet{Type: parser.CONNECT_ERROR, Nsp: s.Nsp().Name(), Data: map[string]any{"message": msg}}
	if s.Conn().ReadyState() != "open" {
		return
	}
	s.Client().WriteToEngine(s.Nsp().Server().Encoder().Encode(packet), &socket.WriteOptions{})
}

// connectErrorMessage is the text of the CONNECT_ERROR packet: the rules'
// client-safe message ("invalid session", "authentication required",
// "service unavailable"), "Internal error." for anything without one.
func connectErrorMessage(err error) string { return chatd.ErrorMessage(err) }

// handshakeOf reads what the socket presented: the token from auth.token,
// else query.token; failing both, the session cookie as CookieToken (a stale
// cookie does not lock a browser out of the guest path); and the anonymous
// path's query.
func handshakeOf(s *socket.Socket) chat.Handshake {
	ctx := s.Request()
	q := ctx.Query()
	h := chat.Handshake{
		Token:      authToken(s.Handshake().Auth),
		UserID:     bounded(q.Peek("userId")),
		UserAlias:  bounded(q.Peek("userAlias")),
		TenantSlug: bounded(q.Peek("tenantSlug")),
		Origin:     handshakeOrigin(ctx.Request()),
	}
	if h.Token == "" {
		h.Token = bounded(q.Peek("token"))
	}
	if h.Token == "" {
		h.CookieToken = cookieToken(ctx.Request())
	}
	return h
}

// authToken is auth.token when it is a string; the app sends null when it
// has no session, which means "anonymous".
func authToken(auth map[string]any) string {
	v, _ := auth["token"].(string)
	return bounded(v)
}

func cookieToken(r *http.Request) string {
	if r == nil {
		return ""
	}
	for _, name := range sessionCookies {
		if v := bounded(auth.RequestCookie(r, name)); v != "" {
			return v
		}
	}
	return ""
}

// upgradeOriginKey holds, in a WebSocket upgrade request's context, the
// Origin header Handler removed before the library's upgrader saw it.
type upgradeOriginKey struct{}

// handshakeOrigin is the Origin header the handshake request carried.
func handshakeOrigin(r *http.Request) string {
	if r == nil {
		return ""
	}
	if origin, ok := r.Context().Value(upgradeOriginKey{}).(string); ok {
		return bounded(origin)
	}
	return bounded(r.Header.Get("Origin"))
}

func bounded(s string) string {
	if len(s) > maxHandshakeField {
		return strings.ToValidUTF8(s[:maxHandshakeField], "")
	}
	return s
}
