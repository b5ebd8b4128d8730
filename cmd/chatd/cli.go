package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/joho/godotenv"
)

// command is one thing chatd can be asked to do.
type command struct {
	name    string // "serve", "tenant create"
	args    string // the synopsis after the name
	summary string
	// flags declares the command's flags on fs and returns what runs it
	// once they are parsed.
	flags func(fs *flag.FlagSet) func(ctx context.Context, c *cli) error
}

func commands() []command {
	return []command{
		{name: "serve", summary: "run the server (the default): HTTP and Socket.IO on PORT and API_PORT; an empty database gets the schema first",
			flags: func(*flag.FlagSet) func(context.Context, *cli) error { return cmdServe }},
		{name: "migrate", summary: "create the database (PostgreSQL, when the role may) and the schema; a Prisma-managed schema is only checked",
			flags: func(*flag.FlagSet) func(context.Context, *cli) error { return cmdMigrate }},
		{name: "tenant create", args: "--slug SLUG --name NAME", summary: "create a venue with its announcement and general rooms",
			flags: tenantCreateFlags},
		{name: "tenant list", summary: "list the venues",
			flags: func(*flag.FlagSet) func(context.Context, *cli) error { return cmdTenantList }},
		{name: "doctor", summary: "check the configuration, database, Redis, uploads directory and ports; exit 1 on any problem",
			flags: func(*flag.FlagSet) func(context.Context, *cli) error { return cmdDoctor }},
		{name: "version", summary: "print the version",
			flags: func(*flag.FlagSet) func(context.Context, *cli) error { return cmdVersion }},
	}
}

const usageHead = `chatd is the chat product's backend: the HTTP API, the Socket.IO gateway and
the BetterAuth-compatible auth routes in one binary.

Usage:
  chatd [command] [flags]

Commands:
`

const usageTail = `
Configuration comes from the environment and ./.env (every variable is in
.env.example). Without DATABASE_URL chatd keeps its data in an SQLite file
under DATA_DIR (default ./data); set DATABASE_URL to PostgreSQL in production.

Run "chatd <command> --help" for a command's flags.
`

// cli runs one command line.
type cli struct {
	stdout, stderr io.Writer
	getenv         func(string) string
}

func newCLI(stdout, stderr io.Writer, getenv func(string) string) *cli {
	return &cli{stdout: stdout, stderr: stderr, getenv: getenv}
}

func (c *cli) usage(w io.Writer) {
	fmt.Fprint(w, usageHead)
	for _, cmd := range commands() {
		fmt.Fprintf(w, "  %-15s %s\n", cmd.name, cmd.summary)
	}
	fmt.Fprint(w, usageTail)
}

func commandUsage(w io.Writer, cmd command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "Usage: chatd %s\n\n%s.\n", strings.TrimSpace(cmd.name+" "+cmd.args), cmd.summary)
	hasFlags := false
	fs.VisitAll(func(*flag.Flag) { hasFlags = true })
	if hasFlags {
		fmt.Fprintln(w, "\nFlags:")
		fs.SetOutput(w)
		fs.PrintDefaults()
	}
}

// find matches args to a command: one word, or "tenant" and its verb.
func find(args []string) (command, []string, bool) {
	for _, cmd := range commands() {
		words := strings.Fields(cmd.name)
		if len(args) >= len(words) && strings.Join(args[:len(words)], " ") == cmd.name {
			return cmd, args[len(words):], true
		}
	}
	return command{}, nil, false
}

func isHelp(arg string) bool {
	return arg == "-h" || arg == "-help" || arg == "--help" || arg == "help"
}

func (c *cli) run(ctx context.Context, args []string) int {
	if len(args) == 0 {
		args = []string{"serve"}
	}
	switch {
	case isHelp(args[0]) && len(args) > 1 && args[0] == "help":
		args = append(args[1:], "--help") // "chatd help migrate" is "chatd migrate --help"
	case isHelp(args[0]):
		c.usage(c.stdout)
		return 0
	case args[0] == "-v" || args[0] == "--version":
		args = []string{"version"}
	}
	cmd, rest, ok := find(args)
	if !ok {
		if len(args) > 1 && isHelp(args[1]) && args[0] == "tenant" {
			c.usage(c.stdout)
			return 0
		}
		fmt.Fprintf(c.stderr, "chatd: unknown command %q\n\n", strings.Join(args, " "))
		c.usage(c.stderr)
		return 2
	}
	fs := flag.NewFlagSet("chatd "+cmd.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	runCmd := cmd.flags(fs)
	if err := fs.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			commandUsage(c.stdout, cmd, fs)
			return 0
		}
		fmt.Fprintf(c.stderr, "chatd %s: %v\n\n", cmd.name, err)
		commandUsage(c.stderr, cmd, fs)
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(c.stderr, "chatd %s: unexpected argument %q\n\n", cmd.name, fs.Arg(0))
		commandUsage(c.stderr, cmd, fs)
		return 2
	}
	if err := runCmd(ctx, c); err != nil {
		var usageErr usageError
		if errors.As(err, &usageErr) {
			fmt.Fprintf(c.stderr, "chatd %s: %v\n\n", cmd.name, err)
			commandUsage(c.stderr, cmd, fs)
			return 2
		}
		if !errors.Is(err, errReported) {
			fmt.Fprintf(c.stderr, "chatd %s: %v\n", cmd.name, err)
		}
		return 1
	}
	return 0
}

// usageError is a bad flag value: the command's usage follows it, exit 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// errReported means the command already said what went wrong.
var errReported = errors.New("reported")

// setup loads .env and the configuration and makes the JSON logger on
// stderr. .env fills in what the environment lacks; it never overrides it.
func (c *cli) setup() (Config, *slog.Logger, error) {
	if err := godotenv.Load(); err != nil && !errors.Is(err, os.ErrNotExist) {
		return Config{}, nil, fmt.Errorf(".env: %w", err)
	}
	cfg, err := LoadConfig(c.getenv)
	if err != nil {
		return Config{}, nil, fmt.Errorf("configuration:\n%w", err)
	}
	logger := slog.New(slog.NewJSONHandler(c.stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	return cfg, logger, nil
}

func cmdVersion(_ context.Context, c *cli) error {
	fmt.Fprintf(c.stdout, "chatd %s\n", version)
	return nil
}
