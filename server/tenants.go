package server

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"regexp"
	"strings"

	"github.com/gin-gonic/gin"

	"chatd"
	"chatd/store"
)

// tenantJSON is every column of "Tenant" except bssid and staticIp, which would
// tell anyone how a venue's network is recognised (docs/differences.md, "Less
// personal and network data").
type tenantJSON struct {
	ID              string         `json:"id"`
	Name            string         `json:"name"`
	Slug            string         `json:"slug"`
	Metadata        store.NullJSON `json:"metadata"`
	LogoURL         *string        `json:"logoUrl"`
	Address         *string        `json:"address"`
	Latitude        *float64       `json:"latitude"`
	Longitude       *float64       `json:"longitude"`
	MenuEnabled     bool           `json:"menuEnabled"`
	FeedbackEnabled bool           `json:"feedbackEnabled"`
	StaffEnabled    bool           `json:"staffEnabled"`
	MenuURL         *string        `json:"menuUrl"`
	CreatedAt       string         `json:"createdAt"`
	UpdatedAt       string         `json:"updatedAt"`
}

// tenantWithRoomsJSON is a tenant with "rooms", always an array: the app
// takes rooms[0] as the default room, so a tenant without rooms must still
// send "rooms": [].
type tenantWithRoomsJSON struct {
	tenantJSON
	Rooms []roomJSON `json:"rooms"`
}

type roomJSON struct {
	ID          string  `json:"id"`
	Name        string  `json:"name"`
	Description *string `json:"description"`
	Type        string  `json:"type"`
	TenantID    string  `json:"tenantId"`
	CreatedAt   string  `json:"createdAt"`
}

type tenantSummaryJSON struct {
	ID        string   `json:"id"`
	Name      string   `json:"name"`
	Slug      string   `json:"slug"`
	LogoURL   *string  `json:"logoUrl"`
	Latitude  *float64 `json:"latitude"`
	Longitude *float64 `json:"longitude"`
}

func nullString(s sql.NullString) *string {
	if !s.Valid {
		return nil
	}
	return &s.String
}

func nullFloat(f sql.NullFloat64) *float64 {
	if !f.Valid {
		return nil
	}
	return &f.Float64
}

func newTenantJSON(t store.Tenant) tenantJSON {
	return tenantJSON{ID: t.ID, Name: t.Name, Slug: t.Slug, Metadata: t.Metadata,
		LogoURL: nullString(t.LogoURL), Address: nullString(t.Address),
		Latitude: nullFloat(t.Latitude), Longitude: nullFloat(t.Longitude),
		MenuEnabled: t.MenuEnabled, FeedbackEnabled: t.FeedbackEnabled, StaffEnabled: t.StaffEnabled,
		MenuURL: nullString(t.MenuURL), CreatedAt: chatd.FormatTime(t.CreatedAt), UpdatedAt: chatd.FormatTime(t.UpdatedAt)}
}

// listTenants is GET /api/tenants: every tenant as a summary.
func (s *Server) listTenants(c *gin.Context) {
	tenants, err := s.deps.Store.Tenants(c.Request.Context())
	if err != nil {
		s.nestError(c, err)
		return
	}
	out := make([]tenantSummaryJSON, 0, len(tenants))
	for _, t := range tenants {
		out = append(out, tenantSummaryJSON{ID: t.ID, Name: t.Name, Slug: t.Slug, LogoURL: nullString(t.LogoURL),
			Latitude: nullFloat(t.Latitude), Longitude: nullFloat(t.Longitude)})
	}
	c.JSON(http.StatusOK, out)
}

// getTenant is GET /api/tenants/:slug: the tenant with its rooms, first-created room first.
func (s *Server) getTenant(c *gin.Context) {
	ctx := c.Request.Context()
	slug := c.Param("slug")
	t, err := s.deps.Store.TenantBySlug(ctx, slug)
	if errors.Is(err, store.ErrNotFound) {
		s.nestError(c, chatd.Errorf(chatd.ENOTFOUND, "Tenant with slug %s not found", slug))
		return
	} else if err != nil {
		s.nestError(c, err)
		return
	}
	rooms, err := s.deps.Store.RoomsByTenant(ctx, t.ID)
	if err != nil {
		s.nestError(c, err)
		return
	}
	c.JSON(http.StatusOK, withRooms(t, rooms))
}

// withRooms renders TenantJSON plus "rooms" (always an array).
func withRooms(t store.Tenant, rooms []store.Room) tenantWithRoomsJSON {
	j := tenantWithRoomsJSON{tenantJSON: newTenantJSON(t), Rooms: make([]roomJSON, 0, len(rooms))}
	for _, r := range rooms {
		j.Rooms = append(j.Rooms, roomJSON{ID: r.ID, Name: r.Name, Description: nullString(r.Description),
			Type: r.Type, TenantID: r.TenantID, CreatedAt: chatd.FormatTime(r.CreatedAt)})
	}
	return j
}

var (
	slugStrip    = regexp.MustCompile(`[^A-Za-z0-9_\s-]`)
	slugSeparate = regexp.MustCompile(`[\s_-]+`)
)

// reviewSlug is the original's slugify: lower-case, trimmed, only word
// characters, spaces and dashes kept, separators collapsed to one dash.
func reviewSlug(name string) string {
	s := strings.TrimSpace(strings.ToLower(name))
	s = slugSeparate.ReplaceAllString(slugStrip.ReplaceAllString(s, ""), "-")
	if s = strings.Trim(s, "-"); s == "" {
		return "app-review-space"
	}
	return s
}

// setupReview is GET /api/tenants/setup-review: an App Store review tenant
// bound to the caller's IP. STRICT_AUTH hides it entirely.
func (s *Server) setupReview(c *gin.Context) {
	if s.cfg.StrictAuth {
		s.notFound(c)
		return
	}
	name := c.Query("name")
	if name == "" {
		name = "App Review Space"
	}
	if len(name) > 200 {
		s.nestError(c, chatd.Errorf(chatd.EINVALID, "name is too long"))
		return
	}
	t, rooms, err := s.deps.Store.EnsureReviewTenant(c.Request.Context(), name, reviewSlug(name), s.origins.ClientIP(c.Request))
	if err != nil {
		s.nestError(c, err)
		return
	}
	s.tenantChanged(c, t.ID) // it may have renamed the tenant or added rooms
	c.JSON(http.StatusOK, withRooms(t, rooms))
}

// updateTenant is POST /api/tenants/:slug, the merged Nest + Next tenant update: session, tenant
// admin, then a checked partial update.
func (s *Server) updateTenant(c *gin.Context) {
	const internal = "Failed to update tenant"
	body, err := readJSONObject(c, tenantBodyLimit)
	if err != nil {
		s.nextError(c, err, internal)
		return
	}
	// The session is checked here, not by requireSession: a bad body is
	// answered first, as the original did.
	su, ok, err := s.sessionFrom(c)
	if err != nil {
		s.nextError(c, err, internal)
		return
	} else if !ok {
		s.nextError(c, errUnauthorized, internal)
		return
	}
	t, err := s.updateTarget(c, body)
	if errors.Is(err, store.ErrNotFound) {
		s.nextError(c, errNotFoundTenant, internal)
		return
	} else if err != nil {
		s.nextError(c, err, internal)
		return
	}
	if g, err := s.grant(c, su.User.ID, t.ID); err != nil {
		s.nextError(c, err, internal)
		return
	} else if !g.Admin() {
		s.nextError(c, chatd.Errorf(chatd.EFORBIDDEN, "Forbidden: Admin access required"), internal)
		return
	}
	update, ok := tenantUpdateFrom(body)
	if !ok {
		s.nextError(c, errBadRequestBody, internal)
		return
	}
	t, err = s.deps.Store.UpdateTenant(c.Request.Context(), t.ID, update)
	if err != nil {
		s.nextError(c, err, internal)
		return
	}
	s.tenantChanged(c, t.ID)
	c.JSON(http.StatusOK, newTenantJSON(t))
}

// tenantWatcher is told of every change to a tenant or its rooms, so
// that no process keeps using a cached copy (*chat.Service).
type tenantWatcher interface {
	TenantChanged(ctx context.Context, tenantID string)
}

func (s *Server) tenantChanged(c *gin.Context, tenantID string) {
	if s.deps.Tenants != nil {
		s.deps.Tenants.TenantChanged(c.Request.Context(), tenantID)
	}
}

// updateTarget is the tenant named by the slug, or by body.id when the slug
// names none (the Nest edit dialog sends the id).
func (s *Server) updateTarget(c *gin.Context, body jsonObject) (store.Tenant, error) {
	ctx := c.Request.Context()
	t, err := s.deps.Store.TenantBySlug(ctx, c.Param("slug"))
	if !errors.Is(err, store.ErrNotFound) {
		return t, err
	}
	if id, present, ok := body.str("id"); present && ok && id != "" {
		return s.deps.Store.TenantByID(ctx, id)
	}
	return store.Tenant{}, err
}

// tenantUpdateFrom validates the update fields of POST /api/tenants/:slug; ok is false on a wrong
// type or a URL its field does not accept (assetURLRules).
func tenantUpdateFrom(body jsonObject) (u store.TenantUpdate, ok bool) {
	name, present, valid := body.str("name")
	if !valid {
		return u, false
	} else if present && name != "" {
		u.Name = &name
	}
	for key, dst := range map[string]**sql.NullString{"logoUrl": &u.LogoURL, "menuUrl": &u.MenuURL} {
		if _, in := body[key]; !in {
			continue
		}
		v, present, valid := body.str(key)
		if !valid || (v != "" && !tenantAssetURL[key](v)) {
			return u, false
		}
		*dst = &sql.NullString{String: v, Valid: present}
	}
	for key, dst := range map[string]**bool{"menuEnabled": &u.MenuEnabled, "feedbackEnabled": &u.FeedbackEnabled, "staffEnabled": &u.StaffEnabled} {
		if _, in := body[key]; !in {
			continue
		}
		v, present, valid := body.boolean(key)
		if !valid || !present {
			return u, false
		}
		*dst = &v
	}
	return u, true
}

// tenantAssetURL is chatd's URL rule (urls.go) for the tenant's two URL
// fields: the admin dialog sends the logo, and the menu upload an image or a
// PDF, as base64 data URLs.
var tenantAssetURL = map[string]func(string) bool{
	"logoUrl": func(v string) bool { return chatd.IsAssetURL(v) || chatd.IsInlineImage(v) },
	"menuUrl": func(v string) bool { return chatd.IsAssetURL(v) || chatd.IsInlineImage(v) || chatd.IsInlinePDF(v) },
}

// grant loads what userID holds in tenantID; the rules that read it are
// chatd's (access.go), the same the chat rules on the socket apply.
func (s *Server) grant(c *gin.Context, userID, tenantID string) (chatd.Grant, error) {
	return s.deps.Store.TenantGrant(c.Request.Context(), userID, tenantID)
}
