package server

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"chatd"
	"chatd/store"
)

// historyWindow is how far back history goes when the client gives no since.
const historyWindow = 48 * time.Hour

// messageDeleter is the chat service's delete rule, the one the socket event
// deleteMessage runs: it deletes within the tenant and tells the room
// (messageDeleted), so an HTTP delete is seen live like a socket one.
// *chat.Service implements it; deleted reports whether a row went away.
type messageDeleter interface {
	RemoveMessage(ctx context.Context, userID, tenantSlug, messageID, roomID string) (deleted bool, err error)
}

// messageJSON is every column of "Message" plus timestamp (= createdAt), which
// the client reads and the original never sent (docs/differences.md, "History
// messages carry timestamp").
type messageJSON struct {
	ID           string  `json:"id"`
	Text         string  `json:"text"`
	ImageURL     *string `json:"imageUrl"`
	CreatedAt    string  `json:"createdAt"`
	SenderID     string  `json:"senderId"`
	SenderAlias  string  `json:"senderAlias"`
	SenderGender string  `json:"senderGender"`
	RecipientID  *string `json:"recipientId"`
	RoomID       *string `json:"roomId"`
	UserID       *string `json:"userId"`
	TenantID     string  `json:"tenantId"`
	Timestamp    string  `json:"timestamp"`
}

func newMessagesJSON(msgs []store.Message) []messageJSON {
	out := make([]messageJSON, 0, len(msgs))
	for _, m := range msgs {
		at := chatd.FormatTime(m.CreatedAt)
		out = append(out, messageJSON{ID: m.ID, Text: m.Text, ImageURL: nullString(m.ImageURL), CreatedAt: at,
			SenderID: m.SenderID, SenderAlias: m.SenderAlias, SenderGender: m.SenderGender,
			RecipientID: nullString(m.RecipientID), RoomID: nullString(m.RoomID), UserID: nullString(m.UserID),
			TenantID: m.TenantID, Timestamp: at})
	}
	return out
}

// parseSince accepts RFC 3339 with or without fractional seconds, or a plain
// date (UTC midnight).
func parseSince(v string) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, true
	}
	if t, err := time.Parse("2006-01-02", v); err == nil {
		return t, true
	}
	return time.Time{}, false
}

// historyQuery reads since and the tenant (tenantId, else the slug in tenant)
// shared by GET /api/messages and GET /api/messages/private. found is false
// when no tenant resolves, which both answer with [].
func (s *Server) historyQuery(c *gin.Context) (tenantID string, since time.Time, found bool, err error) {
	since = s.now().Add(-historyWindow).Add(-time.Millisecond) // ">= now-48h" as an exclusive bound
	if v := c.Query("since"); v != "" {
		var ok bool
		if since, ok = parseSince(v); !ok {
			return "", since, false, chatd.Errorf(chatd.EINVALID, "Invalid since parameter")
		}
	}
	if id := c.Query("tenantId"); id != "" {
		return id, since, true, nil
	}
	slug := c.Query("tenant")
	if slug == "" {
		return "", since, false, nil
	}
	t, err := s.deps.Store.TenantBySlug(c.Request.Context(), slug)
	if errors.Is(err, store.ErrNotFound) {
		return "", since, false, nil
	}
	return t.ID, since, err == nil, err
}

// roomHistory is GET /api/messages: a room's (or the tenant's room-less) public history.
func (s *Server) roomHistory(c *gin.Context) {
	tenantID, since, found, err := s.historyQuery(c)
	if err != nil {
		s.nestError(c, err)
		return
	} else if !found {
		c.JSON(http.StatusOK, []messageJSON{})
		return
	}
	msgs, err := s.deps.Store.RoomHistory(c.Request.Context(), tenantID, c.Query("roomId"), since)
	if err != nil {
		s.nestError(c, err)
		return
	}
	c.JSON(http.StatusOK, newMessagesJSON(msgs))
}

// privateHistory serves the acting user's private messages
// (chatd.ActingUser): without STRICT_AUTH a request without a session is
// served for the userId it names; a presented session must match.
func (s *Server) privateHistory(c *gin.Context) {
	named := c.Query("userId")
	su, _, err := s.sessionFrom(c)
	if err != nil {
		s.nestError(c, err)
		return
	}
	userID, err := chatd.ActingUser(s.cfg.StrictAuth, su.User.ID, named)
	if err != nil {
		s.nestError(c, err)
		return
	} else if named == "" && !s.cfg.StrictAuth {
		userID = "" // compatibility: no userId is nobody's history, session or not
	}
	tenantID, since, found, err := s.historyQuery(c)
	if err != nil {
		s.nestError(c, err)
		return
	} else if !found || userID == "" {
		c.JSON(http.StatusOK, []messageJSON{})
		return
	}
	msgs, err := s.deps.Store.PrivateHistory(c.Request.Context(), tenantID, userID, since)
	if err != nil {
		s.nestError(c, err)
		return
	}
	c.JSON(http.StatusOK, newMessagesJSON(msgs))
}

// deleteMessage: a moderator (chatd.Grant.Moderator) of the X-Tenant-Slug
// tenant deletes a message of that tenant, behind requireSession.
func (s *Server) deleteMessage(c *gin.Context) {
	su := sessionOf(c)
	t, allowed, err := s.moderatedTenant(c, su.User)
	if err != nil {
		s.nestError(c, err)
		return
	} else if !allowed {
		s.nestError(c, chatd.Errorf(chatd.EFORBIDDEN, "Not authorized to delete messages"))
		return
	}
	if id := c.Query("tenantId"); id != "" && id != t.ID {
		s.nestError(c, chatd.Errorf(chatd.EFORBIDDEN, "Tenant ID required"))
		return
	}
	deleted, err := s.deleteTenantMessage(c, su.User.ID, t, c.Param("id"))
	if err != nil {
		s.nestError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"success": deleted})
}

// moderatedTenant is the tenant of the x-tenant-slug header, and whether u
// may moderate it; a missing or unknown tenant is simply not allowed.
func (s *Server) moderatedTenant(c *gin.Context, u store.User) (store.Tenant, bool, error) {
	slug := strings.TrimSpace(c.GetHeader("X-Tenant-Slug"))
	if slug == "" {
		return store.Tenant{}, false, nil
	}
	t, err := s.deps.Store.TenantBySlug(c.Request.Context(), slug)
	if errors.Is(err, store.ErrNotFound) {
		return store.Tenant{}, false, nil
	} else if err != nil {
		return store.Tenant{}, false, err
	}
	g, err := s.grant(c, u.ID, t.ID)
	return t, g.Moderator(), err
}

// deleteTenantMessage deletes through the chat service when it is wired, so
// the room hears messageDeleted; otherwise straight from the store. The
// message is looked up first for the room the broadcast goes to.
func (s *Server) deleteTenantMessage(c *gin.Context, userID string, t store.Tenant, id string) (bool, error) {
	ctx := c.Request.Context()
	if s.deps.Messages == nil {
		return s.deps.Store.DeleteMessage(ctx, t.ID, id)
	}
	m, err := s.deps.Store.TenantMessage(ctx, t.ID, id)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	deleted, err := s.deps.Messages.RemoveMessage(ctx, userID, t.Slug, id, m.RoomID.String)
	if chatd.ErrorCode(err) == chatd.EFORBIDDEN { // the same rule (access.go); kept for a race with a role change
		return false, chatd.Errorf(chatd.EFORBIDDEN, "Not authorized to delete messages")
	}
	return deleted, err
}
