package server

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// serveLane serves a websocket handshake the lane read (socket_lane.go):
// the socket endpoint answers it as it would through the router, and the
// request is counted and logged as the middleware would. It reports
// whether br went to the socket engine with the bytes it holds.
func (s *Server) serveLane(c net.Conn, br *bufio.Reader, r *http.Request) (brKept bool) {
	start := time.Now()
	w := &laneResponse{conn: c, br: br, header: http.Header{}}
	func() {
		defer func() {
			if v := recover(); v != nil {
				s.log.Error("request failed", slog.String("method", r.Method), slog.String("path", r.URL.Path),
					slog.Any("error", fmt.Errorf("panic in handler: %v", v)))
				if !w.hijacked {
					w.reset(http.StatusInternalServerError, `{"statusCode":500,"message":"Internal server error"}`)
				}
			}
		}()
		s.deps.Sockets.ServeHTTP(w, r)
	}()
	status := w.finish()
	d := time.Since(start)
	if s.deps.Metrics != nil {
		s.deps.Metrics.record(r.Method, socketRoute, status, d)
	}
	s.logRequest(r, status, d)
	return w.readerKept
}

// laneResponse is the lane's http.ResponseWriter: the socket endpoint
// either hijacks the connection (the handshake succeeded) or writes a short
// refusal, which finish sends with "Connection: close".
type laneResponse struct {
	conn   net.Conn
	br     *bufio.Reader
	header http.Header
	status int
	body   bytes.Buffer

	hijacked   bool
	readerKept bool // the hijacker got br with bytes in it: br is not the lane's any more
}

func (w *laneResponse) Header() http.Header { return w.header }

func (w *laneResponse) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *laneResponse) Write(b []byte) (int, error) {
	if w.hijacked {
		return 0, http.ErrHijacked
	}
	w.WriteHeader(http.StatusOK)
	return w.body.Write(b)
}

// Hijack hands over the connection with br for what the client sent after
// the head; the writer is one of its own (the engine holds the 101 and
// writes it itself).
func (w *laneResponse) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if w.hijacked {
		return nil, nil, http.ErrHijacked
	}
	w.hijacked = true
	w.readerKept = w.br.Buffered() > 0
	return w.conn, bufio.NewReadWriter(w.br, bufio.NewWriterSize(w.conn, 256)), nil
}

func (w *laneResponse) reset(status int, body string) {
	w.header = http.Header{"Content-Type": {"application/json; charset=utf-8"}}
	w.status = status
	w.body.Reset()
	w.body.WriteString(body)
}

// finish sends a refusal and closes the connection; it returns the status
// the request is counted with (101 for a hijacked handshake).
func (w *laneResponse) finish() int {
	if w.hijacked {
		return http.StatusSwitchingProtocols
	}
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if w.header.Get("Date") == "" {
		w.header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	}
	resp := &http.Response{StatusCode: w.status, ProtoMajor: 1, ProtoMinor: 1, Header: w.header,
		ContentLength: int64(w.body.Len()), Body: io.NopCloser(&w.body), Close: true}
	_ = w.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	_ = resp.Write(w.conn)
	_ = w.conn.Close()
	return w.status
}
