package main

import (
	"math"
	"runtime/debug"
	"testing"
)

// TestMemoryLimit: the floor while the live heap is small, then 1.5 times the live heap
// plus the reserve, so that a large live state is never collected back to back.
func TestMemoryLimit(t *testing.T) {
	const mib = 1 << 20
	for _, tc := range []struct {
		live uint64
		want int64
	}{
		{0, heapFloor},
		{10 * mib, heapFloor},
		{16 * mib, heapFloor}, // 24 + 4 is below the floor
		{20 * mib, 34 * mib},
		{100 * mib, 154 * mib},
		{math.MaxUint64, math.MaxInt64},
	} {
		if got := memoryLimit(tc.live); got != tc.want {
			t.Errorf("memoryLimit(%d MiB) = %d MiB, want %d MiB", tc.live/mib, got/mib, tc.want/mib)
		}
		if got := memoryLimit(tc.live); got < int64(min(tc.live, math.MaxInt64/2)) {
			t.Errorf("memoryLimit(%d) = %d, below the live heap", tc.live, got)
		}
	}
}

// TestPaceMemoryRespectsEnvironment: with GOGC or GOMEMLIMIT set, the runtime's pacing
// is left alone.
func TestPaceMemoryRespectsEnvironment(t *testing.T) {
	for _, env := range []string{"GOGC", "GOMEMLIMIT"} {
		limit := debug.SetMemoryLimit(-1)
		percent := debug.SetGCPercent(-1)
		debug.SetGCPercent(percent)
		paceMemory(func(k string) string {
			if k == env {
				return "100"
			}
			return ""
		})
		if got := debug.SetMemoryLimit(-1); got != limit {
			t.Errorf("%s set: the memory limit changed from %d to %d", env, limit, got)
		}
		got := debug.SetGCPercent(percent)
		if got != percent {
			t.Errorf("%s set: GOGC changed from %d to %d", env, percent, got)
		}
	}
}
