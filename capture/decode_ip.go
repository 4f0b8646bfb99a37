package capture

import (
	"encoding/binary"
	"net/netip"
)

// IP protocol numbers the decoder follows beyond TCP, UDP and SCTP.
const (
	decodeProtoIPv4     = 4  // IPv4 in IP
	decodeProtoIPv6     = 41 // IPv6 in IP
	decodeProtoGRE      = 47
	decodeProtoAH       = 51 // authentication header
	decodeProtoHopByHop = 0  // IPv6 extension headers
	decodeProtoRouting  = 43
	decodeProtoFragment = 44
	decodeProtoDestOpts = 60
)

// decodeVXLANPort is the IANA UDP port of VXLAN (RFC 7348).
const decodeVXLANPort = 4789

// DecodeTransport decodes payload as the payload of an IP datagram of protocol proto, for a
// datagram reassembled from fragments. f must already describe the datagram's IP header
// (IPVersion, Src, Dst; Encap and VLAN are kept and added to).
//
// It overwrites the transport fields of f (Proto, ports, TCP fields, Payload, Cut,
// Fragment). For IPv6 it first skips the extension headers of the fragmentable part, where
// another fragment header is GapMalformed. When the payload is a tunnel (GRE, IP-in-IP,
// VXLAN), the inner datagram replaces the IP fields too, as in Decode; if that inner
// datagram is itself a fragment, f.Fragment is set again and f can go to a Defragmenter.
func (d *Decoder) DecodeTransport(proto uint8, payload []byte, f *Frame) Gap {
	decodeResetTransport(f)
	return decodeIPPayload(f, proto, payload, false, 0, false)
}

// decodeResetTransport zeroes what one IP layer describes below its addresses, so an inner
// datagram never inherits an outer one's ports or flags.
func decodeResetTransport(f *Frame) {
	f.Proto, f.SrcPort, f.DstPort = 0, 0, 0
	f.Seq, f.Ack, f.TCPFlags = 0, 0, 0
	f.Payload, f.Cut = nil, false
	f.Fragment = FragmentInfo{}
}

// decodeIP decodes an IPv4 or IPv6 header, by the version in the first nibble.
func decodeIP(f *Frame, b []byte, cut bool, depth int) Gap {
	if len(b) < 1 {
		return decodeShort(cut)
	}
	switch b[0] >> 4 {
	case 4:
		return decodeIPv4(f, b, cut, depth)
	case 6:
		return decodeIPv6(f, b, cut, depth)
	}
	return GapMalformed
}

// decodeIPv4 decodes an IPv4 header (RFC 791). The header checksum is not verified.
func decodeIPv4(f *Frame, b []byte, cut bool, depth int) Gap {
	if len(b) < 20 {
		return decodeShort(cut)
	}
	if b[0]>>4 != 4 {
		return GapMalformed
	}
	ihl := int(b[0]&0x0f) * 4
	if ihl < 20 {
		return GapMalformed
	}
	if len(b) < ihl {
		return decodeShort(cut)
	}
	total := int(binary.BigEndian.Uint16(b[2:]))
	if total < ihl && total != 0 {
		return GapMalformed
	}
	decodeResetTransport(f)
	f.IPVersion = 4
	f.Src = netip.AddrFrom4([4]byte(b[12:16]))
	f.Dst = netip.AddrFrom4([4]byte(b[16:20]))
	switch {
	case total == 0:
		// Segmentation offload: the NIC fills the length in later, so a capture on the
		// sending host shows 0. The datagram runs to the end of the frame.
	case total <= len(b):
		b, cut = b[:total], false // the rest is link-layer padding
	case cut:
		f.Cut = true
	default:
		return GapMalformed
	}
	proto := b[9]
	frag := binary.BigEndian.Uint16(b[6:])
	if more, offset := frag&0x2000 != 0, int(frag&0x1fff)*8; more || offset != 0 {
		f.Proto = proto
		f.Payload = b[ihl:]
		f.Fragment = FragmentInfo{Is: true, ID: uint32(binary.BigEndian.Uint16(b[4:])), Offset: offset, More: more}
		return GapNone
	}
	return decodeIPPayload(f, proto, b[ihl:], cut, depth, true)
}

// decodeIPv6 decodes an IPv6 header (RFC 8200) and its extension headers.
func decodeIPv6(f *Frame, b []byte, cut bool, depth int) Gap {
	if len(b) < 40 {
		return decodeShort(cut)
	}
	if b[0]>>4 != 6 {
		return GapMalformed
	}
	n := int(binary.BigEndian.Uint16(b[4:]))
	decodeResetTransport(f)
	f.IPVersion = 6
	f.Src = netip.AddrFrom16([16]byte(b[8:24]))
	f.Dst = netip.AddrFrom16([16]byte(b[24:40]))
	proto := b[6]
	b = b[40:]
	switch {
	case n == 0:
		// A jumbogram (RFC 2675) or segmentation offload: the payload runs to the end
		// of the frame.
	case n <= len(b):
		b, cut = b[:n], false // the rest is link-layer padding
	case cut:
		f.Cut = true
	default:
		return GapMalformed
	}
	return decodeIPPayload(f, proto, b, cut, depth, true)
}

// decodeIPPayload decodes the payload of an IP datagram: IPv6 extension headers (when the
// innermost IP header so far is IPv6) and authentication headers, then the transport or
// tunnel. allowFragment is false for the payload of a reassembled datagram.
func decodeIPPayload(f *Frame, proto uint8, b []byte, cut bool, depth int, allowFragment bool) Gap {
	for ext := 0; ; ext++ {
		if ext == decodeMaxIPv6Ext {
			return GapMalformed
		}
		var n int
		switch {
		case proto == decodeProtoAH:
			if len(b) < 2 {
				return decodeShort(cut)
			}
			n = (int(b[1]) + 2) * 4
		case f.IPVersion == 6 && (proto == decodeProtoHopByHop || proto == decodeProtoRouting || proto == decodeProtoDestOpts):
			if len(b) < 2 {
				return decodeShort(cut)
			}
			n = (int(b[1]) + 1) * 8
		case f.IPVersion == 6 && proto == decodeProtoFragment:
			if !allowFragment {
				return GapMalformed
			}
			if len(b) < 8 {
				return decodeShort(cut)
			}
			word := binary.BigEndian.Uint16(b[2:])
			more, offset := word&0x0001 != 0, int(word&0xfff8)
			if !more && offset == 0 {
				// An atomic fragment (RFC 6946): a whole datagram, processed as such.
				proto, b = b[0], b[8:]
				continue
			}
			f.Proto = b[0]
			f.Payload = b[8:]
			f.Fragment = FragmentInfo{Is: true, ID: binary.BigEndian.Uint32(b[4:]), Offset: offset, More: more}
			return GapNone
		default:
			return decodeTransport(f, proto, b, cut, depth)
		}
		if len(b) < n {
			return decodeShort(cut)
		}
		proto, b = b[0], b[n:]
	}
}

// decodeTransport decodes the transport header of protocol proto, or the tunnel it is.
func decodeTransport(f *Frame, proto uint8, b []byte, cut bool, depth int) Gap {
	f.Proto = proto
	switch proto {
	case ProtoUDP:
		return decodeUDP(f, b, cut, depth)
	case ProtoTCP:
		// source port(2) destination port(2) sequence(4) acknowledgement(4)
		// data offset(4 bits) reserved(4 bits) flags(1) ...
		if len(b) < 20 {
			return decodeShort(cut)
		}
		off := int(b[12]>>4) * 4
		if off < 20 {
			return GapMalformed
		}
		if len(b) < off {
			return decodeShort(cut)
		}
		f.SrcPort = binary.BigEndian.Uint16(b)
		f.DstPort = binary.BigEndian.Uint16(b[2:])
		f.Seq = binary.BigEndian.Uint32(b[4:])
		f.Ack = binary.BigEndian.Uint32(b[8:])
		f.TCPFlags = b[13] & (TCPFin | TCPSyn | TCPRst | TCPPsh | TCPAck)
		f.Payload = b[off:]
		return GapNone
	case decodeProtoIPv4, decodeProtoIPv6:
		if depth == decodeMaxTunnels {
			return GapUnknownEncap
		}
		f.Encap |= EncapIPinIP
		if proto == decodeProtoIPv4 {
			return decodeIPv4(f, b, cut, depth+1)
		}
		return decodeIPv6(f, b, cut, depth+1)
	case decodeProtoGRE:
		return decodeGRE(f, b, cut, depth)
	}
	// SCTP, ICMP, ESP, ... : the analysis sees the IP payload.
	f.Payload = b
	return GapNone
}

// decodeUDP decodes a UDP header (RFC 768), and VXLAN when the destination port is 4789.
func decodeUDP(f *Frame, b []byte, cut bool, depth int) Gap {
	if len(b) < 8 {
		return decodeShort(cut)
	}
	f.SrcPort = binary.BigEndian.Uint16(b)
	f.DstPort = binary.BigEndian.Uint16(b[2:])
	n := int(binary.BigEndian.Uint16(b[4:]))
	switch {
	case n == 0 && f.IPVersion == 6:
		// A jumbogram's UDP length (RFC 2675): the payload runs to the end of the IP payload.
	case n < 8:
		return GapMalformed
	case n <= len(b):
		b, cut = b[:n], false
	case cut:
		f.Cut = true
	default:
		return GapMalformed
	}
	f.Payload = b[8:]
	if f.DstPort == decodeVXLANPort {
		return decodeVXLAN(f, f.Payload, cut, depth)
	}
	return GapNone
}
