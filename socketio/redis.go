package socketio

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	goredis "github.com/redis/go-redis/v9"

	"chatd/socketio/chat"
	"chatd/socketio/redisadapter"
	"chatd/socketio/sio"
)

// redisCluster is what several chatd processes share through one Redis: the
// Socket.IO adapter (rooms and broadcasts, wire-compatible with Node's
// @socket.io/redis-adapter) and the chat's presence.
type redisCluster struct {
	ctx     context.Context
	client  *goredis.Client
	prefix  string
	metrics *redisadapter.Metrics
	log     *slog.Logger
}

// newRedisCluster connects to Redis; the adapter's series are registered on
// reg (nil: kept unexported).
func newRedisCluster(ctx context.Context, url, prefix string, reg prometheus.Registerer, log *slog.Logger) (*redisCluster, error) {
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	metrics, err := redisadapter.NewMetrics(reg)
	if err != nil {
		return nil, fmt.Errorf("socketio: adapter metrics: %w", err)
	}
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
	return &redisCluster{ctx: ctx, client: client, prefix: prefix, metrics: metrics, log: log}, nil
}

// adapter is the factory of namespace "/"'s cluster adapter, channels
// "<prefix>#/#…" as Node's adapter with key <prefix>.
func (rc *redisCluster) adapter() func(sio.Local) (sio.Adapter, error) {
	return func(local sio.Local) (sio.Adapter, error) {
		return redisadapter.New(rc.ctx, rc.client, redisadapter.Config{Prefix: rc.prefix, Nsp: "/", Metrics: rc.metrics}, local, rc.log)
	}
}

func (rc *redisCluster) presence() chat.PresenceStore {
	return chat.NewRedisPresence(rc.client, rc.prefix+":presence")
}

// notices carries the chat's cross-process notices (presence changes,
// tenant invalidations) on a plain pub/sub channel beside the adapter's.
func (rc *redisCluster) notices(log *slog.Logger) chat.Notices {
	return chat.NewRedisNotices(rc.client, rc.prefix+":chat", log)
}

func (rc *redisCluster) close() { _ = rc.client.Close() }
