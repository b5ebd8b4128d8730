package socketio

import (
	"strings"
	"sync"
	"time"

	"github.com/zishang520/socket.io/parsers/engine/v3/packet"
	"github.com/zishang520/socket.io/servers/socket/v3"
	"github.com/zishang520/socket.io/v3/pkg/types"
)

// connectHold bounds how long a packet waits for its namespace's
// registration; it only matters if the library never completes one.
const connectHold = time.Second

// connectGate closes a gap in the library's Socket.IO connect: it writes
// the CONNECT ack first and registers the namespace on the client
// afterwards, on the same goroutine. A client that answers the ack at
// once (socket.io-client flushes its buffered emits on connect) can have
// its first event decoded in between; the library then sees an event for
// a namespace it does not know and closes the whole connection. The gate
// opens when the namespace's "connection" event fires, which the library
// emits only after registering.
//
// Over polling the ack is written only when the client polls, often after
// registration, so the gate counts acks and registrations per namespace
// (a socket may leave and rejoin one) and holds only while acks lead.
type connectGate struct {
	mu   sync.Mutex
	nsps map[string]*gateState
}

type gateState struct {
	acks, registrations int
	open                chan struct{} // closed when registrations catch up
}

func (g *connectGate) state(nsp string) *gateState {
	if g.nsps == nil {
		g.nsps = map[string]*gateState{}
	}
	st, ok := g.nsps[nsp]
	if !ok {
		st = &gateState{open: closedChan()}
		g.nsps[nsp] = st
	}
	return st
}

func closedChan() chan struct{} {
	ch := make(chan struct{})
	close(ch)
	return ch
}

// acked notes an outgoing Socket.IO CONNECT ack ("0" or "0/nsp,…").
func (g *connectGate) acked(p *packet.Packet) {
	data, ok := p.Data.(*types.StringBuffer)
	if p.Type != packet.MESSAGE || !ok {
		return
	}
	b := data.Bytes()
	if len(b) == 0 || b[0] != '0' {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	st := g.state(namespaceOf(string(b)))
	st.acks++
	if st.acks == st.registrations+1 {
		st.open = make(chan struct{})
	}
}

// registered opens the gate for nsp.
func (g *connectGate) registered(nsp string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	st := g.state(nsp)
	st.registrations++
	if st.registrations == st.acks {
		close(st.open)
	}
}

// wait holds an incoming Socket.IO packet, other than a CONNECT, for a
// namespace whose ack is out but whose registration is not done.
func (g *connectGate) wait(p *packet.Packet) {
	data, ok := p.Data.(*types.StringBuffer)
	if p.Type != packet.MESSAGE || !ok {
		return // binary attachments follow their header, already waited for
	}
	b := data.Bytes()
	if len(b) == 0 || b[0] == '0' {
		return
	}
	g.mu.Lock()
	ch := g.state(namespaceOf(string(b))).open
	g.mu.Unlock()
	select {
	case <-ch:
		return
	default:
	}
	timer := time.NewTimer(connectHold)
	defer timer.Stop()
	select {
	case <-ch:
	case <-timer.C:
	}
}

// namespaceOf reads the namespace of an encoded Socket.IO packet: after
// the type and, for binary packets, the attachment count ("51-"), a "/"
// starts a namespace that runs to the ",". Anything else is "/".
func namespaceOf(s string) string {
	s = s[1:]
	if i := strings.IndexByte(s, '-'); i > 0 && strings.Trim(s[:i], "0123456789") == "" {
		s = s[i+1:]
	}
	if !strings.HasPrefix(s, "/") {
		return "/"
	}
	if i := strings.IndexByte(s, ','); i >= 0 {
		return s[:i]
	}
	return s
}

// openConnectGates opens a session's gate whenever one of its sockets
// finishes connecting, on every namespace, present and future.
func openConnectGates(io *socket.Server) {
	watch := func(nsp socket.Namespace) {
		_ = nsp.On("connection", func(args ...any) {
			s, ok := args[0].(*socket.Socket)
			if !ok {
				return
			}
			if t, ok := s.Conn().Transport().(*orderedTransport); ok {
				t.gate.registered(s.Nsp().Name())
			}
		})
	}
	main := io.Of("/", nil)
	watch(main)
	_ = main.On("new_namespace", func(args ...any) {
		if nsp, ok := args[0].(socket.Namespace); ok {
			watch(nsp)
		}
	})
}
