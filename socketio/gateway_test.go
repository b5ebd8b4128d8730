package socketio

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"chatd/auth"
	"chatd/server"
	"chatd/socketio/chat"
	"chatd/socketio/internal/wstest"
	"chatd/socketio/sio"
	"chatd/store/storetest"
)

const testSecret = "gateway-test-secret-at-least-32-characters"

// newTestGateway serves a Gateway over a seeded database on httptest. The
// allow-list is the real server.Origins with http://localhost on it.
func newTestGateway(t *testing.T) (*Gateway, *httptest.Server) {
	return newTestGatewayWith(t, Config{Chat: chat.Config{HeartbeatInterval: time.Hour}}, nil)
}

// newTestGatewayWith builds a gateway with cfg; setup runs before it serves.
func newTestGatewayWith(t *testing.T, cfg Config, setup func(*Gateway)) (*Gateway, *httptest.Server) {
	t.Helper()
	db, _ := storetest.OpenSeeded(t, time.Now)
	origins, err := server.NewOrigins([]string{"http://localhost"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	g, err := New(cfg, Deps{
		Store: db, Sessions: auth.NewResolver(auth.NewSigner(testSecret), db, time.Now),
		Origins: origins, Logger: quietLogger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if setup != nil {
		setup(g)
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
	ws *wstest.Conn
}

func dialRaw(t *testing.T, srv *httptest.Server, query string, header http.Header) *rawClient {
	t.Helper()
	ws, err := wstest.Dial(srv.URL+"/socket.io/?EIO=4&transport=websocket&"+query, header)
	if err != nil {
		t.Fatalf("dial: %v (status %d)", err, wstest.Status(err))
	}
	c := &rawClient{t: t, ws: ws}
	t.Cleanup(func() { ws.Close() })
	if open := c.read(); !strings.HasPrefix(open, "0{") {
		t.Fatalf("first packet %q, want the Engine.IO open", open)
	}
	return c
}

// read returns the next packet that is not a ping (pings are answered),
// failing after 5 s without one.
func (c *rawClient) read() string {
	c.t.Helper()
	deadline := time.Now().Add(15 * time.Second) // only a failing test waits this long
	for {
		data, err := c.ws.ReadText(time.Until(deadline))
		if err != nil {
			c.t.Fatalf("read: %v", err)
		}
		if data == "2" {
			c.send("3")
			continue
		}
		return data
	}
}

func (c *rawClient) send(packet string) {
	c.t.Helper()
	if err := c.ws.Send(packet); err != nil {
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
	url := srv.URL + "/socket.io/?EIO=4&transport=websocket"
	if _, err := wstest.Dial(url, http.Header{"Origin": {"https://evil.example.com"}}); wstest.Status(err) != http.StatusForbidden {
		t.Errorf("websocket from a disallowed origin: %v; want 403", err)
	}
	ws, err := wstest.Dial(url, http.Header{"Origin": {"http://localhost"}})
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
	var s *sio.Socket
	g.nsp.Sockets(func(x *sio.Socket) {
		if x.ID() == sid.Sid {
			s = x
		}
	})
	if s == nil {
		t.Fatalf("socket %s not found", sid.Sid)
	}
	start := time.Now()
	conn{s}.Disconnect()
	if got := c.read(); got != "41" {
		t.Fatalf("got %q, want the DISCONNECT packet 41", got)
	}
	// The client would close now; this one does not, so the server does.
	for {
		if _, _, err := c.ws.Read(3 * time.Second); err != nil {
			break
		}
	}
	if d := time.Since(start); d < g.cfg.CloseDelay/2 || d > 2*time.Second {
		t.Fatalf("transport closed after %v, want about %v", d, g.cfg.CloseDelay)
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
	db, _ := storetest.OpenSeeded(t, time.Now)
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

func TestDisconnectUserEndsOnlyThatUsersSockets(t *testing.T) {
	g, srv := newTestGateway(t)
	alice := []map[string]any{{"token": "alice-session-token-0001"}, {"token": "alice-session-token-0001"}}
	var clients []*rawClient
	for _, auth := range append(alice, map[string]any{"token": "mod-session-token-0002"}) {
		c := dialRaw(t, srv, "tenantSlug=demo", nil)
		if ack := c.connect(auth); !strings.HasPrefix(ack, "40") {
			t.Fatalf("connect: %q", ack)
		}
		clients = append(clients, c)
	}
	if n := g.DisconnectUser("a11ce000-0000-4000-8000-000000000001"); n != 2 {
		t.Fatalf("DisconnectUser ended %d sockets, want 2", n)
	}
	for _, c := range clients[:2] {
		if got := c.read(); got != "41" {
			t.Fatalf("Alice's socket got %q, want 41", got)
		}
	}
	mod := clients[2]
	mod.send(`42["join",{"user":{"id":"30d00000-0000-4000-8000-000000000002","alias":"Mod"},"tenantSlug":"demo"}]`)
	if got := mod.read(); !strings.HasPrefix(got, `42["blockedUsers"`) {
		t.Fatalf("Mod's socket got %q, want it still served", got)
	}
}

// TestSilentClientLeavesPresenceAfterThePingTimeout: a socket that stops
// answering pings leaves presence. The timeout is long enough that a loaded
// machine never makes the live clients miss it (they answer every ping at
// once), and short enough for the silent one to go within the test.
func TestSilentClientLeavesPresenceAfterThePingTimeout(t *testing.T) {
	db, _ := storetest.OpenSeeded(t, time.Now)
	origins, _ := server.NewOrigins(nil, nil)
	g, err := New(Config{PingInterval: 200 * time.Millisecond, PingTimeout: 2 * time.Second},
		Deps{Store: db, Sessions: auth.NewResolver(auth.NewSigner(testSecret), db, time.Now), Origins: origins, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(g.Handler())
	t.Cleanup(func() { g.Close(); srv.Close() })
	join := func(token, id string) *rawClient {
		c := dialRaw(t, srv, "tenantSlug=demo", nil)
		c.connect(map[string]any{"token": token})
		c.send(`42["join",{"user":{"id":"` + id + `","alias":"x"},"tenantSlug":"demo"}]`)
		return c
	}
	alice := join("alice-session-token-0001", "a11ce000-0000-4000-8000-000000000001")
	// Alice answers pings until Mod has seen her online, then falls silent.
	silent := make(chan struct{})
	aliceDone := make(chan struct{})
	go func() {
		defer close(aliceDone)
		for {
			select {
			case <-silent:
				return
			default:
			}
			p, err := alice.ws.ReadText(50 * time.Millisecond)
			if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
				return
			}
			if p == "2" {
				_ = alice.ws.Send("3")
			}
		}
	}()
	mod := join("mod-session-token-0002", "30d00000-0000-4000-8000-000000000002")
	sawAlice := false
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		p := mod.read()
		if !strings.HasPrefix(p, `42["presenceUpdate"`) {
			continue
		}
		if strings.Contains(p, "a11ce000") {
			if !sawAlice {
				close(silent)
				<-aliceDone
			}
			sawAlice = true
		} else if sawAlice {
			return
		}
	}
	t.Fatalf("Alice's silent socket never left presence (seen online: %v)", sawAlice)
}
