// Command conformance serves chatd's socket layer with the settings and
// handlers the official Engine.IO v4 and Socket.IO v5 test suites expect
// (see /work/shared/spec/protocol-conformance.md): /engine.io/ is the bare
// Engine.IO layer echoing every message, /socket.io/ the Socket.IO layer.
//
//	go run ./compat/conformance -addr 127.0.0.1:3000
//
// With port 0 it picks a free port; the first stdout line is always
// "listening on http://HOST:PORT", which the protocol suite waits for.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"chatd/socketio"

	engine "github.com/zishang520/socket.io/servers/engine/v3"
	"github.com/zishang520/socket.io/servers/socket/v3"
	"github.com/zishang520/socket.io/v3/pkg/types"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// options are the suites' settings.
func options(path string) socketio.TransportOptions {
	return socketio.TransportOptions{
		Path:           path,
		PingInterval:   300 * time.Millisecond,
		PingTimeout:    200 * time.Millisecond,
		MaxPayload:     1_000_000,
		ConnectTimeout: 1000 * time.Millisecond,
		CORSAnyOrigin:  true,
	}
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("conformance", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:3000", "listen address (port 0 picks a free one)")
	verbose := fs.Bool("v", false, "log every session's end and its reason to stderr")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})))

	eio := socketio.NewEngine(options("/engine.io/"))
	defer eio.Close()
	_ = eio.Server().On("connection", echo, logClose("/engine.io/"))

	sio := socketio.NewTransport(options("/socket.io/"))
	defer sio.Close()
	mountSocketIO(sio.IO())
	_ = sio.IO().Engine().On("connection", logClose("/socket.io/"))

	mux := http.NewServeMux()
	mux.Handle("/engine.io/", eio.Handler())
	mux.Handle("/socket.io/", sio.Handler())

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(stderr, "conformance:", err)
		return 1
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	fmt.Fprintf(stdout, "listening on http://%s\n", ln.Addr())

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(stderr, "conformance:", err)
		return 1
	}
	return 0
}

// echo sends every message of an Engine.IO session straight back, text as
// text and binary as binary.
func echo(args ...any) {
	conn, ok := args[0].(engine.Socket)
	if !ok {
		return
	}
	_ = conn.On("message", func(args ...any) {
		if len(args) == 0 {
			return
		}
		switch data := args[0].(type) {
		case *types.StringBuffer:
			conn.Send(types.NewStringBufferString(data.String()), nil, nil)
		case types.BufferInterface:
			conn.Send(types.NewBytesBuffer(data.Bytes()), nil, nil)
		}
	})
}

// logClose reports why each session ended, the first thing to look at
// when a suite run fails on timing.
func logClose(path string) func(...any) {
	return func(args ...any) {
		conn, ok := args[0].(engine.Socket)
		if !ok {
			return
		}
		sid := conn.Id()
		_ = conn.Once("close", func(args ...any) {
			reason, _ := args[0].(string)
			slog.Debug("session closed", slog.String("path", path), slog.String("sid", sid), slog.String("reason", reason))
		})
	}
}

// mountSocketIO registers the suites' namespaces; any other namespace is
// refused by the library with "Invalid namespace".
func mountSocketIO(io *socket.Server) {
	io.Of("/", func(args ...any) {
		s := args[0].(*socket.Socket)
		emitAuth(s)
		_ = s.On("message", func(args ...any) {
			_ = s.Emit("message-back", args...)
		})
		_ = s.On("message-with-ack", func(args ...any) {
			if len(args) == 0 {
				return
			}
			if ack, ok := args[len(args)-1].(socket.Ack); ok {
				ack(args[:len(args)-1], nil)
			}
		})
	})
	io.Of("/custom", func(args ...any) {
		emitAuth(args[0].(*socket.Socket))
	})
}

// emitAuth sends the CONNECT payload back, {} when there was none.
func emitAuth(s *socket.Socket) {
	auth := s.Handshake().Auth
	if auth == nil {
		auth = map[string]any{}
	}
	_ = s.Emit("auth", auth)
}
