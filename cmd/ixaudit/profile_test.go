package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestCPUProfile: IXAUDIT_CPUPROFILE writes a pprof profile (gzip-compressed protocol
// buffers) when it ends; a file that cannot be created leaves the run going without one.
func TestCPUProfile(t *testing.T) {
	name := filepath.Join(t.TempDir(), "cpu.pprof")
	stop := cpuProfile(name)
	x := 0
	for i := range 10_000_000 {
		x += i % 7
	}
	stop()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
		t.Errorf("the profile (%d bytes) is not gzip-compressed as pprof writes it", len(b))
	}
	cpuProfile(filepath.Join(t.TempDir(), "no", "such", "dir", "cpu.pprof"))() // says so, goes on
	cpuProfile("")()
	_ = x
}
