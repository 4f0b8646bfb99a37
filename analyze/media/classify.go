package media

import "encoding/binary"

// Kind is what a UDP payload looks like, by the demultiplexing rules of RFC 7983.
type Kind uint8

// Kinds of UDP payload.
const (
	KindUnknown Kind = iota
	KindRTP          // RTP or SRTP (RFC 3550, RFC 3711)
	KindRTCP         // RTCP or SRTCP
	KindSTUN         // STUN (RFC 5389)
	KindDTLS         // DTLS record (RFC 6347)
	KindZRTP         // ZRTP (RFC 6189)
	KindTURN         // TURN ChannelData (RFC 5766)
)

var kindNames = [...]string{"unknown", "rtp", "rtcp", "stun", "dtls", "zrtp", "turn-channel"}

// String returns the kind's name: "rtp", "rtcp", "stun", ...
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// Classify says what a UDP payload is, testing the first byte in the order of RFC 7983 §7
// (0–3 STUN, 16–19 ZRTP, 20–63 DTLS, 64–79 TURN channel, 128–191 RTP or RTCP) and then the
// structure of the packet. Within 128–191 a valid RTCP compound packet wins over RTP
// (RFC 5761 §4). SRTP and SRTCP are reported as KindRTP and KindRTCP: their headers are in
// clear, and whether a stream is encrypted is for the caller to know from SDP.
func Classify(b []byte) Kind {
	if len(b) == 0 {
		return KindUnknown
	}
	switch c := b[0]; {
	case c <= 3:
		if IsSTUN(b) {
			return KindSTUN
		}
	case c >= 16 && c <= 19:
		if isZRTP(b) {
			return KindZRTP
		}
	case c >= 20 && c <= 63:
		if IsDTLS(b) {
			return KindDTLS
		}
	case c >= 64 && c <= 79:
		if isTURNChannel(b) {
			return KindTURN
		}
	case c >= 128 && c <= 191:
		if IsRTCP(b) {
			return KindRTCP
		}
		if IsRTP(b) {
			return KindRTP
		}
	}
	return KindUnknown
}

// rtpHeaderLen returns the length of the RTP header at the start of b, CSRC list and header
// extension included, or -1 when the version is not 2 or the header does not fit in b.
func rtpHeaderLen(b []byte) int {
	if len(b) < 12 || b[0]>>6 != 2 {
		return -1
	}
	n := 12 + 4*int(b[0]&0x0f)
	if b[0]&0x10 != 0 { // extension
		if len(b) < n+4 {
			return -1
		}
		n += 4 + 4*int(binary.BigEndian.Uint16(b[n+2:]))
	}
	if n > len(b) {
		return -1
	}
	return n
}

// IsRTP reports whether b reads as an RTP (or SRTP) packet: version 2, the CSRC list and the
// header extension inside the packet, padding (when the P bit is set) non-zero and no longer
// than the payload, and a payload type outside 72–76, the values that collide with RTCP
// packet types 200–204 once the marker bit is masked (RFC 5761 §4).
//
// It is a structural test of one datagram and a weak one: about 7% of random datagrams
// pass it, and so do DNS queries whose ID starts with binary 10. Trust it on ports that
// SDP announced, or once a stream of such packets is Stats.Validated.
//
// SRTP packets pass, because their header is in clear. An SRTP packet with the P bit set
// may fail: its padding count is encrypted and its last byte is the authentication tag.
func IsRTP(b []byte) bool {
	n := rtpHeaderLen(b)
	if n < 0 {
		return false
	}
	if pt := b[1] & 0x7f; pt >= 72 && pt <= 76 {
		return false
	}
	if b[0]&0x20 != 0 { // padding
		if len(b) == n {
			return false
		}
		pad := int(b[len(b)-1])
		if pad == 0 || n+pad > len(b) {
			return false
		}
	}
	return true
}

// RTCP packet types (RFC 3550, RFC 4585, RFC 3611).
const (
	rtcpSR    = 200
	rtcpRR    = 201
	rtcpSDES  = 202
	rtcpBYE   = 203
	rtcpAPP   = 204
	rtcpRTPFB = 205
	rtcpPSFB  = 206
	rtcpXR    = 207
)

// IsRTCP reports whether b reads as an RTCP (or SRTCP) compound packet, checked the way
// RFC 3550 Appendix A.2 validates a compound packet, loosened for reduced-size RTCP
// (RFC 5506), for SRTCP, and for senders that pad the datagram:
//
//   - the first packet has version 2, no padding, a packet type in 200–207 (SR, RR, SDES,
//     BYE, APP, RTPFB, PSFB, XR), a length that fits in b and, for SR and RR, room for the
//     sender information and the report blocks its count announces;
//   - the packets after it are walked while their headers read as version 2 with lengths
//     that fit. Whatever is left after them is accepted: an SRTCP trailer (E flag, index,
//     authentication tag) follows the packets, and in SRTCP only the first 8 bytes are in
//     clear, so the packets after the first may be unreadable. A few stray bytes at the
//     end are also accepted, as Wireshark accepts them.
//
// The strength of the test is therefore in the first packet's header and length.
func IsRTCP(b []byte) bool {
	if len(b) < 8 || b[0]>>6 != 2 || b[0]&0x20 != 0 {
		return false
	}
	pt := b[1]
	if pt < rtcpSR || pt > rtcpXR {
		return false
	}
	n := 4 * (int(binary.BigEndian.Uint16(b[2:])) + 1)
	if n > len(b) {
		return false
	}
	rc := int(b[0] & 0x1f)
	switch pt {
	case rtcpSR:
		return n >= 28+24*rc
	case rtcpRR:
		return n >= 8+24*rc
	}
	return true
}

// stunMagicCookie is the fixed value at bytes 4–7 of every RFC 5389 STUN message.
const stunMagicCookie = 0x2112A442

// IsSTUN reports whether b is a STUN message (RFC 5389 §6): a first byte in the STUN range
// of RFC 7983 §7 (0–3, which also makes the top two bits zero, and which every defined
// method and class falls in), the magic cookie 0x2112A442, and a message length that is a
// multiple of 4 and accounts for exactly the bytes after the 20-byte header. Classic STUN
// (RFC 3489), which has no cookie, is not recognised.
func IsSTUN(b []byte) bool {
	if len(b) < 20 || b[0] > 3 || binary.BigEndian.Uint32(b[4:]) != stunMagicCookie {
		return false
	}
	n := int(binary.BigEndian.Uint16(b[2:]))
	return n%4 == 0 && 20+n == len(b)
}

// IsDTLS reports whether b starts with a DTLS record (RFC 6347 §4.1): a first byte in the
// DTLS range of RFC 7983 §7 (20–63), a DTLS version (0xFEFF for 1.0, 0xFEFD for 1.2 and
// for 1.3's compatibility records, 0xFEFC), and a record length that fits in b. A DTLS 1.3
// unified header (first byte 0x20–0x3F, RFC 9147 §4) carries no version to check and is
// not recognised: alone, its first byte matches too much else (SNMP, DNS ...).
func IsDTLS(b []byte) bool {
	if len(b) < 13 || b[0] < 20 || b[0] > 63 || b[1] != 0xfe {
		return false
	}
	if v := b[2]; v != 0xff && v != 0xfd && v != 0xfc {
		return false
	}
	return 13+int(binary.BigEndian.Uint16(b[11:])) <= len(b)
}

// zrtpMagicCookie is the fixed value at bytes 4–7 of every ZRTP packet (RFC 6189 §5).
const zrtpMagicCookie = 0x5a525450 // "ZRTP"

func isZRTP(b []byte) bool {
	return len(b) >= 12 && b[0]&0xf0 == 0x10 && binary.BigEndian.Uint32(b[4:]) == zrtpMagicCookie
}

// isTURNChannel reports a TURN ChannelData message (RFC 5766 §11.4): channel number
// 0x4000–0x4FFF and a data length that fits.
func isTURNChannel(b []byte) bool {
	return len(b) >= 4 && b[0]&0xf0 == 0x40 && 4+int(binary.BigEndian.Uint16(b[2:])) <= len(b)
}
