// Package workers runs short tasks on goroutines that are kept between
// tasks.
//
// Why: the engine starts a goroutine for every burst a socket reads and
// every batch of packets it handles, thousands a second under a reconnect
// storm. A new goroutine starts on a 2 KiB stack and the chat handlers
// (JSON decoding, the store's calls) grow it two or three times, each time
// copying it; a kept goroutine has grown its stack already. Go offers no
// way to start a goroutine with a larger stack.
package workers

import "sync"

// Pool hands tasks to idle goroutines and starts a new one when none is
// idle. At most maxIdle goroutines wait for work; the rest end after their
// task. The zero Pool is not usable: use New.
type Pool struct {
	mu      sync.Mutex
	idle    []chan func() // most recently idle last: its stack is the warmest
	maxIdle int
	closed  bool
}

// New returns a pool that keeps up to maxIdle idle goroutines.
func New(maxIdle int) *Pool {
	return &Pool{maxIdle: maxIdle}
}

// Go runs task on an idle goroutine of the pool, or on a new one.
func (p *Pool) Go(task func()) {
	p.mu.Lock()
	if n := len(p.idle); n > 0 {
		w := p.idle[n-1]
		p.idle[n-1] = nil
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		w <- task // buffered: never blocks
		return
	}
	p.mu.Unlock()
	go p.work(task)
}

// work runs task, then waits for the next one while the pool has room for
// an idle goroutine.
func (p *Pool) work(task func()) {
	var next chan func()
	for {
		task()
		if next == nil {
			next = make(chan func(), 1)
		}
		p.mu.Lock()
		if p.closed || len(p.idle) >= p.maxIdle {
			p.mu.Unlock()
			return
		}
		p.idle = append(p.idle, next)
		p.mu.Unlock()
		var ok bool
		if task, ok = <-next; !ok {
			return
		}
	}
}

// Close ends the idle goroutines; goroutines still running a task end when
// it returns. Go may still be called after Close: the task runs on a
// goroutine of its own.
func (p *Pool) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for _, w := range p.idle {
		close(w)
	}
	p.idle = nil
}
