package media

import (
	"math"
	"net/netip"
	"time"
)

// Bounds on per-stream tables: a stream costs the same memory whatever it carries.
const (
	maxPayloadTypes = 8  // payload types remembered per stream
	maxRTPMaps      = 16 // a=rtpmap entries remembered per stream
)

// Payload types with a meaning of their own in Wireshark's analysis.
const (
	ptCN    = 13 // comfort noise (RFC 3389)
	ptCNOld = 19 // comfort noise, reserved since RFC 3551
)

// rtpMap is one a=rtpmap entry.
type rtpMap struct {
	pt       uint8
	hz       uint32
	encoding string
}

// state is all a Stream counts. Its fields are grouped by the algorithm that owns them;
// those every packet updates come first, so that they share as few cache lines as can be.
type state struct {
	packets, bytes    int
	firstPkt, lastPkt int
	first, last       time.Time
	firstU, lastU     unixTime // first and last as unixTime

	pts  [maxPayloadTypes]uint8
	nPTs int

	ws  wireshark
	seq sequence

	maps []rtpMap // at most maxRTPMaps; allocated by the first SetRTPMap

	remote    RemoteReport
	hasRemote bool
}

func (st *state) setMap(pt uint8, encoding string, hz int) {
	if hz < 0 || hz > math.MaxUint32 {
		hz = 0
	}
	for i := range st.maps {
		if st.maps[i].pt == pt {
			st.maps[i] = rtpMap{pt: pt, hz: uint32(hz), encoding: encoding}
			return
		}
	}
	if len(st.maps) < maxRTPMaps {
		st.maps = append(st.maps, rtpMap{pt: pt, hz: uint32(hz), encoding: encoding})
	}
}

// lookup returns the encoding name and clock rate of payload type pt. A type that RFC 3551
// assigns statically keeps its static clock rate, as in Wireshark's analysis (SDP repeats
// it anyway), and takes its name from a=rtpmap if one was given. Other types take both from
// a=rtpmap; a mapped encoding without a rate gets the rate its name implies
// (dynamicClockRate).
func (st *state) lookup(pt uint8) (encoding string, hz uint32) {
	var static staticPayloadType
	if pt < 96 {
		static = staticPayloadTypes[pt]
	}
	for i := range st.maps {
		if m := &st.maps[i]; m.pt == pt {
			enc, hz := m.encoding, m.hz
			if enc == "" {
				enc = static.name
			}
			if static.hz != 0 {
				hz = static.hz
			}
			if hz == 0 {
				hz = dynamicClockRate(enc)
			}
			return enc, hz
		}
	}
	return static.name, static.hz
}

// jitterClock returns the clock rate Wireshark's analysis uses for payload type pt, or 0
// when jitter is not computed for it: a dynamic type needs an a=rtpmap (SetRTPMap,
// SetClockRate), and telephone-event (RFC 4733) is left out because its timestamp stays on
// the start of the event.
func (st *state) jitterClock(pt uint8) uint32 {
	if pt < 96 && staticPayloadTypes[pt].hz != 0 {
		return staticPayloadTypes[pt].hz // the common case, without a look at the maps
	}
	enc, hz := st.lookup(pt)
	if hasPrefixFold(enc, "telephone-event") {
		return 0
	}
	return hz
}

func (st *state) add(seq uint16, ts uint32, pt uint8, marker bool, payloadLen int, arrival time.Time, packet int) {
	st.addAt(seq, ts, pt, marker, payloadLen, arrival, unixOf(arrival), packet)
}

// addAt is add, given arrival as a unixTime too.
func (st *state) addAt(seq uint16, ts uint32, pt uint8, marker bool, payloadLen int, arrival time.Time, au unixTime, packet int) {
	if st.packets == 0 {
		st.first, st.firstU = arrival, au
		st.firstPkt = packet
	}
	st.packets++
	if payloadLen > 0 {
		st.bytes += payloadLen
	}
	st.last, st.lastU = arrival, au
	st.lastPkt = packet
	st.notePT(pt)

	ms := float64(subUnix(au, st.firstU, arrival, st.first)) / float64(time.Millisecond)
	st.ws.add(seq, ts, pt, marker, ms, st.jitterClock(pt))
	st.seq.add(seq)
}

func (st *state) notePT(pt uint8) {
	for _, p := range st.pts[:st.nPTs] {
		if p == pt {
			return
		}
	}
	if st.nPTs < len(st.pts) {
		st.pts[st.nPTs] = pt
		st.nPTs++
	}
}

// mainPT returns the payload type that names the stream's codec: the first one seen that is
// neither comfort noise nor telephone-event.
func (st *state) mainPT() (uint8, bool) {
	for _, pt := range st.pts[:st.nPTs] {
		if pt == ptCN || pt == ptCNOld {
			continue
		}
		if enc, _ := st.lookup(pt); hasPrefixFold(enc, "telephone-event") {
			continue
		}
		return pt, true
	}
	if st.nPTs > 0 {
		return st.pts[0], true
	}
	return 0, false
}

func (st *state) stats(src, dst netip.AddrPort, ssrc uint32) Stats {
	s := Stats{
		Src: src, Dst: dst, SSRC: ssrc,
		Packets:     st.packets,
		Bytes:       st.bytes,
		FirstPacket: st.firstPkt,
		LastPacket:  st.lastPkt,
		Start:       st.first,
		End:         st.last,
	}
	if st.nPTs > 0 {
		s.PayloadTypes = append([]uint8(nil), st.pts[:st.nPTs]...)
	}
	if pt, ok := st.mainPT(); ok {
		enc, hz := st.lookup(pt)
		s.Codec, s.ClockRate = enc, int(hz)
	}
	if st.packets > 0 {
		s.Expected, s.Lost = st.ws.expectedLost()
		s.SeqErrors = st.ws.seqErrors
		s.MinDeltaMs, s.MeanDeltaMs, s.MaxDeltaMs = st.ws.minDelta, st.ws.meanDelta, st.ws.maxDelta
		if s.MinDeltaMs < 0 {
			s.MinDeltaMs = 0
		}
		s.JitterMs, s.MeanJitterMs, s.MaxJitterMs = st.ws.jitter, st.ws.meanJitter, st.ws.maxJitter
		s.MinJitterMs = st.ws.minJitter
		s.JitterValid = s.MinJitterMs >= 0
		if !s.JitterValid {
			s.MinJitterMs = 0
		}
		s.LostRFC3550 = st.seq.lost()
		s.Restarts = st.seq.restarts
		s.Validated = st.seq.validated
		s.Duplicates = st.seq.dups
		s.OutOfOrder = st.seq.late
	}
	s.Remote, s.HasRemote = st.remote, st.hasRemote
	if s.HasRemote && s.ClockRate > 0 {
		s.Remote.JitterMs = float64(s.Remote.Jitter) * 1000 / float64(s.ClockRate)
	}
	// MOS takes the RFC 3550 loss: Wireshark's can count a spurious wrap as 65536 lost.
	s.MOS = EstimateMOS(s.Codec, s.Packets+s.LostRFC3550, s.LostRFC3550, s.MeanJitterMs)
	return s
}

// hasPrefixFold reports whether s begins with prefix, ASCII case-insensitively.
func hasPrefixFold(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		a, b := s[i], prefix[i]
		if 'A' <= a && a <= 'Z' {
			a += 'a' - 'A'
		}
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		if a != b {
			return false
		}
	}
	return true
}
