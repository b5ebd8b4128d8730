package storetest

import (
	"context"
	"os"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// DefaultRedisURL is used when TEST_REDIS_URL is unset: the machine's own.
const DefaultRedisURL = "redis://127.0.0.1:6379/0"

// RedisOptions are the test Redis's connection options (TEST_REDIS_URL).
// Without a reachable Redis t skips or fails, as Unavailable says. Tests
// share that Redis: each must use key prefixes and channels of its own.
func RedisOptions(t testing.TB) *goredis.Options {
	t.Helper()
	url := os.Getenv("TEST_REDIS_URL")
	if url == "" {
		url = DefaultRedisURL
	}
	opts, err := goredis.ParseURL(url)
	if err != nil {
		t.Fatalf("TEST_REDIS_URL: %v", err)
	}
	c := goredis.NewClient(opts)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		Unavailable(t, "redis", err)
	}
	return opts
}
