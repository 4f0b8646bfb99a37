package capture

import (
	"bytes"
	"net/netip"
	"slices"
	"time"
)

// Default limits of a Defragmenter.
const (
	DefaultDefragMaxDatagrams = 4096
	DefaultDefragMaxBytes     = 16 << 20
	DefaultDefragMaxFragments = 256
	DefaultDefragTimeout      = 30 * time.Second // Linux's net.ipv4.ipfrag_time
)

// The largest fragmentable payload: an IPv4 datagram is at most 65535 bytes including its
// header of at least 20; an IPv6 payload is at most 65535 bytes including the 8-byte
// fragment header. Jumbograms (RFC 2675) cannot be fragmented.
const (
	defragMaxPayload4 = 65535 - 20
	defragMaxPayload6 = 65535 - 8
)

// Memory accounting: what a pending datagram costs beyond its data buffer, and the size of
// one held range.
const (
	defragDatagramCost = 256
	defragRangeCost    = 24
)

// The free list of datagrams kept for reuse, and the largest data buffer it keeps. Memory
// held there is outside MaxBytes and bounded by these.
const (
	defragPoolMax    = 64
	defragPoolBufMax = 16 << 10
)

// DefragConfig bounds a Defragmenter. A zero field takes its default.
type DefragConfig struct {
	// MaxDatagrams is the number of datagrams reassembled at once. A new datagram beyond
	// it evicts the oldest.
	MaxDatagrams int
	// MaxBytes bounds the memory held by pending datagrams (fragment data plus
	// bookkeeping). Going beyond it evicts the oldest datagrams.
	MaxBytes int
	// MaxFragments is the number of distinct byte ranges one datagram may hold. A datagram
	// that needs more is dropped.
	MaxFragments int
	// Timeout is how long, in packet time, a datagram may wait for its missing fragments
	// after its first fragment arrived.
	Timeout time.Duration
}

// DefragStats counts what became of the fragments given to a Defragmenter. Every fragment
// is counted exactly once:
//
//	Fragments = FragmentsUsed + FragmentsDuplicate + FragmentsIncomplete +
//	            FragmentsEvicted + FragmentsDropped + Pending
type DefragStats struct {
	Fragments           int // fragments given to Add
	FragmentsUsed       int // part of a completed datagram, including the one that completed it
	FragmentsDuplicate  int // added no byte to their datagram: exact repeats, or (IPv4) fully overlapped
	FragmentsIncomplete int // dropped by the timeout or by Flush: their datagram never completed
	FragmentsEvicted    int // dropped by MaxDatagrams or MaxBytes
	FragmentsDropped    int // invalid, or in a datagram dropped as invalid (overlap, conflicting ends, ...)
	Pending             int // held now, waiting for the rest of their datagram

	Completed        int // datagrams reassembled
	Undecodable      int // of Completed, datagrams whose payload did not decode (see Defragmenter.Gap)
	PendingDatagrams int // datagrams waiting now
	Bytes            int // memory held by pending datagrams, as counted against MaxBytes
}

// Defragmenter reassembles IPv4 and IPv6 datagrams from fragments, within bounded memory.
//
// Fragments are keyed by IP version, source, destination, identification and, for IPv4,
// protocol. The bytes of a datagram may arrive in any order. Overlaps are resolved per
// version:
//
//   - IPv4: the first bytes received win. A later fragment contributes only the bytes no
//     earlier fragment covered; one that contributes none counts as a duplicate.
//   - IPv6: a fragment that overlaps another drops the whole datagram (RFC 5722), except
//     an exact duplicate (same offset, length and bytes), which is ignored (RFC 8200 §4.5).
//
// A datagram is also dropped when two last fragments disagree on its length, or a fragment
// reaches past its known end. A single fragment is dropped when it is cut by the snap
// length, misaligned, empty but not last, or would make the datagram exceed 65535 bytes.
//
// Time is packet time: Add expires datagrams whose first fragment is older than the
// timeout before it looks at the new fragment. Expiry assumes time mostly moves forward;
// datagrams expire in the order they were started.
//
// Memory is bounded by DefragConfig.MaxBytes, plus two working buffers of at most 64 KiB
// (the datagram last completed, and the growth of the one being added to before older
// datagrams are evicted to make room) and a free list of at most 64 datagrams with buffers
// of at most 16 KiB kept for reuse. A Defragmenter is not safe for concurrent use.
type Defragmenter struct {
	cfg    DefragConfig
	dec    Decoder
	table  map[defragKey]*defragDatagram
	oldest *defragDatagram // the datagrams in the order they started, oldest first
	newest *defragDatagram
	free   []*defragDatagram
	pieces []defragRange // scratch: the new byte ranges of the fragment being added
	out    []byte        // the datagram completed by the last Add
	gap    Gap
	stats  DefragStats
}

// defragKey identifies the datagram a fragment belongs to.
type defragKey struct {
	src, dst netip.Addr
	id       uint32
	version  uint8
	proto    uint8 // IPv4 only: IPv6 takes the protocol from the first fragment
}

// defragDatagram is a datagram being reassembled. Its data holds the bytes received so
// far, in arrival order; ranges says where each belongs.
type defragDatagram struct {
	key        defragKey
	start      time.Time // packet time of the first fragment
	end        int       // payload length, -1 until the last fragment arrived
	proto      uint8
	held       int // bytes held: the sum of the ranges
	frags      int // fragments that contributed
	cost       int // what it counts against MaxBytes
	data       []byte
	ranges     []defragRange // sorted by offset, disjoint
	prev, next *defragDatagram
}

// defragRange is a byte range [off, end) of a datagram's payload, stored at data[pos:].
type defragRange struct {
	off, end, pos int
}

// NewDefragmenter returns a Defragmenter with the limits of cfg.
func NewDefragmenter(cfg DefragConfig) *Defragmenter {
	if cfg.MaxDatagrams <= 0 {
		cfg.MaxDatagrams = DefaultDefragMaxDatagrams
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultDefragMaxBytes
	}
	if cfg.MaxFragments <= 0 {
		cfg.MaxFragments = DefaultDefragMaxFragments
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultDefragTimeout
	}
	return &Defragmenter{
		cfg:   cfg,
		table: make(map[defragKey]*defragDatagram, min(cfg.MaxDatagrams, 1024)),
	}
}

// Add takes a fragment, f as Decoder.Decode left it with f.Fragment.Is set, seen at packet
// time t. It copies what it needs from f.Payload.
//
// When the fragment completes its datagram, Add rewrites f to describe the whole datagram,
// as if it had arrived in one piece: f.Fragment is zeroed, EncapFragmented is added to
// f.Encap, and the transport is decoded by Decoder.DecodeTransport, so f.Payload aliases
// the Defragmenter's buffer, valid until the next call to Add. The other fields (addresses,
// VLAN, outer encapsulations) are those of the completing fragment. Add then returns true.
// If the datagram was a tunnel whose inner datagram is itself a fragment, f.Fragment.Is is
// set again and f can be given to Add again.
//
// Otherwise Add returns false and f is left as it was. When a completed datagram does not
// decode, Add returns false and Gap tells why. A frame that is not a fragment is returned
// as is, with true.
func (d *Defragmenter) Add(f *Frame, t time.Time) (done bool) {
	d.gap = GapNone
	if !f.Fragment.Is {
		return true
	}
	d.stats.Fragments++
	d.Expire(t)

	off, n, more := f.Fragment.Offset, len(f.Payload), f.Fragment.More
	limit := defragMaxPayload4
	if f.IPVersion == 6 {
		limit = defragMaxPayload6
	}
	if (f.IPVersion != 4 && f.IPVersion != 6) || f.Cut || off < 0 || off%8 != 0 || off > limit || n > limit-off ||
		(more && (n == 0 || n%8 != 0)) {
		d.stats.FragmentsDropped++
		return false
	}
	end := off + n

	key := defragKey{src: f.Src, dst: f.Dst, id: f.Fragment.ID, version: f.IPVersion}
	if f.IPVersion == 4 {
		key.proto = f.Proto
	}
	dg := d.table[key]
	if dg == nil {
		dg = d.start(key, t)
	}

	// The datagram's end: set once, by the last fragment, and nothing may reach past it.
	if !more {
		if (dg.end >= 0 && dg.end != end) || (len(dg.ranges) > 0 && dg.ranges[len(dg.ranges)-1].end > end) {
			d.drop(dg, 1)
			return false
		}
	} else if dg.end >= 0 && end > dg.end {
		d.drop(dg, 1)
		return false
	}

	// The bytes the fragment adds: the parts of [off, end) no range holds yet.
	pieces := d.pieces[:0]
	overlap, exact := false, -1
	cursor := off
	i, _ := slices.BinarySearchFunc(dg.ranges, off, func(r defragRange, off int) int {
		if r.end <= off {
			return -1
		}
		return 1
	})
	for j := i; j < len(dg.ranges) && dg.ranges[j].off < end; j++ {
		r := dg.ranges[j]
		overlap = true
		if r.off == off && r.end == end {
			exact = j
		}
		if r.off > cursor {
			pieces = append(pieces, defragRange{off: cursor, end: r.off})
		}
		cursor = max(cursor, r.end)
	}
	if cursor < end {
		pieces = append(pieces, defragRange{off: cursor, end: end})
	}
	d.pieces = pieces

	if f.IPVersion == 6 && overlap {
		if exact >= 0 && bytes.Equal(dg.rangeData(exact), f.Payload) {
			d.stats.FragmentsDuplicate++
			return false
		}
		d.drop(dg, 1)
		return false
	}
	setsEnd := !more && dg.end < 0
	if len(pieces) == 0 && !setsEnd {
		d.stats.FragmentsDuplicate++
		return false
	}
	if len(dg.ranges)+len(pieces) > d.cfg.MaxFragments {
		d.drop(dg, 1)
		return false
	}

	// Keep the new bytes.
	if setsEnd {
		dg.end = end
	}
	if f.IPVersion == 6 && off == 0 {
		dg.proto = f.Proto
	}
	dg.data = defragGrow(dg.data, dg.held+n)
	for _, p := range pieces {
		pos := len(dg.data)
		dg.data = append(dg.data, f.Payload[p.off-off:p.end-off]...)
		p.pos = pos
		k, _ := slices.BinarySearchFunc(dg.ranges, p.off, func(r defragRange, off int) int { return r.off - off })
		dg.ranges = slices.Insert(dg.ranges, k, p)
		dg.held += p.end - p.off
	}
	dg.frags++
	d.stats.Pending++
	d.recost(dg)
	if !d.fit(dg) {
		return false
	}
	if dg.end < 0 || dg.held != dg.end {
		return false
	}
	return d.complete(dg, f)
}

// rangeData returns the bytes of the datagram's i-th range.
func (dg *defragDatagram) rangeData(i int) []byte {
	r := dg.ranges[i]
	return dg.data[r.pos : r.pos+r.end-r.off]
}

// defragGrow returns b with room for n bytes in all, growing it by at least half so a
// datagram reallocates a few times at most, never beyond what it needs past 64 KiB.
func defragGrow(b []byte, n int) []byte {
	if n <= cap(b) {
		return b
	}
	c := max(n, 2048, min(2*cap(b), defragMaxPayload6+8))
	nb := make([]byte, len(b), c)
	copy(nb, b)
	return nb
}

// complete assembles dg into d.out, releases it, and rewrites f to describe it.
func (d *Defragmenter) complete(dg *defragDatagram, f *Frame) bool {
	if cap(d.out) < dg.end {
		d.out = make([]byte, dg.end, max(dg.end, 2048))
	}
	d.out = d.out[:dg.end]
	for i, r := range dg.ranges {
		copy(d.out[r.off:r.end], dg.rangeData(i))
	}
	proto := dg.proto
	d.stats.Completed++
	d.stats.FragmentsUsed += dg.frags
	d.stats.Pending -= dg.frags
	d.release(dg)

	f.Fragment = FragmentInfo{}
	f.Encap |= EncapFragmented
	if g := d.dec.DecodeTransport(proto, d.out, f); g != GapNone {
		d.gap = g
		d.stats.Undecodable++
		return false
	}
	return true
}

// Gap returns why the datagram completed by the last call to Add could not be decoded, or
// GapNone when that call completed no datagram or the datagram decoded.
func (d *Defragmenter) Gap() Gap { return d.gap }

// Expire drops the datagrams whose first fragment is older than the timeout at packet
// time t, and returns how many fragments it dropped (counted as FragmentsIncomplete).
func (d *Defragmenter) Expire(t time.Time) int {
	dropped := 0
	for d.oldest != nil && t.Sub(d.oldest.start) > d.cfg.Timeout {
		dg := d.oldest
		dropped += dg.frags
		d.stats.FragmentsIncomplete += dg.frags
		d.stats.Pending -= dg.frags
		d.release(dg)
	}
	return dropped
}

// Flush drops every pending datagram, at the end of the input, and returns how many
// fragments it dropped (counted as FragmentsIncomplete).
func (d *Defragmenter) Flush() int {
	dropped := 0
	for d.oldest != nil {
		dg := d.oldest
		dropped += dg.frags
		d.stats.FragmentsIncomplete += dg.frags
		d.stats.Pending -= dg.frags
		d.release(dg)
	}
	return dropped
}

// Stats returns the counters so far.
func (d *Defragmenter) Stats() DefragStats {
	s := d.stats
	s.PendingDatagrams = len(d.table)
	return s
}

// start begins a datagram for key, evicting the oldest when MaxDatagrams are pending.
func (d *Defragmenter) start(key defragKey, t time.Time) *defragDatagram {
	for len(d.table) >= d.cfg.MaxDatagrams && d.oldest != nil {
		d.evict(d.oldest)
	}
	var dg *defragDatagram
	if n := len(d.free); n > 0 {
		dg, d.free = d.free[n-1], d.free[:n-1]
	} else {
		dg = new(defragDatagram)
	}
	*dg = defragDatagram{key: key, start: t, end: -1, proto: key.proto, data: dg.data[:0], ranges: dg.ranges[:0]}
	d.table[key] = dg
	dg.prev = d.newest
	if d.newest != nil {
		d.newest.next = dg
	} else {
		d.oldest = dg
	}
	d.newest = dg
	d.recost(dg)
	return dg
}

// recost updates what dg counts against MaxBytes.
func (d *Defragmenter) recost(dg *defragDatagram) {
	c := defragDatagramCost + cap(dg.data) + defragRangeCost*cap(dg.ranges)
	d.stats.Bytes += c - dg.cost
	dg.cost = c
}

// fit evicts the oldest datagrams until the memory held is within MaxBytes, dg last of
// all. It reports whether dg is still pending.
func (d *Defragmenter) fit(dg *defragDatagram) bool {
	for d.stats.Bytes > d.cfg.MaxBytes {
		victim := d.oldest
		if victim == dg {
			victim = dg.next
		}
		if victim == nil {
			d.evict(dg)
			return false
		}
		d.evict(victim)
	}
	return true
}

// evict drops dg for lack of room.
func (d *Defragmenter) evict(dg *defragDatagram) {
	d.stats.FragmentsEvicted += dg.frags
	d.stats.Pending -= dg.frags
	d.release(dg)
}

// drop drops dg as invalid, together with extra fragments that were not yet part of it.
func (d *Defragmenter) drop(dg *defragDatagram, extra int) {
	d.stats.FragmentsDropped += dg.frags + extra
	d.stats.Pending -= dg.frags
	d.release(dg)
}

// release forgets dg and keeps it for reuse.
func (d *Defragmenter) release(dg *defragDatagram) {
	delete(d.table, dg.key)
	if dg.prev != nil {
		dg.prev.next = dg.next
	} else {
		d.oldest = dg.next
	}
	if dg.next != nil {
		dg.next.prev = dg.prev
	} else {
		d.newest = dg.prev
	}
	d.stats.Bytes -= dg.cost
	if len(d.free) == defragPoolMax {
		return
	}
	data, ranges := dg.data[:0], dg.ranges[:0]
	if cap(data) > defragPoolBufMax {
		data = nil
	}
	if cap(ranges) > 64 {
		ranges = nil
	}
	*dg = defragDatagram{data: data, ranges: ranges}
	d.free = append(d.free, dg)
}
