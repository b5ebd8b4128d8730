package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Config is everything chatd reads from the environment (and .env), parsed
// and validated once at start. Packages receive the parts they need as values.
type Config struct {
	DatabaseURL      string
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
	ShutdownTimeout  time.Duration
	HTTP             HTTPLimits // HTTP_*: what every listener allows one connection
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

// Production reports whether NODE_ENV says production, which turns on the
// secure cookie fallback and BetterAuth's sign-in rate limit.
func (c Config) Production() bool { return c.NodeEnv == "production" }

// LoadConfig reads the configuration through getenv (os.Getenv in main, a map
// in tests) and reports every problem at once.
func LoadConfig(getenv func(string) string) (Config, error) {
	e := envReader{getenv: getenv}
	c := Config{
		DatabaseURL:      e.str("DATABASE_URL", ""),
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
		TrustedProxies:   e.list("TRUSTED_PROXIES"),
		SessionExpiresIn: e.seconds("SESSION_EXPIRES_IN", 30*24*time.Hour),
		SessionUpdateAge: e.seconds("SESSION_UPDATE_AGE", 24*time.Hour),
		SessionCacheAge:  e.seconds("SESSION_COOKIE_CACHE_MAX_AGE", 300*time.Second),
		SessionRecheck:   e.seconds("SESSION_RECHECK_INTERVAL", 300*time.Second),
		UploadsDir:       e.str("UPLOADS_DIR", e.str("UPLOAD_DIR", "./uploads")),
		StaffFallback:    e.boolean("STAFF_FALLBACK", true),
		EmailPassword:    e.boolean("EMAIL_PASSWORD_ENABLED", false),
		PresenceWindow:   e.millis("PRESENCE_COALESCE_MS", 100*time.Millisecond),
		ShutdownTimeout:  e.seconds("SHUTDOWN_TIMEOUT", 10*time.Second),
		HTTP: HTTPLimits{
			ReadHeaderTimeout: e.seconds("HTTP_READ_HEADER_TIMEOUT", 10*time.Second),
			ReadTimeout:       e.seconds("HTTP_READ_TIMEOUT", 60*time.Second),
			WriteTimeout:      e.seconds("HTTP_WRITE_TIMEOUT", 120*time.Second),
			IdleTimeout:       e.seconds("HTTP_IDLE_TIMEOUT", 65*time.Second),
			MaxHeaderBytes:    e.integer("HTTP_MAX_HEADER_BYTES", 64<<10),
		},
	}
	e.require(c.HTTP.MaxHeaderBytes >= 4<<10, "HTTP_MAX_HEADER_BYTES must be at least 4096 (a session cookie and its cache need that much)")
	c.BetterAuthURL = strings.TrimRight(e.str("BETTER_AUTH_URL", c.PublicServerURL), "/")
	if c.TrustedProxies == nil {
		c.TrustedProxies = []string{"127.0.0.0/8", "::1/128"}
	}
	c.Logins = loadLoginConfig(&e, c.Production())
	e.require(c.DatabaseURL != "", "DATABASE_URL is required (postgresql://user:pass@host:5432/db)")
	e.require(c.BetterAuthSecret != "", "BETTER_AUTH_SECRET is required (the same secret the BetterAuth server signs cookies with)")
	development := c.NodeEnv == "development" || c.NodeEnv == "test"
	e.require(development || c.BetterAuthSecret == "" || len(c.BetterAuthSecret) >= 32,
		"BETTER_AUTH_SECRET must be at least 32 characters outside development")
	for _, name := range []string{"BETTER_AUTH_URL", "NEXT_PUBLIC_SERVER_URL"} {
		if v := getenv(name); v != "" {
			u, err := url.Parse(v)
			e.require(err == nil && u.Scheme != "" && u.Host != "", name+" must be an absolute URL like https://chat.example.com")
		}
	}
	return c, errors.Join(e.errs...)
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
