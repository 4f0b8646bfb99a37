package main

import (
	"math"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
)

// The garbage collector's default pacing (GOGC=100) collects when the heap has doubled
// since the last collection, so a process's peak memory is about twice its live heap. An
// audit's live heap is small (the calls and streams in progress, the records of the calls
// the report lists) but grows slowly along a capture, and with it the peak. ixaudit paces
// the collector by a floor instead: it collects when Go's memory reaches heapFloor, or
// one and a half times the live heap plus runtimeReserve when that is larger. An audit
// whose live state stays below (heapFloor-runtimeReserve)/1.5, about 18 MiB, then peaks at
// the same memory whatever the length of its capture; a larger live state is paced about
// as with GOGC=50, never collected back to back. The limit is set again after every
// collection. Users who set GOGC or GOMEMLIMIT keep the runtime's behaviour.
const (
	heapFloor      = 32 << 20 // bytes of Go memory (heap, stacks, runtime) before a collection
	runtimeReserve = 4 << 20  // headroom for what the runtime holds beside the live heap
)

// paceMemory installs the pacing above unless the environment sets GOGC or GOMEMLIMIT.
// It is called once, from main.
func paceMemory(getenv func(string) string) {
	if getenv("GOGC") != "" || getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetGCPercent(-1) // collect on the memory limit only
	setMemoryLimit()
	armMemoryLimit()
}

// armMemoryLimit arranges for setMemoryLimit to run after the next collection, and again
// after each one: the cleanup of an object that is unreachable as soon as it is made.
func armMemoryLimit() {
	sentinel := new([32]byte) // not a tiny allocation, which cleanups may not reach
	runtime.AddCleanup(sentinel, func(struct{}) {
		setMemoryLimit()
		armMemoryLimit()
	}, struct{}{})
}

// liveHeap is the metric setMemoryLimit reads.
var liveHeap = []metrics.Sample{{Name: "/gc/heap/live:bytes"}}

// setMemoryLimit sets the soft memory limit from the live heap of the last collection.
func setMemoryLimit() {
	metrics.Read(liveHeap)
	var live uint64
	if liveHeap[0].Value.Kind() == metrics.KindUint64 {
		live = liveHeap[0].Value.Uint64()
	}
	debug.SetMemoryLimit(memoryLimit(live))
}

// memoryLimit is the soft limit for a live heap of live bytes: heapFloor, or 1.5 times
// the live heap plus runtimeReserve when that is larger.
func memoryLimit(live uint64) int64 {
	if live > math.MaxInt64/4 {
		return math.MaxInt64
	}
	return max(heapFloor, int64(live)+int64(live)/2+runtimeReserve)
}
