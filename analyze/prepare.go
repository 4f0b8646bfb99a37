package analyze

import (
	"time"

	"github.com/pion/rtp"

	"github.com/ixaudit/ixaudit/analyze/media"
	"github.com/ixaudit/ixaudit/analyze/sdp"
	"github.com/ixaudit/ixaudit/analyze/sip"
	"github.com/ixaudit/ixaudit/capture"
)

// Prepared is what the analysis reads of a UDP datagram's payload before it consults any
// state: what the payload looks like (HEP, SIP, a keep-alive, STUN, RTP, RTCP), an RTP
// packet's header, and a SIP message parsed. It depends on the packet alone, so the
// goroutine that reads and decodes a capture can compute it (Preparer, PreparedSource)
// while the analysis goroutine judges earlier packets; the analysis then judges an RTP
// packet without touching its payload, and a SIP message without parsing it. The result
// of an audit is the same either way.
type Prepared struct {
	rtp media.RTPInfo // when kind is media.KindRTP
	// For a fast packet, what the analysis needs of the packet and its frame besides rtp:
	// it judges the packet from this record alone (fastRTP), one cache line
	// (TestPreparedSize), rather than from the four or five lines of the Packet, Frame
	// and Prepared, which another goroutine has just written (on the benchmark capture,
	// 10 to 13 % less analysis time).
	number           int // capture.Packet.Number
	sec              int64
	nsec             int32   // capture.Packet.Time, in UTC
	src, dst         [4]byte // IPv4 addresses
	srcPort, dstPort uint16
	// msg is the payload parsed as SIP, when Prepare was given a PreparedSIP and the
	// datagram is one the analysis parses as SIP.
	msg       *PreparedSIP
	ok        bool // computed, for a whole UDP datagram
	fast      bool // an RTP datagram over IPv4 that goes straight to the media analysis
	hep       bool // starts with HEP3's magic
	sipLike   bool // sip.LooksLikeSIP
	keepAlive bool // a SIP keep-alive (isKeepAlive)
	stun      bool // media.IsSTUN
	kind      media.Kind
}

// PreparedSIP is a SIP message that Prepare parsed, the error parsing returned, and its
// SDP body parsed: the analysis judges the message and its SDP without parsing either.
type PreparedSIP struct {
	Message sip.Message
	err     error
	// sdp is the message's SDP body (sip.Message.SDP) parsed, when sdpDone; sdpErr is what
	// parsing it returned.
	sdp     sdp.Session
	sdpErr  error
	sdpDone bool
}

// Err returns what parsing the message returned.
func (p *PreparedSIP) Err() error { return p.err }

// SDP returns the message's SDP body as parsed ahead, and what parsing it returned; ok is
// false when it was not (the message has no SDP body, or did not parse).
func (p *PreparedSIP) SDP() (s *sdp.Session, ok bool, err error) {
	if !p.sdpDone {
		return nil, false, nil
	}
	return &p.sdp, true, p.sdpErr
}

// parse parses b into p: the message, and its SDP body when it has one.
func (p *PreparedSIP) parse(b []byte) {
	if p.parseMessage(b) == nil {
		p.parseSDP()
	}
}

// parseMessage parses b into p, leaving its SDP body to parseSDP.
func (p *PreparedSIP) parseMessage(b []byte) error {
	p.err, p.sdpDone = p.Message.Parse(b), false
	return p.err
}

// parseSDP parses the message's SDP body into p.sdp, once; it reports whether there is
// one.
func (p *PreparedSIP) parseSDP() bool {
	if !p.sdpDone {
		body := p.Message.SDP()
		if len(body) == 0 {
			return false
		}
		p.sdpErr, p.sdpDone = p.sdp.Parse(body), true
	}
	return true
}

// Preparer computes Prepared. Its zero value is ready; it is used by one goroutine.
type Preparer struct {
	hdr rtp.Header // scratch for RTP headers with CSRCs or an extension
}

// Prepare computes out for p and f, a packet and its frame as capture.Decoder.Decode gave
// it with the gap g. Only a whole UDP datagram is prepared: for anything else (a gap, a
// fragment, another protocol) out is marked unprepared, and the analysis reads the packet
// itself.
//
// When msg is not nil and the datagram is one the analysis parses as SIP, Prepare parses
// it into msg, to which out then refers: msg must stay as it is for as long as out is
// used. Prepare reports whether it used msg.
func (pr *Preparer) Prepare(p *capture.Packet, f *capture.Frame, g capture.Gap, out *Prepared, msg *PreparedSIP) bool {
	if g != capture.GapNone || f.Fragment.Is || f.Proto != capture.ProtoUDP {
		*out = Prepared{}
		return false
	}
	pr.prepare(f.Payload, out)
	if out.isFast(f) && p.Time.Location() == time.UTC {
		out.fast = true
		out.number = p.Number
		out.sec, out.nsec = p.Time.Unix(), int32(p.Time.Nanosecond())
		out.src, out.dst = f.Src.As4(), f.Dst.As4()
		out.srcPort, out.dstPort = f.SrcPort, f.DstPort
		return false
	}
	if msg == nil || !out.parsedAsSIP(f) {
		return false
	}
	msg.parse(f.Payload)
	out.msg = msg
	return true
}

// Fast reports whether the analysis judges the datagram from p alone (an RTP datagram
// over IPv4 that goes straight to the media analysis), without reading its Packet or
// Frame.
func (p *Prepared) Fast() bool { return p.fast }

// udpRoute is where inputAuditor.udp sends a datagram, decided by its ports and by what
// its payload looks like, before any state is consulted (route).
type udpRoute uint8

const (
	routeHEP   udpRoute = iota // HEP3, on any port
	routeDNS                   // DNS or multicast DNS ports
	routeSIP                   // a SIP port, or a payload that looks like SIP
	routeMedia                 // anything else: media, or a keep-alive to Twilio (udp decides)
)

// route returns where udp sends the datagram f, prepared as p. udp, isFast and
// parsedAsSIP all go by it, so that what is prepared ahead follows udp's order.
func (p *Prepared) route(f *capture.Frame) udpRoute {
	switch {
	case p.hep:
		return routeHEP
	case isDNSPort(f.SrcPort) || isDNSPort(f.DstPort):
		return routeDNS
	case isSIPPort(f.SrcPort) || isSIPPort(f.DstPort) || p.sipLike:
		return routeSIP
	}
	return routeMedia
}

// isFast reports whether the datagram f, prepared as p, is RTP over IPv4 that udp hands
// straight to mediaPacket.
func (p *Prepared) isFast(f *capture.Frame) bool {
	return p.kind == media.KindRTP && !p.keepAlive && p.route(f) == routeMedia && f.Src.Is4() && f.Dst.Is4()
}

// parsedAsSIP reports whether udp parses the datagram f, prepared as p, as a SIP message.
func (p *Prepared) parsedAsSIP(f *capture.Frame) bool {
	return p.route(f) == routeSIP && !p.keepAlive && !p.stun
}

// prepare computes out for a UDP payload.
func (pr *Preparer) prepare(b []byte, out *Prepared) {
	if len(b) > 0 && b[0] >= 0x80 && b[0] < 0xc0 {
		// Version 2 in the first two bits, as in RTP and RTCP, and in no HEP3 magic,
		// SIP start line, keep-alive or STUN message: only the media kind needs looking
		// at, for the commonest payload by far. prepareAny gives the same
		// (TestPrepareVersion2).
		*out = Prepared{ok: true, kind: media.Classify(b)}
		if out.kind == media.KindRTP {
			media.ReadRTP(&pr.hdr, b, &out.rtp)
		}
		return
	}
	pr.prepareAny(b, out)
}

// prepareAny is prepare for any payload, every test made.
func (pr *Preparer) prepareAny(b []byte, out *Prepared) {
	*out = Prepared{
		ok:        true,
		hep:       isHEP3(b),
		sipLike:   sip.LooksLikeSIP(b),
		keepAlive: isKeepAlive(b),
		stun:      media.IsSTUN(b),
		kind:      media.Classify(b),
	}
	if out.kind == media.KindRTP { // Classify says RTP only of what IsRTP accepts
		media.ReadRTP(&pr.hdr, b, &out.rtp)
	}
}

// PreparedSource is a capture.Source that also decodes (capture.Decoder) and prepares
// (Preparer) the packets it reads, as cmd/ixaudit's read-ahead goroutine does, so that a
// consumer in another goroutine need not.
type PreparedSource interface {
	capture.Source
	// ReadPrepared returns the next packet, its decoding, the gap Decode returned and
	// what Prepare gave. At the end of the capture it returns io.EOF, and the error that
	// ended the capture otherwise, as ReadPacket does. The Packet, Frame and Prepared are
	// the source's own: valid, and the consumer's to change, until the next call. When
	// the Prepared is Fast, the Frame is not read and may be nil.
	ReadPrepared() (*capture.Packet, *capture.Frame, capture.Gap, *Prepared, error)
}
