package server

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"chatd"
	"chatd/store"
)

// The reasons authorizeTenant gives, verbatim (the client shows them).
var (
	errTenantNotFound = errors.New("Tenant not found")
	errNotMember      = errors.New("User is not a member of this tenant")
	errLocationLock   = errors.New("Unauthorized: Location-based security check failed (BSSID/IP mismatch)")
)

// memberJSON is TenantMemberJSON (docs/http-routes.md, "Shared shapes").
type memberJSON struct {
	ID              string `json:"id"`
	UserID          string `json:"userId"`
	TenantID        string `json:"tenantId"`
	Role            string `json:"role"`
	CanModerate     bool   `json:"canModerate"`
	CanManageOrders bool   `json:"canManageOrders"`
	CanViewStats    bool   `json:"canViewStats"`
	CreatedAt       string `json:"createdAt"`
	UpdatedAt       string `json:"updatedAt"`
}

func newMemberJSON(m store.TenantMember) *memberJSON {
	return &memberJSON{ID: m.ID, UserID: m.UserID, TenantID: m.TenantID, Role: m.Role,
		CanModerate: m.CanModerate, CanManageOrders: m.CanManageOrders, CanViewStats: m.CanViewStats,
		CreatedAt: chatd.FormatTime(m.CreatedAt), UpdatedAt: chatd.FormatTime(m.UpdatedAt)}
}

// membership is GET /api/auth/membership?tenantId=&bssid=: the "double lock"
// (docs/http-routes.md, "GET /api/auth/membership"), answered with every
// branch's original body.
func (s *Server) membership(c *gin.Context) {
	tenantID := c.Query("tenantId")
	if tenantID == "" {
		s.nextError(c, chatd.Errorf(chatd.EINVALID, "Missing tenantId"), "")
		return
	}
	su, ok, err := s.sessionFrom(c)
	if err != nil {
		s.membershipFailed(c, err)
		return
	} else if !ok {
		c.JSON(http.StatusOK, gin.H{"isMember": false, "isAuthorized": false,
			"debug": gin.H{"hasCookie": c.Request.Header.Get("Cookie") != "", "host": c.Request.Host}})
		return
	}
	member, authErr, err := s.authorizeTenant(c, su.User, tenantID, c.Query("bssid"))
	switch {
	case err != nil:
		s.membershipFailed(c, err)
	case authErr == nil:
		var m *memberJSON
		if member != nil {
			m = newMemberJSON(*member)
		}
		c.JSON(http.StatusOK, gin.H{"isMember": true, "isAuthorized": true, "isSuperadmin": chatd.IsSuperadmin(su.User.Role),
			"membership": m, "debug": gin.H{"userId": su.User.ID, "tenantId": tenantID, "isSuperadminCheck": chatd.IsSuperadmin(su.User.Role)}})
	case member != nil:
		c.JSON(http.StatusOK, gin.H{"isMember": true, "isAuthorized": false, "membership": newMemberJSON(*member), "reason": authErr.Error()})
	default:
		c.JSON(http.StatusOK, gin.H{"isMember": false, "isAuthorized": false, "reason": authErr.Error()})
	}
}

func (s *Server) membershipFailed(c *gin.Context, err error) {
	s.nextError(c, failure("membership check", err), "")
}

// authorizeTenant is the membership check (docs/http-routes.md, "GET
// /api/auth/membership") with chatd's rules (access.go). It returns the membership row when one
// exists (nil for a superadmin), authErr when access is refused (one of the
// verbatim reasons), and err only when the database failed.
func (s *Server) authorizeTenant(c *gin.Context, u store.User, tenantID, bssid string) (member *store.TenantMember, authErr, err error) {
	ctx := c.Request.Context()
	tenant, err := s.deps.Store.TenantByID(ctx, tenantID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errTenantNotFound, nil
	} else if err != nil {
		return nil, nil, err
	}
	if chatd.IsSuperadmin(u.Role) {
		return nil, nil, nil
	}
	m, err := s.deps.Store.TenantMemberRow(ctx, u.ID, tenantID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errNotMember, nil
	} else if err != nil {
		return nil, nil, err
	}
	if chatd.IsAdminRole(m.Role) {
		return &m, nil, nil // remote management: the location lock is skipped
	}
	lock := chatd.LocationLock{BSSID: tenant.BSSID.String, StaticIP: tenant.StaticIP.String}
	if !lock.Admits(bssid, s.origins.ClientIP(c.Request)) {
		return &m, errLocationLock, nil
	}
	return &m, nil, nil
}
