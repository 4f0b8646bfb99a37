package media

import (
	"net/netip"
	"slices"
	"time"
)

var (
	addrA = netip.MustParseAddrPort("10.0.0.1:16384")
	addrB = netip.MustParseAddrPort("168.86.128.10:20000")
)

// talk returns n packets of a constant-rate stream: sequence numbers from seq0, timestamps
// from ts0 advancing by step per packet, one packet every ptime, the first arriving at start.
func talk(ssrc uint32, pt uint8, n int, seq0 uint16, ts0, step uint32, ptime, start time.Duration) []synth {
	pkts := make([]synth, n)
	for i := range pkts {
		pkts[i] = synth{
			src: addrA, dst: addrB, ssrc: ssrc, pt: pt, payload: 160,
			seq: seq0 + uint16(i), ts: ts0 + uint32(i)*step,
			at: start + time.Duration(i)*ptime,
		}
	}
	return pkts
}

// without drops the packets at the given indices.
func without(pkts []synth, idx ...int) []synth {
	out := make([]synth, 0, len(pkts))
	for i, p := range pkts {
		if !slices.Contains(idx, i) {
			out = append(out, p)
		}
	}
	return out
}

// swapSeq exchanges the RTP headers (sequence number, timestamp) of packets i and i+1,
// keeping the arrival times: packet i+1 arrives first.
func swapSeq(pkts []synth, idx ...int) []synth {
	out := slices.Clone(pkts)
	for _, i := range idx {
		out[i].seq, out[i+1].seq = out[i+1].seq, out[i].seq
		out[i].ts, out[i+1].ts = out[i+1].ts, out[i].ts
	}
	return out
}

// dupAt repeats packet i right after itself, arriving d later.
func dupAt(pkts []synth, d time.Duration, idx ...int) []synth {
	out := make([]synth, 0, len(pkts)+len(idx))
	for i, p := range pkts {
		out = append(out, p)
		if slices.Contains(idx, i) {
			q := p
			q.at += d
			out = append(out, q)
		}
	}
	return out
}

// perturb adds f(i) to the arrival time of packet i.
func perturb(pkts []synth, f func(i int) time.Duration) []synth {
	out := slices.Clone(pkts)
	for i := range out {
		out[i].at += f(i)
	}
	return out
}

// mergeByTime merges streams into arrival order (stable for equal times).
func mergeByTime(streams ...[]synth) []synth {
	var all []synth
	for _, s := range streams {
		all = append(all, s...)
	}
	slices.SortStableFunc(all, func(a, b synth) int { return int(a.at - b.at) })
	return all
}
