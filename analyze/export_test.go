package analyze

import (
	"testing"
	"unsafe"
)

// PreparedFast reports whether Prepare marked p fast, for the tests of analyze_test.
func PreparedFast(p *Prepared) bool { return p.fast }

// TestPreparedSize: the analysis reads a fast packet's Prepared alone, and the read-ahead
// hands Prepareds over in arrays: one cache line each.
func TestPreparedSize(t *testing.T) {
	if n := unsafe.Sizeof(Prepared{}); n != 64 {
		t.Errorf("a Prepared takes %d bytes, not one 64-byte cache line", n)
	}
}
