package sio

import (
	"encoding/json"
	"testing"
)

// FuzzDecodeHeader feeds text packets to the Socket.IO decoder: it must
// never panic, and what it accepts must encode back to a packet that
// decodes the same.
func FuzzDecodeHeader(f *testing.F) {
	for _, seed := range []string{`0`, `0{"token":"123"}`, `0/custom,`, `40/custom`, `1`, `1/custom,`,
		`2["message",1,"2",{"3":[true]}]`, `2456["message-with-ack",1]`, `52-["m",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`,
		`62-789[{"_placeholder":true,"num":0}]`, `2{}`, `42abc["x"]`, `2["disconnect"]`, `511-["x"]`, `2[42]`, `3[]`,
		`4{"message":"x"}`, `0/a,{"b":"\u00e9"}`, `2/x,99999999999999999999["x"]`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		h, err := decodeHeader(in, DefaultMaxAttachments)
		if err != nil {
			return
		}
		p := Packet{Type: h.typ, Nsp: h.nsp, Data: json.RawMessage(h.data), ID: h.id}
		if h.typ == PacketBinaryEvent || h.typ == PacketBinaryAck {
			p.Type -= 3 // the encoder picks the binary type from the attachments
			p.Attachments = make([][]byte, h.attachments)
			if h.attachments == 0 {
				p.Type += 3
			}
		}
		again, err := decodeHeader(AppendPacket(nil, &p), DefaultMaxAttachments)
		if err != nil {
			t.Fatalf("%q re-encoded as %q does not decode: %v", in, AppendPacket(nil, &p), err)
		}
		if again.typ != h.typ || again.nsp != h.nsp || again.attachments != h.attachments ||
			string(again.data) != string(h.data) || (again.id == nil) != (h.id == nil) || (h.id != nil && *again.id != *h.id) {
			t.Fatalf("%q changed: %+v → %+v", in, h, again)
		}
	})
}
