package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCPUProfile: IXAUDIT_CPUPROFILE writes a pprof profile (gzip-compressed protocol
// buffers) when it ends; a file that cannot be created leaves the run going without one.
func TestCPUProfile(t *testing.T) {
	name := filepath.Join(t.TempDir(), "cpu.pprof")
	var stderr bytes.Buffer
	stop := cpuProfile(name, &stderr)
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
	if stderr.Len() != 0 {
		t.Errorf("a profile written says %q", stderr.String())
	}
	cpuProfile(filepath.Join(t.TempDir(), "no", "such", "dir", "cpu.pprof"), &stderr)()
	if msg := stderr.String(); !strings.HasPrefix(msg, "ixaudit: IXAUDIT_CPUPROFILE: ") || !strings.Contains(msg, "no such file") {
		t.Errorf("a profile that cannot be written says %q", msg)
	}
	stderr.Reset()
	cpuProfile("", &stderr)()
	if stderr.Len() != 0 {
		t.Errorf("no profile asked for, yet %q", stderr.String())
	}
	_ = x
}
