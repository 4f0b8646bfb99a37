// Package corpus locates, for tests, the public capture corpus that lives beside the
// project (../shared/captures from the module root), and tshark. A fresh clone has no
// corpus: tests that need it skip with a message saying so.
package corpus

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Dir returns the shared capture corpus (the folder holding INDEX.tsv), or skips the test
// when it is absent.
func Dir(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("module root not found: the shared capture corpus cannot be located")
		}
		dir = parent
	}
	caps := filepath.Join(dir, "..", "shared", "captures")
	if _, err := os.Stat(filepath.Join(caps, "INDEX.tsv")); err != nil {
		t.Skipf("shared capture corpus not found at %s (it lives beside the project, not in it): skipped", caps)
	}
	return caps
}

// Tshark returns the path of tshark, or skips the test when it is not installed.
func Tshark(t testing.TB) string {
	t.Helper()
	path, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark is not installed: comparison with tshark skipped")
	}
	return path
}
