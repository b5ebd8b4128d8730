package server

import (
	"github.com/gin-gonic/gin"
)

// routes is the route table, grouped by who may call a route. Handlers live
// in one file per resource (tenants.go, messages.go, auth_*.go, …).
func (s *Server) routes() {
	e := s.engine
	if s.deps.Metrics != nil {
		e.Use(s.deps.Metrics.observe)
	}
	e.Use(s.recoverer(), s.accessLog(), s.cors(), s.limitQuery, s.rejectInvalidText)
	e.NoRoute(s.notFound)
	e.NoMethod(s.methodNotAllowed)

	// Socket.IO: the engine answers both transports and the upgrade itself.
	if s.deps.Sockets != nil {
		e.Any("/socket.io/*any", gin.WrapH(s.deps.Sockets))
	}

	api := e.Group("/api")
	// Anyone: liveness and readiness probes.
	api.GET("/health", s.health)
	api.GET("/ready", s.readiness)

	// Anyone: the public venue API (NestJS A1–A8, A12, A16; legacy B10/B11).
	api.GET("", s.root)
	api.GET("/diag", s.diag)
	api.GET("/tenants", s.listTenants)
	api.GET("/tenants/setup-review", s.setupReview)
	api.GET("/tenants/validate-nas", s.validateNasGet)
	api.POST("/tenants/validate-nas", s.checkOrigin(true), s.validateNasPost)
	api.GET("/tenants/:slug", s.getTenant)
	api.GET("/tenants/:slug/staff", s.tenantStaff)
	api.GET("/messages", s.roomHistory)
	api.GET("/uploads/*path", s.serveUpload)
	api.HEAD("/uploads/*path", s.serveUpload)
	api.GET("/validate-nas", s.legacyValidateNasGet)
	api.POST("/validate-nas", s.checkOrigin(false), s.legacyValidateNasPost)

	// Anyone, but a presented session must be the user named (compat mode,
	// §9/§21; STRICT_AUTH requires the session): A10, A11, A13, A15.
	api.POST("/tenants/:slug/feedback", s.checkOrigin(false), s.postFeedback)
	api.GET("/tenants/:slug/feedback", s.listFeedback)
	api.GET("/messages/private", s.privateHistory)
	api.POST("/upload/avatar", s.checkOrigin(true), s.uploadAvatar)

	// A session: tenant admins (A9) and moderators (A14).
	api.POST("/tenants/:slug", s.checkOrigin(false), s.updateTenant)
	api.DELETE("/messages/:id", s.checkOrigin(true), s.deleteMessage)

	// BetterAuth (C1–C4, C8–C11) and the custom session routes (B5–B7, B9).
	s.authRoutes(api)
	// The login methods: phone OTP, biometric, social and passkeys (B1–B4, B8, C5–C7, C12–C18).
	s.loginRoutes(api)
}
