package capture

import (
	"encoding/binary"
	"net/netip"
)

// Bounds on the nesting the decoder follows. Deeper input is treated as hostile.
const (
	decodeMaxVLANTags   = 8  // 802.1Q/802.1ad tags in one Ethernet frame; more is GapMalformed
	decodeMaxMPLSLabels = 16 // labels in one MPLS stack; more is GapMalformed
	decodeMaxIPv6Ext    = 16 // IPv6 extension headers (and AH) in one chain; more is GapMalformed
	decodeMaxTunnels    = 4  // nested tunnels (GRE, VXLAN, IP-in-IP, MPLS pseudowire); more is GapUnknownEncap
)

// EtherTypes the decoder follows.
const (
	decodeEtherIPv4         = 0x0800
	decodeEtherIPv6         = 0x86dd
	decodeEtherVLAN         = 0x8100 // 802.1Q
	decodeEtherQinQ         = 0x88a8 // 802.1ad service tag
	decodeEtherQinQOld      = 0x9100 // pre-standard QinQ outer tag
	decodeEtherMPLS         = 0x8847
	decodeEtherMPLSMulti    = 0x8848
	decodeEtherPPPoESession = 0x8864
	decodeEtherTEB          = 0x6558 // transparent Ethernet bridging (GRE)
	decodeEtherERSPAN       = 0x88be // ERSPAN type I and II (GRE)
	decodeEtherERSPAN3      = 0x22eb // ERSPAN type III (GRE)
	decodeEtherPPP          = 0x880b // PPP (GRE)
)

// Decoder decodes captured packets in place into Frames, from the link layer down to the
// transport payload of the innermost IP datagram.
//
// It follows 802.1Q/802.1ad tags, MPLS label stacks (with an Ethernet pseudowire behind a
// control word), PPPoE sessions, IPv4 options, IPv6 extension headers, and the tunnels GRE
// (including PPTP's enhanced GRE carrying PPP), ERSPAN types I, II and III, VXLAN on UDP
// port 4789 and IP-in-IP, all through one path: the innermost IP datagram is the one the
// Frame describes.
//
// Decoding never allocates and never keeps a reference to the packet beyond the Frame. The
// zero value is ready to use; a Decoder holds no state between packets, so one Decoder may
// be shared by every input.
type Decoder struct{}

// Decode decodes p.Data according to p.LinkType into f, overwriting every field of f.
//
// It returns GapNone when f holds the transport of an IP datagram, or an IP fragment
// (f.Fragment.Is) that still has to go through a Defragmenter. Otherwise it returns the
// reason the packet cannot be judged, and f holds whatever was decoded before the reason
// was found.
//
// A header that ends before its minimum length is GapSnapLen when the snap length cut the
// packet (p.Length > len(p.Data)) and GapMalformed otherwise. Likewise an IP or UDP length
// that claims more bytes than were captured sets f.Cut when the snap length explains it,
// and is GapMalformed when it does not.
func (d *Decoder) Decode(p *Packet, f *Frame) Gap {
	*f = Frame{}
	if p.LinkType == LinkEthernet && decodeQuick(f, p.Data) {
		return GapNone
	}
	return decodeLink(p, f)
}

// decodeQuick decodes the commonest frame on an SBC's links, untagged Ethernet carrying
// an IPv4 datagram without options, unfragmented, carrying a whole UDP datagram, in one
// function rather than through the general path's chain of one function per layer (on
// the benchmark capture, nearly every packet). It decodes into f, which must be zero,
// exactly what the general path would and reports true, or reports false without
// writing f for anything else: the general path decodes it. FuzzDecode checks that both
// paths agree.
func decodeQuick(f *Frame, b []byte) bool {
	// Ethernet: EtherType IPv4; IPv4: version 4, a 20-byte header.
	if len(b) < 14+20+8 || b[12] != 0x08 || b[13] != 0x00 || b[14] != 0x45 {
		return false
	}
	ip := b[14:]
	total := int(binary.BigEndian.Uint16(ip[2:]))
	// The datagram is captured whole (the rest of the frame is padding), not a
	// fragment (more-fragments flag and offset zero), and UDP.
	if total < 20+8 || total > len(ip) || binary.BigEndian.Uint16(ip[6:])&0x3fff != 0 || ip[9] != ProtoUDP {
		return false
	}
	udp := ip[20:total]
	n := int(binary.BigEndian.Uint16(udp[4:]))
	dst := binary.BigEndian.Uint16(udp[2:])
	if n < 8 || n > len(udp) || dst == decodeVXLANPort {
		return false
	}
	f.IPVersion = 4
	f.Src = netip.AddrFrom4([4]byte(ip[12:16]))
	f.Dst = netip.AddrFrom4([4]byte(ip[16:20]))
	f.Proto = ProtoUDP
	f.SrcPort, f.DstPort = binary.BigEndian.Uint16(udp), dst
	f.Payload = udp[8:n]
	return true
}

// decodeLink is Decode's general path, into f zeroed.
func decodeLink(p *Packet, f *Frame) Gap {
	b := p.Data
	cut := p.Length > len(b)
	switch p.LinkType {
	case LinkEthernet:
		return decodeEthernet(f, b, cut, 0)
	case LinkLinuxSLL:
		// packet type(2) ARPHRD type(2) address length(2) address(8) protocol(2)
		if len(b) < 16 {
			return decodeShort(cut)
		}
		return decodeSLLProtocol(f, binary.BigEndian.Uint16(b[2:]), binary.BigEndian.Uint16(b[14:]), b[16:], cut)
	case LinkLinuxSLL2:
		// protocol(2) reserved(2) interface index(4) ARPHRD type(2) packet type(1)
		// address length(1) address(8)
		if len(b) < 20 {
			return decodeShort(cut)
		}
		return decodeSLLProtocol(f, binary.BigEndian.Uint16(b[8:]), binary.BigEndian.Uint16(b), b[20:], cut)
	case LinkRaw, LinkRawBSD12, LinkRawOpenBSD14:
		return decodeIP(f, b, cut, 0)
	case LinkIPv4:
		return decodeIPv4(f, b, cut, 0)
	case LinkIPv6:
		return decodeIPv6(f, b, cut, 0)
	case LinkNull, LinkLoop:
		return decodeLoopback(f, b, cut)
	}
	return GapUnknownLinkType
}

// decodeShort is the gap for a header that ends before it should: the snap length explains
// it, or the packet contradicts itself.
func decodeShort(cut bool) Gap {
	if cut {
		return GapSnapLen
	}
	return GapMalformed
}

// decodeSLLProtocol follows the protocol field of a Linux cooked header.
func decodeSLLProtocol(f *Frame, arphrd, proto uint16, b []byte, cut bool) Gap {
	const arphrdNetlink = 824
	if arphrd == arphrdNetlink {
		return GapNotIP
	}
	// Values below 0x0600 are Linux's own pseudo-protocols (802.3, 802.2 LLC, CAN, ...),
	// none of which carries IP.
	if proto < 0x0600 {
		return GapNotIP
	}
	return decodeEtherType(f, proto, b, cut, 0)
}

// decodeLoopback decodes the 4-byte address family of LINKTYPE_NULL (host byte order) and
// LINKTYPE_LOOP (network byte order). Real families are small numbers, so the byte order is
// told by value, for both link types.
func decodeLoopback(f *Frame, b []byte, cut bool) Gap {
	if len(b) < 4 {
		return decodeShort(cut)
	}
	family := binary.LittleEndian.Uint32(b)
	if family&0xffff0000 != 0 {
		family = binary.BigEndian.Uint32(b)
	}
	b = b[4:]
	switch family {
	case 2: // AF_INET everywhere
		return decodeIPv4(f, b, cut, 0)
	case 24, 28, 30: // AF_INET6 on NetBSD/OpenBSD, FreeBSD, Darwin
		return decodeIPv6(f, b, cut, 0)
	}
	return GapUnknownEtherType
}

// decodeEthernet decodes an Ethernet II or 802.3 frame.
func decodeEthernet(f *Frame, b []byte, cut bool, depth int) Gap {
	if len(b) < 14 {
		return decodeShort(cut)
	}
	return decodeEtherType(f, binary.BigEndian.Uint16(b[12:]), b[14:], cut, depth)
}

// decodeEtherType follows an EtherType through any VLAN tags to the network layer.
func decodeEtherType(f *Frame, etype uint16, b []byte, cut bool, depth int) Gap {
	for tags := 0; ; tags++ {
		switch etype {
		case decodeEtherIPv4:
			return decodeIPv4(f, b, cut, depth)
		case decodeEtherIPv6:
			return decodeIPv6(f, b, cut, depth)
		case decodeEtherVLAN, decodeEtherQinQ, decodeEtherQinQOld:
			if tags == decodeMaxVLANTags {
				return GapMalformed
			}
			if len(b) < 4 {
				return decodeShort(cut)
			}
			if etype == decodeEtherVLAN {
				f.Encap |= EncapVLAN
			} else {
				f.Encap |= EncapQinQ
			}
			f.VLAN = binary.BigEndian.Uint16(b) & 0x0fff
			etype = binary.BigEndian.Uint16(b[2:])
			b = b[4:]
		case decodeEtherMPLS, decodeEtherMPLSMulti:
			return decodeMPLS(f, b, cut, depth)
		case decodeEtherPPPoESession:
			return decodePPPoE(f, b, cut, depth)
		default:
			if etype <= 1500 || decodeNotIPEtherType(etype) {
				// An 802.3 length field (LLC: STP, CDP, IPX, ...) or a known non-IP protocol.
				return GapNotIP
			}
			return GapUnknownEtherType
		}
	}
}

// decodeNotIPEtherType reports whether etype is a known protocol that does not carry IP.
func decodeNotIPEtherType(etype uint16) bool {
	switch etype {
	case 0x0806, // ARP
		0x8035,         // RARP
		0x88cc,         // LLDP
		0x8137, 0x8138, // IPX
		0x809b, 0x80f3, // AppleTalk, AARP
		0x6002, 0x6003, 0x6004, // DEC MOP, DECnet, LAT
		0x2000,         // CDP
		0x888e,         // EAPOL (802.1X)
		0x8808, 0x8809, // Ethernet flow control, slow protocols (LACP)
		0x88f7,         // PTP
		0x8902,         // 802.1ag CFM
		0x8863,         // PPPoE discovery
		0x88e1, 0x893a, // HomePlug, IEEE 1905.1
		0x8906, 0x8914, // FCoE, FIP
		0x8915,         // RoCE
		0x88a4,         // EtherCAT
		0x88b8, 0x88ba, // IEC 61850 GOOSE, sampled values
		0x9000, // Ethernet configuration testing protocol (loopback)
		0x890d, // 802.11 data encapsulation (TDLS)
		0x8899: // Realtek layer 2 protocols
		return true
	}
	return false
}

// decodeMPLS decodes an MPLS label stack and what follows its bottom label: IPv4 or IPv6 by
// the first nibble, or an Ethernet pseudowire behind a control word (first nibble 0).
func decodeMPLS(f *Frame, b []byte, cut bool, depth int) Gap {
	f.Encap |= EncapMPLS
	for labels := 0; ; labels++ {
		if labels == decodeMaxMPLSLabels {
			return GapMalformed
		}
		if len(b) < 4 {
			return decodeShort(cut)
		}
		bottom := b[2]&0x01 != 0
		b = b[4:]
		if bottom {
			break
		}
	}
	if len(b) < 1 {
		return decodeShort(cut)
	}
	switch b[0] >> 4 {
	case 4:
		return decodeIPv4(f, b, cut, depth)
	case 6:
		return decodeIPv6(f, b, cut, depth)
	case 0:
		// RFC 4385 pseudowire control word, then the emulated Ethernet frame (RFC 4448).
		if depth == decodeMaxTunnels {
			return GapUnknownEncap
		}
		if len(b) < 4 {
			return decodeShort(cut)
		}
		return decodeEthernet(f, b[4:], cut, depth+1)
	}
	return GapUnknownEncap
}

// decodePPPoE decodes a PPPoE session header (RFC 2516) and the PPP frame it carries.
func decodePPPoE(f *Frame, b []byte, cut bool, depth int) Gap {
	// version/type(1) code(1) session ID(2) length(2)
	if len(b) < 6 {
		return decodeShort(cut)
	}
	if b[0] != 0x11 || b[1] != 0 {
		return GapMalformed
	}
	n := int(binary.BigEndian.Uint16(b[4:]))
	b = b[6:]
	switch {
	case n <= len(b):
		b, cut = b[:n], false // the rest is Ethernet padding
	case !cut:
		return GapMalformed
	}
	return decodePPP(f, b, cut, depth)
}

// decodePPP decodes a PPP frame (RFC 1661) as carried by PPPoE and enhanced GRE: an
// optional address/control field 0xff03, then a protocol field of one byte (when
// compressed, odd) or two.
func decodePPP(f *Frame, b []byte, cut bool, depth int) Gap {
	if len(b) < 2 {
		return decodeShort(cut)
	}
	if b[0] == 0xff && b[1] == 0x03 {
		b = b[2:]
		if len(b) < 1 {
			return decodeShort(cut)
		}
	}
	var proto uint16
	if b[0]&0x01 != 0 {
		proto, b = uint16(b[0]), b[1:]
	} else {
		if len(b) < 2 {
			return decodeShort(cut)
		}
		proto, b = binary.BigEndian.Uint16(b), b[2:]
	}
	switch {
	case proto == 0x0021:
		return decodeIPv4(f, b, cut, depth)
	case proto == 0x0057:
		return decodeIPv6(f, b, cut, depth)
	case proto >= 0x8000:
		// Network and link control protocols (IPCP, LCP, PAP, CHAP, ...).
		return GapNotIP
	}
	// Compressed or encrypted datagrams (0x00fd MPPE/CCP), MPLS, and the rest.
	return GapUnknownEncap
}
