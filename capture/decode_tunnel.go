package capture

import "encoding/binary"

// GRE flag bits (RFC 1701, RFC 2784, RFC 2890; RFC 2637 for the acknowledgement bit).
const (
	decodeGREChecksum = 0x8000
	decodeGRERouting  = 0x4000
	decodeGREKey      = 0x2000
	decodeGRESequence = 0x1000
	decodeGREAck      = 0x0080 // enhanced GRE (version 1) only
	decodeGREVersion  = 0x0007
)

// decodeMaxGRERoutes bounds the source route entries of a GRE header (RFC 1701).
const decodeMaxGRERoutes = 16

// decodeGRE decodes a GRE header (IP protocol 47) and the packet it carries.
func decodeGRE(f *Frame, b []byte, cut bool, depth int) Gap {
	if depth == decodeMaxTunnels {
		return GapUnknownEncap
	}
	f.Encap |= EncapGRE
	if len(b) < 4 {
		return decodeShort(cut)
	}
	flags := binary.BigEndian.Uint16(b)
	proto := binary.BigEndian.Uint16(b[2:])
	switch flags & decodeGREVersion {
	case 0:
		return decodeGREv0(f, flags, proto, b, cut, depth+1)
	case 1:
		return decodeGREv1(f, flags, proto, b, cut, depth+1)
	}
	return GapUnknownEncap
}

// decodeGREv0 decodes the payload of version 0 GRE (RFC 2784 with the RFC 2890 key and
// sequence number, and the RFC 1701 routing field).
func decodeGREv0(f *Frame, flags, proto uint16, b []byte, cut bool, depth int) Gap {
	n := 4
	if flags&(decodeGREChecksum|decodeGRERouting) != 0 {
		n += 4 // checksum(2) offset(2)
	}
	if flags&decodeGREKey != 0 {
		n += 4
	}
	if flags&decodeGRESequence != 0 {
		n += 4
	}
	if len(b) < n {
		return decodeShort(cut)
	}
	b = b[n:]
	if flags&decodeGRERouting != 0 {
		// Source route entries: address family(2) offset(1) length(1) information,
		// ending with a NULL entry (family 0, length 0).
		for sre := 0; ; sre++ {
			if sre == decodeMaxGRERoutes {
				return GapMalformed
			}
			if len(b) < 4 {
				return decodeShort(cut)
			}
			family, size := binary.BigEndian.Uint16(b), int(b[3])
			if family == 0 && size == 0 {
				b = b[4:]
				break
			}
			if len(b) < 4+size {
				return decodeShort(cut)
			}
			b = b[4+size:]
		}
	}
	switch proto {
	case decodeEtherIPv4:
		return decodeIPv4(f, b, cut, depth)
	case decodeEtherIPv6:
		return decodeIPv6(f, b, cut, depth)
	case decodeEtherMPLS, decodeEtherMPLSMulti:
		return decodeMPLS(f, b, cut, depth)
	case decodeEtherTEB:
		return decodeEthernet(f, b, cut, depth)
	case decodeEtherPPP:
		return decodePPP(f, b, cut, depth)
	case decodeEtherERSPAN:
		f.Encap |= EncapERSPAN
		if flags&decodeGRESequence == 0 {
			// Type I: the mirrored frame follows the GRE header directly.
			return decodeEthernet(f, b, cut, depth)
		}
		// Type II: version(4) VLAN(12) COS(3) encapsulation(2) truncated(1)
		// session(10) reserved(12) index(20).
		if len(b) < 8 {
			return decodeShort(cut)
		}
		if b[0]>>4 != 1 {
			return GapUnknownEncap
		}
		return decodeEthernet(f, b[8:], cut, depth)
	case decodeEtherERSPAN3:
		f.Encap |= EncapERSPAN
		return decodeERSPAN3(f, b, cut, depth)
	}
	return GapUnknownEncap
}

// decodeERSPAN3 decodes an ERSPAN type III header (draft-foschiano-erspan-03 §4.3):
//
//	version(4) VLAN(12) COS(3) BSO(2) T(1) session(10)
//	timestamp(32)
//	SGT(16) P(1) FT(5) hardware ID(6) D(1) granularity(2) O(1)
//	[platform-specific subheader(64) when O is set]
//
// Only frame type 0, Ethernet, is decoded.
func decodeERSPAN3(f *Frame, b []byte, cut bool, depth int) Gap {
	if len(b) < 12 {
		return decodeShort(cut)
	}
	if b[0]>>4 != 2 {
		return GapUnknownEncap
	}
	n := 12
	if b[11]&0x01 != 0 {
		n += 8
	}
	if frameType := b[10] >> 2 & 0x1f; frameType != 0 {
		return GapUnknownEncap
	}
	if len(b) < n {
		return decodeShort(cut)
	}
	return decodeEthernet(f, b[n:], cut, depth)
}

// decodeGREv1 decodes PPTP's enhanced GRE (RFC 2637), which carries PPP:
//
//	flags and version(2) protocol 0x880b(2) payload length(2) call ID(2)
//	[sequence number(4) when S] [acknowledgement number(4) when A]
//
// A packet with no payload only acknowledges: GapNotIP.
func decodeGREv1(f *Frame, flags, proto uint16, b []byte, cut bool, depth int) Gap {
	if proto != decodeEtherPPP {
		return GapUnknownEncap
	}
	if flags&(decodeGREChecksum|decodeGRERouting) != 0 || flags&decodeGREKey == 0 {
		return GapMalformed
	}
	n := 8
	if flags&decodeGRESequence != 0 {
		n += 4
	}
	if flags&decodeGREAck != 0 {
		n += 4
	}
	if len(b) < n {
		return decodeShort(cut)
	}
	size := int(binary.BigEndian.Uint16(b[4:]))
	b = b[n:]
	switch {
	case size <= len(b):
		b, cut = b[:size], false
	case !cut:
		return GapMalformed
	}
	if size == 0 {
		return GapNotIP
	}
	return decodePPP(f, b, cut, depth)
}

// decodeVXLAN decodes the VXLAN header (RFC 7348) of a UDP payload to port 4789:
// flags(8) reserved(24) VNI(24) reserved(8), then an Ethernet frame. A payload without the
// I flag is not VXLAN and stays a UDP payload.
func decodeVXLAN(f *Frame, b []byte, cut bool, depth int) Gap {
	if len(b) < 8 {
		if cut {
			return GapSnapLen
		}
		return GapNone
	}
	if b[0]&0x08 == 0 {
		return GapNone
	}
	if depth == decodeMaxTunnels {
		return GapUnknownEncap
	}
	f.Encap |= EncapVXLAN
	return decodeEthernet(f, b[8:], cut, depth+1)
}
