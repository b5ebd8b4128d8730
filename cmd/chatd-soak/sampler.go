package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// row is one sample: chatd's memory and goroutines, and the clients' counts.
type row struct {
	at                   time.Duration
	phase                string
	rssKB, goroutines    int64
	connected, joined    int64
	sent, received       int64
	reconnects, failures int64
}

// sampler reads chatd every cfg.every and keeps the rows for the verdict.
type sampler struct {
	cfg   *config
	stats *counters
	out   io.Writer
	start time.Time

	mu      sync.Mutex
	phase   string
	rows    []row
	done    chan struct{}
	headers bool
}

func (s *sampler) setPhase(p string) {
	s.mu.Lock()
	s.phase = p
	s.mu.Unlock()
}

// loop samples until ctx ends; wait returns once it has.
func (s *sampler) loop(ctx context.Context) {
	s.mu.Lock()
	s.done = make(chan struct{})
	s.mu.Unlock()
	defer close(s.done)
	t := time.NewTicker(s.cfg.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s.mu.Lock()
		phase := s.phase
		s.mu.Unlock()
		r, err := s.sample(phase)
		if err != nil {
			fmt.Fprintln(s.out, "# sample failed:", err)
			continue
		}
		s.print(r)
		s.mu.Lock()
		s.rows = append(s.rows, r)
		s.mu.Unlock()
	}
}

func (s *sampler) wait() {
	s.mu.Lock()
	done := s.done
	s.mu.Unlock()
	if done != nil {
		<-done
	}
}

func (s *sampler) sample(phase string) (row, error) {
	rss, err := vmRSS(s.cfg.pid)
	if err != nil {
		return row{}, err
	}
	g, err := goroutines(s.cfg.metrics)
	if err != nil {
		return row{}, err
	}
	st := s.stats
	return row{at: time.Since(s.start), phase: phase, rssKB: rss, goroutines: g,
		connected: st.connected.Load(), joined: st.joined.Load(), sent: st.sent.Load(), received: st.received.Load(),
		reconnects: st.reconnects.Load(), failures: st.failures.Load()}, nil
}

func (s *sampler) print(r row) {
	if !s.headers {
		s.headers = true
		fmt.Fprintf(s.out, "%7s  %-8s %9s %10s %9s %9s %9s %11s %10s %8s\n",
			"t", "phase", "RSS MB", "goroutines", "connected", "joined", "sent", "received", "reconnects", "failures")
	}
	fmt.Fprintf(s.out, "%6.0fs  %-8s %9.1f %10d %9d %9d %9d %11d %10d %8d\n", r.at.Seconds(), r.phase, float64(r.rssKB)/1024,
		r.goroutines, r.connected, r.joined, r.sent, r.received, r.reconnects, r.failures)
}

// verdict compares the first and last thirds of the steady samples (after
// the warm-up): flat when both means are within cfg.flatPct percent.
func (s *sampler) verdict(last row) bool {
	s.mu.Lock()
	var steady []row
	for _, r := range s.rows {
		if r.phase == "steady" {
			steady = append(steady, r)
		}
	}
	s.mu.Unlock()
	if len(steady) < 3 {
		fmt.Fprintf(s.out, "verdict: too few steady samples (%d) to judge\n", len(steady))
		return false
	}
	third := len(steady) / 3
	head, tail := steady[:third], steady[len(steady)-third:]
	mean := func(rs []row, f func(row) int64) float64 {
		sum := 0.0
		for _, r := range rs {
			sum += float64(f(r))
		}
		return sum / float64(len(rs))
	}
	rss0, rss1 := mean(head, func(r row) int64 { return r.rssKB })/1024, mean(tail, func(r row) int64 { return r.rssKB })/1024
	g0, g1 := mean(head, func(r row) int64 { return r.goroutines }), mean(tail, func(r row) int64 { return r.goroutines })
	drss, dg := 100*(rss1-rss0)/rss0, 100*(g1-g0)/g0
	flat := abs(drss) <= s.cfg.flatPct && abs(dg) <= s.cfg.flatPct
	fmt.Fprintf(s.out, "steady samples: %d (first and last thirds: %d each)\n", len(steady), third)
	fmt.Fprintf(s.out, "RSS:        first third %.1f MB, last third %.1f MB (%+.1f%%)\n", rss0, rss1, drss)
	fmt.Fprintf(s.out, "goroutines: first third %.0f, last third %.0f (%+.1f%%)\n", g0, g1, dg)
	fmt.Fprintf(s.out, "clients: %d of %d joined at the end; %d messages sent, %d newMessage received, %d reconnects, %d failed connects\n",
		last.joined, s.cfg.sockets, last.sent, last.received, last.reconnects, last.failures)
	verdict := "FLAT"
	if !flat {
		verdict = "NOT FLAT"
	}
	fmt.Fprintf(s.out, "verdict: %s (both within ±%.0f%%)\n", verdict, s.cfg.flatPct)
	return flat
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

// vmRSS is the process's resident set in KiB (/proc/PID/status).
func vmRSS(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			return strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
		}
	}
	return 0, fmt.Errorf("no VmRSS for pid %d", pid)
}

// goroutines reads go_goroutines from chatd's /metrics.
func goroutines(url string) (int64, error) {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "go_goroutines "); ok {
			f, err := strconv.ParseFloat(v, 64)
			return int64(f), err
		}
	}
	return 0, fmt.Errorf("no go_goroutines at %s", url)
}
