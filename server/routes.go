package server

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// routes is the route table, every route of chatd, grouped by who may call
// it; docs/http-routes.md has a section per route under the same headings.
// Handlers live in one file per resource (tenants.go, messages.go,
// auth_*.go, …). Each route answers errors in the style of the server that
// used to serve it (errors.go); the routes the Next.js app served alone are
// registered with next, which also makes a wrong method there a 405.
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
		e.Any(socketRoute, gin.WrapH(s.deps.Sockets))
	}

	// "A session is required", in each style: the 401 and the 500 are the
	// route's own.
	nestSession := s.requireSession(s.nestError, errUnauthorized, errInvalidToken)
	baSession := s.requireSession(s.authError, errNoSessionBA, errNoSessionBA)
	nextSession := s.requireSession(func(c *gin.Context, err error) { s.nextError(c, err, errInternalIT) },
		errNoSessionIT, errNoSessionIT)

	api := e.Group("/api")
	// Anyone: liveness and readiness probes.
	api.GET("/health", s.health)
	api.GET("/ready", s.readiness)

	// Anyone: the venue API (docs/http-routes.md, "Anyone: service and venue routes").
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
	s.next(api, http.MethodGet, "/validate-nas", s.legacyValidateNasGet)
	s.next(api, http.MethodPost, "/validate-nas", s.checkOrigin(false), s.legacyValidateNasPost)

	// Anyone, for the user they name: a presented session must be that user,
	// STRICT_AUTH requires one (chatd.ActingUser).
	api.POST("/tenants/:slug/feedback", s.checkOrigin(false), s.postFeedback)
	api.GET("/tenants/:slug/feedback", s.listFeedback)
	api.GET("/messages/private", s.privateHistory)
	api.POST("/upload/avatar", s.checkOrigin(true), s.uploadAvatar)

	// A session with a tenant role (chatd.Grant): tenant admins and
	// moderators. The tenant update checks its session itself, after the
	// body, in the original's order.
	api.POST("/tenants/:slug", s.checkOrigin(false), s.updateTenant)
	api.DELETE("/messages/:id", s.checkOrigin(true), nestSession, s.deleteMessage)

	s.sessionRoutes(api, baSession, nextSession)
	s.loginRoutes(api, baSession)
}

// sessionRoutes are BetterAuth's session endpoints and the old custom
// session routes (docs/http-routes.md, "Sessions: BetterAuth routes" and
// "Sessions: the old custom routes"). Every POST that BetterAuth served runs
// its origin check; /sign-in* and /sign-up* its rate limit.
func (s *Server) sessionRoutes(api *gin.RouterGroup, baSession, nextSession gin.HandlerFunc) {
	ba := api.Group("/auth", s.authRateLimit()) // counts /sign-in* and /sign-up* only
	// Anyone: session reads and BetterAuth's probes.
	ba.GET("/get-session", s.getSession)
	ba.GET("/ok", s.authOK)
	ba.GET("/error", s.authErrorPage)
	s.next(api, http.MethodGet, "/debug-session", s.debugSession)
	s.next(ba, http.MethodGet, "/membership", s.membership)

	// Anyone, origin-checked when cookies are sent: the sign-ins and sign-out.
	post := ba.Group("", s.baOriginCheck())
	post.POST("/sign-in/anonymous", s.signInAnonymous)
	ba.POST("/sign-in/email", s.baFormCSRF(), s.signInEmail)
	ba.POST("/sign-up/email", s.baFormCSRF(), s.signUpEmail)
	post.POST("/sign-out", s.signOut)
	s.next(ba, http.MethodPost, "/logout", s.checkOrigin(false), s.logout)

	// A session: the caller's own profile and account.
	post.POST("/update-user", baSession, s.updateUser)
	s.next(ba, http.MethodDelete, "/account/delete", s.checkOrigin(false), nextSession, s.deleteAccount)
}

// loginRoutes are the login methods of Logins (docs/http-routes.md,
// "Logins"). Every path is always routed (so a wrong method is still a 405
// on the Next routes); a method left nil answers the unknown-route 404.
func (s *Server) loginRoutes(api *gin.RouterGroup, baSession gin.HandlerFunc) {
	l := s.deps.Logins
	ba := api.Group("/auth")
	// Anyone: the native-app logins (Next.js custom routes, Next error style).
	otp := ba.Group("", s.loginEnabled(l.OTP != nil), s.checkOrigin(false))
	s.next(otp, http.MethodPost, "/otp/send", s.otpSend)
	s.next(otp, http.MethodPost, "/otp/verify", s.otpVerify)
	bio := ba.Group("", s.loginEnabled(l.Biometric != nil), s.checkOrigin(false))
	s.next(bio, http.MethodPost, "/biometric/setup", s.biometricSetup) // its session may come in the body
	s.next(bio, http.MethodPost, "/biometric/login", s.biometricLogin)
	social := ba.Group("", s.loginEnabled(l.Social != nil))
	s.next(social, http.MethodPost, "/social/native", s.checkOrigin(false), s.socialNative)
	// BetterAuth's web flow: origin-checked, rate-limited like every /sign-in/*.
	social.POST("/sign-in/social", s.baOriginCheck(), s.authRateLimit(), s.socialSignIn)
	social.GET("/callback/:provider", s.socialCallback)
	social.POST("/callback/:provider", s.socialCallbackPost) // Apple's cross-site form_post: exempt from the origin check

	// Passkeys: anyone may log in; registering and managing need a session,
	// registering a fresh one.
	pk := ba.Group("/passkey", s.loginEnabled(l.Passkeys != nil))
	pk.GET("/generate-authenticate-options", s.passkeyAuthenticateOptions)
	pk.GET("/generate-register-options", baSession, s.freshSession, s.passkeyRegisterOptions)
	pk.GET("/list-user-passkeys", baSession, s.passkeyList)
	post := pk.Group("", s.baOriginCheck())
	post.POST("/verify-authentication", s.passkeyVerifyAuthentication)
	post.POST("/verify-registration", baSession, s.freshSession, s.passkeyVerifyRegistration)
	post.POST("/delete-passkey", baSession, s.passkeyDelete)
	post.POST("/update-passkey", baSession, s.passkeyUpdate)
}

// next registers a route the Next.js app served alone: the handler answers
// in the Next style, and the path joins s.nextPaths, where a wrong method is
// Next's empty 405 and invalid text its 400.
func (s *Server) next(g *gin.RouterGroup, method, path string, h ...gin.HandlerFunc) {
	g.Handle(method, path, h...)
	s.nextPaths[strings.TrimSuffix(g.BasePath(), "/")+path] = true
}

// loginEnabled answers 404 for a login method chatd was built without.
func (s *Server) loginEnabled(enabled bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		if !enabled {
			s.notFound(c)
		}
	}
}
