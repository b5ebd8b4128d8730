package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"chatd/migrations"
	"chatd/server"
	"chatd/store"
)

// A doctor check's verdict: one line of output.
type verdict struct {
	ok     bool
	detail string
}

func pass(format string, args ...any) verdict { return verdict{true, fmt.Sprintf(format, args...)} }
func fail(format string, args ...any) verdict { return verdict{false, fmt.Sprintf(format, args...)} }

// cmdDoctor runs the deployment checklist against the configuration and
// prints one line per check; any ✗ makes it exit 1.
func cmdDoctor(ctx context.Context, c *cli) error {
	cfg, _, err := c.setup()
	if err != nil {
		fmt.Fprintf(c.stdout, "✗ configuration: %v\n", strings.ReplaceAll(err.Error(), "\n", "; "))
		return errReported
	}
	checks := []struct {
		name string
		run  func(context.Context, Config) verdict
	}{
		{"secret", doctorSecret},
		{"cookies", doctorCookies},
		{"cors", doctorCORS},
		{"database", doctorDatabase},
		{"redis", doctorRedis},
		{"uploads", doctorUploads},
		{"ports", doctorPorts},
		{"native apps", doctorNative},
	}
	failed := false
	for _, check := range checks {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		v := check.run(ctx, cfg)
		cancel()
		mark := "✓"
		if !v.ok {
			mark, failed = "✗", true
		}
		fmt.Fprintf(c.stdout, "%s %s: %s\n", mark, check.name, v.detail)
	}
	if failed {
		return errReported
	}
	return nil
}

func doctorSecret(_ context.Context, cfg Config) verdict {
	secret, source := cfg.BetterAuthSecret, "BETTER_AUTH_SECRET"
	if secret == "" {
		body, err := os.ReadFile(secretFile(cfg))
		if errors.Is(err, os.ErrNotExist) {
			return pass("not set: chatd serve generates one in %s on first start (set BETTER_AUTH_SECRET to share sessions with a BetterAuth server)", secretFile(cfg))
		} else if err != nil {
			return fail("cannot read %s: %v", secretFile(cfg), err)
		}
		secret, source = strings.TrimSpace(string(body)), secretFile(cfg)+" (generated)"
	}
	if len(secret) < minSecretLen {
		return fail("%s has %d characters; it needs at least %d", source, len(secret), minSecretLen)
	}
	return pass("%s, %d characters", source, len(secret))
}

// doctorCookies: https public URLs give __Secure- cookies, which browsers
// keep only over https; every public URL must agree on the scheme.
func doctorCookies(_ context.Context, cfg Config) verdict {
	urls := publicURLs(cfg)
	if len(urls) == 0 {
		if cfg.Production() {
			return fail("NODE_ENV=production but BETTER_AUTH_URL and NEXT_PUBLIC_SERVER_URL are unset: set them to the https URL users open")
		}
		return pass("no public URL set: plain cookie names over http (development)")
	}
	secure := strings.HasPrefix(cfg.BetterAuthURL, "https://")
	for name, u := range urls {
		if strings.HasPrefix(u, "https://") != secure {
			return fail("BETTER_AUTH_URL is %s but %s is %s: both must be https (with __Secure- cookies) or both http", cfg.BetterAuthURL, name, u)
		}
	}
	if !secure && cfg.Production() {
		return fail("NODE_ENV=production with http URL %s: session cookies would travel unencrypted; serve chatd behind https", cfg.BetterAuthURL)
	}
	if secure {
		return pass("https URLs: __Secure-better-auth.* cookies")
	}
	return pass("http URLs: better-auth.* cookies without the Secure flag")
}

// doctorCORS: the apps' own origins must be on the allow-list, or browsers
// refuse every credentialed call.
func doctorCORS(_ context.Context, cfg Config) verdict {
	origins := cfg.CORSOrigins
	if origins == nil {
		origins = server.DefaultOrigins(cfg.BetterAuthURL, cfg.PublicServerURL, cfg.TrustedOrigins)
	}
	if slices.Contains(origins, "*") {
		return fail("CORS_ORIGINS allows every origin (*): list the apps' origins instead")
	}
	var missing []string
	for name, raw := range publicURLs(cfg) {
		u, err := url.Parse(raw)
		if err != nil {
			return fail("%s: %v", name, err)
		}
		if origin := u.Scheme + "://" + u.Host; !slices.Contains(origins, origin) {
			missing = append(missing, fmt.Sprintf("%s (%s)", origin, name))
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return fail("CORS_ORIGINS lacks %s; allowed: %s", strings.Join(missing, ", "), strings.Join(origins, ", "))
	}
	return pass("allowed origins: %s", strings.Join(origins, ", "))
}

func publicURLs(cfg Config) map[string]string {
	urls := map[string]string{}
	if cfg.BetterAuthURL != "" {
		urls["BETTER_AUTH_URL"] = cfg.BetterAuthURL
	}
	if cfg.PublicServerURL != "" {
		urls["NEXT_PUBLIC_SERVER_URL"] = cfg.PublicServerURL
	}
	return urls
}

func doctorDatabase(ctx context.Context, cfg Config) verdict {
	if cfg.Embedded() {
		path := strings.TrimPrefix(cfg.DatabaseURL, store.SQLiteScheme)
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			if err := writableDir(cfg.DataDir); err != nil {
				return fail("embedded SQLite %s cannot be created: %v", path, err)
			}
			return pass("embedded SQLite %s does not exist yet: chatd serve creates it", path)
		}
	}
	db, err := store.Open(ctx, store.Config{URL: cfg.DatabaseURL, MaxOpenConns: 2}, time.Now)
	if err != nil {
		return fail("unreachable: %v", err)
	}
	defer db.Close()
	columns, err := migrations.Columns(ctx, db.SQL().DB)
	if err != nil {
		return fail("reachable, but its schema cannot be read: %v", err)
	}
	if len(columns) == 0 {
		return pass("%s reachable and empty: chatd serve (or migrate) creates the schema", db.Dialect())
	}
	if err := migrations.Check(ctx, db.SQL().DB); err != nil {
		return fail("%s reachable, %v", db.Dialect(), err)
	}
	return pass("%s reachable, schema complete", db.Dialect())
}

func doctorRedis(ctx context.Context, cfg Config) verdict {
	if cfg.RedisURL == "" {
		return pass("not set: one process, presence and rooms in memory")
	}
	opts, err := goredis.ParseURL(cfg.RedisURL)
	if err != nil {
		return fail("REDIS_URL: %v", err)
	}
	client := goredis.NewClient(opts)
	defer client.Close()
	if err := client.Ping(ctx).Err(); err != nil {
		return fail("%s unreachable: %v", opts.Addr, err)
	}
	return pass("%s answers", opts.Addr)
}

func doctorUploads(_ context.Context, cfg Config) verdict {
	if err := writableDir(cfg.UploadsDir); err != nil {
		return fail("%s is not writable: %v", cfg.UploadsDir, err)
	}
	return pass("%s is writable", cfg.UploadsDir)
}

// writableDir tries a file in dir, or in its nearest existing parent when
// dir does not exist yet (chatd creates it), and removes it again.
func writableDir(dir string) error {
	for {
		info, err := os.Stat(dir)
		if err == nil {
			if !info.IsDir() {
				return fmt.Errorf("%s is not a directory", dir)
			}
			f, err := os.CreateTemp(dir, ".chatd-doctor-*")
			if err != nil {
				return err
			}
			f.Close()
			return os.Remove(f.Name())
		}
		if !errors.Is(err, os.ErrNotExist) {
			return err
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return err
		}
		dir = parent
	}
}

func doctorPorts(_ context.Context, cfg Config) verdict {
	addrs := []string{net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))}
	if cfg.APIPort != cfg.Port {
		addrs = append(addrs, net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.APIPort)))
	}
	if cfg.MetricsAddr != "" {
		addrs = append(addrs, cfg.MetricsAddr)
	}
	var taken []string
	for _, addr := range addrs {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			taken = append(taken, fmt.Sprintf("%s (%v)", addr, err))
			continue
		}
		ln.Close()
	}
	if len(taken) > 0 {
		return fail("cannot listen on %s (is chatd already running?)", strings.Join(taken, ", "))
	}
	return pass("%s free", strings.Join(addrs, ", "))
}
