package media

import (
	"net/netip"
	"reflect"
	"runtime"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

func TestTrackerSSRCChange(t *testing.T) {
	ms := time.Millisecond
	// The same 5-tuple changes SSRC (a re-INVITE, a media server switch) and restarts its
	// numbering: two streams, neither with loss.
	first := talk(0xaaaa, 0, 100, 40000, 0, 160, 20*ms, 0)
	second := talk(0xbbbb, 0, 100, 7, 999, 160, 20*ms, 2*time.Second)
	stats := feed(append(first, second...), nil)
	if len(stats) != 2 {
		t.Fatalf("%d streams, want 2", len(stats))
	}
	for _, ssrc := range []uint32{0xaaaa, 0xbbbb} {
		st := stats[StreamKey{addrA, addrB, ssrc}]
		if st.Packets != 100 || st.Lost != 0 || st.LostRFC3550 != 0 || st.Restarts != 0 {
			t.Errorf("ssrc %#x: packets %d lost %d/%d restarts %d, want 100 and no loss", ssrc, st.Packets, st.Lost, st.LostRFC3550, st.Restarts)
		}
	}
}

func TestTrackerOrderAndLookup(t *testing.T) {
	tr := NewTracker(TrackerConfig{})
	c := netip.MustParseAddrPort("10.0.0.9:5000")
	for i, src := range []netip.AddrPort{c, addrB, addrA, c} {
		p := synth{src: src, dst: addrA, ssrc: 9, seq: uint16(i)}
		tr.AddRTP(p.src, p.dst, p.rtpBytes(), testEpoch.Add(time.Duration(i)*time.Millisecond), 10+i)
	}
	var got []netip.AddrPort
	for _, s := range tr.Streams() {
		got = append(got, s.Src())
	}
	want := []netip.AddrPort{c, addrB, addrA} // by first packet
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("stream order %v, want %v", got, want)
	}
	if s := tr.Lookup(StreamKey{c, addrA, 9}); s == nil || s.Packets() != 2 {
		t.Errorf("Lookup: %v", s)
	}
	if tr.AddRTP(addrA, addrB, []byte("not rtp at all"), testEpoch, 99) != nil || tr.Len() != 3 {
		t.Errorf("a non-RTP payload made a stream")
	}
}

func TestTrackerMaxStreams(t *testing.T) {
	var evicted []uint32
	tr := NewTracker(TrackerConfig{MaxStreams: 4, IdleTimeout: -1, OnEvict: func(s *Stream) { evicted = append(evicted, s.SSRC()) }})
	add := func(ssrc uint32, at int) {
		p := synth{src: addrA, dst: addrB, ssrc: ssrc, seq: uint16(at)}
		tr.AddRTP(p.src, p.dst, p.rtpBytes(), testEpoch.Add(time.Duration(at)*time.Second), at)
	}
	for i := uint32(1); i <= 4; i++ {
		add(i, int(i))
	}
	add(1, 5) // stream 1 is active again: stream 2 is now the least recent
	add(5, 6)
	add(6, 7)
	if tr.Len() != 4 || tr.Evicted() != 2 {
		t.Errorf("len %d evicted %d, want 4 and 2", tr.Len(), tr.Evicted())
	}
	if len(evicted) != 2 || evicted[0] != 2 || evicted[1] != 3 {
		t.Errorf("evicted %v, want the least recently active [2 3]", evicted)
	}
	if tr.Lookup(StreamKey{addrA, addrB, 1}) == nil {
		t.Error("stream 1 was active and should have stayed")
	}
}

func TestTrackerIdleTimeout(t *testing.T) {
	var evicted []*Stream
	tr := NewTracker(TrackerConfig{IdleTimeout: 10 * time.Second, OnEvict: func(s *Stream) { evicted = append(evicted, s) }})
	ms := time.Millisecond
	quiet := talk(0x1, 0, 50, 1, 0, 160, 20*ms, 0)                     // stops at ~1 s
	busy := talk(0x2, 0, 1000, 1, 0, 160, 20*ms, 500*time.Millisecond) // runs to ~20.5 s
	for i, p := range mergeByTime(quiet, busy) {
		tr.AddRTP(p.src, p.dst, p.rtpBytes(), testEpoch.Add(p.at), i+1)
	}
	if len(evicted) != 1 || evicted[0].SSRC() != 0x1 || tr.Evicted() != 1 {
		t.Fatalf("evicted %d streams (count %d), want the quiet one", len(evicted), tr.Evicted())
	}
	if st := evicted[0].Stats(); st.Packets != 50 || st.Lost != 0 {
		t.Errorf("evicted stream keeps its stats: packets %d lost %d", st.Packets, st.Lost)
	}
	if tr.Len() != 1 {
		t.Errorf("%d streams left, want 1", tr.Len())
	}
	// Packet time only moves forward: an out-of-order old packet does not rewind it.
	tr.AddRTP(addrA, addrB, synth{ssrc: 0x3, seq: 1}.rtpBytes(), testEpoch, 99999)
	if tr.Len() != 2 {
		t.Errorf("late packet: %d streams", tr.Len())
	}
}

func TestTrackerOnNewSetsRTPMap(t *testing.T) {
	pkts := talk(0x77, 111, 20, 1, 0, 960, 20*time.Millisecond, 0)
	stats := feed(pkts, func(s *Stream) {
		if s.Packets() != 0 {
			t.Errorf("OnNew called after the first packet")
		}
		s.SetRTPMap(111, "opus", 48000)
	})
	st := stats[StreamKey{addrA, addrB, 0x77}]
	if st.Codec != "opus" || st.ClockRate != 48000 || !st.JitterValid {
		t.Errorf("codec %q rate %d jitter valid %v, want opus 48000 true", st.Codec, st.ClockRate, st.JitterValid)
	}
}

func TestTrackerRTCP(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name           string
		reporter, peer netip.AddrPort
		wantMatch      bool
	}{
		// The receiver (addrB) reports from its RTCP port (RTP + 1) to the sender's.
		{"rtcp on port+1", netip.AddrPortFrom(addrB.Addr(), addrB.Port()+1), netip.AddrPortFrom(addrA.Addr(), addrA.Port()+1), true},
		{"rtcp-mux", addrB, addrA, true},
		{"mixed", addrB, netip.AddrPortFrom(addrA.Addr(), addrA.Port()+1), true},
		{"from the sender itself", addrA, addrB, false},
		{"from elsewhere", netip.MustParseAddrPort("192.0.2.1:9"), addrA, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := NewTracker(TrackerConfig{})
			for i, p := range talk(0x5150, 0, 50, 1, 0, 160, 20*ms, 0) {
				tr.AddRTP(p.src, p.dst, p.rtpBytes(), testEpoch.Add(p.at), i+1)
			}
			rr := pionCompound(t, &rtcp.ReceiverReport{SSRC: 0x99, Reports: []rtcp.ReceptionReport{
				{SSRC: 0x5150, FractionLost: 128, TotalLost: 3, Jitter: 40},
				{SSRC: 0x4444, TotalLost: 1}, // a stream we do not hold
			}})
			var seen int
			if err := tr.AddRTCP(tt.reporter, tt.peer, rr, testEpoch.Add(2*time.Second), 777, func(r Report) { seen += len(r.Blocks) }); err != nil {
				t.Fatal(err)
			}
			if seen != 2 {
				t.Errorf("callback saw %d blocks, want 2", seen)
			}
			st := tr.Lookup(StreamKey{addrA, addrB, 0x5150}).Stats()
			if st.HasRemote != tt.wantMatch {
				t.Fatalf("report attached: %v, want %v", st.HasRemote, tt.wantMatch)
			}
			if !tt.wantMatch {
				return
			}
			want := RemoteReport{Packet: 777, Time: testEpoch.Add(2 * time.Second), FractionLost: 0.5, CumLost: 3, Jitter: 40, JitterMs: 5}
			if st.Remote != want {
				t.Errorf("remote report %+v, want %+v", st.Remote, want)
			}
		})
	}
}

// rtpWithExtension is a PCMU packet with an RFC 8285 one-byte header extension.
func rtpWithExtension(seq uint16) []byte {
	b := cat([]byte{0x90, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x12, 0x34}, []byte{0xbe, 0xde, 0, 1, 0x10, 0xaa, 0, 0}, make([]byte, 160))
	b[2], b[3] = byte(seq>>8), byte(seq)
	return b
}

func TestTrackerMalformedExtension(t *testing.T) {
	// A two-byte-header extension whose element runs past the extension: pion rejects the
	// header, the fixed fields still count.
	b := cat([]byte{0x90, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0x12, 0x34}, []byte{0x10, 0x00, 0, 1, 1, 9, 0, 0}, make([]byte, 20))
	var h rtp.Header
	if _, err := h.Unmarshal(b); err == nil {
		t.Fatal("pion accepted the malformed extension; the test needs a new example")
	}
	tr := NewTracker(TrackerConfig{})
	s := tr.AddRTP(addrA, addrB, b, testEpoch, 1)
	if s == nil || s.SSRC() != 0x1234 || s.Stats().Bytes != 20 {
		t.Fatalf("stream %v", s)
	}
}

func TestTrackerZeroAllocs(t *testing.T) {
	tr := NewTracker(TrackerConfig{})
	plain := synth{src: addrA, dst: addrB, ssrc: 1, payload: 160}.rtpBytes()
	ext := rtpWithExtension(0)
	for name, b := range map[string][]byte{"plain": plain, "extension": ext} {
		at := testEpoch
		seq := uint16(0)
		tr.AddRTP(addrA, addrB, b, at, 1) // create the stream (and warm the header's slices)
		allocs := testing.AllocsPerRun(1000, func() {
			seq++
			b[2], b[3] = byte(seq>>8), byte(seq)
			at = at.Add(20 * time.Millisecond)
			tr.AddRTP(addrA, addrB, b, at, int(seq))
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocations per RTP packet on an existing stream, want 0", name, allocs)
		}
	}
	for name, f := range map[string]func(){
		"IsRTP":    func() { IsRTP(plain) },
		"Classify": func() { Classify(plain) },
		"IsRTCP":   func() { IsRTCP(plain) },
	} {
		if a := testing.AllocsPerRun(100, f); a != 0 {
			t.Errorf("%s: %v allocations, want 0", name, a)
		}
	}
}

// TestTrackerMemoryFlat checks that a long stream costs no more memory than a short one:
// no heap allocation at all happens between packet 1,000 and packet 1,001,000.
func TestTrackerMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("a million packets")
	}
	tr := NewTracker(TrackerConfig{})
	b := synth{src: addrA, dst: addrB, ssrc: 1, payload: 160}.rtpBytes()
	at := testEpoch
	pkt := 0
	send := func(n int) {
		for i := 0; i < n; i++ {
			pkt++
			seq := uint16(pkt)
			b[2], b[3] = byte(seq>>8), byte(seq)
			at = at.Add(20 * time.Millisecond)
			tr.AddRTP(addrA, addrB, b, at, pkt)
		}
	}
	send(1000)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	send(1_000_000)
	runtime.ReadMemStats(&after)
	if d := after.TotalAlloc - before.TotalAlloc; d > 4096 {
		t.Errorf("a million packets allocated %d bytes (%d allocations), want none", d, after.Mallocs-before.Mallocs)
	}
	if st := tr.Lookup(StreamKey{addrA, addrB, 1}).Stats(); st.Packets != 1_001_000 || st.Lost != 0 {
		t.Errorf("packets %d lost %d", st.Packets, st.Lost)
	}
}

// TestTrackerHint feeds the same packets to a Tracker through AddRTP and to others
// through ParseRTP and AddRTPInfo with hints that are right, stale (the stream was evicted), of
// another SSRC of the flow, of another Tracker, or a random earlier stream: every
// stream's statistics, and the evictions, are AddRTP's whatever the hint.
func TestTrackerHint(t *testing.T) {
	ms := time.Millisecond
	c := netip.MustParseAddrPort("10.0.0.9:5000")
	var pkts []synth
	pkts = append(pkts, talk(0x1, 0, 300, 1, 0, 160, 20*ms, 0)...)
	pkts = append(pkts, talk(0x2, 0, 300, 9, 0, 160, 20*ms, 7*time.Second)...) // same flow, new SSRC
	late := talk(0x1, 0, 100, 500, 0, 160, 20*ms, 20*time.Second)              // after eviction
	pkts = append(pkts, late...)
	other := talk(0x3, 8, 900, 1, 0, 160, 20*ms, 100*ms)
	for i := range other {
		other[i].src, other[i].dst = c, addrA
	}
	pkts = mergeByTime(pkts, other)

	type result struct {
		stats   map[StreamKey]Stats
		evicted []Stats
	}
	run := func(pick func(i int, last map[[2]netip.AddrPort]*Stream, all []*Stream, foreign *Stream) *Stream) result {
		var r result
		cfg := TrackerConfig{IdleTimeout: 5 * time.Second, MaxStreams: 3, OnEvict: func(s *Stream) { r.evicted = append(r.evicted, s.Stats()) }}
		tr, foreignTr := NewTracker(cfg), NewTracker(TrackerConfig{})
		foreign := foreignTr.AddRTP(addrA, addrB, synth{ssrc: 0x1, seq: 1}.rtpBytes(), testEpoch, 1)
		last := map[[2]netip.AddrPort]*Stream{}
		var all []*Stream
		for i, p := range pkts {
			var s *Stream
			if pick == nil {
				s = tr.AddRTP(p.src, p.dst, p.rtpBytes(), testEpoch.Add(p.at), i+1)
			} else {
				var info RTPInfo
				if !ParseRTP(new(rtp.Header), p.rtpBytes(), &info) {
					t.Fatalf("packet %d is not RTP", i)
				}
				s = tr.AddRTPInfo(pick(i, last, all, foreign), p.src, p.dst, &info, testEpoch.Add(p.at), i+1)
			}
			if last[[2]netip.AddrPort{p.src, p.dst}] != s {
				all = append(all, s)
			}
			last[[2]netip.AddrPort{p.src, p.dst}] = s
		}
		r.stats = map[StreamKey]Stats{}
		for _, s := range tr.Streams() {
			r.stats[StreamKey{s.Src(), s.Dst(), s.SSRC()}] = s.Stats()
		}
		return r
	}
	want := run(nil)
	if len(want.evicted) < 2 {
		t.Fatalf("the packets evicted %d streams; the test needs evictions", len(want.evicted))
	}
	flow := func(i int) [2]netip.AddrPort { return [2]netip.AddrPort{pkts[i].src, pkts[i].dst} }
	for name, pick := range map[string]func(int, map[[2]netip.AddrPort]*Stream, []*Stream, *Stream) *Stream{
		"flow's last stream": func(i int, last map[[2]netip.AddrPort]*Stream, _ []*Stream, _ *Stream) *Stream { return last[flow(i)] },
		"first stream ever": func(_ int, _ map[[2]netip.AddrPort]*Stream, all []*Stream, _ *Stream) *Stream {
			return append(all, nil)[0]
		},
		"none":    func(int, map[[2]netip.AddrPort]*Stream, []*Stream, *Stream) *Stream { return nil },
		"foreign": func(_ int, _ map[[2]netip.AddrPort]*Stream, _ []*Stream, f *Stream) *Stream { return f },
		"any earlier": func(i int, _ map[[2]netip.AddrPort]*Stream, all []*Stream, _ *Stream) *Stream {
			if len(all) == 0 {
				return nil
			}
			return all[(i*7919)%len(all)]
		},
	} {
		got := run(pick)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("hint %s: the streams differ from AddRTP's:\n got %+v\nwant %+v", name, got, want)
		}
	}
}
