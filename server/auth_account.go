package server

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"errors"
	"net/http"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"chatd"
	"chatd/store"
)

// Limits on what update-user accepts.
const maxStatusLength = 500

// genders are the values the clients offer.
var genders = map[string]bool{"male": true, "female": true, "other": true}

// updateUser is POST /api/auth/update-user: name, image, gender and status only.
// Unlike the original (BetterAuth with input:true additional fields) it
// never lets a user set role, isAnonymous, email or phoneNumber.
func (s *Server) updateUser(c *gin.Context) {
	su := sessionOf(c)
	body, ok := s.readBABody(c, false)
	if !ok {
		return
	}
	p, err := profileFrom(body)
	if err != nil {
		s.authError(c, err)
		return
	}
	if err := s.deps.Store.UpdateUserProfile(c.Request.Context(), su.User.ID, p); err != nil {
		s.authError(c, failure("update user failed", err))
		return
	}
	s.refreshCache(c, su)
	c.JSON(http.StatusOK, gin.H{"status": true})
}

// profileFrom validates update-user's body into the fields to change, or
// returns BetterAuth's 400.
func profileFrom(body jsonObject) (p store.UserProfile, err error) {
	if truthy(body["email"]) {
		return p, chatd.Errorf(chatd.EINVALID, "Email can not be updated")
	}
	for _, f := range []string{"role", "isAnonymous", "phoneNumber"} {
		if truthy(body[f]) {
			return p, chatd.Errorf(chatd.EINVALID, "%s is not allowed to be set", f)
		}
	}
	if name, present, ok := body.str("name"); !ok || utf8.RuneCountInString(name) > maxNameLength {
		return p, baInvalid("Invalid name")
	} else if present {
		p.Name = &name
	}
	if g, present, ok := body.str("gender"); !ok || (present && !genders[g]) {
		return p, baInvalid("Invalid gender")
	} else if present {
		p.Gender = &g
	}
	var bad bool
	if p.Image, bad = nullableString(body, "image", maxImageLength); bad || (p.Image != nil && p.Image.String != "" && !chatd.IsAssetURL(p.Image.String)) {
		return p, baInvalid("Invalid image")
	}
	if p.Status, bad = nullableString(body, "status", maxStatusLength); bad {
		return p, baInvalid("Invalid status")
	}
	if p.Name == nil && p.Gender == nil && p.Image == nil && p.Status == nil {
		return p, chatd.Errorf(chatd.EINVALID, "No fields to update")
	}
	return p, nil
}

// nullableString reads a field that may be set to a string or cleared with
// null; nil when absent, bad when of the wrong type or too long.
func nullableString(body jsonObject, key string, limit int) (v *sql.NullString, bad bool) {
	raw, present := body[key]
	if !present {
		return nil, false
	}
	if string(raw) == "null" {
		return &sql.NullString{}, false
	}
	var s string
	if json.Unmarshal(raw, &s) != nil || utf8.RuneCountInString(s) > limit {
		return nil, true
	}
	return &sql.NullString{String: s, Valid: true}, false
}

// truthy is JavaScript truthiness of a JSON value: absent, null, false, 0
// and "" are falsy.
func truthy(raw json.RawMessage) bool {
	switch v := string(bytes.TrimSpace(raw)); v {
	case "", "null", "false", `""`:
		return false
	default:
		var f float64
		if json.Unmarshal(raw, &f) == nil {
			return f != 0
		}
		return true
	}
}

// refreshCache re-issues session_data after the user changed, so that a
// BetterAuth server reading the cache does not serve the old profile. Only
// a request that came with cookies gets cookies back.
func (s *Server) refreshCache(c *gin.Context, su store.SessionUser) {
	if s.deps.Sessions.Config().CacheMaxAge <= 0 || c.Request.Header.Get("Cookie") == "" {
		return
	}
	u, err := s.deps.Store.UserByID(c.Request.Context(), su.User.ID)
	if err != nil {
		s.log.WarnContext(c.Request.Context(), "session cache not refreshed", "user_id", su.User.ID, "error", err)
		return
	}
	su.User = u
	s.addSetCookies(c, s.cookies(c.Request).CacheCookies(su, s.dontRemember(c.Request), requestCookieNames(c.Request))...)
}

// deleteAccount is DELETE /api/auth/account/delete: the user is deleted
// in one statement and the foreign keys cascade (sessions, accounts,
// passkeys, memberships, …; Message.userId becomes NULL).
func (s *Server) deleteAccount(c *gin.Context) {
	su := sessionOf(c)
	if err := s.deps.Store.DeleteUser(c.Request.Context(), su.User.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
		s.nextError(c, failure("account delete", err), errInternalIT)
		return
	}
	if s.deps.Accounts != nil {
		s.deps.Accounts.DisconnectUser(su.User.ID)
	}
	s.clearSessionCookies(c)
	c.JSON(http.StatusOK, gin.H{"success": true, "message": "Account eliminato permanentemente"})
}

// socketCloser ends a user's live sockets. A deleted account's sockets would
// otherwise go on speaking for a user who no longer exists.
type socketCloser interface {
	DisconnectUser(userID string) int
}
