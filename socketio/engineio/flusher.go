package engineio

import (
	"sync"
	"time"
)

// flusher writes the websocket sessions that have frames waiting, in
// batches: at most one batch per gap (the interval, longer under load), at
// once when it has been idle longer than that. Under load every connection's frames of the last
// interval leave in one writev, which is what makes a broadcast to a
// thousand sockets cheap; when idle, a frame leaves at once. A connection
// whose socket buffer is full is handed to a writer goroutine of its own,
// so one slow client never holds up the batch.
type flusher struct {
	interval time.Duration

	mu      sync.Mutex
	dirty   []*wsConn
	stopped bool
	wake    chan struct{}
	stop    chan struct{}
	done    chan struct{}

	// owned by the run goroutine
	last  time.Time
	took  time.Duration // how long the last batch took
	spare []*wsConn
	w     *batchWriter
}

func newFlusher(interval time.Duration) *flusher {
	f := &flusher{interval: interval, wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
		w: newBatchWriter()}
	go f.run()
	return f
}

// add schedules c; it reports false once the flusher is stopped.
func (f *flusher) add(c *wsConn) bool {
	f.mu.Lock()
	if f.stopped {
		f.mu.Unlock()
		return false
	}
	f.dirty = append(f.dirty, c)
	first := len(f.dirty) == 1
	f.mu.Unlock()
	if first {
		select {
		case f.wake <- struct{}{}:
		default:
		}
	}
	return true
}

func (f *flusher) run() {
	defer close(f.done)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case <-f.wake:
		case <-f.stop:
			f.flushAll()
			return
		}
		if wait := f.gap() - time.Since(f.last); wait > 0 {
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-f.stop:
				f.flushAll()
				return
			}
		}
		f.last = time.Now()
		f.flushAll()
		f.took = time.Since(f.last)
	}
}

// gap is the time between the starts of two batches: the interval, or
// under load four times what the last batch took (at most four intervals),
// so that writing never takes more than about a quarter of the time and
// each writev carries more frames as the load grows.
func (f *flusher) gap() time.Duration {
	return min(max(f.interval, 4*f.took), 4*f.interval)
}

// flushAll writes every connection scheduled so far.
func (f *flusher) flushAll() {
	f.mu.Lock()
	batch := f.dirty
	f.dirty = f.spare[:0]
	f.mu.Unlock()
	for _, c := range batch {
		c.flush(f.w)
	}
	clear(batch)
	f.spare = batch
}

// close stops the flusher after one last batch; connections scheduled
// later are closed by their sessions.
func (f *flusher) close() {
	f.mu.Lock()
	was := f.stopped
	f.stopped = true
	f.mu.Unlock()
	if !was {
		close(f.stop)
	}
	<-f.done
}
