package chat

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"chatd/store"
)

// stormHub is one process's sockets, light enough for hundreds of them:
// a socket keeps only its last presenceUpdate and the bytes it got.
type stormHub struct {
	mu    sync.Mutex
	rooms map[string]map[*stormConn]bool
}

func (h *stormHub) Emit(room, event string, payload any) { h.EmitLocalState(room, "", event, payload) }

func (h *stormHub) EmitLocalState(room, key, event string, payload any) {
	h.EmitLocalStateTo([]string{room}, key, event, payload)
}

// EmitLocalStateTo is the engine's one-encoding send to several rooms (the
// newcomers of a presence window): each socket in any of them gets it once.
func (h *stormHub) EmitLocalStateTo(rooms []string, _, event string, payload any) {
	h.emit(rooms, nil, event, payload)
}

// EmitLocalStateExcept is the engine's send to a room but some sockets
// (those that hold the state already).
func (h *stormHub) EmitLocalStateExcept(room string, except []string, _, event string, payload any) {
	h.emit([]string{room}, except, event, payload)
}

func (h *stormHub) emit(rooms, except []string, event string, payload any) {
	h.mu.Lock()
	seen := map[*stormConn]bool{}
	for _, room := range except {
		for c := range h.rooms[room] {
			seen[c] = true
		}
	}
	var targets []*stormConn
	for _, room := range rooms {
		for c := range h.rooms[room] {
			if !seen[c] {
				seen[c] = true
				targets = append(targets, c)
			}
		}
	}
	h.mu.Unlock()
	for _, c := range targets {
		c.Emit(event, payload)
	}
}

type stormConn struct {
	id  string
	hub *stormHub

	mu     sync.Mutex
	last   []byte // the last presenceUpdate
	bytes  int    // presenceUpdate bytes received
	frames int
	rooms  []string
}

func (c *stormConn) ID() string { return c.id }

func (c *stormConn) Join(rooms ...string) {
	c.hub.mu.Lock()
	defer c.hub.mu.Unlock()
	for _, r := range rooms {
		if c.hub.rooms[r] == nil {
			c.hub.rooms[r] = map[*stormConn]bool{}
		}
		c.hub.rooms[r][c] = true
		c.rooms = append(c.rooms, r)
	}
}

func (c *stormConn) Leave(room string) {
	c.hub.mu.Lock()
	defer c.hub.mu.Unlock()
	delete(c.hub.rooms[room], c)
	if len(c.hub.rooms[room]) == 0 {
		delete(c.hub.rooms, room)
	}
}

// leaveAll is the transport's part of a disconnect.
func (c *stormConn) leaveAll() {
	c.hub.mu.Lock()
	rooms := c.rooms
	c.rooms = nil
	c.hub.mu.Unlock()
	for _, r := range rooms {
		c.Leave(r)
	}
}

func (c *stormConn) Emit(event string, payload any) {
	if event != "presenceUpdate" {
		return
	}
	raw := payload.(json.RawMessage)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.last, c.bytes, c.frames = raw, c.bytes+len(raw), c.frames+1
}

func (c *stormConn) Disconnect() {}

// online is the number of users in the socket's last presenceUpdate.
func (c *stormConn) online() int {
	c.mu.Lock()
	last := c.last
	c.mu.Unlock()
	var p struct {
		OnlineIDs []string `json:"onlineIds"`
	}
	if last == nil || json.Unmarshal(last, &p) != nil {
		return 0
	}
	return len(p.OnlineIDs)
}

// TestPresenceStorm: n guests join one tenant at once, on one process or
// spread over two sharing Redis. Every client ends with the full list, and
// the presence bytes stay near the floor (each client one full list).
func TestPresenceStorm(t *testing.T) {
	// Not parallel: it runs on real time, and its ratio is the schedule's
	// under joins at this machine's pace, not under other tests' load.
	const n, inFlight = 400, 40
	for _, procs := range []int{1, 2} {
		t.Run(fmt.Sprintf("%d processes", procs), func(t *testing.T) {
			e := newEnv(t)
			cfg := Config{GuestIDKey: []byte("k")} // the contract's 100 ms window
			services := make([]*Service, procs)
			hubs := make([]*stormHub, procs)
			rdb, prefix := testRedis(t)
			for i := range services {
				hubs[i] = &stormHub{rooms: map[string]map[*stormConn]bool{}}
				services[i] = e.newService(cfg, nil, func(d *Deps) {
					// Real time: the point is the schedule under joins
					// arriving at the machine's own pace (the schedule's own
					// tests drive it join by join on a manual clock).
					d.Clock = RealClock{}
					d.Hub = hubs[i]
					if procs > 1 {
						d.Presence = NewRedisPresence(rdb, prefix)
						d.Notices = NewRedisNotices(rdb, prefix, nil)
					}
				})
			}
			if procs > 1 {
				waitSubscribed(t, rdb, prefix, int64(procs))
			}
			conns := stormJoin(t, services, hubs, n, inFlight)
			deadline := time.Now().Add(10 * time.Second)
			for _, c := range conns {
				for c.online() != n {
					if time.Now().After(deadline) {
						t.Fatalf("a client ended with %d of %d users", c.online(), n)
					}
					time.Sleep(10 * time.Millisecond)
				}
			}
			total, frames := 0, 0
			for _, c := range conns {
				c.mu.Lock()
				total, frames = total+c.bytes, frames+c.frames
				c.mu.Unlock()
			}
			floor := n * len(conns[0].last)
			ratio := float64(total) / float64(floor)
			t.Logf("%d clients: %d presenceUpdates, %.1f MB, %.2fx the floor", n, frames, float64(total)/1e6, ratio)
			if ratio > 3 {
				t.Fatalf("presence sent %.2fx the floor", ratio)
			}
		})
	}
}

// stormJoin connects and joins n guests, inFlight at a time, spread over
// the services, and returns their sockets.
func stormJoin(t *testing.T, services []*Service, hubs []*stormHub, n, inFlight int) []*stormConn {
	t.Helper()
	ctx := context.Background()
	conns := make([]*stormConn, n)
	work := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < inFlight; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				svc, hub := services[i%len(services)], hubs[i%len(services)]
				c := &stormConn{id: store.RandomString(20), hub: hub}
				c.Join(c.id)
				id, err := svc.Authenticate(ctx, Handshake{UserAlias: fmt.Sprintf("Guest %d", i), TenantSlug: "demo"}, c.id)
				if err != nil {
					t.Error(err)
					return
				}
				svc.Connected(ctx, c, id)
				svc.Handle(ctx, c, "join", []any{wire(joinPayload(id.UserID, fmt.Sprintf("Guest %d", i), nil))})
				conns[i] = c
			}
		}()
	}
	for i := 0; i < n; i++ {
		work <- i
	}
	close(work)
	wg.Wait()
	return conns
}
