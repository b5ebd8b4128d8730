package engineio

import (
	"encoding/base64"
	"errors"
	"sync"
)

// Packet types of Engine.IO v4, as the digit that starts a text packet.
const (
	PacketOpen    byte = '0'
	PacketClose   byte = '1'
	PacketPing    byte = '2'
	PacketPong    byte = '3'
	PacketMessage byte = '4'
	PacketUpgrade byte = '5'
	PacketNoop    byte = '6'
)

// recordSeparator joins the packets of one polling payload.
const recordSeparator = '\x1e'

// errBadPacket is any packet that Engine.IO v4 cannot decode; it closes the
// session with "parse error".
var errBadPacket = errors.New("engineio: invalid packet")

// Frame is one Engine.IO packet ready to leave, encoded once and shared by
// every session it is sent to: the bytes of its websocket frame, whose
// payload is also its polling segment (for a binary message the polling
// segment is "b" + base64, made on first use). Nothing may change a Frame
// once it is built.
type Frame struct {
	wire   []byte // websocket frame: header, then payload
	off    int    // where the payload starts in wire
	binary bool
	opcode byte // websocket opcode of a control frame; 0 for Engine.IO packets

	b64Once sync.Once
	b64     []byte
}

// Len is the size of the frame's websocket form, what a queue counts.
func (f *Frame) Len() int { return len(f.wire) }

// Payload is the frame's Engine.IO packet as sent over a websocket: the text
// packet ("4…", "2", …) or a binary message's bytes.
func (f *Frame) Payload() []byte { return f.wire[f.off:] }

// pollSegment is the frame as one packet of a polling payload.
func (f *Frame) pollSegment() []byte {
	if !f.binary {
		return f.Payload()
	}
	f.b64Once.Do(func() {
		p := f.Payload()
		f.b64 = make([]byte, 1+base64.StdEncoding.EncodedLen(len(p)))
		f.b64[0] = 'b'
		base64.StdEncoding.Encode(f.b64[1:], p)
	})
	return f.b64
}

// Websocket opcodes the engine writes.
const (
	opText   = 0x1
	opBinary = 0x2
	opClose  = 0x8
	opPing   = 0x9
	opPong   = 0xA
)

// wsHeaderLen is the size of an unmasked server frame header for n bytes.
func wsHeaderLen(n int) int {
	switch {
	case n < 126:
		return 2
	case n <= 0xFFFF:
		return 4
	default:
		return 10
	}
}

// newFrame allocates a frame of n payload bytes with its websocket header
// written; the caller fills Payload.
func newFrame(op byte, n int) *Frame {
	h := wsHeaderLen(n)
	wire := make([]byte, h+n)
	wire[0] = 0x80 | op // FIN
	switch h {
	case 2:
		wire[1] = byte(n)
	case 4:
		wire[1] = 126
		wire[2], wire[3] = byte(n>>8), byte(n)
	default:
		wire[1] = 127
		for i := 0; i < 8; i++ {
			wire[2+i] = byte(uint64(n) >> (56 - 8*i))
		}
	}
	return &Frame{wire: wire, off: h, binary: op == opBinary}
}

// TextMessage builds the frame of an Engine.IO message packet carrying text
// data ("4" + data).
func TextMessage(data []byte) *Frame {
	f := newFrame(opText, 1+len(data))
	p := f.Payload()
	p[0] = PacketMessage
	copy(p[1:], data)
	return f
}

// TextMessageString is TextMessage for a string.
func TextMessageString(data string) *Frame {
	f := newFrame(opText, 1+len(data))
	p := f.Payload()
	p[0] = PacketMessage
	copy(p[1:], data)
	return f
}

// BinaryMessage builds the frame of an Engine.IO message packet carrying
// binary data.
func BinaryMessage(data []byte) *Frame {
	f := newFrame(opBinary, len(data))
	copy(f.Payload(), data)
	return f
}

// controlPacket builds the frame of an Engine.IO packet without data, or
// with a short text (the "probe" of "3probe").
func controlPacket(t byte, data string) *Frame {
	f := newFrame(opText, 1+len(data))
	p := f.Payload()
	p[0] = t
	copy(p[1:], data)
	return f
}

// wsControl builds a websocket control frame (close, pong).
func wsControl(op byte, payload []byte) *Frame {
	f := newFrame(op, len(payload))
	copy(f.Payload(), payload)
	f.opcode = op
	return f
}

// Frames every session shares.
var (
	pingFrame  = controlPacket(PacketPing, "")
	noopFrame  = controlPacket(PacketNoop, "")
	closeFrame = controlPacket(PacketClose, "")
	probeFrame = controlPacket(PacketPong, "probe")
	// wsCloseNormal is the websocket close frame with status 1000.
	wsCloseNormal = wsControl(opClose, []byte{0x03, 0xE8})
	// wsCloseEmpty is a close frame without a status (Node's ws.close()).
	wsCloseEmpty = wsControl(opClose, nil)
)

// packet is one decoded incoming Engine.IO packet. For a message, data is
// the text after the type digit, or the binary bytes.
type packet struct {
	typ    byte
	data   []byte
	binary bool
}

// decodeText decodes one text packet (websocket text frame or one polling
// segment). A polling segment starting with "b" is a base64 binary message.
func decodeText(s []byte, polling bool) (packet, error) {
	if len(s) == 0 {
		return packet{}, errBadPacket
	}
	t := s[0]
	if polling && t == 'b' {
		raw := make([]byte, base64.StdEncoding.DecodedLen(len(s)-1))
		n, err := base64.StdEncoding.Decode(raw, s[1:])
		if err != nil {
			return packet{}, errBadPacket
		}
		return packet{typ: PacketMessage, data: raw[:n], binary: true}, nil
	}
	if t < PacketOpen || t > PacketNoop {
		return packet{}, errBadPacket
	}
	return packet{typ: t, data: s[1:]}, nil
}

// decodePayload splits a polling POST body on the record separator and
// decodes every packet; any bad packet fails the whole payload.
func decodePayload(body []byte) ([]packet, error) {
	if len(body) == 0 {
		return nil, errBadPacket
	}
	var out []packet
	for len(body) > 0 || out == nil {
		seg := body
		next := -1
		for i, c := range body {
			if c == recordSeparator {
				next = i
				break
			}
		}
		if next >= 0 {
			seg, body = body[:next], body[next+1:]
			if len(body) == 0 {
				return nil, errBadPacket // a trailing separator
			}
		} else {
			body = nil
		}
		p, err := decodeText(seg, true)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// appendPayload appends frames as one polling payload.
func appendPayload(dst []byte, frames []*Frame) []byte {
	for i, f := range frames {
		if i > 0 {
			dst = append(dst, recordSeparator)
		}
		dst = append(dst, f.pollSegment()...)
	}
	return dst
}

// payloadLen is the size appendPayload will need.
func payloadLen(frames []*Frame) int {
	n := 0
	for i, f := range frames {
		if i > 0 {
			n++
		}
		n += len(f.pollSegment())
	}
	return n
}
