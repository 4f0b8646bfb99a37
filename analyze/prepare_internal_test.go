package analyze

import (
	"math/rand/v2"
	"testing"
)

// TestPrepareVersion2 checks prepare's short cut for a payload whose first byte has
// version 2 in its top bits (0x80–0xbf), as RTP and RTCP have: it must prepare what
// prepareAny does, every test made. Payloads of every such first byte and of lengths
// around every threshold, the rest random or made to look like HEP3, SIP, a keep-alive,
// STUN, RTP or RTCP; and, for contrast, payloads of every other first byte.
func TestPrepareVersion2(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 9))
	tails := [][]byte{
		[]byte("EP3\x00\x10"), []byte("NVITE sip:a@b SIP/2.0\r\n"), []byte("IP/2.0 200 OK\r\n"),
		[]byte("\r\n\r\n"), {0, 0, 0, 0x21, 0x12, 0xa4, 0x42},
		{0x00, 0x01, 0x02, 0x03, 0, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef}, // RTP, PT 0
		{0xc8, 0x00, 0x06, 0x12, 0x34, 0x56, 0x78},                   // RTCP SR
	}
	var pr Preparer
	short, kinds := 0, map[string]int{}
	for first := range 256 {
		for size := 1; size < 64; size++ {
			for variant := range len(tails) + 3 {
				b := make([]byte, size)
				for i := range b {
					b[i] = byte(rng.Uint32())
				}
				if variant < len(tails) {
					copy(b[1:], tails[variant])
				}
				b[0] = byte(first)
				var got, want Prepared
				pr.prepare(b, &got)
				pr.prepareAny(b, &want)
				if got != want {
					t.Fatalf("% x: prepared %+v, every test made %+v", b, got, want)
				}
				if first >= 0x80 && first < 0xc0 {
					short++
					kinds[got.kind.String()]++
				}
			}
		}
	}
	if kinds["rtp"] == 0 || kinds["rtcp"] == 0 {
		t.Fatalf("short cut taken by %d payloads, none of some kind: %v", short, kinds)
	}
	t.Logf("short cut taken by %d payloads: %v", short, kinds)
}
