package socketio

import (
	"sync"
	"time"

	"github.com/zishang520/socket.io/servers/socket/v3"

	"chatd/socketio/chat"
)

// conn is a chat.Conn over one library socket.
type conn struct {
	s          *socket.Socket
	closeDelay time.Duration
	once       sync.Once
}

var _ chat.Conn = (*conn)(nil)

func newConn(s *socket.Socket, closeDelay time.Duration) *conn {
	return &conn{s: s, closeDelay: closeDelay}
}

func (c *conn) ID() string { return string(c.s.Id()) }

func (c *conn) Join(rooms ...string) { c.s.Join(toRooms(rooms)...) }

func (c *conn) Leave(room string) { c.s.Leave(socket.Room(room)) }

// Emit sends payload as the event's only argument; a nil payload sends the
// event with no argument at all (reportSubmitted), as Node's emit(event) does.
func (c *conn) Emit(event string, payload any) {
	if payload == nil {
		_ = c.s.Emit(event)
		return
	}
	_ = c.s.Emit(event, payload)
}

// Disconnect sends the DISCONNECT packet and closes the transport a moment
// later. The library's Disconnect(true) closes the transport before the
// packet is flushed, so clients mostly saw "transport close" and reconnected;
// writing the packet first and closing after closeDelay makes them see
// "io server disconnect", as with Node. The late close only matters for a
// client that keeps the connection open after the packet.
func (c *conn) Disconnect() {
	c.once.Do(func() {
		c.s.Disconnect(false)
		engineConn := c.s.Conn()
		time.AfterFunc(c.closeDelay, func() { engineConn.Close(false) })
	})
}

// hub is the chat.Hub over the library's rooms. With the Redis adapter a
// broadcast reaches the room's sockets on every chatd process.
type hub struct{ io *socket.Server }

var _ chat.Hub = hub{}

func (h hub) Emit(room, event string, payload any) {
	if payload == nil {
		_ = h.io.To(socket.Room(room)).Emit(event)
		return
	}
	_ = h.io.To(socket.Room(room)).Emit(event, payload)
}

func toRooms(names []string) []socket.Room {
	rooms := make([]socket.Room, len(names))
	for i, n := range names {
		rooms[i] = socket.Room(n)
	}
	return rooms
}
