package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"

	"chatd/auth"
	"chatd/migrations"
	"chatd/server"
	"chatd/socketio"
	"chatd/socketio/chat"
	"chatd/store"
)

func cmdMigrate(ctx context.Context, c *cli) error {
	cfg, logger, err := c.setup()
	if err != nil {
		return err
	}
	db, err := openStore(ctx, cfg, logger, true)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = prepareSchema(ctx, cfg, db, logger)
	return err
}

func cmdServe(ctx context.Context, c *cli) error {
	cfg, logger, err := c.setup()
	if err != nil {
		return err
	}
	if err := serve(ctx, cfg, logger); err != nil {
		logger.Error("chatd stopped", "error", err)
		return errReported
	}
	return nil
}

// openStore opens the database. The embedded store's directory is made on
// the way; a missing PostgreSQL database is created when create is set (and
// the role may).
func openStore(ctx context.Context, cfg Config, logger *slog.Logger, create bool) (*store.DB, error) {
	if cfg.Embedded() {
		if err := createPrivateFile(strings.TrimPrefix(cfg.DatabaseURL, store.SQLiteScheme)); err != nil {
			return nil, fmt.Errorf("embedded database: %w", err)
		}
	}
	db, err := store.Open(ctx, store.Config{URL: cfg.DatabaseURL}, time.Now)
	if err == nil || !store.IsMissingDatabase(err) {
		return db, err
	}
	if !create {
		return nil, fmt.Errorf("%w (`chatd migrate` creates it)", err)
	}
	name, err := store.CreateDatabase(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	logger.Info("created the database", "database", name)
	return store.Open(ctx, store.Config{URL: cfg.DatabaseURL}, time.Now)
}

// createPrivateFile makes path (and its directory) readable by chatd's user
// only, unless it exists: it holds sessions, and SQLite gives its journal
// files the database file's mode.
func createPrivateFile(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	return f.Close()
}

// prepareSchema brings the schema up: an empty database gets it, one chatd
// made gets the migrations it lacks, a Prisma-managed one is only checked.
// A new embedded store also gets the demo venue, so a first start shows
// something; PostgreSQL is never seeded.
func prepareSchema(ctx context.Context, cfg Config, db *store.DB, logger *slog.Logger) (migrations.Result, error) {
	res, err := migrations.Migrate(ctx, db.SQL().DB)
	if err != nil {
		return res, err
	}
	logger.Info("schema ready", "database", db.Dialect(), "prisma_managed", res.PrismaManaged, "applied", res.Applied)
	if !cfg.Embedded() || len(res.Applied) == 0 || res.Applied[0] != 1 {
		return res, nil
	}
	t, rooms, err := db.CreateTenant(ctx, demoName, demoSlug)
	if err != nil {
		return res, fmt.Errorf("demo venue: %w", err)
	}
	logger.Info("new embedded database: created the demo venue", "slug", t.Slug, "name", t.Name, "rooms", len(rooms))
	return res, nil
}

// The venue a new embedded store starts with.
const (
	demoSlug = "demo"
	demoName = "Demo Space"
)

// serve wires every part of chatd and runs the listeners until ctx ends,
// then shuts down within cfg.ShutdownTimeout.
func serve(ctx context.Context, cfg Config, logger *slog.Logger) error {
	if err := resolveSecret(&cfg, logger); err != nil {
		return err
	}
	db, err := openStore(ctx, cfg, logger, false)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := prepareSchema(ctx, cfg, db, logger); err != nil {
		return err
	}
	signer := auth.NewSigner(cfg.BetterAuthSecret)
	resolver := auth.NewResolver(signer, db, time.Now)
	sessions := auth.NewSessions(db, signer, time.Now, auth.Config{
		ExpiresIn:     cfg.SessionExpiresIn,
		UpdateAge:     cfg.SessionUpdateAge,
		CacheMaxAge:   cfg.SessionCacheAge,
		SecureCookies: auth.SecureCookies(cfg.BetterAuthURL, cfg.NodeEnv),
	})

	origins := cfg.CORSOrigins
	if origins == nil {
		extra := append(slices.Clone(cfg.TrustedOrigins), cfg.NativeOrigins...)
		origins = server.DefaultOrigins(cfg.BetterAuthURL, cfg.PublicServerURL, extra)
	}
	logins, err := buildLogins(cfg, db, logger)
	if err != nil {
		return err
	}
	allowList, err := server.NewOrigins(origins, cfg.TrustedProxies)
	if err != nil {
		return err
	}
	// The one registry /metrics serves (METRICS_ADDR): the gateway registers
	// the Redis adapter's series on it, newMetrics the rest.
	registry := prometheus.NewRegistry()
	admission, err := server.NewSocketAdmission(cfg.Sockets, allowList.ClientIP, time.Now, logger)
	if err != nil {
		return err
	}
	sockets, err := socketio.New(socketio.Config{
		RedisURL:    cfg.RedisURL,
		RedisPrefix: cfg.RedisPrefix,
		Chat: chat.Config{PresenceWindow: cfg.PresenceWindow, RedisURL: cfg.RedisURL, RedisPrefix: cfg.RedisPrefix,
			SessionRecheck: cfg.SessionRecheck, NativeIDFallback: cfg.NativeMember(), NativeOrigins: cfg.NativeOrigins,
			TenantCacheTTL: cfg.TenantCacheTTL, GuestSweepAge: cfg.GuestSweepAge, GuestIDKey: []byte(cfg.BetterAuthSecret)},
	}, socketio.Deps{Store: db, Sessions: resolver, Origins: allowList, Metrics: registry, Admission: admission, Logger: logger})
	if err != nil {
		return err
	}
	defer sockets.Close()
	go trimMemory(ctx)
	// Shutdown closes the sockets first, while the listeners still serve (a
	// polling client needs one more request to hear the close, and presence
	// must reach the other processes), and only then the HTTP servers.
	listenCtx, stopListening := context.WithCancel(context.WithoutCancel(ctx))
	defer stopListening()
	defer context.AfterFunc(ctx, func() { sockets.Close(); stopListening() })()
	httpMetrics, err := newMetrics(registry, sockets, sockets.Chat().NativeFallbacks, admission)
	if err != nil {
		return err
	}
	srv, err := server.New(server.Config{
		CORSOrigins:    origins,
		TrustedProxies: cfg.TrustedProxies,
		NodeEnv:        cfg.NodeEnv,
		StrictAuth:     cfg.StrictAuth,
		StaffFallback:  cfg.StaffFallback,
		UploadsDir:     cfg.UploadsDir,
		EmailPassword:  cfg.EmailPassword,
		NativeOrigins:  cfg.NativeOrigins,
		Version:        version,
		WriteTimeout:   cfg.HTTP.WriteTimeout,
		// The engine pings every interval, which ends a held polling GET;
		// the ping timeout is slack for a late ping.
		SocketPollHold: socketio.DefaultPingInterval + socketio.DefaultPingTimeout,
	}, server.Deps{Store: db, Resolver: resolver, Sessions: sessions, Logins: logins,
		Sockets: sockets.Handler(), Messages: sockets.Chat(), Accounts: sockets, SessionSockets: sockets.Chat(), Tenants: sockets.Chat(), Metrics: httpMetrics, Origins: allowList, Logger: logger, Now: time.Now})
	if err != nil {
		return err
	}
	logger.Info("chatd starting", "version", version, "database", db.Dialect(), "cors_origins", origins)
	logNativeApps(logger, cfg, allowList)
	// Websocket handshakes take the server's lane past net/http and gin.
	lane := func(ln net.Listener) net.Listener { return srv.Listener(ln, cfg.HTTP.ReadHeaderTimeout) }
	listeners := []listener{{net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port)), srv.Handler(), lane}}
	if cfg.APIPort != cfg.Port {
		listeners = append(listeners, listener{net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.APIPort)), srv.Handler(), lane})
	}
	if cfg.MetricsAddr != "" {
		listeners = append(listeners, listener{cfg.MetricsAddr, metricsHandler(registry), nil})
	}
	return listen(listenCtx, cfg.ShutdownTimeout, cfg.HTTP, logger, listeners)
}

// listener is one address and what it serves; wrap, when set, stands
// in front of the HTTP server on it.
type listener struct {
	addr    string
	handler http.Handler
	wrap    func(net.Listener) net.Listener
}

// listen serves every listener until ctx ends, then shuts each down within
// timeout: PORT and API_PORT serve the same handler (one listener when they
// are equal), METRICS_ADDR the Prometheus registry. Every connection gets
// limits' timeouts, so slow or idle clients cannot hold file descriptors.
func listen(ctx context.Context, timeout time.Duration, limits HTTPLimits, logger *slog.Logger, listeners []listener) error {
	// Bind every address before serving any, so a taken port fails the
	// start cleanly instead of leaving the other listeners half up.
	bound := make([]net.Listener, 0, len(listeners))
	// No TCP keep-alive probes: an idle connection is ended by the HTTP
	// idle timeout or, for a socket, by the engine's heartbeat, well before
	// probes would notice a dead peer; not setting them up saves four
	// system calls on every accepted connection.
	lc := net.ListenConfig{KeepAlive: -1}
	for _, l := range listeners {
		ln, err := lc.Listen(ctx, "tcp", l.addr)
		if err != nil {
			for _, b := range bound {
				b.Close()
			}
			return fmt.Errorf("listen %s: %w", l.addr, err)
		}
		if l.wrap != nil {
			ln = l.wrap(ln)
		}
		bound = append(bound, ln)
	}
	g, ctx := errgroup.WithContext(ctx)
	for i, ln := range bound {
		hs := &http.Server{Handler: listeners[i].handler, ReadHeaderTimeout: limits.ReadHeaderTimeout,
			ReadTimeout: limits.ReadTimeout, WriteTimeout: limits.WriteTimeout, IdleTimeout: limits.IdleTimeout,
			MaxHeaderBytes: limits.MaxHeaderBytes}
		logger.Info("listening", "addr", ln.Addr().String())
		g.Go(func() error {
			if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		})
		g.Go(func() error {
			<-ctx.Done()
			shutdownCtx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			return hs.Shutdown(shutdownCtx)
		})
	}
	return g.Wait()
}
