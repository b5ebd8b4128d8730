// Command chatd is the chat product's backend in one binary: the HTTP API,
// the Socket.IO gateway and the BetterAuth-compatible auth routes, on the
// product's PostgreSQL database.
//
//	chatd [serve]   run the server (the default)
//	chatd migrate   create the schema on an empty database, or check a Prisma-managed one
//	chatd version   print the version
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/joho/godotenv"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the process: it returns the exit code, so the end-to-end
// test can drive it and nothing below it ever exits the process.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	command := "serve"
	if len(args) > 0 {
		command = args[0]
	}
	if command == "version" || command == "-v" || command == "--version" {
		fmt.Fprintf(stdout, "chatd %s\n", version)
		return 0
	}
	if command != "serve" && command != "migrate" {
		fmt.Fprintf(stderr, "chatd: unknown command %q (want serve, migrate or version)\n", command)
		return 2
	}
	// .env fills in what the environment lacks; it never overrides it.
	if err := godotenv.Load(); err != nil && !errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(stderr, "chatd: .env: %v\n", err)
		return 1
	}
	cfg, err := LoadConfig(os.Getenv)
	if err != nil {
		fmt.Fprintf(stderr, "chatd: configuration:\n%v\n", err)
		return 1
	}
	logger := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if command == "migrate" {
		err = migrate(ctx, cfg, logger)
	} else {
		err = serve(ctx, cfg, logger)
	}
	if err != nil {
		logger.Error("chatd stopped", "error", err)
		return 1
	}
	return 0
}
