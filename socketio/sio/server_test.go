package sio

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"chatd/socketio/engineio"
	"chatd/socketio/internal/wstest"
)

// startServer serves io on an Engine.IO server with short timings.
func startServer(t *testing.T, io *Server) string {
	t.Helper()
	eng := engineio.NewServer(engineio.Config{PingInterval: 300 * time.Millisecond, PingTimeout: 200 * time.Millisecond,
		Logger: quiet()}, io)
	hs := httptest.NewServer(eng)
	t.Cleanup(func() { eng.Close(); hs.Close() })
	return hs.URL + "/socket.io/?EIO=4&transport=websocket"
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// rawClient is a raw Socket.IO client over a websocket.
type rawClient struct {
	t  *testing.T
	ws *wstest.Conn
}

func dial(t *testing.T, url string) *rawClient {
	t.Helper()
	ws, err := wstest.Dial(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	c := &rawClient{t: t, ws: ws}
	if open := c.read(); !strings.HasPrefix(open, "0{") {
		t.Fatalf("first packet %q", open)
	}
	return c
}

// read returns the next packet other than a ping, answering pings.
func (c *rawClient) read() string {
	c.t.Helper()
	for {
		data, err := c.ws.ReadText(15 * time.Second) // only a failing test waits this long
		if err != nil {
			c.t.Fatalf("read: %v", err)
		}
		if data != "2" {
			return data
		}
		_ = c.ws.Send("3")
	}
}

func (c *rawClient) send(p string) {
	c.t.Helper()
	if err := c.ws.Send(p); err != nil {
		c.t.Fatalf("send: %v", err)
	}
}

// closed reports whether the server closed the connection within 2 s.
func (c *rawClient) closed() bool {
	for {
		data, err := c.ws.ReadText(2 * time.Second)
		if err != nil {
			return !strings.Contains(err.Error(), "timeout")
		}
		if data == "2" {
			_ = c.ws.Send("3")
		}
	}
}

// TestEventRightAfterConnectAck answers every CONNECT ack at once, as
// socket.io-client does with its buffered emits, on many connections at a
// time: each event must be answered, never met with a closed connection.
func TestEventRightAfterConnectAck(t *testing.T) {
	io := NewServer(Config{Logger: quiet()})
	io.Of("/custom").OnConnection(func(s *Socket) {
		s.OnEvent(func(s *Socket, ev Event) {
			if ev.Name == "ping-me" {
				_ = s.Emit("pong-you")
			}
		})
	})
	url := startServer(t, io)
	var wg sync.WaitGroup
	for range 40 {
		wg.Go(func() {
			c := dial(t, url)
			c.send("40/custom,")
			c.send(`42/custom,["ping-me"]`)
			if got := c.read(); !strings.HasPrefix(got, `40/custom,{"sid":"`) {
				t.Errorf("got %q, want the CONNECT ack", got)
			}
			if got := c.read(); got != `42/custom,["pong-you"]` {
				t.Errorf("got %q, want the answer", got)
			}
		})
	}
	wg.Wait()
}

func TestConnectErrors(t *testing.T) {
	io := NewServer(Config{Logger: quiet()})
	io.Of("/").Use(func(s *Socket) error {
		var auth struct{ Token string }
		_ = json.Unmarshal(s.Auth(), &auth)
		switch auth.Token {
		case "with-data":
			return &ConnectError{Message: "refused", Data: map[string]string{"why": "test"}}
		case "":
			return &ConnectError{Message: "authentication required"}
		}
		return nil
	})
	url := startServer(t, io)
	tests := []struct{ send, want string }{
		{`40`, `44{"message":"authentication required"}`},
		{`40{"token":"with-data"}`, `44{"message":"refused","data":{"why":"test"}}`},
		{`40/random,`, `44/random,{"message":"Invalid namespace"}`},
		{`40{"token":"ok"}`, `40{"sid":"`},
	}
	for _, tc := range tests {
		c := dial(t, url)
		c.send(tc.send)
		if got := c.read(); !strings.HasPrefix(got, tc.want) {
			t.Errorf("%s: got %q, want %q", tc.send, got, tc.want)
		}
	}
}

func TestAttachmentCaps(t *testing.T) {
	io := NewServer(Config{Logger: quiet(), MaxAttachmentBytes: 10})
	io.Of("/").OnConnection(func(s *Socket) {
		s.OnEvent(func(s *Socket, ev Event) { s.EmitRaw("back", ev.Args, ev.Attachments) })
	})
	url := startServer(t, io)
	connect := func() *rawClient {
		c := dial(t, url)
		c.send("40")
		c.read()
		return c
	}
	ok := connect()
	ok.send(`451-["m",{"_placeholder":true,"num":0}]`)
	_ = ok.ws.SendBinary([]byte("0123456789"))
	if got := ok.read(); got != `451-["back",{"_placeholder":true,"num":0}]` {
		t.Fatalf("within the caps: got %q", got)
	}
	tooMany := connect()
	tooMany.send(`4511-["m"]`)
	if !tooMany.closed() {
		t.Error("11 attachments: connection kept")
	}
	tooBig := connect()
	tooBig.send(`452-["m",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`)
	_ = tooBig.ws.SendBinary([]byte("012345"))
	_ = tooBig.ws.SendBinary([]byte("012345"))
	if !tooBig.closed() {
		t.Error("12 bytes of attachments over a 10-byte cap: connection kept")
	}
}

// recAdapter records what a namespace hands to its adapter.
type recAdapter struct {
	mu  sync.Mutex
	ops []string
}

func (a *recAdapter) rec(op string, opts BroadcastOptions) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.ops = append(a.ops, op+" "+strings.Join(opts.Rooms, ",")+" -"+strings.Join(opts.Except, ","))
	return nil
}
func (a *recAdapter) Broadcast(_ context.Context, p Packet, o BroadcastOptions) error {
	return a.rec("broadcast", o)
}
func (a *recAdapter) AddSockets(_ context.Context, o BroadcastOptions, _ []string) error {
	return a.rec("add", o)
}
func (a *recAdapter) DelSockets(_ context.Context, o BroadcastOptions, _ []string) error {
	return a.rec("del", o)
}
func (a *recAdapter) DisconnectSockets(_ context.Context, o BroadcastOptions, _ bool) error {
	return a.rec("disconnect", o)
}
func (a *recAdapter) Close() error { return nil }

func TestRoomsBroadcastsAndTheAdapter(t *testing.T) {
	io := NewServer(Config{Logger: quiet()})
	ns := io.Of("/")
	adapter := &recAdapter{}
	if err := ns.SetAdapter(func(Local) (Adapter, error) { return adapter, nil }); err != nil {
		t.Fatal(err)
	}
	ns.OnConnection(func(s *Socket) {
		var rooms []string
		_ = json.Unmarshal(s.Auth(), &struct{ Rooms *[]string }{&rooms})
		s.Join(rooms...)
		_ = s.Emit("joined")
	})
	url := startServer(t, io)
	join := func(rooms string) *rawClient {
		c := dial(t, url)
		c.send(`40{"rooms":` + rooms + `}`)
		c.read()
		if got := c.read(); got != `42["joined"]` {
			t.Fatalf("got %q", got)
		}
		return c
	}
	a, b, both := join(`["a"]`), join(`["b"]`), join(`["a","b"]`)
	_ = ns.Broadcast(Packet{Type: PacketEvent, Data: json.RawMessage(`["to-a-and-b"]`)},
		BroadcastOptions{Rooms: []string{"a", "b"}})
	_ = ns.Broadcast(Packet{Type: PacketEvent, Data: json.RawMessage(`["to-all-but-b"]`)},
		BroadcastOptions{Except: []string{"b"}, Local: true})
	for name, c := range map[string]*rawClient{"a": a, "b": b, "both": both} {
		if got := c.read(); got != `42["to-a-and-b"]` {
			t.Errorf("%s got %q", name, got)
		}
	}
	if got := a.read(); got != `42["to-all-but-b"]` {
		t.Errorf("a got %q", got)
	}
	rooms := ns.RoomsLocal()
	if !slices.Contains(rooms, "a") || !slices.Contains(rooms, "b") || len(rooms) != 5 {
		t.Errorf("rooms %v: want a, b and three socket ids", rooms)
	}
	infos := ns.FetchSocketsLocal(BroadcastOptions{Rooms: []string{"b"}, Except: []string{"a"}})
	if len(infos) != 1 || !slices.Contains(infos[0].Rooms, "b") || string(infos[0].Data) != "null" {
		t.Errorf("fetch b except a: %+v", infos)
	}
	ns.DisconnectSockets(BroadcastOptions{Rooms: []string{"b"}}, false)
	for _, c := range []*rawClient{b, both} {
		if got := c.read(); got != "41" {
			t.Errorf("got %q, want DISCONNECT", got)
		}
	}
	adapter.mu.Lock()
	defer adapter.mu.Unlock()
	if want := []string{"broadcast a,b -", "disconnect b -"}; !slices.Equal(adapter.ops, want) {
		t.Errorf("adapter saw %v, want %v (local operations stay here)", adapter.ops, want)
	}
}
