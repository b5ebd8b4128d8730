package engineio

import (
	"strings"
	"testing"
)

// BenchmarkPollPayloadFraming frames a poll response of 16 messages (text
// and binary) from shared frames.
func BenchmarkPollPayloadFraming(b *testing.B) {
	frames := make([]*Frame, 0, 16)
	for i := range 16 {
		if i%4 == 3 {
			frames = append(frames, BinaryMessage([]byte(strings.Repeat("\x01", 64))))
		} else {
			frames = append(frames, TextMessageString(`2["message",{"text":"`+strings.Repeat("x", 200)+`"}]`))
		}
	}
	buf := make([]byte, 0, payloadLen(frames))
	b.SetBytes(int64(payloadLen(frames)))
	b.ReportAllocs()
	for b.Loop() {
		buf = appendPayload(buf[:0], frames)
	}
}

// BenchmarkDecodePayload decodes a POST body of 8 packets.
func BenchmarkDecodePayload(b *testing.B) {
	body := []byte(strings.Repeat(`42["sendMessage",{"text":"hello"}]`+"\x1e", 7) + "3")
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodePayload(body); err != nil {
			b.Fatal(err)
		}
	}
}
