package sio

import (
	"encoding/json"
	"testing"
)

// TestEmitStateTo: one state frame reaches every local socket in any of the
// rooms exactly once (a socket in two of them too), nobody else, and never
// the adapter: state is this process's own. EmitStateExcept leaves out the
// sockets of the rooms excepted.
func TestEmitStateTo(t *testing.T) {
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
	a, b, both, other := join(`["a"]`), join(`["b"]`), join(`["a","b"]`), join(`["c"]`)
	if err := ns.EmitStateTo([]string{"a", "b"}, "k", "state", map[string]int{"n": 1}); err != nil {
		t.Fatal(err)
	}
	if err := ns.EmitStateTo(nil, "k", "state", 2); err != nil {
		t.Fatal(err)
	}
	// To room a but the sockets of room b: only a's own socket.
	if err := ns.EmitStateExcept("a", []string{"b"}, "k2", "except", 3); err != nil {
		t.Fatal(err)
	}
	_ = ns.Broadcast(Packet{Type: PacketEvent, Data: json.RawMessage(`["end"]`)}, BroadcastOptions{Local: true})
	if got := a.read(); got != `42["state",{"n":1}]` {
		t.Errorf("a got %q, want the state", got)
	}
	if got := a.read(); got != `42["except",3]` {
		t.Errorf("a got %q, want the state sent to a but b", got)
	}
	for name, c := range map[string]*rawClient{"a": a, "b": b, "both": both} {
		if name != "a" {
			if got := c.read(); got != `42["state",{"n":1}]` {
				t.Errorf("%s got %q, want the state", name, got)
			}
		}
		if got := c.read(); got != `42["end"]` {
			t.Errorf("%s got %q after the state, want end (one state frame)", name, got)
		}
	}
	if got := other.read(); got != `42["end"]` {
		t.Errorf("the socket of room c got %q, want only end", got)
	}
	adapter.mu.Lock()
	defer adapter.mu.Unlock()
	if len(adapter.ops) != 0 {
		t.Errorf("the adapter saw %v; state stays local", adapter.ops)
	}
}
