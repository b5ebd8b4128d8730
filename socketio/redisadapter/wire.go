package redisadapter

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"

	"chatd/socketio/sio"
)

// The broadcast message of @socket.io/redis-adapter 8.x, published on
// "<prefix>#<nsp>#" or "<prefix>#<nsp>#<room>#":
//
//	[uid, {type, data, nsp[, id]}, {rooms, except, flags}]
//
// in MessagePack. Requests and responses are JSON objects, except the
// BROADCAST request (acknowledged broadcasts) and BROADCAST_ACK response,
// which carry a packet and so are MessagePack maps.

// wirePacketType is the packet type as Node's adapter sees it: the binary
// variants are chosen by its encoder, never stored in the packet.
func wirePacketType(t int) int {
	switch t {
	case sio.PacketBinaryEvent:
		return sio.PacketEvent
	case sio.PacketBinaryAck:
		return sio.PacketAck
	}
	return t
}

// encodeBroadcast builds the broadcast message; the result is owned by the
// caller.
func encodeBroadcast(uid, nsp string, pkt sio.Packet, opts sio.BroadcastOptions) ([]byte, error) {
	t := getTranscoder()
	defer putTranscoder(t)
	e := t.resetOut()
	if err := e.EncodeArrayLen(3); err != nil {
		return nil, err
	}
	if err := e.EncodeString(uid); err != nil {
		return nil, err
	}
	if err := t.writePacket(pkt, nsp); err != nil {
		return nil, err
	}
	if err := t.writeOpts(opts, 0); err != nil {
		return nil, err
	}
	return bytes.Clone(t.msgOut.Bytes()), nil
}

// encodeBroadcastRequest builds the MessagePack BROADCAST request of an
// acknowledged broadcast.
func encodeBroadcastRequest(uid, requestID, nsp string, pkt sio.Packet, opts sio.BroadcastOptions, timeout time.Duration) ([]byte, error) {
	t := getTranscoder()
	defer putTranscoder(t)
	e := t.resetOut()
	err := firstError(
		e.EncodeMapLen(5),
		e.EncodeString("uid"), e.EncodeString(uid),
		e.EncodeString("requestId"), e.EncodeString(requestID),
		e.EncodeString("type"), e.EncodeInt(requestBroadcast),
		e.EncodeString("packet"), t.writePacket(pkt, nsp),
		e.EncodeString("opts"), t.writeOpts(opts, timeout),
	)
	if err != nil {
		return nil, err
	}
	return bytes.Clone(t.msgOut.Bytes()), nil
}

// encodeAckResponse builds the MessagePack BROADCAST_ACK response carrying
// one client's acknowledgement.
func encodeAckResponse(requestID string, ack Ack) ([]byte, error) {
	t := getTranscoder()
	defer putTranscoder(t)
	e := t.resetOut()
	err := firstError(
		e.EncodeMapLen(3),
		e.EncodeString("type"), e.EncodeInt(requestBroadcastAck),
		e.EncodeString("requestId"), e.EncodeString(requestID),
		e.EncodeString("packet"), t.writeValue(ack.Data, ack.Attachments),
	)
	if err != nil {
		return nil, err
	}
	return bytes.Clone(t.msgOut.Bytes()), nil
}

func (t *transcoder) resetOut() *msgpack.Encoder {
	t.msgOut.Reset()
	t.menc.Reset(&t.msgOut)
	return t.menc
}

// writeValue writes a JSON value, null when empty.
func (t *transcoder) writeValue(data json.RawMessage, attachments [][]byte) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return t.menc.EncodeNil()
	}
	return t.writeData(t.menc, data, attachments)
}

// writePacket writes pkt as Node's adapter publishes it, keys in its order.
func (t *transcoder) writePacket(pkt sio.Packet, nsp string) error {
	e := t.menc
	hasData := len(bytes.TrimSpace(pkt.Data)) > 0
	n := 2
	if hasData {
		n++
	}
	if pkt.ID != nil {
		n++
	}
	if err := firstError(e.EncodeMapLen(n), e.EncodeString("type"), e.EncodeInt(int64(wirePacketType(pkt.Type)))); err != nil {
		return err
	}
	if hasData {
		if err := firstError(e.EncodeString("data"), t.writeData(e, pkt.Data, pkt.Attachments)); err != nil {
			return err
		}
	}
	if err := firstError(e.EncodeString("nsp"), e.EncodeString(nsp)); err != nil {
		return err
	}
	if pkt.ID != nil {
		return firstError(e.EncodeString("id"), e.EncodeInt(*pkt.ID))
	}
	return nil
}

// writeOpts writes {rooms, except, flags}; flags carries the acknowledgement
// timeout of an acknowledged broadcast, as Node's does.
func (t *transcoder) writeOpts(opts sio.BroadcastOptions, timeout time.Duration) error {
	e := t.menc
	err := firstError(e.EncodeMapLen(3), e.EncodeString("rooms"), writeStrings(e, unique(opts.Rooms)),
		e.EncodeString("except"), writeStrings(e, unique(opts.Except)), e.EncodeString("flags"))
	if err != nil {
		return err
	}
	if timeout <= 0 {
		return e.EncodeMapLen(0)
	}
	return firstError(e.EncodeMapLen(1), e.EncodeString("timeout"), e.EncodeInt(timeout.Milliseconds()))
}

func writeStrings(e *msgpack.Encoder, ss []string) error {
	if err := e.EncodeArrayLen(len(ss)); err != nil {
		return err
	}
	for _, s := range ss {
		if err := e.EncodeString(s); err != nil {
			return err
		}
	}
	return nil
}

// incoming is a decoded broadcast message.
type incoming struct {
	uid  string
	pkt  sio.Packet
	opts sio.BroadcastOptions
}

// decodeBroadcast decodes a broadcast message. A message from uid (this
// adapter) stops after its first element and comes back with only uid set.
func decodeBroadcast(payload, uid string) (incoming, error) {
	t := getTranscoder()
	defer putTranscoder(t)
	d := t.resetIn(payload)
	var in incoming
	n, err := d.DecodeArrayLen()
	if err != nil || n < 2 {
		return in, fmt.Errorf("%w: not a broadcast message", errMalformed)
	}
	if in.uid, err = d.DecodeString(); err != nil || in.uid == uid {
		return in, err
	}
	if in.pkt, err = t.readPacket(); err != nil {
		return in, err
	}
	if n >= 3 {
		in.opts, err = t.readOpts()
	}
	return in, err
}

func (t *transcoder) resetIn(payload string) *msgpack.Decoder {
	t.sr.Reset(payload)
	t.mdec.Reset(&t.sr)
	return t.mdec
}

// readPacket reads a packet map; a packet without nsp is in "/" (as Node's
// adapter assumes).
func (t *transcoder) readPacket() (sio.Packet, error) {
	pkt := sio.Packet{Nsp: "/"}
	err := t.readMapFields(func(key string) (err error) {
		switch key {
		case "type":
			pkt.Type, err = t.mdec.DecodeInt()
			pkt.Type = wirePacketType(pkt.Type)
		case "data":
			pkt.Data, pkt.Attachments, err = t.readData(nil)
		case "nsp":
			pkt.Nsp, err = t.mdec.DecodeString()
		case "id":
			pkt.ID, err = t.readOptionalInt()
		default:
			err = t.mdec.Skip()
		}
		return err
	})
	return pkt, err
}

func (t *transcoder) readOptionalInt() (*int64, error) {
	if c, err := t.mdec.PeekCode(); err != nil || c == msgpcode.Nil {
		return nil, t.mdec.Skip()
	}
	n, err := t.mdec.DecodeInt64()
	return &n, err
}

func (t *transcoder) readOpts() (sio.BroadcastOptions, error) {
	var opts sio.BroadcastOptions
	err := t.readMapFields(func(key string) (err error) {
		switch key {
		case "rooms":
			opts.Rooms, err = t.readRooms()
		case "except":
			opts.Except, err = t.readRooms()
		default: // flags: volatile and compress have no counterpart in sio
			err = t.mdec.Skip()
		}
		return err
	})
	return opts, err
}

// readRooms reads a list of rooms; Node allows numbers as room names.
func (t *transcoder) readRooms() ([]string, error) {
	if c, err := t.mdec.PeekCode(); err != nil || c == msgpcode.Nil {
		return nil, t.mdec.Skip()
	}
	n, err := t.mdec.DecodeArrayLen()
	if err != nil || n <= 0 {
		return nil, err
	}
	rooms := make([]string, 0, min(n, 1024))
	for range n {
		room, err := t.readName()
		if err != nil {
			return nil, err
		}
		rooms = append(rooms, room)
	}
	return rooms, nil
}

// readMapFields reads a map with string keys, handing each key to field,
// which must consume the value.
func (t *transcoder) readMapFields(field func(key string) error) error {
	n, err := t.mdec.DecodeMapLen()
	if err != nil {
		return fmt.Errorf("%w: %w", errMalformed, err)
	}
	for range n {
		key, err := t.readName()
		if err != nil {
			return err
		}
		if err := field(key); err != nil {
			return fmt.Errorf("%w: %s: %w", errMalformed, key, err)
		}
	}
	return nil
}

// unique drops repeated names (Node's options are Sets), keeping order.
func unique(names []string) []string {
	if len(names) > 16 {
		return uniqueCopy(names)
	}
	for i := 1; i < len(names); i++ {
		for j := range i {
			if names[i] == names[j] {
				return uniqueCopy(names)
			}
		}
	}
	return names
}

func uniqueCopy(names []string) []string {
	seen := make(map[string]bool, len(names))
	out := make([]string, 0, len(names))
	for _, n := range names {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
