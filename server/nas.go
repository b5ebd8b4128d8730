package server

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"chatd/store"
)

// nasTenant resolves the tenant of the network a client reports. A publicIp the
// client itself claims counts only from a trusted proxy (docs/http-routes.md,
// "Client IP", the old Next proxy sent it server-side); everyone else is
// matched by their real IP.
func (s *Server) nasTenant(c *gin.Context, nasID, bssid, claimedIP string) (store.Tenant, bool, error) {
	ip := s.origins.ClientIP(c.Request)
	if claimedIP != "" && s.origins.trustedPeer(c.Request) {
		ip = claimedIP
	}
	t, err := s.deps.Store.TenantByNas(c.Request.Context(), store.NasMatch{NasID: nasID, BSSID: bssid, PublicIP: ip})
	if errors.Is(err, store.ErrNotFound) {
		return store.Tenant{}, false, nil
	}
	return t, err == nil, err
}

// nasFields reads the criteria of a validate-nas body; ok is false when one
// is neither a string nor null.
func nasFields(body jsonObject, idKey string) (nasID, bssid, publicIP string, ok bool) {
	var okID, okBSSID, okIP bool
	nasID, _, okID = body.str(idKey)
	bssid, _, okBSSID = body.str("bssid")
	publicIP, _, okIP = body.str("publicIp")
	return nasID, bssid, publicIP, okID && okBSSID && okIP
}

// validateNasPost is POST /api/tenants/validate-nas: 201 {valid, tenant?}.
func (s *Server) validateNasPost(c *gin.Context) {
	body, err := readJSONObject(c, jsonBodyLimit)
	if err != nil {
		s.nestError(c, err)
		return
	}
	nasID, bssid, ip, ok := nasFields(body, "nasId")
	if !ok {
		s.nestError(c, errBadRequestBody)
		return
	}
	s.answerNas(c, http.StatusCreated, nasID, bssid, ip)
}

// validateNasGet is GET /api/tenants/validate-nas: POST
// /api/tenants/validate-nas over the query, answering 200 (docs/differences.md,
// "GET validate-nas works").
func (s *Server) validateNasGet(c *gin.Context) {
	s.answerNas(c, http.StatusOK, c.Query("nasId"), c.Query("bssid"), c.Query("publicIp"))
}

func (s *Server) answerNas(c *gin.Context, status int, nasID, bssid, ip string) {
	t, found, err := s.nasTenant(c, nasID, bssid, ip)
	if err != nil {
		s.nestError(c, err)
		return
	} else if !found {
		c.JSON(status, gin.H{"valid": false})
		return
	}
	c.JSON(status, gin.H{"valid": true, "tenant": newTenantJSON(t)})
}

// legacyValidateNasPost is POST /api/validate-nas, for native builds before 2026-02-12:
// {nas_id, bssid} in, 200 {valid, tenantSlug} out.
func (s *Server) legacyValidateNasPost(c *gin.Context) {
	body, err := readJSONObject(c, jsonBodyLimit)
	if err != nil {
		s.nextError(c, err, "")
		return
	}
	nasID, bssid, _, ok := nasFields(body, "nas_id")
	if !ok {
		s.nextError(c, errBadRequestBody, "")
		return
	}
	s.answerLegacyNas(c, nasID, bssid)
}

// legacyValidateNasGet is GET /api/validate-nas: POST /api/validate-nas over the query.
func (s *Server) legacyValidateNasGet(c *gin.Context) {
	s.answerLegacyNas(c, c.Query("nas_id"), c.Query("bssid"))
}

func (s *Server) answerLegacyNas(c *gin.Context, nasID, bssid string) {
	t, found, err := s.nasTenant(c, nasID, bssid, "")
	if err != nil {
		s.nextError(c, err, "Failed to validate NAS")
		return
	} else if !found {
		c.JSON(http.StatusOK, gin.H{"valid": false, "tenantSlug": nil})
		return
	}
	c.JSON(http.StatusOK, gin.H{"valid": true, "tenantSlug": t.Slug})
}
