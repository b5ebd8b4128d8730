package server

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"

	"chatd/socketio/engineio"
)

// TestSocketAdmissionReleasedOnEveryClose churns sessions through every
// way one ends — a dropped websocket, a close packet, a polling session
// abandoned until its ping timeout, an upgrade then a drop, an upgrade
// abandoned half-way, the server closing — on a real engine with short
// timings, and checks that every admitted session is given back: the open
// count returns to zero.
func TestSocketAdmissionReleasedOnEveryClose(t *testing.T) {
	a := newTestAdmission(t, SocketLimits{Rate: 1000, Burst: 1000, MaxPerClient: 1000}, &fakeClock{t: time.Now()}, "127.0.0.1")
	a.now = time.Now
	eng := engineio.NewServer(engineio.Config{PingInterval: time.Second, PingTimeout: 500 * time.Millisecond,
		UpgradeTimeout: 500 * time.Millisecond, Admission: a, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, quietHandler{})
	hs := httptest.NewServer(eng)
	defer hs.Close()
	base := hs.URL + "/engine.io/?EIO=4"
	var mu sync.Mutex
	var held []net.Conn // abandoned upgrades stay open until every session is given back
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()

	paths := map[string]func(t *testing.T, ip string){
		"websocket dropped": func(t *testing.T, ip string) { dialEngine(t, base, ip, "", true).Close() },
		"websocket close packet": func(t *testing.T, ip string) {
			c := dialEngine(t, base, ip, "", true)
			_ = wsutil.WriteClientText(c, []byte("1"))
			_, _ = io.Copy(io.Discard, c) // the server closes
			c.Close()
		},
		"polling abandoned": func(t *testing.T, ip string) { openEngine(t, base, ip) },
		"polling close packet": func(t *testing.T, ip string) {
			sid := openEngine(t, base, ip)
			engineRequest(t, http.MethodPost, base+"&transport=polling&sid="+sid, ip, "1")
		},
		"upgraded then dropped": func(t *testing.T, ip string) {
			c := dialEngine(t, base, ip, openEngine(t, base, ip), true)
			_ = wsutil.WriteClientText(c, []byte("2probe"))
			if msg, err := wsutil.ReadServerText(c); err != nil || string(msg) != "3probe" {
				t.Errorf("probe answered %q, %v", msg, err)
			}
			_ = wsutil.WriteClientText(c, []byte("5"))
			c.Close()
		},
		"upgrade abandoned": func(t *testing.T, ip string) {
			c := dialEngine(t, base, ip, openEngine(t, base, ip), false)
			_ = wsutil.WriteClientText(c, []byte("2probe"))
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		},
	}
	var wg sync.WaitGroup
	for round := range 10 {
		for name, path := range paths {
			ip := "198.51.100." + strconv.Itoa(round+1) // each client runs every path at once
			wg.Go(func() {
				t.Run(name+" "+ip, func(t *testing.T) { path(t, ip) })
			})
		}
	}
	wg.Wait()
	waitOpen(t, a, 0)

	// Sessions still open when the server closes are given back too; a
	// polling one once a poll has taken its close packet.
	var sids []string
	for i := range 5 {
		dialEngine(t, base, "203.0.113."+strconv.Itoa(i+1), "", true)
		sids = append(sids, openEngine(t, base, "203.0.113.9"))
	}
	waitOpen(t, a, 10)
	eng.Close()
	waitOpen(t, a, 5)
	for _, sid := range sids {
		engineRequest(t, http.MethodGet, base+"&transport=polling&sid="+sid, "203.0.113.9", "")
	}
	waitOpen(t, a, 0)
}

func waitOpen(t *testing.T, a *SocketAdmission, want int64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for a.Open() != want {
		if time.Now().After(deadline) {
			t.Fatalf("%d sessions counted, want %d", a.Open(), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

type quietHandler struct{}

func (quietHandler) Open(*engineio.Session) engineio.Receiver { return quietReceiver{} }

type quietReceiver struct{}

func (quietReceiver) Message([]byte, bool) {}
func (quietReceiver) Closed(string)        {}

// dialEngine opens a websocket as ip (via the trusted proxy's
// X-Forwarded-For); with sid it is an upgrade, else a new session whose
// open packet is read. With closeAtEnd the test's cleanup closes it.
func dialEngine(t *testing.T, base, ip, sid string, closeAtEnd bool) net.Conn {
	t.Helper()
	url := strings.Replace(base, "http://", "ws://", 1) + "&transport=websocket"
	if sid != "" {
		url += "&sid=" + sid
	}
	d := ws.Dialer{Header: ws.HandshakeHeaderHTTP(http.Header{"X-Forwarded-For": {ip}}), Timeout: 5 * time.Second}
	c, br, _, err := d.Dial(context.Background(), url)
	if err != nil {
		t.Fatalf("websocket: %v", err)
	}
	if br != nil { // what arrived with the handshake's response is read first
		c = bufferedConn{c, io.MultiReader(br, c)}
	}
	if closeAtEnd {
		t.Cleanup(func() { c.Close() })
	}
	if sid == "" {
		if open, err := wsutil.ReadServerText(c); err != nil || !strings.HasPrefix(string(open), "0{") {
			t.Fatalf("open packet %q, %v", open, err)
		}
	}
	return c
}

type bufferedConn struct {
	net.Conn
	r io.Reader
}

func (b bufferedConn) Read(p []byte) (int, error) { return b.r.Read(p) }

var sidPattern = regexp.MustCompile(`"sid":"([^"]+)"`)

// openEngine opens a polling session as ip and returns its id.
func openEngine(t *testing.T, base, ip string) string {
	t.Helper()
	body := engineRequest(t, http.MethodGet, base+"&transport=polling", ip, "")
	m := sidPattern.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("polling handshake: %q", body)
	}
	return m[1]
}

func engineRequest(t *testing.T, method, url, ip, body string) string {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("X-Forwarded-For", ip)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: %d %s", method, url, resp.StatusCode, b)
	}
	return string(b)
}
