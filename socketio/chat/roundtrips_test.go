package chat

import (
	"context"
	"strings"
	"sync"
	"testing"

	"chatd/store"
)

// countingStore records which store methods the rules call: each is one
// database round trip (one statement) on these paths.
type countingStore struct {
	Store
	mu    sync.Mutex
	calls []string
}

func (c *countingStore) note(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, name)
}

func (c *countingStore) take() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := strings.Join(c.calls, " ")
	c.calls = nil
	return out
}

func (c *countingStore) TenantBySlug(ctx context.Context, slug string) (store.Tenant, error) {
	c.note("TenantBySlug")
	return c.Store.TenantBySlug(ctx, slug)
}

func (c *countingStore) TenantByID(ctx context.Context, id string) (store.Tenant, error) {
	c.note("TenantByID")
	return c.Store.TenantByID(ctx, id)
}

func (c *countingStore) RoomsByTenant(ctx context.Context, id string) ([]store.Room, error) {
	c.note("RoomsByTenant")
	return c.Store.RoomsByTenant(ctx, id)
}

func (c *countingStore) UserWithBlocked(ctx context.Context, id string) (store.User, []string, error) {
	c.note("UserWithBlocked")
	return c.Store.UserWithBlocked(ctx, id)
}

func (c *countingStore) SaveGuest(ctx context.Context, g store.Guest) error {
	if g.New {
		c.note("SaveGuest(new)") // a row no one can hold yet: no conflict check
	} else {
		c.note("SaveGuest")
	}
	return c.Store.SaveGuest(ctx, g)
}

func (c *countingStore) SaveProfile(ctx context.Context, id string, p store.UserProfile) error {
	c.note("SaveProfile")
	return c.Store.SaveProfile(ctx, id, p)
}

func (c *countingStore) ConnectState(ctx context.Context, id string) ([]string, []string, error) {
	c.note("ConnectState")
	return c.Store.ConnectState(ctx, id)
}

func (c *countingStore) SessionConnect(ctx context.Context, token string) (store.SessionUser, store.ConnectInfo, error) {
	c.note("SessionConnect")
	return c.Store.SessionConnect(ctx, token)
}

func (c *countingStore) BlockedIDs(ctx context.Context, id string) ([]string, error) {
	c.note("BlockedIDs")
	return c.Store.BlockedIDs(ctx, id)
}

func (c *countingStore) CreateMessages(ctx context.Context, msgs []store.Message) []error {
	c.note("CreateMessages")
	return c.Store.CreateMessages(ctx, msgs)
}

// countingResolver counts session lookups (one query: session joined with
// its user).
type countingResolver struct {
	SessionResolver
	store *countingStore
}

func (r countingResolver) Resolve(ctx context.Context, candidates ...string) (store.SessionUser, error) {
	r.store.note("SessionByToken")
	return r.SessionResolver.Resolve(ctx, candidates...)
}

// ResolveWith passes the handshake's lookup through, so the store counts
// it (SessionConnect).
func (r countingResolver) ResolveWith(ctx context.Context, lookup func(context.Context, string) (store.SessionUser, error),
	candidates ...string) (store.SessionUser, error) {
	return r.SessionResolver.(connectResolver).ResolveWith(ctx, lookup, candidates...)
}

// TestRoundTrips pins the database round trips of a connect and a first
// join (the hot path of a venue reconnecting, issue #9), then of a re-join
// after "|". Tenants and rooms come from the cache after the first use;
// leaving and presence take none.
func TestRoundTrips(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	counted := &countingStore{Store: e.db}
	svc := e.newService(Config{PresenceWindow: testWindow}, nil, func(d *Deps) {
		d.Store = counted
		d.Sessions = countingResolver{SessionResolver: d.Sessions, store: counted}
	})
	ctx := context.Background()
	cycle := func(h Handshake, alias string, extra map[string]any) string {
		t.Helper()
		c := e.hub.newConn()
		id, err := svc.Authenticate(ctx, h, c.ID())
		if err != nil {
			t.Fatal(err)
		}
		svc.Connected(ctx, c, id)
		svc.Handle(ctx, c, "join", []any{wire(joinPayload(id.UserID, alias, extra))})
		c.waitFor(t, "presenceUpdate")
		counted.note("|")
		// A re-join that changes nothing: its writes are conditional (the
		// row may have changed elsewhere) and write nothing.
		svc.Handle(ctx, c, "join", []any{wire(joinPayload(id.UserID, alias, extra))})
		c.leaveAll()
		svc.Disconnected(ctx, c)
		e.settle() // the presenceUpdate of the leave
		return counted.take()
	}
	cycle(Handshake{Token: adminTok, TenantSlug: "demo"}, "Admin", nil) // warms the tenant cache
	tests := []struct {
		name  string
		h     Handshake
		alias string
		want  string
	}{
		{"new guest", Handshake{UserID: store.NewUUID(), UserAlias: "Nuova", TenantSlug: "demo"}, "Nuova",
			"UserWithBlocked SaveGuest(new) | SaveGuest BlockedIDs"},
		{"new guest without an id", Handshake{UserAlias: "Nuova", TenantSlug: "demo"}, "Nuova",
			"SaveGuest(new) | SaveGuest BlockedIDs"},
		{"returning guest, same profile", Handshake{UserID: bobID, UserAlias: "Bob", TenantSlug: "demo"}, "Bob",
			"UserWithBlocked | SaveGuest BlockedIDs"},
		{"session, same profile", Handshake{Token: aliceTok, TenantSlug: "demo"}, "Alice",
			"SessionConnect | SaveProfile BlockedIDs"},
		{"session, new alias", Handshake{Token: modTok, TenantSlug: "demo"}, "Moderatore",
			"SessionConnect SaveProfile | SaveProfile BlockedIDs"},
	}
	// Bob's seed row was never written by a join: his first join marks it.
	counted.take()
	cycle(Handshake{UserID: bobID, TenantSlug: "demo"}, "Bob", nil)
	for _, tt := range tests {
		if got := cycle(tt.h, tt.alias, nil); got != tt.want {
			t.Errorf("%s: round trips %q, want %q", tt.name, got, tt.want)
		}
	}
}
