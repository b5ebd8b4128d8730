package redisadapter_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"chatd/socketio/redisadapter"
	"chatd/socketio/redisadapter/adaptertest"
	"chatd/socketio/sio"
)

// bSockets are the sockets of process B in most tests.
var bSockets = []adaptertest.Socket{
	{ID: "s1", Rooms: []string{"r1"}},
	{ID: "s2", Rooms: []string{"r2"}},
	{ID: "s3", Rooms: []string{"r1", "x"}},
	{ID: "s4"},
}

func TestBroadcastReachesTheMatchingSocketsOfOtherProcessesOnce(t *testing.T) {
	c := newCluster(t, nil, bSockets)
	a, b := c.a, c.b

	cases := []struct {
		name string
		opts sio.BroadcastOptions
		want []string
	}{
		{"one room", sio.BroadcastOptions{Rooms: []string{"r1"}}, []string{"s1", "s3"}},
		{"several rooms (bare channel)", sio.BroadcastOptions{Rooms: []string{"r1", "r2"}}, []string{"s1", "s2", "s3"}},
		{"room except room", sio.BroadcastOptions{Rooms: []string{"r1"}, Except: []string{"x"}}, []string{"s1"}},
		{"everyone", sio.BroadcastOptions{}, []string{"s1", "s2", "s3", "s4"}},
		{"everyone except a socket", sio.BroadcastOptions{Except: []string{"s4"}}, []string{"s1", "s2", "s3"}},
		{"a socket's own room", sio.BroadcastOptions{Rooms: []string{"s2"}}, []string{"s2"}},
		{"a room nobody is in", sio.BroadcastOptions{Rooms: []string{"nobody"}}, []string{}},
	}
	sent := make([]sio.Packet, len(cases))
	for i, c := range cases {
		sent[i] = event("newMessage", `{"id":"m`+string(rune('0'+i))+`","text":"ciao","z":1,"a":2.5}`, []byte{byte(i), 0xff})
		sent[i].Data = bytes.Replace(sent[i].Data, []byte(`"z":1`), []byte(`"z":1,"img":{"_placeholder":true,"num":0}`), 1)
		if err := a.Broadcast(context.Background(), sent[i], c.opts); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
	}
	// A last broadcast: once it is in, every earlier one is (one ordered
	// connection each way), so a duplicate would show now.
	if err := a.Broadcast(context.Background(), event("end", `1`), sio.BroadcastOptions{}); err != nil {
		t.Fatal(err)
	}
	got := waitEvents(t, b.local, "deliver", len(cases)+1)
	if len(got) != len(cases)+1 {
		t.Fatalf("B got %d deliveries, want %d (each once)", len(got), len(cases)+1)
	}
	for i, c := range cases {
		e := got[i]
		if !slices.Equal(e.SocketIDs, c.want) {
			t.Errorf("%s: delivered to %v, want %v", c.name, e.SocketIDs, c.want)
		}
		if string(e.Packet.Data) != string(sent[i].Data) || !slices.EqualFunc(e.Packet.Attachments, sent[i].Attachments, bytes.Equal) {
			t.Errorf("%s: packet %s %x, want %s %x", c.name, e.Packet.Data, e.Packet.Attachments, sent[i].Data, sent[i].Attachments)
		}
		if e.Packet.Type != sio.PacketEvent || e.Packet.Nsp != "/" || e.Packet.ID != nil {
			t.Errorf("%s: packet header %+v", c.name, e.Packet)
		}
	}
	if own := a.local.Events(); len(own) != 0 {
		t.Errorf("A applied its own broadcasts: %+v", own)
	}
}

func TestLocalFlagStaysOnThisProcess(t *testing.T) {
	c := newCluster(t, nil, bSockets)
	a, b := c.a, c.b
	ctx := context.Background()
	_ = a.Broadcast(ctx, event("local", `1`), sio.BroadcastOptions{Local: true})
	_ = a.AddSockets(ctx, sio.BroadcastOptions{Local: true}, []string{"y"})
	_ = a.DisconnectSockets(ctx, sio.BroadcastOptions{Local: true}, true)
	_ = a.Broadcast(ctx, event("end", `1`), sio.BroadcastOptions{})
	waitEvents(t, b.local, "deliver", 1)
	if events := b.local.Events(); len(events) != 1 || string(events[0].Packet.Data) != `["end",1]` {
		t.Errorf("B got %+v, want only the last broadcast", events)
	}
}

// A Node server publishing to several rooms uses the bare channel; these
// bytes are what @socket.io/redis-adapter 8.3 (notepack.io) publishes for
// io.to(["r1","r2"]).except("x").emit("hi", 1) from a server of uid "nodeuid".
func TestBroadcastFromNodeOnTheBareChannelIsDelivered(t *testing.T) {
	client := newClient(t, "")
	cfg := redisadapter.Config{Prefix: testPrefix()}
	b := newNode(t, client, cfg, bSockets...)
	msg, _ := hex.DecodeString("93a76e6f6465756964" + "83a47479706502a46461746192a2686901a36e7370a12f" +
		"83a5726f6f6d7392a27231a27232a6657863657074" + "91a178a5666c61677380")
	if err := client.Publish(context.Background(), cfg.Prefix+"#/#", msg).Err(); err != nil {
		t.Fatal(err)
	}
	e := waitEvents(t, b.local, "deliver", 1)[0]
	if string(e.Packet.Data) != `["hi",1]` || !slices.Equal(e.SocketIDs, []string{"s1", "s2"}) {
		t.Errorf("got %s to %v, want [\"hi\",1] to [s1 s2]", e.Packet.Data, e.SocketIDs)
	}
}

func TestRemoteJoinLeaveAndDisconnectApplyOnOtherProcesses(t *testing.T) {
	c := newCluster(t, []adaptertest.Socket{{ID: "a1", Rooms: []string{"r1"}}}, bSockets)
	a, b := c.a, c.b
	ctx := context.Background()

	if err := a.AddSockets(ctx, sio.BroadcastOptions{Rooms: []string{"r1"}, Except: []string{"x"}}, []string{"new", "n2"}); err != nil {
		t.Fatal(err)
	}
	join := waitEvents(t, b.local, "join", 1)[0]
	if !slices.Equal(join.SocketIDs, []string{"s1"}) || !slices.Equal(join.Rooms, []string{"new", "n2"}) {
		t.Errorf("join: %+v", join)
	}
	if s, _ := b.local.Socket("s1"); !slices.Contains(s.Rooms, "new") {
		t.Errorf("s1 rooms %v lack new", s.Rooms)
	}

	if err := a.DelSockets(ctx, sio.BroadcastOptions{Rooms: []string{"new"}}, []string{"r1"}); err != nil {
		t.Fatal(err)
	}
	leave := waitEvents(t, b.local, "leave", 1)[0]
	if s, _ := b.local.Socket("s1"); !slices.Equal(leave.SocketIDs, []string{"s1"}) || slices.Contains(s.Rooms, "r1") {
		t.Errorf("leave: %+v; s1 rooms %v", leave, s.Rooms)
	}

	if err := a.DisconnectSockets(ctx, sio.BroadcastOptions{Rooms: []string{"r2", "x"}}, true); err != nil {
		t.Fatal(err)
	}
	disc := waitEvents(t, b.local, "disconnect", 1)[0]
	if !slices.Equal(disc.SocketIDs, []string{"s2", "s3"}) || !disc.Close {
		t.Errorf("disconnect: %+v", disc)
	}
	if own := a.local.Events(); len(own) != 0 {
		t.Errorf("A applied its own requests: %+v", own)
	}
}

func TestClusterQueriesAreAnsweredByEveryOtherProcess(t *testing.T) {
	client := newClient(t, "")
	cfg := redisadapter.Config{Prefix: testPrefix()}
	a := newNode(t, client, cfg, adaptertest.Socket{ID: "a1", Rooms: []string{"ra"}})
	bcfg := cfg
	bcfg.OnServerSideEmit = func(args json.RawMessage, ack func(json.RawMessage)) {
		if ack != nil {
			ack(json.RawMessage(`{"from":"b","got":` + string(args) + `}`))
		}
	}
	b := newNode(t, client, bcfg, adaptertest.Socket{ID: "s1", Rooms: []string{"r1"},
		Handshake: json.RawMessage(`{"query":{"userId":"u1"}}`), Data: json.RawMessage(`{"userId":"u1"}`)})
	c := newNode(t, client, bcfg, adaptertest.Socket{ID: "c1", Rooms: []string{"r1", "rc"}})
	ctx := waitCtx(t)

	if n, err := a.ServerCount(ctx); err != nil || n != 3 {
		t.Fatalf("ServerCount: %d, %v; want 3", n, err)
	}
	sockets, err := a.FetchSockets(ctx, sio.BroadcastOptions{Rooms: []string{"r1"}})
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(sockets, func(x, y sio.SocketInfo) int { return bytes.Compare([]byte(x.ID), []byte(y.ID)) })
	if len(sockets) != 2 || sockets[0].ID != "c1" || sockets[1].ID != "s1" {
		t.Fatalf("FetchSockets: %+v", sockets)
	}
	s1 := sockets[1]
	if string(s1.Handshake) != `{"query":{"userId":"u1"}}` || string(s1.Data) != `{"userId":"u1"}` || !slices.Equal(s1.Rooms, []string{"s1", "r1"}) {
		t.Errorf("FetchSockets s1: %+v", s1)
	}
	if string(sockets[0].Data) != "null" {
		t.Errorf("socket without data: %s, want null", sockets[0].Data)
	}

	rooms, err := a.AllRooms(ctx)
	slices.Sort(rooms)
	if err != nil || !slices.Equal(rooms, []string{"c1", "r1", "rc", "s1"}) {
		t.Errorf("AllRooms: %v, %v", rooms, err)
	}

	answers, err := a.ServerSideEmitWithAck(ctx, json.RawMessage(`["ping",1]`))
	if err != nil || len(answers) != 2 || string(answers[0]) != `{"from":"b","got":["ping",1]}` {
		t.Errorf("ServerSideEmitWithAck: %s, %v", answers, err)
	}
	_ = b // B and C answered above
	_ = c
}

func TestServerSideEmitWithoutAckReachesTheHandler(t *testing.T) {
	client := newClient(t, "")
	cfg := redisadapter.Config{Prefix: testPrefix()}
	a := newNode(t, client, cfg)
	got := make(chan string, 2)
	bcfg := cfg
	bcfg.OnServerSideEmit = func(args json.RawMessage, ack func(json.RawMessage)) {
		got <- string(args) + map[bool]string{true: " with ack", false: ""}[ack != nil]
	}
	newNode(t, client, bcfg)
	if err := a.ServerSideEmit(context.Background(), json.RawMessage(`["hello","world"]`)); err != nil {
		t.Fatal(err)
	}
	select {
	case s := <-got:
		if s != `["hello","world"]` {
			t.Errorf("handler got %s", s)
		}
	case <-waitCtx(t).Done():
		t.Fatal("no server-side emit")
	}
}

func TestBroadcastWithAckCollectsCountsAndAcks(t *testing.T) {
	c := newCluster(t, nil, bSockets)
	a, b := c.a, c.b
	b.local.AckReply = func(id string, _ sio.Packet) (redisadapter.Ack, bool) {
		return redisadapter.Ack{Data: json.RawMessage(`{"ok":"` + id + `","bin":{"_placeholder":true,"num":0}}`), Attachments: [][]byte{[]byte(id)}}, true
	}
	counts := make(chan int, 1)
	acks := make(chan redisadapter.Ack, 4)
	err := a.BroadcastWithAck(context.Background(), event("question", `"?"`), sio.BroadcastOptions{Rooms: []string{"r1"}}, 5*time.Second,
		func(n int) { counts <- n }, func(ack redisadapter.Ack) { acks <- ack })
	if err != nil {
		t.Fatal(err)
	}
	ctx := waitCtx(t)
	select {
	case n := <-counts:
		if n != 2 {
			t.Errorf("client count %d, want 2", n)
		}
	case <-ctx.Done():
		t.Fatal("no client count")
	}
	var got []string
	for len(got) < 2 {
		select {
		case ack := <-acks:
			got = append(got, string(ack.Data)+" "+string(ack.Attachments[0]))
		case <-ctx.Done():
			t.Fatalf("acks: %v", got)
		}
	}
	want := []string{`{"ok":"s1","bin":{"_placeholder":true,"num":0}} s1`, `{"ok":"s3","bin":{"_placeholder":true,"num":0}} s3`}
	if !slices.Equal(got, want) {
		t.Errorf("acks %v, want %v", got, want)
	}
	if d := waitEvents(t, b.local, "deliver", 1)[0]; !d.WithAck {
		t.Errorf("delivered without ack: %+v", d)
	}
}

func TestQueryWithASilentServerTimesOut(t *testing.T) {
	client := newClient(t, "")
	cfg := redisadapter.Config{Prefix: testPrefix(), RequestTimeout: 200 * time.Millisecond}
	a := newNode(t, client, cfg)
	// A subscriber of the request channel that never answers counts as a
	// server, as in Node's serverCount.
	silent := client.Subscribe(context.Background(), cfg.Prefix+"-request#/#")
	defer silent.Close()
	if _, err := silent.Receive(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := a.FetchSockets(context.Background(), sio.BroadcastOptions{}); !errors.Is(err, redisadapter.ErrTimeout) {
		t.Errorf("FetchSockets: %v, want ErrTimeout", err)
	}
	if _, err := a.AllRooms(context.Background()); !errors.Is(err, redisadapter.ErrTimeout) {
		t.Errorf("AllRooms: %v, want ErrTimeout", err)
	}
}

func TestMalformedMessagesAreIgnoredAndCounted(t *testing.T) {
	client := newClient(t, "")
	cfg := redisadapter.Config{Prefix: testPrefix()}
	a := newNode(t, client, cfg)
	metrics := newMetrics(t)
	bcfg := cfg
	bcfg.Metrics = metrics.Metrics
	b := newNode(t, client, bcfg, bSockets...)
	ctx := context.Background()
	for ch, payload := range map[string]string{
		cfg.Prefix + "#/#":          "\x93\xa1",
		cfg.Prefix + "#/#r1#":       "not msgpack",
		cfg.Prefix + "-request#/#":  "{not json",
		cfg.Prefix + "-response#/#": "\xc1",
	} {
		if err := client.Publish(ctx, ch, payload).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Broadcast(ctx, event("after", `1`), sio.BroadcastOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := waitEvents(t, b.local, "deliver", 1); string(got[0].Packet.Data) != `["after",1]` {
		t.Errorf("got %+v", got)
	}
	if n := metrics.value(t, "chatd_redis_adapter_dropped_total", "nsp=/", "reason=malformed"); n != 4 {
		t.Errorf("malformed counted %v, want 4", n)
	}
}
