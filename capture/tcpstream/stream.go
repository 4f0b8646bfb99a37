package tcpstream

import (
	"slices"
	"time"
)

// stream is one direction of a connection.
//
// Its bytes are kept in sequence order in three parts: delivered or skipped bytes are
// gone; buf holds the contiguous bytes from base that the Framer has not taken yet; ooo
// holds out-of-order spans beyond next() (= base+len(buf)), sorted and disjoint, each
// starting after next(). pieces records which segment supplied each stretch of buf.
type stream struct {
	flow Flow

	open   bool // false once closed by FIN or RST
	resync bool // no message has started in step since missing bytes or a mid-stream start
	cut    bool // the last in-order segment was cut by the snap length: bytes at next() are lost

	hasISN bool // isn is known from a SYN
	isn    uint32

	fin       bool // a FIN was seen at finSeq
	finSeq    uint32
	finPacket int
	finTime   time.Time
	finAt     int64

	base   uint32 // sequence number of buf[0]
	buf    []byte
	pieces []piece // pieces[ph:] cover buf, in order
	ph     int

	ooo      []span
	oooBytes int

	lost  [4]seqRange // the last holes given up on, to tell late bytes from retransmissions
	nlost int         // holes given up on so far; lost[nlost%len(lost)] is the next slot

	holeAt   int64 // packet time since which a hole has been waited for
	heapIdx  int   // index in Assembler.holes, -1 when not waiting
	lastSeen int64 // packet time of the last segment
	mem      int   // memory charged to Assembler.total

	lru  links // in Assembler.open or Assembler.closed
	memq links // in Assembler.memory
}

// piece is a stretch of buf supplied by one segment: it ends before sequence number end.
type piece struct {
	end    uint32
	rec    int32
	packet int
	t      time.Time
}

// seqRange is the sequence numbers [start, end).
type seqRange struct{ start, end uint32 }

// span is an out-of-order stretch of bytes supplied by one segment.
type span struct {
	seq    uint32
	rec    int32
	packet int
	t      time.Time
	at     int64
	data   []byte
}

func (sp *span) end() uint32 { return sp.seq + uint32(len(sp.data)) }

// next is the sequence number of the first byte not yet in buf.
func (s *stream) next() uint32 { return s.base + uint32(len(s.buf)) }

// waiting reports whether s waits for missing bytes: out-of-order data, or a FIN, beyond
// a hole.
func (s *stream) waiting() bool {
	return len(s.ooo) > 0 || (s.fin && seqDiff(s.finSeq, s.next()) > 0)
}

// oldestWait is the packet time at which the first thing beyond the current holes was
// captured.
func (s *stream) oldestWait() int64 {
	at := int64(0)
	first := true
	for i := range s.ooo {
		if first || s.ooo[i].at < at {
			at, first = s.ooo[i].at, false
		}
	}
	if s.fin && (first || s.finAt < at) {
		at = s.finAt
	}
	return at
}

// held is what s holds toward MaxBufferPerStream.
func (s *stream) held() int {
	return len(s.buf) + s.oooBytes + SegmentOverhead*(len(s.pieces)-s.ph+len(s.ooo))
}

// memory is what s holds toward MaxBufferTotal.
func (s *stream) memory() int {
	return cap(s.buf) + s.oooBytes + SegmentOverhead*(len(s.pieces)-s.ph+len(s.ooo))
}

// trim gives back buffers that grew large and are empty again.
func (s *stream) trim() {
	if len(s.buf) == 0 && cap(s.buf) > keepBuffer {
		s.buf = nil
	}
	if s.ph == len(s.pieces) && cap(s.pieces) > keepPieces {
		s.pieces, s.ph = nil, 0
	}
	if len(s.ooo) == 0 && s.ooo != nil {
		s.ooo = nil
	}
}

// release gives back every buffer. s must hold no bytes.
func (s *stream) release() {
	s.buf, s.pieces, s.ph, s.ooo, s.oooBytes = nil, nil, 0, nil, 0
}

func (s *stream) pushPiece(p piece) {
	if len(s.pieces) == cap(s.pieces) && s.ph > 0 {
		n := copy(s.pieces, s.pieces[s.ph:])
		s.pieces = s.pieces[:n]
		s.ph = 0
	}
	s.pieces = append(s.pieces, p)
}

// dropBuf forgets the first c bytes of buf, which the pieces no longer cover.
func (s *stream) dropBuf(c int) {
	if c == 0 {
		return
	}
	n := copy(s.buf, s.buf[c:])
	s.buf = s.buf[:n]
	s.base += uint32(c)
}

// addData takes the payload of a segment whose first byte has sequence number seq.
func (a *Assembler) addData(s *stream, seq uint32, data []byte, packet int, t time.Time, cut bool) {
	end := seq + uint32(len(data))
	next := s.next()
	if !s.open {
		if seqDiff(end, next) <= 0 && seqDiff(next, end) < jumpWindow {
			a.old(s, seq, end)
			return
		}
		// Data after the close: the addresses carry a new connection whose SYN was not
		// captured.
		a.restart(s)
		s.base = seq
		s.resync = true
		next = seq
	}
	d := seqDiff(seq, next)
	switch {
	case d > jumpWindow || seqDiff(next, end) >= jumpWindow:
		a.restart(s)
		s.base = seq
		s.resync = true
	case seqDiff(end, next) <= 0:
		a.old(s, seq, end)
		return
	case d > 0:
		a.insertOOO(s, seq, data, packet, t)
		if s.cut {
			// The bytes at next() were cut by the snap length: they will not come.
			a.skipHole(s, whyGap)
		}
		a.limit(s)
		return
	default:
		data = data[-d:]
	}
	a.stats.Bytes += int64(len(data)) // ooo bytes are counted in insertOOO
	a.appendInOrder(s, data, packet, t)
	s.cut = cut && len(s.ooo) == 0 && s.next() == end
	a.limit(s)
}

// old counts a segment that brings no byte after s.next(): a retransmission, or bytes of a
// hole that was given up on and that come too late (Stats.Gap).
func (a *Assembler) old(s *stream, seq, end uint32) {
	for i := range min(s.nlost, len(s.lost)) {
		if r := s.lost[i]; seqDiff(seq, r.end) < 0 && seqDiff(end, r.start) > 0 {
			a.stats.Gap++
			return
		}
	}
	a.stats.Retransmitted++
}

// appendInOrder takes data that starts at s.next().
func (a *Assembler) appendInOrder(s *stream, data []byte, packet int, t time.Time) {
	r := a.newRec()
	if len(s.buf) == 0 && len(s.ooo) == 0 {
		// The common case: frame straight from the packet and keep only the rest.
		a.recs[r].refs = 1
		s.pushPiece(piece{end: s.base + uint32(len(data)), rec: r, packet: packet, t: t})
		c := a.drain(s, data, false, whyGap)
		s.base += uint32(c)
		s.buf = append(s.buf[:0], data[c:]...)
		return
	}
	// Take the bytes between the spans already held; the spans' copies came first.
	pos := s.next()
	for len(data) > 0 {
		a.mergeOOO(s)
		next := s.next()
		if skip := next - pos; skip > 0 {
			if uint64(skip) >= uint64(len(data)) {
				a.stats.Bytes -= int64(len(data))
				break
			}
			a.stats.Bytes -= int64(skip)
			data = data[skip:]
			pos = next
		}
		n := len(data)
		if len(s.ooo) > 0 {
			if gap := s.ooo[0].seq - next; uint64(gap) < uint64(n) {
				n = int(gap)
			}
		}
		if n > 0 {
			s.buf = append(s.buf, data[:n]...)
			a.recs[r].refs++
			s.pushPiece(piece{end: next + uint32(n), rec: r, packet: packet, t: t})
			data = data[n:]
			pos += uint32(n)
		}
	}
	a.mergeOOO(s)
	if a.recs[r].refs == 0 {
		a.freeRecs = append(a.freeRecs, r)
		a.stats.Retransmitted++
	}
	s.dropBuf(a.drain(s, s.buf, false, whyGap))
}

// insertOOO buffers the bytes of a segment starting at seq, after s.next(), that no span
// holds yet.
func (a *Assembler) insertOOO(s *stream, seq uint32, data []byte, packet int, t time.Time) {
	next := s.next()
	off := func(x uint32) uint32 { return x - next } // spans lie within jumpWindow after next
	end := seq + uint32(len(data))
	i, _ := slices.BinarySearchFunc(s.ooo, seq, func(sp span, x uint32) int {
		// the first span that ends after seq
		if off(sp.end()) <= off(x) {
			return -1
		}
		return 1
	})
	r := a.newRec()
	for pos := seq; pos != end; {
		if i < len(s.ooo) && off(s.ooo[i].seq) <= off(pos) {
			// pos is inside span i: those bytes are held already.
			if e := s.ooo[i].end(); off(e) < off(end) {
				pos = e
			} else {
				pos = end
			}
			i++
			continue
		}
		lim := end
		if i < len(s.ooo) && off(s.ooo[i].seq) < off(end) {
			lim = s.ooo[i].seq
		}
		b := make([]byte, lim-pos)
		copy(b, data[pos-seq:])
		s.ooo = slices.Insert(s.ooo, i, span{seq: pos, rec: r, packet: packet, t: t, at: a.now, data: b})
		s.oooBytes += len(b)
		a.stats.Bytes += int64(len(b))
		a.recs[r].refs++
		i++
		pos = lim
	}
	if a.recs[r].refs == 0 {
		a.freeRecs = append(a.freeRecs, r)
		a.stats.Retransmitted++
	}
}

// mergeOOO moves the spans that start at s.next() into buf.
func (a *Assembler) mergeOOO(s *stream) {
	k := 0
	for k < len(s.ooo) {
		sp := &s.ooo[k]
		next := s.next()
		d := seqDiff(sp.seq, next)
		if d > 0 {
			break
		}
		// d < 0 cannot happen (spans start after next), but would only mean fewer bytes.
		if skip := -int(d); skip < len(sp.data) {
			s.buf = append(s.buf, sp.data[skip:]...)
			s.pushPiece(piece{end: sp.end(), rec: sp.rec, packet: sp.packet, t: sp.t})
		} else {
			a.mark(sp.rec, dispGap)
			a.unref(sp.rec)
		}
		s.oooBytes -= len(sp.data)
		k++
	}
	if k > 0 {
		n := copy(s.ooo, s.ooo[k:])
		clear(s.ooo[n:])
		s.ooo = s.ooo[:n]
	}
}

// drain frames data, which is the unframed bytes of s from s.base (buf, or the payload of
// a segment framed in place), and returns how many bytes were taken. With atEOF it takes
// them all; bytes the Framer does not take are then dropped for reason w.
func (a *Assembler) drain(s *stream, data []byte, atEOF bool, w why) int {
	off := 0
	for off < len(data) {
		rest := data[off:]
		n := a.framer(rest, atEOF)
		switch {
		case n > 0:
			n = min(n, len(rest))
			a.deliver(s, rest[:n], s.base+uint32(off))
		case n < 0:
			n = min(-n, len(rest))
			a.skip(s, rest[:n], s.base+uint32(off))
		case atEOF:
			n = len(rest)
			a.drop(s, n, s.base+uint32(off), w)
		default:
			return off
		}
		off += n
	}
	return off
}

// deliver hands a message, whose first byte has sequence number at, to the Handler.
func (a *Assembler) deliver(s *stream, msg []byte, at uint32) {
	_, last := a.consume(s, at+uint32(len(msg)), dispUsed)
	packet, t := last.packet, last.t
	if s == a.cur {
		packet, t = a.curPacket, a.curTime
	}
	s.resync = false
	a.stats.Messages++
	a.stats.BytesDelivered += int64(len(msg))
	a.h.Message(s.flow, msg, packet, t)
}

// skip passes over bytes the Framer did not want.
func (a *Assembler) skip(s *stream, b []byte, at uint32) {
	d, reason := dispUsed, Reason(0)
	switch {
	case onlyCRLF(b):
		// keep-alives
	case s.resync:
		d, reason = dispGap, Resync
	default:
		d, reason = dispUnframed, Unframed
	}
	first, _ := a.consume(s, at+uint32(len(b)), d)
	a.stats.BytesSkipped += int64(len(b))
	if reason != 0 {
		a.h.Gap(s.flow, first.packet, first.t, len(b), reason)
	}
}

// drop discards n bytes at sequence number at for reason w.
func (a *Assembler) drop(s *stream, n int, at uint32, w why) {
	d, reason := w.disposition()
	first, _ := a.consume(s, at+uint32(n), d)
	a.stats.BytesSkipped += int64(n)
	s.resync = true // what follows is the rest of the dropped message
	a.h.Gap(s.flow, first.packet, first.t, n, reason)
}

// origin names the packet of a piece.
type origin struct {
	packet int
	t      time.Time
}

// consume records fate d for the pieces that cover bytes before sequence number upto and
// forgets those that end there. It returns the packet of the first byte and the last
// packet among those pieces.
func (a *Assembler) consume(s *stream, upto uint32, d uint8) (first, last origin) {
	start := s.ph
	for i := start; i < len(s.pieces); i++ {
		p := &s.pieces[i]
		if i == start {
			first = origin{p.packet, p.t}
		}
		if p.packet >= last.packet {
			last = origin{p.packet, p.t}
		}
		a.mark(p.rec, d)
		if seqDiff(p.end, upto) > 0 {
			break
		}
		a.unref(p.rec)
		s.ph++
	}
	if s.ph == len(s.pieces) {
		s.pieces, s.ph = s.pieces[:0], 0
	}
	return first, last
}

// skipHole gives up on the first hole of s: the message before it is finished as at the
// end of the stream, the hole is reported Missing, and framing resumes after it. It
// reports false when s has no hole.
func (a *Assembler) skipHole(s *stream, w why) bool {
	var to uint32
	var at origin
	switch {
	case len(s.ooo) > 0:
		to, at = s.ooo[0].seq, origin{s.ooo[0].packet, s.ooo[0].t}
	case s.fin && seqDiff(s.finSeq, s.next()) > 0:
		to, at = s.finSeq, origin{s.finPacket, s.finTime}
	default:
		return false
	}
	s.dropBuf(a.drain(s, s.buf, true, w))
	missing := int(to - s.base)
	s.lost[s.nlost%len(s.lost)] = seqRange{s.base, to}
	s.nlost++
	s.base = to
	s.resync = true
	s.cut = false
	a.stats.Gaps++
	a.stats.BytesMissing += int64(missing)
	a.h.Gap(s.flow, at.packet, at.t, missing, Missing)
	a.mergeOOO(s)
	s.dropBuf(a.drain(s, s.buf, false, w))
	return true
}

// finish delivers what s holds: holes are given up on and an incomplete message is
// dropped for reason w.
func (a *Assembler) finish(s *stream, w why) {
	for a.skipHole(s, w) {
	}
	s.dropBuf(a.drain(s, s.buf, true, w))
}

// limit keeps s within MaxBufferPerStream: it gives up on holes, oldest first, then
// offers an oversized message to the Framer with atEOF and drops what it does not take.
func (a *Assembler) limit(s *stream) {
	max := a.cfg.MaxBufferPerStream
	for s.held() > max && a.skipHole(s, whyGap) {
	}
	if s.held() <= max || len(s.buf) == 0 {
		return
	}
	off := 0
	if n := a.framer(s.buf, true); n > 0 {
		off = min(n, len(s.buf))
		a.deliver(s, s.buf[:off], s.base)
	}
	if rest := len(s.buf) - off; rest > 0 {
		a.drop(s, rest, s.base+uint32(off), whyOverflow)
	}
	s.dropBuf(len(s.buf))
	s.resync = true
}

// onlyCRLF reports whether b holds nothing but CR and LF.
func onlyCRLF(b []byte) bool {
	for _, c := range b {
		if c != '\r' && c != '\n' {
			return false
		}
	}
	return true
}
