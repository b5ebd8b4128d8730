package server

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// routes is the route table, grouped by who may call a route. Handlers live
// in one file per resource (tenants.go, messages.go, auth_*.go, …).
func (s *Server) routes() {
	e := s.engine
	e.Use(s.recoverer(), s.accessLog(), s.cors())
	e.NoRoute(s.notFound)
	e.NoMethod(s.notFound)

	// Socket.IO: the engine answers both transports and the upgrade itself.
	if s.deps.Sockets != nil {
		e.Any("/socket.io/*any", gin.WrapH(s.deps.Sockets))
	}

	api := e.Group("/api")
	// Anyone: liveness and readiness probes.
	api.GET("/health", s.health)
	api.GET("/ready", s.readiness)
}

func (s *Server) health(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) }

func (s *Server) readiness(c *gin.Context) {
	if err := s.ready(c.Request.Context()); err != nil {
		s.log.WarnContext(c.Request.Context(), "not ready", "error", err)
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "unavailable"})
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}
