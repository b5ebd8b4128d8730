package chat

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"log/slog"
	"regexp"
	"time"
	"unicode/utf8"

	"chatd"
	"chatd/store"
)

// Limits on sendMessage. An image travels as a data: URL inside the
// 1,000,000-byte packet, so it may use all of it; the text is short chat.
const (
	maxRawText    = 64 << 10  // bytes of text as sent (tags still in it)
	maxText       = 4000      // runes of text after sanitising
	maxImageLen   = 1_000_000 // bytes of imageUrl
	maxAliasLen   = 100       // runes of senderAlias
	maxGenderLen  = 32        // bytes of senderGender
	maxEchoFields = 32        // keys of the message object
	maxEchoJSON   = 8 << 10   // bytes of the object without text and imageUrl
)

// messageIDPattern is what a client-made message id must look like: a UUID
// (the app makes it with crypto.randomUUID), any version, any case.
var messageIDPattern = regexp.MustCompile(`^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$`)

// tagPattern is the original's sanitiser: every "<...>" goes.
var tagPattern = regexp.MustCompile(`<[^>]*>`)

// outgoing is a checked sendMessage payload.
type outgoing struct {
	raw         map[string]any
	id          string
	text        string
	imageURL    string
	senderID    string
	senderAlias string
	gender      string
	recipientID string
	roomID      string
}

// sendMessage is docs/socket-events.md, "sendMessage": check, rate-limit,
// vet, persist, then deliver. Nothing is delivered that was not stored.
func (s *Service) sendMessage(ctx context.Context, sock *socketState, payload any) {
	p, _ := payload.(map[string]any)
	if (falsy(p["text"]) && falsy(p["imageUrl"])) || sock.tenant == nil {
		return // nothing to send, or no tenant: ignored without taking the rate-limit slot
	}
	m, ok := checkOutgoing(p)
	if !ok {
		emitError(sock.conn, chatd.ErrInvalidPayload)
		return
	}
	if wait := s.takeSlot(sock); wait > 0 {
		sock.conn.Emit("rateLimited", map[string]any{"retryAfter": wait.Milliseconds()})
		return
	}
	if err := s.vet(ctx, sock, &m); err != nil {
		if err != errDropped {
			emitError(sock.conn, err)
		}
		return
	}
	now := chatd.DBTime(s.now())
	if s.persist(ctx, sock, &m, now) {
		s.route(ctx, sock, m, echo(m, sock.tenant, now))
	}
}

// errDropped is vet's answer for a message that is dropped without a word
// (nothing left after cleaning), as the original did.
var errDropped = errors.New("chat: message dropped")

// vet applies the rules after the rate limit, in the original's order:
// announcement rooms, sanitising (empty is dropped silently), then the
// deliberate checks on sender and room. It returns the error to send,
// errDropped to drop the message silently, or nil.
func (s *Service) vet(ctx context.Context, sock *socketState, m *outgoing) error {
	room, err := s.room(ctx, sock.tenant.ID, m.roomID)
	if err != nil {
		s.log.Error("send rooms lookup failed", slog.String("error", err.Error()))
		return chatd.ErrMessageNotSaved
	}
	if room != nil && room.Type == store.RoomTypeAnnouncement && !s.mayModerate(ctx, sock) {
		return chatd.ErrAnnouncementOff
	}
	m.text = trimJS(tagPattern.ReplaceAllString(m.text, ""))
	switch {
	case m.text == "" && m.imageURL == "":
		return errDropped
	case utf8.RuneCountInString(m.text) > maxText:
		return chatd.ErrMessageTooLong
	case m.senderID != sock.id.UserID: // the socket acts only for its own user
		return chatd.ErrNotActingUser
	case m.roomID != "" && room == nil:
		// Not a room of the joined tenant: it cannot be stored there (the
		// original failed on the foreign key the same way).
		return chatd.ErrMessageNotSaved
	}
	return s.vetRecipient(ctx, m.recipientID)
}

// vetRecipient requires a private message's recipient to be a user: the
// message goes to the room named by recipientId, which must never be a
// chat room or a tenant's lobby.
func (s *Service) vetRecipient(ctx context.Context, recipientID string) error {
	if recipientID == "" {
		return nil
	}
	_, err := s.store.UserByID(ctx, recipientID)
	if errors.Is(err, store.ErrNotFound) {
		return chatd.ErrMessageNotSaved
	} else if err != nil {
		s.log.Error("recipient lookup failed", slog.String("error", err.Error()))
		return chatd.ErrMessageNotSaved
	}
	return nil
}

// checkOutgoing checks types and sizes; anything off makes the whole
// message malformed.
func checkOutgoing(p map[string]any) (outgoing, bool) {
	m := outgoing{raw: p}
	var ok bool
	if m.id, ok = p["id"].(string); !ok || !messageIDPattern.MatchString(m.id) {
		return m, false
	}
	if m.senderID, ok = p["senderId"].(string); !ok || m.senderID == "" || len(m.senderID) > maxIDLen {
		return m, false
	}
	fields := []struct {
		key string
		dst *string
		max int
	}{
		{"text", &m.text, maxRawText}, {"imageUrl", &m.imageURL, maxImageLen},
		{"senderAlias", &m.senderAlias, maxAliasLen * 4}, {"senderGender", &m.gender, maxGenderLen},
		{"recipientId", &m.recipientID, maxIDLen}, {"roomId", &m.roomID, maxIDLen},
	}
	for _, f := range fields {
		switch v := p[f.key].(type) {
		case nil:
		case string:
			if len(v) > f.max {
				return m, false
			}
			*f.dst = v
		default:
			return m, false
		}
	}
	if utf8.RuneCountInString(m.senderAlias) > maxAliasLen || (m.imageURL != "" && !isImageURL(m.imageURL)) {
		return m, false
	}
	if len(p) > maxEchoFields {
		return m, false
	}
	rest := make(map[string]any, len(p))
	for k, v := range p {
		if k != "text" && k != "imageUrl" {
			rest[k] = v
		}
	}
	raw, err := json.Marshal(rest)
	return m, err == nil && len(raw) <= maxEchoJSON
}

// isImageURL is chatd's URL rule (urls.go) for a message's image: an inline
// base64 image, an http(s) URL or an upload of this server.
func isImageURL(s string) bool {
	return chatd.IsInlineImage(s) || chatd.IsAssetURL(s)
}

// takeSlot applies the per-socket rate limit: it takes the slot and returns
// 0, or returns how long until the slot frees. The rule is a minimum
// interval, not a rate: x/time/rate with burst 1 admits the same messages,
// but its float token arithmetic puts the retryAfter it would report 1 ms
// off the rule's for about one elapsed time in five.
func (s *Service) takeSlot(sock *socketState) time.Duration {
	now := s.now()
	if sock.hasSent {
		if elapsed := now.Sub(sock.lastSent); elapsed < s.cfg.MessageInterval {
			// Whole milliseconds, at least 1: the client waits retryAfter ms.
			wait := (s.cfg.MessageInterval - elapsed).Truncate(time.Millisecond)
			return max(wait, time.Millisecond)
		}
	}
	sock.lastSent, sock.hasSent = now, true
	return 0
}

// room returns the tenant's room with this id, nil when id is "" or names no
// room of the tenant.
func (s *Service) room(ctx context.Context, tenantID, id string) (*store.Room, error) {
	if id == "" {
		return nil, nil
	}
	rooms, err := s.tenants.roomsOf(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	for i := range rooms {
		if rooms[i].ID == id {
			return &rooms[i], nil
		}
	}
	return nil, nil
}

// mayModerate is chatd.MayModerate for the socket's user in its joined
// tenant; a failed lookup is "no".
func (s *Service) mayModerate(ctx context.Context, sock *socketState) bool {
	if sock.id.MemberOnly {
		return false // no query: the answer is no whatever the grant
	}
	g, err := s.store.TenantGrant(ctx, sock.id.UserID, sock.tenant.ID)
	if err != nil {
		s.log.Error("moderation check failed", slog.String("error", err.Error()))
		return false
	}
	return chatd.MayModerate(g, sock.id.MemberOnly)
}

// persist stores the message before anyone hears of it: it is written
// together with the other sockets' messages of the moment (message_writer.go)
// and acknowledged once committed. A duplicate id is dropped silently (a
// client retry); any other failure tells the sender.
func (s *Service) persist(ctx context.Context, sock *socketState, m *outgoing, now time.Time) bool {
	if !s.ensureRow(ctx, sock) {
		emitError(sock.conn, chatd.ErrMessageNotSaved)
		return false
	}
	gender := m.gender
	if gender == "" {
		gender = "other"
	}
	alias := m.senderAlias
	if _, sent := m.raw["senderAlias"]; !sent {
		alias = sock.alias
	}
	row := store.Message{
		ID: m.id, Text: m.text, ImageURL: nullString(m.imageURL), CreatedAt: now,
		SenderID: m.senderID, SenderAlias: alias, SenderGender: gender,
		RecipientID: nullString(m.recipientID), RoomID: nullString(m.roomID),
		UserID: nullString(m.senderID), TenantID: sock.tenant.ID,
	}
	err := s.messages.write(row)
	if errors.Is(err, store.ErrConflict) {
		s.log.Info("duplicate message dropped", slog.String("message_id", m.id))
		return false
	} else if err != nil {
		s.log.Error("message not saved", slog.String("message_id", m.id), slog.String("error", err.Error()))
		emitError(sock.conn, chatd.ErrMessageNotSaved)
		return false
	}
	return true
}

// echo is what the receivers get: the client's own object, every key kept,
// with the sanitised text, the server's timestamp and the joined tenant.
func echo(m outgoing, tenant *joinedTenant, now time.Time) map[string]any {
	out := make(map[string]any, len(m.raw)+1)
	for k, v := range m.raw {
		out[k] = v
	}
	out["text"] = m.text
	out["timestamp"] = chatd.FormatTime(now)
	// The message lives in the joined tenant whatever the client wrote.
	if _, ok := out["tenantId"]; ok {
		out["tenantId"] = tenant.ID
	}
	if _, ok := out["tenantSlug"]; ok {
		out["tenantSlug"] = tenant.Slug
	}
	return out
}

// route delivers a stored message: a private one to both users' rooms
// unless either blocked the other, a room message to the room, anything
// else to the tenant's lobby.
func (s *Service) route(ctx context.Context, sock *socketState, m outgoing, msg map[string]any) {
	switch {
	case m.recipientID != "":
		blocked, err := s.store.BlockedEitherWay(ctx, m.senderID, m.recipientID)
		if err != nil {
			s.log.Error("block check failed", slog.String("error", err.Error()))
			return // stored; not delivering is the safe side of a failed check
		}
		if blocked {
			return
		}
		s.hub.Emit(m.recipientID, "privateMessage", msg)
		if m.recipientID != m.senderID {
			s.hub.Emit(m.senderID, "privateMessage", msg)
		}
	case m.roomID != "":
		s.hub.Emit(m.roomID, "newMessage", msg)
	default:
		s.hub.Emit("tenant:"+sock.tenant.Slug, "newMessage", msg)
	}
}

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// falsy is JavaScript's falsiness for a decoded JSON value.
func falsy(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case string:
		return v == ""
	case bool:
		return !v
	case float64:
		return v == 0
	}
	return false
}
