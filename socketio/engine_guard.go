package socketio

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/zishang520/socket.io/parsers/engine/v3/packet"
	"github.com/zishang520/socket.io/parsers/engine/v3/parser"
	engine "github.com/zishang520/socket.io/servers/engine/v3"
	"github.com/zishang520/socket.io/v3/pkg/types"
)

// How long the guard lets a request wait for one that arrived on another
// connection to catch up; usually that takes microseconds, the bounds are
// for a loaded machine. A GET during an upgrade cannot wait long: the
// client may be waiting for it to end (with the noop the library sends
// every 100 ms) before it completes the upgrade, and a held GET also lets
// the heartbeat run out. A close can wait longer: the client is leaving.
const (
	upgradeWait = 100 * time.Millisecond
	closeWait   = 500 * time.Millisecond
	settleTick  = 2 * time.Millisecond
)

// guard answers what the library gets wrong or must not see:
//   - requests outside the path, and handshakes AllowRequest refuses (403);
//   - a polling payload the parser rejects: the library drops the decode
//     error and keeps the session; Engine.IO requires closing it;
//   - requests for one session on two connections, which the Go server
//     may hand over in either order while Node sees them in arrival order;
//   - a request arriving after the ping deadline while the library's timer
//     has not fired yet.
func (e *Engine) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path+"/", e.opts.Path) {
			http.NotFound(w, r)
			return
		}
		sid := r.URL.Query().Get("sid")
		if sid == "" {
			if !e.allowed(r) {
				writeEngineError(w, http.StatusForbidden, 4, "Forbidden")
				return
			}
			if unsupportedVersion(r) {
				writeEngineError(w, http.StatusBadRequest, 5, "Unsupported protocol version")
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		client, ok := e.server.Clients().Load(sid)
		if ok && e.beats.expired(sid) {
			closeSession(client, "ping timeout")
			ok = false // the library now answers as for an unknown sid
		}
		if !ok || !isPolling(r, client) {
			next.ServeHTTP(w, r)
			return
		}
		switch r.Method {
		case http.MethodGet:
			awaitUpgrade(r.Context(), client)
		case http.MethodPost:
			if !e.checkPayload(w, r, client) {
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// allowed runs AllowRequest on a handshake; the reason stays in the log.
func (e *Engine) allowed(r *http.Request) bool {
	if e.opts.AllowRequest == nil || r.Method != http.MethodGet {
		return true
	}
	err := e.opts.AllowRequest(r)
	if err != nil {
		e.log.Info("socket handshake refused", slog.String("reason", err.Error()))
	}
	return err == nil
}

// unsupportedVersion reports a polling handshake that is not EIO 4. The
// library refuses it with code 4 (Forbidden's code); Node sends 5. Other
// faults (unknown transport, wrong method) the library reports first, in
// Node's order.
func unsupportedVersion(r *http.Request) bool {
	q := r.URL.Query()
	return r.Method == http.MethodGet && r.Header.Get("Upgrade") == "" &&
		q.Get("transport") == "polling" && q.Get("EIO") != "4"
}

// isPolling reports a polling request for a session still on polling;
// everything else the library answers correctly itself.
func isPolling(r *http.Request, client engine.Socket) bool {
	if r.URL.Query().Get("transport") != "polling" || r.Header.Get("Upgrade") != "" {
		return false
	}
	t := client.Transport()
	return t != nil && t.Name() == "polling"
}

// checkPayload reads and decodes a polling POST before the library sees it.
// A malformed payload closes the session ("parse error", as Node does) and
// answers 400. A payload carrying a close packet first waits for the
// client's pending GET, which must receive the noop that ends it. It
// reports whether the request should go on to the library.
func (e *Engine) checkPayload(w http.ResponseWriter, r *http.Request, client engine.Socket) bool {
	if r.Header.Get("Content-Type") == "application/octet-stream" {
		return true // the library refuses binary bodies on EIO 4 and closes
	}
	limit := e.opts.MaxPayload
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		closeSession(client, "transport error")
		writeEngineError(w, http.StatusBadRequest, 3, "Bad request")
		return false
	}
	if int64(len(body)) > limit {
		// as Node: refused, but the session stays
		w.WriteHeader(http.StatusRequestEntityTooLarge)
		return false
	}
	packets, err := parser.Parserv4().DecodePayload(types.NewStringBuffer(body))
	if err != nil || len(packets) == 0 {
		e.log.Debug("socket payload rejected", slog.String("sid", client.Id()), slog.Any("error", errOrEmpty(err)))
		closeSession(client, "parse error")
		writeEngineError(w, http.StatusBadRequest, 3, "Bad request")
		return false
	}
	if hasClose(packets) {
		awaitPoll(r.Context(), client)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	return true
}

var errEmptyPayload = errors.New("empty payload")

func errOrEmpty(err error) error {
	if err == nil {
		return errEmptyPayload
	}
	return err
}

func hasClose(packets []*packet.Packet) bool {
	for _, p := range packets {
		if p.Type == packet.CLOSE {
			return true
		}
	}
	return false
}

// closeSession ends a session the way the library's own parse-error path
// would, so Socket.IO sees a disconnect with that reason.
func closeSession(client engine.Socket, reason string) {
	if c, ok := client.(interface{ OnClose(string, ...error) }); ok {
		c.OnClose(reason)
		return
	}
	client.Close(true)
}

// awaitUpgrade holds a GET that arrives while the session is upgrading:
// the client may already have sent the upgrade packet on the websocket,
// and once it is processed this GET must be refused, not parked on a
// transport about to be discarded.
//
// The library clears its upgrading flag a moment before it discards the
// polling transport, so "no longer upgrading" alone would let the GET in
// between the two; the wait ends on the discard (or the upgraded flag),
// or on an upgrade that stays abandoned for a tick.
func awaitUpgrade(ctx context.Context, client engine.Socket) {
	if !client.Upgrading() {
		return
	}
	quiet := 0
	settle(ctx, upgradeWait, func() bool {
		if t := client.Transport(); client.Upgraded() || t == nil || t.Discarded() {
			return true
		}
		if client.Upgrading() {
			quiet = 0
			return false
		}
		quiet++
		return quiet > 1
	})
}

// awaitPoll holds a close packet until the client's GET, sent just before
// it on another connection, is registered, so that GET ends with a noop
// instead of finding the session gone.
func awaitPoll(ctx context.Context, client engine.Socket) {
	settle(ctx, closeWait, func() bool {
		t := client.Transport()
		return client.ReadyState() != "open" || t == nil || t.Writable()
	})
}

// settle polls done until it holds, wait passes or ctx ends. The
// library's events cannot carry this: its RemoveListener matches closures
// by code pointer, so per-request listeners would remove each other.
func settle(ctx context.Context, wait time.Duration, done func() bool) {
	if done() {
		return
	}
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	tick := time.NewTicker(settleTick)
	defer tick.Stop()
	for !done() {
		select {
		case <-ctx.Done():
			return
		case <-deadline.C:
			return
		case <-tick.C:
		}
	}
}
