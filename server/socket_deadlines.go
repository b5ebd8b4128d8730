package server

import (
	"net/http"
	"strings"
	"time"
)

// withSocketDeadlines gives /socket.io/ requests the deadlines the socket
// engine needs instead of the listener's, which are set for ordinary
// requests (HTTP_READ_TIMEOUT, HTTP_WRITE_TIMEOUT) and would cut long-lived
// ones:
//
//   - A WebSocket upgrade: net/http leaves its deadlines on the connection
//     it hands over, so the socket would die at the first read or write
//     after those timeouts. They are lifted; the engine's heartbeat (a ping
//     every interval, closed when no pong comes within the timeout) is the
//     WebSocket's own timeout from then on.
//   - A polling GET: the engine holds it until it has a packet (at the
//     latest its next ping, pollHold), then writes. Its write deadline is
//     the hold plus the write timeout, and no read deadline applies (the
//     request has no body; a read timeout would only cancel the request
//     while it is held).
//
// A polling POST carries a body and keeps the listener's deadlines, so a
// slow body is cut like any other.
func withSocketDeadlines(next http.Handler, writeTimeout, pollHold time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/socket.io/") {
			rc := http.NewResponseController(w)
			_ = rc.SetReadDeadline(time.Time{}) // a writer without deadlines (a test recorder) has none to lift
			switch {
			case strings.EqualFold(r.Header.Get("Upgrade"), "websocket"):
				_ = rc.SetWriteDeadline(time.Time{})
			case writeTimeout > 0:
				_ = rc.SetWriteDeadline(time.Now().Add(pollHold + writeTimeout))
			}
		}
		next.ServeHTTP(w, r)
	})
}
