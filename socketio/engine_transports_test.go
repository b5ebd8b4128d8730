package socketio

import (
	"io"
	"testing"
	"time"

	"github.com/zishang520/socket.io/parsers/engine/v3/packet"
	"github.com/zishang520/socket.io/servers/engine/v3/transports"
	"github.com/zishang520/socket.io/v3/pkg/types"
)

// sink is a transport that only records what it is asked to send.
type sink struct {
	transports.Transport
	sent []*packet.Packet
}

func (s *sink) Send(p []*packet.Packet) { s.sent = append(s.sent, p...) }

func TestNodeOrderedOpen(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"map order rewritten",
			`{"maxPayload":1000000,"pingInterval":300,"pingTimeout":200,"sid":"abc","upgrades":["websocket"]}`,
			`{"sid":"abc","upgrades":["websocket"],"pingInterval":300,"pingTimeout":200,"maxPayload":1000000}`},
		{"empty upgrades kept as []",
			`{"maxPayload":1,"pingInterval":2,"pingTimeout":3,"sid":"x","upgrades":[]}`,
			`{"sid":"x","upgrades":[],"pingInterval":2,"pingTimeout":3,"maxPayload":1}`},
		{"unknown key left alone", `{"sid":"x","upgrades":[],"extra":1}`, `{"sid":"x","upgrades":[],"extra":1}`},
		{"not JSON left alone", `nope`, `nope`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := &sink{}
			tr := &orderedTransport{Transport: s}
			tr.Send([]*packet.Packet{{Type: packet.OPEN, Data: types.NewStringBufferString(tc.in)}})
			got, _ := io.ReadAll(s.sent[0].Data)
			if string(got) != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestPongRightAfterPingIsHeld(t *testing.T) {
	tr := &orderedTransport{Transport: &sink{}}
	tr.Send([]*packet.Packet{{Type: packet.PING}})
	start := time.Now()
	tr.hold(&packet.Packet{Type: packet.PONG})
	if held := time.Since(start); held < pongHold/2 {
		t.Fatalf("pong held %v, want about %v", held, pongHold)
	}
	time.Sleep(pongHold)
	start = time.Now()
	tr.hold(&packet.Packet{Type: packet.PONG})
	tr.hold(&packet.Packet{Type: packet.MESSAGE, Data: types.NewStringBufferString("2[]")})
	if held := time.Since(start); held > pongHold/2 {
		t.Fatalf("a late pong or a message was held %v", held)
	}
}

func TestNamespaceOf(t *testing.T) {
	tests := []struct{ packet, want string }{
		{`0{"sid":"x"}`, "/"},
		{`0`, "/"},
		{`0/custom,{"sid":"x"}`, "/custom"},
		{`0/custom`, "/custom"},
		{`2["message",1]`, "/"},
		{`2/admin,["message"]`, "/admin"},
		{`21["x"]`, "/"},
		{`51-["message",{"_placeholder":true,"num":0}]`, "/"},
		{`52-/custom,7["x"]`, "/custom"},
		{`1/custom,`, "/custom"},
	}
	for _, tc := range tests {
		if got := namespaceOf(tc.packet); got != tc.want {
			t.Errorf("namespaceOf(%q) = %q, want %q", tc.packet, got, tc.want)
		}
	}
}

func TestConnectGateHoldsEventsUntilRegistered(t *testing.T) {
	var g connectGate
	msg := func(s string) *packet.Packet {
		return &packet.Packet{Type: packet.MESSAGE, Data: types.NewStringBufferString(s)}
	}
	g.acked(msg(`0/custom,{"sid":"x"}`))
	done := make(chan struct{})
	go func() { g.wait(msg(`2/custom,["join"]`)); close(done) }()
	g.wait(msg(`2["main namespace is not gated"]`))
	g.wait(msg(`0/custom,`)) // a CONNECT is never held
	select {
	case <-done:
		t.Fatal("event passed before its namespace was registered")
	case <-time.After(30 * time.Millisecond):
	}
	g.registered("/custom")
	select {
	case <-done:
	case <-time.After(time.Second):
		t.Fatal("event still held after registration")
	}
	g.wait(msg(`2/custom,["again"]`)) // open gates stay open

	// over polling the ack leaves after registration: nothing to hold
	g.registered("/late")
	g.acked(msg(`0/late,{"sid":"y"}`))
	start := time.Now()
	g.wait(msg(`2/late,["x"]`))
	if held := time.Since(start); held > connectHold/2 {
		t.Fatalf("held %v after an ack that followed registration", held)
	}
}
