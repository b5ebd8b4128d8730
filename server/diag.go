package server

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"chatd/migrations"
)

// root is GET /api, NestJS's hello.
func (s *Server) root(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok", "message": "Hello World!"})
}

// diag is GET /api/diag. A database failure is still a 200, as in the original, but
// with a fixed message: never the driver's text or a stack.
func (s *Server) diag(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	n, err := s.deps.Store.CountTenants(ctx)
	body := gin.H{"dbKeys": []string{"db", "prisma"}, "hasPrisma": true, "hasDb": true}
	if err != nil {
		s.log.WarnContext(ctx, "diag: database unavailable", "error", err)
		body["status"], body["message"] = "error", "database unavailable"
		c.JSON(http.StatusOK, body)
		return
	}
	body["status"], body["database"], body["tenantCount"] = "ok", "connected", n
	if s.cfg.NodeEnv != "" {
		body["env"] = s.cfg.NodeEnv
	}
	c.JSON(http.StatusOK, body)
}

// health is liveness: the process answers.
func (s *Server) health(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) }

// readiness answers 200 once the database is reachable and holds the schema
// chatd expects, 503 otherwise (the reason is logged, not sent).
func (s *Server) readiness(c *gin.Context) {
	err := s.ready(c.Request.Context())
	if err == nil {
		err = s.schemaReady(c.Request.Context())
	}
	if err != nil {
		s.log.WarnContext(c.Request.Context(), "not ready", "error", err)
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "unavailable"})
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

// schemaReady checks the schema within the readiness deadline.
func (s *Server) schemaReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return migrations.Check(ctx, s.deps.Store.SQL().DB)
}
