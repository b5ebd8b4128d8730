package redisadapter_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	goredis "github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"chatd/socketio/redisadapter"
	"chatd/socketio/redisadapter/adaptertest"
	"chatd/socketio/sio"
	"chatd/store/storetest"
)

// proxied is a client whose Redis can be taken away: it talks to the test
// Redis through a proxy.
func proxied(t *testing.T) (*goredis.Client, *adaptertest.Proxy) {
	t.Helper()
	proxy, err := adaptertest.NewProxy(storetest.RedisOptions(t).Addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proxy.Close)
	client := newClient(t, proxy.Addr())
	return client, proxy
}

// testMetrics are adapter metrics on a registry of their own.
type testMetrics struct {
	*redisadapter.Metrics
	reg *prometheus.Registry
}

func newMetrics(t *testing.T) testMetrics {
	t.Helper()
	reg := prometheus.NewRegistry()
	m, err := redisadapter.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	return testMetrics{m, reg}
}

// value is the series name{labels} ("k=v" pairs in label order), 0 when absent.
func (m testMetrics) value(t *testing.T, name string, labels ...string) float64 {
	t.Helper()
	families, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, s := range f.GetMetric() {
			var pairs []string
			for _, l := range s.GetLabel() {
				pairs = append(pairs, l.GetName()+"="+l.GetValue())
			}
			if slices.Equal(pairs, labels) {
				return s.GetCounter().GetValue() + s.GetGauge().GetValue()
			}
		}
	}
	return 0
}

// await waits until the series' value satisfies ok.
func (m testMetrics) await(t *testing.T, name string, ok func(float64) bool, labels ...string) {
	t.Helper()
	ctx := waitCtx(t)
	for !ok(m.value(t, name, labels...)) {
		select {
		case <-ctx.Done():
			t.Fatalf("%s{%v} stayed %v", name, labels, m.value(t, name, labels...))
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// deliveredTexts lists the event names B was handed, in order.
func deliveredTexts(events []adaptertest.Event) []string {
	var out []string
	for _, e := range ofKind(events, "deliver") {
		name, _, _ := strings.Cut(strings.TrimPrefix(string(e.Packet.Data), `["`), `"`)
		out = append(out, name)
	}
	return out
}

func TestMessagesHeldWhileRedisIsAwayArriveInOrderWhenItReturns(t *testing.T) {
	viaProxy, proxy := proxied(t)
	direct := newClient(t, "")
	metrics := newMetrics(t)
	cfg := redisadapter.Config{Prefix: testPrefix(), HealthCheckInterval: 100 * time.Millisecond}
	acfg := cfg
	acfg.Metrics = metrics.Metrics
	a := newNode(t, viaProxy, acfg, adaptertest.Socket{ID: "a1"})
	b := newNode(t, direct, cfg, bSockets...)

	proxy.Cut()
	if err := a.Broadcast(context.Background(), event("held0", `1`), sio.BroadcastOptions{}); err != nil {
		t.Fatalf("broadcast while Redis is away: %v", err)
	}
	// Redis stays away until the adapter itself has seen publishing fail
	// (go-redis's own retries are over).
	metrics.await(t, "chatd_redis_adapter_publish_outages_total", func(v float64) bool { return v >= 1 }, "nsp=/")
	want := []string{"held0"}
	for i := 1; i < 5; i++ {
		name := fmt.Sprintf("held%d", i)
		want = append(want, name)
		if err := a.Broadcast(context.Background(), event(name, `1`), sio.BroadcastOptions{}); err != nil {
			t.Fatalf("broadcast %d while Redis is away: %v", i, err)
		}
	}
	proxy.Restore()
	got := deliveredTexts(waitEvents(t, b.local, "deliver", 5))
	if !slices.Equal(got, want) {
		t.Fatalf("B got %v, want %v", got, want)
	}

	// A's subscription is back too: B's broadcasts reach it again (those
	// published before it resubscribed are lost, as with any pub/sub).
	hearsAgain(t, b.Adapter, a.local)
	// Nothing twice: a last message from A follows the held ones.
	if err := a.Broadcast(context.Background(), event("end", `1`), sio.BroadcastOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := deliveredTexts(waitEvents(t, b.local, "deliver", 6)); !slices.Equal(got, append(want, "end")) {
		t.Errorf("B got %v, want each once", got)
	}
	for _, conn := range []string{"publish", "subscribe"} {
		if n := metrics.value(t, "chatd_redis_adapter_reconnects_total", "connection="+conn, "nsp=/"); n < 1 {
			t.Errorf("reconnects of %s: %v, want ≥ 1", conn, n)
		}
	}
}

func TestBeyondItsBoundsTheOutboxRefusesAtOnce(t *testing.T) {
	t.Run("bytes", func(t *testing.T) {
		viaProxy, proxy := proxied(t)
		metrics := newMetrics(t)
		cfg := redisadapter.Config{Prefix: testPrefix()}
		acfg := cfg
		acfg.Metrics, acfg.OutboxMaxBytes = metrics.Metrics, 1000
		a := newNode(t, viaProxy, acfg)
		b := newNode(t, newClient(t, ""), cfg, bSockets...)

		proxy.Cut()
		body := `"` + strings.Repeat("x", 200) + `"`
		accepted, refused := 0, 0
		for i := range 20 {
			err := a.Broadcast(context.Background(), event(fmt.Sprintf("m%02d", i), body), sio.BroadcastOptions{})
			switch {
			case err == nil:
				accepted++
			case errors.Is(err, redisadapter.ErrNotDelivered):
				refused++
			default:
				t.Fatal(err)
			}
		}
		if accepted == 0 || refused == 0 || accepted > 1000/200 {
			t.Fatalf("accepted %d, refused %d: want some of each, at most 1000 bytes held", accepted, refused)
		}
		if n := metrics.value(t, "chatd_redis_adapter_dropped_total", "nsp=/", "reason=outbox_full"); int(n) != refused {
			t.Errorf("dropped outbox_full %v, want %d", n, refused)
		}
		proxy.Restore()
		waitEvents(t, b.local, "deliver", accepted)
		if err := a.Broadcast(context.Background(), event("end", `1`), sio.BroadcastOptions{}); err != nil {
			t.Fatal(err)
		}
		got := deliveredTexts(waitEvents(t, b.local, "deliver", accepted+1))
		if len(got) != accepted+1 || got[accepted] != "end" {
			t.Errorf("B got %v: want the %d accepted (each once), then end", got, accepted)
		}
	})

	t.Run("age", func(t *testing.T) {
		viaProxy, proxy := proxied(t)
		clock := newClock()
		metrics := newMetrics(t)
		cfg := redisadapter.Config{Prefix: testPrefix()}
		acfg := cfg
		acfg.Now, acfg.OutboxMaxAge, acfg.Metrics = clock.Now, 10*time.Second, metrics.Metrics
		a := newNode(t, viaProxy, acfg)
		b := newNode(t, newClient(t, ""), cfg, bSockets...)

		proxy.Cut()
		if err := a.Broadcast(context.Background(), event("kept", `1`), sio.BroadcastOptions{}); err != nil {
			t.Fatalf("first broadcast while Redis is away: %v", err)
		}
		clock.Advance(9 * time.Second)
		if err := a.Broadcast(context.Background(), event("kept2", `1`), sio.BroadcastOptions{}); err != nil {
			t.Fatalf("within the age bound: %v", err)
		}
		clock.Advance(2 * time.Second)
		err := a.Broadcast(context.Background(), event("refused", `1`), sio.BroadcastOptions{})
		if !errors.Is(err, redisadapter.ErrNotDelivered) {
			t.Fatalf("after %s without Redis: %v, want ErrNotDelivered", 11*time.Second, err)
		}
		err = a.AddSockets(context.Background(), sio.BroadcastOptions{}, []string{"r"})
		if !errors.Is(err, redisadapter.ErrNotDelivered) {
			t.Errorf("a request after the age bound: %v, want ErrNotDelivered", err)
		}
		proxy.Restore()
		waitEvents(t, b.local, "deliver", 2)
		metrics.await(t, "chatd_redis_adapter_outbox_bytes", func(v float64) bool { return v == 0 }, "nsp=/")
		if err := a.Broadcast(context.Background(), event("end", `1`), sio.BroadcastOptions{}); err != nil {
			t.Fatalf("after Redis returned: %v", err)
		}
		if got := deliveredTexts(waitEvents(t, b.local, "deliver", 3)); !slices.Equal(got, []string{"kept", "kept2", "end"}) {
			t.Errorf("B got %v", got)
		}
	})
}

// Broadcast only queues: a Redis that takes a command and never answers
// (here for a minute) does not hold the caller.
func TestBroadcastDoesNotWaitForAnUnresponsiveRedis(t *testing.T) {
	viaProxy, proxy := proxied(t)
	viaProxy.Options().ReadTimeout = time.Minute
	viaProxy.Options().WriteTimeout = time.Minute
	a := newNode(t, viaProxy, redisadapter.Config{Prefix: testPrefix()})
	proxy.Freeze()
	done := make(chan error, 1)
	go func() {
		for i := range 100 {
			if err := a.Broadcast(context.Background(), event(fmt.Sprintf("m%d", i), `1`), sio.BroadcastOptions{}); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-waitCtx(t).Done():
		t.Fatal("Broadcast waited for Redis")
	}
	proxy.Cut() // let Close end the frozen pipeline
}

func TestASilentlyDeadSubscriptionIsReplaced(t *testing.T) {
	viaProxy, proxy := proxied(t)
	viaProxy.Options().ReadTimeout = 300 * time.Millisecond
	cfg := redisadapter.Config{Prefix: testPrefix(), HealthCheckInterval: 100 * time.Millisecond}
	a := newNode(t, viaProxy, cfg)
	b := newNode(t, newClient(t, ""), cfg)
	proxy.Freeze()
	hearsAgain(t, b.Adapter, a.local)
}

// hearsAgain broadcasts probes from "from" until local receives one.
func hearsAgain(t *testing.T, from *redisadapter.Adapter, local *adaptertest.Local) {
	t.Helper()
	ctx := waitCtx(t)
	for i := 0; ; i++ {
		if err := from.Broadcast(ctx, event(fmt.Sprintf("probe%d", i), `1`), sio.BroadcastOptions{}); err != nil {
			t.Fatal(err)
		}
		if len(ofKind(local.Events(), "deliver")) > 0 {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatal("never heard again")
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func TestCloseReleasesEverything(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	metrics := newMetrics(t)
	proxy, err := adaptertest.NewProxy(storetest.RedisOptions(t).Addr)
	if err != nil {
		t.Fatal(err)
	}
	opts := storetest.RedisOptions(t)
	direct := goredis.NewClient(opts)
	opts.Addr = proxy.Addr()
	viaProxy := goredis.NewClient(opts)
	cfg := redisadapter.Config{Prefix: testPrefix(), RequestTimeout: time.Minute, CloseTimeout: 50 * time.Millisecond, Metrics: metrics.Metrics}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	a, err := redisadapter.New(ctx, viaProxy, cfg, adaptertest.NewLocal(), quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	b, err := redisadapter.New(ctx, direct, cfg, adaptertest.NewLocal(), quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	// A query left waiting on a server that never answers ends at Close.
	silent := direct.Subscribe(ctx, cfg.Prefix+"-request#/#")
	_, _ = silent.Receive(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	var fetchErr error
	go func() {
		defer wg.Done()
		_, fetchErr = b.FetchSockets(context.Background(), sio.BroadcastOptions{})
	}()

	proxy.Cut()
	if err := a.Broadcast(ctx, event("never", `1`), sio.BroadcastOptions{}); err != nil {
		t.Fatal(err)
	}
	_ = a.Close()
	if n := metrics.value(t, "chatd_redis_adapter_dropped_total", "nsp=/", "reason=closed"); n != 1 {
		t.Errorf("dropped at close: %v, want 1", n)
	}
	if err := a.Broadcast(ctx, event("late", `1`), sio.BroadcastOptions{}); !errors.Is(err, redisadapter.ErrClosed) {
		t.Errorf("Broadcast after Close: %v, want ErrClosed", err)
	}
	time.Sleep(100 * time.Millisecond) // let the fetch publish its request
	_ = b.Close()
	wg.Wait()
	if !errors.Is(fetchErr, redisadapter.ErrClosed) {
		t.Errorf("FetchSockets pending at Close: %v, want ErrClosed", fetchErr)
	}
	_ = silent.Close()
	_, _ = direct.Close(), viaProxy.Close()
	proxy.Close()
	goleak.VerifyNone(t, ignore)
}

// clock is a settable clock for the outbox's age bound.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}
