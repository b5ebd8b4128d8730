package sio

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"
)

// adapterTimeout bounds one hand-over of an operation to the adapter.
const adapterTimeout = 5 * time.Second

// Namespace is a Socket.IO namespace: its sockets, their rooms, the
// middleware a CONNECT goes through and, with an adapter, the other
// processes' sockets. Every operation is applied to the local sockets here,
// then handed to the adapter (unless BroadcastOptions.Local).
type Namespace struct {
	name string
	srv  *Server

	middleware   []func(*Socket) error
	onConnection func(*Socket)
	adapter      Adapter

	mu      sync.RWMutex
	sockets map[string]*Socket
	rooms   map[string][]*Socket // members, unordered; a socket's own-id room is implicit
}

var _ Local = (*Namespace)(nil)

func newNamespace(srv *Server, name string) *Namespace {
	return &Namespace{name: name, srv: srv, sockets: map[string]*Socket{}, rooms: map[string][]*Socket{}}
}

// Name is the namespace's name ("/" for the main one).
func (n *Namespace) Name() string { return n.name }

// Use adds a middleware run on every CONNECT before the socket exists for
// anyone; an error refuses it with CONNECT_ERROR (a *ConnectError sets the
// message and data; any other error sends its text). Set it up before
// serving.
func (n *Namespace) Use(mw func(*Socket) error) { n.middleware = append(n.middleware, mw) }

// OnConnection sets the handler run for every socket after its CONNECT ack,
// before any of its events. Set it up before serving.
func (n *Namespace) OnConnection(h func(*Socket)) { n.onConnection = h }

// SetAdapter builds the namespace's cluster adapter with factory. Set it up
// before serving.
func (n *Namespace) SetAdapter(factory func(Local) (Adapter, error)) error {
	a, err := factory(n)
	if err != nil {
		return err
	}
	n.adapter = a
	return nil
}

func (n *Namespace) closeAdapter() {
	if n.adapter != nil {
		if err := n.adapter.Close(); err != nil {
			n.srv.log.Warn("socket.io adapter close failed", slog.String("nsp", n.name), slog.Any("error", err))
		}
	}
}

func (n *Namespace) runMiddleware(s *Socket) *ConnectError {
	for _, mw := range n.middleware {
		if err := mw(s); err != nil {
			if ce, ok := err.(*ConnectError); ok {
				return ce
			}
			return &ConnectError{Message: err.Error()}
		}
	}
	return nil
}

// add registers a socket that passed the middleware.
func (n *Namespace) add(s *Socket) {
	s.mu.Lock()
	s.connected = true
	s.mu.Unlock()
	n.mu.Lock()
	n.sockets[s.id] = s
	n.mu.Unlock()
}

// connected runs the connection handler.
func (n *Namespace) connected(s *Socket) {
	if n.onConnection != nil {
		n.onConnection(s)
	}
}

// remove forgets a socket and every room it was in.
func (n *Namespace) remove(s *Socket) {
	n.mu.Lock()
	defer n.mu.Unlock()
	delete(n.sockets, s.id)
	for _, r := range s.rooms {
		n.delMember(r, s)
	}
	s.rooms = nil
}

func (n *Namespace) join(s *Socket, rooms []string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.sockets[s.id] != s {
		return // disconnected
	}
	for _, r := range rooms {
		if r == s.id || slices.Contains(s.rooms, r) {
			continue
		}
		n.rooms[r] = append(n.rooms[r], s)
		s.rooms = append(s.rooms, r)
	}
}

func (n *Namespace) leave(s *Socket, room string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if i := slices.Index(s.rooms, room); i >= 0 {
		s.rooms = slices.Delete(s.rooms, i, i+1)
		n.delMember(room, s)
	}
}

// delMember removes s from room; n.mu is held. Rooms are slices, not
// sets: most rooms hold one socket (a user's), where a map would cost ten
// times the memory, and leaving is rare next to broadcasting.
func (n *Namespace) delMember(room string, s *Socket) {
	members := n.rooms[room]
	i := slices.Index(members, s)
	if i < 0 {
		return
	}
	last := len(members) - 1
	members[i] = members[last]
	members[last] = nil
	if last == 0 {
		delete(n.rooms, room)
		return
	}
	n.rooms[room] = members[:last]
}

// Sockets calls fn for every local socket of the namespace.
func (n *Namespace) Sockets(fn func(*Socket)) {
	for _, s := range n.matching(BroadcastOptions{}) {
		fn(s)
	}
}

// matching lists the local sockets opts selects: in at least one of Rooms
// (all when none), in none of Except.
func (n *Namespace) matching(opts BroadcastOptions) []*Socket {
	n.mu.RLock()
	defer n.mu.RUnlock()
	var except map[*Socket]struct{}
	if len(opts.Except) > 0 {
		except = map[*Socket]struct{}{}
		for _, r := range opts.Except {
			n.eachInRoom(r, func(s *Socket) { except[s] = struct{}{} })
		}
	}
	keep := func(s *Socket) bool { _, ex := except[s]; return !ex }
	var out []*Socket
	switch len(opts.Rooms) {
	case 0:
		out = make([]*Socket, 0, len(n.sockets))
		for _, s := range n.sockets {
			if keep(s) {
				out = append(out, s)
			}
		}
	case 1:
		n.eachInRoom(opts.Rooms[0], func(s *Socket) {
			if keep(s) {
				out = append(out, s)
			}
		})
	default:
		seen := map[*Socket]struct{}{}
		for _, r := range opts.Rooms {
			n.eachInRoom(r, func(s *Socket) {
				if _, dup := seen[s]; !dup && keep(s) {
					seen[s] = struct{}{}
					out = append(out, s)
				}
			})
		}
	}
	return out
}

// eachInRoom calls fn for the members of room, including the socket whose
// id it is; n.mu is held.
func (n *Namespace) eachInRoom(room string, fn func(*Socket)) {
	for _, s := range n.rooms[room] {
		fn(s)
	}
	if s := n.sockets[room]; s != nil {
		fn(s)
	}
}

// adapterDo hands an operation to the adapter, when there is one and the
// operation is not local; a failure is logged.
func (n *Namespace) adapterDo(opts BroadcastOptions, what string, op func(context.Context, Adapter) error) {
	if n.adapter == nil || opts.Local {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), adapterTimeout)
	defer cancel()
	if err := op(ctx, n.adapter); err != nil {
		n.srv.log.Warn("socket.io adapter failed", slog.String("nsp", n.name), slog.String("op", what), slog.Any("error", err))
	}
}
