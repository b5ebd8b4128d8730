package chat

import (
	"context"
	"encoding/json"
	"log/slog"
	"sort"
	"sync"
	"time"
)

// PresenceEntry is one joined socket as presence keeps it.
type PresenceEntry struct {
	SocketID string          `json:"socketId"`
	UserID   string          `json:"userId"`
	User     json.RawMessage `json:"user"`  // the join's user object as broadcast, without socketId
	Rooms    []string        `json:"rooms"` // the tenant rooms the socket is in
	JoinedAt int64           `json:"joinedAt"`
}

// PresenceStore keeps who is online in each tenant. The memory
// implementation serves one process; the Redis one shares presence between
// every chatd process on that Redis, so presenceUpdate lists the whole
// cluster.
type PresenceStore interface {
	// Put records or replaces the socket's entry in a tenant.
	Put(ctx context.Context, tenantID string, e PresenceEntry) error
	// Remove drops the socket's entry; removing a missing one is no error.
	Remove(ctx context.Context, tenantID, socketID string) error
	// Entries lists the live entries of a tenant (one per socket).
	Entries(ctx context.Context, tenantID string) ([]PresenceEntry, error)
	// Heartbeat tells the store this process is alive and removes the
	// entries of processes that stopped beating, returning the tenants that
	// lost entries (they need a presenceUpdate).
	Heartbeat(ctx context.Context) ([]string, error)
	// ClaimBroadcast asks whether this process may send the tenant's
	// presenceUpdate now. It returns 0 when the claim is granted (for one
	// window), or how long until another process's claim expires.
	ClaimBroadcast(ctx context.Context, tenantID string, window time.Duration) (time.Duration, error)
}

// MemoryPresence is the single-process PresenceStore.
type MemoryPresence struct {
	mu      sync.Mutex
	tenants map[string]map[string]PresenceEntry
}

// NewMemoryPresence returns an empty in-memory presence.
func NewMemoryPresence() *MemoryPresence {
	return &MemoryPresence{tenants: map[string]map[string]PresenceEntry{}}
}

// Put implements PresenceStore.
func (m *MemoryPresence) Put(_ context.Context, tenantID string, e PresenceEntry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.tenants[tenantID] == nil {
		m.tenants[tenantID] = map[string]PresenceEntry{}
	}
	m.tenants[tenantID][e.SocketID] = e
	return nil
}

// Remove implements PresenceStore.
func (m *MemoryPresence) Remove(_ context.Context, tenantID, socketID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.tenants[tenantID], socketID)
	if len(m.tenants[tenantID]) == 0 {
		delete(m.tenants, tenantID)
	}
	return nil
}

// Entries implements PresenceStore.
func (m *MemoryPresence) Entries(_ context.Context, tenantID string) ([]PresenceEntry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]PresenceEntry, 0, len(m.tenants[tenantID]))
	for _, e := range m.tenants[tenantID] {
		out = append(out, e)
	}
	return out, nil
}

// Heartbeat implements PresenceStore: one process never outlives itself.
func (m *MemoryPresence) Heartbeat(context.Context) ([]string, error) { return nil, nil }

// ClaimBroadcast implements PresenceStore: the only process always may.
func (m *MemoryPresence) ClaimBroadcast(context.Context, string, time.Duration) (time.Duration, error) {
	return 0, nil
}

// presenceState is the presenceUpdate payload (socket-contract.md §6): one
// entry per user, the newest joined socket winning, roomCounts for every
// room of the tenant.
func presenceState(entries []PresenceEntry, rooms []string) map[string]any {
	newest := map[string]PresenceEntry{}
	for _, e := range entries {
		if cur, ok := newest[e.UserID]; !ok || e.JoinedAt > cur.JoinedAt ||
			(e.JoinedAt == cur.JoinedAt && e.SocketID > cur.SocketID) {
			newest[e.UserID] = e
		}
	}
	chosen := make([]PresenceEntry, 0, len(newest))
	for _, e := range newest {
		chosen = append(chosen, e)
	}
	sort.Slice(chosen, func(i, j int) bool { return chosen[i].JoinedAt < chosen[j].JoinedAt })
	users := make([]any, 0, len(chosen))
	online := make([]string, 0, len(chosen))
	for _, e := range chosen {
		u := map[string]any{}
		_ = json.Unmarshal(e.User, &u) // written by this package; a broken entry shows as {id, socketId}
		u["id"] = e.UserID
		u["socketId"] = e.SocketID
		users = append(users, u)
		online = append(online, e.UserID)
	}
	counts := make(map[string]any, len(rooms))
	for _, room := range rooms {
		inRoom := map[string]bool{}
		for _, e := range entries {
			if contains(e.Rooms, room) {
				inRoom[e.UserID] = true
			}
		}
		counts[room] = len(inRoom)
	}
	return map[string]any{"users": users, "onlineIds": online, "roomCounts": counts}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// flushPresence sends a tenant's presenceUpdate, computed from the whole
// cluster's state at the moment it is sent. It returns how long to wait
// before trying again when another process holds the tenant's window.
func (s *Service) flushPresence(tenantID, slug string) time.Duration {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	wait, err := s.presence.ClaimBroadcast(ctx, tenantID, s.cfg.PresenceWindow)
	if err != nil {
		s.log.Warn("presence claim failed", slog.String("tenant_id", tenantID), slog.String("error", err.Error()))
	} else if wait > 0 {
		return wait
	}
	s.emitPresence(ctx, tenantID, slug)
	return 0
}

// emitPresence computes and sends a tenant's presenceUpdate.
func (s *Service) emitPresence(ctx context.Context, tenantID, slug string) {
	if slug == "" {
		t, err := s.store.TenantByID(ctx, tenantID)
		if err != nil {
			s.log.Error("presence tenant lookup failed", slog.String("tenant_id", tenantID), slog.String("error", err.Error()))
			return
		}
		slug = t.Slug
	}
	entries, err := s.presence.Entries(ctx, tenantID)
	if err != nil {
		s.log.Error("presence read failed", slog.String("tenant_id", tenantID), slog.String("error", err.Error()))
		return
	}
	rooms, err := s.store.RoomsByTenant(ctx, tenantID)
	if err != nil {
		s.log.Error("presence rooms lookup failed", slog.String("tenant_id", tenantID), slog.String("error", err.Error()))
		return
	}
	ids := make([]string, len(rooms))
	for i, r := range rooms {
		ids[i] = r.ID
	}
	s.hub.Emit("tenant:"+slug, "presenceUpdate", presenceState(entries, ids))
}

// coalescer turns presence changes into at most one update per tenant and
// window: the first change arms a timer for one window, later changes ride
// along, and the update is computed when the timer fires, so it always
// carries the latest state. Changes further apart than the window each get
// their own update, as the original sent.
type coalescer struct {
	window time.Duration
	flush  func(tenantID, slug string) time.Duration

	mu      sync.Mutex
	pending map[string]*time.Timer
	slugs   map[string]string
	closed  bool
	running sync.WaitGroup
}

func newCoalescer(window time.Duration, flush func(tenantID, slug string) time.Duration) *coalescer {
	return &coalescer{window: window, flush: flush, pending: map[string]*time.Timer{}, slugs: map[string]string{}}
}

// changed notes a change of a tenant's presence; slug may be "" when the
// caller only knows the id.
func (c *coalescer) changed(tenantID, slug string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	if slug != "" {
		c.slugs[tenantID] = slug
	}
	if c.pending[tenantID] == nil {
		c.arm(tenantID, c.window)
	}
}

// arm schedules the tenant's flush; c.mu is held.
func (c *coalescer) arm(tenantID string, after time.Duration) {
	c.running.Add(1)
	c.pending[tenantID] = time.AfterFunc(after, func() {
		defer c.running.Done()
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return
		}
		// A change from now on arms a new timer: this flush may read state
		// from before it.
		delete(c.pending, tenantID)
		slug := c.slugs[tenantID]
		c.mu.Unlock()
		if retry := c.flush(tenantID, slug); retry > 0 {
			c.mu.Lock()
			if !c.closed && c.pending[tenantID] == nil {
				c.arm(tenantID, retry)
			}
			c.mu.Unlock()
		}
	})
}

// close stops every pending timer, waits for running flushes and returns
// the tenants whose update was still due (tenant id → slug), so that the
// last changes of a process going away are still announced.
func (c *coalescer) close() map[string]string {
	c.mu.Lock()
	c.closed = true
	due := map[string]string{}
	for id, t := range c.pending {
		if t.Stop() {
			c.running.Done()
			due[id] = c.slugs[id]
		}
		delete(c.pending, id)
	}
	c.mu.Unlock()
	c.running.Wait()
	return due
}
