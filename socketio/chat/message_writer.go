package chat

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"chatd/store"
)

// Defaults of WriterConfig.
const (
	DefaultMessageBatch   = 1000
	DefaultMessageWriters = 2
	DefaultMessageQueue   = 4096

	// batchTimeout bounds the write of one batch.
	batchTimeout = 10 * time.Second
)

// WriterConfig tunes the group commit of messages.
type WriterConfig struct {
	// MaxBatch is the most messages written in one statement.
	MaxBatch int
	// Writers is how many batches may be in flight at once. While they all
	// are, new messages wait and go out together in the next batch.
	Writers int
	// Queue is how many messages may wait; a sender blocks beyond it.
	Queue int
}

func (c WriterConfig) withDefaults() WriterConfig {
	if c.MaxBatch <= 0 {
		c.MaxBatch = DefaultMessageBatch
	}
	if c.Writers <= 0 {
		c.Writers = DefaultMessageWriters
	}
	if c.Queue <= 0 {
		c.Queue = DefaultMessageQueue
	}
	return c
}

// errWriterClosed fails a message sent while the process shuts down.
var errWriterClosed = errors.New("chat: message writer closed")

// messageStore is what the writer writes through; *store.DB satisfies it.
type messageStore interface {
	// CreateMessages stores msgs, returning one error per message: nil when
	// stored, store.ErrConflict for an id already stored.
	CreateMessages(ctx context.Context, msgs []store.Message) []error
}

// messageWriter group-commits messages. A sender hands its message over and
// waits; whatever has queued when a writer is free goes out as one
// multi-row INSERT (one transaction), so under load a few statements a
// second carry thousands of messages, and a quiet server writes each
// message at once. A sender hears back only after its batch committed:
// acknowledged still means persisted.
type messageWriter struct {
	cfg   WriterConfig
	db    messageStore
	log   *slog.Logger
	queue chan pendingMessage
	slots chan struct{} // one token per batch in flight
	stop  chan struct{}

	mu      sync.RWMutex // held for reading while queueing, for writing by close
	closed  bool
	loop    sync.WaitGroup
	flights sync.WaitGroup
}

type pendingMessage struct {
	m    store.Message
	done chan error // buffered: the writer never blocks on a sender
}

func newMessageWriter(cfg WriterConfig, db messageStore, log *slog.Logger) *messageWriter {
	cfg = cfg.withDefaults()
	w := &messageWriter{cfg: cfg, db: db, log: log, queue: make(chan pendingMessage, cfg.Queue),
		slots: make(chan struct{}, cfg.Writers), stop: make(chan struct{})}
	w.loop.Add(1)
	go w.run()
	return w
}

// write stores m with the messages sent meanwhile and returns once the
// batch is committed (nil) or failed.
func (w *messageWriter) write(m store.Message) error {
	p := pendingMessage{m: m, done: make(chan error, 1)}
	w.mu.RLock()
	if w.closed {
		w.mu.RUnlock()
		return errWriterClosed
	}
	w.queue <- p
	w.mu.RUnlock()
	return <-p.done
}

// run starts a batch whenever a writer is free and a message waits.
func (w *messageWriter) run() {
	defer w.loop.Done()
	for {
		select {
		case w.slots <- struct{}{}:
		case <-w.stop:
			return
		}
		var batch []pendingMessage
		select {
		case p := <-w.queue:
			batch = append(batch, p)
		case <-w.stop:
			<-w.slots
			return
		}
		batch = w.drain(batch)
		w.flights.Add(1)
		go func() {
			defer w.flights.Done()
			w.flush(batch)
			<-w.slots
		}()
	}
}

// drain adds what waits in the queue, up to a full batch.
func (w *messageWriter) drain(batch []pendingMessage) []pendingMessage {
	for len(batch) < w.cfg.MaxBatch {
		select {
		case p := <-w.queue:
			batch = append(batch, p)
		default:
			return batch
		}
	}
	return batch
}

// flush writes one batch and tells each sender its message's fate.
func (w *messageWriter) flush(batch []pendingMessage) {
	ctx, cancel := context.WithTimeout(context.Background(), batchTimeout)
	defer cancel()
	msgs := make([]store.Message, len(batch))
	for i, p := range batch {
		msgs[i] = p.m
	}
	start := time.Now()
	errs := w.db.CreateMessages(ctx, msgs)
	for i, p := range batch {
		p.done <- errs[i]
	}
	w.log.Debug("messages written", slog.Int("count", len(batch)), slog.Duration("took", time.Since(start)))
}

// close writes what was queued before it and stops; a later write fails.
func (w *messageWriter) close() {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	close(w.stop)
	w.loop.Wait()
	w.flights.Wait()
	for {
		batch := w.drain(nil)
		if len(batch) == 0 {
			return
		}
		w.flush(batch)
	}
}
