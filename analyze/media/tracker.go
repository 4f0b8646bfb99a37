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
	// head is the most recently active stream, tail the least; the list runs through
	// Stream.prev and Stream.next.
	head, tail *Stream
	hdr        rtp.Header
	evicted    int
	now        time.Time
	nowU       unixTime // now as a unixTime
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
	s := hint
	if s == nil || s.owner != t || s.ssrc != info.SSRC || s.src != src || s.dst != dst {
		s = t.stream(StreamKey{Src: src, Dst: dst, SSRC: info.SSRC})
	} else if t.head != s {
		t.unlink(s)
		t.pushFront(s)
	}
	s.st.addAt(info.Seq, info.Timestamp, info.PayloadType, info.Marker, int(info.PayloadLen), arrival, au, packet)
	return s
}

// Lookup returns the stream with the given key, or nil.
func (t *Tracker) Lookup(k StreamKey) *Stream { return t.streams[k] }

// stream returns the stream for k, created if needed, and makes it the most recent.
func (t *Tracker) stream(k StreamKey) *Stream {
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
			t.evict(t.tail)
		}
		s = NewStream(k.Src, k.Dst, k.SSRC)
		s.owner = t
		t.streams[k] = s
		t.recent[recentSlot(k.SSRC)] = s
		if t.cfg.OnNew != nil {
			t.cfg.OnNew(s)
		}
		t.pushFront(s)
		return s
	}
	if t.head != s {
		t.unlink(s)
		t.pushFront(s)
	}
	return s
}

// advance moves packet time to now (nu is unixOf(now)) and evicts the streams idle for
// longer than the timeout. Packet time never goes back: a capture merged out of order
// does not resurrect evicted streams' clocks.
func (t *Tracker) advance(now time.Time, nu unixTime) {
	if nu.after(t.nowU) {
		t.now, t.nowU = now, nu
	}
	if t.cfg.IdleTimeout < 0 {
		return
	}
	for t.tail != nil && subUnix(t.nowU, t.tail.st.lastU, t.now, t.tail.st.last) > t.cfg.IdleTimeout {
		t.evict(t.tail)
	}
}

func (t *Tracker) evict(s *Stream) {
	if t.cfg.OnEvict != nil {
		t.cfg.OnEvict(s)
	}
	t.unlink(s)
	s.owner = nil
	delete(t.streams, StreamKey{Src: s.src, Dst: s.dst, SSRC: s.ssrc})
	if slot := &t.recent[recentSlot(s.ssrc)]; *slot == s {
		*slot = nil
	}
	t.evicted++
}

func (t *Tracker) pushFront(s *Stream) {
	s.prev, s.next = nil, t.head
	if t.head != nil {
		t.head.prev = s
	}
	t.head = s
	if t.tail == nil {
		t.tail = s
	}
}

func (t *Tracker) unlink(s *Stream) {
	if s.prev != nil {
		s.prev.next = s.next
	} else {
		t.head = s.next
	}
	if s.next != nil {
		s.next.prev = s.prev
	} else {
		t.tail = s.prev
	}
	s.prev, s.next = nil, nil
}

// Len returns the number of streams held.
func (t *Tracker) Len() int { return len(t.streams) }

// Evicted returns the number of streams evicted so far, for idleness or for room.
func (t *Tracker) Evicted() int { return t.evicted }

// Streams returns the streams held, ordered by their first packet number (then by key), so
// that the order is the same on every run. Evicted streams are not in it: OnEvict saw them.
func (t *Tracker) Streams() []*Stream {
	out := make([]*Stream, 0, len(t.streams))
	for s := t.head; s != nil; s = s.next {
		out = append(out, s)
	}
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
