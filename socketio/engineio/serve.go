package engineio

import (
	"bufio"
	"crypto/tls"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// ServeHTTP serves every Engine.IO request: handshakes, polling GETs and
// POSTs, and websockets (new or upgrading a polling session). It checks
// requests in Node's order: transport, Origin header, session, handshake
// method, then protocol version.
func (srv *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if srv.cfg.CORSAnyOrigin && corsAnyOrigin(w, r) {
		return
	}
	transport, _ := QueryValue(r.URL.RawQuery, "transport")
	upgrade := isWebsocketUpgrade(r)
	if transport != "polling" && transport != "websocket" {
		WriteError(w, errUnknownTransport)
		return
	}
	if invalidHeader(r.Header.Get("Origin")) {
		WriteError(w, errBadRequest)
		return
	}
	if sid, _ := QueryValue(r.URL.RawQuery, "sid"); sid != "" {
		srv.serveSession(w, r, sid, transport, upgrade)
		return
	}
	switch {
	case r.Method != http.MethodGet:
		WriteError(w, errBadHandshake)
	case transport == "websocket" && !upgrade, transport == "polling" && upgrade:
		WriteError(w, errBadRequest)
	case !isVersion4(r.URL.RawQuery):
		WriteError(w, errUnsupported)
	default:
		srv.handshake(w, r, transport == "websocket")
	}
}

// serveSession routes a request that names a session.
func (srv *Server) serveSession(w http.ResponseWriter, r *http.Request, sid, transport string, upgrade bool) {
	s := srv.session(sid)
	if s != nil && s.expired(time.Now()) {
		s.close("ping timeout", closeAbort)
		s = nil
	}
	if s == nil {
		WriteError(w, errUnknownSID)
		return
	}
	if upgrade {
		if transport != "websocket" {
			WriteError(w, errBadRequest)
			return
		}
		srv.upgradeSession(w, r, s)
		return
	}
	if transport != s.Transport() {
		WriteError(w, errBadRequest)
		return
	}
	switch r.Method {
	case http.MethodGet:
		s.onPoll(w, r)
	case http.MethodPost:
		s.onPost(w, r)
	default:
		w.WriteHeader(http.StatusInternalServerError) // as Node's polling transport
	}
}

// handshake opens a new session.
func (srv *Server) handshake(w http.ResponseWriter, r *http.Request, websocket bool) {
	s := &Session{id: NewID(), srv: srv, hs: newHandshakeInfo(r)}
	if a := srv.cfg.Admission; a != nil {
		release, err := a.Admit(r)
		if err != nil {
			writeJSONError(w, http.StatusTooManyRequests, errForbidden, "Too many requests")
			return
		}
		s.admitted = release
	}
	var c *wsConn
	var first *bufio.Reader
	if websocket {
		conn, buffered, head, err := upgradeWebsocket(r, w)
		if err != nil {
			s.release() // refused and answered
			return
		}
		c, first = newWSConn(s, conn), buffered
		c.head = head // leaves with the open packet
		s.ws = c
	}
	s.recv = srv.handler.Open(s)
	if !srv.add(s) {
		s.release()
		if c != nil {
			_ = c.conn.Close()
		} else {
			WriteError(w, errBadRequest)
		}
		return
	}
	s.queue.push(srv.openPacket(s.id, !websocket), "", time.Now())
	s.open()
	if websocket {
		c.flushNow() // the open packet: the client waits for nothing else
		c.startReading(first)
		return
	}
	s.onPoll(w, r)
}

// upgradeSession accepts a websocket for a polling session and probes it.
func (srv *Server) upgradeSession(w http.ResponseWriter, r *http.Request, s *Session) {
	s.mu.Lock()
	ok := s.state == stateOpen && s.ws == nil && !s.upgrading
	if ok {
		s.upgrading = true // claimed before the handshake: a second websocket is refused
	}
	s.mu.Unlock()
	conn, first, head, err := upgradeWebsocket(r, w)
	if !ok {
		// As Node: the websocket opens, then closes at once.
		if err == nil {
			_ = writeHead(conn, append(head, wsCloseEmpty.wire...), time.Second)
			_ = conn.Close()
		}
		return
	}
	if err == nil {
		err = writeHead(conn, head, s.srv.cfg.WriteTimeout)
		if err != nil {
			_ = conn.Close()
		}
	}
	if err != nil {
		s.mu.Lock()
		s.upgrading = false
		s.mu.Unlock()
		return
	}
	c := newWSConn(s, conn)
	s.mu.Lock()
	if s.state != stateOpen {
		s.upgrading = false
		c.closeNow()
		s.mu.Unlock()
		return
	}
	s.probe = c
	s.mu.Unlock()
	s.watchUpgrade(c)
	c.startReading(first)
}

func isWebsocketUpgrade(r *http.Request) bool {
	for _, v := range r.Header.Values("Upgrade") {
		if strings.EqualFold(strings.TrimSpace(v), "websocket") {
			return true
		}
	}
	return false
}

// corsAnyOrigin answers CORS with "*" and a preflight with 204; it reports
// whether the request is answered.
func corsAnyOrigin(w http.ResponseWriter, r *http.Request) bool {
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	if r.Method != http.MethodOptions {
		return false
	}
	h.Set("Access-Control-Allow-Methods", "GET,HEAD,PUT,PATCH,POST,DELETE")
	if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
		h.Set("Access-Control-Allow-Headers", req)
		h.Add("Vary", "Access-Control-Request-Headers")
	}
	h.Set("Content-Length", "0")
	w.WriteHeader(http.StatusNoContent)
	return true
}

// invalidHeader is Node's checkInvalidHeaderChar: a control character
// other than tab, or DEL.
func invalidHeader(v string) bool {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if (c < 0x20 && c != '\t') || c == 0x7f {
			return true
		}
	}
	return false
}

// keptHeaders are the handshake headers a session keeps for the layers
// above (the Socket.IO handshake, cookies, the client's address).
var keptHeaders = [...]string{"Cookie", "Origin", "User-Agent", "Referer",
	"X-Forwarded-For", "X-Forwarded-Proto", "X-Real-Ip", "Accept-Language"}

// handshakeInfo is what a session keeps of its handshake request: the path,
// query, host, remote address and kept headers, copied into one string so
// that nothing else of the request (its buffers, the other headers) is
// pinned for the session's life, and an idle session pays one small
// allocation for it. Request rebuilds an *http.Request from it on demand.
type handshakeInfo struct {
	text string
	ends [hsHeaders + len(keptHeaders)]uint32 // where each field ends in text
	tls  *tls.ConnectionState
}

// The fields of handshakeInfo, in order; the kept headers follow.
const (
	hsPath = iota
	hsQuery
	hsHost
	hsRemoteAddr
	hsHeaders
)

func newHandshakeInfo(r *http.Request) handshakeInfo {
	var fields [hsHeaders + len(keptHeaders)]string
	fields[hsPath], fields[hsQuery], fields[hsHost], fields[hsRemoteAddr] = r.URL.Path, r.URL.RawQuery, r.Host, r.RemoteAddr
	n := 0
	for i, k := range keptHeaders {
		fields[hsHeaders+i] = r.Header.Get(k)
	}
	for _, f := range fields {
		n += len(f)
	}
	h := handshakeInfo{tls: r.TLS}
	var b strings.Builder
	b.Grow(n)
	for i, f := range fields {
		b.WriteString(f)
		h.ends[i] = uint32(b.Len())
	}
	h.text = b.String()
	return h
}

func (h *handshakeInfo) field(i int) string {
	start := uint32(0)
	if i > 0 {
		start = h.ends[i-1]
	}
	return h.text[start:h.ends[i]]
}

// request is the handshake as an *http.Request with only the kept parts: its
// method, URL, host, remote address and kept headers.
func (h *handshakeInfo) request() *http.Request {
	var hdr http.Header
	for i, k := range keptHeaders {
		if v := h.field(hsHeaders + i); v != "" {
			if hdr == nil {
				hdr = make(http.Header, 2)
			}
			hdr[k] = []string{v}
		}
	}
	u := &url.URL{Path: h.field(hsPath), RawQuery: h.field(hsQuery)}
	return &http.Request{Method: http.MethodGet, URL: u, Header: hdr, Host: h.field(hsHost),
		RemoteAddr: h.field(hsRemoteAddr), Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, TLS: h.tls}
}
