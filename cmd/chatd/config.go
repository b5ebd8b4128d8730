package main

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/netip"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"chatd/server"
	"chatd/store"
)

// Config is everything chatd reads from the environment (and .env), parsed
// and validated once at start. Packages receive the parts they need as values.
type Config struct {
	DatabaseURL      string // PostgreSQL; without it, sqlite:DATA_DIR/chatd.db (the embedded store)
	DataDir          string // DATA_DIR: the embedded store and the generated secret
	BetterAuthSecret string
	BetterAuthURL    string // public base URL; falls back to NEXT_PUBLIC_SERVER_URL
	PublicServerURL  string // NEXT_PUBLIC_SERVER_URL
	TrustedOrigins   []string
	CORSOrigins      []string // explicit CORS_ORIGINS; nil means derive the defaults
	NodeEnv          string
	Port             int // the Next.js port (3000)
	APIPort          int // the NestJS port (3001)
	Host             string
	MetricsAddr      string // host:port of the Prometheus listener; "" means off
	RedisURL         string
	RedisPrefix      string // REDIS_PREFIX: the socket cluster's channels and presence keys
	LogLevel         slog.Level
	StrictAuth       bool
	NativeIDFallback string   // NATIVE_ID_FALLBACK: NativeFallbackMember or NativeFallbackOff
	NativeOrigins    []string // NATIVE_ORIGINS: native app origins beyond auth.DefaultNativeOrigins
	TrustedProxies   []string
	SessionExpiresIn time.Duration
	SessionUpdateAge time.Duration
	SessionCacheAge  time.Duration // session_data cookie cache lifetime; 0 turns it off
	SessionRecheck   time.Duration // longest a socket goes without its session being looked up again
	Logins           LoginConfig   // phone OTP, SMS, biometric, passkey and social logins (logins.go)
	UploadsDir       string
	StaffFallback    bool
	EmailPassword    bool
	PresenceWindow   time.Duration
	TenantCacheTTL   time.Duration // how long a cached tenant or room list is trusted without an invalidation
	GuestSweepAge    time.Duration // unused guests older than this are deleted; 0 = never
	ShutdownTimeout  time.Duration
	HTTP             HTTPLimits          // HTTP_*: what every listener allows one connection
	Sockets          server.SocketLimits // SOCKET_*: handshakes and sessions per client IP (socketLimits)
}

// HTTPLimits are the listeners' http.Server limits; each is configurable
// and explained in .env.example. The socket endpoint replaces the read and
// write deadlines of its long-lived requests (server/socket_deadlines.go).
type HTTPLimits struct {
	ReadHeaderTimeout time.Duration // slow headers (slowloris)
	ReadTimeout       time.Duration // the whole request, body included (slow bodies)
	WriteTimeout      time.Duration // the response, from the end of the headers (slow readers)
	IdleTimeout       time.Duration // a keep-alive connection between requests
	MaxHeaderBytes    int
}

// The values of NATIVE_ID_FALLBACK.
const (
	// NativeFallbackMember binds a native-origin handshake that presents a
	// registered user's id and no credential to that user, with an ordinary
	// member's rights (socketio/chat/native.go). The default unless STRICT_AUTH.
	NativeFallbackMember = "member"
	// NativeFallbackOff refuses it ("authentication required"), as for every
	// other origin. The default under STRICT_AUTH=true.
	NativeFallbackOff = "off"
)

// NativeMember reports whether NATIVE_ID_FALLBACK is member.
func (c Config) NativeMember() bool { return c.NativeIDFallback == NativeFallbackMember }

// Production reports whether NODE_ENV says production, which turns on the
// secure cookie fallback and BetterAuth's sign-in rate limit.
func (c Config) Production() bool { return c.NodeEnv == "production" }

// Embedded reports whether chatd runs on the embedded SQLite store.
func (c Config) Embedded() bool { return store.IsSQLite(c.DatabaseURL) }

// LoadConfig reads the configuration through getenv (os.Getenv in main, a map
// in tests) and reports every problem at once.
func LoadConfig(getenv func(string) string) (Config, error) {
	e := envReader{getenv: getenv}
	c := Config{
		DatabaseURL:      e.str("DATABASE_URL", ""),
		DataDir:          e.str("DATA_DIR", "./data"),
		BetterAuthSecret: e.str("BETTER_AUTH_SECRET", ""),
		PublicServerURL:  strings.TrimRight(e.str("NEXT_PUBLIC_SERVER_URL", ""), "/"),
		TrustedOrigins:   e.list("BETTER_AUTH_TRUSTED_ORIGINS"),
		CORSOrigins:      e.list("CORS_ORIGINS"),
		NodeEnv:          e.str("NODE_ENV", "development"),
		Port:             e.port("PORT", 3000),
		APIPort:          e.port("API_PORT", 3001),
		Host:             e.str("HOST", ""),
		MetricsAddr:      e.str("METRICS_ADDR", ""),
		RedisURL:         e.str("REDIS_URL", ""),
		RedisPrefix:      e.str("REDIS_PREFIX", "socket.io"),
		LogLevel:         e.level("LOG_LEVEL", slog.LevelInfo),
		StrictAuth:       e.boolean("STRICT_AUTH", false),
		NativeOrigins:    e.list("NATIVE_ORIGINS"),
		TrustedProxies:   e.list("TRUSTED_PROXIES"),
		SessionExpiresIn: e.seconds("SESSION_EXPIRES_IN", 30*24*time.Hour),
		SessionUpdateAge: e.seconds("SESSION_UPDATE_AGE", 24*time.Hour),
		SessionCacheAge:  e.seconds("SESSION_COOKIE_CACHE_MAX_AGE", 300*time.Second),
		SessionRecheck:   e.seconds("SESSION_RECHECK_INTERVAL", 300*time.Second),
		UploadsDir:       e.str("UPLOADS_DIR", e.str("UPLOAD_DIR", "./uploads")),
		StaffFallback:    e.boolean("STAFF_FALLBACK", true),
		EmailPassword:    e.boolean("EMAIL_PASSWORD_ENABLED", false),
		PresenceWindow:   e.millis("PRESENCE_COALESCE_MS", 100*time.Millisecond),
		TenantCacheTTL:   e.seconds("TENANT_CACHE_TTL", time.Minute),
		GuestSweepAge:    e.seconds("GUEST_SWEEP_AGE", 7*24*time.Hour),
		ShutdownTimeout:  e.seconds("SHUTDOWN_TIMEOUT", 10*time.Second),
		HTTP: HTTPLimits{
			ReadHeaderTimeout: e.seconds("HTTP_READ_HEADER_TIMEOUT", 10*time.Second),
			ReadTimeout:       e.seconds("HTTP_READ_TIMEOUT", 60*time.Second),
			WriteTimeout:      e.seconds("HTTP_WRITE_TIMEOUT", 120*time.Second),
			IdleTimeout:       e.seconds("HTTP_IDLE_TIMEOUT", 65*time.Second),
			MaxHeaderBytes:    e.integer("HTTP_MAX_HEADER_BYTES", 64<<10),
		},
	}
	c.Sockets = socketLimits(&e)
	e.require(c.HTTP.MaxHeaderBytes >= 4<<10, "HTTP_MAX_HEADER_BYTES must be at least 4096 (a session cookie and its cache need that much)")
	c.NativeIDFallback = nativeIDFallback(&e, c.StrictAuth)
	c.BetterAuthURL = strings.TrimRight(e.str("BETTER_AUTH_URL", c.PublicServerURL), "/")
	if c.TrustedProxies == nil {
		c.TrustedProxies = []string{"127.0.0.0/8", "::1/128"}
	}
	c.Logins = loadLoginConfig(&e, c.Production())
	if c.DatabaseURL == "" {
		c.DatabaseURL = store.SQLiteScheme + filepath.Join(c.DataDir, "chatd.db")
	}
	e.require(!c.Embedded() || c.RedisURL == "",
		"REDIS_URL is set but DATABASE_URL is not: the embedded SQLite store serves a single chatd process, "+
			"and a cluster needs the PostgreSQL all its processes share. Set DATABASE_URL to PostgreSQL, or unset REDIS_URL")
	// Outside production a missing secret is generated on first start
	// (secret.go); production must be given the BetterAuth server's own.
	e.require(!c.Production() || c.BetterAuthSecret != "",
		"BETTER_AUTH_SECRET is required in production (the same secret the BetterAuth server signs cookies with)")
	development := c.NodeEnv == "development" || c.NodeEnv == "test"
	e.require(development || c.BetterAuthSecret == "" || len(c.BetterAuthSecret) >= minSecretLen,
		"BETTER_AUTH_SECRET must be at least 32 characters outside development")
	for _, name := range []string{"BETTER_AUTH_URL", "NEXT_PUBLIC_SERVER_URL"} {
		if v := getenv(name); v != "" {
			u, err := url.Parse(v)
			e.require(err == nil && u.Scheme != "" && u.Host != "", name+" must be an absolute URL like https://chat.example.com")
		}
	}
	return c, errors.Join(e.errs...)
}

// The socket limits per client IP, sized for the product's key scenario: a
// venue of 1,000 phones behind one NAT address reconnecting at once after a
// Wi-Fi blip (docs/operations.md#socket-limits gives the reasoning).
const (
	// defaultSocketBurst absorbs the whole venue reconnecting within one
	// second (the clients' first retry comes 0.5–1.5 s after the drop).
	defaultSocketBurst = 1000
	// defaultSocketRate is 3× a busy venue's steady reconnects (one per
	// phone and minute: 17/s) and refills the bucket from empty in 20 s.
	defaultSocketRate = 50
	// defaultSocketsPerIP is 1,000 phones × 2 (after a blip each old
	// session lingers up to the ping interval + timeout, 15 s, beside the
	// new one), plus 25 % for phones with a second tab or device.
	defaultSocketsPerIP = 2500
)

// defaultSocketExempt is the host itself: a loopback client that is not
// behind a trusted proxy is chatd's own host or a local proxy not listed
// in TRUSTED_PROXIES, and limiting it would limit every client behind it.
var defaultSocketExempt = []string{"127.0.0.0/8", "::1/128"}

// socketLimits reads SOCKET_HANDSHAKE_RATE (per second, decimals allowed;
// 0 = none), SOCKET_HANDSHAKE_BURST, SOCKET_MAX_PER_IP (0 = none) and
// SOCKET_LIMIT_EXEMPT (IPs or CIDRs; "none" exempts nothing).
func socketLimits(e *envReader) server.SocketLimits {
	l := server.SocketLimits{
		Rate:         e.decimal("SOCKET_HANDSHAKE_RATE", defaultSocketRate),
		Burst:        e.integer("SOCKET_HANDSHAKE_BURST", defaultSocketBurst),
		MaxPerClient: e.integer("SOCKET_MAX_PER_IP", defaultSocketsPerIP),
		Exempt:       e.list("SOCKET_LIMIT_EXEMPT"),
	}
	e.require(l.Rate >= 0, "SOCKET_HANDSHAKE_RATE must not be negative")
	e.require(l.Rate == 0 || l.Burst >= 1, "SOCKET_HANDSHAKE_BURST must be at least 1")
	e.require(l.MaxPerClient >= 0, "SOCKET_MAX_PER_IP must not be negative")
	for _, x := range l.Exempt {
		_, errPrefix := netip.ParsePrefix(x)
		_, errAddr := netip.ParseAddr(x)
		e.require(errPrefix == nil || errAddr == nil || strings.EqualFold(x, "none"),
			fmt.Sprintf("SOCKET_LIMIT_EXEMPT entries must be IPs or CIDRs, got %q", x))
	}
	switch {
	case l.Exempt == nil:
		l.Exempt = defaultSocketExempt
	case len(l.Exempt) == 1 && strings.EqualFold(l.Exempt[0], "none"):
		l.Exempt = []string{}
	}
	return l
}

// nativeIDFallback reads NATIVE_ID_FALLBACK: member unless STRICT_AUTH,
// whose purpose is to close the compatibility fallbacks; an explicit value
// wins either way.
func nativeIDFallback(e *envReader, strict bool) string {
	def := NativeFallbackMember
	if strict {
		def = NativeFallbackOff
	}
	v := strings.ToLower(e.str("NATIVE_ID_FALLBACK", def))
	e.require(v == NativeFallbackMember || v == NativeFallbackOff,
		fmt.Sprintf("NATIVE_ID_FALLBACK must be member or off, got %q", v))
	return v
}

// envReader collects parse errors so LoadConfig can report all of them.
type envReader struct {
	getenv func(string) string
	errs   []error
}

func (e *envReader) require(ok bool, msg string) {
	if !ok {
		e.errs = append(e.errs, errors.New(msg))
	}
}

func (e *envReader) str(name, def string) string {
	if v := strings.TrimSpace(e.getenv(name)); v != "" {
		return v
	}
	return def
}

func (e *envReader) list(name string) []string {
	var out []string
	for _, item := range strings.Split(e.getenv(name), ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

func (e *envReader) integer(name string, def int) int {
	v := e.str(name, "")
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		e.errs = append(e.errs, fmt.Errorf("%s must be a whole number, got %q", name, v))
		return def
	}
	return n
}

func (e *envReader) decimal(name string, def float64) float64 {
	v := e.str(name, "")
	if v == "" {
		return def
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		e.errs = append(e.errs, fmt.Errorf("%s must be a number, got %q", name, v))
		return def
	}
	return f
}

func (e *envReader) port(name string, def int) int {
	n := e.integer(name, def)
	e.require(n >= 0 && n <= 65535, name+" must be a port number (0–65535)")
	return n
}

func (e *envReader) seconds(name string, def time.Duration) time.Duration {
	n := e.integer(name, int(def/time.Second))
	e.require(n >= 0, name+" must not be negative")
	return time.Duration(n) * time.Second
}

func (e *envReader) millis(name string, def time.Duration) time.Duration {
	n := e.integer(name, int(def/time.Millisecond))
	e.require(n >= 0, name+" must not be negative")
	return time.Duration(n) * time.Millisecond
}

func (e *envReader) boolean(name string, def bool) bool {
	v := e.str(name, "")
	if v == "" {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		e.errs = append(e.errs, fmt.Errorf("%s must be true or false, got %q", name, v))
		return def
	}
	return b
}

func (e *envReader) level(name string, def slog.Level) slog.Level {
	v := e.str(name, "")
	if v == "" {
		return def
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(v)); err != nil {
		e.errs = append(e.errs, fmt.Errorf("%s must be debug, info, warn or error, got %q", name, v))
		return def
	}
	return l
}
