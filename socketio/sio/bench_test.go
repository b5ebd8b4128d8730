package sio

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"chatd/socketio/engineio"
	"chatd/socketio/internal/wstest"
)

// BenchmarkEncodePacket encodes a chat message event once into its frames.
func BenchmarkEncodePacket(b *testing.B) {
	msg := map[string]any{"id": "0b0c5f52-4a1e-4d3b-9c53-1a2b3c4d5e6f", "text": strings.Repeat("x", 100),
		"senderId": "a11ce000-0000-4000-8000-000000000001", "senderAlias": "Alice", "roomId": "GENERAL",
		"tenantId": "demo", "timestamp": "2026-11-25T10:00:00.000Z"}
	b.ReportAllocs()
	for b.Loop() {
		data, err := encodeArgs("message", []any{msg})
		if err != nil {
			b.Fatal(err)
		}
		_ = Frames(&Packet{Type: PacketEvent, Nsp: "/", Data: data})
	}
}

// BenchmarkDecodePacket decodes an incoming event.
func BenchmarkDecodePacket(b *testing.B) {
	in := []byte(`2["sendMessage",{"id":"0b0c5f52-4a1e-4d3b-9c53-1a2b3c4d5e6f","text":"` + strings.Repeat("x", 100) + `","roomId":"GENERAL"}]`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeHeader(in, DefaultMaxAttachments); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPresenceEncoding1000 encodes a presenceUpdate of 1,000 users
// (about 150 KB) into the one frame every socket of the tenant shares.
func BenchmarkPresenceEncoding1000(b *testing.B) {
	users := make([]any, 1000)
	online := make([]string, 1000)
	for i := range users {
		id := fmt.Sprintf("%08d-0000-4000-8000-%012d", i, i)
		users[i] = map[string]any{"id": id, "alias": fmt.Sprintf("Guest %d", i), "gender": "other",
			"socketId": fmt.Sprintf("sock%016d", i), "avatar": nil, "role": "user"}
		online[i] = id
	}
	state := map[string]any{"users": users, "onlineIds": online, "roomCounts": map[string]int{"GENERAL": 1000, "ANNOUNCEMENT": 1000}}
	data, _ := encodeArgs("presenceUpdate", []any{state})
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		data, err := encodeArgs("presenceUpdate", []any{state})
		if err != nil {
			b.Fatal(err)
		}
		_ = Frames(&Packet{Type: PacketEvent, Nsp: "/", Data: data})
	}
}

// BenchmarkBroadcast1000 broadcasts a chat message to a room of 1,000
// websocket connections on loopback and waits until every client has read
// it: the server's encode-once, queue and batched writes, and the clients'
// reads, on this machine's cores.
func BenchmarkBroadcast1000(b *testing.B) {
	const n = 1000
	io := NewServer(Config{Logger: quiet()})
	ns := io.Of("/")
	ns.OnConnection(func(s *Socket) { s.Join("room") })
	eng := engineio.NewServer(engineio.Config{PingInterval: time.Hour, PingTimeout: time.Hour, Logger: quiet()}, io)
	hs := httptest.NewServer(eng)
	defer func() { eng.Close(); hs.Close() }()
	var received atomic.Int64
	var wg sync.WaitGroup
	conns := make([]net.Conn, 0, n)
	for range n {
		ws, err := wstest.Dial(hs.URL+"/socket.io/?EIO=4&transport=websocket", nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := ws.ReadText(5 * time.Second); err != nil {
			b.Fatal(err)
		}
		_ = ws.Send("40")
		if _, err := ws.ReadText(5 * time.Second); err != nil {
			b.Fatal(err)
		}
		conns = append(conns, ws.Raw())
		wg.Go(func() {
			for {
				data, _, err := ws.Read(time.Minute)
				if err != nil {
					return
				}
				if len(data) > 2 && data[1] == '2' {
					received.Add(1)
				}
			}
		})
	}
	data, _ := json.Marshal([]any{"message", map[string]any{"text": strings.Repeat("x", 100), "roomId": "GENERAL"}})
	pkt := Packet{Type: PacketEvent, Data: data}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		_ = ns.Broadcast(pkt, BroadcastOptions{Rooms: []string{"room"}})
	}
	for received.Load() < int64(b.N*n) {
		time.Sleep(time.Millisecond)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "deliveries/s")
	for _, c := range conns {
		_ = c.Close()
	}
	wg.Wait()
}
