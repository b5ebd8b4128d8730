package redisadapter

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// The outbox is the one ordered queue of everything this adapter publishes
// (broadcasts, requests, answers). Callers only append to it; one goroutine
// publishes it in pipelined batches, so a burst of broadcasts costs one
// Redis round trip per batch and never one on the caller's goroutine. While
// Redis cannot take the messages they stay queued, in order, and are
// published when it can; the queue is bounded by bytes and by the age of its
// oldest message, and a message beyond either bound is refused at once with
// ErrNotDelivered.

const (
	maxBatchMessages = 512
	maxBatchBytes    = 1 << 20
	minRetryDelay    = 50 * time.Millisecond
	maxRetryDelay    = time.Second
)

type outMessage struct {
	channel string
	payload []byte
	at      time.Time
}

type outbox struct {
	client   *goredis.Client
	now      func() time.Time
	maxBytes int
	maxAge   time.Duration
	log      *slog.Logger
	metrics  nspMetrics

	mu        sync.Mutex
	queue     []outMessage // queue[head:] is waiting, oldest first
	head      int
	bytes     int
	closing   bool
	refusing  bool      // a refusal was logged in the current outage
	downSince time.Time // zero while publishing works

	wake     chan struct{}
	stop     chan struct{} // closed by close: publish what is left, then exit
	ctx      context.Context
	cancel   context.CancelFunc // at the close deadline: abandon what is left
	finished chan struct{}
}

func newOutbox(client *goredis.Client, cfg Config, log *slog.Logger, m nspMetrics) *outbox {
	ctx, cancel := context.WithCancel(context.Background())
	o := &outbox{
		client: client, now: cfg.Now, maxBytes: cfg.OutboxMaxBytes, maxAge: cfg.OutboxMaxAge,
		log: log, metrics: m,
		wake: make(chan struct{}, 1), stop: make(chan struct{}), finished: make(chan struct{}),
		ctx: ctx, cancel: cancel,
	}
	go o.run()
	return o
}

// push queues one message, or refuses it when the outbox is closed or
// beyond its bounds.
func (o *outbox) push(channel string, payload []byte) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closing {
		return ErrClosed
	}
	now := o.now()
	if o.head < len(o.queue) {
		if waited := now.Sub(o.queue[o.head].at); waited > o.maxAge {
			return o.refuse("redis_unreachable", fmt.Errorf("%w: redis has taken nothing for %s", ErrNotDelivered, waited.Round(time.Millisecond)))
		}
	}
	if o.bytes+len(payload) > o.maxBytes {
		return o.refuse("outbox_full", fmt.Errorf("%w: %d bytes already wait for redis", ErrNotDelivered, o.bytes))
	}
	o.queue = append(o.queue, outMessage{channel: channel, payload: payload, at: now})
	o.bytes += len(payload)
	o.metrics.outboxBytes.Set(float64(o.bytes))
	select {
	case o.wake <- struct{}{}:
	default:
	}
	return nil
}

// refuse counts a refused message and logs the first of an outage.
func (o *outbox) refuse(reason string, err error) error {
	o.metrics.dropped(reason).Inc()
	if !o.refusing {
		o.refusing = true
		o.log.Error("redis adapter refuses messages for other processes", slog.String("reason", reason),
			slog.Int("queued_messages", len(o.queue)-o.head), slog.Int("queued_bytes", o.bytes))
	}
	return err
}

func (o *outbox) run() {
	defer close(o.finished)
	delay := minRetryDelay
	for {
		batch, ok := o.next()
		if !ok {
			return
		}
		n, err := o.publish(batch)
		o.commit(n)
		if err == nil {
			o.healthy()
			delay = minRetryDelay
			continue
		}
		o.failed(err)
		select {
		case <-time.After(delay):
		case <-o.ctx.Done():
			return
		}
		delay = min(2*delay, maxRetryDelay)
	}
}

// next waits for messages and returns the oldest ones, up to a batch; it
// returns false once closing with nothing left, or past the close deadline.
func (o *outbox) next() ([]outMessage, bool) {
	for {
		if o.ctx.Err() != nil {
			return nil, false
		}
		o.mu.Lock()
		waiting := o.queue[o.head:]
		closing := o.closing
		o.mu.Unlock()
		if len(waiting) > 0 {
			return batchOf(waiting), true
		}
		if closing {
			return nil, false
		}
		select {
		case <-o.wake:
		case <-o.stop:
		}
	}
}

func batchOf(waiting []outMessage) []outMessage {
	size := 0
	for i, m := range waiting {
		if size += len(m.payload); i == maxBatchMessages || (i > 0 && size > maxBatchBytes) {
			return waiting[:i]
		}
	}
	return waiting
}

// publish sends batch in one pipeline and returns how many, from the
// first, Redis took.
func (o *outbox) publish(batch []outMessage) (int, error) {
	pipe := o.client.Pipeline()
	cmds := make([]*goredis.IntCmd, len(batch))
	for i, m := range batch {
		cmds[i] = pipe.Publish(o.ctx, m.channel, m.payload)
	}
	if _, err := pipe.Exec(o.ctx); err == nil {
		return len(batch), nil
	}
	for i, cmd := range cmds {
		if err := cmd.Err(); err != nil {
			return i, err
		}
	}
	return len(batch), nil
}

// commit removes the n oldest messages, published.
func (o *outbox) commit(n int) {
	if n == 0 {
		return
	}
	o.metrics.published.Add(float64(n))
	o.mu.Lock()
	defer o.mu.Unlock()
	for i := o.head; i < o.head+n; i++ {
		o.bytes -= len(o.queue[i].payload)
		o.queue[i] = outMessage{}
	}
	o.head += n
	switch {
	case o.head == len(o.queue):
		o.queue, o.head = o.queue[:0], 0
		o.refusing = false // the next refusal starts a new episode: log it
	case o.head > 1024 && o.head > len(o.queue)/2:
		o.queue = append(o.queue[:0], o.queue[o.head:]...)
		o.head = 0
	}
	o.metrics.outboxBytes.Set(float64(o.bytes))
}

func (o *outbox) failed(err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.downSince.IsZero() || o.ctx.Err() != nil {
		return
	}
	o.downSince = o.now()
	o.metrics.publishFailures.Inc()
	o.log.Warn("redis unreachable: holding messages for other processes", slog.Any("error", err),
		slog.Int("queued_messages", len(o.queue)-o.head), slog.Int("queued_bytes", o.bytes))
}

func (o *outbox) healthy() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.downSince.IsZero() {
		return
	}
	o.metrics.reconnects("publish").Inc()
	o.log.Info("redis reachable again: held messages published", slog.Duration("down_for", o.now().Sub(o.downSince)))
	o.downSince = time.Time{}
}

// close refuses new messages, lets the publisher empty the queue for up to
// timeout, then abandons (logs and counts) what is left.
func (o *outbox) close(timeout time.Duration) {
	o.mu.Lock()
	o.closing = true
	o.mu.Unlock()
	close(o.stop)
	timer := time.NewTimer(timeout)
	select {
	case <-o.finished:
	case <-timer.C:
	}
	timer.Stop()
	o.cancel()
	<-o.finished
	o.mu.Lock()
	defer o.mu.Unlock()
	if left := len(o.queue) - o.head; left > 0 {
		o.metrics.dropped("closed").Add(float64(left))
		o.log.Error("redis adapter closed with messages for other processes unpublished",
			slog.Int("dropped_messages", left), slog.Int("dropped_bytes", o.bytes))
		o.queue, o.head, o.bytes = nil, 0, 0
		o.metrics.outboxBytes.Set(0)
	}
}
