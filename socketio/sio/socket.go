package sio

import (
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"chatd/socketio/engineio"
)

// Socket is one client's connection to one namespace.
type Socket struct {
	id     string
	nsp    *Namespace
	client *client
	auth   json.RawMessage
	issued time.Time

	mu           sync.Mutex
	connected    bool
	data         any
	rooms        []string // rooms joined besides the socket's own id; nsp.mu guards it
	onEvent      func(*Socket, Event)
	onDisconnect []func(reason string)
}

func newSocket(ns *Namespace, c *client, auth json.RawMessage) *Socket {
	return &Socket{id: engineio.NewID(), nsp: ns, client: c, auth: auth, issued: time.Now()}
}

// ID is the socket id (also the name of the room only this socket is in).
func (s *Socket) ID() string { return s.id }

// Namespace is the socket's namespace.
func (s *Socket) Namespace() *Namespace { return s.nsp }

// Auth is the CONNECT packet's payload, {} when the client sent none.
func (s *Socket) Auth() json.RawMessage { return s.auth }

// Request is the connection's handshake request (trimmed; see
// engineio.Session.Request).
func (s *Socket) Request() *http.Request { return s.client.es.Request() }

// HandshakeQuery is a value of the handshake's query (engineio.Session.Query).
func (s *Socket) HandshakeQuery(key string) string { return s.client.es.Query(key) }

// HandshakeHeader is a kept header of the handshake (engineio.Session.Header).
func (s *Socket) HandshakeHeader(name string) string { return s.client.es.Header(name) }

// Transport names the connection's current transport.
func (s *Socket) Transport() string { return s.client.es.Transport() }

// SetData attaches application data to the socket (Node's socket.data).
func (s *Socket) SetData(v any) {
	s.mu.Lock()
	s.data = v
	s.mu.Unlock()
}

// Data is what SetData attached.
func (s *Socket) Data() any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.data
}

// Connected reports whether the socket is still in its namespace.
func (s *Socket) Connected() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.connected
}

// OnEvent sets the handler of the client's events. Events are handled one
// at a time, in arrival order.
func (s *Socket) OnEvent(h func(*Socket, Event)) {
	s.mu.Lock()
	s.onEvent = h
	s.mu.Unlock()
}

// OnDisconnect adds a handler run once when the socket disconnects, with
// Node's reason ("transport close", "ping timeout", "client namespace
// disconnect", "server namespace disconnect", …).
func (s *Socket) OnDisconnect(h func(reason string)) {
	s.mu.Lock()
	s.onDisconnect = append(s.onDisconnect, h)
	s.mu.Unlock()
}

// Emit sends an event to this socket; args are JSON-encoded.
func (s *Socket) Emit(event string, args ...any) error {
	data, err := encodeArgs(event, args)
	if err != nil {
		return err
	}
	s.Send(&Packet{Type: PacketEvent, Data: data})
	return nil
}

// Send sends a packet to this socket (its namespace is set here).
func (s *Socket) Send(p *Packet) {
	p.Nsp = s.nsp.name
	if s.Connected() {
		s.client.write(p)
	}
}

// Ack answers the client's event id with args (raw JSON) and attachments.
func (s *Socket) Ack(id int64, args []json.RawMessage, attachments [][]byte) {
	s.Send(&Packet{Type: PacketAck, Data: joinArray(args), ID: &id, Attachments: attachments})
}

// EmitRaw sends an event whose arguments are raw JSON, with attachments.
func (s *Socket) EmitRaw(event string, args []json.RawMessage, attachments [][]byte) {
	name, _ := json.Marshal(event)
	s.Send(&Packet{Type: PacketEvent, Data: joinArray(append([]json.RawMessage{name}, args...)), Attachments: attachments})
}

func joinArray(items []json.RawMessage) json.RawMessage {
	n := 2
	for _, it := range items {
		n += len(it) + 1
	}
	b := make([]byte, 0, n)
	b = append(b, '[')
	for i, it := range items {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, it...)
	}
	return append(b, ']')
}

// Join adds the socket to rooms.
func (s *Socket) Join(rooms ...string) { s.nsp.join(s, rooms) }

// Leave removes the socket from a room.
func (s *Socket) Leave(room string) { s.nsp.leave(s, room) }

// Rooms lists the rooms the socket is in, its own id first.
func (s *Socket) Rooms() []string {
	s.nsp.mu.RLock()
	defer s.nsp.mu.RUnlock()
	return append([]string{s.id}, s.rooms...)
}

// Disconnect sends DISCONNECT to the client and removes the socket from its
// namespace ("server namespace disconnect"); with close, the connection is
// closed CloseDelay later, so the client sees "io server disconnect" first.
// It runs in order with the socket's events; calling it again does nothing.
func (s *Socket) Disconnect(close bool) {
	s.client.enqueue(job{run: func() {
		if !s.Connected() {
			return
		}
		s.client.write(&Packet{Type: PacketDisconnect, Nsp: s.nsp.name})
		s.onClose("server namespace disconnect")
		if close {
			es := s.client.es
			time.AfterFunc(s.nsp.srv.cfg.CloseDelay, func() { es.Close("forced close") })
		}
	}})
}

// onPacket handles a packet for this socket, on the client's goroutine.
func (s *Socket) onPacket(h header, attachments [][]byte) {
	switch h.typ {
	case PacketEvent, PacketBinaryEvent:
		ev := Event{Name: h.name, Args: h.args, Attachments: attachments, AckID: h.id}
		s.mu.Lock()
		handler := s.onEvent
		s.mu.Unlock()
		if handler != nil {
			handler(s, ev)
		}
	case PacketDisconnect:
		s.onClose("client namespace disconnect")
	}
	// ACKs from the client answer server emits with acks, which chatd never
	// sends: nothing waits for them.
}

// onClose leaves the namespace and runs the disconnect handlers once, on
// the client's goroutine.
func (s *Socket) onClose(reason string) {
	s.mu.Lock()
	if !s.connected {
		s.mu.Unlock()
		return
	}
	s.connected = false
	handlers := s.onDisconnect
	s.onDisconnect = nil
	s.onEvent = nil
	s.mu.Unlock()
	s.nsp.remove(s)
	s.client.remove(s)
	for _, h := range handlers {
		h(reason)
	}
}
