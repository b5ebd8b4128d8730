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

// CORS policy (§5.2). The methods and default headers are the spec's exact
// strings; gin-contrib/cors joins lists without spaces, so preflight values
// are re-joined below.
var (
	corsMethods        = []string{"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
	corsDefaultHeaders = []string{"Content-Type", "Authorization", "Cookie", "X-Requested-With", "Accept", "X-Tenant-Id", "X-Tenant-Slug"}
)

const ctxCORSAllowed = "chatd.cors_allowed"

// cors applies the one allow-list to every route, the Socket.IO polling
// transport included. An allowed origin (the request's own origin always is)
// is echoed with credentials; any other gets no Access-Control-Allow-Origin,
// never "*", and its request is otherwise processed normally. Every OPTIONS
// is a preflight answered 204 here, whatever the path.
func (s *Server) cors() gin.HandlerFunc {
	if s.origins.wildcard {
		s.log.Warn(`CORS_ORIGINS: the entry "*" is ignored; list the origins instead`)
	}
	lib := cors.New(cors.Config{
		// The decision is made once below, with the real request.
		AllowOriginWithContextFunc: func(c *gin.Context, _ string) bool { return c.GetBool(ctxCORSAllowed) },
		AllowMethods:               corsMethods,
		AllowHeaders:               corsDefaultHeaders,
		AllowCredentials:           true,
		MaxAge:                     10 * time.Minute,
	})
	return func(c *gin.Context) {
		origin := c.GetHeader("Origin")
		allowed := origin != "" && s.origins.Allowed(c.Request, origin)
		if c.Request.Method != http.MethodOptions {
			if allowed {
				applyCORS(c, lib)
			}
			return
		}
		if allowed {
			held := &heldWriter{ResponseWriter: c.Writer}
			c.Writer = held // the library writes 204 itself; hold it so the headers can still be fixed
			applyCORS(c, lib)
			c.Writer = held.ResponseWriter
			h := c.Writer.Header()
			h.Set("Access-Control-Allow-Methods", strings.Join(corsMethods, ", "))
			h.Set("Access-Control-Allow-Headers", strings.Join(corsDefaultHeaders, ", "))
			if requested := c.GetHeader("Access-Control-Request-Headers"); requested != "" {
				h.Set("Access-Control-Allow-Headers", requested)
			}
		}
		if origin != "" {
			c.Header("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers")
		}
		c.Writer.Header().Del("Allow") // set by gin's 405 path, which every OPTIONS takes
		c.AbortWithStatus(http.StatusNoContent)
	}
}

// applyCORS runs the library for an allowed origin. The library treats an
// Origin equal to http(s)://Host as "not CORS" and adds nothing, but §5.2
// wants the headers for the own origin too, so it sees a request whose Host
// cannot match.
func applyCORS(c *gin.Context, lib gin.HandlerFunc) {
	c.Set(ctxCORSAllowed, true)
	orig := c.Request
	shadow := *orig
	shadow.Host = "cors.invalid"
	c.Request = &shadow
	lib(c)
	c.Request = orig
}

// heldWriter swallows the status write of the CORS library's preflight abort.
type heldWriter struct{ gin.ResponseWriter }

func (heldWriter) WriteHeader(int) {}
func (heldWriter) WriteHeaderNow() {}

// checkOrigin is §6 for state-changing routes outside BetterAuth: a request
// carrying a Cookie whose Origin (or, lacking one, Referer) is neither
// allowed nor the own origin is refused. A missing Origin passes: native
// clients and servers send none. nest picks the route's error style.
func (s *Server) checkOrigin(nest bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.GetHeader("Cookie") == "" {
			return
		}
		if origin := requestOrigin(c.Request); origin == "" || s.origins.Allowed(c.Request, origin) {
			return
		}
		if nest {
			c.AbortWithStatusJSON(http.StatusForbidden, nestBody(http.StatusForbidden, "Invalid origin"))
			return
		}
		c.AbortWithStatusJSON(http.StatusForbidden, gin.H{"error": "Invalid origin"})
	}
}

// maxQueryBytes bounds the query string of every request.
const maxQueryBytes = 8 << 10

// limitQuery refuses query strings no client of chatd ever sends.
func (s *Server) limitQuery(c *gin.Context) {
	if len(c.Request.URL.RawQuery) > maxQueryBytes {
		c.AbortWithStatusJSON(http.StatusRequestURITooLong, nestBody(http.StatusRequestURITooLong, "URI Too Long"))
	}
}

// tolerateTrailingSlash serves /api/x/ as /api/x (§3.7) without a redirect.
// The raw request URI is kept, so a 404 still names the path as sent.
// /socket.io/ is left alone: its trailing slash is part of the path.
func tolerateTrailingSlash(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := r.URL.Path; strings.HasPrefix(p, "/api/") && strings.HasSuffix(p, "/") {
			u := *r.URL
			u.Path = strings.TrimSuffix(p, "/")
			u.RawPath = strings.TrimSuffix(u.RawPath, "/")
			shallow := *r
			shallow.URL = &u
			r = &shallow
		}
		next.ServeHTTP(w, r)
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
	c.Writer.Header().Del("Allow")
	path := c.Request.URL.Path
	if strings.HasPrefix(path, "/api/auth/") {
		c.AbortWithStatus(http.StatusNotFound)
		return
	}
	raw := c.Request.RequestURI // as sent, before the trailing slash was tolerated
	if raw == "" || !strings.HasPrefix(raw, "/") {
		raw = c.Request.URL.RequestURI()
	}
	c.AbortWithStatusJSON(http.StatusNotFound, nestBody(http.StatusNotFound,
		fmt.Sprintf("Cannot %s %s", c.Request.Method, raw)))
}

// nextRoutes are the paths the Next.js route handlers served (B1–B11). A
// wrong method there is Next's 405 with an empty body and Allow (§3.6).
var nextRoutes = map[string]bool{
	"/api/auth/otp/send": true, "/api/auth/otp/verify": true,
	"/api/auth/biometric/setup": true, "/api/auth/biometric/login": true,
	"/api/auth/logout": true, "/api/auth/membership": true, "/api/auth/account/delete": true,
	"/api/auth/social/native": true, "/api/debug-session": true, "/api/validate-nas": true,
}

// methodNotAllowed answers a known path with the wrong method: 405 on the
// Next routes (gin has set Allow), the route's 404 everywhere else.
func (s *Server) methodNotAllowed(c *gin.Context) {
	if nextRoutes[c.Request.URL.Path] {
		c.AbortWithStatus(http.StatusMethodNotAllowed)
		return
	}
	s.notFound(c)
}
