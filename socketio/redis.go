package socketio

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"chatd/socketio/chat"
	"chatd/socketio/sio"
)

// redisCluster is what several chatd processes share through one Redis: the
// Socket.IO adapter (rooms and broadcasts, wire-compatible with Node's
// @socket.io/redis-adapter) and the chat's presence.
type redisCluster struct {
	client *goredis.Client
	prefix string
	log    *slog.Logger
}

func newRedisCluster(ctx context.Context, url, prefix string, log *slog.Logger) (*redisCluster, error) {
	opts, err := goredis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("socketio: REDIS_URL: %w", err)
	}
	client := goredis.NewClient(opts)
	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := client.Ping(pingCtx).Err(); err != nil {
		_ = client.Close()
		return nil, fmt.Errorf("socketio: redis ping: %w", err)
	}
	return &redisCluster{client: client, prefix: prefix, log: log}, nil
}

// adapter is the factory of namespace "/"'s cluster adapter, channels
// "<prefix>#/#…" as Node's adapter with key <prefix>. It is nil until
// socketio/redisadapter is in the tree: rooms are then this process's only.
func (rc *redisCluster) adapter() func(sio.Local) (sio.Adapter, error) {
	return nil
}

func (rc *redisCluster) presence() chat.PresenceStore {
	return chat.NewRedisPresence(rc.client, rc.prefix+":presence")
}

func (rc *redisCluster) close() { _ = rc.client.Close() }
