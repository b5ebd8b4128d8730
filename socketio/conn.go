package socketio

import (
	"log/slog"

	"chatd/socketio/chat"
	"chatd/socketio/sio"
)

// conn is a chat.Conn over one socket of namespace "/".
type conn struct{ s *sio.Socket }

var _ chat.Conn = conn{}

func (c conn) ID() string { return c.s.ID() }

func (c conn) Join(rooms ...string) { c.s.Join(rooms...) }

func (c conn) Leave(room string) { c.s.Leave(room) }

// Emit sends payload as the event's only argument; a nil payload sends the
// event with no argument at all (reportSubmitted), as Node's emit(event) does.
func (c conn) Emit(event string, payload any) {
	var err error
	if payload == nil {
		err = c.s.Emit(event)
	} else {
		err = c.s.Emit(event, payload)
	}
	if err != nil {
		slog.Error("socket emit failed", slog.String("event", event), slog.Any("error", err))
	}
}

// Disconnect sends the DISCONNECT packet and closes the transport a moment
// later (sio.Config.CloseDelay), so the client sees "io server disconnect"
// and does not reconnect by itself.
func (c conn) Disconnect() { c.s.Disconnect(true) }

// hub is the chat.Hub over namespace "/": with an adapter a broadcast
// reaches the room's sockets on every chatd process.
type hub struct {
	ns  *sio.Namespace
	log *slog.Logger
}

var _ chat.Hub = hub{}

func (h hub) Emit(room, event string, payload any) {
	var err error
	if payload == nil {
		err = h.ns.Emit(room, event)
	} else {
		err = h.ns.Emit(room, event, payload)
	}
	if err != nil {
		h.log.Error("socket broadcast failed", slog.String("room", room), slog.String("event", event), slog.Any("error", err))
	}
}

func (h hub) EmitLocalState(room, key, event string, payload any) {
	if err := h.ns.EmitState(room, key, event, payload); err != nil {
		h.log.Error("socket state broadcast failed", slog.String("room", room), slog.String("event", event), slog.Any("error", err))
	}
}

// EmitLocalStateExcept is EmitLocalState to room's sockets in none of except.
func (h hub) EmitLocalStateExcept(room string, except []string, key, event string, payload any) {
	if err := h.ns.EmitStateExcept(room, except, key, event, payload); err != nil {
		h.log.Error("socket state broadcast failed", slog.String("room", room), slog.String("event", event), slog.Any("error", err))
	}
}

// EmitLocalStateTo is EmitLocalState to several rooms with one encoding.
func (h hub) EmitLocalStateTo(rooms []string, key, event string, payload any) {
	if err := h.ns.EmitStateTo(rooms, key, event, payload); err != nil {
		h.log.Error("socket state broadcast failed", slog.Int("rooms", len(rooms)), slog.String("event", event), slog.Any("error", err))
	}
}
