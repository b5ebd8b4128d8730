package socketio

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	goredis "github.com/redis/go-redis/v9"
	"github.com/zishang520/socket.io/servers/socket/v3"
	"go.uber.org/goleak"

	"chatd/auth"
	"chatd/server"
	"chatd/socketio/chat"
	"chatd/store"
	"chatd/store/storetest"
)

const testSecret = "gateway-test-secret-at-least-32-characters"

// newTestGateway serves a Gateway over a seeded database on httptest. The
// allow-list is the real server.Origins with http://localhost on it.
func newTestGateway(t *testing.T) (*Gateway, *httptest.Server) {
	t.Helper()
	db, dbURL := storetest.Open(t, time.Now)
	storetest.LoadSQLFile(t, dbURL, "../testdata/seed.sql")
	origins, err := server.NewOrigins([]string{"http://localhost"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	g, err := New(Config{Chat: chat.Config{HeartbeatInterval: time.Hour}}, Deps{
		Store: db, Sessions: auth.NewResolver(auth.NewSigner(testSecret), db, time.Now),
		Origins: origins, Now: time.Now, Logger: quietLogger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(g.Handler())
	t.Cleanup(func() { g.Close(); srv.Close() })
	return g, srv
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// rawClient speaks Engine.IO 4 / Socket.IO 5 over a WebSocket by hand, so a
// test sees exactly the packets the server writes.
type rawClient struct {
	t  *testing.T
	ws *websocket.Conn
}

func dialRaw(t *testing.T, srv *httptest.Server, query string, header http.Header) *rawClient {
	t.Helper()
	url := "ws" + strings.TrimPrefix(srv.URL, "http") + "/socket.io/?EIO=4&transport=websocket&" + query
	ws, resp, err := websocket.DefaultDialer.Dial(url, header)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial: %v (status %d)", err, status)
	}
	c := &rawClient{t: t, ws: ws}
	t.Cleanup(func() { ws.Close() })
	if open := c.read(); !strings.HasPrefix(open, "0{") {
		t.Fatalf("first packet %q, want the Engine.IO open", open)
	}
	return c
}

// read returns the next packet that is not a ping (pings are answered).
func (c *rawClient) read() string {
	c.t.Helper()
	for {
		_ = c.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			c.t.Fatalf("read: %v", err)
		}
		if string(data) == "2" {
			c.send("3")
			continue
		}
		return string(data)
	}
}

func (c *rawClient) send(packet string) {
	c.t.Helper()
	if err := c.ws.WriteMessage(websocket.TextMessage, []byte(packet)); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// connect sends the namespace CONNECT with auth and returns the answer.
func (c *rawClient) connect(auth map[string]any) string {
	c.t.Helper()
	body, _ := json.Marshal(auth)
	c.send("40" + string(body))
	return c.read()
}

func TestConnectErrorCarriesOnlyTheMessage(t *testing.T) {
	_, srv := newTestGateway(t)
	cases := []struct {
		name  string
		query string
		auth  map[string]any
		want  string
	}{
		{"unknown token", "", map[string]any{"token": "not-a-real-token"}, `44{"message":"invalid session"}`},
		{"expired token", "", map[string]any{"token": "eve-expired-session-token-0004"}, `44{"message":"invalid session"}`},
		{"unknown query.token", "token=nope", map[string]any{}, `44{"message":"invalid session"}`},
		{"registered id without session", "userId=a11ce000-0000-4000-8000-000000000001", map[string]any{"token": nil}, `44{"message":"authentication required"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := dialRaw(t, srv, tc.query, nil)
			if got := c.connect(tc.auth); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestConnectAcceptsTokensAndAnonymous(t *testing.T) {
	_, srv := newTestGateway(t)
	cases := []struct {
		name   string
		query  string
		auth   map[string]any
		header http.Header
		first  string // prefix of the first event after the CONNECT ack, "" for none
	}{
		{"raw token", "", map[string]any{"token": "alice-session-token-0001"}, nil, ""},
		{"signed token", "", map[string]any{"token": auth.NewSigner(testSecret).CookieValue("alice-session-token-0001")}, nil, ""},
		{"cookie", "", map[string]any{"token": nil}, http.Header{"Cookie": {"better-auth.session_token=" + auth.NewSigner(testSecret).CookieValue("mod-session-token-0002")}}, ""},
		{"new anonymous", "tenantSlug=demo&userAlias=Carla", map[string]any{"token": nil}, nil, `42["userCreated",`},
		{"resumed anonymous", "userId=b0b00000-0000-4000-8000-000000000005", map[string]any{"token": nil}, nil, `42["userConfirmed",`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := dialRaw(t, srv, tc.query, tc.header)
			if got := c.connect(tc.auth); !strings.HasPrefix(got, `40{"sid":"`) {
				t.Fatalf("got %q, want the CONNECT ack", got)
			}
			if tc.first != "" {
				if got := c.read(); !strings.HasPrefix(got, tc.first) {
					t.Fatalf("got %q, want %s…", got, tc.first)
				}
			}
		})
	}
}

func TestHandlerRefusesDisallowedOrigins(t *testing.T) {
	_, srv := newTestGateway(t)
	for _, tc := range []struct {
		origin string
		want   int
	}{{"https://evil.example.com", http.StatusForbidden}, {"http://localhost", http.StatusOK}, {"", http.StatusOK}} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/socket.io/?EIO=4&transport=polling", nil)
		if tc.origin != "" {
			req.Header.Set("Origin", tc.origin)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("polling with Origin %q: %d, want %d", tc.origin, resp.StatusCode, tc.want)
		}
	}
	url := "ws" + strings.TrimPrefix(srv.URL, "http") + "/socket.io/?EIO=4&transport=websocket"
	if _, resp, err := websocket.DefaultDialer.Dial(url, http.Header{"Origin": {"https://evil.example.com"}}); err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("websocket from a disallowed origin: err %v, resp %v; want 403", err, resp)
	}
	// An allowed cross-origin upgrade passes (the library alone refuses it).
	ws, _, err := websocket.DefaultDialer.Dial(url, http.Header{"Origin": {"http://localhost"}})
	if err != nil {
		t.Fatalf("websocket from an allowed origin: %v", err)
	}
	ws.Close()
}

func TestServerDisconnectSendsThePacketBeforeClosing(t *testing.T) {
	g, srv := newTestGateway(t)
	c := dialRaw(t, srv, "tenantSlug=demo", nil)
	ack := c.connect(map[string]any{"token": nil})
	var sid struct{ Sid string }
	if err := json.Unmarshal([]byte(strings.TrimPrefix(ack, "40")), &sid); err != nil {
		t.Fatalf("ack %q: %v", ack, err)
	}
	c.read() // userCreated
	s, ok := g.transport.IO().Sockets().Sockets().Load(socket.SocketId(sid.Sid))
	if !ok {
		t.Fatalf("socket %s not found", sid.Sid)
	}
	start := time.Now()
	newConn(s, g.cfg.CloseDelay).Disconnect()
	if got := c.read(); got != "41" {
		t.Fatalf("got %q, want the DISCONNECT packet 41", got)
	}
	// The client would close now; this one does not, so the server does.
	_ = c.ws.SetReadDeadline(time.Now().Add(3 * time.Second))
	for {
		if _, _, err := c.ws.ReadMessage(); err != nil {
			break
		}
	}
	if d := time.Since(start); d < g.cfg.CloseDelay/2 || d > 2*time.Second {
		t.Fatalf("transport closed after %v, want about %v", d, g.cfg.CloseDelay)
	}
}

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
	db, dbURL := storetest.Open(t, time.Now)
	storetest.LoadSQLFile(t, dbURL, "../testdata/seed.sql")
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

// The script connects n times with the real socket.io-client and prints how
// each connection ended.
const disconnectScript = `
const { createRequire } = require('node:module');
const { io } = createRequire(process.argv[2])('socket.io-client');
const [url, n, transports] = [process.argv[3], Number(process.argv[4]), JSON.parse(process.argv[5])];
(async () => {
  const reasons = {};
  for (let i = 0; i < n; i++) {
    const s = io(url, { transports, forceNew: true, auth: { token: null }, query: { tenantSlug: 'demo' } });
    const reason = await new Promise((resolve) => {
      s.on('disconnect', resolve);
      s.on('connect_error', (e) => resolve('connect_error ' + e.message));
      setTimeout(() => resolve('timeout'), 5000);
    });
    reasons[reason] = (reasons[reason] || 0) + 1;
    s.close();
  }
  console.log(JSON.stringify(reasons));
})();
`

// TestRealClientSeesServerDisconnect drives socket.io-client (compat/'s
// node_modules) against the gateway: every server-side Disconnect must reach
// the client as "io server disconnect", never "transport close", on both
// transports.
func TestRealClientSeesServerDisconnect(t *testing.T) {
	pkg, err := filepath.Abs("../compat/package.json")
	if err != nil {
		t.Fatal(err)
	}
	node, err := exec.LookPath("node")
	if _, statErr := os.Stat(filepath.Join(filepath.Dir(pkg), "node_modules", "socket.io-client")); err != nil || statErr != nil {
		t.Skip("node or compat/node_modules missing (npm ci in compat/); the Node suite covers the rest")
	}
	g, srv := newTestGateway(t)
	_ = g.transport.IO().On("connection", func(args ...any) {
		s := args[0].(*socket.Socket)
		time.AfterFunc(50*time.Millisecond, func() { newConn(s, g.cfg.CloseDelay).Disconnect() })
	})
	script := filepath.Join(t.TempDir(), "disconnect.cjs")
	if err := os.WriteFile(script, []byte(disconnectScript), 0o600); err != nil {
		t.Fatal(err)
	}
	const runs = 30
	for _, transports := range []string{`["websocket","polling"]`, `["polling"]`} {
		out, err := exec.Command(node, script, pkg, srv.URL, strconv.Itoa(runs), transports).CombinedOutput()
		if err != nil {
			t.Fatalf("node: %v\n%s", err, out)
		}
		want := fmt.Sprintf(`{"io server disconnect":%d}`, runs)
		if got := strings.TrimSpace(string(out)); got != want {
			t.Errorf("%s: %s, want %s", transports, got, want)
		}
	}
}

func TestOnlyTheMainNamespaceExists(t *testing.T) {
	_, srv := newTestGateway(t)
	c := dialRaw(t, srv, "", nil)
	c.send(`40/admin,{"token":null}`)
	if got, want := c.read(), `44/admin,{"message":"Invalid namespace"}`; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestDatabaseDownRefusesWithServiceUnavailable(t *testing.T) {
	db, dbURL := storetest.Open(t, time.Now)
	storetest.LoadSQLFile(t, dbURL, "../testdata/seed.sql")
	origins, _ := server.NewOrigins(nil, nil)
	g, err := New(Config{}, Deps{Store: db, Sessions: auth.NewResolver(auth.NewSigner(testSecret), db, time.Now),
		Origins: origins, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(g.Handler())
	t.Cleanup(func() { g.Close(); srv.Close() })
	db.Close()
	for _, auth := range []map[string]any{{"token": nil}, {"token": "alice-session-token-0001"}} {
		c := dialRaw(t, srv, "tenantSlug=demo", nil)
		if got, want := c.connect(auth), `44{"message":"service unavailable"}`; got != want {
			t.Errorf("auth %v: got %q, want %q", auth, got, want)
		}
	}
}
