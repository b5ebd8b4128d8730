package sio

import (
	"encoding/json"
	"log/slog"
	"slices"
	"sync"
	"time"

	"chatd/socketio/engineio"
)

// client is one Socket.IO connection: an Engine.IO session and the sockets
// it opened, one per namespace. Packets are decoded on the session's reader
// and handled one at a time, in order, by a goroutine that runs only while
// there is work (connect, events, disconnects, the session's end), so a
// socket's state can never be torn down while its connect is half done.
type client struct {
	srv *Server
	es  *engineio.Session

	// reassembly of a binary packet (the client's goroutine only)
	partial     *header
	attachments [][]byte
	attachBytes int

	mu       sync.Mutex
	drained  *sync.Cond // made when a push first waits
	jobs     []job
	pending  int // bytes of received packets in jobs
	running  bool
	gone     bool      // the session ended
	sockets  []*Socket // one per namespace joined (usually one): a slice costs less than a map
	timer    *time.Timer
	timedOut bool
}

// job is one thing the client's goroutine does: received data to decode
// and handle, or internal work (timeouts, disconnects, the end). It stays
// small: every received packet is one in the queue.
type job struct {
	raw    []byte
	binary bool
	run    func()
}

func newClient(srv *Server, es *engineio.Session) *client {
	c := &client{srv: srv, es: es}
	c.timer = time.AfterFunc(srv.cfg.ConnectTimeout, func() { c.enqueue(job{run: c.connectTimeout}) })
	return c
}

// Message implements engineio.Receiver: it queues the data for the
// client's goroutine, which decodes it. Nothing is decoded here, on the
// session's reader, so the reader returns to waiting (or, on a websocket,
// ends) at once.
func (c *client) Message(data []byte, binary bool) {
	c.push(job{raw: data, binary: binary})
}

// decode turns queued data into a packet to handle, with its attachments;
// binary data is an attachment of the packet being reassembled. It reports
// false when there is nothing to handle yet, or the data broke the protocol
// (the connection is then closed).
func (c *client) decode(j job) (header, [][]byte, bool) {
	cfg := c.srv.cfg
	if j.binary {
		if c.partial == nil {
			c.fail("binary data outside a binary packet")
			return header{}, nil, false
		}
		c.attachBytes += len(j.raw)
		if c.attachBytes > cfg.MaxAttachmentBytes {
			c.fail("attachments too large")
			return header{}, nil, false
		}
		c.attachments = append(c.attachments, j.raw)
		if len(c.attachments) < c.partial.attachments {
			return header{}, nil, false
		}
		h, attachments := *c.partial, c.attachments
		c.partial, c.attachments, c.attachBytes = nil, nil, 0
		return h, attachments, true
	}
	if c.partial != nil {
		c.fail("text data inside a binary packet")
		return header{}, nil, false
	}
	h, err := decodeHeader(j.raw, cfg.MaxAttachments)
	if err != nil {
		c.fail("invalid packet")
		return header{}, nil, false
	}
	if h.attachments > 0 {
		c.partial = &h
		return header{}, nil, false
	}
	return h, nil, true
}

// push queues a received packet, waiting first while too much is pending
// (the connection is then not read until the handlers catch up).
func (c *client) push(j job) {
	c.mu.Lock()
	for c.pending > c.srv.cfg.MaxPendingBytes && !c.gone {
		if c.drained == nil {
			c.drained = sync.NewCond(&c.mu)
		}
		c.drained.Wait()
	}
	c.pending += len(j.raw)
	c.mu.Unlock()
	c.enqueue(j)
}

// wakePushers wakes the pushes waiting for the handlers; c.mu is held.
func (c *client) wakePushers() {
	if c.drained != nil {
		c.drained.Broadcast()
	}
}

// Closed implements engineio.Receiver.
func (c *client) Closed(reason string) {
	c.mu.Lock()
	c.gone = true
	c.wakePushers()
	c.mu.Unlock()
	c.enqueue(job{run: func() {
		c.partial, c.attachments = nil, nil
		c.closeSockets(reason)
	}})
}

// fail closes a connection that broke the protocol.
func (c *client) fail(why string) {
	c.srv.log.Debug("socket.io packet refused", slog.String("sid", c.es.ID()), slog.String("reason", why))
	c.partial, c.attachments = nil, nil
	c.es.Close("parse error")
}

func (c *client) enqueue(j job) {
	c.mu.Lock()
	c.jobs = append(c.jobs, j)
	start := !c.running
	c.running = true
	c.mu.Unlock()
	if start {
		c.srv.workers.Go(c.run)
	}
}

// run does the queued jobs in order and exits when there are none.
func (c *client) run() {
	for {
		c.mu.Lock()
		if len(c.jobs) == 0 {
			c.running = false
			c.jobs = nil
			c.mu.Unlock()
			// Everything the client sent is handled: its answers leave now
			// rather than at the flusher's next batch.
			c.es.Flush()
			return
		}
		j := c.jobs[0]
		c.jobs[0] = job{}
		c.jobs = c.jobs[1:]
		c.mu.Unlock()
		if j.run != nil {
			j.run()
		} else if h, attachments, ok := c.decode(j); ok {
			c.handle(h, attachments)
		}
		if len(j.raw) > 0 {
			c.mu.Lock()
			c.pending -= len(j.raw)
			c.wakePushers()
			c.mu.Unlock()
		}
	}
}

// handle routes one packet as Node's Client.ondecoded does.
func (c *client) handle(h header, attachments [][]byte) {
	s := c.socketOf(h.nsp)
	switch {
	case s == nil && h.typ == PacketConnect:
		c.connect(h)
	case s == nil || h.typ == PacketConnect || h.typ == PacketConnectError:
		c.forceClose() // invalid state
	default:
		s.onPacket(h, attachments)
	}
}

// connect runs the namespace's middleware, registers the socket, then acks
// and runs the connection handler: everything a disconnect must undo exists
// before the client can know it is connected.
func (c *client) connect(h header) {
	ns := c.srv.namespace(h.nsp)
	if ns == nil {
		c.write(&Packet{Type: PacketConnectError, Nsp: h.nsp, Data: json.RawMessage(`{"message":"Invalid namespace"}`)})
		return
	}
	auth := json.RawMessage(h.data)
	if auth == nil {
		auth = json.RawMessage(`{}`)
	}
	s := newSocket(ns, c, auth)
	if err := ns.runMiddleware(s); err != nil {
		if !c.isGone() {
			c.write(&Packet{Type: PacketConnectError, Nsp: h.nsp, Data: connectErrorData(err)})
		}
		return
	}
	if c.isGone() {
		return // the connection ended while the middleware ran
	}
	c.sockets = append(c.sockets, s)
	c.stopTimer()
	ns.add(s)
	data, _ := json.Marshal(struct {
		Sid string `json:"sid"`
	}{s.id})
	c.write(&Packet{Type: PacketConnect, Nsp: h.nsp, Data: data})
	ns.connected(s)
}

func (c *client) isGone() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gone
}

// write sends one packet to this connection.
func (c *client) write(p *Packet) {
	c.es.Send(Frames(p)...)
}

// stopTimer stops the connect timeout and lets it go, so a connected client
// does not keep it; on the client's goroutine.
func (c *client) stopTimer() {
	if c.timer != nil {
		c.timer.Stop()
		c.timer = nil
	}
}

// connectTimeout closes a connection that joined no namespace in time.
func (c *client) connectTimeout() {
	if len(c.sockets) == 0 {
		c.timedOut = true
		c.forceClose()
	}
}

// forceClose closes the connection from the Socket.IO layer; its sockets
// see "forced server close" (Node's Client.close).
func (c *client) forceClose() {
	c.closeSockets("forced server close")
	c.es.Close("forced close")
}

// closeSockets disconnects every socket of the connection with reason.
func (c *client) closeSockets(reason string) {
	c.stopTimer()
	sockets := c.sockets
	c.sockets = nil
	for _, s := range sockets {
		s.onClose(reason)
	}
}

// remove forgets a socket that left its namespace.
func (c *client) remove(s *Socket) {
	if i := slices.Index(c.sockets, s); i >= 0 {
		c.sockets = slices.Delete(c.sockets, i, i+1)
	}
}

// socketOf is the connection's socket in namespace nsp, nil when none.
func (c *client) socketOf(nsp string) *Socket {
	for _, s := range c.sockets {
		if s.nsp.name == nsp {
			return s
		}
	}
	return nil
}
