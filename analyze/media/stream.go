package media

import (
	"net/netip"
	"time"

	"github.com/pion/rtp"
)

// Stats is a snapshot of a Stream's measurements.
type Stats struct {
	Src, Dst netip.AddrPort
	SSRC     uint32

	Packets     int       // RTP packets received (duplicates included)
	Bytes       int       // RTP payload bytes (headers and padding excluded)
	FirstPacket int       // packet number of the first packet
	LastPacket  int       // packet number of the last packet
	Start, End  time.Time // arrival of the first and last packet

	PayloadTypes []uint8 // payload types seen, in order of first use (at most maxPayloadTypes)
	Codec        string  // encoding name of the main payload type: "PCMU", "opus", "" if unknown
	ClockRate    int     // clock rate (Hz) of the main payload type, 0 if unknown

	// Expected and Lost are computed exactly as Wireshark 4.0 does (`tshark -z rtp,streams`):
	// expected is the last packet's sequence number, plus 65536 per counted wrap, minus the
	// first packet's, plus one; lost is expected minus received. Lost is negative when
	// duplicates outnumber losses, shifts when the last packet is a late one, counts a jump
	// in the numbering as loss, and, like Wireshark, counts a spurious wrap (65536 lost)
	// when a packet is reordered across the wrap. LostRFC3550 has none of these quirks.
	Expected int
	Lost     int
	// LostRFC3550 is the cumulative loss of RFC 3550 Appendix A.3 (extended highest sequence
	// number minus base, plus one, minus received), with the restart logic of Appendix A.1
	// (a jump of more than 3000 ahead or 100 back, confirmed by the next packet, restarts
	// the count; the loss before it is kept) but without its initial probation. Duplicates
	// make it smaller, as RFC 3550 says.
	LostRFC3550 int
	Restarts    int // sequence restarts (RFC 3550 A.1) within this SSRC
	Duplicates  int // packets whose sequence number was already received
	OutOfOrder  int // packets older than the highest sequence number received, not duplicates
	SeqErrors   int // Wireshark's count of sequence errors (lost, late or duplicate)
	// Validated is set once two packets with consecutive sequence numbers were seen (the
	// probation of RFC 3550 A.1). IsRTP is a weak test on a single datagram (a DNS query
	// whose ID starts with binary 10 passes it); a validated stream is much more likely to
	// be real RTP.
	Validated bool

	// Inter-arrival figures in milliseconds, as Wireshark's RTP stream analysis computes them.
	MinDeltaMs, MeanDeltaMs, MaxDeltaMs    float64
	JitterMs                               float64 // the running RFC 3550 jitter at the end of the stream
	MinJitterMs, MeanJitterMs, MaxJitterMs float64
	// JitterValid is false when no packet had a known clock rate (a dynamic payload type
	// without a=rtpmap, telephone-event): the jitter figures are then 0 and mean nothing.
	JitterValid bool

	// MOS is the E-model estimate (see EstimateMOS) from LostRFC3550 over the packets
	// expected by RFC 3550 and the mean jitter; 0 when the codec has no planning values.
	MOS float64

	// Remote is the last RTCP report block the far end sent about this stream.
	Remote    RemoteReport
	HasRemote bool
}

// RemoteReport is what the receiver of a stream said about it in RTCP.
type RemoteReport struct {
	Packet       int       // packet number of the RTCP packet
	Time         time.Time // its arrival
	FractionLost float64   // fraction lost since the previous report, 0–1
	CumLost      int       // cumulative number of packets lost (may be negative)
	Jitter       uint32    // interarrival jitter in timestamp units
	JitterMs     float64   // Jitter converted with the stream's clock rate; 0 if unknown
}

// Stream measures one RTP stream: the packets of one SSRC from one source to one destination.
// Its zero value is not usable; get one from NewStream or a Tracker. Add costs no allocation.
type Stream struct {
	src, dst netip.AddrPort
	ssrc     uint32

	// tracker bookkeeping
	owner *Tracker // the Tracker that holds the stream; nil once evicted
	// lastSeq orders the streams by their last packet (Tracker.seq); heapKey and
	// heapTime are lastSeq and the time of that packet as they were when the Tracker
	// last placed the stream in its heap.
	lastSeq, heapKey uint64
	heapTime         unixTime

	st state
}

// NewStream returns an empty Stream for the given source, destination and SSRC.
func NewStream(src, dst netip.AddrPort, ssrc uint32) *Stream {
	return &Stream{src: src, dst: dst, ssrc: ssrc, st: state{firstU: zeroUnix, lastU: zeroUnix}}
}

// Src returns the stream's source address and port.
func (s *Stream) Src() netip.AddrPort { return s.src }

// Dst returns the stream's destination address and port.
func (s *Stream) Dst() netip.AddrPort { return s.dst }

// SSRC returns the stream's synchronisation source.
func (s *Stream) SSRC() uint32 { return s.ssrc }

// SetClockRate sets the RTP clock rate of payload type pt, as an SDP a=rtpmap gives it,
// from the next packet on. Without it, a dynamic payload type (96–127) has no known clock
// and no jitter is computed for its packets, as in Wireshark. A payload type that RFC 3551
// assigns statically (0 PCMU, 8 PCMA, 9 G722 at 8000 Hz, 18 G729, ...) always keeps its
// static rate, as in Wireshark.
func (s *Stream) SetClockRate(pt uint8, hz int) { s.SetRTPMap(pt, "", hz) }

// SetRTPMap records an SDP a=rtpmap: the encoding name and clock rate of payload type pt
// (hz 0 takes the rate the name implies, e.g. 48000 for opus). The name becomes the
// stream's Codec when pt is its main payload type. An encoding of "telephone-event"
// (RFC 4733) keeps those packets out of the jitter computation, as Wireshark does, because
// their timestamp stays on the start of the event. At most 16 payload types are recorded
// per stream; a new value for a recorded type replaces the old one.
func (s *Stream) SetRTPMap(pt uint8, encoding string, hz int) { s.st.setMap(pt, encoding, hz) }

// Add accounts one RTP packet: its header, the length of its payload (padding excluded),
// its arrival time and its packet number. It does not allocate. It is for a stream of its
// own (NewStream): a stream a Tracker holds takes its packets through the Tracker
// (AddRTP, AddRTPInfo), which orders its streams by them to evict the least recently
// active.
func (s *Stream) Add(h *rtp.Header, payloadLen int, arrival time.Time, packet int) {
	s.st.add(h.SequenceNumber, h.Timestamp, h.PayloadType, h.Marker, payloadLen, arrival, packet)
}

// Packets returns the number of packets added so far.
func (s *Stream) Packets() int { return s.st.packets }

// LastSeen returns the arrival time of the last packet added.
func (s *Stream) LastSeen() time.Time { return s.st.last }

// Stats returns a snapshot of the stream's measurements.
func (s *Stream) Stats() Stats {
	return s.st.stats(s.src, s.dst, s.ssrc)
}

// SetRemote records a report block that the stream's receiver sent about it in RTCP,
// arriving at the given time in the given packet. The last one recorded is kept.
func (s *Stream) SetRemote(b ReportBlock, arrival time.Time, packet int) {
	s.st.remote = RemoteReport{
		Packet:       packet,
		Time:         arrival,
		FractionLost: b.FractionLostRatio(),
		CumLost:      int(b.CumLost),
		Jitter:       b.Jitter,
	}
	s.st.hasRemote = true
}
