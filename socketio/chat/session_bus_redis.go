package chat

import (
	"context"
	"fmt"
	"sync"

	goredis "github.com/redis/go-redis/v9"
)

// RedisSessionBus is the SessionBus of processes sharing a Redis: a plain
// pub/sub channel whose messages are the ids of sessions that ended.
type RedisSessionBus struct {
	rdb       goredis.UniversalClient
	channel   string
	owned     bool // Close closes rdb
	listening sync.WaitGroup
}

// NewRedisSessionBus publishes and listens on "<prefix>#chatd#session-ended"
// (beside the Socket.IO adapter's "<prefix>#/#…" channels, never matching
// them).
func NewRedisSessionBus(rdb goredis.UniversalClient, prefix string) *RedisSessionBus {
	return &RedisSessionBus{rdb: rdb, channel: prefix + "#chatd#session-ended"}
}

// redisSessionBusFromURL opens a client of the bus's own on url.
func redisSessionBusFromURL(url, prefix string) (*RedisSessionBus, error) {
	opts, err := goredis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("chat: session bus: %w", err)
	}
	b := NewRedisSessionBus(goredis.NewClient(opts), prefix)
	b.owned = true
	return b, nil
}

// Publish tells every subscribed process that the session ended.
func (b *RedisSessionBus) Publish(ctx context.Context, sessionID string) error {
	if err := b.rdb.Publish(ctx, b.channel, sessionID).Err(); err != nil {
		return fmt.Errorf("chat: publish session end: %w", err)
	}
	return nil
}

// Subscribe listens until ctx ends; go-redis re-subscribes by itself after
// a lost connection.
func (b *RedisSessionBus) Subscribe(ctx context.Context, ended func(sessionID string)) error {
	ps := b.rdb.Subscribe(ctx, b.channel)
	if _, err := ps.Receive(ctx); err != nil {
		ps.Close()
		return fmt.Errorf("chat: subscribe to session ends: %w", err)
	}
	b.listening.Add(1)
	go func() {
		defer b.listening.Done()
		defer ps.Close()
		ch := ps.Channel()
		for {
			select {
			case <-ctx.Done():
				return
			case m, ok := <-ch:
				if !ok {
					return
				}
				ended(m.Payload)
			}
		}
	}()
	return nil
}

// Close waits for the listeners, whose contexts the caller has ended, and
// releases the client when the bus opened it.
func (b *RedisSessionBus) Close() error {
	b.listening.Wait()
	if !b.owned {
		return nil
	}
	return b.rdb.Close()
}
