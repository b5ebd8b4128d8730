package main

import (
	"context"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// memoryTrimPeriod is how often the trimmer looks at the heap.
const memoryTrimPeriod = 2 * time.Second

// trimMemory returns to the OS what a burst (a join storm, a flood of
// images) left behind once the process has gone quiet. The Go runtime
// collects only when the heap grows and forces a collection every two
// minutes, so without this an idle process keeps the burst's garbage, and
// the pages it freed, resident for minutes: with thousands of idle sockets
// that is more than the sockets themselves. Quiet means no collection
// during a whole period (little is being allocated); the trim runs only
// when the heap has grown by a tenth since the last one, so a process that
// stays idle pays for one collection, not one per period.
func trimMemory(ctx context.Context) {
	samples := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}, {Name: "/memory/classes/heap/objects:bytes"}}
	read := func() (cycles, heap uint64) {
		metrics.Read(samples)
		return samples[0].Value.Uint64(), samples[1].Value.Uint64()
	}
	lastCycles, _ := read()
	var trimmedAt uint64
	t := time.NewTicker(memoryTrimPeriod)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		cycles, heap := read()
		if cycles == lastCycles && heap > trimmedAt+trimmedAt/10 {
			debug.FreeOSMemory()
			cycles, trimmedAt = read()
		}
		lastCycles = cycles
	}
}
