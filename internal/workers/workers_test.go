package workers

import (
	"runtime"
	"sync"
	"testing"

	"go.uber.org/goleak"
)

// TestPoolRunsEveryTaskAndKeepsIdleGoroutines: every task runs; after a
// burst at most maxIdle goroutines stay, and the next tasks run on them
// rather than on new ones; Close ends them.
func TestPoolRunsEveryTaskAndKeepsIdleGoroutines(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	const maxIdle, burst = 4, 50
	p := New(maxIdle)
	before := runtime.NumGoroutine()

	var wg sync.WaitGroup
	release := make(chan struct{})
	var mu sync.Mutex
	ran := 0
	for range burst { // all at once: each needs a goroutine of its own
		wg.Add(1)
		p.Go(func() {
			defer wg.Done()
			<-release
			mu.Lock()
			ran++
			mu.Unlock()
		})
	}
	close(release)
	wg.Wait()
	if ran != burst {
		t.Fatalf("%d of %d tasks ran", ran, burst)
	}
	waitIdle(t, p, maxIdle)
	if extra := settled(before, maxIdle); extra > maxIdle {
		t.Fatalf("%d goroutines left after the burst, at most %d may wait", extra, maxIdle)
	}

	// One task at a time reuses a waiting goroutine: none is started.
	for range 100 {
		done := make(chan struct{})
		p.Go(func() { close(done) })
		<-done
		waitIdle(t, p, maxIdle)
		if extra := settled(before, maxIdle); extra > maxIdle {
			t.Fatalf("%d goroutines for one task at a time, want the %d kept ones", extra, maxIdle)
		}
	}

	p.Close()
	// After Close a task still runs, on a goroutine that then ends.
	done := make(chan struct{})
	p.Go(func() { close(done) })
	<-done
}

// settled is how many goroutines there are beyond before, once those
// ending have ended (an ending goroutine is counted until it is gone): it
// waits, within reason, for at most want.
func settled(before, want int) int {
	extra := runtime.NumGoroutine() - before
	for i := 0; extra > want && i < 10_000; i++ {
		runtime.Gosched()
		extra = runtime.NumGoroutine() - before
	}
	return extra
}

// waitIdle waits until n goroutines wait for work (they return to the pool
// just after their task).
func waitIdle(t *testing.T, p *Pool, n int) {
	t.Helper()
	for range 10_000 {
		p.mu.Lock()
		idle := len(p.idle)
		p.mu.Unlock()
		if idle == n {
			return
		}
		runtime.Gosched()
	}
	t.Fatalf("the pool never had %d idle goroutines", n)
}
