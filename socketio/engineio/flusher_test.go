package engineio

import (
	"testing"
	"time"
)

// The gap between batches grows with what a batch takes, so that under
// load more frames share one writev, within bounds that keep latency low.
func TestFlusherGapFollowsTheLoad(t *testing.T) {
	tests := []struct {
		took, want time.Duration
	}{
		{0, 5 * time.Millisecond},                                          // idle: the interval
		{time.Millisecond, 5 * time.Millisecond},                           // light: still the interval
		{2 * time.Millisecond, 8 * time.Millisecond},                       // loaded: four batches' time
		{50 * time.Millisecond, 20 * time.Millisecond},                     // overloaded: at most four intervals
		{5*time.Millisecond + 500*time.Microsecond, 20 * time.Millisecond}, // just past the cap
	}
	for _, tt := range tests {
		f := &flusher{interval: 5 * time.Millisecond, took: tt.took}
		if got := f.gap(); got != tt.want {
			t.Errorf("after a batch of %v: gap %v, want %v", tt.took, got, tt.want)
		}
	}
}
