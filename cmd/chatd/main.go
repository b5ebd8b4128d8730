// Command chatd is the chat product's backend in one binary: the HTTP API,
// the Socket.IO gateway and the BetterAuth-compatible auth routes, on the
// product's PostgreSQL database or, with nothing configured, on an embedded
// SQLite file. `chatd help` lists the commands (cli.go).
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is main without the process: it returns the exit code (0 done, 1
// failed, 2 bad usage), so tests can drive it and nothing below it ever
// exits the process.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return newCLI(stdout, stderr, os.Getenv).run(ctx, args)
}
