package main

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// MAC addresses from the IANA documentation block 00-00-5E-00-53-00/24 (RFC 7042).
var (
	macSBC    = net.HardwareAddr{0x00, 0x00, 0x5e, 0x00, 0x53, 0x10}
	macRouter = net.HardwareAddr{0x00, 0x00, 0x5e, 0x00, 0x53, 0x01}
	macTapA   = net.HardwareAddr{0x00, 0x00, 0x5e, 0x00, 0x53, 0xa1}
	macTapB   = net.HardwareAddr{0x00, 0x00, 0x5e, 0x00, 0x53, 0xa2}
)

// link frames scenario packets for one link type (LINKTYPE_ value), possibly inside
// encapsulations that still travel over that link type.
type link struct {
	name string                                               // the short name ixaudit reports for the link type
	lt   layers.LinkType                                      // LINKTYPE_ value written in the file
	wrap func(s *scenario, f frame, n uint32) ([]byte, error) // n: 1-based record number
}

// srcOf returns the source address of an IP datagram.
func srcOf(ip []byte) netip.Addr {
	if ip[0]>>4 == 6 {
		a, _ := netip.AddrFromSlice(ip[8:24])
		return a
	}
	a, _ := netip.AddrFromSlice(ip[12:16])
	return a
}

func etherTypeOf(ip []byte) layers.EthernetType {
	if ip[0]>>4 == 6 {
		return layers.EthernetTypeIPv6
	}
	return layers.EthernetTypeIPv4
}

// macs returns the source and destination MAC of a frame seen at the SBC's port: the
// SBC's own frames go to the router and everything else comes from it.
func macs(ip []byte) (src, dst net.HardwareAddr) {
	if fromCustomer(srcOf(ip)) {
		return macSBC, macRouter
	}
	return macRouter, macSBC
}

// ethernetWith returns an Ethernet link whose frames carry the IP datagram behind the
// layers that mid returns (VLAN tags, MPLS labels); the Ethernet type is that of the
// first layer.
func ethernetWith(name string, first layers.EthernetType, mid func(ip []byte) []gopacket.SerializableLayer) link {
	return link{name: name, lt: layers.LinkTypeEthernet, wrap: func(s *scenario, f frame, n uint32) ([]byte, error) {
		if f.eth {
			return f.data, nil
		}
		src, dst := macs(f.data)
		et := first
		if et == 0 {
			et = etherTypeOf(f.data)
		}
		ls := []gopacket.SerializableLayer{&layers.Ethernet{SrcMAC: src, DstMAC: dst, EthernetType: et}}
		if mid != nil {
			ls = append(ls, mid(f.data)...)
		}
		ls = append(ls, gopacket.Payload(f.data))
		return s.serialize(ls...), s.err
	}}
}

var (
	linkEthernet = ethernetWith("ethernet", 0, nil)
	linkVLAN     = ethernetWith("vlan", layers.EthernetTypeDot1Q, func(ip []byte) []gopacket.SerializableLayer {
		return []gopacket.SerializableLayer{&layers.Dot1Q{Priority: 5, VLANIdentifier: 210, Type: etherTypeOf(ip)}}
	})
	linkQinQ88a8 = ethernetWith("qinq-88a8", layers.EthernetTypeQinQ, qinq)
	linkQinQ9100 = ethernetWith("qinq-9100", layers.EthernetType(0x9100), qinq)
	linkMPLS     = ethernetWith("mpls", layers.EthernetTypeMPLSUnicast, func(ip []byte) []gopacket.SerializableLayer {
		return []gopacket.SerializableLayer{
			&layers.MPLS{Label: 16004, TTL: 254},
			&layers.MPLS{Label: 24017, StackBottom: true, TTL: 254},
		}
	})
)

// qinq returns an outer service tag (VLAN 100) and an inner customer tag (VLAN 210).
func qinq(ip []byte) []gopacket.SerializableLayer {
	return []gopacket.SerializableLayer{
		&layers.Dot1Q{VLANIdentifier: 100, Type: layers.EthernetTypeDot1Q},
		&layers.Dot1Q{Priority: 5, VLANIdentifier: 210, Type: etherTypeOf(ip)},
	}
}

// innerEthernet returns the frame as the SBC's port saw it, for encapsulations that carry
// whole Ethernet frames (ERSPAN, VXLAN).
func innerEthernet(s *scenario, f frame) []byte {
	b, _ := linkEthernet.wrap(s, f, 0)
	return b
}

// tunnel returns an Ethernet link carrying each frame inside an outer IPv4 packet between
// the tunnel end points 10.255.0.1 and 10.255.0.2. inner builds the layers after the outer
// IPv4 header; up tells whether the frame goes from A to B.
func tunnel(name string, proto layers.IPProtocol, inner func(s *scenario, f frame, n uint32) []gopacket.SerializableLayer) link {
	return link{name: name, lt: layers.LinkTypeEthernet, wrap: func(s *scenario, f frame, n uint32) ([]byte, error) {
		if f.eth {
			return nil, fmt.Errorf("%s link cannot carry a non-IP frame", name)
		}
		a, b := tunnelA, tunnelB
		ma, mb := macTapA, macTapB
		if !fromCustomer(srcOf(f.data)) {
			a, b, ma, mb = b, a, mb, ma
		}
		outer := s.ipLayer(a, b, proto, tosNone)
		ls := []gopacket.SerializableLayer{&layers.Ethernet{SrcMAC: ma, DstMAC: mb, EthernetType: layers.EthernetTypeIPv4}, outer}
		for _, l := range inner(s, f, n) {
			if u, ok := l.(*layers.UDP); ok {
				if err := u.SetNetworkLayerForChecksum(outer); err != nil {
					return nil, err
				}
			}
			ls = append(ls, l)
		}
		return s.serialize(ls...), s.err
	}}
}

var (
	linkGRE = tunnel("gre", layers.IPProtocolGRE, func(s *scenario, f frame, _ uint32) []gopacket.SerializableLayer {
		return []gopacket.SerializableLayer{&layers.GRE{Protocol: etherTypeOf(f.data)}, gopacket.Payload(f.data)}
	})
	linkIPIP = tunnel("ipip", layers.IPProtocolIPv4, func(s *scenario, f frame, _ uint32) []gopacket.SerializableLayer {
		return []gopacket.SerializableLayer{gopacket.Payload(f.data)}
	})
	linkERSPAN2 = tunnel("erspan2", layers.IPProtocolGRE, func(s *scenario, f frame, n uint32) []gopacket.SerializableLayer {
		return []gopacket.SerializableLayer{
			&layers.GRE{SeqPresent: true, Seq: n, Protocol: layers.EthernetTypeERSPAN},
			&layers.ERSPANII{Version: 1, SessionID: 17, Index: 3},
			gopacket.Payload(innerEthernet(s, f)),
		}
	})
	linkERSPAN3 = tunnel("erspan3", layers.IPProtocolGRE, func(s *scenario, f frame, n uint32) []gopacket.SerializableLayer {
		return []gopacket.SerializableLayer{
			&layers.GRE{SeqPresent: true, Seq: n, Protocol: layers.EthernetType(0x22eb)},
			gopacket.Payload(erspan3Header(17, uint32(f.t.Sub(base).Microseconds()/100))),
			gopacket.Payload(innerEthernet(s, f)),
		}
	})
	linkVXLAN = tunnel("vxlan", layers.IPProtocolUDP, func(s *scenario, f frame, _ uint32) []gopacket.SerializableLayer {
		return []gopacket.SerializableLayer{
			&layers.UDP{SrcPort: 49873, DstPort: 4789},
			&layers.VXLAN{ValidIDFlag: true, VNI: 5001},
			gopacket.Payload(innerEthernet(s, f)),
		}
	})
)

// erspan3Header returns a 12-byte ERSPAN type III header without the optional platform
// sub-header (draft-foschiano-erspan-03 §4.2): version 2, no VLAN, the session ID, a
// timestamp in units of 100 µs (granularity 00), frame type 0 (Ethernet), ingress.
func erspan3Header(session uint16, ts uint32) []byte {
	h := make([]byte, 12)
	binary.BigEndian.PutUint16(h[0:], 2<<12)         // Ver=2, VLAN=0
	binary.BigEndian.PutUint16(h[2:], session&0x3ff) // COS=0, BSO=0, T=0, Session ID
	binary.BigEndian.PutUint32(h[4:], ts)            // Timestamp
	// h[8:10] SGT=0; h[10:12]: P=0, FT=0, Hw ID=0, D=0 (ingress), Gra=00, O=0.
	return h
}

// SLL packet types.
const (
	sllHost     = 0 // to us
	sllOutgoing = 4 // sent by us
)

var (
	// linkSLL is a Linux cooked capture (v1, LINKTYPE_LINUX_SLL): 16 bytes.
	linkSLL = link{name: "linux-sll", lt: layers.LinkTypeLinuxSLL, wrap: func(s *scenario, f frame, n uint32) ([]byte, error) {
		if f.eth {
			return nil, fmt.Errorf("linux-sll link cannot carry an Ethernet frame")
		}
		src, _ := macs(f.data)
		h := make([]byte, 16, 16+len(f.data))
		pt := uint16(sllHost)
		if fromCustomer(srcOf(f.data)) {
			pt = sllOutgoing
		}
		binary.BigEndian.PutUint16(h[0:], pt)
		binary.BigEndian.PutUint16(h[2:], 1) // ARPHRD_ETHER
		binary.BigEndian.PutUint16(h[4:], 6)
		copy(h[6:14], src)
		binary.BigEndian.PutUint16(h[14:], uint16(etherTypeOf(f.data)))
		return append(h, f.data...), nil
	}}
	// linkSLL2 is a Linux cooked capture v2 (LINKTYPE_LINUX_SLL2): 20 bytes.
	linkSLL2 = link{name: "linux-sll2", lt: layers.LinkType(276), wrap: func(s *scenario, f frame, n uint32) ([]byte, error) {
		if f.eth {
			return nil, fmt.Errorf("linux-sll2 link cannot carry an Ethernet frame")
		}
		src, _ := macs(f.data)
		h := make([]byte, 20, 20+len(f.data))
		binary.BigEndian.PutUint16(h[0:], uint16(etherTypeOf(f.data)))
		binary.BigEndian.PutUint32(h[4:], 3) // interface index
		binary.BigEndian.PutUint16(h[8:], 1) // ARPHRD_ETHER
		if fromCustomer(srcOf(f.data)) {
			h[10] = sllOutgoing
		}
		h[11] = 6
		copy(h[12:18], src)
		return append(h, f.data...), nil
	}}
	// linkRaw carries bare IP datagrams (LINKTYPE_RAW, 101).
	linkRaw = link{name: "raw", lt: layers.LinkTypeRaw, wrap: func(s *scenario, f frame, n uint32) ([]byte, error) {
		if f.eth {
			return nil, fmt.Errorf("raw link cannot carry an Ethernet frame")
		}
		return f.data, nil
	}}
	// linkNull is BSD loopback (LINKTYPE_NULL): the address family in host (here little-endian) order.
	linkNull = link{name: "null", lt: layers.LinkTypeNull, wrap: func(s *scenario, f frame, n uint32) ([]byte, error) {
		if f.eth || f.data[0]>>4 != 4 {
			return nil, fmt.Errorf("null link: only IPv4 is written")
		}
		return s.serialize(&layers.Loopback{Family: layers.ProtocolFamilyIPv4}, gopacket.Payload(f.data)), s.err
	}}
	// linkLoop is OpenBSD loopback (LINKTYPE_LOOP): the address family in network order.
	linkLoop = link{name: "loop", lt: layers.LinkTypeLoop, wrap: func(s *scenario, f frame, n uint32) ([]byte, error) {
		if f.eth || f.data[0]>>4 != 4 {
			return nil, fmt.Errorf("loop link: only IPv4 is written")
		}
		return append([]byte{0, 0, 0, 2}, f.data...), nil // AF_INET
	}}
)
