package media

import (
	"net/netip"
	"testing"
	"time"
)

// sameSlotSSRCs returns n SSRCs that share one slot of Tracker.recent.
func sameSlotSSRCs(n int) []uint32 {
	var out []uint32
	want := recentSlot(1)
	for ssrc := uint32(1); len(out) < n; ssrc++ {
		if recentSlot(ssrc) == want {
			out = append(out, ssrc)
		}
	}
	return out
}

// TestTrackerRecentCache checks the direct-mapped cache in front of the stream table:
// streams that share a slot, or an SSRC, are still told apart, and a stream evicted for
// idleness starts over when it resumes, whatever the cache held.
func TestTrackerRecentCache(t *testing.T) {
	ssrcs := sameSlotSSRCs(3)
	other := netip.MustParseAddrPort("10.0.0.2:16384")
	type key struct {
		src  netip.AddrPort
		ssrc uint32
	}
	// Interleave: three SSRCs in one slot, and the first SSRC again from another source.
	keys := []key{{addrA, ssrcs[0]}, {addrA, ssrcs[1]}, {addrA, ssrcs[2]}, {other, ssrcs[0]}}
	tr := NewTracker(TrackerConfig{IdleTimeout: time.Second})
	const rounds = 50
	at := testEpoch
	for i := range rounds {
		for _, k := range keys {
			at = at.Add(5 * time.Millisecond)
			pkt := synth{src: k.src, dst: addrB, ssrc: k.ssrc, seq: uint16(i), ts: uint32(i) * 160, payload: 160}.rtpBytes()
			if s := tr.AddRTP(k.src, addrB, pkt, at, i); s == nil || s.SSRC() != k.ssrc || s.Src() != k.src {
				t.Fatalf("round %d, %v: AddRTP returned the wrong stream %v", i, k, s)
			}
		}
	}
	if tr.Len() != len(keys) {
		t.Fatalf("%d streams held, want %d", tr.Len(), len(keys))
	}
	for _, k := range keys {
		s := tr.Lookup(StreamKey{Src: k.src, Dst: addrB, SSRC: k.ssrc})
		if s == nil || s.Stats().Packets != rounds || s.Stats().Lost != 0 {
			t.Errorf("%v: stream %v, want %d packets and no loss", k, s, rounds)
		}
	}

	// The first stream goes silent past the timeout while the others go on; when it
	// resumes, it is a new stream, not the one the cache slot may still point to.
	var evicted []*Stream
	tr.cfg.OnEvict = func(s *Stream) { evicted = append(evicted, s) }
	old := tr.Lookup(StreamKey{Src: addrA, Dst: addrB, SSRC: ssrcs[0]})
	for i := range 300 {
		at = at.Add(5 * time.Millisecond)
		k := keys[1+i%3]
		pkt := synth{src: k.src, dst: addrB, ssrc: k.ssrc, seq: uint16(rounds + i), ts: uint32(rounds+i) * 160, payload: 160}.rtpBytes()
		tr.AddRTP(k.src, addrB, pkt, at, rounds*len(keys)+i)
	}
	if len(evicted) != 1 || evicted[0] != old {
		t.Fatalf("evicted %v, want the silent stream %p only", evicted, old)
	}
	pkt := synth{src: addrA, dst: addrB, ssrc: ssrcs[0], seq: 1000, ts: 160000, payload: 160}.rtpBytes()
	s := tr.AddRTP(addrA, addrB, pkt, at.Add(time.Millisecond), 100000)
	if s == old || s.Stats().Packets != 1 {
		t.Errorf("the resumed stream is %p with %d packets, want a new stream with 1 (the old one was %p)", s, s.Stats().Packets, old)
	}
}

// BenchmarkTrackerAddRTP is the Tracker's per-packet cost as on a busy link: 200 streams
// whose packets interleave, so that each packet moves its stream in the LRU list and finds
// it through the cache or the table.
func BenchmarkTrackerAddRTP(b *testing.B) {
	const streams = 200
	tr := NewTracker(TrackerConfig{})
	pkts := make([][]byte, streams)
	srcs := make([]netip.AddrPort, streams)
	for i := range pkts {
		srcs[i] = netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}), uint16(20000+2*i))
		pkts[i] = synth{src: srcs[i], dst: addrB, ssrc: uint32(0x1000 + 7919*i), payload: 160}.rtpBytes()
	}
	at := testEpoch
	b.ReportAllocs()
	b.SetBytes(int64(len(pkts[0])))
	i := 0
	for b.Loop() {
		k := i % streams
		n := i / streams
		p := pkts[k]
		p[2], p[3] = byte(n>>8), byte(n)
		ts := uint32(n) * 160
		p[4], p[5], p[6], p[7] = byte(ts>>24), byte(ts>>16), byte(ts>>8), byte(ts)
		at = at.Add(100 * time.Microsecond)
		tr.AddRTP(srcs[k], addrB, p, at, i)
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "packets/s")
}

// TestPacketSub checks unixTime's subUnix against time.Time.Sub, near and far from 1970,
// where it must fall back to Sub's saturation, and its after against After.
func TestPacketSub(t *testing.T) {
	times := []time.Time{
		testEpoch, testEpoch.Add(20 * time.Millisecond), testEpoch.Add(-time.Nanosecond),
		time.Unix(0, 0), time.Unix(1<<32-1, 999999999), time.Unix(-(1<<32)+1, 0),
		time.Unix(1<<32, 0), time.Unix(1<<40, 5), time.Unix(-(1 << 40), 7),
		{}, time.Unix(1<<62, 0).UTC(), time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
	}
	for _, a := range times {
		for _, b := range times {
			au, bu := unixOf(a), unixOf(b)
			if got, want := subUnix(au, bu, a, b), a.Sub(b); got != want {
				t.Errorf("subUnix(%v, %v) = %v, want %v", a, b, got, want)
			}
			if got, want := au.after(bu), a.After(b); got != want {
				t.Errorf("unixOf(%v).after(%v) = %v, want %v", a, b, got, want)
			}
		}
	}
	if zeroUnix != unixOf(time.Time{}) || NewStream(addrA, addrB, 1).st.lastU != zeroUnix {
		t.Errorf("zeroUnix %v, a new stream's last packet %v, want the zero Time's", zeroUnix, NewStream(addrA, addrB, 1).st.lastU)
	}
}
