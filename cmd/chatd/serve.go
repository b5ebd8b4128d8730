package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"golang.org/x/sync/errgroup"

	"chatd/auth"
	"chatd/migrations"
	"chatd/server"
	"chatd/socketio"
	"chatd/socketio/chat"
	"chatd/store"
)

// migrate creates the schema on an empty database, or only checks one that
// Prisma manages.
func migrate(ctx context.Context, cfg Config, logger *slog.Logger) error {
	db, err := store.Open(ctx, store.Config{URL: cfg.DatabaseURL}, time.Now)
	if err != nil {
		return err
	}
	defer db.Close()
	res, err := migrations.Migrate(ctx, db.SQL().DB)
	if err != nil {
		return err
	}
	logger.Info("schema ready", "prisma_managed", res.PrismaManaged, "applied", res.Applied)
	return nil
}

// serve wires every part of chatd and runs the listeners until ctx ends,
// then shuts down within cfg.ShutdownTimeout.
func serve(ctx context.Context, cfg Config, logger *slog.Logger) error {
	db, err := store.Open(ctx, store.Config{URL: cfg.DatabaseURL}, time.Now)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := migrations.Check(ctx, db.SQL().DB); err != nil {
		return fmt.Errorf("%w (run `chatd migrate` on an empty database)", err)
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
		origins = server.DefaultOrigins(cfg.BetterAuthURL, cfg.PublicServerURL, cfg.TrustedOrigins)
	}
	logins, err := buildLogins(cfg, db, logger)
	if err != nil {
		return err
	}
	allowList, err := server.NewOrigins(origins, cfg.TrustedProxies)
	if err != nil {
		return err
	}
	sockets, err := socketio.New(socketio.Config{
		RedisURL:    cfg.RedisURL,
		RedisPrefix: cfg.RedisPrefix,
		Chat:        chat.Config{PresenceWindow: cfg.PresenceWindow},
	}, socketio.Deps{Store: db, Sessions: resolver, Origins: allowList, Logger: logger, Now: time.Now})
	if err != nil {
		return err
	}
	defer sockets.Close()
	// Shutdown closes the sockets first, while the listeners still serve (a
	// polling client needs one more request to hear the close, and presence
	// must reach the other processes), and only then the HTTP servers.
	listenCtx, stopListening := context.WithCancel(context.WithoutCancel(ctx))
	defer stopListening()
	defer context.AfterFunc(ctx, func() { sockets.Close(); stopListening() })()
	srv, err := server.New(server.Config{
		CORSOrigins:    origins,
		TrustedProxies: cfg.TrustedProxies,
		NodeEnv:        cfg.NodeEnv,
		StrictAuth:     cfg.StrictAuth,
		StaffFallback:  cfg.StaffFallback,
		UploadsDir:     cfg.UploadsDir,
		EmailPassword:  cfg.EmailPassword,
		Version:        version,
	}, server.Deps{Store: db, Resolver: resolver, Sessions: sessions, Logins: logins,
		Sockets: sockets.Handler(), Messages: sockets.Chat(), Accounts: sockets, Origins: allowList, Logger: logger, Now: time.Now})
	if err != nil {
		return err
	}
	logger.Info("chatd starting", "version", version, "cors_origins", origins)
	return listen(listenCtx, cfg, logger, srv.Handler())
}

// listen serves handler on PORT and API_PORT (one listener when equal).
func listen(ctx context.Context, cfg Config, logger *slog.Logger, handler http.Handler) error {
	ports := []int{cfg.Port}
	if cfg.APIPort != cfg.Port {
		ports = append(ports, cfg.APIPort)
	}
	g, ctx := errgroup.WithContext(ctx)
	for _, port := range ports {
		addr := net.JoinHostPort(cfg.Host, strconv.Itoa(port))
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("listen %s: %w", addr, err)
		}
		hs := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: 64 << 10}
		logger.Info("listening", "addr", ln.Addr().String())
		g.Go(func() error {
			if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		})
		g.Go(func() error {
			<-ctx.Done()
			shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
			defer cancel()
			return hs.Shutdown(shutdownCtx)
		})
	}
	return g.Wait()
}
