package chat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"chatd/store"
)

// DefaultNodeTTL is how long a process's presence outlives its last
// heartbeat: a chatd that dies leaves presence within this time (three
// missed heartbeats).
const DefaultNodeTTL = 15 * time.Second

// RedisPresence is the PresenceStore shared by every chatd process on one
// Redis. Keys, under prefix:
//
//	<prefix>:t:<tenantId>    hash socketId → JSON {entry, node}
//	<prefix>:tenants         set of tenant ids that may have entries
//	<prefix>:node:<nodeId>   "1", expiring NodeTTL after the last heartbeat
//
// An entry whose node key has expired belongs to a dead process: readers
// skip it and the heartbeat sweep deletes it.
type RedisPresence struct {
	rdb     goredis.UniversalClient
	prefix  string
	node    string
	nodeTTL time.Duration
}

// NewRedisPresence returns a presence store on rdb under prefix, for a new
// process identity.
func NewRedisPresence(rdb goredis.UniversalClient, prefix string) *RedisPresence {
	return &RedisPresence{rdb: rdb, prefix: prefix, node: store.RandomString(16), nodeTTL: DefaultNodeTTL}
}

// Node is this process's identity in the shared presence.
func (r *RedisPresence) Node() string { return r.node }

type redisEntry struct {
	PresenceEntry
	Node string `json:"node"`
}

func (r *RedisPresence) tenantKey(id string) string { return r.prefix + ":t:" + id }
func (r *RedisPresence) nodeKey(id string) string   { return r.prefix + ":node:" + id }
func (r *RedisPresence) tenantsKey() string         { return r.prefix + ":tenants" }

// Put implements PresenceStore. It also refreshes this node's key, so a
// process is alive from its first join, not only from its first heartbeat.
func (r *RedisPresence) Put(ctx context.Context, tenantID string, e PresenceEntry) error {
	raw, err := json.Marshal(redisEntry{PresenceEntry: e, Node: r.node})
	if err != nil {
		return fmt.Errorf("chat: presence put: %w", err)
	}
	_, err = r.rdb.TxPipelined(ctx, func(p goredis.Pipeliner) error {
		p.Set(ctx, r.nodeKey(r.node), "1", r.nodeTTL)
		p.HSet(ctx, r.tenantKey(tenantID), e.SocketID, raw)
		p.SAdd(ctx, r.tenantsKey(), tenantID)
		return nil
	})
	if err != nil {
		return fmt.Errorf("chat: presence put: %w", err)
	}
	return nil
}

// Remove implements PresenceStore.
func (r *RedisPresence) Remove(ctx context.Context, tenantID, socketID string) error {
	if err := r.rdb.HDel(ctx, r.tenantKey(tenantID), socketID).Err(); err != nil {
		return fmt.Errorf("chat: presence remove: %w", err)
	}
	return nil
}

// Entries implements PresenceStore: the entries of live processes.
func (r *RedisPresence) Entries(ctx context.Context, tenantID string) ([]PresenceEntry, error) {
	live, _, err := r.read(ctx, tenantID)
	return live, err
}

// read splits a tenant's entries into those of live processes and the
// socket ids of dead ones.
func (r *RedisPresence) read(ctx context.Context, tenantID string) ([]PresenceEntry, []string, error) {
	all, err := r.rdb.HGetAll(ctx, r.tenantKey(tenantID)).Result()
	if err != nil {
		return nil, nil, fmt.Errorf("chat: presence read: %w", err)
	}
	entries := make([]redisEntry, 0, len(all))
	nodes := map[string]bool{}
	var dead []string
	for socketID, raw := range all {
		var e redisEntry
		if json.Unmarshal([]byte(raw), &e) != nil || e.Node == "" {
			dead = append(dead, socketID) // unreadable: nobody can show it
			continue
		}
		entries = append(entries, e)
		nodes[e.Node] = true
	}
	alive, err := r.aliveNodes(ctx, nodes)
	if err != nil {
		return nil, nil, err
	}
	live := make([]PresenceEntry, 0, len(entries))
	for _, e := range entries {
		if alive[e.Node] {
			live = append(live, e.PresenceEntry)
		} else {
			dead = append(dead, e.SocketID)
		}
	}
	return live, dead, nil
}

func (r *RedisPresence) aliveNodes(ctx context.Context, nodes map[string]bool) (map[string]bool, error) {
	ids := make([]string, 0, len(nodes))
	keys := make([]string, 0, len(nodes))
	for id := range nodes {
		ids = append(ids, id)
		keys = append(keys, r.nodeKey(id))
	}
	alive := map[string]bool{}
	if len(keys) == 0 {
		return alive, nil
	}
	vals, err := r.rdb.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, fmt.Errorf("chat: presence nodes: %w", err)
	}
	for i, v := range vals {
		alive[ids[i]] = v != nil
	}
	return alive, nil
}

// forgetTenant drops a tenant from the sweep set when its hash is empty, in
// one step so that a concurrent Put is never forgotten.
var forgetTenant = goredis.NewScript(`
if redis.call('HLEN', KEYS[1]) == 0 then return redis.call('SREM', KEYS[2], ARGV[1]) end
return 0`)

// Heartbeat implements PresenceStore: it refreshes this node's key and
// deletes the entries of nodes whose key expired.
func (r *RedisPresence) Heartbeat(ctx context.Context) ([]string, error) {
	if err := r.rdb.Set(ctx, r.nodeKey(r.node), "1", r.nodeTTL).Err(); err != nil {
		return nil, fmt.Errorf("chat: presence heartbeat: %w", err)
	}
	tenants, err := r.rdb.SMembers(ctx, r.tenantsKey()).Result()
	if err != nil {
		return nil, fmt.Errorf("chat: presence heartbeat: %w", err)
	}
	var changed []string
	for _, tenantID := range tenants {
		_, dead, err := r.read(ctx, tenantID)
		if err != nil {
			return changed, err
		}
		if len(dead) > 0 {
			// Only the process that actually deleted announces it, so a dead
			// node yields one update, not one per survivor.
			n, err := r.rdb.HDel(ctx, r.tenantKey(tenantID), dead...).Result()
			if err != nil {
				return changed, fmt.Errorf("chat: presence sweep: %w", err)
			}
			if n > 0 {
				changed = append(changed, tenantID)
			}
		}
		err = forgetTenant.Run(ctx, r.rdb, []string{r.tenantKey(tenantID), r.tenantsKey()}, tenantID).Err()
		if err != nil && !errors.Is(err, goredis.Nil) {
			return changed, fmt.Errorf("chat: presence sweep: %w", err)
		}
	}
	return changed, nil
}

// Close removes this node's key, so that its entries count as dead at once
// (a clean shutdown after its sockets left).
func (r *RedisPresence) Close(ctx context.Context) error {
	return r.rdb.Del(ctx, r.nodeKey(r.node)).Err()
}
