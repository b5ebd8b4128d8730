// Package chat holds the rules of the chat: who a socket is, joining a
// tenant, presence, sending, deleting, blocking, reporting. It knows nothing
// of the socket library: the transport hands it a Conn per socket and a Hub
// for broadcasts, so the engine underneath can be replaced without touching
// a rule.
package chat

import "chatd/store"

// Conn is one connected socket as the rules see it. The transport implements
// it over the socket library.
type Conn interface {
	// ID is the Socket.IO socket id (what presence calls socketId).
	ID() string
	// Join adds the socket to rooms, cluster-wide visible to Hub.Emit.
	Join(rooms ...string)
	// Leave removes the socket from a room.
	Leave(room string)
	// Emit sends an event to this socket only. payload is JSON-encoded as the
	// event's one argument; nil sends the event without an argument
	// (reportSubmitted has none).
	Emit(event string, payload any)
	// Disconnect closes the socket so that the client sees
	// "io server disconnect".
	Disconnect()
}

// Hub sends to every socket in a room, across every chatd process sharing
// Redis. Emitting to an empty room does nothing.
type Hub interface {
	Emit(room string, event string, payload any)
	// EmitLocalState sends the latest state of key to this process's sockets in
	// room only. Each connection holds at most one unsent frame per key: a newer
	// one replaces the older unsent one. It returns once the frame is queued on
	// every local socket of the room.
	EmitLocalState(room, key, event string, payload any)
}

// multiStateHub is a Hub that sends one state frame to the sockets of
// several rooms with one encoding. A storm's presence for the sockets that
// joined in a window went out one EmitLocalState per socket, each encoding
// the whole list again: a third of the join storm's CPU.
type multiStateHub interface {
	EmitLocalStateTo(rooms []string, key, event string, payload any)
	// EmitLocalStateExcept is EmitLocalState to room's sockets that are in
	// none of except.
	EmitLocalStateExcept(room string, except []string, key, event string, payload any)
}

// Handshake is what a socket presented when it connected: the token found in
// auth.token, query.token or the session cookie (in that order, "" when
// none), and the anonymous path's query parameters.
type Handshake struct {
	Token      string
	UserID     string
	UserAlias  string
	TenantSlug string
	// CookieToken, when the transport sets it instead of putting the cookie
	// in Token, is the session cookie of a handshake without auth.token or
	// query.token. A live one makes the socket that user; a stale one is
	// ignored (the socket goes on anonymously), because a browser keeps an
	// expired cookie and must not be locked out of the guest chat by it.
	CookieToken string
	// Origin is the Origin header of the handshake request ("" when none):
	// a native app's origin may use NATIVE_ID_FALLBACK (native.go).
	Origin string
}

// Identity is who a socket is, decided once at connect and bound to it.
type Identity struct {
	UserID    string
	Alias     string
	TenantID  *string // the tenant named by query.tenantSlug, or nil
	Anonymous bool
	Created   bool // a new anonymous user: emit userCreated
	Resumed   bool // an existing user resumed by query.userId: emit userConfirmed
	// Session is the session a token or cookie named (zero for a guest):
	// the socket ends with it (sessions.go).
	Session SessionRef
	// MemberOnly limits the socket to an ordinary member's rights whatever the
	// user's roles: it was bound by NATIVE_ID_FALLBACK without a credential,
	// so it never moderates, posts in announcement rooms or joins the rooms
	// of the tenants the user works for (native.go).
	MemberOnly bool

	row     *userRow // the user's profile as read at connect; nil: no row yet
	blocked []string // a guest's blocked ids, read with its row
	// staff is a session user's staff rooms and blocked ids, read with the
	// session; nil: Connected reads them.
	staff *store.ConnectInfo
}
