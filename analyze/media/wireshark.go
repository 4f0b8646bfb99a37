package media

import "math"

// wireshark reproduces, field for field, the per-stream arithmetic of the RTP stream
// analysis of Wireshark 4.0 (rtppacket_analyse in ui/tap-rtp-analysis.c of 4.0.17, whose
// figures `tshark -q -z rtp,streams` prints through rtpstream_info_calculate in
// ui/tap-rtp-common.c), so that our loss, delta and jitter can be checked against tshark's.
// Its rules, quirks included:
//
//   - The first packet only initialises the state.
//   - A packet is "in time sequence" when its timestamp is less than 2^31 ticks ahead of
//     the FIRST packet's timestamp (modulo 2^32). Only such packets update the delta, the
//     jitter and the reference arrival time; a packet whose timestamp is behind the first
//     one leaves them alone.
//   - For an in-sequence packet whose payload type has a known clock rate, the nominal time
//     is (timestamp − first timestamp) mod 2^32 divided by the clock rate in ticks per
//     millisecond, computed in integer arithmetic (44100 Hz counts as 44); the transit
//     difference is D = |arrival − (previous arrival + nominal − previous nominal)|, where
//     "previous" is the last in-sequence packet (the last one with a known clock for the
//     nominal time), and the running jitter is J = (15·J + D)/16.
//   - Delta is the arrival time minus that of the last in-sequence packet.
//   - Minimum, mean and maximum of delta and jitter take only "regular" packets: not the
//     first, no marker bit, not comfort noise (PT 13 or 19), not right after comfort noise,
//     in time sequence. The means are running means (mean·(n−1) + x)/n where n counts every
//     earlier packet, regular or not, so irregular packets pull the mean down.
//   - Expected packets are the LAST packet's sequence number + 65536·wraps − the first
//     packet's sequence number + 1, where a wrap is counted when an in-sequence packet has a
//     sequence number below the first one (once per excursion); lost is expected minus
//     received. Duplicates therefore make loss negative, and a late last packet shifts it.
type wireshark struct {
	started   bool
	startSeq  uint16 // sequence number of the first packet (start_seq_nr)
	stopSeq   uint16 // sequence number of the last packet (stop_seq_nr)
	seqNum    uint16 // last sequence number accepted as in order (seq_num)
	cycles    int    // seq_cycles
	under     bool
	seqErrors int // sequence

	firstTS     uint32
	time        float64 // arrival of the last in-sequence packet, ms
	lastNominal float64
	pt          uint8

	total int // packets analysed (total_nr)

	delta, minDelta, maxDelta, meanDelta     float64
	jitter, minJitter, maxJitter, meanJitter float64
}

// add analyses one packet arriving at now (milliseconds, any fixed origin). clock is the
// clock rate of its payload type, 0 when jitter cannot be computed for it.
func (w *wireshark) add(seq uint16, ts uint32, pt uint8, marker bool, now float64, clock uint32) {
	if !w.started {
		*w = wireshark{
			started:  true,
			startSeq: seq, stopSeq: seq, seqNum: seq,
			firstTS:  ts,
			time:     now,
			pt:       pt,
			total:    1,
			minDelta: -1, minJitter: -1,
		}
		return
	}

	var inTime bool
	if first, cur := int64(w.firstTS), int64(ts); first <= cur {
		inTime = cur-first < 0x80000000
	} else {
		inTime = (0xffffffff-first)+cur < 0x80000000
	}

	switch {
	case seq < w.startSeq && inTime && !w.under:
		w.cycles++
		w.under = true
	case seq == 0 && w.stopSeq == 65535 && inTime && !w.under:
		w.cycles++
		w.under = true
	case seq > w.startSeq && inTime && w.under:
		w.under = false
	}

	last, cur := int(w.seqNum), int(seq)
	switch {
	case inTime && last+1 == cur:
		w.seqNum = seq
	case inTime && last == 65535 && cur == 0:
		w.seqNum = seq
	case inTime && (last+1 < cur || last-cur > 0xff00):
		w.seqNum = seq
		w.seqErrors++
	case last+1 > cur:
		w.seqErrors++
	}

	isCN := pt == ptCN || pt == ptCNOld
	followsCN := w.pt == ptCN || w.pt == ptCNOld
	w.pt = pt

	// Wireshark divides by clock/1000 in integer arithmetic; below 1000 Hz that is a
	// division by zero (an infinite jitter), which we treat as an unknown clock instead.
	ticks := clock / 1000
	var jitter float64
	if inTime {
		if ticks != 0 {
			nominal := float64(ts-w.firstTS) / float64(ticks)
			diff := math.Abs(now - (w.time + nominal - w.lastNominal))
			jitter = (15*w.jitter + diff) / 16
			w.delta = now - w.time
			w.jitter = jitter
			w.lastNominal = nominal
		} else {
			w.delta = now - w.time
		}
	}

	if !marker && !isCN && inTime && !followsCN {
		if w.delta > w.maxDelta {
			w.maxDelta = w.delta
		}
		if w.minDelta == -1 || w.delta < w.minDelta {
			w.minDelta = w.delta
		}
		n := float64(w.total)
		w.meanDelta = (w.meanDelta*(n-1) + w.delta) / n
		if ticks != 0 {
			if w.jitter > w.maxJitter {
				w.maxJitter = w.jitter
			}
			w.meanJitter = (w.meanJitter*(n-1) + jitter) / n
			if w.minJitter == -1 || w.jitter < w.minJitter {
				w.minJitter = w.jitter
			}
		}
	}

	if inTime {
		w.time = now
	}
	w.stopSeq = seq
	w.total++
}

// expectedLost returns Wireshark's expected and lost packet counts.
func (w *wireshark) expectedLost() (expected, lost int) {
	expected = int(w.stopSeq) + w.cycles*65536 - int(w.startSeq) + 1
	return expected, expected - w.total
}
