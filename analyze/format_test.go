package analyze

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"
)

// TestFormatTime checks the hand-written formatTime against Time.Format with timeLayout,
// on edge cases and on random times from year -50 to 10050, in and out of UTC.
func TestFormatTime(t *testing.T) {
	east := time.FixedZone("east", 5*3600+30*60)
	cases := []time.Time{
		{},
		time.Unix(0, 0),
		time.Unix(0, 999),
		time.Unix(0, 1000),
		time.Unix(-1, 999999999),
		time.Date(2024, 2, 29, 23, 59, 59, 999999999, time.UTC),
		time.Date(1999, 12, 31, 23, 59, 59, 999999000, time.UTC),
		time.Date(2000, 1, 1, 0, 0, 0, 0, east), // the day before, in UTC
		time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 12, 31, 23, 59, 59, 0, time.UTC),
	}
	r := rand.New(rand.NewPCG(1, 2))
	lo := time.Date(-50, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	hi := time.Date(10050, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	for range 20000 {
		tm := time.Unix(lo+r.Int64N(hi-lo), r.Int64N(1e9))
		if r.IntN(2) == 0 {
			tm = tm.In(east)
		}
		cases = append(cases, tm)
	}
	for _, tm := range cases {
		if got, want := formatTime(tm), tm.UTC().Format(timeLayout); got != want {
			t.Fatalf("formatTime(%v) = %q, want %q", tm, got, want)
		}
	}
}

func BenchmarkFormatTime(b *testing.B) {
	tm := time.Date(2026, 11, 27, 13, 7, 14, 123456789, time.UTC)
	for b.Loop() {
		_ = formatTime(tm)
	}
}

// TestStreamOfStrings checks the strings streamOf writes into one against the way each
// is written alone: AddrPort.String, "0x%08X" and formatTime, on IPv4, IPv6, IPv4-mapped
// and zoned addresses, the zero AddrPort, and random SSRCs and times.
func TestStreamOfStrings(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	addrs := []netip.AddrPort{
		{},
		netip.MustParseAddrPort("203.0.113.7:5060"),
		netip.MustParseAddrPort("168.86.128.1:10000"),
		netip.MustParseAddrPort("[2001:db8::1]:65535"),
		netip.MustParseAddrPort("[::ffff:10.0.0.1]:0"),
		netip.MustParseAddrPort("[fe80::1%eth0]:4000"),
		netip.AddrPortFrom(netip.AddrFrom4([4]byte{255, 255, 255, 255}), 65535),
	}
	times := []time.Time{{}, time.Unix(0, 0), time.Date(10001, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 27, 21, 4, 41, 123456789, time.FixedZone("x", 3600))}
	ssrcs := []uint32{0, 1, 0xdeadbeef, 0xffffffff, 0x0000abcd}
	for i := range 2000 {
		var sr streamRecord
		s := &sr.stats
		s.Src, s.Dst = addrs[r.IntN(len(addrs))], addrs[r.IntN(len(addrs))]
		s.SSRC = ssrcs[i%len(ssrcs)]
		if i >= len(ssrcs) {
			s.SSRC = r.Uint32()
		}
		s.Start, s.End = times[r.IntN(len(times))], time.Unix(r.Int64N(4e9), r.Int64N(1e9))
		if i%3 == 0 {
			s.PayloadTypes = []uint8{0, 101, uint8(r.IntN(128))}
		}
		st := streamOf(&sr)
		want := Stream{
			Src: s.Src.String(), Dst: s.Dst.String(), SSRC: fmt.Sprintf("0x%08X", s.SSRC),
			Start: formatTime(s.Start), End: formatTime(s.End),
		}
		if st.Src != want.Src || st.Dst != want.Dst || st.SSRC != want.SSRC || st.Start != want.Start || st.End != want.End {
			t.Fatalf("streamOf strings: src %q dst %q ssrc %q start %q end %q, want %q %q %q %q %q",
				st.Src, st.Dst, st.SSRC, st.Start, st.End, want.Src, want.Dst, want.SSRC, want.Start, want.End)
		}
		if len(st.PayloadTypes) != len(s.PayloadTypes) {
			t.Fatalf("payload types %v, want %v", st.PayloadTypes, s.PayloadTypes)
		}
		for k, pt := range s.PayloadTypes {
			if st.PayloadTypes[k] != int(pt) {
				t.Fatalf("payload types %v, want %v", st.PayloadTypes, s.PayloadTypes)
			}
		}
	}
}
