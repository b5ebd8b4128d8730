// Command chatd-soak holds many chat sockets against a running chatd for a
// long time with light traffic — messages and reconnects — and samples the
// server's RSS and goroutine count, to show they stay flat (issue #10 item
// 9). It is not part of CI: scripts/soak.sh builds chatd, prepares a
// database and runs it (docs/operations.md#soak).
//
//	chatd-soak -url http://127.0.0.1:3001 -pid PID -metrics http://127.0.0.1:9090/metrics
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

type config struct {
	url, wsURL, origin string
	metrics            string
	pid                int
	sockets, tenants   int
	tenantFormat       string
	conc               int
	duration, warmup   time.Duration
	every              time.Duration
	messages, drops    float64
	flatPct            float64
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	var cfg config
	fs := flag.NewFlagSet("chatd-soak", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.url, "url", "http://127.0.0.1:3001", "chatd's base URL")
	fs.StringVar(&cfg.origin, "origin", "http://localhost:3000", "Origin header of the handshakes (must be on chatd's CORS list)")
	fs.StringVar(&cfg.metrics, "metrics", "", "chatd's /metrics URL (METRICS_ADDR), for go_goroutines")
	fs.IntVar(&cfg.pid, "pid", 0, "chatd's process id, for VmRSS")
	fs.IntVar(&cfg.sockets, "n", 10_000, "sockets")
	fs.IntVar(&cfg.tenants, "tenants", 100, "tenants the sockets are spread over, evenly")
	fs.StringVar(&cfg.tenantFormat, "tenant-format", "soak-%03d", "tenant slug for index i (fmt verb)")
	fs.IntVar(&cfg.conc, "c", 100, "handshakes in flight while connecting")
	fs.DurationVar(&cfg.duration, "dur", 10*time.Minute, "how long to hold the sockets with traffic, after all joined")
	fs.DurationVar(&cfg.warmup, "warmup", time.Minute, "samples this long after all joined are left out of the verdict")
	fs.DurationVar(&cfg.every, "every", 10*time.Second, "sampling interval")
	fs.Float64Var(&cfg.messages, "messages", 10, "chat messages per second, from random joined sockets")
	fs.Float64Var(&cfg.drops, "reconnects", 5, "sockets dropped per second (each reconnects as the same guest)")
	fs.Float64Var(&cfg.flatPct, "flat", 10, "flat: the last third's mean RSS and goroutines within this many percent of the first third's")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if cfg.pid == 0 || cfg.metrics == "" {
		fmt.Fprintln(stderr, "chatd-soak: -pid and -metrics are required")
		return 2
	}
	cfg.url = strings.TrimRight(cfg.url, "/")
	cfg.wsURL = "ws" + strings.TrimPrefix(cfg.url, "http")
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ok, err := soak(ctx, &cfg, stdout)
	if err != nil {
		fmt.Fprintln(stderr, "chatd-soak:", err)
		return 1
	}
	if !ok {
		return 1
	}
	return 0
}

// soak connects every client, holds them with traffic for cfg.duration
// while sampling, and prints the verdict.
func soak(ctx context.Context, cfg *config, out io.Writer) (bool, error) {
	stats := &counters{}
	s := &sampler{cfg: cfg, stats: stats, out: out, start: time.Now()}
	first, err := s.sample("start")
	if err != nil {
		return false, err
	}
	s.print(first)
	clients := make([]*client, cfg.sockets)
	clientCtx, stopClients := context.WithCancel(ctx)
	defer stopClients()
	sampling, stopSampling := context.WithCancel(ctx)
	defer stopSampling()
	s.setPhase("ramp")
	go s.loop(sampling)

	// Ramp: cfg.conc handshakes in flight, tenant by tenant (a venue's
	// users arrive together); a slot frees when its client has joined or
	// failed once.
	slots := make(chan struct{}, cfg.conc)
	rampStart := time.Now()
	for i := range clients {
		c := &client{cfg: cfg, stats: stats, slug: fmt.Sprintf(cfg.tenantFormat, i*cfg.tenants/cfg.sockets),
			alias: fmt.Sprintf("Soak%05d", i)}
		clients[i] = c
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return false, ctx.Err()
		}
		ready := make(chan bool, 1)
		go c.run(clientCtx, ready)
		go func() { <-ready; <-slots }()
	}
	for deadline := time.Now().Add(5 * time.Minute); stats.joined.Load() < int64(cfg.sockets); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) || ctx.Err() != nil {
			return false, fmt.Errorf("only %d of %d sockets joined after %v", stats.joined.Load(), cfg.sockets, time.Since(rampStart).Round(time.Second))
		}
	}
	fmt.Fprintf(out, "# all %d sockets joined in %.1f s; traffic: %.0f messages/s, %.0f reconnects/s for %v (failures below: a connect or join that failed, or a session the server ended)\n",
		cfg.sockets, time.Since(rampStart).Seconds(), cfg.messages, cfg.drops, cfg.duration)
	s.setPhase("warm-up")
	go traffic(clientCtx, cfg, clients)
	select {
	case <-time.After(cfg.warmup):
		s.setPhase("steady")
	case <-ctx.Done():
	}
	select {
	case <-time.After(cfg.duration - cfg.warmup):
	case <-ctx.Done():
	}
	stopSampling()
	s.wait()
	last, err := s.sample("end")
	if err != nil {
		return false, err
	}
	s.print(last)
	return s.verdict(last), nil
}

// traffic sends cfg.messages chat messages and drops cfg.drops sockets per
// second, each from a random client.
func traffic(ctx context.Context, cfg *config, clients []*client) {
	send := time.NewTicker(time.Duration(float64(time.Second) / max(cfg.messages, 0.001)))
	drop := time.NewTicker(time.Duration(float64(time.Second) / max(cfg.drops, 0.001)))
	defer send.Stop()
	defer drop.Stop()
	var seq int64
	for {
		select {
		case <-ctx.Done():
			return
		case <-send.C:
			if cfg.messages > 0 {
				seq++
				clients[rand.IntN(len(clients))].send(seq)
			}
		case <-drop.C:
			if cfg.drops > 0 {
				clients[rand.IntN(len(clients))].drop()
			}
		}
	}
}
