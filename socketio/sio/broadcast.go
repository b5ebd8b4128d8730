package sio

import (
	"context"
	"encoding/json"
	"sort"
	"strings"
	"time"
)

// Broadcast sends pkt to the sockets opts selects: encoded once, the same
// frames queued on every local recipient, then handed to the adapter for
// the other processes. The error is the adapter's (local delivery cannot
// fail).
func (n *Namespace) Broadcast(pkt Packet, opts BroadcastOptions) error {
	pkt.Nsp = n.name
	n.DeliverLocal(pkt, opts)
	if n.adapter == nil || opts.Local {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), adapterTimeout)
	defer cancel()
	return n.adapter.Broadcast(ctx, pkt, opts)
}

// Emit sends event with JSON args to every socket in room (everywhere, with
// an adapter).
func (n *Namespace) Emit(room, event string, args ...any) error {
	data, err := encodeArgs(event, args)
	if err != nil {
		return err
	}
	return n.Broadcast(Packet{Type: PacketEvent, Data: data}, BroadcastOptions{Rooms: []string{room}})
}

// EmitState sends event to this process's sockets in room as state: each
// connection holds at most one unsent frame per key, a newer one replacing
// the older. It returns once the frame is queued on every local socket of
// the room.
func (n *Namespace) EmitState(room, key, event string, args ...any) error {
	return n.EmitStateTo([]string{room}, key, event, args...)
}

// EmitStateTo is EmitState to the local sockets in any of rooms, encoded
// once for all of them (the chat hands a presence list of 150 KB to every
// socket that joined in the same window).
func (n *Namespace) EmitStateTo(rooms []string, key, event string, args ...any) error {
	return n.emitState(BroadcastOptions{Rooms: rooms}, key, event, args)
}

// EmitStateExcept is EmitState to the local sockets in room that are in
// none of except (sockets that hold the state already).
func (n *Namespace) EmitStateExcept(room string, except []string, key, event string, args ...any) error {
	return n.emitState(BroadcastOptions{Rooms: []string{room}, Except: except}, key, event, args)
}

func (n *Namespace) emitState(opts BroadcastOptions, key, event string, args []any) error {
	if len(opts.Rooms) == 0 {
		return nil
	}
	data, err := encodeArgs(event, args)
	if err != nil {
		return err
	}
	p := Packet{Type: PacketEvent, Nsp: n.name, Data: data}
	f := Frames(&p)[0]
	now := time.Now()
	for _, s := range n.matching(opts) {
		if s.Connected() {
			s.client.es.SendStateAt(now, key, f)
		}
	}
	return nil
}

// DeliverLocal implements Local: it sends pkt to the matching local sockets.
func (n *Namespace) DeliverLocal(pkt Packet, opts BroadcastOptions) {
	pkt.Nsp = n.name
	targets := n.matching(opts)
	if len(targets) == 0 {
		return
	}
	frames := Frames(&pkt)
	now := time.Now()
	for _, s := range targets {
		s.client.es.SendAt(now, frames...)
	}
}

// AddSockets makes the matching sockets join rooms, here and elsewhere.
func (n *Namespace) AddSockets(opts BroadcastOptions, rooms []string) {
	n.AddSocketsLocal(opts, rooms)
	n.adapterDo(opts, "addSockets", func(ctx context.Context, a Adapter) error { return a.AddSockets(ctx, opts, rooms) })
}

// DelSockets makes the matching sockets leave rooms, here and elsewhere.
func (n *Namespace) DelSockets(opts BroadcastOptions, rooms []string) {
	n.DelSocketsLocal(opts, rooms)
	n.adapterDo(opts, "delSockets", func(ctx context.Context, a Adapter) error { return a.DelSockets(ctx, opts, rooms) })
}

// DisconnectSockets disconnects the matching sockets, here and elsewhere.
func (n *Namespace) DisconnectSockets(opts BroadcastOptions, close bool) {
	n.DisconnectSocketsLocal(opts, close)
	n.adapterDo(opts, "disconnectSockets", func(ctx context.Context, a Adapter) error {
		return a.DisconnectSockets(ctx, opts, close)
	})
}

// AddSocketsLocal implements Local.
func (n *Namespace) AddSocketsLocal(opts BroadcastOptions, rooms []string) {
	for _, s := range n.matching(opts) {
		s.Join(rooms...)
	}
}

// DelSocketsLocal implements Local.
func (n *Namespace) DelSocketsLocal(opts BroadcastOptions, rooms []string) {
	for _, s := range n.matching(opts) {
		for _, r := range rooms {
			s.Leave(r)
		}
	}
}

// DisconnectSocketsLocal implements Local.
func (n *Namespace) DisconnectSocketsLocal(opts BroadcastOptions, close bool) {
	for _, s := range n.matching(opts) {
		s.Disconnect(close)
	}
}

// FetchSocketsLocal implements Local.
func (n *Namespace) FetchSocketsLocal(opts BroadcastOptions) []SocketInfo {
	targets := n.matching(opts)
	out := make([]SocketInfo, 0, len(targets))
	for _, s := range targets {
		data, err := json.Marshal(s.Data())
		if err != nil {
			data = json.RawMessage("null")
		}
		out = append(out, SocketInfo{ID: s.id, Handshake: s.handshakeJSON(), Rooms: s.Rooms(), Data: data})
	}
	return out
}

// RoomsLocal implements Local: every room with a local socket, socket ids
// included, sorted.
func (n *Namespace) RoomsLocal() []string {
	n.mu.RLock()
	out := make([]string, 0, len(n.rooms)+len(n.sockets))
	for r := range n.rooms {
		out = append(out, r)
	}
	for id := range n.sockets {
		out = append(out, id)
	}
	n.mu.RUnlock()
	sort.Strings(out)
	return out
}

// handshakeJSON is the socket's handshake as Node's socket.handshake.
func (s *Socket) handshakeJSON() json.RawMessage {
	r := s.Request()
	headers := map[string]string{}
	for k, v := range r.Header {
		if len(v) > 0 {
			headers[strings.ToLower(k)] = v[0]
		}
	}
	query := map[string]string{}
	for k, v := range r.URL.Query() {
		if len(v) > 0 {
			query[k] = v[0]
		}
	}
	b, _ := json.Marshal(map[string]any{
		"headers": headers, "time": s.issued.UTC().Format(time.RFC1123), "address": r.RemoteAddr,
		"xdomain": r.Header.Get("Origin") != "", "secure": r.TLS != nil, "issued": s.issued.UnixMilli(),
		"url": r.URL.RequestURI(), "query": query, "auth": s.auth,
	})
	return b
}
