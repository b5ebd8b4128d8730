package main

import (
	"bufio"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"time"
)

// logRequests (-v) logs every request when it ends: its session, status
// and duration, and whether the client had gone by then. With the session
// ends the engine logs, it is the timeline that tells a failure of the
// suites caused by our engine from one caused by a loaded machine (a
// request that reached the server late, or never).
func logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &recorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		q := r.URL.Query()
		sid := q.Get("sid")
		if sid == "" {
			sid = "new:" + handshakeSID(rec.head)
		}
		slog.Debug("request", slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.String("transport", q.Get("transport")), slog.String("sid", sid), slog.String("query", r.URL.RawQuery),
			slog.Int("status", rec.status()), slog.Time("arrived", start),
			slog.Duration("took", time.Since(start)), slog.Bool("client_gone", r.Context().Err() != nil))
	})
}

// recorder keeps a response's status and first bytes; it passes hijacking
// (the websocket upgrade) through.
type recorder struct {
	http.ResponseWriter
	code     int
	hijacked bool
	head     []byte
}

func (r *recorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	if len(r.head) < 64 {
		r.head = append(r.head, b[:min(len(b), 64-len(r.head))]...)
	}
	return r.ResponseWriter.Write(b)
}

func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (r *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	r.hijacked = true
	return r.ResponseWriter.(http.Hijacker).Hijack()
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (r *recorder) status() int {
	switch {
	case r.hijacked:
		return http.StatusSwitchingProtocols
	case r.code == 0:
		return http.StatusOK
	}
	return r.code
}

var sidInOpen = regexp.MustCompile(`^0\{"sid":"([^"]+)"`)

// handshakeSID is the sid of a polling handshake's open packet, if head is one.
func handshakeSID(head []byte) string {
	if m := sidInOpen.FindSubmatch(head); m != nil {
		return string(m[1])
	}
	return ""
}
