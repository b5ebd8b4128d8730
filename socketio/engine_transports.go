package socketio

import (
	"encoding/json"
	"io"
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

// orderedCtor builds the library's transport wrapped in orderedTransport.
type orderedCtor struct {
	transports.TransportCtor
}

// New registers the hold before the session subscribes, so it runs first:
// the library emits a packet to its listeners in subscription order.
func (c orderedCtor) New(ctx *types.HttpContext) transports.Transport {
	inner := c.TransportCtor.New(ctx)
	t := &orderedTransport{Transport: inner}
	_ = inner.On("packet", t.hold)
	return t
}

// orderedTransport sees every packet the session writes: it notes when the
// handshake and each ping leave, and writes the handshake the way Node does.
type orderedTransport struct {
	transports.Transport
	opened   atomic.Int64 // unix nanoseconds; the heartbeat clock starts here
	pingSent atomic.Int64 // unix nanoseconds
	gate     connectGate
}

func (t *orderedTransport) Send(packets []*packet.Packet) {
	for i, p := range packets {
		switch {
		case p == nil:
		case p.Type == packet.PING:
			t.pingSent.Store(time.Now().UnixNano())
		case p.Type == packet.OPEN:
			t.opened.CompareAndSwap(0, time.Now().UnixNano())
			packets[i] = nodeOrderedOpen(p)
		case p.Type == packet.MESSAGE:
			t.gate.acked(p)
		}
	}
	t.Transport.Send(packets)
}

// hold runs before the session sees an incoming packet.
func (t *orderedTransport) hold(args ...any) {
	p, ok := args[0].(*packet.Packet)
	if !ok || p == nil {
		return
	}
	switch p.Type {
	case packet.PONG:
		t.holdPong()
	case packet.MESSAGE:
		t.gate.wait(p)
	}
}

func (t *orderedTransport) holdPong() {
	sent := t.pingSent.Load()
	if sent == 0 {
		return
	}
	if wait := pongHold - time.Since(time.Unix(0, sent)); wait > 0 {
		time.Sleep(wait)
	}
}

// openPayload is the handshake in the key order Node's engine.io writes
// (the library marshals a map, which sorts them). Clients parse it either
// way; recordings of the original compare it byte for byte.
type openPayload struct {
	Sid          string   `json:"sid"`
	Upgrades     []string `json:"upgrades"`
	PingInterval int64    `json:"pingInterval"`
	PingTimeout  int64    `json:"pingTimeout"`
	MaxPayload   int64    `json:"maxPayload"`
}

// nodeOrderedOpen re-encodes an OPEN packet; on any surprise it returns
// the original bytes unchanged.
func nodeOrderedOpen(p *packet.Packet) *packet.Packet {
	if p.Data == nil {
		return p
	}
	raw, err := io.ReadAll(p.Data)
	if err != nil {
		return p
	}
	out := *p
	out.Data = types.NewStringBuffer(raw)
	var hs openPayload
	dec := json.NewDecoder(types.NewStringBuffer(raw))
	dec.DisallowUnknownFields()
	if dec.Decode(&hs) != nil || hs.Upgrades == nil {
		return &out
	}
	if ordered, err := json.Marshal(hs); err == nil {
		out.Data = types.NewStringBuffer(ordered)
	}
	return &out
}
