package socketio

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	goredis "github.com/redis/go-redis/v9"
	sioredis "github.com/zishang520/socket.io/adapters/redis/v3"
	"github.com/zishang520/socket.io/adapters/redis/v3/adapter"
	"github.com/zishang520/socket.io/servers/socket/v3"

	"chatd/socketio/chat"
)

// redisCluster is what several chatd processes share through one Redis: the
// Socket.IO adapter (rooms and broadcasts, wire-compatible with Node's
// @socket.io/redis-adapter) and the chat's presence.
type redisCluster struct {
	client *goredis.Client
	sio    *sioredis.RedisClient
	prefix string
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
	sio := sioredis.NewRedisClient(ctx, client)
	// The adapter reports lost subscriptions and failed publishes as events;
	// without a listener they would vanish.
	_ = sio.On("error", func(args ...any) {
		if len(args) > 0 && ctx.Err() == nil {
			log.Warn("redis adapter error", slog.Any("error", args[0]))
		}
	})
	return &redisCluster{client: client, sio: sio, prefix: prefix}, nil
}

// adapter is the Redis adapter builder; its channels are "<prefix>#/#…"
// exactly like Node's adapter with key <prefix>.
func (rc *redisCluster) adapter() socket.AdapterConstructor {
	opts := adapter.DefaultRedisAdapterOptions()
	opts.SetKey(rc.prefix)
	return &adapter.RedisAdapterBuilder{Redis: rc.sio, Opts: opts}
}

func (rc *redisCluster) presence() chat.PresenceStore {
	return chat.NewRedisPresence(rc.client, rc.prefix+":presence")
}

func (rc *redisCluster) close() { _ = rc.client.Close() }
