package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"chatd/socketio/redisadapter"
	"chatd/socketio/redisadapter/adaptertest"
	"chatd/socketio/sio"
)

// command is one stdin line; which fields count depends on Op.
type command struct {
	ID          int             `json:"id"`
	Op          string          `json:"op"`
	Socket      *wireSocket     `json:"socket"`      // connect
	Rooms       []string        `json:"rooms"`       // every operation's selection
	Except      []string        `json:"except"`      //
	Names       []string        `json:"names"`       // addSockets, delSockets: rooms to join or leave
	Close       bool            `json:"close"`       // disconnectSockets
	Data        json.RawMessage `json:"data"`        // broadcast*: packet data; serverSideEmit: args
	Attachments [][]byte        `json:"attachments"` // base64 in JSON
	Ack         bool            `json:"ack"`         // serverSideEmit
	TimeoutMs   int             `json:"timeoutMs"`   // broadcastWithAck
}

type wireSocket struct {
	ID        string          `json:"id"`
	Rooms     []string        `json:"rooms"`
	Handshake json.RawMessage `json:"handshake,omitempty"`
	Data      json.RawMessage `json:"data,omitempty"`
}

// wireEvent is an adaptertest.Event as the suite reads it.
type wireEvent struct {
	Event     string      `json:"event"`
	SocketIDs []string    `json:"socketIds"`
	Packet    *wirePacket `json:"packet,omitempty"`
	Rooms     []string    `json:"rooms,omitempty"`
	Except    []string    `json:"except,omitempty"`
	Names     []string    `json:"names,omitempty"`
	Close     bool        `json:"close,omitempty"`
	WithAck   bool        `json:"withAck,omitempty"`
}

type wirePacket struct {
	Type        int             `json:"type"`
	Nsp         string          `json:"nsp"`
	Data        json.RawMessage `json:"data"`
	Attachments [][]byte        `json:"attachments"`
	ID          *int64          `json:"id,omitempty"`
}

func (c command) opts() sio.BroadcastOptions {
	return sio.BroadcastOptions{Rooms: c.Rooms, Except: c.Except}
}

func (c command) packet() sio.Packet {
	return sio.Packet{Type: sio.PacketEvent, Nsp: "/", Data: c.Data, Attachments: c.Attachments}
}

func (p *peer) handle(c command) {
	ctx := context.Background()
	a := p.adapter
	var result any
	var err error
	switch c.Op {
	case "connect":
		p.local.Connect(adaptertest.Socket{ID: c.Socket.ID, Rooms: c.Socket.Rooms, Handshake: c.Socket.Handshake, Data: c.Socket.Data})
	case "socket":
		s, ok := p.local.Socket(c.Socket.ID)
		result = map[string]any{"connected": ok, "rooms": s.Rooms}
	case "broadcast":
		err = a.Broadcast(ctx, c.packet(), c.opts())
	case "addSockets":
		err = a.AddSockets(ctx, c.opts(), c.Names)
	case "delSockets":
		err = a.DelSockets(ctx, c.opts(), c.Names)
	case "disconnectSockets":
		err = a.DisconnectSockets(ctx, c.opts(), c.Close)
	case "fetchSockets":
		result, err = a.FetchSockets(ctx, c.opts())
	case "allRooms":
		result, err = a.AllRooms(ctx)
	case "serverCount":
		result, err = a.ServerCount(ctx)
	case "serverSideEmit":
		if c.Ack {
			result, err = a.ServerSideEmitWithAck(ctx, c.Data)
		} else {
			err = a.ServerSideEmit(ctx, c.Data)
		}
	case "broadcastWithAck":
		err = a.BroadcastWithAck(ctx, c.packet(), c.opts(), time.Duration(c.TimeoutMs)*time.Millisecond,
			func(n int) { p.emit(map[string]any{"event": "clientCount", "id": c.ID, "count": n}) },
			func(ack redisadapter.Ack) {
				p.emit(map[string]any{"event": "ack", "id": c.ID, "data": ack.Data, "attachments": ack.Attachments})
			})
	default:
		err = fmt.Errorf("unknown op %q", c.Op)
	}
	p.reply(c.ID, result, err)
}

// streamEvents writes every call the adapter makes on the namespace.
func (p *peer) streamEvents(ctx context.Context) {
	sent := 0
	for {
		events, err := p.local.Wait(ctx, func(events []adaptertest.Event) bool { return len(events) > sent })
		if err != nil {
			return
		}
		for _, e := range events[sent:] {
			p.emit(toWire(e))
		}
		sent = len(events)
	}
}

func toWire(e adaptertest.Event) wireEvent {
	w := wireEvent{Event: e.Kind, SocketIDs: e.SocketIDs, Rooms: e.Opts.Rooms, Except: e.Opts.Except,
		Names: e.Rooms, Close: e.Close, WithAck: e.WithAck}
	if e.Kind == "deliver" {
		w.Packet = &wirePacket{Type: e.Packet.Type, Nsp: e.Packet.Nsp, Data: e.Packet.Data, Attachments: e.Packet.Attachments, ID: e.Packet.ID}
	}
	return w
}
