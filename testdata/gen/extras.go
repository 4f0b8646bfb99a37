package main

import (
	"encoding/binary"
	"net"
	"net/netip"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// random returns n bytes from the scenario's generator.
func (s *scenario) random(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(s.rng.Uint32())
	}
	return b
}

// tlsRecord wraps a body in a TLS record header.
func tlsRecord(contentType byte, version uint16, body []byte) []byte {
	r := []byte{contentType, byte(version >> 8), byte(version), byte(len(body) >> 8), byte(len(body))}
	return append(r, body...)
}

// handshake wraps a handshake message body with its type and 24-bit length.
func handshake(typ byte, body []byte) []byte {
	n := len(body)
	return append([]byte{typ, byte(n >> 16), byte(n >> 8), byte(n)}, body...)
}

// ext writes one TLS extension.
func ext(typ uint16, data []byte) []byte {
	b := binary.BigEndian.AppendUint16(nil, typ)
	b = binary.BigEndian.AppendUint16(b, uint16(len(data)))
	return append(b, data...)
}

func u16s(vs ...uint16) []byte {
	var b []byte
	for _, v := range vs {
		b = binary.BigEndian.AppendUint16(b, v)
	}
	return b
}

// clientHello returns a TLS 1.3 ClientHello record (RFC 8446 §4.1.2) asking for sni.
func (s *scenario) clientHello(sni string) []byte {
	body := u16s(0x0303)
	body = append(body, s.random(32)...)
	body = append(body, 32)
	body = append(body, s.random(32)...)
	suites := u16s(0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8)
	body = append(body, u16s(uint16(len(suites)))...)
	body = append(body, suites...)
	body = append(body, 1, 0) // compression: null
	name := append(u16s(uint16(len(sni)+3)), 0)
	name = append(name, u16s(uint16(len(sni)))...)
	name = append(name, sni...)
	groups := u16s(0x001d, 0x0017, 0x0018)
	sigs := u16s(0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601)
	share := append(u16s(0x001d, 32), s.random(32)...)
	var exts []byte
	exts = append(exts, ext(0, name)...)
	exts = append(exts, ext(10, append(u16s(uint16(len(groups))), groups...))...)
	exts = append(exts, ext(11, []byte{1, 0})...)
	exts = append(exts, ext(13, append(u16s(uint16(len(sigs))), sigs...))...)
	exts = append(exts, ext(43, []byte{4, 0x03, 0x04, 0x03, 0x03})...)
	exts = append(exts, ext(45, []byte{1, 1})...)
	exts = append(exts, ext(51, append(u16s(uint16(len(share))), share...))...)
	body = append(body, u16s(uint16(len(exts)))...)
	body = append(body, exts...)
	return tlsRecord(22, 0x0301, handshake(1, body))
}

// serverFlight returns a TLS 1.3 ServerHello, a ChangeCipherSpec and the encrypted rest of
// the server's handshake (as application data of n bytes).
func (s *scenario) serverFlight(n int) []byte {
	body := u16s(0x0303)
	body = append(body, s.random(32)...)
	body = append(body, 32)
	body = append(body, s.random(32)...)
	body = append(body, u16s(0x1301)...)
	body = append(body, 0)
	exts := ext(43, u16s(0x0304))
	exts = append(exts, ext(51, append(u16s(0x001d, 32), s.random(32)...))...)
	body = append(body, u16s(uint16(len(exts)))...)
	body = append(body, exts...)
	out := tlsRecord(22, 0x0303, handshake(2, body))
	out = append(out, tlsRecord(20, 0x0303, []byte{1})...)
	return append(out, tlsRecord(23, 0x0303, s.random(n))...)
}

// tlsSession writes a TLS connection from cli to srv on which a SIP call is carried (and
// cannot be read): handshake with sni, then encrypted records of the sizes a call's
// messages would have, then an orderly close. It returns the time after the last packet.
func (s *scenario) tlsSession(t time.Time, cli, srv netip.AddrPort, sni string) time.Time {
	c := s.dial(t, cli, srv, 1460)
	t = t.Add(rtt)
	c.send(t, 0, s.clientHello(sni))
	t = t.Add(rtt / 2)
	c.send(t, 1, s.serverFlight(1180))
	t = t.Add(rtt / 2)
	c.send(t, 0, append(tlsRecord(20, 0x0303, []byte{1}), tlsRecord(23, 0x0303, s.random(53))...))
	// INVITE, 100, 180, 200, ACK, BYE, 200 as encrypted records.
	steps := []struct {
		from int
		size int
		gap  time.Duration
	}{
		{0, 1190, 5 * time.Millisecond}, {1, 420, 15 * time.Millisecond}, {1, 610, 120 * time.Millisecond},
		{1, 1050, 1500 * time.Millisecond}, {0, 430, 20 * time.Millisecond},
		{0, 450, 2 * time.Second}, {1, 410, 20 * time.Millisecond},
	}
	for _, st := range steps {
		t = t.Add(st.gap)
		c.send(t, st.from, tlsRecord(23, 0x0303, s.random(st.size)))
		c.ack(t.Add(rtt/2), 1-st.from)
	}
	t = t.Add(30 * time.Second)
	c.close(t, 0)
	return t.Add(rtt)
}

// dnsExchange writes an A query for name from the SBC to its resolver and the answer.
func (s *scenario) dnsExchange(t time.Time, from netip.Addr, name string, answers []string) {
	id := uint16(s.rng.Uint32())
	cli := netip.AddrPortFrom(from, uint16(32768+s.rng.IntN(28000)))
	srv := netip.AddrPortFrom(resolver, 53)
	q := layers.DNSQuestion{Name: []byte(name), Type: layers.DNSTypeA, Class: layers.DNSClassIN}
	query := &layers.DNS{ID: id, RD: true, QDCount: 1, Questions: []layers.DNSQuestion{q}}
	s.add(frame{t: t, data: s.dnsDatagram(cli, srv, query)})
	resp := &layers.DNS{ID: id, QR: true, RD: true, RA: true, QDCount: 1, Questions: []layers.DNSQuestion{q}}
	for _, a := range answers {
		resp.Answers = append(resp.Answers, layers.DNSResourceRecord{
			Name: []byte(name), Type: layers.DNSTypeA, Class: layers.DNSClassIN, TTL: 60,
			IP: net.IP(netip.MustParseAddr(a).AsSlice()),
		})
	}
	resp.ANCount = uint16(len(resp.Answers))
	s.add(frame{t: t.Add(3 * time.Millisecond), data: s.dnsDatagram(srv, cli, resp)})
}

func (s *scenario) dnsDatagram(src, dst netip.AddrPort, msg *layers.DNS) []byte {
	ip := s.ipLayer(src.Addr(), dst.Addr(), layers.IPProtocolUDP, tosNone)
	udp := &layers.UDP{SrcPort: layers.UDPPort(src.Port()), DstPort: layers.UDPPort(dst.Port())}
	if err := udp.SetNetworkLayerForChecksum(ip); err != nil {
		s.fail(err)
	}
	return s.serialize(ip, udp, msg)
}

// ethNoise adds a non-IP Ethernet frame.
func (s *scenario) ethNoise(t time.Time, ls ...gopacket.SerializableLayer) {
	s.add(frame{t: t, data: s.serialize(ls...), eth: true})
}

// noise writes what a switch port carries besides the calls: ARP, LLDP, and a frame
// with an EtherType nobody registered for IP (0x88b5, IEEE local experimental).
func (s *scenario) noise(t time.Time) {
	bcast := net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	gwIP := net.IP{203, 0, 113, 1}
	s.ethNoise(t,
		&layers.Ethernet{SrcMAC: macSBC, DstMAC: bcast, EthernetType: layers.EthernetTypeARP},
		&layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
			Operation: layers.ARPRequest, SourceHwAddress: macSBC, SourceProtAddress: net.IP(sbcIX.AsSlice()),
			DstHwAddress: make(net.HardwareAddr, 6), DstProtAddress: gwIP})
	s.ethNoise(t.Add(300*time.Microsecond),
		&layers.Ethernet{SrcMAC: macRouter, DstMAC: macSBC, EthernetType: layers.EthernetTypeARP},
		&layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
			Operation: layers.ARPReply, SourceHwAddress: macRouter, SourceProtAddress: gwIP,
			DstHwAddress: macSBC, DstProtAddress: net.IP(sbcIX.AsSlice())})
	lldpDst := net.HardwareAddr{0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e}
	sysName := []byte("ix-edge-sw1")
	s.ethNoise(t.Add(700*time.Millisecond),
		&layers.Ethernet{SrcMAC: macRouter, DstMAC: lldpDst, EthernetType: layers.EthernetTypeLinkLayerDiscovery},
		&layers.LinkLayerDiscovery{
			ChassisID: layers.LLDPChassisID{Subtype: layers.LLDPChassisIDSubTypeMACAddr, ID: macRouter},
			PortID:    layers.LLDPPortID{Subtype: layers.LLDPPortIDSubtypeIfaceName, ID: []byte("xe-0/0/7")},
			TTL:       120,
			Values:    []layers.LinkLayerDiscoveryValue{{Type: layers.LLDPTLVSysName, Length: uint16(len(sysName)), Value: sysName}},
		})
	s.ethNoise(t.Add(1300*time.Millisecond),
		&layers.Ethernet{SrcMAC: macRouter, DstMAC: bcast, EthernetType: layers.EthernetType(0x88b5)},
		gopacket.Payload([]byte("ix-lab keepalive 0001")))
}
