package server

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"chatd"
	"chatd/store"
)

// publicUserJSON is the only data returned about other people
// (docs/http-routes.md, "Shared shapes"): no e-mail, phone number or global
// role.
type publicUserJSON struct {
	ID          string  `json:"id"`
	Name        *string `json:"name"`
	Image       *string `json:"image"`
	Gender      *string `json:"gender"`
	Status      *string `json:"status"`
	IsAnonymous bool    `json:"isAnonymous"`
	CreatedAt   string  `json:"createdAt"`
}

func newPublicUser(u store.User) publicUserJSON {
	return publicUserJSON{ID: u.ID, Name: nullString(u.Name), Image: nullString(u.Image),
		Gender: nullString(u.Gender), Status: nullString(u.Status), IsAnonymous: u.IsAnonymous,
		CreatedAt: chatd.FormatTime(u.CreatedAt)}
}

type staffJSON struct {
	publicUserJSON
	MemberRole string `json:"memberRole,omitempty"`
}

// tenantStaff is GET /api/tenants/:slug/staff: the members by role priority; for a tenant without
// members, the oldest registered user as demo staff unless STAFF_FALLBACK is
// off; an unknown tenant has no staff.
func (s *Server) tenantStaff(c *gin.Context) {
	ctx := c.Request.Context()
	out := []staffJSON{}
	t, err := s.deps.Store.TenantBySlug(ctx, c.Param("slug"))
	if errors.Is(err, store.ErrNotFound) {
		c.JSON(http.StatusOK, out)
		return
	} else if err != nil {
		s.nestError(c, err)
		return
	}
	staff, err := s.deps.Store.TenantStaff(ctx, t.ID)
	if err != nil {
		s.nestError(c, err)
		return
	}
	for _, m := range staff {
		out = append(out, staffJSON{publicUserJSON: newPublicUser(m.User), MemberRole: m.MemberRole})
	}
	if len(out) == 0 && s.cfg.StaffFallback {
		u, err := s.deps.Store.OldestRegisteredUser(ctx)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			s.nestError(c, err)
			return
		} else if err == nil {
			out = append(out, staffJSON{publicUserJSON: newPublicUser(u)})
		}
	}
	c.JSON(http.StatusOK, out)
}
