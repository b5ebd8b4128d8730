package socketio

import (
	"sync/atomic"
	"time"

	"github.com/zishang520/socket.io/parsers/engine/v3/packet"
	"github.com/zishang520/socket.io/servers/engine/v3/transports"
	"github.com/zishang520/socket.io/v3/pkg/types"
)

// pongHold is how long after a ping went out a pong is held back before
// the session sees it. The library writes the ping first and arms the
// pong deadline afterwards on the same goroutine; a client answering over
// loopback can get its pong processed in between, which clears nothing,
// and the deadline armed next closes a healthy session with
// "ping timeout". Arming takes microseconds, so a few milliseconds of hold
// on a pong that fast closes the gap at no cost anyone can notice.
const pongHold = 10 * time.Millisecond

// orderedCtor builds the library's transport wrapped in pongAfterPing.
type orderedCtor struct {
	transports.TransportCtor
}

// New registers the hold before the session subscribes, so it runs first:
// the library emits a packet to its listeners in subscription order.
func (c orderedCtor) New(ctx *types.HttpContext) transports.Transport {
	inner := c.TransportCtor.New(ctx)
	t := &pongAfterPing{Transport: inner}
	_ = inner.On("packet", t.holdPong)
	return t
}

// pongAfterPing notes when a ping is handed to the transport.
type pongAfterPing struct {
	transports.Transport
	pingSent atomic.Int64 // unix nanoseconds
}

func (t *pongAfterPing) Send(packets []*packet.Packet) {
	for _, p := range packets {
		if p != nil && p.Type == packet.PING {
			t.pingSent.Store(time.Now().UnixNano())
			break
		}
	}
	t.Transport.Send(packets)
}

func (t *pongAfterPing) holdPong(args ...any) {
	p, ok := args[0].(*packet.Packet)
	if !ok || p == nil || p.Type != packet.PONG {
		return
	}
	sent := t.pingSent.Load()
	if sent == 0 {
		return
	}
	if wait := pongHold - time.Since(time.Unix(0, sent)); wait > 0 {
		time.Sleep(wait)
	}
}
