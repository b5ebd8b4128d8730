package server

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"time"

	"chatd/internal/workers"
	"chatd/socketio/engineio"
)

// The websocket lane. Socket.IO clients connect websocket first, so a
// venue reconnecting at once is mostly connections whose first and only
// HTTP request is a websocket handshake for a new session. Through net/http
// and gin such a connection costs a connection object, two 4 KiB buffers
// that the hijack never gives back, a context and the middleware chain, all
// thrown away a moment later. The lane reads the
// first request head of every connection itself and hands exactly those
// handshakes to the socket endpoint; every other connection — any other
// request, a head it cannot read whole, anything unusual — goes to the
// HTTP server with the bytes read replayed, and is served as before.
//
// What the middleware does for /socket.io/ the lane does too: the request
// is counted in the HTTP metrics and logged as the access log would (debug
// below 400, info from 400), a panic becomes a 500. CORS response headers
// are left out of a refused websocket handshake: browsers apply no CORS to
// websockets.

// laneHeadMax is the largest first request head the lane reads; a larger
// one goes to the HTTP server, whose own limit then applies.
const laneHeadMax = 4096

// socketRoute is where the socket endpoint is mounted (routes.go), and the
// route label of its requests in the metrics.
const socketRoute = "/socket.io/*any"

// maxIdleLaneServers bounds the goroutines the lane keeps for new
// connections between bursts of them.
const maxIdleLaneServers = 64

// Listener returns ln with the websocket lane in front of the HTTP server
// that serves it. headerTimeout bounds the wait for a connection's first
// request head, as the server's ReadHeaderTimeout does (0: none).
func (s *Server) Listener(ln net.Listener, headerTimeout time.Duration) net.Listener {
	l := &laneListener{Listener: ln, s: s, timeout: headerTimeout,
		conns: make(chan net.Conn), errs: make(chan error), done: make(chan struct{})}
	l.readers.New = func() any { return bufio.NewReaderSize(nil, laneHeadMax) }
	l.servers = workers.New(maxIdleLaneServers)
	go l.accept()
	return l
}

type laneListener struct {
	net.Listener
	s       *Server
	timeout time.Duration
	readers sync.Pool // head buffers, given back once a connection no longer needs one
	// servers serve the connections, on goroutines kept between them (a new
	// one's stack grew, by copying, through every handshake)
	servers *workers.Pool

	conns chan net.Conn // connections for the HTTP server
	errs  chan error    // accept errors, for the HTTP server to handle
	done  chan struct{}
	once  sync.Once
}

// Accept returns the next connection the lane did not serve.
func (l *laneListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case err := <-l.errs:
		return nil, err
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *laneListener) Close() error {
	l.once.Do(func() {
		close(l.done)
		l.servers.Close()
	})
	return l.Listener.Close()
}

// accept takes every connection and reads its first request head on a
// goroutine of its own, so a slow client holds up no other. An accept
// error goes to the HTTP server, which backs off on a temporary one.
func (l *laneListener) accept() {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			select {
			case l.errs <- err:
			case <-l.done:
				return
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		l.servers.Go(func() { l.serve(c) })
	}
}

// serve reads c's first request head and either serves the handshake or
// hands c to the HTTP server.
func (l *laneListener) serve(c net.Conn) {
	if l.timeout > 0 {
		_ = c.SetReadDeadline(time.Now().Add(l.timeout))
	}
	br := l.readers.Get().(*bufio.Reader)
	br.Reset(c)
	whole, err := readHead(br)
	var ne net.Error
	if !whole && (br.Buffered() == 0 || errors.As(err, &ne) && ne.Timeout()) {
		// Gone, or too slow with its head: the HTTP server would close it
		// without an answer too.
		l.putReader(br)
		_ = c.Close()
		return
	}
	raw := bytes.Clone(peekAll(br))
	if !whole || !laneCandidate(raw) {
		l.putReader(br)
		l.handOver(c, raw)
		return
	}
	r, err := http.ReadRequest(br)
	if err != nil || !websocketHandshake(r) {
		// Rare: something only the parse shows. Served by the HTTP server
		// from the bytes as they came.
		l.putReader(br)
		l.handOver(c, raw)
		return
	}
	_ = c.SetReadDeadline(time.Time{})
	r.RemoteAddr = c.RemoteAddr().String()
	if !l.s.serveLane(c, br, r) {
		l.putReader(br)
	}
}

func (l *laneListener) putReader(br *bufio.Reader) {
	br.Reset(nil)
	l.readers.Put(br)
}

// handOver gives c to the HTTP server, with pending (what the lane read)
// read first.
func (l *laneListener) handOver(c net.Conn, pending []byte) {
	hc := &replayConn{Conn: c, pending: pending}
	select {
	case l.conns <- hc:
	case <-l.done:
		_ = c.Close()
	}
}

// readHead reads until br holds a whole request head (up to a blank line)
// and reports whether it does; not on an error (returned), a timeout or a
// head longer than the buffer (nil error).
func readHead(br *bufio.Reader) (bool, error) {
	for n := 1; n <= laneHeadMax; n = br.Buffered() + 1 {
		_, err := br.Peek(n) // one read when fewer than n bytes are buffered
		if bytes.Contains(peekAll(br), []byte("\r\n\r\n")) {
			return true, nil
		}
		if err != nil {
			return false, err
		}
	}
	return false, nil
}

// laneCandidate is a cheap look at the request line: a GET of the socket
// path naming the websocket transport and no session.
func laneCandidate(head []byte) bool {
	line, _, _ := bytes.Cut(head, []byte("\r\n"))
	return bytes.HasPrefix(line, []byte("GET /socket.io/?")) && bytes.HasSuffix(line, []byte(" HTTP/1.1")) &&
		bytes.Contains(line, []byte("transport=websocket")) && !bytes.Contains(line, []byte("sid="))
}

// websocketHandshake checks r in full: exactly what the lane serves. The
// websocket checks are gobwas/ws's, so the upgrader cannot refuse it and
// every refusal of a malformed handshake stays the HTTP server's.
func websocketHandshake(r *http.Request) bool {
	q, h := r.URL.RawQuery, r.Header
	eio, _ := engineio.QueryValue(q, "EIO")
	transport, _ := engineio.QueryValue(q, "transport")
	_, sid := engineio.QueryValue(q, "sid")
	return r.Method == http.MethodGet && r.URL.Path == "/socket.io/" && r.ProtoAtLeast(1, 1) && r.Host != "" &&
		len(r.URL.RawQuery) <= maxQueryBytes && r.ContentLength == 0 && len(r.TransferEncoding) == 0 &&
		eio == "4" && transport == "websocket" && !sid &&
		strings.EqualFold(strings.TrimSpace(h.Get("Upgrade")), "websocket") && headerHasToken(h.Get("Connection"), "upgrade") &&
		h.Get("Sec-WebSocket-Version") == "13" && len(h.Get("Sec-WebSocket-Key")) == 24 &&
		len(h.Values("Upgrade")) == 1
}

func headerHasToken(v, token string) bool {
	for part := range strings.SplitSeq(v, ",") {
		if strings.EqualFold(strings.TrimSpace(part), token) {
			return true
		}
	}
	return false
}

func peekAll(br *bufio.Reader) []byte {
	b, _ := br.Peek(br.Buffered())
	return b
}

// replayConn is a connection handed to the HTTP server: what the lane read
// comes first.
type replayConn struct {
	net.Conn
	pending []byte
}

func (c *replayConn) Read(p []byte) (int, error) {
	if len(c.pending) > 0 {
		n := copy(p, c.pending)
		c.pending = c.pending[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}

// ReadFrom and CloseWrite reach the TCP connection under a replayConn, as
// the HTTP server would use them on a plain one (sendfile; a graceful
// close after an error).
func (c *replayConn) ReadFrom(r io.Reader) (int64, error) { return io.Copy(c.Conn, r) }

func (c *replayConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

var errNoDescriptor = errors.New("server: no descriptor to hand out")

// SyscallConn gives the socket engine the descriptor (to poll an idle
// websocket without a goroutine) once the replayed bytes are read: the
// descriptor's reads would skip them.
func (c *replayConn) SyscallConn() (syscall.RawConn, error) {
	sc, ok := c.Conn.(syscall.Conn)
	if !ok || len(c.pending) > 0 {
		return nil, errNoDescriptor
	}
	return sc.SyscallConn()
}
