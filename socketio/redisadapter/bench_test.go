package redisadapter

import (
	"encoding/json"
	"strings"
	"testing"

	"chatd/socketio/sio"
)

// chatMessage is a typical newMessage broadcast of the product.
func chatMessage() sio.Packet {
	return sio.Packet{Type: sio.PacketEvent, Nsp: "/", Data: json.RawMessage(`["newMessage",{"id":"c1e00000-0000-4000-8000-000000000001",` +
		`"text":"` + strings.Repeat("ciao a tutti ", 8) + `","senderId":"a11ce000-0000-4000-8000-000000000001",` +
		`"senderAlias":"Alice","senderGender":"female","timestamp":"2025-06-01T12:00:00.000Z",` +
		`"roomId":"cm0roomgeneral00000000002","tenantId":"7e4a0000-0000-4000-8000-00000000de00","imageUrl":null}]`)}
}

var chatOpts = sio.BroadcastOptions{Rooms: []string{"cm0roomgeneral00000000002"}}

func BenchmarkEncodeChatMessage(b *testing.B) {
	pkt := chatMessage()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := encodeBroadcast("0123456789abcdef", "/", pkt, chatOpts); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeChatMessage(b *testing.B) {
	msg, err := encodeBroadcast("0123456789abcdef", "/", chatMessage(), chatOpts)
	if err != nil {
		b.Fatal(err)
	}
	payload := string(msg)
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeBroadcast(payload, "another-server"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeImageMessage: a message with a 64 KiB binary attachment.
func BenchmarkEncodeImageMessage(b *testing.B) {
	pkt := chatMessage()
	pkt.Data = json.RawMessage(strings.Replace(string(pkt.Data), `"imageUrl":null`, `"image":{"_placeholder":true,"num":0}`, 1))
	pkt.Attachments = [][]byte{make([]byte, 64<<10)}
	b.SetBytes(64 << 10)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := encodeBroadcast("0123456789abcdef", "/", pkt, chatOpts); err != nil {
			b.Fatal(err)
		}
	}
}
