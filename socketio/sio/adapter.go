// Package sio is chatd's Socket.IO v5 server layer: packets, namespaces,
// sockets, rooms and broadcasts, on top of the Engine.IO layer.
//
// This file is the agreed boundary between a namespace and its cluster
// adapter (socketio/redisadapter speaks @socket.io/redis-adapter's protocol
// over it), so that the two can be built and tested apart.
package sio

import (
	"context"
	"encoding/json"
)

// Packet types of the Socket.IO v5 protocol.
const (
	PacketConnect      = 0
	PacketDisconnect   = 1
	PacketEvent        = 2
	PacketAck          = 3
	PacketConnectError = 4
	PacketBinaryEvent  = 5
	PacketBinaryAck    = 6
)

// Packet is a Socket.IO packet as it crosses processes. Data is the JSON
// value of the packet's data (for an EVENT, the array ["event", args...]),
// with every binary attachment replaced by its placeholder
// {"_placeholder":true,"num":N}; Attachments holds their bytes in order.
// An EVENT with attachments keeps Type PacketEvent here: the encoder picks
// the binary type from len(Attachments).
type Packet struct {
	Type        int
	Nsp         string
	Data        json.RawMessage
	Attachments [][]byte
	ID          *int64 // nil: no acknowledgement requested
}

// BroadcastOptions select the sockets a broadcast or a remote operation
// applies to: every socket in at least one of Rooms (every socket of the
// namespace when Rooms is empty) and in none of Except. Socket ids are rooms
// too (every socket is in the room named by its id).
type BroadcastOptions struct {
	Rooms  []string
	Except []string
	// Local keeps the operation on this process (flags.local in Node).
	Local bool
}

// SocketInfo is what a remote fetchSockets learns of a local socket.
type SocketInfo struct {
	ID        string
	Handshake json.RawMessage // the handshake object as Node's socket.handshake
	Rooms     []string
	Data      json.RawMessage // socket.data; null when unset
}

// Adapter carries a namespace's operations to the other processes. The
// namespace always applies an operation to its own sockets itself and then
// hands it to the adapter (unless opts.Local); the adapter never calls back
// into the namespace for an operation it was handed.
type Adapter interface {
	// Broadcast sends pkt to the matching sockets of every other process.
	Broadcast(ctx context.Context, pkt Packet, opts BroadcastOptions) error
	// AddSockets makes the matching sockets of every other process join rooms.
	AddSockets(ctx context.Context, opts BroadcastOptions, rooms []string) error
	// DelSockets makes them leave rooms.
	DelSockets(ctx context.Context, opts BroadcastOptions, rooms []string) error
	// DisconnectSockets disconnects them; close also closes the underlying
	// connection (Node's disconnectSockets(close)).
	DisconnectSockets(ctx context.Context, opts BroadcastOptions, close bool) error
	// Close stops the adapter; operations after Close return an error.
	Close() error
}

// Local is a namespace as its adapter sees it: what another process asks
// of this one is applied here.
type Local interface {
	// DeliverLocal sends pkt to the matching sockets of this process.
	DeliverLocal(pkt Packet, opts BroadcastOptions)
	AddSocketsLocal(opts BroadcastOptions, rooms []string)
	DelSocketsLocal(opts BroadcastOptions, rooms []string)
	DisconnectSocketsLocal(opts BroadcastOptions, close bool)
	// FetchSocketsLocal lists the matching sockets, for a remote
	// fetchSockets.
	FetchSocketsLocal(opts BroadcastOptions) []SocketInfo
	// RoomsLocal lists every room with at least one local socket, for a
	// remote allRooms.
	RoomsLocal() []string
}
