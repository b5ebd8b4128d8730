package chat

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode"

	"chatd"
	"chatd/store"
)

// Handshake errors, as the transport sends them in CONNECT_ERROR.
var (
	ErrInvalidSession = chatd.Errorf(chatd.EUNAUTHORIZED, "invalid session")
	ErrAuthRequired   = chatd.Errorf(chatd.EUNAUTHORIZED, "authentication required")
	errUnavailable    = chatd.Errorf(chatd.EUNAVAILABLE, "service unavailable")
)

// maxIDLen bounds every id a client sends (users are UUIDs or 32-char
// BetterAuth ids, rooms cuids): longer is malformed.
const maxIDLen = 128

// socketState is what the rules remember about one connected socket of this
// process. mu serialises the socket's events.
type socketState struct {
	mu          sync.Mutex
	conn        Conn
	id          Identity
	tenant      *joinedTenant // nil until a join succeeds
	alias       string        // the alias of the last successful join, as sent
	shownAlias  string        // the same, as the alias-change message shows it
	shown       []byte        // the user object presence shows for this socket
	memberRooms map[string]bool
	lastSent    time.Time // when the last accepted sendMessage took the slot
	hasSent     bool
	gone        bool
	budget      eventBudget
	connectedAt time.Time // the handshake, in database precision
	// row is the user's profile as last read or written; nil for a guest
	// whose row does not exist yet. rowFresh: read at connect and not
	// written since, so the first join may trust it without a query.
	row      *userRow
	rowFresh bool
	// blocked is whom the user blocked, read at connect; blockedFresh: the
	// first join may send it without a query.
	blocked      []string
	blockedFresh bool
}

type joinedTenant struct {
	ID    string
	Slug  string
	Rooms []string
}

// Authenticate decides who a socket is (docs/socket-events.md, "Handshake").
// A token must name a live session; without one the socket is an anonymous
// guest, resumed by query.userId only when that user is anonymous itself (a
// registered user's id only under NATIVE_ID_FALLBACK, native.go).
func (s *Service) Authenticate(ctx context.Context, h Handshake, socketID string) (Identity, error) {
	// chatd's text rule (text.go): what the client chose is refused, a
	// session cookie it may not even know it holds is no session.
	if !chatd.ValidTextIn([]any{h.Token, h.UserID, h.UserAlias, h.TenantSlug}) {
		return Identity{}, chatd.ErrInvalidText
	}
	if !chatd.ValidText(h.CookieToken) {
		h.CookieToken = ""
	}
	tenantID, err := s.tenantIDBySlug(ctx, h.TenantSlug)
	if err != nil {
		return Identity{}, err
	}
	if h.Token != "" {
		return s.authenticateToken(ctx, h.Token, tenantID)
	}
	if h.CookieToken != "" {
		id, err := s.authenticateToken(ctx, h.CookieToken, tenantID)
		if !errors.Is(err, ErrInvalidSession) {
			return id, err
		}
	}
	alias := SanitizeAlias(h.UserAlias, socketID)
	if h.UserID != "" && len(h.UserID) <= maxIDLen {
		u, blocked, err := s.store.UserWithBlocked(ctx, h.UserID)
		if err == nil && u.Name.Valid && u.Name.String != "" {
			alias = u.Name.String
		}
		switch {
		case err == nil && !u.IsAnonymous:
			id, err := s.nativeMember(u, h, alias, tenantID, socketID)
			id.row, id.blocked = rowOf(u), blocked
			return id, err
		case err == nil:
			return Identity{UserID: u.ID, Alias: alias, TenantID: tenantID, Anonymous: true, Resumed: true,
				row: rowOf(u), blocked: blocked}, nil
		case errors.Is(err, store.ErrNotFound) && s.guests.issued(h.UserID):
			// A guest of ours whose row was never needed (guests.go).
			return Identity{UserID: h.UserID, Alias: alias, TenantID: tenantID, Anonymous: true, Resumed: true}, nil
		case !errors.Is(err, store.ErrNotFound):
			s.log.Error("handshake user lookup failed", slog.String("error", err.Error()))
			return Identity{}, errUnavailable
		}
	}
	// The row is written when the guest first needs one (guests.go).
	return Identity{UserID: s.guests.new(), Alias: alias, TenantID: tenantID, Anonymous: true, Created: true}, nil
}

func (s *Service) authenticateToken(ctx context.Context, token string, tenantID *string) (Identity, error) {
	if s.sessions == nil {
		return Identity{}, ErrInvalidSession // no resolver: no token can be checked
	}
	su, staff, err := s.resolveConnect(ctx, token)
	if chatd.ErrorCode(err) == chatd.EUNAUTHORIZED {
		return Identity{}, ErrInvalidSession
	} else if err != nil {
		s.log.Error("handshake session lookup failed", slog.String("error", err.Error()))
		return Identity{}, errUnavailable
	}
	alias := "User"
	if su.User.Name.Valid && su.User.Name.String != "" {
		alias = su.User.Name.String
	}
	return Identity{UserID: su.User.ID, Alias: alias, TenantID: tenantID, row: rowOf(su.User), staff: staff,
		Session: SessionRef{ID: su.Session.ID, ExpiresAt: su.Session.ExpiresAt, token: token}}, nil
}

// resolveConnect resolves a handshake's token, reading the user's staff
// rooms and blocks in the same query when the resolver can (staff is nil
// when it cannot: Connected then reads them).
func (s *Service) resolveConnect(ctx context.Context, token string) (store.SessionUser, *store.ConnectInfo, error) {
	r, ok := s.sessions.(connectResolver)
	if !ok {
		su, err := s.sessions.Resolve(ctx, token)
		return su, nil, err
	}
	var staff *store.ConnectInfo
	su, err := r.ResolveWith(ctx, func(ctx context.Context, token string) (store.SessionUser, error) {
		su, info, err := s.store.SessionConnect(ctx, token)
		if err == nil {
			staff = &info
		}
		return su, err
	}, token)
	return su, staff, err
}

// tenantIDBySlug is the id of the tenant the handshake names, or nil.
func (s *Service) tenantIDBySlug(ctx context.Context, slug string) (*string, error) {
	if slug == "" || len(slug) > maxIDLen {
		return nil, nil
	}
	t, err := s.tenants.bySlug(ctx, slug)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	} else if err != nil {
		s.log.Error("handshake tenant lookup failed", slog.String("error", err.Error()))
		return nil, errUnavailable
	}
	id := t.ID // not &t.ID, which would keep the whole tenant on the heap
	return &id, nil
}

// guestGreeting is userCreated's and userConfirmed's payload, its keys in
// the original's order.
type guestGreeting struct {
	ID       string  `json:"id"`
	Alias    string  `json:"alias"`
	TenantID *string `json:"tenantId"`
}

// Connected greets a socket after its CONNECT ack: a guest learns its user id
// (userCreated or userConfirmed), and staff join the rooms of every tenant
// they work for, so they hear room messages before they join a tenant.
func (s *Service) Connected(ctx context.Context, c Conn, id Identity) {
	sock := &socketState{conn: c, id: id, memberRooms: map[string]bool{}, connectedAt: chatd.DBTime(s.now()),
		row: id.row, rowFresh: id.row != nil, blocked: id.blocked, blockedFresh: id.Anonymous}
	sock.mu.Lock()
	defer sock.mu.Unlock()
	s.mu.Lock()
	s.sockets[c.ID()] = sock
	s.mu.Unlock()
	s.bindSession(sock)
	greeting := guestGreeting{ID: id.UserID, Alias: id.Alias, TenantID: id.TenantID}
	switch {
	case id.Created:
		c.Emit("userCreated", greeting)
	case id.Resumed:
		c.Emit("userConfirmed", greeting)
	}
	if id.Anonymous || id.MemberOnly {
		return
	}
	var rooms, blocked []string
	if id.staff != nil {
		rooms, blocked = id.staff.Rooms, id.staff.Blocked
	} else {
		var err error
		if rooms, blocked, err = s.store.ConnectState(ctx, id.UserID); err != nil {
			s.log.Error("member rooms lookup failed", slog.String("user_id", id.UserID), slog.String("error", err.Error()))
			return
		}
	}
	sock.blocked, sock.blockedFresh = blocked, true
	if len(rooms) > 0 {
		c.Join(rooms...)
	}
	for _, r := range rooms {
		sock.memberRooms[r] = true
	}
}

// Disconnected forgets a socket. A socket that joined a tenant leaves its
// presence, and the tenant hears about it; an older socket of the same user
// then shows again.
func (s *Service) Disconnected(ctx context.Context, c Conn) {
	s.mu.Lock()
	sock := s.sockets[c.ID()]
	delete(s.sockets, c.ID())
	s.mu.Unlock()
	if sock == nil {
		return
	}
	s.unbindSession(sock)
	sock.mu.Lock()
	defer sock.mu.Unlock()
	sock.gone = true
	if sock.tenant == nil {
		return
	}
	s.leavePresence(ctx, sock)
}

// SanitizeAlias is the alias rule (docs/socket-events.md, "Alias rule"):
// trim, keep letters, digits, space, '-', '_' and accented Latin letters, cut
// to 30 characters, trim again; empty becomes "Guest-" and the socket id's
// first six characters.
func SanitizeAlias(alias, socketID string) string {
	const maxInput = 4096 // anything longer is not an alias; don't scan megabytes
	if len(alias) > maxInput {
		alias = alias[:maxInput]
	}
	var b strings.Builder
	n := 0
	for _, r := range trimJS(alias) {
		if n == 30 {
			break
		}
		if aliasRune(r) {
			b.WriteRune(r)
			n++
		}
	}
	out := trimJS(b.String())
	if out == "" {
		guest := socketID
		if len(guest) > 6 {
			guest = guest[:6]
		}
		return "Guest-" + guest
	}
	return out
}

func aliasRune(r rune) bool {
	return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') ||
		r == ' ' || r == '-' || r == '_' || (r >= 0x00C0 && r <= 0x024F)
}

// trimJS trims what JavaScript's String.prototype.trim trims: Unicode white
// space, line terminators and the BOM.
func trimJS(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r == '\uFEFF' || r == 0x1680 })
}
