package tcpstream

import (
	"container/heap"
	"net/netip"
	"time"

	"github.com/ixaudit/ixaudit/capture"
)

// jumpWindow is how far a segment may lie from the expected sequence number and still
// belong to the same byte stream. Further ahead or behind, the direction is taken to have
// restarted (a new connection on the same addresses whose SYN was not captured) and the
// stream resynchronises there.
const jumpWindow = 64 << 20

// keepBuffer is the largest buffer capacity an emptied direction keeps for reuse.
const keepBuffer = 16 << 10

// keepPieces is the largest piece-queue capacity an emptied direction keeps for reuse.
const keepPieces = 256

// Dispositions of a segment, in order of precedence: a segment whose bytes met several
// fates takes the smallest.
const (
	dispUsed uint8 = iota
	dispUnframed
	dispGap
	dispEvicted
	dispNone = 0xff
)

// why says why bytes that the Framer did not take at EOF are dropped.
type why uint8

const (
	whyGap      why = iota // end of stream or hole given up on: Truncated, Stats.Gap
	whyEvict               // stream evicted or flushed: Evicted, Stats.Evicted
	whyOverflow            // message larger than MaxBufferPerStream: Overflow, Stats.Evicted
)

func (w why) disposition() (uint8, Reason) {
	switch w {
	case whyEvict:
		return dispEvicted, Evicted
	case whyOverflow:
		return dispEvicted, Overflow
	}
	return dispGap, Truncated
}

// segRec follows one segment whose bytes are buffered until all of them met their fate.
type segRec struct {
	best uint8 // best disposition so far, dispNone before any
	refs int32 // pieces and spans still holding its bytes
}

// Assembler reassembles the TCP streams of one input. Create it with New.
type Assembler struct {
	cfg    Config
	framer Framer
	h      Handler

	streams map[Flow]*stream
	open    list     // open directions, least recently active first
	closed  list     // directions closed by FIN or RST, kept for late retransmissions
	memory  list     // directions holding memory, least recently active first
	holes   holeHeap // directions waiting for missing bytes

	recs     []segRec
	freeRecs []int32

	total int   // memory held, as MaxBufferTotal counts it
	now   int64 // the latest packet time seen, in Unix nanoseconds

	// cur is the direction of the segment being handled, and curPacket and curTime its
	// packet: messages that segment completes are attributed to it.
	cur       *stream
	curPacket int
	curTime   time.Time

	stats Stats
}

// New returns an Assembler that cuts streams into messages with framer and reports to h.
// Both must be non-nil.
func New(cfg Config, framer Framer, h Handler) *Assembler {
	if framer == nil || h == nil {
		panic("tcpstream: New needs a Framer and a Handler")
	}
	return &Assembler{
		cfg:     cfg.withDefaults(),
		framer:  framer,
		h:       h,
		streams: make(map[Flow]*stream),
		memory:  list{memory: true},
	}
}

// Stats returns the counters so far.
func (a *Assembler) Stats() Stats { return a.stats }

// Segment takes the TCP segment in f, the decoded packet number packet captured at t.
// It uses f's addresses, ports, Seq, TCPFlags, Payload and Cut, and keeps nothing of f:
// the bytes it needs later are copied. Frames that are not TCP (f.Proto != 6) are ignored
// and not counted. IP fragments must have gone through a capture.Defragmenter first.
//
// Segments must come in capture order. Before handling the segment, Segment does what
// Expire(t) would.
func (a *Assembler) Segment(packet int, t time.Time, f *capture.Frame) {
	if f == nil || f.Proto != capture.ProtoTCP {
		return
	}
	a.stats.Segments++
	a.advance(t)

	key := Flow{Src: netip.AddrPortFrom(f.Src, f.SrcPort), Dst: netip.AddrPortFrom(f.Dst, f.DstPort)}
	s := a.streams[key]
	flags := f.TCPFlags
	seq := f.Seq

	if flags&capture.TCPRst != 0 {
		// A reset ends both directions. Any payload it carries is diagnostic text, not
		// stream data.
		a.count(dispUsed)
		if s != nil {
			a.closeStream(s)
		}
		if r := a.streams[key.Reverse()]; r != nil {
			a.closeStream(r)
		}
		return
	}

	if flags&capture.TCPSyn != 0 {
		if s == nil {
			s = a.newStream(key)
		} else if !s.hasISN || s.isn != seq {
			a.restart(s) // a new connection on the same addresses
		}
		if !s.hasISN {
			s.hasISN, s.isn = true, seq
			s.base = seq + 1
			s.resync = false
		}
		seq++
	}

	a.cur, a.curPacket, a.curTime = s, packet, t
	if len(f.Payload) == 0 {
		a.count(dispUsed)
	} else {
		if s == nil {
			// The capture starts in the middle of this direction: the first byte seen may be
			// anywhere in a message.
			s = a.newStream(key)
			s.base = seq
			s.resync = true
			a.cur = s
		}
		a.addData(s, seq, f.Payload, packet, t, f.Cut)
	}
	if s != nil {
		a.touch(s)
		finSeq := seq + uint32(len(f.Payload))
		if d := seqDiff(finSeq, s.next()); flags&capture.TCPFin != 0 && s.open && !s.fin && -jumpWindow < d && d < jumpWindow {
			s.fin = true
			s.finSeq = finSeq
			s.finPacket, s.finTime, s.finAt = packet, t, a.now
		}
		a.checkFIN(s)
		a.schedule(s)
		a.account(s)
	}
	a.cur = nil
	a.relieveMemory()
}

// Expire gives up on the holes that have waited Config.HoleTimeout and finishes the
// directions idle for Config.IdleTimeout, as of packet time t (or of the latest packet
// time seen, if later). Segment does this itself, so Expire is needed only when time
// passes without segments, as in a live capture.
func (a *Assembler) Expire(t time.Time) {
	a.advance(t)
}

// Flush ends the input: every direction is finished (holes given up on, complete messages
// delivered, an incomplete message dropped as Truncated) and forgotten, in order of last
// activity. Afterwards no segment is pending. The Assembler may then take another input;
// its Stats carry on.
func (a *Assembler) Flush() {
	a.cur = nil
	for a.open.head != nil {
		s := a.open.head
		a.finish(s, whyGap)
		a.remove(s)
	}
	for a.closed.head != nil {
		a.remove(a.closed.head)
	}
}

// advance moves the clock to t (never backwards) and expires what is due.
func (a *Assembler) advance(t time.Time) {
	if now := t.UnixNano(); now > a.now {
		a.now = now
	}
	hole := int64(a.cfg.HoleTimeout)
	for len(a.holes) > 0 && a.now-a.holes[0].holeAt >= hole {
		s := a.holes[0]
		for s.waiting() && a.now-s.holeAt >= hole {
			a.skipHole(s, whyGap)
			s.holeAt = s.oldestWait()
		}
		a.checkFIN(s)
		a.schedule(s)
		a.account(s)
	}
	idle := int64(a.cfg.IdleTimeout)
	for s := a.open.head; s != nil && a.now-s.lastSeen >= idle; s = a.open.head {
		a.finish(s, whyGap)
		a.remove(s)
	}
	for s := a.closed.head; s != nil && a.now-s.lastSeen >= idle; s = a.closed.head {
		a.remove(s)
	}
}

// newStream creates the direction key, evicting one if MaxStreams are tracked.
func (a *Assembler) newStream(key Flow) *stream {
	if len(a.streams) >= a.cfg.MaxStreams {
		if v := a.closed.head; v != nil {
			a.remove(v)
		} else if v := a.open.head; v != nil {
			a.finish(v, whyEvict)
			a.remove(v)
			a.stats.StreamsEvicted++
		}
	}
	s := &stream{flow: key, open: true, heapIdx: -1, lastSeen: a.now}
	a.streams[key] = s
	a.open.pushBack(s)
	a.stats.Streams++
	return s
}

// remove forgets s.
func (a *Assembler) remove(s *stream) {
	delete(a.streams, s.flow)
	if s.open {
		a.open.remove(s)
	} else {
		a.closed.remove(s)
	}
	if s.heapIdx >= 0 {
		heap.Remove(&a.holes, s.heapIdx)
	}
	s.release()
	a.account(s)
}

// touch records activity on s.
func (a *Assembler) touch(s *stream) {
	s.lastSeen = a.now
	if s.open {
		a.open.moveToBack(s)
	} else {
		a.closed.moveToBack(s)
	}
	if s.memq.in {
		a.memory.moveToBack(s)
	}
}

// restart finishes what s holds and forgets its sequence numbers, reopening it if closed.
func (a *Assembler) restart(s *stream) {
	if s.open {
		a.finish(s, whyGap)
	} else {
		a.closed.remove(s)
		a.open.pushBack(s)
		s.open = true
	}
	s.hasISN, s.fin, s.cut, s.resync = false, false, false, false
	s.nlost = 0
}

// closeStream finishes s after FIN or RST and keeps it, closed, for late retransmissions.
func (a *Assembler) closeStream(s *stream) {
	if !s.open {
		return
	}
	a.finish(s, whyGap)
	s.open, s.fin, s.cut = false, false, false
	a.open.remove(s)
	a.closed.pushBack(s)
	s.release()
	a.schedule(s)
	a.account(s)
}

// checkFIN closes s once its bytes up to its FIN are in.
func (a *Assembler) checkFIN(s *stream) {
	if s.open && s.fin && seqDiff(s.next(), s.finSeq) >= 0 {
		a.closeStream(s)
	}
}

// schedule puts s in, moves it within, or takes it out of the hole heap.
func (a *Assembler) schedule(s *stream) {
	if !s.open || !s.waiting() {
		if s.heapIdx >= 0 {
			heap.Remove(&a.holes, s.heapIdx)
		}
		return
	}
	s.holeAt = s.oldestWait()
	if s.heapIdx < 0 {
		heap.Push(&a.holes, s)
	} else {
		heap.Fix(&a.holes, s.heapIdx)
	}
}

// account brings the memory charged for s up to date.
func (a *Assembler) account(s *stream) {
	s.trim()
	m := s.memory()
	a.total += m - s.mem
	s.mem = m
	if a.total > a.stats.PeakMemory {
		a.stats.PeakMemory = a.total
	}
	switch {
	case m > 0 && !s.memq.in:
		a.memory.pushBack(s)
	case m == 0 && s.memq.in:
		a.memory.remove(s)
	}
}

// relieveMemory flushes the least recently active directions until the memory held is
// within MaxBufferTotal.
func (a *Assembler) relieveMemory() {
	for a.total > a.cfg.MaxBufferTotal && a.memory.head != nil {
		s := a.memory.head
		if s.held() > 0 {
			a.stats.StreamsFlushed++
		}
		a.finish(s, whyEvict)
		s.release()
		a.checkFIN(s)
		a.schedule(s)
		a.account(s)
	}
}

// count records a segment's final disposition.
func (a *Assembler) count(d uint8) {
	switch d {
	case dispUsed:
		a.stats.Used++
	case dispUnframed:
		a.stats.Unframed++
	case dispGap:
		a.stats.Gap++
	default:
		a.stats.Evicted++
	}
}

// newRec returns a fresh segment record.
func (a *Assembler) newRec() int32 {
	if n := len(a.freeRecs); n > 0 {
		r := a.freeRecs[n-1]
		a.freeRecs = a.freeRecs[:n-1]
		a.recs[r] = segRec{best: dispNone}
		return r
	}
	a.recs = append(a.recs, segRec{best: dispNone})
	return int32(len(a.recs) - 1)
}

// mark records that bytes of segment r met fate d.
func (a *Assembler) mark(r int32, d uint8) {
	if d < a.recs[r].best {
		a.recs[r].best = d
	}
}

// unref drops one hold on segment r; the last one settles its disposition.
func (a *Assembler) unref(r int32) {
	rec := &a.recs[r]
	rec.refs--
	if rec.refs > 0 {
		return
	}
	if rec.best == dispNone {
		rec.best = dispGap // cannot happen: every piece is marked before it is dropped
	}
	a.count(rec.best)
	a.freeRecs = append(a.freeRecs, r)
}

// seqDiff returns a-b as a signed distance in the 32-bit sequence space.
func seqDiff(a, b uint32) int32 { return int32(a - b) }
