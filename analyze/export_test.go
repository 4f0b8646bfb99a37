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

// TestCallStateHotLine: the fields every RTP packet writes share the first cache line of
// a CallState, whose size class keeps it aligned to 64 bytes.
func TestCallStateHotLine(t *testing.T) {
	var c CallState
	end := unsafe.Offsetof(c.rtpFromTwilio) + unsafe.Sizeof(c.rtpFromTwilio)
	if unsafe.Offsetof(c.lastActive) != 0 || unsafe.Offsetof(c.rtpToTwilio) >= 64 || end > 64 {
		t.Errorf("lastActive, rtpToTwilio and rtpFromTwilio end at byte %d: not in the first 64", end)
	}
	// Go's size classes from 512 bytes up are multiples of 64 (576, 640, 704, ...), so a
	// CallState of 512 bytes or more starts on a cache line.
	if size := unsafe.Sizeof(c); size < 512 {
		t.Errorf("CallState is %d bytes: its size class may not keep it aligned to 64 bytes", size)
	}
}
