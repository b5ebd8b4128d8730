package store

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// The statements every socket's connect and join run (a guest by id, a
// session by token, a guest's row) go to PostgreSQL in batches: a call that
// finds no batch of its statement in flight runs at once, and the calls that
// arrive while one is in flight go out together, as one statement, when it
// returns. A quiet server therefore waits for nothing, and a venue
// reconnecting at once costs PostgreSQL a few statements per round trip
// instead of one per phone: its per-statement work, and chatd's system calls
// to it, were a third of the connect path's CPU on both sides of the socket.

// batchTimeout bounds one batch; it serves many callers, so no caller's
// context may cut it short.
const batchTimeout = 10 * time.Second

// maxBatch bounds the calls of one batch (and so one statement's parameters).
const maxBatch = 500

// batcher runs calls of one statement together. run receives the inputs of
// a batch and returns one result per input, in order, or an error when the
// statement as a whole failed: the calls of a failed batch then run one by
// one, so one bad call fails alone.
type batcher[In, Out any] struct {
	run func(ctx context.Context, in []In) ([]batchResult[Out], error)
	// class, when set, keeps calls of different classes out of one batch
	// (say, guest rows written with different conflict rules): a batch takes
	// the calls of its first call's class.
	class func(In) string
	// key, when set, keeps two calls with the same key out of one batch (an
	// upsert cannot touch one row twice in a statement).
	key func(In) string

	mu       sync.Mutex
	queue    []*batchCall[In, Out]
	inFlight bool

	statements atomic.Int64 // statements run, retries included (tests and benchmarks)
}

type batchResult[Out any] struct {
	out Out
	err error
}

type batchCall[In, Out any] struct {
	in   In
	res  batchResult[Out]
	done chan struct{}
}

// do runs in with the calls queued beside it and returns its result. It
// returns ctx's error if ctx ends first; the batch still runs.
func (b *batcher[In, Out]) do(ctx context.Context, in In) (Out, error) {
	c := &batchCall[In, Out]{in: in, done: make(chan struct{})}
	b.mu.Lock()
	b.queue = append(b.queue, c)
	lead := !b.inFlight
	b.inFlight = true
	b.mu.Unlock()
	if lead {
		b.runBatches()
	}
	select {
	case <-c.done:
		return c.res.out, c.res.err
	case <-ctx.Done():
		var zero Out
		return zero, ctx.Err()
	}
}

// runBatches runs the queue's first batch; while calls wait, the next one
// runs on a goroutine of its own, so the caller that led a batch gets its
// answer as soon as the batch returns.
func (b *batcher[In, Out]) runBatches() {
	b.mu.Lock()
	batch := b.take()
	b.mu.Unlock()
	b.runOne(batch)
	b.mu.Lock()
	more := len(b.queue) > 0
	b.inFlight = more
	b.mu.Unlock()
	if more {
		go b.runBatches()
	}
}

// take removes the next batch from the queue; b.mu is held.
func (b *batcher[In, Out]) take() []*batchCall[In, Out] {
	if b.class == nil && b.key == nil && len(b.queue) <= maxBatch {
		batch := b.queue
		b.queue = nil
		return batch
	}
	var batch, rest []*batchCall[In, Out]
	var class string
	if b.class != nil {
		class = b.class(b.queue[0].in)
	}
	keys := map[string]bool{}
	for _, c := range b.queue {
		fits := len(batch) < maxBatch && (b.class == nil || b.class(c.in) == class)
		if fits && b.key != nil {
			k := b.key(c.in)
			fits = !keys[k]
			keys[k] = true
		}
		if fits {
			batch = append(batch, c)
		} else {
			rest = append(rest, c)
		}
	}
	b.queue = rest
	return batch
}

func (b *batcher[In, Out]) runOne(batch []*batchCall[In, Out]) {
	ctx, cancel := context.WithTimeout(context.Background(), batchTimeout)
	defer cancel()
	in := make([]In, len(batch))
	for i, c := range batch {
		in[i] = c.in
	}
	b.statements.Add(1)
	res, err := b.run(ctx, in)
	for i, c := range batch {
		switch {
		case err == nil:
			c.res = res[i]
		case len(batch) == 1:
			c.res.err = err
		default:
			b.statements.Add(1)
			one, err := b.run(ctx, in[i:i+1])
			if err != nil {
				c.res.err = err
			} else {
				c.res = one[0]
			}
		}
		close(c.done)
	}
}
