package media

import (
	"math"
	"slices"
	"testing"
	"time"
)

// The figures below are compared with TShark (Wireshark) 4.0.17, the Debian 12 package
// (`tshark -v`: "TShark (Wireshark) 4.0.17 (Git v4.0.17 packaged as 4.0.17-0+deb12u3)").

// jitterClose reports whether our figure is within 5% or 0.1 ms of tshark's (which prints
// three decimals).
func jitterClose(ours, theirs float64) bool {
	d := math.Abs(ours - theirs)
	return d <= 0.1 || d <= 0.05*math.Abs(theirs)
}

// feed runs pkts through a Tracker as the engine would, and returns the streams' stats by key.
func feed(pkts []synth, setup func(*Stream)) map[StreamKey]Stats {
	tr := NewTracker(TrackerConfig{OnNew: setup})
	for i, p := range pkts {
		tr.AddRTP(p.src, p.dst, p.rtpBytes(), testEpoch.Add(p.at), i+1)
	}
	out := make(map[StreamKey]Stats)
	for _, s := range tr.Streams() {
		out[StreamKey{s.Src(), s.Dst(), s.SSRC()}] = s.Stats()
	}
	return out
}

// scenarios are synthetic captures whose loss and jitter tshark must agree with.
func scenarios() map[string][]synth {
	ms := time.Millisecond
	clean := talk(0x1111, 0, 300, 1000, 5000, 160, 20*ms, 0)
	wobble := func(i int) time.Duration { return time.Duration((i*7)%11) * ms / 2 }
	return map[string][]synth{
		"clean":        clean,
		"loss":         without(clean, 10, 11, 50, 120, 121, 122, 299),
		"firstLost":    without(clean, 0, 1),
		"reorder":      swapSeq(clean, 20, 40, 41, 100),
		"lastReorder":  swapSeq(clean, 298),
		"firstReorder": perturb(swapSeq(clean, 0), wobble),
		"duplicates":   dupAt(clean, 3*ms, 0, 5, 6, 200),
		"wrap":         talk(0x2222, 8, 400, 65400, 1<<32-20000, 160, 20*ms, 0),
		"wrapLoss":     without(talk(0x2222, 8, 400, 65400, 0, 160, 20*ms, 0), 135, 136, 137),
		"wrapLostZero": without(talk(0x2222, 8, 400, 65500, 0, 160, 20*ms, 0), 35, 36),
		"wrapReorder1": swapSeq(talk(0x2222, 8, 400, 65500, 0, 160, 20*ms, 0), 35),
		"wrapReorder":  perturb(swapSeq(talk(0x2222, 8, 400, 65500, 0, 160, 20*ms, 0), 35, 36), wobble),
		"wrapTwice":    without(talk(0x2222, 0, 65700, 65500, 0, 160, 20*ms, 0), 7, 40000, 40001),
		"jitter":       perturb(clean, wobble),
		"jitterLoss":   perturb(without(clean, 30, 31, 90), wobble),
		"g722":         perturb(talk(0x3333, 9, 200, 7, 0, 160, 20*ms, 0), wobble),
		"l16":          perturb(talk(0x4444, 11, 200, 7, 0, 882, 20*ms, 0), wobble),
		"dynamic":      perturb(talk(0x5555, 96, 200, 7, 0, 960, 20*ms, 0), wobble),
		"talkspurts":   perturb(talkspurts(), wobble),
		"example": without(perturb(talk(0x5eed, 0, 50, 1000, 0, 160, 20*ms, 0),
			func(i int) time.Duration { return time.Duration(i%3) * ms }), 10, 11), // the package Example
		"seqJump":     perturb(seqJump(clean, 150, 20000), wobble),
		"seqJumpBack": perturb(seqJump(clean, 150, 65536-1100), wobble),
		"tsJump":      perturb(tsJump(clean, 100, 1<<31), wobble),
		"hold":        perturb(append(talk(0x1111, 0, 100, 1, 0, 160, 20*ms, 0), talk(0x1111, 0, 100, 101, 100*160, 160, 20*ms, 30*time.Second)...), wobble),
		"dtmf":        perturb(dtmf(clean, 100, 20), wobble),
		"twoSSRC": mergeByTime(
			perturb(talk(0x6666, 0, 150, 40000, 0, 160, 20*ms, 0), wobble),
			perturb(talk(0x7777, 0, 150, 3, 99999, 160, 20*ms, 3*time.Second+5*ms), wobble)),
	}
}

// talkspurts returns a PCMA stream in spurts of 40 packets, each starting with the marker
// bit and ending with a comfort-noise packet, separated by 400 ms of silence.
func talkspurts() []synth {
	ms := time.Millisecond
	var out []synth
	seq, ts, at := uint16(500), uint32(8000), time.Duration(0)
	for spurt := 0; spurt < 5; spurt++ {
		for i := 0; i < 40; i++ {
			out = append(out, synth{src: addrA, dst: addrB, ssrc: 0x8888, pt: 8, payload: 160,
				seq: seq, ts: ts, at: at, marker: i == 0})
			seq++
			ts += 160
			at += 20 * ms
		}
		out = append(out, synth{src: addrA, dst: addrB, ssrc: 0x8888, pt: 13, payload: 1, seq: seq, ts: ts, at: at})
		seq++
		ts += 160 + 3200
		at += 20*ms + 400*ms
	}
	return out
}

// seqJump adds jump to the sequence numbers of packets from index i on.
func seqJump(pkts []synth, i int, jump uint16) []synth {
	out := slices.Clone(pkts)
	for k := i; k < len(out); k++ {
		out[k].seq += jump
	}
	return out
}

// tsJump adds jump to the timestamps of packets from index i on.
func tsJump(pkts []synth, i int, jump uint32) []synth {
	out := slices.Clone(pkts)
	for k := i; k < len(out); k++ {
		out[k].ts += jump
	}
	return out
}

// dtmf replaces n packets from index i with an RFC 4733 event (PT 101) whose timestamp
// stays on the event start.
func dtmf(pkts []synth, i, n int) []synth {
	out := slices.Clone(pkts)
	for k := i; k < i+n && k < len(out); k++ {
		out[k].pt = 101
		out[k].ts = out[i].ts
		out[k].payload = 4
		out[k].marker = k == i
	}
	return out
}

func TestTsharkSynthetic(t *testing.T) {
	if testing.Short() {
		t.Skip("runs tshark on generated captures")
	}
	needTshark(t)
	for name, pkts := range scenarios() {
		t.Run(name, func(t *testing.T) {
			path := tempPcap(t, name)
			writePcap(t, path, pkts)
			rows := tsharkStreams(t, path, "-o", "rtp.heuristic_rtp:TRUE")
			ours := feed(pkts, nil)
			if len(rows) != len(ours) {
				t.Fatalf("tshark found %d streams, we found %d", len(rows), len(ours))
			}
			for _, r := range rows {
				s, ok := ours[StreamKey{r.Src, r.Dst, r.SSRC}]
				if !ok {
					t.Errorf("tshark stream %v: not found by us", r)
					continue
				}
				if s.Packets != r.Pkts || s.Lost != r.Lost {
					t.Errorf("%v: we count %d packets, %d lost; tshark %d, %d", r, s.Packets, s.Lost, r.Pkts, r.Lost)
				}
				if !jitterClose(s.MeanJitterMs, r.MeanJitter) || !jitterClose(s.MaxJitterMs, r.MaxJitter) {
					t.Errorf("%v: our jitter mean %.3f max %.3f", r, s.MeanJitterMs, s.MaxJitterMs)
				}
				if math.Abs(s.MaxDeltaMs-r.MaxDelta) > 0.001 || math.Abs(s.MeanDeltaMs-r.MeanDelta) > 0.001 || math.Abs(s.MinDeltaMs-r.MinDelta) > 0.001 {
					t.Errorf("%v: our delta min %.3f mean %.3f max %.3f; tshark %.3f %.3f %.3f", r, s.MinDeltaMs, s.MeanDeltaMs, s.MaxDeltaMs, r.MinDelta, r.MeanDelta, r.MaxDelta)
				}
				if r.MinJitter == -1 { // never set: no jitter sample
					r.MinJitter = 0
				}
				if math.Abs(s.MinJitterMs-r.MinJitter) > 0.001 || math.Abs(s.MeanJitterMs-r.MeanJitter) > 0.001 || math.Abs(s.MaxJitterMs-r.MaxJitter) > 0.001 {
					t.Logf("%v: jitter not exact to the printed digit: ours min %.4f mean %.4f max %.4f; tshark %.3f %.3f %.3f", r, s.MinJitterMs, s.MeanJitterMs, s.MaxJitterMs, r.MinJitter, r.MeanJitter, r.MaxJitter)
				}
			}
		})
	}
}
