package chat

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"chatd"
	"chatd/store"
)

// Limits on a join's user object. The client sends {id, alias, gender,
// status?, image?, joinedAt?}; a data: image (up to the packet size) is
// dropped before anything is kept, the rest must fit in maxUserJSON.
const (
	maxUserJSON  = 4 << 10 // bytes of the user object kept in presence (sent n² times)
	maxStatusLen = 200     // runes of user.status
	maxImageURL  = 2048    // bytes of a stored user.image URL
)

// join is docs/socket-events.md, "join": bind the socket to a tenant,
// publish its user in presence and persist the profile it carries. The
// steps keep the original's order, which the clients see: the alias system
// message, then blockedUsers, then presenceUpdate. A join that changes
// nothing (a re-join with the same user object) writes nothing and
// announces nothing; the tenant still gets its presenceUpdate, as the
// original sent one for every join (ws_block_unblock_user).
func (s *Service) join(ctx context.Context, sock *socketState, payload any) {
	tenant, user, ok := s.joinTarget(ctx, sock, payload)
	if !ok {
		return
	}
	// Presence carries the alias as sent ("join" and "presenceUpdate" in
	// docs/socket-events.md); the stored name and the alias-change message carry
	// it sanitised.
	sentAlias := stringField(user, "alias")
	shown, profile, err := joinUser(user, sock.id.UserID, SanitizeAlias(sentAlias, sock.conn.ID()))
	if err != nil {
		emitError(sock.conn, chatd.ErrInvalidPayload)
		return
	}
	rooms, err := s.roomIDs(ctx, tenant.ID)
	if err != nil {
		s.log.Error("join rooms lookup failed", slog.String("error", err.Error()))
		return
	}
	s.announceAlias(sock, tenant, sentAlias)
	entered := sock.tenant == nil || sock.tenant.ID != tenant.ID
	changed := s.enterPresence(ctx, sock, tenant, rooms, shown)
	sock.alias = sentAlias
	s.saveProfile(ctx, sock, profile)
	sock.conn.Join(append([]string{"tenant:" + tenant.Slug, sock.id.UserID}, rooms...)...)
	s.sendBlocked(ctx, sock)
	if entered {
		s.schedule.joined(tenant.ID, tenant.Slug, sock.conn.ID())
	} else {
		s.schedule.changed(tenant.ID, tenant.Slug)
	}
	if changed {
		s.publish(ctx, Notice{Kind: NoticePresence, ID: tenant.ID})
	}
}

// announceAlias is the alias-change step of "join" (docs/socket-events.md): a
// socket already in a tenant that takes another alias makes the tenant hear a
// system message. It takes the socket's message slot (an alias change is a
// message every member reads), and when the slot is not free the change goes
// unannounced.
func (s *Service) announceAlias(sock *socketState, tenant store.Tenant, sentAlias string) {
	alias := announcedAlias(sentAlias, sock.conn.ID())
	old := sock.shownAlias
	sock.shownAlias = alias
	if sock.tenant == nil || old == alias {
		return
	}
	if wait := s.takeSlot(sock); wait > 0 {
		s.log.Debug("alias change not announced: rate limited", slog.String("socket_id", sock.conn.ID()))
		return
	}
	s.hub.Emit("tenant:"+tenant.Slug, "newMessage", aliasChangeMessage(old, alias, tenant.ID, s.now()))
}

// joinTarget is steps 1–2: a join without user or tenantSlug, or for an
// unknown tenant, is ignored; one for another user than the socket's is
// refused.
func (s *Service) joinTarget(ctx context.Context, sock *socketState, payload any) (store.Tenant, map[string]any, bool) {
	p, _ := payload.(map[string]any)
	user, _ := p["user"].(map[string]any)
	slug, _ := p["tenantSlug"].(string)
	if user == nil || slug == "" || len(slug) > maxIDLen {
		return store.Tenant{}, nil, false
	}
	tenant, err := s.tenants.bySlug(ctx, slug)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			s.log.Error("join tenant lookup failed", slog.String("error", err.Error()))
		}
		return store.Tenant{}, nil, false
	}
	if id, _ := user["id"].(string); id != sock.id.UserID {
		emitError(sock.conn, chatd.ErrNotActingUser) // the socket acts only for its own user
		return store.Tenant{}, nil, false
	}
	return tenant, user, true
}

func (s *Service) roomIDs(ctx context.Context, tenantID string) ([]string, error) {
	rooms, err := s.tenants.roomsOf(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(rooms))
	for i, r := range rooms {
		ids[i] = r.ID
	}
	return ids, nil
}

// enterPresence records the socket in the tenant's presence (leaving the
// tenant it joined before, if another). The latest join of a user is the
// one presence shows. It reports false, writing nothing, when the socket is
// in the tenant already with the same user object and rooms.
func (s *Service) enterPresence(ctx context.Context, sock *socketState, tenant store.Tenant, rooms []string, shown []byte) bool {
	if sock.tenant != nil && sock.tenant.ID == tenant.ID && bytes.Equal(sock.shown, shown) && slices.Equal(sock.tenant.Rooms, rooms) {
		return false
	}
	if sock.tenant != nil && sock.tenant.ID != tenant.ID {
		s.leaveTenant(ctx, sock)
	}
	entry := PresenceEntry{SocketID: sock.conn.ID(), UserID: sock.id.UserID, User: shown, Rooms: rooms,
		JoinedAt: s.joinStamp()}
	if err := s.presence.Put(ctx, tenant.ID, entry); err != nil {
		// Chat still works without presence (Redis down): go on joining.
		s.log.Error("presence put failed", slog.String("error", err.Error()))
	}
	sock.tenant = &joinedTenant{ID: tenant.ID, Slug: tenant.Slug, Rooms: rooms}
	sock.shown = shown
	return true
}

// leavePresence drops the socket's presence entry in its tenant and
// schedules the update, here and on the other processes.
func (s *Service) leavePresence(ctx context.Context, sock *socketState) {
	t := sock.tenant
	if err := s.presence.Remove(ctx, t.ID, sock.conn.ID()); err != nil {
		s.log.Error("presence remove failed", slog.String("socket_id", sock.conn.ID()), slog.String("error", err.Error()))
	}
	s.schedule.left(t.ID, t.Slug, sock.conn.ID())
	s.publish(ctx, Notice{Kind: NoticePresence, ID: t.ID})
}

// sendBlocked tells the joining socket whom its user blocked: on the first
// join what was read at connect, later a fresh read.
func (s *Service) sendBlocked(ctx context.Context, sock *socketState) {
	blocked := sock.blocked
	if !sock.blockedFresh {
		var err error
		if blocked, err = s.store.BlockedIDs(ctx, sock.id.UserID); err != nil {
			s.log.Error("blocked ids lookup failed", slog.String("error", err.Error()))
		}
	}
	sock.blockedFresh, sock.blocked = false, nil
	if blocked == nil {
		blocked = []string{}
	}
	sock.conn.Emit("blockedUsers", blockedUsers{BlockedIDs: blocked})
}

// blockedUsers is the blockedUsers event's payload.
type blockedUsers struct {
	BlockedIDs []string `json:"blockedIds"`
}

// joinUser checks the join's user object and returns what presence shows
// (the object as sent, with the verified id, without a data: image or a
// client-made socketId) and the profile to persist, whose name is storedName.
func joinUser(user map[string]any, userID, storedName string) (json.RawMessage, store.UserProfile, error) {
	profile := store.UserProfile{Name: &storedName, Status: &sql.NullString{}}
	shown := make(map[string]any, len(user))
	for k, v := range user {
		shown[k] = v
	}
	shown["id"] = userID
	delete(shown, "socketId")
	switch status := user["status"].(type) {
	case nil:
	case string:
		if len([]rune(status)) > maxStatusLen {
			return nil, profile, errors.New("status too long")
		}
		profile.Status = &sql.NullString{String: status, Valid: status != ""}
	default:
		return nil, profile, errors.New("status is not a string")
	}
	switch image := user["image"].(type) {
	case nil:
	case string:
		if len(image) <= maxImageURL && chatd.IsAssetURL(image) {
			profile.Image = &sql.NullString{String: image, Valid: true}
		} else {
			// A data: URI (the spec's case), an oversize value or one chatd's
			// URL rule refuses (urls.go) is neither stored nor shown: presence
			// carries what the profile holds.
			delete(shown, "image")
		}
	default:
		return nil, profile, errors.New("image is not a string")
	}
	raw, err := json.Marshal(shown)
	if err != nil || len(raw) > maxUserJSON {
		return nil, profile, fmt.Errorf("user object too large or not JSON: %v", err)
	}
	return raw, profile, nil
}

// leaveTenant takes a socket out of the tenant it joined before: its
// presence entry, the lobby and the rooms it did not hold as staff.
func (s *Service) leaveTenant(ctx context.Context, sock *socketState) {
	old := sock.tenant
	s.leavePresence(ctx, sock)
	sock.conn.Leave("tenant:" + old.Slug)
	for _, r := range old.Rooms {
		if !sock.memberRooms[r] {
			sock.conn.Leave(r)
		}
	}
	sock.tenant = nil
}

// announcedAlias is an alias as the alias-change message shows it: tags
// stripped as from a message's text, trimmed and cut to the stored name's
// 30 characters; nothing left shows as the stored name would,
// "Guest-" and the socket id's first six characters.
func announcedAlias(alias, socketID string) string {
	const maxInput = 4096 // the user object is at most 4 KB anyway
	if len(alias) > maxInput {
		alias = alias[:maxInput]
	}
	alias = trimJS(tagPattern.ReplaceAllString(alias, ""))
	if n := 0; len(alias) > 30 {
		for i := range alias {
			if n == 30 {
				alias = alias[:i]
				break
			}
			n++
		}
	}
	if alias = trimJS(alias); alias == "" {
		return SanitizeAlias("", socketID)
	}
	return alias
}

// aliasChangeMessage is the system message that tells a tenant a user took
// another alias. It is broadcast, never stored.
func aliasChangeMessage(oldAlias, newAlias, tenantID string, now time.Time) map[string]any {
	return map[string]any{
		"id":           store.NewUUID(),
		"text":         "L'utente *" + oldAlias + "* ha modificato il suo alias in *" + newAlias + "*",
		"senderId":     "system",
		"senderAlias":  "System",
		"senderGender": "other",
		"timestamp":    chatd.FormatTime(now),
		"tenantId":     tenantID,
	}
}

// stringField is m[key] when it is a string, else "".
func stringField(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return s
}
