package chat

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"unicode/utf8"

	"chatd"
	"chatd/store"
)

// Limits on reportUser.
const (
	maxReasonLen  = 500      // runes
	maxDetailsLen = 5000     // runes
	maxContextLen = 64 << 10 // bytes of the context JSON (a few messages)
)

// DeleteMessage is the one delete rule (the socket event and HTTP DELETE
// /api/messages/:id): the user must moderate tenantSlug; the message is
// deleted by id within that tenant and messageDeleted is broadcast, to
// roomID when given, else to the tenant's lobby. Nothing deleted is silent.
func (s *Service) DeleteMessage(ctx context.Context, userID, tenantSlug, messageID, roomID string) error {
	_, err := s.RemoveMessage(ctx, userID, tenantSlug, messageID, roomID)
	return err
}

// RemoveMessage is DeleteMessage that also reports whether a message was
// deleted (HTTP answers {"success": deleted}).
func (s *Service) RemoveMessage(ctx context.Context, userID, tenantSlug, messageID, roomID string) (bool, error) {
	tenant, err := s.tenants.bySlug(ctx, tenantSlug)
	if errors.Is(err, store.ErrNotFound) {
		return false, chatd.ErrNotModerator
	} else if err != nil {
		return false, err
	}
	g, err := s.store.TenantGrant(ctx, userID, tenant.ID)
	if err != nil {
		return false, err
	} else if !g.Moderator() { // access.go
		return false, chatd.ErrNotModerator
	}
	deleted, err := s.store.DeleteMessage(ctx, tenant.ID, messageID)
	if err != nil || !deleted {
		return false, err
	}
	// Only a room of this tenant hears it: a client-named room must not
	// turn a moderator into a sender to any room (or user) of the cluster.
	if room, err := s.room(ctx, tenant.ID, roomID); err != nil || room == nil {
		roomID = ""
	}
	if roomID != "" {
		s.hub.Emit(roomID, "messageDeleted", map[string]any{"messageId": messageID, "roomId": roomID})
	} else {
		s.hub.Emit("tenant:"+tenant.Slug, "messageDeleted", map[string]any{"messageId": messageID})
	}
	return true, nil
}

// deleteMessage is the socket event: it acts within the joined tenant only.
func (s *Service) deleteMessage(ctx context.Context, sock *socketState, payload any) {
	p, _ := payload.(map[string]any)
	id, _ := p["messageId"].(string)
	roomID, roomOK := p["roomId"].(string)
	if sock.tenant == nil || id == "" || len(id) > maxIDLen || (p["roomId"] != nil && (!roomOK || len(roomID) > maxIDLen)) {
		return
	}
	if sock.id.MemberOnly { // bound without a credential: never a moderator (chatd.MayModerate)
		emitError(sock.conn, chatd.ErrNotModerator)
		return
	}
	_, err := s.RemoveMessage(ctx, sock.id.UserID, sock.tenant.Slug, id, roomID)
	if errors.Is(err, chatd.ErrNotModerator) {
		emitError(sock.conn, err)
	} else if err != nil {
		s.log.Error("delete message failed", slog.String("message_id", id), slog.String("error", err.Error()))
	}
}

// blockUser blocks a user for the socket's own user.
func (s *Service) blockUser(ctx context.Context, sock *socketState, payload any) {
	p, _ := payload.(map[string]any)
	id, _ := p["blockedId"].(string)
	if id == "" || len(id) > maxIDLen || id == sock.id.UserID || !s.ensureRow(ctx, sock) {
		return
	}
	if err := s.store.BlockUser(ctx, sock.id.UserID, id); err != nil {
		s.logWrite("block user", err)
		return
	}
	if sock.blockedFresh && !slices.Contains(sock.blocked, id) {
		sock.blocked = append(sock.blocked, id) // the first join's blockedUsers is read at connect
	}
	sock.conn.Emit("userBlocked", map[string]any{"blockedId": id})
}

// unblockUser lifts the socket's user's block.
func (s *Service) unblockUser(ctx context.Context, sock *socketState, payload any) {
	p, _ := payload.(map[string]any)
	id, _ := p["blockedId"].(string)
	if id == "" || len(id) > maxIDLen {
		return
	}
	if err := s.store.UnblockUser(ctx, sock.id.UserID, id); err != nil {
		s.logWrite("unblock user", err)
		return
	}
	if sock.blockedFresh {
		sock.blocked = slices.DeleteFunc(sock.blocked, func(b string) bool { return b == id })
	}
	sock.conn.Emit("userUnblocked", map[string]any{"unblockedId": id})
}

// reportUser files a report in the joined tenant.
func (s *Service) reportUser(ctx context.Context, sock *socketState, payload any) {
	p, _ := payload.(map[string]any)
	accused, _ := p["accusedId"].(string)
	reason, _ := p["reason"].(string)
	if sock.tenant == nil || accused == "" || len(accused) > maxIDLen || reason == "" {
		return
	}
	details, detailsOK := p["details"].(string)
	if utf8.RuneCountInString(reason) > maxReasonLen || (p["details"] != nil && !detailsOK) ||
		utf8.RuneCountInString(details) > maxDetailsLen {
		emitError(sock.conn, chatd.ErrInvalidPayload)
		return
	}
	r := store.Report{ReporterID: sock.id.UserID, AccusedID: accused, Reason: reason,
		Details: nullString(details), TenantID: sock.tenant.ID}
	if c, ok := p["context"]; ok && c != nil {
		raw, err := json.Marshal(c)
		if err != nil || len(raw) > maxContextLen {
			emitError(sock.conn, chatd.ErrInvalidPayload)
			return
		}
		r.Context = store.NullJSON{JSON: raw, Valid: true}
	}
	if !s.ensureRow(ctx, sock) {
		return
	}
	if _, err := s.store.CreateReport(ctx, r); err != nil {
		s.logWrite("report user", err)
		return
	}
	sock.conn.Emit("reportSubmitted", nil)
}

// hideConversation hides a private conversation in the joined tenant.
func (s *Service) hideConversation(ctx context.Context, sock *socketState, payload any) {
	p, _ := payload.(map[string]any)
	peer, _ := p["peerId"].(string)
	slug, _ := p["tenantSlug"].(string)
	if sock.tenant == nil || peer == "" || len(peer) > maxIDLen || slug != sock.tenant.Slug {
		return
	}
	if !s.ensureRow(ctx, sock) {
		return
	}
	if err := s.store.HideConversation(ctx, sock.id.UserID, peer, sock.tenant.ID); err != nil {
		s.logWrite("hide conversation", err)
		return
	}
	sock.conn.Emit("conversationHidden", map[string]any{"peerId": peer})
}

// logWrite logs a failed write; an unknown user is a client mistake, not a
// server problem.
func (s *Service) logWrite(op string, err error) {
	if errors.Is(err, store.ErrNotFound) {
		s.log.Info(op+" refused", slog.String("error", err.Error()))
		return
	}
	s.log.Error(op+" failed", slog.String("error", err.Error()))
}
