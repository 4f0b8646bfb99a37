package media

import (
	"cmp"
	"net/netip"
	"slices"
	"time"

	"github.com/pion/rtp"
)

// Defaults of TrackerConfig.
const (
	DefaultMaxStreams  = 10000
	DefaultIdleTimeout = 5 * time.Minute
)

// TrackerConfig bounds a Tracker.
type TrackerConfig struct {
	// MaxStreams is the most streams held at once (0 means DefaultMaxStreams). When a new
	// stream would pass it, the least recently active stream is evicted. Every datagram
	// that passes IsRTP makes a stream, so feed the Tracker the UDP payloads that may be
	// media, not DNS or SIP, or a flood of one-packet "streams" evicts real ones.
	MaxStreams int
	// IdleTimeout evicts a stream that has had no packet for this long, in packet time
	// (0 means DefaultIdleTimeout, a negative value never evicts for idleness). A stream
	// that resumes after its eviction starts over as a new Stream.
	IdleTimeout time.Duration
	// OnNew, when set, is called for each new stream before its first packet is added: the
	// place to call SetRTPMap from SDP.
	OnNew func(*Stream)
	// OnEvict, when set, is called with each stream just before the Tracker forgets it, so
	// that its Stats can be kept.
	OnEvict func(*Stream)
}

// StreamKey identifies a stream: source, destination and SSRC.
type StreamKey struct {
	Src, Dst netip.AddrPort
	SSRC     uint32
}

// Tracker holds the Streams of a capture in a table of bounded size, keyed by (source,
// destination, SSRC), and evicts streams that fall silent, in packet time. Adding an RTP
// packet to an existing stream does not allocate. A Tracker is not safe for concurrent use.
type Tracker struct {
	cfg     TrackerConfig
	streams map[StreamKey]*Stream
	// byLast holds every stream, a min-heap by Stream.heapKey: at its top, once the top's
	// key is its lastSeq (freshTop), the least recently active stream. A packet only sets
	// its stream's lastSeq; keys are brought up to date when a stream reaches the top and
	// the Tracker must know whether it is idle or must make room, which happens about
	// once per stream per idle timeout, rather than a list being reordered on every
	// packet (8 % of the analysis of an RTP packet).
	byLast  []*Stream
	seq     uint64 // RTP packets added so far
	hdr     rtp.Header
	evicted int
	now     time.Time
	nowU    unixTime // now as a unixTime
	// back is the farthest a packet's time has gone back below now: time order and
	// packet order agree within it, so a stream whose last packet came after another's
	// has a time no more than back before it.
	back time.Duration
	// recent is a direct-mapped cache in front of streams, indexed by a hash of the SSRC:
	// most packets find their stream here without hashing the whole key. It holds only
	// streams that are in streams (evict clears a stream's slot).
	recent [recentSlots]*Stream
}

// recentSlots is the size of Tracker.recent, a power of two above the streams a busy
// link carries at once.
const (
	recentBits  = 12
	recentSlots = 1 << recentBits
)

// recentSlot returns the index in Tracker.recent of the streams with this SSRC.
func recentSlot(ssrc uint32) uint32 { return (ssrc * 0x9e3779b1) >> (32 - recentBits) }

// NewTracker returns an empty Tracker.
func NewTracker(cfg TrackerConfig) *Tracker {
	if cfg.MaxStreams <= 0 {
		cfg.MaxStreams = DefaultMaxStreams
	}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	return &Tracker{cfg: cfg, streams: make(map[StreamKey]*Stream), nowU: zeroUnix}
}

// AddRTP decodes payload, a UDP payload from src to dst, as RTP and adds it to its stream,
// creating the stream if needed. It returns the stream, or nil when payload is not RTP
// (IsRTP). The header is decoded with pion/rtp into a Header the Tracker reuses.
func (t *Tracker) AddRTP(src, dst netip.AddrPort, payload []byte, arrival time.Time, packet int) *Stream {
	var info RTPInfo
	if !ParseRTP(&t.hdr, payload, &info) {
		return nil
	}
	return t.AddRTPInfo(nil, src, dst, &info, arrival, packet)
}

// AddRTPInfo is AddRTP for a packet that ParseRTP has read already (possibly in another
// goroutine: ParseRTP depends on the packet alone), from a caller that may remember the
// stream the last packet of this flow went to: when hint is still held by t and has the
// packet's source, destination and SSRC, the stream is found without a lookup. Any other
// hint, nil included, is ignored: the result is always AddRTP's.
func (t *Tracker) AddRTPInfo(hint *Stream, src, dst netip.AddrPort, info *RTPInfo, arrival time.Time, packet int) *Stream {
	au := unixOf(arrival)
	t.advance(arrival, au) // may evict hint
	t.seq++
	s := hint
	if s == nil || s.owner != t || s.ssrc != info.SSRC || s.src != src || s.dst != dst {
		s = t.stream(StreamKey{Src: src, Dst: dst, SSRC: info.SSRC}, au)
	}
	s.lastSeq = t.seq
	s.st.addAt(info.Seq, info.Timestamp, info.PayloadType, info.Marker, int(info.PayloadLen), arrival, au, packet)
	return s
}

// Lookup returns the stream with the given key, or nil.
func (t *Tracker) Lookup(k StreamKey) *Stream { return t.streams[k] }

// stream returns the stream for k, created if needed for a packet at au.
func (t *Tracker) stream(k StreamKey, au unixTime) *Stream {
	slot := &t.recent[recentSlot(k.SSRC)]
	s := *slot
	if s == nil || s.ssrc != k.SSRC || s.src != k.Src || s.dst != k.Dst {
		s = t.streams[k]
		if s != nil {
			*slot = s
		}
	}
	if s == nil {
		if len(t.streams) >= t.cfg.MaxStreams {
			t.evictTop(t.freshTop())
		}
		s = NewStream(k.Src, k.Dst, k.SSRC)
		s.owner = t
		t.streams[k] = s
		t.recent[recentSlot(k.SSRC)] = s
		if t.cfg.OnNew != nil {
			t.cfg.OnNew(s)
		}
		s.lastSeq, s.heapKey, s.heapTime = t.seq, t.seq, au
		t.push(s)
	}
	return s
}

// advance moves packet time to now (nu is unixOf(now)) and evicts the streams idle for
// longer than the timeout, the least recently active first, as long as it is idle. Packet
// time never goes back: a capture merged out of order does not resurrect evicted streams'
// clocks.
func (t *Tracker) advance(now time.Time, nu unixTime) {
	if nu.after(t.nowU) {
		t.now, t.nowU = now, nu
	} else if back := subUnix(t.nowU, nu, t.now, now); back > t.back {
		t.back = back
	}
	if t.cfg.IdleTimeout < 0 {
		return
	}
	for len(t.byLast) > 0 {
		// The least recently active stream's last packet came at or after the top's
		// key, so its time is at most back before the key's, and it has been silent for
		// at most d + back: while that is within the timeout, no stream can be idle (the
		// common case, decided without looking further). In a capture whose time once
		// went back by more than the timeout, every packet looks at the top instead.
		if d, ok := boundSub(t.nowU, t.byLast[0].heapTime); ok && t.back <= t.cfg.IdleTimeout && d <= t.cfg.IdleTimeout-t.back {
			return
		}
		s := t.freshTop()
		if subUnix(t.nowU, s.st.lastU, t.now, s.st.last) <= t.cfg.IdleTimeout {
			return
		}
		t.evictTop(s)
	}
}

// freshTop brings the key of the stream at the top of byLast up to date until it is,
// and returns that stream: the least recently active. The heap is not empty.
func (t *Tracker) freshTop() *Stream {
	for {
		s := t.byLast[0]
		if s.heapKey == s.lastSeq {
			return s
		}
		s.heapKey, s.heapTime = s.lastSeq, s.st.lastU
		t.down(0)
	}
}

// evictTop evicts s, the stream at the top of byLast.
func (t *Tracker) evictTop(s *Stream) {
	if t.cfg.OnEvict != nil {
		t.cfg.OnEvict(s)
	}
	n := len(t.byLast) - 1
	t.byLast[0] = t.byLast[n]
	t.byLast[n] = nil
	t.byLast = t.byLast[:n]
	if n > 0 {
		t.down(0)
	}
	s.owner = nil
	delete(t.streams, StreamKey{Src: s.src, Dst: s.dst, SSRC: s.ssrc})
	if slot := &t.recent[recentSlot(s.ssrc)]; *slot == s {
		*slot = nil
	}
	t.evicted++
}

// push adds s to byLast.
func (t *Tracker) push(s *Stream) {
	t.byLast = append(t.byLast, s)
	h := t.byLast
	for i := len(h) - 1; i > 0; {
		parent := (i - 1) / 2
		if h[parent].heapKey <= h[i].heapKey {
			break
		}
		h[parent], h[i] = h[i], h[parent]
		i = parent
	}
}

// down moves the stream at i of byLast down to its place.
func (t *Tracker) down(i int) {
	h := t.byLast
	for {
		least := i
		if l := 2*i + 1; l < len(h) && h[l].heapKey < h[least].heapKey {
			least = l
		}
		if r := 2*i + 2; r < len(h) && h[r].heapKey < h[least].heapKey {
			least = r
		}
		if least == i {
			return
		}
		h[i], h[least] = h[least], h[i]
		i = least
	}
}

// Len returns the number of streams held.
func (t *Tracker) Len() int { return len(t.streams) }

// Evicted returns the number of streams evicted so far, for idleness or for room.
func (t *Tracker) Evicted() int { return t.evicted }

// Streams returns the streams held, ordered by their first packet number (then by key), so
// that the order is the same on every run. Evicted streams are not in it: OnEvict saw them.
func (t *Tracker) Streams() []*Stream {
	out := slices.Clone(t.byLast)
	slices.SortFunc(out, func(a, b *Stream) int {
		if c := cmp.Compare(a.st.firstPkt, b.st.firstPkt); c != 0 {
			return c
		}
		if c := a.src.Compare(b.src); c != 0 {
			return c
		}
		if c := a.dst.Compare(b.dst); c != 0 {
			return c
		}
		return cmp.Compare(a.ssrc, b.ssrc)
	})
	return out
}

// AddRTCP parses payload, a UDP payload from src to dst, as RTCP (ParseRTCP), calls fn
// (when not nil) with each report, and records every report block on the stream it
// describes. The stream a receiver reports on flows towards the reporter, so its key is
// (dst, src, block SSRC) with the RTP port either equal to the RTCP port (RFC 5761 mux) or
// one below it (RFC 3550 §11); a block about a stream not held is only passed to fn.
func (t *Tracker) AddRTCP(src, dst netip.AddrPort, payload []byte, arrival time.Time, packet int, fn func(Report)) error {
	return ParseRTCP(payload, func(r Report) {
		if fn != nil {
			fn(r)
		}
		for _, b := range r.Blocks {
			if s := t.reported(src, dst, b.SSRC); s != nil {
				s.SetRemote(b, arrival, packet)
			}
		}
	})
}

// reported finds the stream that a report block from reporter to peer describes.
func (t *Tracker) reported(reporter, peer netip.AddrPort, ssrc uint32) *Stream {
	for _, sp := range rtpPorts(peer) {
		for _, dp := range rtpPorts(reporter) {
			if s := t.streams[StreamKey{Src: sp, Dst: dp, SSRC: ssrc}]; s != nil {
				return s
			}
		}
	}
	return nil
}

// rtpPorts returns the RTP addresses an RTCP address may pair with: the same port (mux)
// and the port below.
func rtpPorts(a netip.AddrPort) [2]netip.AddrPort {
	below := a
	if a.Port() > 0 {
		below = netip.AddrPortFrom(a.Addr(), a.Port()-1)
	}
	return [2]netip.AddrPort{a, below}
}
