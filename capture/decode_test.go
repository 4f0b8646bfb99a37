package capture

import (
	"bytes"
	"encoding/binary"
	"net"
	"net/netip"
	"reflect"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Addresses of the test packets: the innermost datagram uses decodeTSrc4/decodeTDst4 (or
// the IPv6 pair), tunnels use the outer pairs.
var (
	decodeTSrc4      = netip.MustParseAddr("192.0.2.1")
	decodeTDst4      = netip.MustParseAddr("198.51.100.2")
	decodeTOuterSrc4 = netip.MustParseAddr("10.0.0.1")
	decodeTOuterDst4 = netip.MustParseAddr("10.0.0.2")
	decodeTSrc6      = netip.MustParseAddr("2001:db8::1")
	decodeTDst6      = netip.MustParseAddr("2001:db8::2")
	decodeTOuterSrc6 = netip.MustParseAddr("2001:db8:ffff::1")
	decodeTOuterDst6 = netip.MustParseAddr("2001:db8:ffff::2")
)

// decodeTSIP is the UDP or TCP payload of the test packets.
var decodeTSIP = []byte("OPTIONS sip:ping@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1:5060\r\nContent-Length: 0\r\n\r\n")

// decodeTCmp compares Frames: addresses by value, nil and empty payloads alike.
var decodeTCmp = []cmp.Option{cmpopts.EquateComparable(netip.Addr{}), cmpopts.EquateEmpty()}

// decodeTEqual reports whether two Frames are equal, payloads compared by content (a nil
// and an empty payload are equal). It is the fast path of cmp.Diff with decodeTCmp.
func decodeTEqual(a, b Frame) bool {
	pa, pb := a.Payload, b.Payload
	a.Payload, b.Payload = nil, nil
	return bytes.Equal(pa, pb) && reflect.DeepEqual(a, b)
}

// decodeTSerialize serializes layers with lengths fixed and checksums computed.
func decodeTSerialize(t testing.TB, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	var network gopacket.NetworkLayer
	for _, l := range ls {
		switch l := l.(type) {
		case *layers.IPv4:
			network = l
		case *layers.IPv6:
			network = l
		case *layers.UDP:
			if network != nil {
				_ = l.SetNetworkLayerForChecksum(network)
			}
		case *layers.TCP:
			if network != nil {
				_ = l.SetNetworkLayerForChecksum(network)
			}
		}
	}
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: network != nil}
	if err := gopacket.SerializeLayers(buf, opts, ls...); err != nil {
		t.Fatalf("serialize: %v", err)
	}
	return slices.Clone(buf.Bytes())
}

func decodeTEth(et layers.EthernetType) *layers.Ethernet {
	return &layers.Ethernet{
		SrcMAC:       net.HardwareAddr{0x02, 0, 0, 0, 0, 0x01},
		DstMAC:       net.HardwareAddr{0x02, 0, 0, 0, 0, 0x02},
		EthernetType: et,
	}
}

// decodeTEthHeader returns a bare 14-byte Ethernet header (serializing a lone
// layers.Ethernet pads it to 60 bytes).
func decodeTEthHeader(etype layers.EthernetType) []byte {
	return binary.BigEndian.AppendUint16([]byte{0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01}, uint16(etype))
}

func decodeTIPv4(src, dst netip.Addr, proto layers.IPProtocol) *layers.IPv4 {
	return &layers.IPv4{Version: 4, TTL: 64, Id: 0x1234, Protocol: proto, SrcIP: src.AsSlice(), DstIP: dst.AsSlice()}
}

func decodeTIPv6(src, dst netip.Addr, next layers.IPProtocol) *layers.IPv6 {
	return &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: next, SrcIP: src.AsSlice(), DstIP: dst.AsSlice()}
}

func decodeTUDP(src, dst uint16) *layers.UDP {
	return &layers.UDP{SrcPort: layers.UDPPort(src), DstPort: layers.UDPPort(dst)}
}

func decodeTTCP() *layers.TCP {
	return &layers.TCP{
		SrcPort: 40000, DstPort: 5060, Seq: 1000, Ack: 2000, SYN: true, ACK: true, ECE: true, Window: 1024,
		Options: []layers.TCPOption{{OptionType: layers.TCPOptionKindMSS, OptionLength: 4, OptionData: []byte{0x05, 0xb4}}},
	}
}

// decodeTInner4 is the innermost IPv4 UDP datagram used inside tunnels.
func decodeTInner4(t testing.TB) []byte {
	return decodeTSerialize(t, decodeTIPv4(decodeTSrc4, decodeTDst4, layers.IPProtocolUDP), decodeTUDP(5060, 5060), gopacket.Payload(decodeTSIP))
}

// decodeTInner6 is the innermost IPv6 UDP datagram used inside tunnels.
func decodeTInner6(t testing.TB) []byte {
	return decodeTSerialize(t, decodeTIPv6(decodeTSrc6, decodeTDst6, layers.IPProtocolUDP), decodeTUDP(5060, 5060), gopacket.Payload(decodeTSIP))
}

// decodeTInnerEth4 is an Ethernet frame around decodeTInner4.
func decodeTInnerEth4(t testing.TB) []byte {
	return decodeTSerialize(t, decodeTEth(layers.EthernetTypeIPv4), gopacket.Payload(decodeTInner4(t)))
}

// decodeTUDPFrame is what the decoder should make of the innermost UDP datagram.
func decodeTUDPFrame(src, dst netip.Addr, encap Encap, vlan uint16) Frame {
	v := uint8(4)
	if src.Is6() {
		v = 6
	}
	return Frame{Encap: encap, VLAN: vlan, IPVersion: v, Src: src, Dst: dst, Proto: ProtoUDP, SrcPort: 5060, DstPort: 5060, Payload: decodeTSIP}
}

// decodeTSLL returns a Linux cooked v1 header.
func decodeTSLL(arphrd, proto uint16) []byte {
	h := make([]byte, 16)
	binary.BigEndian.PutUint16(h[2:], arphrd)
	binary.BigEndian.PutUint16(h[4:], 6)
	copy(h[6:], []byte{0x02, 0, 0, 0, 0, 0x01})
	binary.BigEndian.PutUint16(h[14:], proto)
	return h
}

// decodeTSLL2 returns a Linux cooked v2 header.
func decodeTSLL2(arphrd, proto uint16) []byte {
	h := make([]byte, 20)
	binary.BigEndian.PutUint16(h, proto)
	binary.BigEndian.PutUint32(h[4:], 3)
	binary.BigEndian.PutUint16(h[8:], arphrd)
	h[11] = 6
	copy(h[12:], []byte{0x02, 0, 0, 0, 0, 0x01})
	return h
}

// decodeTERSPAN3 returns an ERSPAN type III header for VLAN 100, session 7.
func decodeTERSPAN3(optional bool, frameType byte) []byte {
	h := []byte{0x20, 100, 0x00, 0x07, 0, 0, 0, 1, 0, 0, frameType << 2, 0}
	if optional {
		h[11] |= 0x01
		h = append(h, 0, 0, 0, 0, 0, 0, 0, 0)
	}
	return h
}

// decodeTMPLS returns n MPLS label stack entries, the last one the bottom of the stack.
func decodeTMPLS(n int, bottom bool) []byte {
	var b []byte
	for i := range n {
		e := uint32(16+i)<<12 | 64
		if bottom && i == n-1 {
			e |= 0x100
		}
		b = binary.BigEndian.AppendUint32(b, e)
	}
	return b
}

// decodeTTags returns n VLAN tags (IDs 1..n), the last one followed by etype.
func decodeTTags(n int, etype uint16) []byte {
	var b []byte
	for i := range n {
		next := uint16(0x8100)
		if i == n-1 {
			next = etype
		}
		b = binary.BigEndian.AppendUint16(b, uint16(i+1))
		b = binary.BigEndian.AppendUint16(b, next)
	}
	return b
}

// decodeTCat concatenates byte slices.
func decodeTCat(parts ...[]byte) []byte { return slices.Concat(parts...) }

// decodeTCase is one packet and what Decode should make of it.
type decodeTCase struct {
	name    string
	link    LinkType
	data    []byte
	wireLen int // 0: len(data)
	gap     Gap
	want    Frame  // checked when gap is GapNone
	tshark  string // why tshark decodes the packet differently; empty when it agrees
}

func (c decodeTCase) packet() Packet {
	n := c.wireLen
	if n == 0 {
		n = len(c.data)
	}
	return Packet{LinkType: c.link, Length: n, Data: c.data}
}

// decodeTCases builds the table of packets, one or more per link type, header and
// encapsulation the decoder knows.
func decodeTCases(t testing.TB) []decodeTCase {
	ser := func(ls ...gopacket.SerializableLayer) []byte { t.Helper(); return decodeTSerialize(t, ls...) }
	eth := decodeTEth
	ip4 := decodeTIPv4
	ip6 := decodeTIPv6
	udp := decodeTUDP
	sip := gopacket.Payload(decodeTSIP)
	raw := func(b []byte) gopacket.Payload { return gopacket.Payload(b) }
	inner4, inner6, innerEth := decodeTInner4(t), decodeTInner6(t), decodeTInnerEth4(t)
	s4, d4, os4, od4 := decodeTSrc4, decodeTDst4, decodeTOuterSrc4, decodeTOuterDst4
	s6, d6, os6, od6 := decodeTSrc6, decodeTDst6, decodeTOuterSrc6, decodeTOuterDst6
	want4 := func(encap Encap, vlan uint16) Frame { return decodeTUDPFrame(s4, d4, encap, vlan) }
	want6 := func(encap Encap, vlan uint16) Frame { return decodeTUDPFrame(s6, d6, encap, vlan) }
	// gre serializes outer headers (Ethernet, IP), then g, then what follows it.
	gre := func(g *layers.GRE, eth, ip gopacket.SerializableLayer, rest ...gopacket.SerializableLayer) []byte {
		return ser(append([]gopacket.SerializableLayer{eth, ip, g}, rest...)...)
	}
	ipUDP := ser(ip4(s4, d4, layers.IPProtocolUDP), udp(5060, 5060), sip)

	sctp := ser(eth(layers.EthernetTypeIPv4), ip4(s4, d4, layers.IPProtocolSCTP), &layers.SCTP{SrcPort: 5060, DstPort: 5060, VerificationTag: 1})
	icmp := ser(eth(layers.EthernetTypeIPv4), ip4(s4, d4, layers.IPProtocolICMPv4), &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(8, 0), Id: 1, Seq: 1})

	var cases []decodeTCase
	add := func(c ...decodeTCase) { cases = append(cases, c...) }

	// Ethernet and the network and transport layers.
	add(
		decodeTCase{name: "eth/ipv4/udp", link: LinkEthernet,
			data: ser(eth(layers.EthernetTypeIPv4), ip4(s4, d4, layers.IPProtocolUDP), udp(5060, 5060), sip),
			want: want4(0, 0)},
		decodeTCase{name: "eth/ipv4/udp padded to 60 bytes", link: LinkEthernet,
			data: append(ser(eth(layers.EthernetTypeIPv4), ip4(s4, d4, layers.IPProtocolUDP), udp(5060, 5060), raw([]byte("x"))), make([]byte, 17)...),
			want: Frame{IPVersion: 4, Src: s4, Dst: d4, Proto: ProtoUDP, SrcPort: 5060, DstPort: 5060, Payload: []byte("x")}},
		decodeTCase{name: "eth/ipv4 options/udp", link: LinkEthernet,
			data: ser(eth(layers.EthernetTypeIPv4), &layers.IPv4{Version: 4, TTL: 1, Protocol: layers.IPProtocolUDP, SrcIP: s4.AsSlice(), DstIP: d4.AsSlice(),
				Options: []layers.IPv4Option{{OptionType: 148, OptionLength: 4, OptionData: []byte{0, 0}}}}, udp(5060, 5060), sip),
			want: want4(0, 0)},
		decodeTCase{name: "eth/ipv4/tcp with options", link: LinkEthernet,
			data: ser(eth(layers.EthernetTypeIPv4), ip4(s4, d4, layers.IPProtocolTCP), decodeTTCP(), sip),
			want: Frame{IPVersion: 4, Src: s4, Dst: d4, Proto: ProtoTCP, SrcPort: 40000, DstPort: 5060, Seq: 1000, Ack: 2000, TCPFlags: TCPSyn | TCPAck, Payload: decodeTSIP}},
		decodeTCase{name: "eth/ipv4/udp length shorter than IP payload", link: LinkEthernet,
			data: func() []byte {
				b := ser(eth(layers.EthernetTypeIPv4), ip4(s4, d4, layers.IPProtocolUDP), udp(5060, 5060), sip)
				binary.BigEndian.PutUint16(b[14+20+4:], uint16(8+len(decodeTSIP)-10))
				return b
			}(),
			want: Frame{IPVersion: 4, Src: s4, Dst: d4, Proto: ProtoUDP, SrcPort: 5060, DstPort: 5060, Payload: decodeTSIP[:len(decodeTSIP)-10]}},
		decodeTCase{name: "eth/ipv4 total length 0 (segmentation offload)/tcp", link: LinkEthernet,
			data: func() []byte {
				b := ser(eth(layers.EthernetTypeIPv4), ip4(s4, d4, layers.IPProtocolTCP), decodeTTCP(), sip)
				b[16], b[17] = 0, 0
				return b
			}(),
			want: Frame{IPVersion: 4, Src: s4, Dst: d4, Proto: ProtoTCP, SrcPort: 40000, DstPort: 5060, Seq: 1000, Ack: 2000, TCPFlags: TCPSyn | TCPAck, Payload: decodeTSIP}},
		decodeTCase{name: "eth/ipv4/sctp", link: LinkEthernet,
			data: sctp, want: Frame{IPVersion: 4, Src: s4, Dst: d4, Proto: ProtoSCTP, Payload: sctp[14+20 : 14+20+12]}}, // the rest is Ethernet padding
		decodeTCase{name: "eth/ipv4/icmp", link: LinkEthernet,
			data: icmp, want: Frame{IPVersion: 4, Src: s4, Dst: d4, Proto: 1, Payload: icmp[14+20 : 14+20+8]}},
		decodeTCase{name: "eth/ipv4/ah/udp", link: LinkEthernet,
			data: ser(eth(layers.EthernetTypeIPv4), ip4(s4, d4, layers.IPProtocolAH), raw(decodeTCat([]byte{17, 4, 0, 0}, make([]byte, 20))), udp(5060, 5060), sip),
			want: want4(0, 0)},
		decodeTCase{name: "eth/ipv6/udp", link: LinkEthernet,
			data: ser(eth(layers.EthernetTypeIPv6), ip6(s6, d6, layers.IPProtocolUDP), udp(5060, 5060), sip),
			want: want6(0, 0)},
		decodeTCase{name: "eth/ipv6 hop-by-hop, routing, destination options/udp", link: LinkEthernet,
			data: ser(eth(layers.EthernetTypeIPv6), ip6(s6, d6, layers.IPProtocolIPv6HopByHop),
				raw([]byte{43, 0, 1, 4, 0, 0, 0, 0}),
				raw([]byte{60, 0, 253, 0, 0, 0, 0, 0}),
				raw([]byte{17, 1, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}),
				udp(5060, 5060), sip),
			want: want6(0, 0)},
		decodeTCase{name: "eth/ipv6/ah/udp", link: LinkEthernet,
			data: ser(eth(layers.EthernetTypeIPv6), ip6(s6, d6, layers.IPProtocolAH), raw(decodeTCat([]byte{17, 4, 0, 0}, make([]byte, 20))), udp(5060, 5060), sip),
			want: want6(0, 0)},
		decodeTCase{name: "eth/ipv6/esp", link: LinkEthernet,
			data: ser(eth(layers.EthernetTypeIPv6), ip6(s6, d6, layers.IPProtocolESP), raw([]byte("0123456789abcdef"))),
			want: Frame{IPVersion: 6, Src: s6, Dst: d6, Proto: 50, Payload: []byte("0123456789abcdef")}},
		decodeTCase{name: "eth/ipv6/tcp", link: LinkEthernet,
			data: ser(eth(layers.EthernetTypeIPv6), ip6(s6, d6, layers.IPProtocolTCP), decodeTTCP(), sip),
			want: Frame{IPVersion: 6, Src: s6, Dst: d6, Proto: ProtoTCP, SrcPort: 40000, DstPort: 5060, Seq: 1000, Ack: 2000, TCPFlags: TCPSyn | TCPAck, Payload: decodeTSIP}},
	)

	// What is not IP.
	add(
		decodeTCase{name: "802.3 LLC (STP)", link: LinkEthernet, gap: GapNotIP,
			data: decodeTCat([]byte{0x01, 0x80, 0xc2, 0, 0, 0, 0x02, 0, 0, 0, 0, 1, 0, 38, 0x42, 0x42, 0x03}, make([]byte, 43))},
		decodeTCase{name: "arp", link: LinkEthernet, gap: GapNotIP,
			data: ser(eth(layers.EthernetTypeARP), &layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
				Operation: 1, SourceHwAddress: make([]byte, 6), SourceProtAddress: s4.AsSlice(), DstHwAddress: make([]byte, 6), DstProtAddress: d4.AsSlice()})},
		decodeTCase{name: "lldp", link: LinkEthernet, gap: GapNotIP, data: decodeTCat(decodeTEthHeader(0x88cc), make([]byte, 30))},
		decodeTCase{name: "vlan/lldp", link: LinkEthernet, gap: GapNotIP, data: decodeTCat(decodeTEthHeader(0x8100), decodeTTags(1, 0x88cc), make([]byte, 30))},
		decodeTCase{name: "unknown ethertype", link: LinkEthernet, gap: GapUnknownEtherType, data: decodeTCat(decodeTEthHeader(0x1234), make([]byte, 30))},
		decodeTCase{name: "pppoe discovery", link: LinkEthernet, gap: GapNotIP, data: decodeTCat(decodeTEthHeader(0x8863), []byte{0x11, 0x09, 0, 0, 0, 0})},
	)

	// VLAN tags.
	add(
		decodeTCase{name: "vlan/ipv4/udp", link: LinkEthernet,
			data: ser(eth(layers.EthernetTypeDot1Q), &layers.Dot1Q{VLANIdentifier: 100, Type: layers.EthernetTypeIPv4}, raw(ipUDP)),
			want: want4(EncapVLAN, 100)},
		decodeTCase{name: "qinq 88a8/vlan/ipv4/udp", link: LinkEthernet,
			data: ser(eth(layers.EthernetTypeQinQ), &layers.Dot1Q{VLANIdentifier: 10, Type: layers.EthernetTypeDot1Q}, &layers.Dot1Q{VLANIdentifier: 20, Type: layers.EthernetTypeIPv4}, raw(ipUDP)),
			want: want4(EncapVLAN|EncapQinQ, 20)},
		decodeTCase{name: "qinq 9100/vlan/ipv6/udp", link: LinkEthernet,
			data: decodeTCat(decodeTEthHeader(0x9100), []byte{0, 10, 0x81, 0x00, 0x0f, 0xff, 0x86, 0xdd}, inner6),
			want: want6(EncapVLAN|EncapQinQ, 4095)},
		decodeTCase{name: "8 vlan tags", link: LinkEthernet,
			data: decodeTCat(decodeTEthHeader(0x8100), decodeTTags(8, 0x0800), inner4),
			want: want4(EncapVLAN, 8)},
		decodeTCase{name: "9 vlan tags", link: LinkEthernet, gap: GapMalformed,
			data: decodeTCat(decodeTEthHeader(0x8100), decodeTTags(9, 0x0800), inner4)},
	)

	// MPLS.
	add(
		decodeTCase{name: "mpls/ipv4/udp", link: LinkEthernet,
			data: ser(eth(layers.EthernetTypeMPLSUnicast), &layers.MPLS{Label: 100, StackBottom: true, TTL: 64}, raw(ipUDP)),
			want: want4(EncapMPLS, 0)},
		decodeTCase{name: "mpls multicast 3 labels/ipv6/udp", link: LinkEthernet,
			data: decodeTCat(decodeTEthHeader(layers.EthernetTypeMPLSMulticast), decodeTMPLS(3, true), inner6),
			want: want6(EncapMPLS, 0)},
		decodeTCase{name: "vlan/mpls 16 labels/ipv4/udp", link: LinkEthernet,
			data: decodeTCat(decodeTEthHeader(0x8100), decodeTTags(1, 0x8847), decodeTMPLS(16, true), inner4),
			want: want4(EncapVLAN|EncapMPLS, 1)},
		decodeTCase{name: "mpls 17 labels", link: LinkEthernet, gap: GapMalformed,
			data: decodeTCat(decodeTEthHeader(0x8847), decodeTMPLS(17, true), inner4)},
		decodeTCase{name: "mpls without bottom of stack", link: LinkEthernet, gap: GapMalformed,
			data: decodeTCat(decodeTEthHeader(0x8847), decodeTMPLS(2, false)), wireLen: 0},
		decodeTCase{name: "mpls pseudowire control word/eth/ipv4/udp", link: LinkEthernet,
			data:   decodeTCat(decodeTEthHeader(0x8847), decodeTMPLS(2, true), []byte{0, 0, 0, 1}, innerEth),
			want:   want4(EncapMPLS, 0),
			tshark: "tshark's pseudowire heuristic takes the control word for the start of a MAC address"},
		decodeTCase{name: "mpls unknown payload", link: LinkEthernet, gap: GapUnknownEncap,
			data: decodeTCat(decodeTEthHeader(0x8847), decodeTMPLS(1, true), []byte{0x50, 0, 0, 0, 0, 0, 0, 0})},
	)

	// PPPoE.
	add(
		decodeTCase{name: "pppoe/ppp/ipv4/udp", link: LinkEthernet,
			data: ser(eth(layers.EthernetTypePPPoESession), &layers.PPPoE{Version: 1, Type: 1, SessionId: 7}, &layers.PPP{PPPType: layers.PPPTypeIPv4}, raw(ipUDP)),
			want: want4(0, 0)},
		decodeTCase{name: "pppoe/ppp/ipv6/udp padded", link: LinkEthernet,
			data: decodeTCat(ser(eth(layers.EthernetTypePPPoESession), &layers.PPPoE{Version: 1, Type: 1, SessionId: 7}, &layers.PPP{PPPType: layers.PPPTypeIPv6}, raw(inner6)), make([]byte, 4)),
			want: want6(0, 0)},
		decodeTCase{name: "pppoe/lcp", link: LinkEthernet, gap: GapNotIP,
			data: ser(eth(layers.EthernetTypePPPoESession), &layers.PPPoE{Version: 1, Type: 1, SessionId: 7}, raw([]byte{0xc0, 0x21, 9, 1, 0, 8, 0, 0, 0, 0}))},
	)

	// Link types other than Ethernet.
	add(
		decodeTCase{name: "sll/ipv4/udp", link: LinkLinuxSLL, data: decodeTCat(decodeTSLL(1, 0x0800), inner4), want: want4(0, 0)},
		decodeTCase{name: "sll/vlan/ipv6/udp", link: LinkLinuxSLL, data: decodeTCat(decodeTSLL(1, 0x8100), decodeTTags(1, 0x86dd), inner6), want: want6(EncapVLAN, 1)},
		decodeTCase{name: "sll/arp", link: LinkLinuxSLL, gap: GapNotIP, data: decodeTCat(decodeTSLL(1, 0x0806), make([]byte, 28))},
		decodeTCase{name: "sll/802.2 llc", link: LinkLinuxSLL, gap: GapNotIP, data: decodeTCat(decodeTSLL(1, 0x0004), make([]byte, 28))},
		decodeTCase{name: "sll/netlink", link: LinkLinuxSLL, gap: GapNotIP, data: decodeTCat(decodeTSLL(824, 0x0000), make([]byte, 28))},
		decodeTCase{name: "sll2/ipv6/udp", link: LinkLinuxSLL2, data: decodeTCat(decodeTSLL2(1, 0x86dd), inner6), want: want6(0, 0)},
		decodeTCase{name: "sll2/ipv4/udp", link: LinkLinuxSLL2, data: decodeTCat(decodeTSLL2(1, 0x0800), inner4), want: want4(0, 0)},
		decodeTCase{name: "raw/ipv4/udp", link: LinkRaw, data: inner4, want: want4(0, 0)},
		decodeTCase{name: "raw/ipv6/udp", link: LinkRaw, data: inner6, want: want6(0, 0)},
		decodeTCase{name: "raw bsd 12/ipv4/udp", link: LinkRawBSD12, data: inner4, want: want4(0, 0)},
		decodeTCase{name: "raw openbsd 14/ipv6/udp", link: LinkRawOpenBSD14, data: inner6, want: want6(0, 0)},
		decodeTCase{name: "raw version 5", link: LinkRaw, gap: GapMalformed, data: decodeTCat([]byte{0x50}, inner4[1:])},
		decodeTCase{name: "ipv4/udp", link: LinkIPv4, data: inner4, want: want4(0, 0)},
		decodeTCase{name: "ipv4 link carrying ipv6", link: LinkIPv4, gap: GapMalformed, data: inner6},
		decodeTCase{name: "ipv6/udp", link: LinkIPv6, data: inner6, want: want6(0, 0)},
		decodeTCase{name: "ipv6 link carrying ipv4", link: LinkIPv6, gap: GapMalformed, data: decodeTCat(inner4, make([]byte, 40))},
		decodeTCase{name: "null little-endian AF_INET/ipv4/udp", link: LinkNull, data: decodeTCat([]byte{2, 0, 0, 0}, inner4), want: want4(0, 0)},
		decodeTCase{name: "null big-endian AF_INET/ipv4/udp", link: LinkNull, data: decodeTCat([]byte{0, 0, 0, 2}, inner4), want: want4(0, 0)},
		decodeTCase{name: "null AF_INET6 24/ipv6/udp", link: LinkNull, data: decodeTCat([]byte{24, 0, 0, 0}, inner6), want: want6(0, 0)},
		decodeTCase{name: "null AF_INET6 28/ipv6/udp", link: LinkNull, data: decodeTCat([]byte{28, 0, 0, 0}, inner6), want: want6(0, 0)},
		decodeTCase{name: "null AF_INET6 30 big-endian/ipv6/udp", link: LinkNull, data: decodeTCat([]byte{0, 0, 0, 30}, inner6), want: want6(0, 0)},
		decodeTCase{name: "null unknown family", link: LinkNull, gap: GapUnknownEtherType, data: decodeTCat([]byte{7, 0, 0, 0}, inner4)},
		decodeTCase{name: "loop AF_INET/ipv4/udp", link: LinkLoop, data: decodeTCat([]byte{0, 0, 0, 2}, inner4), want: want4(0, 0)},
		decodeTCase{name: "loop AF_INET6/ipv6/udp", link: LinkLoop, data: decodeTCat([]byte{0, 0, 0, 24}, inner6), want: want6(0, 0)},
		decodeTCase{name: "unsupported link type", link: 147, gap: GapUnknownLinkType, data: inner4},
	)

	// GRE and ERSPAN.
	ipGRE := func() *layers.IPv4 { return ip4(os4, od4, layers.IPProtocolGRE) }
	add(
		decodeTCase{name: "gre/ipv4/udp", link: LinkEthernet,
			data: gre(&layers.GRE{Protocol: layers.EthernetTypeIPv4}, eth(layers.EthernetTypeIPv4), ipGRE(), raw(inner4)),
			want: want4(EncapGRE, 0)},
		decodeTCase{name: "gre checksum key sequence/ipv4/udp", link: LinkEthernet,
			data: gre(&layers.GRE{ChecksumPresent: true, KeyPresent: true, SeqPresent: true, Key: 9, Seq: 3, Protocol: layers.EthernetTypeIPv4}, eth(layers.EthernetTypeIPv4), ipGRE(), raw(inner4)),
			want: want4(EncapGRE, 0)},
		decodeTCase{name: "gre routing/ipv4/udp", link: LinkEthernet,
			data: gre(&layers.GRE{RoutingPresent: true, Protocol: layers.EthernetTypeIPv4,
				GRERouting: &layers.GRERouting{AddressFamily: 0x0800, SRELength: 8, RoutingInformation: make([]byte, 8)}}, eth(layers.EthernetTypeIPv4), ipGRE(), raw(inner4)),
			want: want4(EncapGRE, 0)},
		decodeTCase{name: "ipv6/gre/ipv6/udp", link: LinkEthernet,
			data: gre(&layers.GRE{Protocol: layers.EthernetTypeIPv6}, eth(layers.EthernetTypeIPv6), ip6(os6, od6, layers.IPProtocolGRE), raw(inner6)),
			want: want6(EncapGRE, 0)},
		decodeTCase{name: "gre/mpls/ipv4/udp", link: LinkEthernet,
			data: gre(&layers.GRE{Protocol: layers.EthernetTypeMPLSUnicast}, eth(layers.EthernetTypeIPv4), ipGRE(), raw(decodeTCat(decodeTMPLS(1, true), inner4))),
			want: want4(EncapGRE|EncapMPLS, 0)},
		decodeTCase{name: "gre transparent ethernet bridging/vlan/ipv4/udp", link: LinkEthernet,
			data: gre(&layers.GRE{KeyPresent: true, Protocol: layers.EthernetTypeTransparentEthernetBridging}, eth(layers.EthernetTypeIPv4), ipGRE(),
				eth(layers.EthernetTypeDot1Q), &layers.Dot1Q{VLANIdentifier: 55, Type: layers.EthernetTypeIPv4}, raw(inner4)),
			want: want4(EncapGRE|EncapVLAN, 55)},
		decodeTCase{name: "gre/erspan type II/eth/ipv4/udp", link: LinkEthernet,
			data: gre(&layers.GRE{SeqPresent: true, Seq: 1, Protocol: layers.EthernetTypeERSPAN}, eth(layers.EthernetTypeIPv4), ipGRE(),
				&layers.ERSPANII{Version: 1, VLANIdentifier: 12, SessionID: 5, Index: 1}, raw(innerEth)),
			want: want4(EncapGRE|EncapERSPAN, 0)},
		decodeTCase{name: "gre/erspan type I/eth/ipv4/udp", link: LinkEthernet,
			data: gre(&layers.GRE{Protocol: layers.EthernetTypeERSPAN}, eth(layers.EthernetTypeIPv4), ipGRE(), raw(innerEth)),
			want: want4(EncapGRE|EncapERSPAN, 0)},
		decodeTCase{name: "gre/erspan type III/eth/ipv4/udp", link: LinkEthernet,
			data: gre(&layers.GRE{SeqPresent: true, Seq: 1, Protocol: 0x22eb}, eth(layers.EthernetTypeIPv4), ipGRE(), raw(decodeTERSPAN3(false, 0)), raw(innerEth)),
			want: want4(EncapGRE|EncapERSPAN, 0)},
		decodeTCase{name: "gre/erspan type III with subheader/eth/ipv4/udp", link: LinkEthernet,
			data: gre(&layers.GRE{SeqPresent: true, Seq: 1, Protocol: 0x22eb}, eth(layers.EthernetTypeIPv4), ipGRE(), raw(decodeTERSPAN3(true, 0)), raw(innerEth)),
			want: want4(EncapGRE|EncapERSPAN, 0)},
		decodeTCase{name: "gre/erspan type III frame type IP", link: LinkEthernet, gap: GapUnknownEncap,
			data: gre(&layers.GRE{SeqPresent: true, Seq: 1, Protocol: 0x22eb}, eth(layers.EthernetTypeIPv4), ipGRE(), raw(decodeTERSPAN3(false, 2)), raw(inner4))},
		decodeTCase{name: "gre/erspan type II bad version", link: LinkEthernet, gap: GapUnknownEncap,
			data: gre(&layers.GRE{SeqPresent: true, Seq: 1, Protocol: layers.EthernetTypeERSPAN}, eth(layers.EthernetTypeIPv4), ipGRE(),
				&layers.ERSPANII{Version: 2}, raw(innerEth))},
		decodeTCase{name: "gre unknown protocol", link: LinkEthernet, gap: GapUnknownEncap,
			data: gre(&layers.GRE{Protocol: 0x1234}, eth(layers.EthernetTypeIPv4), ipGRE(), raw(inner4))},
		decodeTCase{name: "gre version 2", link: LinkEthernet, gap: GapUnknownEncap,
			data: gre(&layers.GRE{Version: 2, Protocol: layers.EthernetTypeIPv4}, eth(layers.EthernetTypeIPv4), ipGRE(), raw(inner4))},
		decodeTCase{name: "enhanced gre (pptp)/ppp/ipv4/udp", link: LinkEthernet,
			data: func() []byte {
				ppp := decodeTCat([]byte{0xff, 0x03, 0x00, 0x21}, inner4)
				return gre(&layers.GRE{KeyPresent: true, SeqPresent: true, AckPresent: true, Version: 1, Protocol: layers.EthernetTypePPP,
					Key: uint32(len(ppp))<<16 | 0x9850, Seq: 1, Ack: 2}, eth(layers.EthernetTypeIPv4), ipGRE(), raw(ppp))
			}(),
			want: want4(EncapGRE, 0)},
		decodeTCase{name: "enhanced gre (pptp)/compressed ppp/ipv4/udp", link: LinkEthernet,
			data: func() []byte {
				ppp := decodeTCat([]byte{0x21}, inner4)
				return gre(&layers.GRE{KeyPresent: true, SeqPresent: true, Version: 1, Protocol: layers.EthernetTypePPP,
					Key: uint32(len(ppp))<<16 | 0x9850, Seq: 1}, eth(layers.EthernetTypeIPv4), ipGRE(), raw(ppp))
			}(),
			want: want4(EncapGRE, 0)},
		decodeTCase{name: "enhanced gre (pptp) acknowledgement only", link: LinkEthernet, gap: GapNotIP,
			data: gre(&layers.GRE{KeyPresent: true, AckPresent: true, Version: 1, Protocol: layers.EthernetTypePPP, Key: 0x9850, Ack: 2},
				eth(layers.EthernetTypeIPv4), ipGRE())},
		decodeTCase{name: "enhanced gre (pptp)/ppp/mppe", link: LinkEthernet, gap: GapUnknownEncap,
			data: gre(&layers.GRE{KeyPresent: true, Version: 1, Protocol: layers.EthernetTypePPP, Key: 6<<16 | 0x9850},
				eth(layers.EthernetTypeIPv4), ipGRE(), raw([]byte{0x00, 0xfd, 1, 2, 3, 4}))},
	)

	// VXLAN and IP in IP.
	vxlan := func(inner []byte, flagI bool) []byte {
		return ser(eth(layers.EthernetTypeDot1Q), &layers.Dot1Q{VLANIdentifier: 30, Type: layers.EthernetTypeIPv4},
			ip4(os4, od4, layers.IPProtocolUDP), udp(49152, 4789), &layers.VXLAN{ValidIDFlag: flagI, VNI: 42}, raw(inner))
	}
	add(
		decodeTCase{name: "vlan/vxlan/eth/ipv4/udp", link: LinkEthernet, data: vxlan(innerEth, true), want: want4(EncapVLAN|EncapVXLAN, 30)},
		decodeTCase{name: "vlan/vxlan/eth/vlan/ipv6/udp", link: LinkEthernet,
			data: vxlan(decodeTCat(decodeTEthHeader(0x8100), []byte{0, 200, 0x86, 0xdd}, inner6), true), want: want6(EncapVLAN|EncapVXLAN, 200)},
		decodeTCase{name: "vlan/vxlan/eth/arp", link: LinkEthernet, gap: GapNotIP,
			data: vxlan(decodeTCat(decodeTEthHeader(layers.EthernetTypeARP), make([]byte, 28)), true)},
		decodeTCase{name: "udp 4789 without the VXLAN I flag", link: LinkEthernet,
			data:   vxlan(innerEth, false),
			tshark: "tshark decodes VXLAN without the I flag, which RFC 7348 requires for a valid VNI",
			want: Frame{Encap: EncapVLAN, VLAN: 30, IPVersion: 4, Src: os4, Dst: od4, Proto: ProtoUDP, SrcPort: 49152, DstPort: 4789,
				Payload: decodeTCat([]byte{0, 0, 0, 0, 0, 0, 42, 0}, innerEth)}},
		decodeTCase{name: "ipv4/ipv4/udp", link: LinkEthernet,
			data: ser(eth(layers.EthernetTypeIPv4), ip4(os4, od4, layers.IPProtocolIPv4), raw(inner4)), want: want4(EncapIPinIP, 0)},
		decodeTCase{name: "ipv4/ipv6/udp", link: LinkEthernet,
			data: ser(eth(layers.EthernetTypeIPv4), ip4(os4, od4, layers.IPProtocolIPv6), raw(inner6)), want: want6(EncapIPinIP, 0)},
		decodeTCase{name: "ipv6/ipv4/udp", link: LinkEthernet,
			data: ser(eth(layers.EthernetTypeIPv6), ip6(os6, od6, layers.IPProtocolIPv4), raw(inner4)), want: want4(EncapIPinIP, 0)},
		decodeTCase{name: "ipv6/ipv6/tcp", link: LinkEthernet,
			data: ser(eth(layers.EthernetTypeIPv6), ip6(os6, od6, layers.IPProtocolIPv6), ip6(s6, d6, layers.IPProtocolTCP), decodeTTCP(), sip),
			want: Frame{Encap: EncapIPinIP, IPVersion: 6, Src: s6, Dst: d6, Proto: ProtoTCP, SrcPort: 40000, DstPort: 5060, Seq: 1000, Ack: 2000, TCPFlags: TCPSyn | TCPAck, Payload: decodeTSIP}},
		decodeTCase{name: "ipv4/ipv4 claiming ipv6", link: LinkEthernet, gap: GapMalformed,
			data: ser(eth(layers.EthernetTypeIPv4), ip4(os4, od4, layers.IPProtocolIPv6), raw(decodeTCat(inner4, make([]byte, 40))))},
		decodeTCase{name: "vxlan/eth/ipv4/icmp has no ports", link: LinkEthernet,
			data: vxlan(ser(eth(layers.EthernetTypeIPv4), ip4(s4, d4, layers.IPProtocolICMPv4), raw([]byte{8, 0, 0xf7, 0xff, 0, 0, 0, 0})), true),
			want: Frame{Encap: EncapVLAN | EncapVXLAN, VLAN: 30, IPVersion: 4, Src: s4, Dst: d4, Proto: 1, Payload: []byte{8, 0, 0xf7, 0xff, 0, 0, 0, 0}}},
	)

	// Nested tunnels: 4 are followed, a 5th is not.
	nest := func(n int) []byte {
		b := inner4
		for range n {
			b = ser(ip4(os4, od4, layers.IPProtocolGRE), &layers.GRE{Protocol: layers.EthernetTypeIPv4}, raw(b))
		}
		return decodeTCat(decodeTEthHeader(layers.EthernetTypeIPv4), b)
	}
	add(
		decodeTCase{name: "4 nested gre tunnels", link: LinkEthernet, data: nest(4), want: want4(EncapGRE, 0)},
		decodeTCase{name: "5 nested gre tunnels", link: LinkEthernet, gap: GapUnknownEncap, data: nest(5)},
		decodeTCase{name: "gre/vxlan/ip-in-ip/gre: 4 tunnels of 3 kinds", link: LinkEthernet,
			data: func() []byte {
				in := ser(ip4(os4, od4, layers.IPProtocolGRE), &layers.GRE{Protocol: layers.EthernetTypeIPv4}, raw(inner4))
				in = ser(eth(layers.EthernetTypeIPv4), ip4(os4, od4, layers.IPProtocolIPv4), raw(in))
				in = ser(ip4(os4, od4, layers.IPProtocolUDP), udp(1, 4789), &layers.VXLAN{ValidIDFlag: true}, raw(in))
				return ser(eth(layers.EthernetTypeIPv4), ipGRE(), &layers.GRE{Protocol: layers.EthernetTypeIPv4}, raw(in))
			}(),
			want: want4(EncapGRE|EncapVXLAN|EncapIPinIP, 0)},
	)

	// Fragments.
	frag4 := func(flags layers.IPv4Flag, offset uint16, payload []byte) []byte {
		ip := ip4(s4, d4, layers.IPProtocolUDP)
		ip.Flags, ip.FragOffset = flags, offset
		return ser(eth(layers.EthernetTypeIPv4), ip, raw(payload))
	}
	data16 := []byte("0123456789abcdef")
	add(
		decodeTCase{name: "ipv4 first fragment", link: LinkEthernet, data: frag4(layers.IPv4MoreFragments, 0, data16),
			want: Frame{IPVersion: 4, Src: s4, Dst: d4, Proto: ProtoUDP, Payload: data16, Fragment: FragmentInfo{Is: true, ID: 0x1234, Offset: 0, More: true}}},
		decodeTCase{name: "ipv4 middle fragment", link: LinkEthernet, data: frag4(layers.IPv4MoreFragments, 2, data16),
			want: Frame{IPVersion: 4, Src: s4, Dst: d4, Proto: ProtoUDP, Payload: data16, Fragment: FragmentInfo{Is: true, ID: 0x1234, Offset: 16, More: true}}},
		decodeTCase{name: "ipv4 last fragment", link: LinkEthernet, data: frag4(0, 8191, data16[:5]),
			want: Frame{IPVersion: 4, Src: s4, Dst: d4, Proto: ProtoUDP, Payload: data16[:5], Fragment: FragmentInfo{Is: true, ID: 0x1234, Offset: 65528}}},
		decodeTCase{name: "ipv4 don't fragment is not a fragment", link: LinkEthernet,
			data: func() []byte {
				ip := ip4(s4, d4, layers.IPProtocolUDP)
				ip.Flags = layers.IPv4DontFragment
				return ser(eth(layers.EthernetTypeIPv4), ip, udp(5060, 5060), sip)
			}(),
			want: want4(0, 0)},
		decodeTCase{name: "ipv6 fragment", link: LinkEthernet,
			data: ser(eth(layers.EthernetTypeIPv6), ip6(s6, d6, layers.IPProtocolIPv6Fragment),
				&layers.IPv6Fragment{NextHeader: layers.IPProtocolUDP, FragmentOffset: 3, MoreFragments: true, Identification: 0xdeadbeef}, raw(data16)),
			want: Frame{IPVersion: 6, Src: s6, Dst: d6, Proto: ProtoUDP, Payload: data16, Fragment: FragmentInfo{Is: true, ID: 0xdeadbeef, Offset: 24, More: true}}},
		decodeTCase{name: "ipv6 hop-by-hop/fragment", link: LinkEthernet,
			data: ser(eth(layers.EthernetTypeIPv6), ip6(s6, d6, layers.IPProtocolIPv6HopByHop), raw([]byte{44, 0, 1, 4, 0, 0, 0, 0}),
				&layers.IPv6Fragment{NextHeader: layers.IPProtocolIPv6Destination, Identification: 5, MoreFragments: true}, raw(data16)),
			want: Frame{IPVersion: 6, Src: s6, Dst: d6, Proto: 60, Payload: data16, Fragment: FragmentInfo{Is: true, ID: 5, More: true}}},
		decodeTCase{name: "ipv6 atomic fragment is a whole datagram", link: LinkEthernet,
			data: ser(eth(layers.EthernetTypeIPv6), ip6(s6, d6, layers.IPProtocolIPv6Fragment),
				&layers.IPv6Fragment{NextHeader: layers.IPProtocolUDP, Identification: 9}, udp(5060, 5060), sip),
			want: want6(0, 0)},
	)

	// Cut by the snap length, and malformed.
	full := ser(eth(layers.EthernetTypeIPv4), ip4(s4, d4, layers.IPProtocolUDP), udp(5060, 5060), sip)
	add(
		decodeTCase{name: "snap length cuts the udp payload", link: LinkEthernet, data: full[:14+20+8+7], wireLen: len(full),
			want: Frame{IPVersion: 4, Src: s4, Dst: d4, Proto: ProtoUDP, SrcPort: 5060, DstPort: 5060, Payload: decodeTSIP[:7], Cut: true}},
		decodeTCase{name: "snap length cuts the udp header", link: LinkEthernet, gap: GapSnapLen, data: full[:14+20+7], wireLen: len(full)},
		decodeTCase{name: "snap length cuts the ethernet header", link: LinkEthernet, gap: GapSnapLen, data: full[:10], wireLen: len(full)},
		decodeTCase{name: "ip total length beyond the frame", link: LinkEthernet, gap: GapMalformed, data: full[:len(full)-1]},
		decodeTCase{name: "ipv4 ihl 4", link: LinkEthernet, gap: GapMalformed,
			data: func() []byte { b := slices.Clone(full); b[14] = 0x44; return b }()},
		decodeTCase{name: "ipv4 total length below ihl", link: LinkEthernet, gap: GapMalformed,
			data: func() []byte { b := slices.Clone(full); b[16], b[17] = 0, 19; return b }()},
		decodeTCase{name: "udp length below 8", link: LinkEthernet, gap: GapMalformed,
			data: func() []byte { b := slices.Clone(full); b[14+20+4], b[14+20+5] = 0, 7; return b }()},
		decodeTCase{name: "udp length beyond the ip payload", link: LinkEthernet, gap: GapMalformed,
			data: func() []byte {
				b := slices.Clone(full)
				binary.BigEndian.PutUint16(b[14+20+4:], uint16(len(full)))
				return b
			}()},
		decodeTCase{name: "tcp data offset 4", link: LinkEthernet, gap: GapMalformed,
			data: func() []byte {
				b := ser(eth(layers.EthernetTypeIPv4), ip4(s4, d4, layers.IPProtocolTCP), decodeTTCP(), sip)
				b[14+20+12] = 0x40
				return b
			}()},
		decodeTCase{name: "ipv6 extension header chain too long", link: LinkEthernet, gap: GapMalformed,
			data: func() []byte {
				var ext []byte
				for range 17 {
					ext = append(ext, 60, 0, 1, 4, 0, 0, 0, 0)
				}
				return ser(eth(layers.EthernetTypeIPv6), ip6(s6, d6, layers.IPProtocolIPv6Destination), raw(ext), udp(5060, 5060), sip)
			}()},
		decodeTCase{name: "ipv6 payload length beyond the frame", link: LinkEthernet, gap: GapMalformed,
			data: func() []byte {
				b := ser(eth(layers.EthernetTypeIPv6), ip6(s6, d6, layers.IPProtocolUDP), udp(5060, 5060), sip)
				b[18]++
				return b
			}()},
		decodeTCase{name: "empty ethernet frame", link: LinkEthernet, gap: GapMalformed, data: nil},
		decodeTCase{name: "pppoe length beyond the frame", link: LinkEthernet, gap: GapMalformed,
			data: func() []byte {
				b := ser(eth(layers.EthernetTypePPPoESession), &layers.PPPoE{Version: 1, Type: 1, SessionId: 7}, &layers.PPP{PPPType: layers.PPPTypeIPv4}, raw(ipUDP))
				b[19]++
				return b
			}()},
	)
	return cases
}

func TestDecode(t *testing.T) {
	var d Decoder
	for _, c := range decodeTCases(t) {
		t.Run(c.name, func(t *testing.T) {
			p := c.packet()
			var f Frame
			gap := d.Decode(&p, &f)
			if gap != c.gap {
				t.Fatalf("Decode gap = %q, want %q (frame %+v)", gap, c.gap, f)
			}
			if gap != GapNone {
				return
			}
			if diff := cmp.Diff(c.want, f, decodeTCmp...); diff != "" {
				t.Errorf("Decode frame mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDecodeReuse decodes every case after every other into the same Frame, and expects
// the same result as decoding into a fresh Frame.
func TestDecodeReuse(t *testing.T) {
	var d Decoder
	cases := decodeTCases(t)
	for _, b := range cases {
		pb := b.packet()
		var fresh Frame
		wantGap := d.Decode(&pb, &fresh)
		for _, a := range cases {
			pa := a.packet()
			var f Frame
			d.Decode(&pa, &f)
			if gap := d.Decode(&pb, &f); gap != wantGap {
				t.Fatalf("%s after %s: gap %q, fresh %q", b.name, a.name, gap, wantGap)
			}
			if decodeTEqual(fresh, f) {
				continue
			}
			if diff := cmp.Diff(fresh, f, decodeTCmp...); diff != "" {
				t.Fatalf("%s after %s: frame differs from a fresh decode (-fresh +reused):\n%s", b.name, a.name, diff)
			}
		}
	}
}

func TestDecodeAllocs(t *testing.T) {
	var d Decoder
	cases := decodeTCases(t)
	packets := make([]Packet, len(cases))
	for i, c := range cases {
		packets[i] = c.packet()
	}
	var f Frame
	allocs := testing.AllocsPerRun(50, func() {
		for i := range packets {
			d.Decode(&packets[i], &f)
		}
	})
	if allocs != 0 {
		t.Errorf("Decode of %d packets allocated %.1f times per run, want 0", len(packets), allocs)
	}
}

// TestDecodeTruncated cuts packets at every offset. Cut by the snap length, a packet whose
// transport header is incomplete is GapSnapLen, and one cut inside its payload decodes
// with Cut set and the captured part of the payload. Cut with no snap length to explain it,
// every prefix contradicts its own headers: GapMalformed.
func TestDecodeTruncated(t *testing.T) {
	ser := func(ls ...gopacket.SerializableLayer) []byte { return decodeTSerialize(t, ls...) }
	sip := gopacket.Payload(decodeTSIP)
	inner4, innerEth := decodeTInner4(t), decodeTInnerEth4(t)
	ipGRE := decodeTIPv4(decodeTOuterSrc4, decodeTOuterDst4, layers.IPProtocolGRE)
	pptp := decodeTCat([]byte{0xff, 0x03, 0x00, 0x21}, inner4)
	tests := []struct {
		name string
		link LinkType
		data []byte
	}{
		{"eth/vlan/ipv4/udp", LinkEthernet, ser(decodeTEth(layers.EthernetTypeDot1Q), &layers.Dot1Q{VLANIdentifier: 5, Type: layers.EthernetTypeIPv4}, gopacket.Payload(inner4))},
		{"eth/ipv6 extension headers/tcp", LinkEthernet, ser(decodeTEth(layers.EthernetTypeIPv6), decodeTIPv6(decodeTSrc6, decodeTDst6, layers.IPProtocolIPv6HopByHop),
			gopacket.Payload([]byte{60, 0, 1, 4, 0, 0, 0, 0, 6, 0, 1, 4, 0, 0, 0, 0}), decodeTTCP(), sip)},
		{"sll2/mpls/ipv4/udp", LinkLinuxSLL2, decodeTCat(decodeTSLL2(1, 0x8847), decodeTMPLS(3, true), inner4)},
		{"eth/gre/erspan III with subheader/eth/ipv4/udp", LinkEthernet, ser(decodeTEth(layers.EthernetTypeIPv4), ipGRE,
			&layers.GRE{SeqPresent: true, KeyPresent: true, Protocol: 0x22eb}, gopacket.Payload(decodeTERSPAN3(true, 0)), gopacket.Payload(innerEth))},
		{"eth/gre pptp/ppp/ipv4/udp", LinkEthernet, ser(decodeTEth(layers.EthernetTypeIPv4), decodeTIPv4(decodeTOuterSrc4, decodeTOuterDst4, layers.IPProtocolGRE),
			&layers.GRE{KeyPresent: true, SeqPresent: true, AckPresent: true, Version: 1, Protocol: layers.EthernetTypePPP, Key: uint32(len(pptp)) << 16}, gopacket.Payload(pptp))},
		{"eth/vxlan/eth/pppoe/ipv4/udp", LinkEthernet, ser(decodeTEth(layers.EthernetTypeIPv4), decodeTIPv4(decodeTOuterSrc4, decodeTOuterDst4, layers.IPProtocolUDP),
			decodeTUDP(1, 4789), &layers.VXLAN{ValidIDFlag: true}, decodeTEth(layers.EthernetTypePPPoESession),
			&layers.PPPoE{Version: 1, Type: 1}, &layers.PPP{PPPType: layers.PPPTypeIPv4}, gopacket.Payload(inner4))},
		{"null/ipv4/ipv4/udp", LinkNull, decodeTCat([]byte{2, 0, 0, 0}, ser(decodeTIPv4(decodeTOuterSrc4, decodeTOuterDst4, layers.IPProtocolIPv4), gopacket.Payload(inner4)))},
	}
	var d Decoder
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			full := Packet{LinkType: tt.link, Length: len(tt.data), Data: tt.data}
			var whole Frame
			if gap := d.Decode(&full, &whole); gap != GapNone || whole.Cut {
				t.Fatalf("whole packet: gap %q, cut %v", gap, whole.Cut)
			}
			headers := len(tt.data) - len(whole.Payload)
			if !slices.Equal(whole.Payload, decodeTSIP) {
				t.Fatalf("whole packet: payload %q, want %q", whole.Payload, decodeTSIP)
			}
			for n := range len(tt.data) {
				p := Packet{LinkType: tt.link, Length: len(tt.data), Data: tt.data[:n]}
				var f Frame
				gap := d.Decode(&p, &f)
				switch {
				case n < headers && gap != GapSnapLen:
					t.Errorf("snap length %d (headers end at %d): gap %q, want %q", n, headers, gap, GapSnapLen)
				case n >= headers && (gap != GapNone || !f.Cut || !slices.Equal(f.Payload, decodeTSIP[:n-headers])):
					t.Errorf("snap length %d (headers end at %d): gap %q, cut %v, payload %q; want no gap, cut, payload %q",
						n, headers, gap, f.Cut, f.Payload, decodeTSIP[:n-headers])
				}
				p.Length = n
				if gap := d.Decode(&p, &f); gap != GapMalformed {
					t.Errorf("%d bytes on the wire: gap %q, want %q", n, gap, GapMalformed)
				}
			}
		})
	}
}

func TestDecodeTransport(t *testing.T) {
	ser := func(ls ...gopacket.SerializableLayer) []byte { return decodeTSerialize(t, ls...) }
	sip := gopacket.Payload(decodeTSIP)
	outer4 := Frame{IPVersion: 4, Src: decodeTOuterSrc4, Dst: decodeTOuterDst4, VLAN: 7, Encap: EncapVLAN | EncapFragmented,
		Proto: 99, SrcPort: 1, DstPort: 2, Seq: 3, Ack: 4, TCPFlags: 5, Cut: true, Payload: []byte("stale"), Fragment: FragmentInfo{Is: true, ID: 1, Offset: 8}}
	outer6 := outer4
	outer6.IPVersion, outer6.Src, outer6.Dst = 6, decodeTOuterSrc6, decodeTOuterDst6
	udpFrom := func(f Frame) Frame {
		return Frame{IPVersion: f.IPVersion, Src: f.Src, Dst: f.Dst, VLAN: 7, Encap: EncapVLAN | EncapFragmented,
			Proto: ProtoUDP, SrcPort: 5060, DstPort: 5060, Payload: decodeTSIP}
	}
	tests := []struct {
		name    string
		frame   Frame
		proto   uint8
		payload []byte
		gap     Gap
		want    Frame
	}{
		{"ipv4 udp", outer4, ProtoUDP, ser(decodeTUDP(5060, 5060), sip), GapNone, udpFrom(outer4)},
		{"ipv6 destination options/udp", outer6, 60, decodeTCat([]byte{17, 0, 1, 4, 0, 0, 0, 0}, ser(decodeTUDP(5060, 5060), sip)), GapNone, udpFrom(outer6)},
		{"ipv6 fragment header in a reassembled datagram", outer6, 44, decodeTCat([]byte{17, 0, 0, 9, 0, 0, 0, 1}, ser(decodeTUDP(5060, 5060), sip)), GapMalformed, Frame{}},
		{"gre/ipv4/udp", outer4, 47, ser(&layers.GRE{Protocol: layers.EthernetTypeIPv4}, gopacket.Payload(decodeTInner4(t))), GapNone,
			Frame{IPVersion: 4, Src: decodeTSrc4, Dst: decodeTDst4, VLAN: 7, Encap: EncapVLAN | EncapFragmented | EncapGRE,
				Proto: ProtoUDP, SrcPort: 5060, DstPort: 5060, Payload: decodeTSIP}},
		{"ipv4/ipv4 fragment", outer4, 4, func() []byte {
			ip := decodeTIPv4(decodeTSrc4, decodeTDst4, layers.IPProtocolUDP)
			ip.Flags = layers.IPv4MoreFragments
			return ser(ip, gopacket.Payload(decodeTSIP[:16]))
		}(), GapNone,
			Frame{IPVersion: 4, Src: decodeTSrc4, Dst: decodeTDst4, VLAN: 7, Encap: EncapVLAN | EncapFragmented | EncapIPinIP,
				Proto: ProtoUDP, Payload: decodeTSIP[:16], Fragment: FragmentInfo{Is: true, ID: 0x1234, More: true}}},
		{"udp cut short", outer4, ProtoUDP, ser(decodeTUDP(5060, 5060), sip)[:20], GapMalformed, Frame{}},
	}
	var d Decoder
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.frame
			gap := d.DecodeTransport(tt.proto, tt.payload, &f)
			if gap != tt.gap {
				t.Fatalf("DecodeTransport gap = %q, want %q", gap, tt.gap)
			}
			if gap != GapNone {
				return
			}
			if diff := cmp.Diff(tt.want, f, decodeTCmp...); diff != "" {
				t.Errorf("DecodeTransport frame mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func BenchmarkDecodeEthernetUDP(b *testing.B) {
	data := decodeTSerialize(b, decodeTEth(layers.EthernetTypeIPv4), gopacket.Payload(decodeTInner4(b)))
	p := Packet{LinkType: LinkEthernet, Length: len(data), Data: data}
	var d Decoder
	var f Frame
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if d.Decode(&p, &f) != GapNone {
			b.Fatal("decode failed")
		}
	}
}

func BenchmarkDecodeVLANMPLS(b *testing.B) {
	data := decodeTCat(decodeTEthHeader(0x8100), decodeTTags(2, 0x8847), decodeTMPLS(3, true), decodeTInner4(b))
	p := Packet{LinkType: LinkEthernet, Length: len(data), Data: data}
	var d Decoder
	var f Frame
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if d.Decode(&p, &f) != GapNone {
			b.Fatal("decode failed")
		}
	}
}
