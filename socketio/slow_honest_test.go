package socketio

import (
	"context"
	"fmt"
	"net"
	"os"
	"runtime"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"chatd/socketio/chat"
	"chatd/socketio/sio"
)

// TestSlowConsumersLeaveHonestClientsAlone is the other half of
// TestSlowConsumersAreDropped: what the honest clients of a flooded room
// see while clients that stop reading (websocket, with a small receive
// window) and stop polling (while answering heartbeats blindly) sit in it.
//
// A flood runs twice to the same three honest websocket clients: first
// alone, as the baseline, then with the slow clients in the room. It
// asserts that
//   - every honest client gets every message of both floods, and the slow
//     ones are dropped and counted;
//   - the honest clients never wait for the slow ones: their p99 latency
//     (emit to receipt) stays under half the write deadline (8 s here), the
//     delay a broadcast or a batched write stuck behind a slow client
//     would add. Not a speed: on a quiet machine it is a few ms, and the
//     test logs it beside the baseline's;
//   - the process's resident memory grows by no more than the slow
//     clients' queue bounds plus 48 MB of slack for the frames in flight.
//     Resident memory here is what the Go runtime holds from the OS and has
//     not released (runtime/metrics), which is the process's RSS without
//     the race detector's shadow memory; /proc's VmRSS is logged beside it.
//
// Honest clients are websocket ones: an honest poller on a 2-core machine
// busy with other tests under -race falls seconds behind a 3.3 MB/s flood
// with or without slow clients, and is then rightly dropped as slow.
func TestSlowConsumersLeaveHonestClientsAlone(t *testing.T) {
	const (
		queueBound = 4 << 20
		msgSize    = 50 << 10
		baselineN  = 100 // 5 MB to every client
		floodN     = 400 // 20 MB to every client: past the slow websockets' socket buffers and queue bound
		slowWS     = 4
		slowPoll   = 4
		slack      = 48 << 20
		// writeTimeout is how long a write may block before its client
		// counts as slow: an honest client that waited behind a slow one
		// would see latencies of this order.
		writeTimeout = 8 * time.Second
	)
	// Honest clients answer pings behind the flood they read; the slow
	// ones answer blindly, so the heartbeat never drops them: only their
	// queue bound does.
	g, srv := newTestGatewayWith(t, Config{
		PingInterval: 300 * time.Millisecond, PingTimeout: 5 * time.Second,
		MaxQueueBytes: queueBound, WriteTimeout: writeTimeout,
		Chat: chat.Config{HeartbeatInterval: time.Hour},
	}, nil)

	var honest []*honestReader
	for range 3 {
		c := dialRaw(t, srv, "tenantSlug=demo", nil)
		c.connect(map[string]any{"token": "alice-session-token-0001"})
		honest = append(honest, &honestReader{name: "websocket", next: c.ws.ReadText, pong: func() error { return c.ws.Send("3") }})
	}
	waitFor(t, func() bool { return g.Connections() == int64(len(honest)) }, "the honest clients connected")
	g.nsp.AddSocketsLocal(sio.BroadcastOptions{}, []string{"flood"})
	ctx, cancel := context.WithCancel(t.Context())
	var readers sync.WaitGroup
	t.Cleanup(func() { cancel(); readers.Wait() })
	for _, h := range honest {
		readers.Go(func() { h.run(ctx) })
	}

	flood := func(round, messages int) []time.Duration {
		payload := strings.Repeat("x", msgSize)
		for i := range messages {
			g.nsp.Emit("flood", "flood", map[string]any{"round": round, "n": i, "sent": time.Now().UnixNano(), "text": payload})
			if i%2 == 1 {
				time.Sleep(30 * time.Millisecond) // 3.3 MB/s: what an honest client keeps up with under -race on a busy machine
			}
		}
		var all []time.Duration
		for _, h := range honest {
			got := h.wait(round, messages, 20*time.Second)
			if len(got) != messages {
				t.Fatalf("round %d: honest %s client got %d of %d messages (%v; %d dropped as slow)", round, h.name, len(got), messages, h.failure(), g.SlowConsumers())
			}
			t.Logf("round %d: honest %s client: %d messages, p99 latency %v", round, h.name, len(got), p99(got))
			all = append(all, got...)
		}
		return all
	}

	baseline := p99(flood(0, baselineN))

	for range slowWS {
		c := dialRaw(t, srv, "tenantSlug=demo", nil)
		// A client that stops reading with a small receive window (a phone
		// gone to the background): its queue, not loopback buffers, takes
		// the flood.
		if tcp, ok := c.ws.Raw().(*net.TCPConn); ok {
			_ = tcp.SetReadBuffer(16 << 10)
		}
		c.connect(map[string]any{"token": "alice-session-token-0001"})
		go blindPongs(t.Context(), func() error { return c.ws.Send("3") })
	}
	for range slowPoll {
		s := openPolling(t, srv)
		go blindPongs(t.Context(), func() error { return post(s, "3") })
	}
	waitFor(t, func() bool { return g.Connections() == int64(len(honest)+slowWS+slowPoll) }, "every client connected")
	g.nsp.AddSocketsLocal(sio.BroadcastOptions{}, []string{"flood"})

	runtime.GC()
	before, rssBefore := resident(), vmRSS()
	var peak, rssPeak atomic.Uint64
	stop := sample(func() {
		peak.Store(max(peak.Load(), resident()))
		rssPeak.Store(max(rssPeak.Load(), vmRSS()))
	})
	withSlow := p99(flood(1, floodN))
	waitFor(t, func() bool { return g.SlowConsumers() == slowWS+slowPoll }, "every slow client dropped")
	waitFor(t, func() bool { return g.Connections() == int64(len(honest)) }, "only the honest clients left")
	stop()

	t.Logf("honest websocket clients' p99 latency: %v alone, %v beside %d slow clients (%.1fx)", baseline, withSlow, slowWS+slowPoll,
		float64(withSlow)/float64(baseline))
	if limit := writeTimeout / 2; withSlow > limit {
		t.Errorf("honest p99 latency %v beside slow clients, over half the write deadline (%v): honest clients wait for slow ones", withSlow, limit)
	}
	bound := before + uint64((slowWS+slowPoll)*queueBound) + slack
	t.Logf("resident (Go runtime): %d MB before, %d MB peak, bound %d MB; VmRSS %d MB before, %d MB peak",
		before>>20, peak.Load()>>20, bound>>20, rssBefore>>20, rssPeak.Load()>>20)
	if p := peak.Load(); p > bound {
		t.Errorf("resident memory peaked at %d MB, bound %d MB", p>>20, bound>>20)
	}
}

// honestReader reads a client's packets as they come, answering pings,
// and records when each flood message arrived, per round.
type honestReader struct {
	name string
	next func(timeout time.Duration) (string, error)
	pong func() error

	mu        sync.Mutex
	latencies map[int][]time.Duration
	err       error
}

// run reads until ctx ends or the connection fails.
func (h *honestReader) run(ctx context.Context) {
	for ctx.Err() == nil {
		// Pings come every 300 ms: 10 s of silence is a failure.
		packet, err := h.next(10 * time.Second)
		if err != nil {
			if ctx.Err() == nil {
				h.fail(err)
			}
			return
		}
		if packet == "2" {
			if err := h.pong(); err != nil {
				h.fail(fmt.Errorf("pong: %w", err))
				return
			}
			continue
		}
		if !strings.HasPrefix(packet, `42["flood",`) {
			continue
		}
		now := time.Now()
		round, sent, ok := floodStamp(packet)
		if !ok {
			h.fail(fmt.Errorf("bad flood packet %.80q", packet))
			return
		}
		h.mu.Lock()
		if h.latencies == nil {
			h.latencies = map[int][]time.Duration{}
		}
		h.latencies[round] = append(h.latencies[round], now.Sub(time.Unix(0, sent)))
		h.mu.Unlock()
	}
}

func (h *honestReader) fail(err error) {
	h.mu.Lock()
	h.err = err
	h.mu.Unlock()
}

func (h *honestReader) failure() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.err
}

// wait returns round's latencies once want of them arrived, or what
// arrived by the timeout or the reader's failure.
func (h *honestReader) wait(round, want int, timeout time.Duration) []time.Duration {
	deadline := time.Now().Add(timeout)
	for {
		h.mu.Lock()
		got, err := slices.Clone(h.latencies[round]), h.err
		h.mu.Unlock()
		if len(got) >= want || err != nil || time.Now().After(deadline) {
			return got
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// floodStamp reads round and sent from the head of a flood packet,
// 42["flood",{"n":1,"round":0,"sent":1765...,"text":"xxx..."}] (JSON keys
// in sorted order), without decoding the 50 KB text: under the race
// detector a full decode per message is slower than the flood.
func floodStamp(packet string) (round int, sent int64, ok bool) {
	field := func(name string) (int64, bool) {
		_, rest, found := strings.Cut(packet[:min(len(packet), 200)], `"`+name+`":`)
		if !found {
			return 0, false
		}
		end := strings.IndexAny(rest, ",}")
		if end < 0 {
			return 0, false
		}
		n, err := strconv.ParseInt(rest[:end], 10, 64)
		return n, err == nil
	}
	r, ok1 := field("round")
	sent, ok2 := field("sent")
	return int(r), sent, ok1 && ok2
}

func p99(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[(len(s)*99)/100]
}

// resident is the memory the Go runtime has mapped and not returned to the
// OS: the heap, stacks and runtime structures, without the race
// detector's shadow memory.
func resident() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64() - s[1].Value.Uint64()
}

// vmRSS is the process's resident set from /proc (0 where there is none).
func vmRSS() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// sample runs f every 10 ms until stopped.
func sample(f func()) (stop func()) {
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		for {
			f()
			select {
			case <-done:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	return func() { close(done); <-finished }
}
