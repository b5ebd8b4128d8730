package engineio

import (
	"bufio"
	"bytes"
	"testing"
)

// FuzzDecodePayload feeds polling POST bodies to the payload decoder: it
// must never panic, and what it accepts must frame back to the same body
// (text packets) or to packets that decode the same (binary ones).
func FuzzDecodePayload(f *testing.F) {
	for _, seed := range []string{"4hello", "4a\x1e4b", "4hello\x1ebAQIDBA==", "1", "3", "2probe", "abc", "",
		"4a\x1e", "b!!!", "\x1e", "b", "6\x1e6\x1e5", "40{\"token\":null}\x1e42[\"join\",{}]"} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		packets, err := decodePayload(body)
		if err != nil {
			return
		}
		frames := make([]*Frame, 0, len(packets))
		for _, p := range packets {
			switch {
			case p.binary:
				frames = append(frames, BinaryMessage(p.data))
			default:
				frames = append(frames, controlPacket(p.typ, string(p.data)))
			}
		}
		again, err := decodePayload(appendPayload(nil, frames))
		if err != nil || len(again) != len(packets) {
			t.Fatalf("re-encoded payload of %q does not decode: %v", body, err)
		}
		for i := range packets {
			if again[i].typ != packets[i].typ || !bytes.Equal(again[i].data, packets[i].data) || again[i].binary != packets[i].binary {
				t.Fatalf("packet %d of %q changed: %+v → %+v", i, body, packets[i], again[i])
			}
		}
	})
}

// FuzzReadMessage feeds raw bytes to the websocket frame reader as a
// client's stream: it must never panic nor return a message over the limit.
func FuzzReadMessage(f *testing.F) {
	masked := func(op byte, fin bool, payload []byte) []byte {
		b0 := op
		if fin {
			b0 |= 0x80
		}
		out := []byte{b0, 0x80 | byte(len(payload)), 1, 2, 3, 4}
		for i, c := range payload {
			out = append(out, c^[]byte{1, 2, 3, 4}[i%4])
		}
		return out
	}
	f.Add(masked(opText, true, []byte("4hello")))
	f.Add(append(masked(opText, false, []byte("4he")), masked(0, true, []byte("llo"))...))
	f.Add(append(masked(opPing, true, []byte("x")), masked(opBinary, true, []byte{1, 2, 3})...))
	f.Add(masked(opClose, true, []byte{3, 232}))
	f.Add([]byte{0x81, 0x7e, 0xff, 0xff, 1, 2, 3, 4})
	f.Add([]byte{0x81, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{0x81, 0x05, 'h', 'e', 'l', 'l', 'o'})
	f.Fuzz(func(t *testing.T, stream []byte) {
		s := &Session{srv: &Server{cfg: Config{MaxPayload: 1000}.withDefaults()}}
		c := &wsConn{s: s}
		br := bufio.NewReader(bytes.NewReader(stream))
		for range 16 {
			op, msg, err := c.readMessage(br)
			if err != nil {
				return
			}
			if len(msg) > 1000 || (op != opText && op != opBinary) {
				t.Fatalf("message op %d of %d bytes", op, len(msg))
			}
		}
	})
}
