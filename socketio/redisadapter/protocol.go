package redisadapter

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"chatd/socketio/sio"
)

// Request types of @socket.io/redis-adapter 8.x (its RequestType enum).
const (
	requestSockets              = 0
	requestAllRooms             = 1
	requestRemoteJoin           = 2
	requestRemoteLeave          = 3
	requestRemoteDisconnect     = 4
	requestRemoteFetch          = 5
	requestServerSideEmit       = 6
	requestBroadcast            = 7
	requestBroadcastClientCount = 8
	requestBroadcastAck         = 9
)

// wireOpts is a request's {rooms, except}.
type wireOpts struct {
	Rooms  rooms `json:"rooms"`
	Except rooms `json:"except"`
}

func toWireOpts(opts sio.BroadcastOptions) *wireOpts {
	return &wireOpts{Rooms: nonNilRooms(unique(opts.Rooms)), Except: nonNilRooms(unique(opts.Except))}
}

func (o *wireOpts) broadcastOptions() sio.BroadcastOptions {
	if o == nil {
		return sio.BroadcastOptions{}
	}
	return sio.BroadcastOptions{Rooms: o.Rooms, Except: o.Except}
}

// rooms is a list of room names; Node allows numbers as names, and a
// missing list is empty (JSON.stringify of a Set spread is always a list,
// but Go's nil slice would be null).
type rooms []string

func nonNilRooms(r []string) rooms {
	if r == nil {
		return rooms{}
	}
	return r
}

func (r *rooms) UnmarshalJSON(b []byte) error {
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*r = make(rooms, 0, len(raw))
	for _, v := range raw {
		name, err := roomName(v)
		if err != nil {
			return err
		}
		*r = append(*r, name)
	}
	return nil
}

// roomName reads one room: a string, or a number written as JavaScript
// turns it into a string.
func roomName(v json.RawMessage) (string, error) {
	var s string
	if err := json.Unmarshal(v, &s); err == nil {
		return s, nil
	}
	if _, err := strconv.ParseFloat(string(v), 64); err == nil {
		return string(v), nil
	}
	return "", fmt.Errorf("%w: room name %s", errMalformed, v)
}

// request is any request a server publishes on "<prefix>-request#<nsp>#".
type request struct {
	UID       string          `json:"uid"`
	RequestID string          `json:"requestId,omitempty"`
	Type      int             `json:"type"`
	Opts      *wireOpts       `json:"opts,omitempty"`
	Rooms     rooms           `json:"rooms,omitempty"`
	Sid       string          `json:"sid,omitempty"`  // legacy REMOTE_JOIN/LEAVE/DISCONNECT of one socket
	Room      json.RawMessage `json:"room,omitempty"` // legacy REMOTE_JOIN/LEAVE
	Close     *bool           `json:"close,omitempty"`
	Data      json.RawMessage `json:"data,omitempty"`

	packet sio.Packet // BROADCAST (MessagePack only)
}

// response is any response on "<prefix>-response#<nsp>#[<uid>#]".
type response struct {
	Type        int             `json:"type,omitempty"`
	RequestID   string          `json:"requestId"`
	Sockets     json.RawMessage `json:"sockets,omitempty"`
	Rooms       rooms           `json:"rooms,omitempty"`
	Data        json.RawMessage `json:"data,omitempty"`
	ClientCount *int            `json:"clientCount,omitempty"`

	ack Ack // BROADCAST_ACK (MessagePack only)
}

// socketDetails is one socket of a REMOTE_FETCH response.
type socketDetails struct {
	ID        string          `json:"id"`
	Handshake json.RawMessage `json:"handshake"`
	Rooms     rooms           `json:"rooms"`
	Data      json.RawMessage `json:"data"`
}

func toSocketDetails(s sio.SocketInfo) socketDetails {
	return socketDetails{ID: s.ID, Handshake: jsonOr(s.Handshake, "{}"), Rooms: nonNilRooms(s.Rooms), Data: jsonOr(s.Data, "null")}
}

func (s socketDetails) info() sio.SocketInfo {
	return sio.SocketInfo{ID: s.ID, Handshake: s.Handshake, Rooms: s.Rooms, Data: jsonOr(s.Data, "null")}
}

func jsonOr(v json.RawMessage, fallback string) json.RawMessage {
	if len(bytes.TrimSpace(v)) == 0 {
		return json.RawMessage(fallback)
	}
	return v
}

// isJSON tells a JSON request or response from a MessagePack one, as Node's
// adapter does: by a leading "{".
func isJSON(payload string) bool { return len(payload) > 0 && payload[0] == '{' }

func decodeRequest(payload string) (request, error) {
	req := request{Type: -1}
	if isJSON(payload) {
		err := json.Unmarshal([]byte(payload), &req)
		return req, wrapMalformed(err)
	}
	t := getTranscoder()
	defer putTranscoder(t)
	t.resetIn(payload)
	err := t.readMapFields(func(key string) (err error) {
		switch key {
		case "uid":
			req.UID, err = t.mdec.DecodeString()
		case "requestId":
			req.RequestID, err = t.mdec.DecodeString()
		case "type":
			req.Type, err = t.mdec.DecodeInt()
		case "packet":
			req.packet, err = t.readPacket()
		case "opts":
			var opts sio.BroadcastOptions
			opts, err = t.readOpts()
			req.Opts = &wireOpts{Rooms: opts.Rooms, Except: opts.Except}
		default:
			err = t.mdec.Skip()
		}
		return err
	})
	return req, err
}

func decodeResponse(payload string) (response, error) {
	var res response
	if isJSON(payload) {
		err := json.Unmarshal([]byte(payload), &res)
		return res, wrapMalformed(err)
	}
	t := getTranscoder()
	defer putTranscoder(t)
	t.resetIn(payload)
	err := t.readMapFields(func(key string) (err error) {
		switch key {
		case "type":
			res.Type, err = t.mdec.DecodeInt()
		case "requestId":
			res.RequestID, err = t.mdec.DecodeString()
		case "packet":
			res.ack.Data, res.ack.Attachments, err = t.readData(nil)
		default:
			err = t.mdec.Skip()
		}
		return err
	})
	// A client acknowledging without an argument: notepack.io leaves the
	// undefined key out.
	res.ack.Data = jsonOr(res.ack.Data, "null")
	return res, err
}

func wrapMalformed(err error) error {
	if err != nil {
		return fmt.Errorf("%w: %w", errMalformed, err)
	}
	return nil
}
