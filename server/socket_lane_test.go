package server

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

const laneKey = "dGhlIHNhbXBsZSBub25jZQ==" // RFC 6455's example: its accept is s3pPLMBiTxaQ9kYGzzhZRbK+xOo=

// laneEnv serves the API environment with the real socket gateway and
// metrics on a TCP listener with the websocket lane in front; it returns
// the environment and the address.
func laneEnv(t *testing.T) (*apiEnv, string) {
	t.Helper()
	e := newAPIEnv(t, func(c *Config, d *Deps) {
		mountGateway(t, c, d)
		var err error
		if d.Metrics, err = NewMetrics(prometheus.NewRegistry()); err != nil {
			t.Fatal(err)
		}
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: e.h, ReadHeaderTimeout: time.Second}
	go func() { _ = hs.Serve(e.srv.Listener(ln, time.Second)) }()
	t.Cleanup(func() { hs.Close() })
	return e, ln.Addr().String()
}

func wsHead(target string, extra ...string) string {
	return "GET " + target + " HTTP/1.1\r\nHost: chat.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: " + laneKey + "\r\nSec-WebSocket-Version: 13\r\n" + strings.Join(extra, "") + "\r\n"
}

// rawSend opens a connection, writes each part (pausing between parts) and
// returns the connection and a reader over it.
func rawSend(t *testing.T, addr string, parts ...string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	for i, p := range parts {
		if i > 0 {
			time.Sleep(30 * time.Millisecond)
		}
		if _, err := c.Write([]byte(p)); err != nil {
			t.Fatal(err)
		}
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	return c, bufio.NewReader(c)
}

// readFrame reads one unmasked server frame's payload.
func readFrame(t *testing.T, br *bufio.Reader) string {
	t.Helper()
	hdr := make([]byte, 2)
	if _, err := io.ReadFull(br, hdr); err != nil {
		t.Fatalf("frame: %v", err)
	}
	n := int(hdr[1] & 0x7f)
	if n == 126 {
		ext := make([]byte, 2)
		if _, err := io.ReadFull(br, ext); err != nil {
			t.Fatal(err)
		}
		n = int(ext[0])<<8 | int(ext[1])
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(br, p); err != nil {
		t.Fatal(err)
	}
	return string(p)
}

// maskedText is a client text frame (zero mask).
func maskedText(s string) string {
	return string([]byte{0x81, 0x80 | byte(len(s)), 0, 0, 0, 0}) + s
}

// TestLaneServesNewWebsockets: a new websocket session's handshake is
// served by the lane: 101 and the open packet together, the Socket.IO
// CONNECT answered (also when the client sends it before the 101 came),
// and the request counted as the router would, with its 101.
func TestLaneServesNewWebsockets(t *testing.T) {
	t.Parallel()
	e, addr := laneEnv(t)
	for name, pipelined := range map[string]string{"after the 101": "", "pipelined": maskedText("40")} {
		t.Run(name, func(t *testing.T) {
			c, br := rawSend(t, addr, wsHead("/socket.io/?EIO=4&transport=websocket", "Origin: http://localhost:3000\r\n")+pipelined)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != http.StatusSwitchingProtocols || resp.Header.Get("Sec-Websocket-Accept") != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
				t.Fatalf("handshake: %d %v", resp.StatusCode, resp.Header)
			}
			if open := readFrame(t, br); !strings.HasPrefix(open, `0{"sid":"`) {
				t.Fatalf("open packet %q", open)
			}
			if pipelined == "" {
				if _, err := c.Write([]byte(maskedText("40"))); err != nil {
					t.Fatal(err)
				}
			}
			if ack := readFrame(t, br); !strings.HasPrefix(ack, `40{"sid":"`) {
				t.Fatalf("CONNECT answer %q", ack)
			}
		})
	}
	m := e.srv.deps.Metrics
	if n := testutil.ToFloat64(m.requests.WithLabelValues("GET", socketRoute, "101")); n != 2 {
		t.Fatalf("counted %v websocket handshakes, want 2", n)
	}
}

// TestLaneHandsOtherConnectionsOver: every connection that is not a plain
// new websocket session goes to the HTTP server with its bytes replayed,
// and gets what the HTTP server answers.
func TestLaneHandsOtherConnectionsOver(t *testing.T) {
	t.Parallel()
	_, addr := laneEnv(t)
	polling := "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: chat.example\r\n\r\n"
	health := "GET /api/health HTTP/1.1\r\nHost: chat.example\r\n\r\n"
	tests := []struct {
		name  string
		parts []string
		want  []int  // statuses, in order
		body  string // in the first response's body
	}{
		{"polling handshake", []string{polling}, []int{200}, `0{"sid":"`},
		{"an API route, twice on one connection", []string{health + health}, []int{200, 200}, ""},
		{"a head that comes in parts", []string{"GET /api/hea", "lth HTTP/1.1\r\nHost: chat", ".example\r\n\r\n"}, []int{200}, ""},
		{"websocket naming an unknown session", []string{wsHead("/socket.io/?EIO=4&transport=websocket&sid=nope")}, []int{400}, "Session ID unknown"},
		{"websocket with a bad key", []string{strings.Replace(wsHead("/socket.io/?EIO=4&transport=websocket"), laneKey, "short", 1)}, []int{400}, ""},
		{"websocket of another protocol version", []string{wsHead("/socket.io/?EIO=3&transport=websocket")}, []int{400}, "Unsupported protocol version"},
		{"websocket with a head past the lane's buffer", []string{wsHead("/socket.io/?EIO=4&transport=websocket", "Cookie: a="+strings.Repeat("x", 5000)+"\r\n")}, []int{101}, ""},
		{"a path the lane does not take", []string{wsHead("/socket.io?EIO=4&transport=websocket")}, []int{404}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, br := rawSend(t, addr, tc.parts...)
			for i, want := range tc.want {
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					t.Fatalf("response %d: %v", i, err)
				}
				var body []byte
				if want != http.StatusSwitchingProtocols {
					body, _ = io.ReadAll(resp.Body)
				}
				if resp.StatusCode != want || (i == 0 && !bytes.Contains(body, []byte(tc.body))) {
					t.Fatalf("response %d: %d %q, want %d containing %q", i, resp.StatusCode, body, want, tc.body)
				}
			}
		})
	}
}

// TestLaneRefusal: a handshake the gateway refuses on the lane gets the
// same status and body as through the router, then the end of the
// connection; the refusal is counted.
func TestLaneRefusal(t *testing.T) {
	t.Parallel()
	e, addr := laneEnv(t)
	_, br := rawSend(t, addr, wsHead("/socket.io/?EIO=4&transport=websocket", "Origin: https://evil.example\r\n"))
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	routed := e.do(apiReq{method: "GET", target: "/socket.io/?EIO=4&transport=websocket", headers: map[string]string{
		"Origin": "https://evil.example", "Upgrade": "websocket", "Connection": "Upgrade"}})
	if resp.StatusCode != routed.Code || string(body) != routed.Body.String() ||
		resp.Header.Get("Content-Type") != routed.Header().Get("Content-Type") {
		t.Fatalf("lane: %d %q %q; router: %d %q %q", resp.StatusCode, body, resp.Header.Get("Content-Type"),
			routed.Code, routed.Body.String(), routed.Header().Get("Content-Type"))
	}
	if _, err := br.ReadByte(); err != io.EOF {
		t.Fatalf("after the refusal: %v, want EOF", err)
	}
	if n := testutil.ToFloat64(e.srv.deps.Metrics.requests.WithLabelValues("GET", socketRoute, "403")); n != 2 {
		t.Fatalf("counted %v refusals, want 2 (the lane's and the router's)", n)
	}
}

// TestLaneSilentConnection: a connection that sends nothing is closed after
// the header timeout, as the HTTP server would close it.
func TestLaneSilentConnection(t *testing.T) {
	t.Parallel()
	_, addr := laneEnv(t)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	start := time.Now()
	if _, err := c.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("read: %v, want EOF", err)
	}
	if d := time.Since(start); d < 900*time.Millisecond {
		t.Fatalf("closed after %v, before the header timeout", d)
	}
}
