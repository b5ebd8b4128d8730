package server

import "github.com/gin-gonic/gin"

// authRoutes registers BetterAuth's endpoints (C1–C4, C8–C11) and the old
// custom session routes (B5, B6, B7, B9). Every POST that BetterAuth served
// runs its origin check; /sign-in* and /sign-up* its rate limit.
func (s *Server) authRoutes(api *gin.RouterGroup) {
	ba := api.Group("/auth", s.authRateLimit()) // counts /sign-in* and /sign-up* only
	// Anyone: session reads and BetterAuth's probes.
	ba.GET("/get-session", s.getSession)
	ba.GET("/ok", s.authOK)
	ba.GET("/error", s.authErrorPage)
	api.GET("/debug-session", s.debugSession)
	ba.GET("/membership", s.membership)

	// Anyone, origin-checked when cookies are sent: the sign-ins and sign-out.
	post := ba.Group("", s.baOriginCheck())
	post.POST("/sign-in/anonymous", s.signInAnonymous)
	ba.POST("/sign-in/email", s.baFormCSRF(), s.signInEmail)
	ba.POST("/sign-up/email", s.baFormCSRF(), s.signUpEmail)
	post.POST("/sign-out", s.signOut)
	ba.POST("/logout", s.checkOrigin(false), s.logout)

	// A session: the caller's own profile and account.
	post.POST("/update-user", s.updateUser)
	ba.DELETE("/account/delete", s.checkOrigin(false), s.deleteAccount)
}
