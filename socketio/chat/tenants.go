package chat

import (
	"context"
	"fmt"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"chatd/store"
)

// DefaultTenantCacheTTL bounds how long a cached tenant or room list is
// trusted when no invalidation arrives: chatd invalidates on every change
// it makes, so this only covers writers outside chatd (an admin tool on the
// same database) and a missed Redis notice.
const DefaultTenantCacheTTL = time.Minute

// maxCachedTenants bounds the cache; past it everything is dropped and
// reloaded on use (a deployment has hundreds of tenants, not thousands).
const maxCachedTenants = 10_000

// tenantLoadTimeout bounds one shared load: it runs for every caller
// waiting on it, so no single caller's context may cancel it.
const tenantLoadTimeout = 5 * time.Second

// tenantReader is the part of Store the cache reads through.
type tenantReader interface {
	TenantBySlug(ctx context.Context, slug string) (store.Tenant, error)
	TenantByID(ctx context.Context, id string) (store.Tenant, error)
	RoomsByTenant(ctx context.Context, tenantID string) ([]store.Room, error)
}

// tenantCache keeps tenants (by slug and by id) and their rooms in the
// process: every handshake, join, message and presenceUpdate needs them,
// and they change only when an admin edits a venue. Concurrent misses of
// one key share one query; an invalidation during a load keeps the loaded
// value out of the cache (it may predate the change). Unknown slugs are not
// cached, so a new tenant is found at once.
type tenantCache struct {
	db  tenantReader
	ttl time.Duration
	now func() time.Time

	loads singleflight.Group
	mu    sync.Mutex
	gen   uint64 // bumped by every invalidation
	slugs map[string]cachedTenant
	ids   map[string]cachedTenant
	rooms map[string]cachedRooms
}

type cachedTenant struct {
	t       store.Tenant
	expires time.Time
}

type cachedRooms struct {
	rooms   []store.Room
	expires time.Time
}

func newTenantCache(db tenantReader, ttl time.Duration, now func() time.Time) *tenantCache {
	return &tenantCache{db: db, ttl: ttl, now: now, slugs: map[string]cachedTenant{}, ids: map[string]cachedTenant{},
		rooms: map[string]cachedRooms{}}
}

// reset empties the cache in place (the maps are never replaced); c.mu is
// held.
func (c *tenantCache) reset() {
	clear(c.slugs)
	clear(c.ids)
	clear(c.rooms)
}

// bySlug is the tenant with this slug; store.ErrNotFound when none.
func (c *tenantCache) bySlug(ctx context.Context, slug string) (store.Tenant, error) {
	return c.tenant(ctx, c.slugs, slug, "s:", c.db.TenantBySlug)
}

// byID is the tenant with this id; store.ErrNotFound when none.
func (c *tenantCache) byID(ctx context.Context, id string) (store.Tenant, error) {
	return c.tenant(ctx, c.ids, id, "i:", c.db.TenantByID)
}

// tenant looks key up in index (slugs or ids), loading it through query on
// a miss.
func (c *tenantCache) tenant(ctx context.Context, index map[string]cachedTenant, key, kind string,
	query func(context.Context, string) (store.Tenant, error)) (store.Tenant, error) {
	c.mu.Lock()
	hit, ok := index[key]
	c.mu.Unlock()
	if ok && c.now().Before(hit.expires) {
		return hit.t, nil
	}
	t, err := c.load(ctx, kind+key, func(ctx context.Context) (any, error) { return query(ctx, key) }, c.keepTenant)
	if err != nil {
		return store.Tenant{}, err
	}
	return t.(store.Tenant), nil
}

// roomsOf lists a tenant's rooms, first-created first. The slice is shared:
// callers must not modify it.
func (c *tenantCache) roomsOf(ctx context.Context, tenantID string) ([]store.Room, error) {
	c.mu.Lock()
	hit, ok := c.rooms[tenantID]
	c.mu.Unlock()
	if ok && c.now().Before(hit.expires) {
		return hit.rooms, nil
	}
	rooms, err := c.load(ctx, "r:"+tenantID, func(ctx context.Context) (any, error) {
		return c.db.RoomsByTenant(ctx, tenantID)
	}, func(v any, expires time.Time) {
		c.rooms[tenantID] = cachedRooms{rooms: v.([]store.Room), expires: expires}
	})
	if err != nil {
		return nil, err
	}
	return rooms.([]store.Room), nil
}

// load runs one query for every concurrent caller of key and keeps its
// result (keep runs under c.mu) unless an invalidation happened meanwhile.
func (c *tenantCache) load(ctx context.Context, key string, query func(context.Context) (any, error),
	keep func(v any, expires time.Time)) (any, error) {
	ch := c.loads.DoChan(key, func() (any, error) {
		c.mu.Lock()
		gen := c.gen
		c.mu.Unlock()
		qctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), tenantLoadTimeout)
		defer cancel()
		v, err := query(qctx)
		if err != nil {
			return nil, err
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		if gen == c.gen {
			if len(c.ids)+len(c.rooms) >= maxCachedTenants {
				c.reset()
			}
			keep(v, c.now().Add(c.ttl))
		}
		return v, nil
	})
	select {
	case res := <-ch:
		return res.Val, res.Err
	case <-ctx.Done():
		return nil, fmt.Errorf("chat: tenant cache: %w", ctx.Err())
	}
}

// keepTenant caches a loaded tenant under its slug and its id; c.mu is held.
func (c *tenantCache) keepTenant(v any, expires time.Time) {
	t := v.(store.Tenant)
	c.slugs[t.Slug] = cachedTenant{t: t, expires: expires}
	c.ids[t.ID] = cachedTenant{t: t, expires: expires}
}

// invalidate forgets a tenant and its rooms ("" forgets everything). Loads
// in flight keep their result out of the cache.
func (c *tenantCache) invalidate(tenantID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	if tenantID == "" {
		c.reset()
		return
	}
	delete(c.ids, tenantID)
	delete(c.rooms, tenantID)
	for slug, hit := range c.slugs {
		if hit.t.ID == tenantID {
			delete(c.slugs, slug)
		}
	}
}
