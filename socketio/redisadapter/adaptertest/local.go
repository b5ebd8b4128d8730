// Package adaptertest holds stand-ins for testing cluster adapters: Local,
// a recording in-memory namespace of fake sockets (it implements sio.Local
// and redisadapter.AckLocal with the room semantics of socket.io's
// in-memory adapter), and Proxy, a TCP proxy that can cut a Redis off.
package adaptertest

import (
	"context"
	"encoding/json"
	"slices"
	"sync"

	"chatd/socketio/redisadapter"
	"chatd/socketio/sio"
)

// Event is one call the adapter made on the namespace.
type Event struct {
	Kind      string // deliver, join, leave, disconnect
	Packet    sio.Packet
	Opts      sio.BroadcastOptions
	Rooms     []string // join, leave: the rooms joined or left
	Close     bool     // disconnect
	WithAck   bool     // deliver: an acknowledged broadcast
	SocketIDs []string // the sockets it applied to, in connection order
}

// Socket is a fake socket: its id is also a room it is in.
type Socket struct {
	ID        string
	Rooms     []string
	Handshake json.RawMessage
	Data      json.RawMessage
}

// Local is a recording namespace. AckReply, when set, is every fake
// socket's answer to an acknowledged broadcast (none when it returns false).
type Local struct {
	AckReply func(socketID string, pkt sio.Packet) (redisadapter.Ack, bool)

	mu      sync.Mutex
	sockets []*Socket
	events  []Event
	changed chan struct{} // closed at every event
}

var (
	_ sio.Local             = (*Local)(nil)
	_ redisadapter.AckLocal = (*Local)(nil)
)

// NewLocal is an empty namespace.
func NewLocal() *Local { return &Local{changed: make(chan struct{})} }

// Connect adds a socket in its own room and rooms.
func (l *Local) Connect(s Socket) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s.Rooms = union([]string{s.ID}, s.Rooms)
	l.sockets = append(l.sockets, &s)
}

// Socket returns a copy of the socket id, or false once it is gone.
func (l *Local) Socket(id string) (Socket, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.sockets {
		if s.ID == id {
			c := *s
			c.Rooms = slices.Clone(s.Rooms)
			return c, true
		}
	}
	return Socket{}, false
}

// Events lists every call so far.
func (l *Local) Events() []Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.events)
}

// Wait returns the events so far once done(events) holds, or ctx's error.
func (l *Local) Wait(ctx context.Context, done func([]Event) bool) ([]Event, error) {
	for {
		l.mu.Lock()
		events, changed := slices.Clone(l.events), l.changed
		l.mu.Unlock()
		if done(events) {
			return events, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return events, ctx.Err()
		}
	}
}

// record appends an event (under l.mu).
func (l *Local) record(e Event) {
	l.events = append(l.events, e)
	close(l.changed)
	l.changed = make(chan struct{})
}

// matching is the in-memory adapter's apply: sockets in any of opts.Rooms
// (all when empty) and in none of opts.Except (under l.mu).
func (l *Local) matching(opts sio.BroadcastOptions) []*Socket {
	var out []*Socket
	for _, s := range l.sockets {
		in := len(opts.Rooms) == 0 || slices.ContainsFunc(opts.Rooms, func(r string) bool { return slices.Contains(s.Rooms, r) })
		excluded := slices.ContainsFunc(opts.Except, func(r string) bool { return slices.Contains(s.Rooms, r) })
		if in && !excluded {
			out = append(out, s)
		}
	}
	return out
}

func ids(sockets []*Socket) []string {
	out := []string{}
	for _, s := range sockets {
		out = append(out, s.ID)
	}
	return out
}

func (l *Local) DeliverLocal(pkt sio.Packet, opts sio.BroadcastOptions) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.record(Event{Kind: "deliver", Packet: pkt, Opts: opts, SocketIDs: ids(l.matching(opts))})
}

func (l *Local) DeliverLocalWithAck(pkt sio.Packet, opts sio.BroadcastOptions, onClientCount func(int), onAck func(redisadapter.Ack)) {
	l.mu.Lock()
	to := ids(l.matching(opts))
	l.record(Event{Kind: "deliver", Packet: pkt, Opts: opts, WithAck: true, SocketIDs: to})
	reply := l.AckReply
	l.mu.Unlock()
	onClientCount(len(to))
	for _, id := range to {
		if reply == nil {
			continue
		}
		if ack, ok := reply(id, pkt); ok {
			onAck(ack)
		}
	}
}

func (l *Local) AddSocketsLocal(opts sio.BroadcastOptions, rooms []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	to := l.matching(opts)
	for _, s := range to {
		s.Rooms = union(s.Rooms, rooms)
	}
	l.record(Event{Kind: "join", Opts: opts, Rooms: rooms, SocketIDs: ids(to)})
}

func (l *Local) DelSocketsLocal(opts sio.BroadcastOptions, rooms []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	to := l.matching(opts)
	for _, s := range to {
		s.Rooms = slices.DeleteFunc(s.Rooms, func(r string) bool { return r != s.ID && slices.Contains(rooms, r) })
	}
	l.record(Event{Kind: "leave", Opts: opts, Rooms: rooms, SocketIDs: ids(to)})
}

func (l *Local) DisconnectSocketsLocal(opts sio.BroadcastOptions, close bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	to := l.matching(opts)
	l.sockets = slices.DeleteFunc(l.sockets, func(s *Socket) bool { return slices.Contains(to, s) })
	l.record(Event{Kind: "disconnect", Opts: opts, Close: close, SocketIDs: ids(to)})
}

func (l *Local) FetchSocketsLocal(opts sio.BroadcastOptions) []sio.SocketInfo {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []sio.SocketInfo
	for _, s := range l.matching(opts) {
		out = append(out, sio.SocketInfo{ID: s.ID, Handshake: s.Handshake, Rooms: slices.Clone(s.Rooms), Data: s.Data})
	}
	return out
}

func (l *Local) RoomsLocal() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var rooms []string
	for _, s := range l.sockets {
		rooms = union(rooms, s.Rooms)
	}
	return rooms
}

// union appends to a the names of b it lacks.
func union(a, b []string) []string {
	for _, r := range b {
		if !slices.Contains(a, r) {
			a = append(a, r)
		}
	}
	return a
}
