package server

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-contrib/cors"
	"github.com/gin-gonic/gin"
)

// cors applies the one allow-list. Allowed origins are echoed with
// credentials; others get no Access-Control-Allow-Origin, never "*".
func (s *Server) cors() gin.HandlerFunc {
	return cors.New(cors.Config{
		AllowOriginWithContextFunc: func(c *gin.Context, origin string) bool {
			return s.origins.Allowed(c.Request, origin)
		},
		AllowMethods:     []string{"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"},
		AllowHeaders:     []string{"Content-Type", "Authorization", "Cookie", "X-Requested-With", "Accept", "X-Tenant-Id", "X-Tenant-Slug"},
		AllowCredentials: true,
		MaxAge:           10 * time.Minute,
	})
}

// recoverer turns a panic into a 500 without the panic's text, and logs it.
func (s *Server) recoverer() gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if v := recover(); v != nil {
				s.log.ErrorContext(c.Request.Context(), "panic in handler",
					slog.String("path", c.Request.URL.Path), slog.String("panic", fmt.Sprint(v)))
				c.AbortWithStatusJSON(http.StatusInternalServerError,
					gin.H{"statusCode": http.StatusInternalServerError, "message": "Internal server error"})
			}
		}()
		c.Next()
	}
}

// accessLog writes one line per request. The query string is left out
// because it can carry tokens (Socket.IO's query.token).
func (s *Server) accessLog() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		s.log.LogAttrs(c.Request.Context(), slog.LevelInfo, "http request",
			slog.String("method", c.Request.Method),
			slog.String("path", c.Request.URL.Path),
			slog.Int("status", c.Writer.Status()),
			slog.Duration("duration", time.Since(start)),
			slog.String("client_ip", s.origins.ClientIP(c.Request)))
	}
}

// notFound answers unknown routes: an empty 404 under /api/auth/ (as
// BetterAuth did), NestJS's "Cannot GET /path" everywhere else.
func (s *Server) notFound(c *gin.Context) {
	path := c.Request.URL.Path
	if strings.HasPrefix(path, "/api/auth/") {
		c.AbortWithStatus(http.StatusNotFound)
		return
	}
	c.AbortWithStatusJSON(http.StatusNotFound, nestBody(http.StatusNotFound,
		fmt.Sprintf("Cannot %s %s", c.Request.Method, c.Request.URL.RequestURI())))
}
