package socketio

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"chatd/auth"
	"chatd/server"
	"chatd/socketio/chat"
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
