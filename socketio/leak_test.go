package socketio

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"chatd/auth"
	"chatd/server"
	"chatd/socketio/chat"
	"chatd/socketio/internal/wstest"
	"chatd/store"
	"chatd/store/storetest"
)

func TestSocketLayerLeavesNoGoroutines(t *testing.T) {
	t.Run("memory", func(t *testing.T) { exerciseAndClose(t, Config{}) })
	t.Run("redis", func(t *testing.T) {
		exerciseAndClose(t, Config{RedisURL: testRedisURL(t), RedisPrefix: "chatd-leak-" + store.RandomString(8)})
	})
}

// testRedisURL is TEST_REDIS_URL or the local default; without a Redis the
// test is skipped, unless services are required.
func testRedisURL(t *testing.T) string {
	url := os.Getenv("TEST_REDIS_URL")
	if url == "" {
		url = "redis://127.0.0.1:6379/0"
	}
	opts, err := goredis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	c := goredis.NewClient(opts)
	defer c.Close()
	if err := c.Ping(context.Background()).Err(); err != nil {
		storetest.Unavailable(t, "redis", err)
	}
	return url
}

func TestNewRefusesAnUnusableRedis(t *testing.T) {
	origins, _ := server.NewOrigins(nil, nil)
	for _, url := range []string{"not a url", "redis://127.0.0.1:1/0"} {
		g, err := New(Config{RedisURL: url}, Deps{Origins: origins, Logger: quietLogger()})
		if err == nil {
			g.Close()
			t.Errorf("New with REDIS_URL %q: no error", url)
		}
	}
}

// exerciseAndClose connects, joins and drops clients, closes the gateway
// and checks that no goroutine of the socket layer is left.
func exerciseAndClose(t *testing.T, cfg Config) {
	db, _ := storetest.OpenSeeded(t, time.Now)
	origins, _ := server.NewOrigins(nil, nil)
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent(),
		goleak.IgnoreTopFunction("database/sql.(*DB).connectionOpener"),
		goleak.IgnoreTopFunction("database/sql.(*DB).connectionCleaner"))
	cfg.Chat = chat.Config{HeartbeatInterval: 10 * time.Millisecond}
	g, err := New(cfg, Deps{
		Store: db, Sessions: auth.NewResolver(auth.NewSigner(testSecret), db, time.Now), Origins: origins,
		Logger: quietLogger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(g.Handler())
	var clients []*rawClient
	for i := 0; i < 12; i++ {
		c := dialRaw(t, srv, "tenantSlug=demo", nil)
		token := map[string]any{"token": nil}
		switch i % 3 {
		case 1:
			token["token"] = "alice-session-token-0001"
		case 2:
			token["token"] = "bad"
		}
		ack := c.connect(token)
		if i%3 != 2 && strings.HasPrefix(ack, "40") {
			user := `{"id":"a11ce000-0000-4000-8000-000000000001","alias":"Alice"}`
			if i%3 == 0 {
				c.read()                            // userCreated
				user = `{"id":"x","alias":"Guest"}` // refused join: error Forbidden
			}
			c.send(`42["join",{"user":` + user + `,"tenantSlug":"demo"}]`)
			c.read()
		}
		clients = append(clients, c)
	}
	for _, c := range clients[:6] {
		c.ws.Close() // half leave by themselves…
	}
	time.Sleep(200 * time.Millisecond)
	g.Close() // …the rest are dropped by Close
	srv.Close()
	for _, c := range clients[6:] {
		c.ws.Close()
	}
	http.DefaultClient.CloseIdleConnections()
}

// TestConnectThenDropLeavesNothing connects and drops thousands of times,
// at every point of the connect: before the open packet is read, right
// after CONNECT is sent, and after its ack. Every socket that was connected
// must be disconnected (the gauge returns to 0), every session forgotten,
// and, after Close, no goroutine left.
func TestConnectThenDropLeavesNothing(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent(),
		goleak.IgnoreTopFunction("database/sql.(*DB).connectionOpener"),
		goleak.IgnoreTopFunction("database/sql.(*DB).connectionCleaner"))
	cycles := 2000
	if testing.Short() {
		cycles = 200
	}
	g, srv := newTestGatewayWith(t, Config{Chat: chat.Config{HeartbeatInterval: time.Hour}}, nil)
	url := srv.URL + "/socket.io/?EIO=4&transport=websocket&tenantSlug=demo"
	var wg sync.WaitGroup
	work := make(chan int)
	for range 8 {
		wg.Go(func() {
			for i := range work {
				connectThenDrop(t, url, i%4)
			}
		})
	}
	for i := range cycles {
		work <- i
	}
	close(work)
	wg.Wait()
	waitFor(t, func() bool { return g.Connections() == 0 }, "the connection gauge back to 0")
	waitFor(t, func() bool { return g.engine.Stats().Sessions.Load() == 0 }, "every session forgotten")
	g.Close()
	srv.Close()
	http.DefaultClient.CloseIdleConnections()
}

// connectThenDrop opens one socket and drops it at the given step.
func connectThenDrop(t *testing.T, url string, step int) {
	ws, err := wstest.Dial(url, nil)
	if err != nil {
		t.Errorf("dial: %v", err)
		return
	}
	defer ws.Close()
	if step == 0 {
		return // before reading the open packet
	}
	if _, err := ws.ReadText(5 * time.Second); err != nil {
		t.Errorf("open: %v", err)
		return
	}
	_ = ws.Send(`40{"token":"alice-session-token-0001"}`)
	if step == 1 {
		return // CONNECT sent, ack not read
	}
	if ack, err := ws.ReadText(5 * time.Second); err != nil || !strings.HasPrefix(ack, "40") {
		t.Errorf("ack %q: %v", ack, err)
		return
	}
	if step == 2 {
		return // right after the ack
	}
	_ = ws.Send(`42["join",{"user":{"id":"a11ce000-0000-4000-8000-000000000001","alias":"Alice"},"tenantSlug":"demo"}]`)
}
