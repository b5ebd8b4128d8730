package chat

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"chatd/auth"
	"chatd/store"
	"chatd/store/storetest"
)

// Seed ids (shared/recordings/README.md).
const (
	tenantID  = "7e4a0000-0000-4000-8000-00000000de00"
	roomAnn   = "cm0roomannunci00000000001"
	roomGen   = "cm0roomgeneral00000000002"
	aliceID   = "a11ce000-0000-4000-8000-000000000001"
	modID     = "30d00000-0000-4000-8000-000000000002"
	adminID   = "ad000000-0000-4000-8000-000000000003"
	bobID     = "b0b00000-0000-4000-8000-000000000005"
	aliceTok  = "alice-session-token-0001"
	modTok    = "mod-session-token-0002"
	adminTok  = "admin-session-token-0003"
	eveTok    = "eve-expired-session-token-0004"
	seedMsg3  = "11110000-0000-4000-8000-000000000003"
	seedMsg6  = "11110000-0000-4000-8000-000000000006"
	testStart = "2026-11-26T01:00:00Z"
)

// event is one event a recording Conn received, decoded from JSON as a
// client would see it.
type event struct {
	Name    string
	Payload any // nil when the event had no argument
}

// recHub routes Hub.Emit to the recording Conns that joined the room, like
// the Socket.IO adapter does: on every hub of its cluster (one hub per chatd
// process). EmitLocalState stays on the hub's own Conns.
type recHub struct {
	cluster *recCluster
	clock   *manualClock // the processes' shared clock, which waitFor moves
	mu      sync.Mutex
	rooms   map[string]map[*recConn]bool
	seq     int
	log     []event // every broadcast, with Name "room|event"
}

type recCluster struct {
	mu   sync.Mutex
	hubs []*recHub
}

func newRecHub() *recHub {
	h := &recHub{rooms: map[string]map[*recConn]bool{}, cluster: &recCluster{}}
	h.cluster.hubs = []*recHub{h}
	return h
}

// peer is the hub of another process sharing h's cluster.
func (h *recHub) peer() *recHub {
	p := &recHub{rooms: map[string]map[*recConn]bool{}, cluster: h.cluster, clock: h.clock}
	h.cluster.mu.Lock()
	h.cluster.hubs = append(h.cluster.hubs, p)
	h.cluster.mu.Unlock()
	return p
}

func (h *recHub) Emit(room, name string, payload any) {
	h.cluster.mu.Lock()
	hubs := append([]*recHub(nil), h.cluster.hubs...)
	h.cluster.mu.Unlock()
	for _, hub := range hubs {
		hub.EmitLocalState(room, "", name, payload)
	}
}

func (h *recHub) EmitLocalState(room, _, name string, payload any) {
	h.mu.Lock()
	targets := make([]*recConn, 0, len(h.rooms[room]))
	for c := range h.rooms[room] {
		targets = append(targets, c)
	}
	h.log = append(h.log, event{Name: room + "|" + name, Payload: wire(payload)})
	h.mu.Unlock()
	for _, c := range targets {
		c.Emit(name, payload)
	}
}

func (h *recHub) broadcasts(name string) []event {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []event
	for _, e := range h.log {
		if e.Name == name {
			out = append(out, e)
		}
	}
	return out
}

// newConn is a new socket of this hub's process, in the room of its id as
// every Socket.IO socket is.
func (h *recHub) newConn() *recConn {
	h.mu.Lock()
	h.seq++
	h.mu.Unlock()
	c := &recConn{id: store.RandomString(20), hub: h}
	c.Join(c.id)
	return c
}

// recConn is a socket that records what it receives.
type recConn struct {
	id  string
	hub *recHub

	mu           sync.Mutex
	events       []event
	rooms        map[string]bool
	disconnected bool
}

func (c *recConn) ID() string { return c.id }

func (c *recConn) Join(rooms ...string) {
	c.hub.mu.Lock()
	defer c.hub.mu.Unlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rooms == nil {
		c.rooms = map[string]bool{}
	}
	for _, r := range rooms {
		if c.hub.rooms[r] == nil {
			c.hub.rooms[r] = map[*recConn]bool{}
		}
		c.hub.rooms[r][c] = true
		c.rooms[r] = true
	}
}

func (c *recConn) Leave(room string) {
	c.hub.mu.Lock()
	defer c.hub.mu.Unlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.hub.rooms[room], c)
	delete(c.rooms, room)
}

func (c *recConn) Emit(name string, payload any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.events = append(c.events, event{Name: name, Payload: wire(payload)})
}

func (c *recConn) Disconnect() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.disconnected = true
}

// leaveAll is the transport's part of a disconnect: out of every room.
func (c *recConn) leaveAll() {
	c.mu.Lock()
	rooms := make([]string, 0, len(c.rooms))
	for r := range c.rooms {
		rooms = append(rooms, r)
	}
	c.mu.Unlock()
	for _, r := range rooms {
		c.Leave(r)
	}
}

func (c *recConn) inRoom(room string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rooms[room]
}

// take returns the events received so far and forgets them.
func (c *recConn) take() []event {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.events
	c.events = nil
	return out
}

func (c *recConn) names() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]string, len(c.events))
	for i, e := range c.events {
		out[i] = e.Name
	}
	return out
}

// waitFor waits until the Conn has received event name, returning every
// event received up to then (and forgetting them). While it waits it lets
// presence windows pass on the clock, a few at most: an event the rules owe
// after a window comes at once, and one that never comes is not conjured up
// by moving time far. Events from another process over Redis arrive on
// their own; for those it waits in real time, up to 3 s.
func (c *recConn) waitFor(t *testing.T, name string) []event {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for windows := 0; time.Now().Before(deadline); windows++ {
		if out, ok := c.takeUntil(name); ok {
			return out
		}
		if c.hub.clock != nil && windows < maxWaitWindows {
			c.hub.clock.Advance(testWindow)
		} else {
			time.Sleep(2 * time.Millisecond)
		}
	}
	t.Fatalf("socket %s: no %q within 3s; got %v", c.id, name, c.names())
	return nil
}

// maxWaitWindows is how many presence windows waitFor lets pass.
const maxWaitWindows = 4

// takeUntil returns and forgets the events up to the first named name.
func (c *recConn) takeUntil(name string) ([]event, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, e := range c.events {
		if e.Name == name {
			out := c.events[:i+1]
			c.events = append([]event(nil), c.events[i+1:]...)
			return out, true
		}
	}
	return nil, false
}

// wire is payload as a client decodes it: through JSON.
func wire(payload any) any {
	if payload == nil {
		return nil
	}
	raw, err := json.Marshal(payload)
	if err != nil {
		panic(err)
	}
	var out any
	if err := json.Unmarshal(raw, &out); err != nil {
		panic(err)
	}
	return out
}

// env is a seeded database, the rules over it and a recording hub.
type env struct {
	t     *testing.T
	db    *store.DB
	dbURL string
	svc   *Service
	hub   *recHub
	clock *manualClock
}

const testWindow = 30 * time.Millisecond

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvWith(t, Config{PresenceWindow: testWindow}, nil)
}

func newEnvWith(t *testing.T, cfg Config, presence PresenceStore, opts ...func(*Deps)) *env {
	t.Helper()
	start, _ := time.Parse(time.RFC3339, testStart)
	clock := newManualClock(start)
	db, dbURL := storetest.OpenSeeded(t, clock.Now)
	e := &env{t: t, db: db, dbURL: dbURL, hub: newRecHub(), clock: clock}
	e.hub.clock = clock
	e.svc = e.newService(cfg, presence, opts...)
	return e
}

// newService is a chat process over e's database, clock and hub.
func (e *env) newService(cfg Config, presence PresenceStore, opts ...func(*Deps)) *Service {
	resolver := auth.NewResolver(auth.NewSigner("test-secret"), e.db, e.clock.Now)
	deps := Deps{Store: e.db, Sessions: resolver, Hub: e.hub, Presence: presence, Clock: e.clock}
	for _, o := range opts {
		o(&deps)
	}
	svc := NewService(cfg, deps)
	e.t.Cleanup(svc.Close)
	return svc
}

// peer is a second chatd process: the same database and clock, its own
// hub on e's cluster (Hub.Emit reaches both) and its own rules.
func (e *env) peer(cfg Config, presence PresenceStore, opts ...func(*Deps)) *env {
	p := &env{t: e.t, db: e.db, dbURL: e.dbURL, hub: e.hub.peer(), clock: e.clock}
	p.svc = p.newService(cfg, presence, opts...)
	return p
}

// connect runs the handshake and the CONNECT step for a new socket.
func (e *env) connect(h Handshake) (*recConn, Identity) {
	e.t.Helper()
	c := e.hub.newConn()
	id, err := e.svc.Authenticate(context.Background(), h, c.ID())
	if err != nil {
		e.t.Fatalf("authenticate %+v: %v", h, err)
	}
	e.svc.Connected(context.Background(), c, id)
	return c, id
}

// emit sends a client event, its payload decoded as the socket library does.
func (e *env) emit(c *recConn, name string, payload any) {
	var args []any
	if payload != nil {
		args = []any{wire(payload)}
	}
	e.svc.Handle(context.Background(), c, name, args)
}

// disconnect is the transport's disconnect: rooms first, then the rules.
func (e *env) disconnect(c *recConn) {
	c.leaveAll()
	e.svc.Disconnected(context.Background(), c)
}

// joined connects a socket with a token (or anonymously when token is "")
// and joins demo; it returns after the socket's first presenceUpdate.
func (e *env) joined(token, anonID, alias string) (*recConn, Identity) {
	e.t.Helper()
	c, id := e.connect(Handshake{Token: token, UserID: anonID, UserAlias: alias, TenantSlug: "demo"})
	e.emit(c, "join", map[string]any{"user": map[string]any{"id": id.UserID, "alias": alias, "gender": "other"},
		"tenantSlug": "demo"})
	e.settle()
	c.waitFor(e.t, "presenceUpdate")
	return c, id
}

// count is SELECT count(*) of a query.
func (e *env) count(query string, args ...any) int {
	e.t.Helper()
	var n int
	if err := storetest.MustOpenSQL(e.t, e.dbURL).QueryRow(query, args...).Scan(&n); err != nil {
		e.t.Fatalf("%s: %v", query, err)
	}
	return n
}

// settle lets one presence window pass, so every presenceUpdate pending
// goes out (in this goroutine, before settle returns).
func (e *env) settle() { e.clock.Advance(testWindow) }

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}
