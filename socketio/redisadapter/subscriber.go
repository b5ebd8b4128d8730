package redisadapter

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// subscriber keeps one Redis subscription (patterns and channels) alive:
// go-redis re-dials and re-subscribes after an error on the next receive; a
// connection that dies silently (no error, no data) is noticed by a ping
// left unanswered for a health-check interval and replaced.
type subscriber struct {
	client   *goredis.Client
	patterns []string
	channels []string
	interval time.Duration
	log      *slog.Logger
	metrics  nspMetrics
	handle   func(*goredis.Message)

	mu     sync.Mutex
	ps     *goredis.PubSub
	closed bool

	lastHeard atomic.Int64 // unix nanoseconds of the last reply of any kind
	failing   atomic.Bool
	stop      chan struct{}
	wg        sync.WaitGroup
}

func newSubscriber(ctx context.Context, client *goredis.Client, interval time.Duration, log *slog.Logger, m nspMetrics,
	handle func(*goredis.Message), patterns, channels []string) (*subscriber, error) {
	s := &subscriber{client: client, patterns: patterns, channels: channels, interval: interval,
		log: log, metrics: m, handle: handle, stop: make(chan struct{})}
	ps, err := s.open(ctx)
	if err == nil {
		err = s.confirm(ctx, ps)
	}
	if err != nil {
		_ = ps.Close()
		return nil, err
	}
	s.ps = ps
	s.heard()
	s.wg.Add(2)
	go s.receive()
	go s.checkHealth()
	return s, nil
}

func (s *subscriber) open(ctx context.Context) (*goredis.PubSub, error) {
	// Both even when the first fails: go-redis records them either way and
	// subscribes to everything recorded when it reconnects.
	ps := s.client.Subscribe(ctx)
	return ps, errors.Join(ps.PSubscribe(ctx, s.patterns...), ps.Subscribe(ctx, s.channels...))
}

// confirm waits until Redis has confirmed every subscription, so that a
// server counting subscribers (serverCount) counts this one.
func (s *subscriber) confirm(ctx context.Context, ps *goredis.PubSub) error {
	for want := len(s.patterns) + len(s.channels); want > 0; {
		msg, err := ps.ReceiveTimeout(ctx, 2*s.interval)
		if err != nil {
			return err
		}
		switch m := msg.(type) {
		case *goredis.Subscription:
			want--
		case *goredis.Message:
			s.handle(m)
		}
	}
	return nil
}

func (s *subscriber) current() *goredis.PubSub {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	return s.ps
}

func (s *subscriber) heard() { s.lastHeard.Store(time.Now().UnixNano()) }

func (s *subscriber) receive() {
	defer s.wg.Done()
	ctx := context.Background()
	delay := minRetryDelay
	for {
		ps := s.current()
		if ps == nil {
			return
		}
		msg, err := ps.Receive(ctx)
		if err != nil {
			if s.current() != ps { // closed, or replaced by checkHealth
				continue
			}
			s.lost(err)
			if !s.sleep(delay) {
				return
			}
			delay = min(2*delay, maxRetryDelay)
			continue
		}
		delay = minRetryDelay
		s.heard()
		if s.failing.CompareAndSwap(true, false) {
			s.metrics.reconnects("subscribe").Inc()
			s.log.Info("redis subscription restored")
		}
		if m, ok := msg.(*goredis.Message); ok {
			s.handle(m)
		}
	}
}

func (s *subscriber) lost(err error) {
	if s.failing.CompareAndSwap(false, true) {
		s.log.Warn("redis subscription lost: messages from other processes are missed until it is back", slog.Any("error", err))
	}
}

// checkHealth pings a quiet subscription and replaces one whose ping went
// unanswered (again after as long, if the new one is silent too).
func (s *subscriber) checkHealth() {
	defer s.wg.Done()
	ticker := time.NewTicker(s.interval)
	defer ticker.Stop()
	var renewed time.Time
	for {
		select {
		case <-s.stop:
			return
		case <-ticker.C:
		}
		quiet := time.Since(time.Unix(0, s.lastHeard.Load()))
		switch {
		case quiet < s.interval:
		case quiet < 2*s.interval || time.Since(renewed) < 2*s.interval:
			if ps := s.current(); ps != nil {
				ctx, cancel := context.WithTimeout(context.Background(), s.interval)
				_ = ps.Ping(ctx)
				cancel()
			}
		default:
			renewed = time.Now()
			s.renew()
		}
	}
}

// renew replaces a connection that stopped answering.
func (s *subscriber) renew() {
	s.lost(errors.New("ping unanswered"))
	ctx, cancel := context.WithTimeout(context.Background(), s.interval)
	defer cancel()
	ps, _ := s.open(ctx) // on error go-redis retries at the next receive
	s.mu.Lock()
	old := s.ps
	if s.closed {
		old = ps
	} else {
		s.ps = ps
	}
	s.mu.Unlock()
	_ = old.Close()
}

func (s *subscriber) sleep(d time.Duration) bool {
	select {
	case <-time.After(d):
		return true
	case <-s.stop:
		return false
	}
}

func (s *subscriber) close() {
	s.mu.Lock()
	s.closed = true
	ps := s.ps
	s.mu.Unlock()
	close(s.stop)
	_ = ps.Close()
	s.wg.Wait()
}
