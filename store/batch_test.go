package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

// TestBatcher: calls that arrive while a batch is in flight go out together
// in the next one, each gets its own result, classes and keys split
// batches, and a failed batch is retried call by call so that only the bad
// call fails.
func TestBatcher(t *testing.T) {
	type in struct{ class, key string }
	tests := []struct {
		name  string
		calls []in // queued while the first call's batch is held
		bad   string
		want  [][]string // the keys of each batch after the first
		fail  []string   // keys whose call must fail
	}{
		{name: "together", calls: []in{{"a", "1"}, {"a", "2"}, {"a", "3"}}, want: [][]string{{"1", "2", "3"}}},
		{name: "classes", calls: []in{{"a", "1"}, {"b", "2"}, {"a", "3"}},
			want: [][]string{{"1", "3"}, {"2"}}},
		{name: "same key twice", calls: []in{{"a", "1"}, {"a", "1"}, {"a", "2"}},
			want: [][]string{{"1", "2"}, {"1"}}},
		{name: "one bad call", calls: []in{{"a", "1"}, {"a", "bad"}, {"a", "3"}}, bad: "bad",
			want: [][]string{{"1", "bad", "3"}, {"1"}, {"bad"}, {"3"}}, fail: []string{"bad"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hold := make(chan struct{})
			var mu sync.Mutex
			var batches [][]string
			b := &batcher[in, string]{
				class: func(i in) string { return i.class },
				key:   func(i in) string { return i.key },
				run: func(ctx context.Context, ins []in) ([]batchResult[string], error) {
					keys := make([]string, len(ins))
					res := make([]batchResult[string], len(ins))
					for i, x := range ins {
						keys[i] = x.key
						res[i].out = "r" + x.key
					}
					mu.Lock()
					batches = append(batches, keys)
					first := len(batches) == 1
					mu.Unlock()
					if first {
						<-hold
					}
					if tc.bad != "" && slices.Contains(keys, tc.bad) {
						return nil, errors.New("bad row")
					}
					return res, nil
				},
			}
			ctx := context.Background()
			firstDone := make(chan error, 1)
			go func() { _, err := b.do(ctx, in{"z", "first"}); firstDone <- err }()
			waitFor(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(batches) == 1 })
			errs := make([]error, len(tc.calls))
			outs := make([]string, len(tc.calls))
			var wg sync.WaitGroup
			for i, c := range tc.calls {
				wg.Add(1)
				go func() { defer wg.Done(); outs[i], errs[i] = b.do(ctx, c) }()
				waitFor(t, func() bool { b.mu.Lock(); defer b.mu.Unlock(); return len(b.queue) == i+1 })
			}
			close(hold)
			wg.Wait()
			if err := <-firstDone; err != nil {
				t.Fatal(err)
			}
			if got := batches[1:]; fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("batches %v, want %v", got, tc.want)
			}
			for i, c := range tc.calls {
				wantErr := slices.Contains(tc.fail, c.key)
				if (errs[i] != nil) != wantErr || (!wantErr && outs[i] != "r"+c.key) {
					t.Fatalf("call %v: %q, %v", c, outs[i], errs[i])
				}
			}
		})
	}
}

// TestBatcherContext: a caller waiting for a batch stops waiting when its
// context ends; the batch still runs for the others.
func TestBatcherContext(t *testing.T) {
	hold := make(chan struct{})
	var ran sync.Map
	b := &batcher[string, string]{run: func(ctx context.Context, in []string) ([]batchResult[string], error) {
		if in[0] == "lead" {
			<-hold
		}
		for _, x := range in {
			ran.Store(x, true)
		}
		return make([]batchResult[string], len(in)), nil
	}}
	lead := make(chan error, 1)
	go func() { _, err := b.do(context.Background(), "lead"); lead <- err }()
	waitFor(t, func() bool { b.mu.Lock(); defer b.mu.Unlock(); return b.inFlight })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := b.do(ctx, "x"); done <- err }()
	waitFor(t, func() bool { b.mu.Lock(); defer b.mu.Unlock(); return len(b.queue) == 1 })
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	close(hold)
	if err := <-lead; err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { _, ok := ran.Load("x"); return ok })
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
	}
}
