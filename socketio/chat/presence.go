package chat

import (
	"context"
	"encoding/json"
	"sync"
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
