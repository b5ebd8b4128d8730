package redisadapter_test

import (
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"os"
	"slices"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"chatd/socketio/redisadapter"
	"chatd/socketio/redisadapter/adaptertest"
	"chatd/socketio/sio"
	"chatd/store/storetest"
)

// newClient is a client of the test Redis, or of addr (a proxy) when set.
func newClient(t testing.TB, addr string) *goredis.Client {
	t.Helper()
	opts := storetest.RedisOptions(t)
	if addr != "" {
		opts.Addr = addr
	}
	c := goredis.NewClient(opts)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// testPrefix keeps a test's channels apart from every other test's on the
// shared Redis.
func testPrefix() string { return "chatd-test-adapter-" + rand.Text()[:12] }

func quietLogger() *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// node is one process of a test cluster: its adapter and its namespace.
type node struct {
	*redisadapter.Adapter
	local *adaptertest.Local
}

func newNode(t *testing.T, client *goredis.Client, cfg redisadapter.Config, sockets ...adaptertest.Socket) node {
	t.Helper()
	local := adaptertest.NewLocal()
	for _, s := range sockets {
		local.Connect(s)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	a, err := redisadapter.New(ctx, client, cfg, local, quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	return node{a, local}
}

// cluster is two processes, A and B, on the test Redis.
type cluster struct {
	client *goredis.Client
	cfg    redisadapter.Config
	a, b   node
}

func newCluster(t *testing.T, aSockets, bSockets []adaptertest.Socket) cluster {
	t.Helper()
	client := newClient(t, "")
	cfg := redisadapter.Config{Prefix: testPrefix()}
	return cluster{client, cfg, newNode(t, client, cfg, aSockets...), newNode(t, client, cfg, bSockets...)}
}

// waitCtx bounds a wait for something that must happen.
func waitCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// waitEvents waits until local has n events of kind and returns them.
func waitEvents(t *testing.T, local *adaptertest.Local, kind string, n int) []adaptertest.Event {
	t.Helper()
	events, err := local.Wait(waitCtx(t), func(events []adaptertest.Event) bool { return len(ofKind(events, kind)) >= n })
	if err != nil {
		t.Fatalf("waiting for %d %s events: %v; got %+v", n, kind, err, events)
	}
	return ofKind(events, kind)
}

func ofKind(events []adaptertest.Event, kind string) []adaptertest.Event {
	return slices.DeleteFunc(slices.Clone(events), func(e adaptertest.Event) bool { return e.Kind != kind })
}

// event is a chat message packet as the namespace hands it over.
func event(name, body string, attachments ...[]byte) sio.Packet {
	return sio.Packet{Type: sio.PacketEvent, Nsp: "/", Data: []byte(`["` + name + `",` + body + `]`), Attachments: attachments}
}

// waitServers waits until the cluster counts n servers (a reconnecting
// subscription is back).
func waitServers(t *testing.T, a *redisadapter.Adapter, n int) {
	t.Helper()
	ctx := waitCtx(t)
	for {
		got, err := a.ServerCount(ctx)
		if err == nil && got == n {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("server count: got %d (%v), want %d", got, err, n)
		case <-time.After(20 * time.Millisecond):
		}
	}
}
