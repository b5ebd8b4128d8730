package server

import (
	"database/sql"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"chatd"
	"chatd/store"
)

const maxFeedbackComment = 2000 // characters

// feedbackJSON is a feedback row with its author as a PublicUser
// (docs/differences.md, "Less personal and network data").
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

// feedbackUser resolves who is giving or reading feedback: the acting
// user (chatd.ActingUser), who without a session must be an existing user
// (docs/http-routes.md, "POST /api/tenants/:slug/feedback", steps 2–3). It
// answers the request itself and returns ok=false when the caller must stop.
func (s *Server) feedbackUser(c *gin.Context, claimed, internal string) (store.User, bool) {
	su, hasSession, err := s.sessionFrom(c)
	if err != nil {
		s.nextError(c, err, internal)
		return store.User{}, false
	}
	acting, err := chatd.ActingUser(s.cfg.StrictAuth, su.User.ID, claimed)
	switch {
	case err != nil:
		s.nextError(c, err, internal)
		return store.User{}, false
	case hasSession:
		return su.User, true
	case acting == "":
		s.nextError(c, errUnauthorized, internal)
		return store.User{}, false
	}
	u, err := s.deps.Store.UserByID(c.Request.Context(), acting)
	if errors.Is(err, store.ErrNotFound) {
		err = errUnauthorized // a user is never created here
	}
	if err != nil {
		s.nextError(c, err, internal)
		return store.User{}, false
	}
	return u, true
}

// postFeedback is POST /api/tenants/:slug/feedback, the merged Next + Nest feedback post.
func (s *Server) postFeedback(c *gin.Context) {
	const internal = "Failed to submit feedback"
	body, err := readJSONObject(c, jsonBodyLimit)
	if err != nil {
		s.nextError(c, err, internal)
		return
	}
	claimed, _, ok := body.str("userId")
	if !ok {
		s.nextError(c, errBadRequestBody, internal)
		return
	}
	u, ok := s.feedbackUser(c, claimed, internal)
	if !ok {
		return
	}
	if ok, retry := s.feedback.allow(s.origins.ClientIP(c.Request), u.ID, s.now()); !ok {
		s.nextError(c, &chatd.Error{Code: chatd.ERATELIMIT, Message: "Too many requests", RetryAfter: retry}, internal)
		return
	}
	t, err := s.deps.Store.TenantBySlug(c.Request.Context(), c.Param("slug"))
	if errors.Is(err, store.ErrNotFound) {
		s.nextError(c, errNotFoundTenant, internal)
		return
	} else if err != nil {
		s.nextError(c, err, internal)
		return
	}
	f := store.Feedback{UserID: u.ID, TenantID: t.ID}
	if f.Score, ok = feedbackScore(body); !ok {
		s.nextError(c, chatd.Errorf(chatd.EINVALID, "Invalid score"), internal)
		return
	}
	if f.Comment, ok = feedbackComment(body); !ok {
		s.nextError(c, chatd.Errorf(chatd.EINVALID, "Invalid comment"), internal)
		return
	}
	saved, err := s.deps.Store.CreateFeedback(c.Request.Context(), f)
	if err != nil {
		s.nextError(c, err, internal)
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

// listFeedback is GET /api/tenants/:slug/feedback: a tenant admin reads the
// tenant's feedback, newest first. The original let any user id read it
// (docs/differences.md, "Feedback rules").
func (s *Server) listFeedback(c *gin.Context) {
	const internal = "Failed to fetch feedback"
	claimed := c.Query("userId")
	u, ok := s.feedbackUser(c, claimed, internal)
	if !ok {
		return
	}
	t, err := s.deps.Store.TenantBySlug(c.Request.Context(), c.Param("slug"))
	if errors.Is(err, store.ErrNotFound) {
		s.nextError(c, errNotFoundTenant, internal)
		return
	} else if err != nil {
		s.nextError(c, err, internal)
		return
	}
	if g, err := s.grant(c, u.ID, t.ID); err != nil {
		s.nextError(c, err, internal)
		return
	} else if !g.Admin() {
		s.nextError(c, errForbidden, internal)
		return
	}
	list, err := s.deps.Store.FeedbackByTenant(c.Request.Context(), t.ID)
	if err != nil {
		s.nextError(c, err, internal)
		return
	}
	out := make([]feedbackJSON, 0, len(list))
	for _, f := range list {
		out = append(out, newFeedbackJSON(f))
	}
	c.JSON(http.StatusOK, out)
}
