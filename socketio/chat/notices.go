package chat

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"chatd/store"
)

// Kinds of Notice.
const (
	// NoticePresence says a tenant's presence changed on another process:
	// this one recomputes the tenant's presenceUpdate for its own sockets.
	NoticePresence = "presence"
	// NoticeTenant says a tenant or its rooms changed: cached copies go.
	NoticeTenant = "tenant"
)

// Notice is a change one chatd process tells the others about.
type Notice struct {
	Kind string
	ID   string // the tenant id
}

// Notices carries Notices between the chatd processes sharing Redis. A
// single process has none (Deps.Notices nil).
type Notices interface {
	// Publish tells every other process.
	Publish(ctx context.Context, n Notice) error
	// Listen hands the other processes' notices to fn until ctx ends.
	// resync runs whenever notices may have been missed (each time the
	// subscription is made, the first time included), so that the caller
	// drops what it cached.
	Listen(ctx context.Context, fn func(Notice), resync func())
}

// RedisNotices is Notices over plain Redis pub/sub, on one channel.
type RedisNotices struct {
	rdb     goredis.UniversalClient
	channel string
	node    string
	log     *slog.Logger
}

// NewRedisNotices returns the notices of a new process on rdb, on the
// channel named prefix+":notices".
func NewRedisNotices(rdb goredis.UniversalClient, prefix string, log *slog.Logger) *RedisNotices {
	if log == nil {
		log = slog.Default()
	}
	return &RedisNotices{rdb: rdb, channel: prefix + ":notices", node: store.RandomString(16), log: log}
}

// Publish implements Notices. The message is "<node> <kind> <id>".
func (r *RedisNotices) Publish(ctx context.Context, n Notice) error {
	if err := r.rdb.Publish(ctx, r.channel, r.node+" "+n.Kind+" "+n.ID).Err(); err != nil {
		return fmt.Errorf("chat: publish notice: %w", err)
	}
	return nil
}

// Listen implements Notices. go-redis re-subscribes by itself after a lost
// connection and reports it with a new subscription confirmation, which is
// when resync runs.
func (r *RedisNotices) Listen(ctx context.Context, fn func(Notice), resync func()) {
	ps := r.rdb.Subscribe(ctx, r.channel)
	defer ps.Close()
	// Receive does not return on cancellation while it waits for a
	// message; closing the subscription makes it.
	defer context.AfterFunc(ctx, func() { _ = ps.Close() })()
	for {
		msg, err := ps.Receive(ctx)
		if ctx.Err() != nil || errors.Is(err, goredis.ErrClosed) {
			return
		}
		switch m := msg.(type) {
		case *goredis.Subscription:
			if m.Kind == "subscribe" {
				resync()
			}
		case *goredis.Message:
			if n, ok := r.parse(m.Payload); ok {
				fn(n)
			}
		}
		if err != nil {
			r.log.Warn("notices subscription failed", slog.String("error", err.Error()))
			select { // go-redis reconnects on the next Receive; don't spin meanwhile
			case <-ctx.Done():
				return
			case <-time.After(500 * time.Millisecond):
			}
		}
	}
}

// parse reads another process's notice; this process's own are dropped
// (it acted on them when it published).
func (r *RedisNotices) parse(payload string) (Notice, bool) {
	parts := strings.SplitN(payload, " ", 3)
	if len(parts) != 3 || parts[0] == r.node || parts[2] == "" {
		return Notice{}, false
	}
	return Notice{Kind: parts[1], ID: parts[2]}, true
}
