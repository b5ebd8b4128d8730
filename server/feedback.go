package server

import (
	"database/sql"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"chatd"
	"chatd/store"
)

const maxFeedbackComment = 2000 // characters

// feedbackJSON is a feedback row with its author as a PublicUser (D10).
type feedbackJSON struct {
	ID        string         `json:"id"`
	Score     int            `json:"score"`
	Comment   *string        `json:"comment"`
	UserID    string         `json:"userId"`
	TenantID  string         `json:"tenantId"`
	CreatedAt string         `json:"createdAt"`
	User      publicUserJSON `json:"user"`
}

func newFeedbackJSON(f store.FeedbackWithUser) feedbackJSON {
	return feedbackJSON{ID: f.ID, Score: f.Score, Comment: nullString(f.Comment), UserID: f.UserID,
		TenantID: f.TenantID, CreatedAt: chatd.FormatTime(f.CreatedAt), User: newPublicUser(f.User)}
}

// feedbackUser resolves who is giving or reading feedback (A10 steps 2–3,
// A11 steps 1–2): the session, or without one and outside STRICT_AUTH the
// claimed userId of an existing user. It answers the request itself and
// returns ok=false when the caller must stop.
func (s *Server) feedbackUser(c *gin.Context, claimed, internal string) (store.User, bool) {
	su, hasSession, err := s.sessionFrom(c)
	if err != nil {
		s.failNext(c, err, internal)
		return store.User{}, false
	}
	if hasSession {
		if claimed != "" && claimed != su.User.ID {
			c.AbortWithStatusJSON(http.StatusForbidden, gin.H{"error": "Forbidden"})
			return store.User{}, false
		}
		return su.User, true
	}
	if claimed != "" && !s.cfg.StrictAuth {
		u, err := s.deps.Store.UserByID(c.Request.Context(), claimed)
		if err == nil {
			return u, true
		} else if !errors.Is(err, store.ErrNotFound) {
			s.failNext(c, err, internal)
			return store.User{}, false
		}
	}
	c.AbortWithStatusJSON(http.StatusUnauthorized, gin.H{"error": "Unauthorized"})
	return store.User{}, false
}

// postFeedback is A10, the merged Next + Nest feedback post.
func (s *Server) postFeedback(c *gin.Context) {
	const internal = "Failed to submit feedback"
	body, err := readJSONObject(c, jsonBodyLimit)
	if err != nil {
		s.bodyErrorNext(c, err)
		return
	}
	claimed, _, ok := body.str("userId")
	if !ok {
		c.AbortWithStatusJSON(http.StatusBadRequest, gin.H{"error": "Invalid request body"})
		return
	}
	u, ok := s.feedbackUser(c, claimed, internal)
	if !ok {
		return
	}
	if ok, retry := s.feedback.allow(s.origins.ClientIP(c.Request), u.ID, s.now()); !ok {
		c.Header("Retry-After", strconv.Itoa(retry))
		c.AbortWithStatusJSON(http.StatusTooManyRequests, gin.H{"error": "Too many requests", "retryAfter": retry})
		return
	}
	t, err := s.deps.Store.TenantBySlug(c.Request.Context(), c.Param("slug"))
	if errors.Is(err, store.ErrNotFound) {
		c.AbortWithStatusJSON(http.StatusNotFound, gin.H{"error": "Tenant not found"})
		return
	} else if err != nil {
		s.failNext(c, err, internal)
		return
	}
	f := store.Feedback{UserID: u.ID, TenantID: t.ID}
	if f.Score, ok = feedbackScore(body); !ok {
		c.AbortWithStatusJSON(http.StatusBadRequest, gin.H{"error": "Invalid score"})
		return
	}
	if f.Comment, ok = feedbackComment(body); !ok {
		c.AbortWithStatusJSON(http.StatusBadRequest, gin.H{"error": "Invalid comment"})
		return
	}
	saved, err := s.deps.Store.CreateFeedback(c.Request.Context(), f)
	if err != nil {
		s.failNext(c, err, internal)
		return
	}
	c.JSON(http.StatusOK, newFeedbackJSON(saved))
}

// feedbackScore is body.score when it is a whole JSON number from 1 to 10.
func feedbackScore(body jsonObject) (int, bool) {
	var n float64
	if !body.has("score") || json.Unmarshal(body["score"], &n) != nil {
		return 0, false
	}
	if n != math.Trunc(n) || n < 1 || n > 10 {
		return 0, false
	}
	return int(n), true
}

// feedbackComment is body.comment: absent, null or "" store NULL; a string
// of at most 2000 characters is kept as given.
func feedbackComment(body jsonObject) (c sql.NullString, ok bool) {
	v, present, ok := body.str("comment")
	if !ok || utf8.RuneCountInString(v) > maxFeedbackComment {
		return c, false
	}
	return sql.NullString{String: v, Valid: present && v != ""}, true
}

// listFeedback is A11: a tenant admin reads the tenant's feedback, newest
// first. The original let any user id read it (D5).
func (s *Server) listFeedback(c *gin.Context) {
	const internal = "Failed to fetch feedback"
	claimed := c.Query("userId")
	u, ok := s.feedbackUser(c, claimed, internal)
	if !ok {
		return
	}
	t, err := s.deps.Store.TenantBySlug(c.Request.Context(), c.Param("slug"))
	if errors.Is(err, store.ErrNotFound) {
		c.AbortWithStatusJSON(http.StatusNotFound, gin.H{"error": "Tenant not found"})
		return
	} else if err != nil {
		s.failNext(c, err, internal)
		return
	}
	if admin, err := s.isTenantAdmin(c, u, t.ID); err != nil {
		s.failNext(c, err, internal)
		return
	} else if !admin {
		c.AbortWithStatusJSON(http.StatusForbidden, gin.H{"error": "Forbidden"})
		return
	}
	list, err := s.deps.Store.FeedbackByTenant(c.Request.Context(), t.ID)
	if err != nil {
		s.failNext(c, err, internal)
		return
	}
	out := make([]feedbackJSON, 0, len(list))
	for _, f := range list {
		out = append(out, newFeedbackJSON(f))
	}
	c.JSON(http.StatusOK, out)
}
