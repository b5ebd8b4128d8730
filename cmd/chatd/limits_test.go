package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"

	"chatd/store/storetest"
)

// Each timeout is one second in these tests; a client the server is meant
// to cut must be cut well before cutWithin, and one it must keep outlives
// every timeout several times over.
const cutWithin = 6 * time.Second

func TestHTTPLimitsConfig(t *testing.T) {
	cfg, err := LoadConfig(loginEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := HTTPLimits{ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second, WriteTimeout: 120 * time.Second,
		IdleTimeout: 65 * time.Second, MaxHeaderBytes: 64 << 10}
	if cfg.HTTP != want {
		t.Fatalf("defaults %+v, want %+v", cfg.HTTP, want)
	}
	cfg, err = LoadConfig(loginEnv(map[string]string{"HTTP_READ_HEADER_TIMEOUT": "2", "HTTP_READ_TIMEOUT": "3",
		"HTTP_WRITE_TIMEOUT": "4", "HTTP_IDLE_TIMEOUT": "0", "HTTP_MAX_HEADER_BYTES": "8192"}))
	if err != nil || cfg.HTTP != (HTTPLimits{2 * time.Second, 3 * time.Second, 4 * time.Second, 0, 8192}) {
		t.Fatalf("set: %+v, %v", cfg.HTTP, err)
	}
	if _, err := LoadConfig(loginEnv(map[string]string{"HTTP_MAX_HEADER_BYTES": "100"})); err == nil {
		t.Fatal("a 100-byte header limit was accepted")
	}
}

// TestSlowClientsAreCut drives the real server over TCP: slow headers, a
// slow body and an idle keep-alive connection are closed after their
// timeouts, and oversize headers are refused (issue #10 item 2).
func TestSlowClientsAreCut(t *testing.T) {
	addr := serveForTest(t)
	t.Run("slow headers", func(t *testing.T) {
		conn := dialServer(t, addr)
		write(t, conn, "GET /api/health HTTP/1.1\r\nHost: chatd\r\nX-Slow: ")
		expectClosed(t, conn)
	})
	t.Run("slow body", func(t *testing.T) {
		conn := dialServer(t, addr)
		write(t, conn, "POST /api/auth/sign-out HTTP/1.1\r\nHost: chatd\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")
		expectClosed(t, conn)
	})
	t.Run("idle keep-alive", func(t *testing.T) {
		conn := dialServer(t, addr)
		write(t, conn, "GET /api/health HTTP/1.1\r\nHost: chatd\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil || resp.StatusCode != 200 || resp.Close {
			t.Fatalf("first request: %v %v", resp, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		expectClosed(t, conn)
	})
	t.Run("oversize headers", func(t *testing.T) {
		conn := dialServer(t, addr)
		write(t, conn, "GET /api/health HTTP/1.1\r\nHost: chatd\r\nX-Big: "+strings.Repeat("a", 16<<10)+"\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil || resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Fatalf("got %v %v, want 431", resp, err)
		}
	})
}

// TestSocketsOutliveHTTPTimeouts: a WebSocket and a held polling GET live
// past the read, write and idle timeouts of ordinary requests.
func TestSocketsOutliveHTTPTimeouts(t *testing.T) {
	addr := serveForTest(t)
	t.Run("websocket", func(t *testing.T) {
		conn, br, _, err := ws.Dial(context.Background(), "ws://"+addr+"/socket.io/?EIO=4&transport=websocket")
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		var rw io.ReadWriter = conn
		if br != nil {
			rw = struct {
				io.Reader
				io.Writer
			}{br, conn}
		}
		_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
		if open, err := wsutil.ReadServerText(rw); err != nil || !strings.HasPrefix(string(open), "0{") {
			t.Fatalf("open packet %q, %v", open, err)
		}
		start := time.Now()
		// The engine's first ping comes after its ping interval (5 s), past
		// every HTTP timeout: the server could still write.
		if ping, err := wsutil.ReadServerText(rw); err != nil || string(ping) != "2" {
			t.Fatalf("ping %q, %v after %v", ping, err, time.Since(start))
		}
		// And read: a pong and a CONNECT are answered.
		for _, packet := range []string{"3", "40"} {
			if err := wsutil.WriteClientText(conn, []byte(packet)); err != nil {
				t.Fatal(err)
			}
		}
		if ack, err := wsutil.ReadServerText(rw); err != nil || !strings.HasPrefix(string(ack), "40{") {
			t.Fatalf("CONNECT answered %q, %v", ack, err)
		}
	})
	t.Run("polling", func(t *testing.T) {
		client := &http.Client{Timeout: 20 * time.Second}
		open := get(t, client, "http://"+addr+"/socket.io/?EIO=4&transport=polling")
		_, rest, _ := strings.Cut(open, `"sid":"`)
		sid, _, _ := strings.Cut(rest, `"`)
		if sid == "" {
			t.Fatalf("open packet %q", open)
		}
		// Held until the ping, past the write timeout.
		start := time.Now()
		if body := get(t, client, "http://"+addr+"/socket.io/?EIO=4&transport=polling&sid="+sid); body != "2" {
			t.Fatalf("held poll answered %q after %v", body, time.Since(start))
		}
	})
}

// serveForTest runs chatd's serve (which migrates it) on a fresh database with one-second
// HTTP timeouts and a 4 KiB header limit, and returns its address.
func serveForTest(t *testing.T) string {
	t.Helper()
	return serveForTestEnv(t, nil)
}

// serveForTestEnv is serveForTest with extra (or overriding) settings.
func serveForTestEnv(t *testing.T, extra map[string]string) string {
	t.Helper()
	port := freePort(t)
	env := map[string]string{"DATABASE_URL": storetest.NewMigratedDatabase(t), "BETTER_AUTH_SECRET": "limits-test-secret-at-least-32-chars",
		"NODE_ENV": "test", "HOST": "127.0.0.1", "PORT": strconv.Itoa(port), "API_PORT": strconv.Itoa(port),
		"HTTP_READ_HEADER_TIMEOUT": "1", "HTTP_READ_TIMEOUT": "1", "HTTP_WRITE_TIMEOUT": "1", "HTTP_IDLE_TIMEOUT": "1",
		"HTTP_MAX_HEADER_BYTES": "4096", "SHUTDOWN_TIMEOUT": "2"}
	for k, v := range extra {
		env[k] = v
	}
	return serveEnv(t, env, port)
}

// serveEnv runs chatd's serve in the process with env as its whole
// environment until t ends, and returns its public address (127.0.0.1:port)
// once it answers /api/health.
func serveEnv(t *testing.T, env map[string]string, port int) string {
	t.Helper()
	cfg, err := LoadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, logger) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get("http://" + addr + "/api/health"); err == nil {
			resp.Body.Close()
			return addr
		} else if time.Now().After(deadline) {
			t.Fatalf("chatd did not start: %v", err)
		}
	}
}

func dialServer(t *testing.T, addr string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func write(t *testing.T, conn net.Conn, s string) {
	t.Helper()
	if _, err := io.WriteString(conn, s); err != nil {
		t.Fatal(err)
	}
}

// expectClosed reads until the server closes the connection (whatever it
// answered first), failing if that takes cutWithin.
func expectClosed(t *testing.T, conn net.Conn) {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(cutWithin))
	_, err := io.Copy(io.Discard, conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the connection was still open after %v", cutWithin)
	}
}

func get(t *testing.T, client *http.Client, url string) string {
	t.Helper()
	resp, err := client.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %q %v", url, resp.StatusCode, body, err)
	}
	return string(body)
}
