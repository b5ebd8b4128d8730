package sio

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"sync"

	"chatd/socketio/engineio"
)

// errBadPacket is a Socket.IO packet the protocol does not allow; it closes
// the connection.
var errBadPacket = errors.New("sio: invalid packet")

// reservedEvents may not be sent by a client (Node's RESERVED_EVENTS).
var reservedEvents = map[string]bool{"connect": true, "connect_error": true, "disconnect": true,
	"disconnecting": true, "newListener": true, "removeListener": true}

// appendHeader appends the text form of p without its data:
// type, "N-" for attachments, "/nsp," unless "/", then the ack id.
func appendHeader(dst []byte, p *Packet) []byte {
	t, n := p.Type, len(p.Attachments)
	switch {
	case n > 0 && t == PacketEvent:
		t = PacketBinaryEvent
	case n > 0 && t == PacketAck:
		t = PacketBinaryAck
	}
	dst = append(dst, byte('0'+t))
	if t == PacketBinaryEvent || t == PacketBinaryAck {
		dst = append(strconv.AppendInt(dst, int64(n), 10), '-')
	}
	if p.Nsp != "" && p.Nsp != "/" {
		dst = append(append(dst, p.Nsp...), ',')
	}
	if p.ID != nil {
		dst = strconv.AppendInt(dst, *p.ID, 10)
	}
	return dst
}

// AppendPacket appends the text form of p (its data as is).
func AppendPacket(dst []byte, p *Packet) []byte {
	return append(appendHeader(dst, p), p.Data...)
}

// Frames encodes p once into the Engine.IO frames that carry it: the text
// packet, then one binary frame per attachment. Every recipient gets the
// same frames.
func Frames(p *Packet) []*engineio.Frame {
	buf := scratch.Get().(*[]byte)
	b := AppendPacket((*buf)[:0], p)
	frames := make([]*engineio.Frame, 1, 1+len(p.Attachments))
	frames[0] = engineio.TextMessage(b)
	putScratch(buf, b)
	for _, a := range p.Attachments {
		frames = append(frames, engineio.BinaryMessage(a))
	}
	return frames
}

var scratch = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

func putScratch(p *[]byte, b []byte) {
	if cap(b) <= 256<<10 {
		*p = b[:0]
		scratch.Put(p)
	}
}

// encodeArgs writes the JSON array [event, args...] the way Node's
// JSON.stringify does (no HTML escaping).
func encodeArgs(event string, args []any) (json.RawMessage, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	buf.WriteByte('[')
	if err := enc.Encode(event); err != nil {
		return nil, err
	}
	for _, a := range args {
		trimNewline(&buf)
		buf.WriteByte(',')
		if err := enc.Encode(a); err != nil {
			return nil, err
		}
	}
	trimNewline(&buf)
	buf.WriteByte(']')
	return buf.Bytes(), nil
}

func trimNewline(b *bytes.Buffer) {
	if n := b.Len(); n > 0 && b.Bytes()[n-1] == '\n' {
		b.Truncate(n - 1)
	}
}

// header is a decoded incoming packet before its attachments arrive.
type header struct {
	typ         int
	attachments int
	nsp         string
	id          *int64
	data        []byte // raw JSON, nil when absent
	// An EVENT's name and arguments, decoded once, when the data is checked.
	name string
	args []json.RawMessage
}

// decodeHeader parses a text packet as Node's socket.io-parser does and
// validates its data for its type.
func decodeHeader(s []byte, maxAttachments int) (header, error) {
	var h header
	if len(s) == 0 || s[0] < '0' || s[0] > '6' {
		return h, errBadPacket
	}
	h.typ = int(s[0] - '0')
	i := 1
	if h.typ == PacketBinaryEvent || h.typ == PacketBinaryAck {
		j := i
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j == i || j >= len(s) || s[j] != '-' || j-i > 4 {
			return h, errBadPacket
		}
		n, _ := strconv.Atoi(string(s[i:j]))
		if n > maxAttachments {
			return h, errBadPacket
		}
		h.attachments, i = n, j+1
	}
	h.nsp = "/"
	if i < len(s) && s[i] == '/' {
		j := bytes.IndexByte(s[i:], ',')
		if j < 0 {
			h.nsp, i = string(s[i:]), len(s)
		} else {
			h.nsp, i = string(s[i:i+j]), i+j+1
		}
	}
	if j := i; j < len(s) && s[j] >= '0' && s[j] <= '9' {
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		id, err := strconv.ParseInt(string(s[i:j]), 10, 64)
		if err != nil || id > 1<<53 {
			return h, errBadPacket
		}
		h.id, i = &id, j
	}
	if i < len(s) {
		h.data = s[i:]
	}
	if h.typ == PacketEvent || h.typ == PacketBinaryEvent {
		var ok bool
		if h.name, h.args, ok = eventElements(h.data); !ok {
			return h, errBadPacket
		}
	} else if !validData(h.typ, h.data) {
		return h, errBadPacket
	}
	return h, nil
}

// validData is Node's isPayloadValid for the packets other than EVENT
// (eventElements).
func validData(typ int, data []byte) bool {
	if data == nil {
		return typ != PacketAck && typ != PacketBinaryAck
	}
	first := firstByte(data)
	switch typ {
	case PacketConnect:
		return first == '{' && json.Valid(data)
	case PacketConnectError:
		return (first == '{' || first == '"') && json.Valid(data)
	case PacketAck, PacketBinaryAck:
		return first == '[' && json.Valid(data)
	}
	return false // DISCONNECT carries no data
}

// eventElements is Node's isPayloadValid for an EVENT: a JSON array whose
// first element is a name a client may send (a string other than the
// reserved events, or a number, which is named by its JSON text). It
// returns the name and the arguments; ok is false when the data is not
// valid.
func eventElements(data []byte) (name string, args []json.RawMessage, ok bool) {
	var all []json.RawMessage
	if firstByte(data) != '[' || json.Unmarshal(data, &all) != nil || len(all) == 0 {
		return "", nil, false
	}
	switch f := firstByte(all[0]); {
	case f == '"':
		if json.Unmarshal(all[0], &name) != nil || reservedEvents[name] {
			return "", nil, false
		}
	case f == '-' || (f >= '0' && f <= '9'):
		name = string(all[0])
	default:
		return "", nil, false
	}
	return name, all[1:], true
}

func firstByte(b []byte) byte {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		}
		return c
	}
	return 0
}
