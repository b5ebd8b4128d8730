// Package server is chatd's HTTP stack: one Gin engine serving every route
// the web and native apps call (the old NestJS API and the Next.js auth
// routes), the Socket.IO endpoint, one CORS policy and one table that turns
// error kinds into statuses. Handlers decode, validate, call and respond;
// *gin.Context never leaves this package.
package server

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"chatd/auth"
	"chatd/store"
)

// Config is the part of chatd's configuration the HTTP stack needs.
type Config struct {
	CORSOrigins    []string // the resolved allow-list (see Origins)
	TrustedProxies []string // IPs or CIDRs whose X-Forwarded-* headers count
	NodeEnv        string
	StrictAuth     bool
	StaffFallback  bool
	UploadsDir     string
	Version        string
	EmailPassword  bool // BetterAuth emailAndPassword: off in the product, on in tests

	// WriteTimeout is the listeners' HTTP write timeout (0: none) and
	// SocketPollHold the longest the socket engine holds a polling GET
	// before it writes: together, a polling GET's own deadline
	// (socket_deadlines.go).
	WriteTimeout   time.Duration
	SocketPollHold time.Duration
	// NativeOrigins are NATIVE_ORIGINS, the native apps' origins beyond
	// auth.DefaultNativeOrigins: responses to them get cross-site cookies.
	NativeOrigins []string
}

// Deps are the collaborators the handlers call.
type Deps struct {
	Store    *store.DB
	Resolver *auth.Resolver
	Sessions *auth.Sessions // creates sessions and their cookies (BetterAuth's rules)
	Sockets  http.Handler   // the Socket.IO endpoint, mounted at /socket.io/
	Origins  *Origins       // the allow-list shared with the Socket.IO handshake; nil: built from Config
	Messages messageDeleter // the chat service (*chat.Service): DELETE /api/messages/:id deletes through it so the room hears messageDeleted
	Accounts socketCloser   // the Socket.IO gateway: a deleted account's sockets are ended (DELETE /api/auth/account/delete); nil: none
	Tenants  tenantWatcher  // the chat service: it caches tenants and rooms; nil: nothing to tell
	Metrics  *Metrics       // Prometheus series for every request; nil: not measured
	Logins   Logins         // phone OTP, biometric, passkey and social logins (auth_otp.go)
	Logger   *slog.Logger
	Now      func() time.Time

	// SessionSockets (the chat service) ends the sockets bound to a session
	// that sign-out deleted, on every process; nil: none.
	SessionSockets sessionSocketEnder
}

// Server owns the Gin engine.
type Server struct {
	cfg     Config
	deps    Deps
	log     *slog.Logger
	origins *Origins
	native  auth.NativeOrigins
	engine  *gin.Engine

	feedback *feedbackLimits // POST /api/tenants/:slug/feedback's per-user and per-IP limits (docs/http-routes.md, "Rate limits")
	avatars  keyedLocks      // one avatar replacement per user at a time (uploads.go)

	nextPaths map[string]bool // the paths of the routes registered with next (routes.go)
}

// New builds the engine and its route table.
func New(cfg Config, deps Deps) (*Server, error) {
	origins := deps.Origins
	if origins == nil {
		var err error
		if origins, err = NewOrigins(cfg.CORSOrigins, cfg.TrustedProxies); err != nil {
			return nil, err
		}
	}
	gin.SetMode(gin.ReleaseMode)
	s := &Server{cfg: cfg, deps: deps, log: deps.Logger, origins: origins, native: auth.NewNativeOrigins(cfg.NativeOrigins), engine: gin.New(),
		feedback: newFeedbackLimits(), nextPaths: map[string]bool{}}
	s.engine.RedirectTrailingSlash = false
	s.engine.RemoveExtraSlash = false
	s.engine.HandleMethodNotAllowed = true                  // B routes answer 405; notFound turns the rest into 404s
	if err := s.engine.SetTrustedProxies(nil); err != nil { // clientIP() below applies TRUSTED_PROXIES itself
		return nil, err
	}
	s.routes()
	return s, nil
}

// Handler is the http.Handler for every listener.
func (s *Server) Handler() http.Handler {
	return withSocketDeadlines(tolerateTrailingSlash(s.engine), s.cfg.WriteTimeout, s.cfg.SocketPollHold)
}

// ready reports whether the database answers; used by GET /api/ready.
func (s *Server) ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return s.deps.Store.Ping(ctx)
}
