package redisadapter_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"chatd/socketio/redisadapter"
	"chatd/socketio/sio"
)

// countingLocal counts deliveries and says when it has seen want.
type countingLocal struct {
	got  atomic.Int64
	want atomic.Int64
	done chan struct{}
}

func (c *countingLocal) DeliverLocal(sio.Packet, sio.BroadcastOptions) {
	if c.got.Add(1) == c.want.Load() {
		c.done <- struct{}{}
	}
}
func (c *countingLocal) AddSocketsLocal(sio.BroadcastOptions, []string)          {}
func (c *countingLocal) DelSocketsLocal(sio.BroadcastOptions, []string)          {}
func (c *countingLocal) DisconnectSocketsLocal(sio.BroadcastOptions, bool)       {}
func (c *countingLocal) FetchSocketsLocal(sio.BroadcastOptions) []sio.SocketInfo { return nil }
func (c *countingLocal) RoomsLocal() []string                                    { return nil }

// BenchmarkPublishThroughput: chat messages broadcast by one process until
// another has received them all; ns/op is the cost of one message end to
// end, the caller's share is the allocation-free queueing.
func BenchmarkPublishThroughput(b *testing.B) {
	client := newClient(b, "")
	cfg := redisadapter.Config{Prefix: testPrefix()}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sender, err := redisadapter.New(ctx, client, cfg, &countingLocal{}, quietLogger())
	if err != nil {
		b.Fatal(err)
	}
	defer sender.Close()
	receiver := &countingLocal{done: make(chan struct{}, 1)}
	recv, err := redisadapter.New(ctx, client, cfg, receiver, quietLogger())
	if err != nil {
		b.Fatal(err)
	}
	defer recv.Close()
	pkt := event("newMessage", `{"id":"c1e00000-0000-4000-8000-000000000001","text":"ciao a tutti, come va?","senderId":"a11ce000-0000-4000-8000-000000000001","senderAlias":"Alice","senderGender":"female","timestamp":"2025-06-01T12:00:00.000Z","roomId":"cm0roomgeneral00000000002"}`)
	opts := sio.BroadcastOptions{Rooms: []string{"cm0roomgeneral00000000002"}}
	b.ReportAllocs()
	b.ResetTimer()
	receiver.want.Store(int64(b.N))
	for range b.N {
		for {
			err := sender.Broadcast(ctx, pkt, opts)
			if err == nil {
				break
			}
			time.Sleep(time.Millisecond) // outbox full: the publisher is behind
		}
	}
	select {
	case <-receiver.done:
	case <-ctx.Done():
		b.Fatalf("received %d of %d", receiver.got.Load(), b.N)
	}
}

// BenchmarkPublishOneRoundTripEach is the baseline the outbox avoids: one
// PUBLISH and its reply per message on the caller's goroutine.
func BenchmarkPublishOneRoundTripEach(b *testing.B) {
	client := newClient(b, "")
	ctx := context.Background()
	payload := make([]byte, 330)
	channel := testPrefix() + "#/#room#"
	b.ReportAllocs()
	for b.Loop() {
		if err := client.Publish(ctx, channel, payload).Err(); err != nil {
			b.Fatal(err)
		}
	}
}
