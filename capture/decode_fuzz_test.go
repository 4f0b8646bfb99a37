package capture

import (
	"slices"
	"testing"
	"unsafe"
)

// decodeFuzzLinks are the link types FuzzDecode chooses from; the last is not supported.
var decodeFuzzLinks = []LinkType{
	LinkEthernet, LinkLinuxSLL, LinkLinuxSLL2, LinkRaw, LinkRawBSD12, LinkRawOpenBSD14,
	LinkIPv4, LinkIPv6, LinkNull, LinkLoop, 147,
}

// FuzzDecode decodes packet a, then packet b into the same Frame, and checks that the
// result equals decoding b into a fresh Frame: no field survives from an earlier packet.
// It also checks that a decoded payload lies within the captured bytes, and that a gap is
// one of the known reasons.
func FuzzDecode(f *testing.F) {
	cases := decodeTCases(f)
	link := func(l LinkType) uint8 {
		if i := slices.Index(decodeFuzzLinks, l); i >= 0 {
			return uint8(i)
		}
		return uint8(len(decodeFuzzLinks) - 1)
	}
	for i, b := range cases {
		a := cases[(i+len(cases)/2)%len(cases)]
		extra := 0
		if b.wireLen > len(b.data) {
			extra = b.wireLen - len(b.data)
		}
		f.Add(link(a.link), a.data, link(b.link), b.data, uint16(extra))
	}
	f.Fuzz(func(t *testing.T, linkA uint8, a []byte, linkB uint8, b []byte, extra uint16) {
		var d Decoder
		pa := Packet{LinkType: decodeFuzzLinks[int(linkA)%len(decodeFuzzLinks)], Length: len(a), Data: a}
		pb := Packet{LinkType: decodeFuzzLinks[int(linkB)%len(decodeFuzzLinks)], Length: len(b) + int(extra), Data: b}
		var fresh, reused Frame
		gap := d.Decode(&pb, &fresh)
		d.Decode(&pa, &reused)
		if again := d.Decode(&pb, &reused); again != gap {
			t.Fatalf("gap %q after decoding another packet, %q fresh", again, gap)
		}
		if !decodeTEqual(fresh, reused) {
			t.Fatalf("frame after decoding another packet differs from a fresh one:\nfresh  %+v\nreused %+v", fresh, reused)
		}
		// The quick path (decodeQuick) decodes what the general path would.
		var general Frame
		if g := decodeLink(&pb, &general); g != gap || !decodeTEqual(fresh, general) || !sameSlice(fresh.Payload, general.Payload) {
			t.Fatalf("Decode gave %q, the general path %q:\nDecode  %+v\ngeneral %+v", gap, g, fresh, general)
		}
		if gap.String() == "unknown" || gap >= GapFragmentsIncomplete {
			t.Fatalf("Decode returned gap %d (%q), not a decoder's reason", gap, gap)
		}
		if gap != GapNone {
			return
		}
		if len(fresh.Payload) > 0 && !decodeFuzzWithin(fresh.Payload, b) {
			t.Fatalf("payload of %d bytes is not within the %d captured bytes", len(fresh.Payload), len(b))
		}
		if fresh.IPVersion != 4 && fresh.IPVersion != 6 {
			t.Fatalf("decoded a datagram of IP version %d", fresh.IPVersion)
		}
		if fresh.Cut && extra == 0 {
			t.Fatal("Cut set on a packet the snap length did not cut")
		}
	})
}

// sameSlice reports whether a and b are the same slice of the same array: same start,
// length and capacity.
func sameSlice(a, b []byte) bool {
	return len(a) == len(b) && cap(a) == cap(b) && unsafe.SliceData(a) == unsafe.SliceData(b)
}

// decodeFuzzWithin reports whether sub is a subslice of b.
func decodeFuzzWithin(sub, b []byte) bool {
	for off := 0; off+len(sub) <= len(b); off++ {
		if &b[off] == &sub[0] {
			return true
		}
	}
	return false
}
