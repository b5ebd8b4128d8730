package server

import (
	"chatd"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-contrib/cors"
	"github.com/gin-gonic/gin"
)

// CORS policy (docs/http-routes.md, "CORS"). The methods and default headers are the spec's exact
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
// Origin equal to http(s)://Host as "not CORS" and adds nothing, but chatd's
// CORS rule (docs/http-routes.md, "CORS") wants the headers for the own origin
// too, so it sees a request whose Host cannot match.
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

// checkOrigin is the origin check (docs/http-routes.md, "Origin check") for
// state-changing routes outside BetterAuth: a request
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
			s.nestError(c, errInvalidOrigin)
			return
		}
		s.nextError(c, errInvalidOrigin, "")
	}
}

// maxQueryBytes bounds the query string of every request.
const maxQueryBytes = 8 << 10

// limitQuery refuses query strings no client of chatd ever sends.
func (s *Server) limitQuery(c *gin.Context) {
	if len(c.Request.URL.RawQuery) > maxQueryBytes {
		s.nestError(c, errURITooLong)
	}
}

// tolerateTrailingSlash serves /api/x/ as /api/x (docs/http-routes.md, "Unknown
// routes and wrong methods") without a redirect. The raw request URI is kept,
// so a 404 still names the path as sent. /socket.io/ is left alone: its
// trailing slash is part of the path.
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
				s.nestError(c, fmt.Errorf("panic in handler: %v", v)) // logged there, with the path
			}
		}()
		c.Next()
	}
}

// accessLog writes one line per request. The query string is left out
// because it can carry tokens (Socket.IO's query.token). Socket.IO's own
// requests (every upgrade and every poll) log at debug unless they fail: at a
// venue's reconnect rate the line cost a few percent of the connect path.
func (s *Server) accessLog() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		s.logRequest(c.Request, c.Writer.Status(), time.Since(start))
	}
}

// logRequest writes the access log line of one request.
func (s *Server) logRequest(r *http.Request, status int, d time.Duration) {
	level := slog.LevelInfo
	if strings.HasPrefix(r.URL.Path, "/socket.io/") && status < 400 {
		level = slog.LevelDebug
	}
	if !s.log.Enabled(r.Context(), level) {
		return
	}
	s.log.LogAttrs(r.Context(), level, "http request",
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.Int("status", status),
		slog.Duration("duration", d),
		slog.String("client_ip", s.origins.ClientIP(r)))
}

// notFound answers unknown routes: an empty 404 under /api/auth/ (as
// BetterAuth did), NestJS's "Cannot GET /path" everywhere else.
func (s *Server) notFound(c *gin.Context) {
	c.Writer.Header().Del("Allow")
	path := c.Request.URL.Path
	if strings.HasPrefix(path, "/api/auth/") {
		bareError(c, errNoRoute)
		return
	}
	raw := c.Request.RequestURI // as sent, before the trailing slash was tolerated
	if raw == "" || !strings.HasPrefix(raw, "/") {
		raw = c.Request.URL.RequestURI()
	}
	s.nestError(c, chatd.Errorf(chatd.ENOTFOUND, "Cannot %s %s", c.Request.Method, raw))
}

// methodNotAllowed answers a known path with the wrong method: 405 on the
// Next routes (gin has set Allow; s.nextPaths comes from the route table),
// the route's 404 everywhere else (docs/http-routes.md, "Unknown routes and
// wrong methods").
func (s *Server) methodNotAllowed(c *gin.Context) {
	if s.nextPaths[c.Request.URL.Path] {
		bareError(c, errWrongMethod)
		return
	}
	s.notFound(c)
}
