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
	"encoding/json"
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

	"chatd/socketio/engineio"
	"chatd/socketio/sio"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// engineConfig is the suites' Engine.IO settings.
func engineConfig() engineio.Config {
	return engineio.Config{
		PingInterval:  300 * time.Millisecond,
		PingTimeout:   200 * time.Millisecond,
		MaxPayload:    1_000_000,
		CORSAnyOrigin: true,
	}
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("conformance", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:3000", "listen address (port 0 picks a free one)")
	verbose := fs.Bool("v", false, "log every request and every session's end and its reason to stderr")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})))

	eio := engineio.NewServer(engineConfig(), echo{})
	defer eio.Close()

	io := sio.NewServer(sio.Config{ConnectTimeout: time.Second})
	mountSocketIO(io)
	sioEngine := engineio.NewServer(engineConfig(), io)
	defer sioEngine.Close()

	mux := http.NewServeMux()
	mux.Handle("/engine.io/", eio)
	mux.Handle("/socket.io/", sioEngine)

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(stderr, "conformance:", err)
		return 1
	}
	var handler http.Handler = mux
	if *verbose {
		handler = logRequests(mux)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second}
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

// echo is the bare Engine.IO handler: every message goes straight back,
// text as text and binary as binary.
type echo struct{}

func (echo) Open(s *engineio.Session) engineio.Receiver { return echoSession{s} }

type echoSession struct{ s *engineio.Session }

func (e echoSession) Message(data []byte, binary bool) {
	if binary {
		e.s.Send(engineio.BinaryMessage(data))
		return
	}
	e.s.Send(engineio.TextMessage(data))
}

func (echoSession) Closed(string) {}

// mountSocketIO registers the suites' namespaces; any other namespace is
// refused with "Invalid namespace".
func mountSocketIO(io *sio.Server) {
	io.Of("/").OnConnection(func(s *sio.Socket) {
		s.EmitRaw("auth", []json.RawMessage{s.Auth()}, nil)
		s.OnEvent(func(s *sio.Socket, ev sio.Event) {
			switch ev.Name {
			case "message":
				s.EmitRaw("message-back", ev.Args, ev.Attachments)
			case "message-with-ack":
				if ev.AckID != nil {
					s.Ack(*ev.AckID, ev.Args, ev.Attachments)
				}
			}
		})
	})
	io.Of("/custom").OnConnection(func(s *sio.Socket) {
		s.EmitRaw("auth", []json.RawMessage{s.Auth()}, nil)
	})
}
