package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"

	"chatd/server"
	"chatd/store/storetest"
)

func TestSocketLimitsConfig(t *testing.T) {
	cfg, err := LoadConfig(loginEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := server.SocketLimits{Rate: 50, Burst: 1000, MaxPerClient: 2500, Exempt: []string{"127.0.0.0/8", "::1/128"}}
	if !sameLimits(cfg.Sockets, want) {
		t.Fatalf("defaults %+v, want %+v", cfg.Sockets, want)
	}
	cfg, err = LoadConfig(loginEnv(map[string]string{"SOCKET_HANDSHAKE_RATE": "0.5", "SOCKET_HANDSHAKE_BURST": "3",
		"SOCKET_MAX_PER_IP": "0", "SOCKET_LIMIT_EXEMPT": "none"}))
	if want := (server.SocketLimits{Rate: 0.5, Burst: 3, Exempt: []string{}}); err != nil || !sameLimits(cfg.Sockets, want) {
		t.Fatalf("set: %+v, %v", cfg.Sockets, err)
	}
	for _, bad := range []map[string]string{{"SOCKET_HANDSHAKE_RATE": "-1"}, {"SOCKET_HANDSHAKE_RATE": "fast"},
		{"SOCKET_HANDSHAKE_BURST": "0"}, {"SOCKET_MAX_PER_IP": "-5"}, {"SOCKET_LIMIT_EXEMPT": "localhost"}} {
		if _, err := LoadConfig(loginEnv(bad)); err == nil {
			t.Errorf("%v was accepted", bad)
		}
	}
}

func sameLimits(a, b server.SocketLimits) bool {
	return a.Rate == b.Rate && a.Burst == b.Burst && a.MaxPerClient == b.MaxPerClient && a.MaxClients == b.MaxClients &&
		strings.Join(a.Exempt, ",") == strings.Join(b.Exempt, ",") && (a.Exempt == nil) == (b.Exempt == nil)
}

// TestSocketLimitsPerClientIP boots chatd's serve with a cap of 2 sessions
// and a bucket of 4 handshakes per client IP, and drives it over TCP from
// loopback, which is a trusted proxy by default: X-Forwarded-For names the
// clients. A client past its cap or rate gets HTTP 429 with the engine's
// JSON error body, the metric counts it by reason, another client still
// connects, and loopback itself is exempt (issue #10 item 1a).
func TestSocketLimitsPerClientIP(t *testing.T) {
	addr, metrics := serveSocketLimits(t)
	const a, b = "203.0.113.1", "203.0.113.2"

	wsA1 := dialSocket(t, addr, a)
	wsA2 := dialSocket(t, addr, a)
	expect429(t, addr, a, "polling, past the cap")
	if status := dialRefused(t, addr, a); status != http.StatusTooManyRequests {
		t.Fatalf("websocket past the cap: status %d, want 429", status)
	}
	sidB := openPolling(t, addr, b) // another client is not affected
	for range 5 {                   // loopback itself is exempt: past both cap and burst
		dialSocket(t, addr, "")
	}
	waitMetric(t, metrics, "chatd_socket_limited_sessions", 3)

	// Each session that ends gives its place back; the bucket (4) still
	// runs out: handshakes 3 and 4 pass, the fifth is refused.
	wsA1.Close()
	waitMetric(t, metrics, "chatd_socket_limited_sessions", 2)
	wsA3 := dialSocket(t, addr, a)
	wsA3.Close()
	waitMetric(t, metrics, "chatd_socket_limited_sessions", 2)
	wsA4 := dialSocket(t, addr, a)
	wsA4.Close()
	waitMetric(t, metrics, "chatd_socket_limited_sessions", 2)
	expect429(t, addr, a, "polling, past the rate")
	openPolling(t, addr, "203.0.113.3").close(t)

	waitMetric(t, metrics, `chatd_socket_handshakes_refused_total{reason="cap"}`, 2)
	waitMetric(t, metrics, `chatd_socket_handshakes_refused_total{reason="rate"}`, 1)
	waitMetric(t, metrics, `chatd_socket_handshakes_refused_total{reason="clients"}`, 0)
	wsA2.Close()
	sidB.close(t)
	waitMetric(t, metrics, "chatd_socket_limited_sessions", 0)
}

// serveSocketLimits runs serve with small socket limits and the metrics
// listener; it returns the public and the metrics address.
func serveSocketLimits(t *testing.T) (string, string) {
	t.Helper()
	port, metricsPort := freePort(t), freePort(t)
	env := map[string]string{"DATABASE_URL": storetest.NewDatabase(t), "BETTER_AUTH_SECRET": "limits-test-secret-at-least-32-chars",
		"NODE_ENV": "test", "HOST": "127.0.0.1", "PORT": strconv.Itoa(port), "API_PORT": strconv.Itoa(port),
		"METRICS_ADDR": "127.0.0.1:" + strconv.Itoa(metricsPort), "SHUTDOWN_TIMEOUT": "2",
		"SOCKET_HANDSHAKE_RATE": "0.001", "SOCKET_HANDSHAKE_BURST": "4", "SOCKET_MAX_PER_IP": "2"}
	return serveEnv(t, env, port), "127.0.0.1:" + strconv.Itoa(metricsPort)
}

// dialSocket opens a websocket session as client ip ("" = loopback
// itself) and reads its open packet.
func dialSocket(t *testing.T, addr, ip string) net.Conn {
	t.Helper()
	d := ws.Dialer{Header: ws.HandshakeHeaderHTTP(forwardedFor(ip)), Timeout: 5 * time.Second}
	conn, br, _, err := d.Dial(context.Background(), "ws://"+addr+"/socket.io/?EIO=4&transport=websocket")
	if err != nil {
		t.Fatalf("websocket as %q: %v", ip, err)
	}
	t.Cleanup(func() { conn.Close() })
	if br != nil {
		ws.PutReader(br)
	}
	return conn
}

// dialRefused attempts a websocket handshake that must fail, and returns
// the HTTP status it was refused with.
func dialRefused(t *testing.T, addr, ip string) int {
	t.Helper()
	status := 0
	d := ws.Dialer{Header: ws.HandshakeHeaderHTTP(forwardedFor(ip)), Timeout: 5 * time.Second,
		OnStatusError: func(s int, _ []byte, _ io.Reader) { status = s }}
	conn, _, _, err := d.Dial(context.Background(), "ws://"+addr+"/socket.io/?EIO=4&transport=websocket")
	if err == nil {
		conn.Close()
		t.Fatalf("websocket as %s was admitted", ip)
	}
	return status
}

func forwardedFor(ip string) http.Header {
	h := http.Header{}
	if ip != "" {
		h.Set("X-Forwarded-For", ip)
	}
	return h
}

// expect429 asserts a polling handshake as ip is refused with HTTP 429
// and the engine's error body.
func expect429(t *testing.T, addr, ip, what string) {
	t.Helper()
	resp := pollingRequest(t, http.MethodGet, "http://"+addr+"/socket.io/?EIO=4&transport=polling", ip, "")
	body, _ := io.ReadAll(resp.Body)
	var e struct {
		Code    *int   `json:"code"`
		Message string `json:"message"`
	}
	if resp.StatusCode != http.StatusTooManyRequests || json.Unmarshal(body, &e) != nil || e.Code == nil || e.Message == "" {
		t.Fatalf("%s: %d %s, want 429 with {code, message}", what, resp.StatusCode, body)
	}
}

type pollingSession struct{ addr, ip, sid string }

// openPolling opens a polling session as ip.
func openPolling(t *testing.T, addr, ip string) pollingSession {
	t.Helper()
	resp := pollingRequest(t, http.MethodGet, "http://"+addr+"/socket.io/?EIO=4&transport=polling", ip, "")
	body, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(`"sid":"([^"]+)"`).FindSubmatch(body)
	if resp.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("polling handshake as %s: %d %s", ip, resp.StatusCode, body)
	}
	return pollingSession{addr, ip, string(m[1])}
}

// close sends the Engine.IO close packet.
func (p pollingSession) close(t *testing.T) {
	t.Helper()
	resp := pollingRequest(t, http.MethodPost, "http://"+p.addr+"/socket.io/?EIO=4&transport=polling&sid="+p.sid, p.ip, "1")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("close of %s: %d", p.sid, resp.StatusCode)
	}
}

func pollingRequest(t *testing.T, method, url, ip, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = forwardedFor(ip)
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// waitMetric waits until the series (name with its labels, as exposed)
// has value want; sessions end asynchronously.
func waitMetric(t *testing.T, metricsAddr, series string, want float64) {
	t.Helper()
	var got string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		got = scrape(t, metricsAddr, series)
		if v, err := strconv.ParseFloat(got, 64); err == nil && v == want {
			return
		}
	}
	t.Fatalf("%s = %q, want %v", series, got, want)
}

func scrape(t *testing.T, metricsAddr, series string) string {
	t.Helper()
	resp, err := http.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			return v
		}
	}
	return "missing"
}
