package main

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// base is the time of the first packet of every capture (the bench mode too).
var base = time.Date(2026, time.March, 2, 14, 0, 0, 0, time.UTC)

// Addresses on the customer side. All are documentation ranges (RFC 5737, RFC 3849).
var (
	sbcIX     = netip.MustParseAddr("203.0.113.10")  // the SBC's Interconnect-side address
	sbcIX2    = netip.MustParseAddr("203.0.113.11")  // a second SBC on the Interconnect side
	sbcIX3    = netip.MustParseAddr("203.0.113.12")  // a third SBC on the Interconnect side
	sbcPublic = netip.MustParseAddr("198.51.100.20") // the SBC's public interface
	resolver  = netip.MustParseAddr("192.0.2.53")    // the SBC's DNS resolver
	strayPeer = netip.MustParseAddr("192.0.2.99")    // an old proxy that is no Twilio gateway
	scanner   = netip.MustParseAddr("192.0.2.200")   // a SIP scanner sending junk
	sbcV6     = netip.MustParseAddr("2001:db8:1::10")
	farV6     = netip.MustParseAddr("2001:db8:2::64") // an IPv6 peer standing where a Twilio gateway would
	farV6Med  = netip.MustParseAddr("2001:db8:2::1:10")

	tunnelA = netip.MustParseAddr("10.255.0.1") // tunnel and mirror-session endpoints
	tunnelB = netip.MustParseAddr("10.255.0.2")
)

// customerNets are the networks on the SBC's side of the capture point: frames from them
// carry the SBC's MAC address, and their IP TTL starts at 64.
var customerNets = []netip.Prefix{
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("2001:db8:1::/48"),
	netip.MustParsePrefix("10.255.0.1/32"),
}

func fromCustomer(a netip.Addr) bool {
	for _, p := range customerNets {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// DSCP code points, as the TOS / traffic class byte.
const (
	tosNone = 0
	tosSIP  = 0x60 // CS3
	tosRTP  = 0xb8 // EF
)

// streamKey names one RTP stream the way the contract counts them.
type streamKey struct {
	src, dst netip.AddrPort
	ssrc     uint32
}

// frame is one packet of a scenario before it is framed for a link type.
type frame struct {
	t     time.Time
	data  []byte // an IP datagram; a whole Ethernet frame when eth is set
	eth   bool   // data is an Ethernet frame (non-IP traffic): only Ethernet links carry it
	iface int    // pcapng interface, for captures with several interfaces
	// sip lists the SIP messages whose last byte this frame carries, so the truth of a
	// capture (or of a prefix of it) can be counted from the frames that were written.
	sip []*sipMsg
	rtp *streamKey // the RTP stream this frame belongs to
	// sipCut is set when the snap length cut the SIP message of this frame: it holds the
	// number of the message's bytes that were captured.
	sipCut int
	// fileAt, when set, places the record in the file as if it were stamped fileAt, while
	// its timestamp stays t: records whose timestamps go backwards in file order.
	fileAt time.Time
}

// expectation is one finding a correct audit reports, as the (rule, call_id) pair that
// tests compare.
type expectation struct {
	rule, callID string
}

// scenario collects the packets of one capture and what a correct audit must say about them.
// The first error is kept and every later call does nothing useful; check err at the end.
type scenario struct {
	name   string
	rng    *rand.Rand
	frames []frame
	ipID   map[netip.Addr]uint16
	port   uint16 // next ephemeral TCP port
	expect []expectation
	err    error
	// streamCall names the call each RTP stream belongs to (streams written outside a
	// dialog belong to none).
	streamCall map[streamKey]string
}

// newScenario returns an empty scenario whose random numbers are seeded from its name, so
// each capture is reproducible on its own.
func newScenario(name string) *scenario {
	h := fnv.New64a()
	h.Write([]byte(name))
	seed := h.Sum64()
	return &scenario{
		name: name,
		rng:  rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		ipID: make(map[netip.Addr]uint16),
		port: 40000 + uint16(seed%2000)*2,
	}
}

func (s *scenario) fail(err error) {
	if s.err == nil {
		s.err = fmt.Errorf("%s: %w", s.name, err)
	}
}

// want records an expected finding.
func (s *scenario) want(rule, callID string) {
	s.expect = append(s.expect, expectation{rule, callID})
}

// add appends a frame; frames are put in time order (stable) when the capture is written.
func (s *scenario) add(f frame) { s.frames = append(s.frames, f) }

// sorted returns the frames in time order (by fileAt where it is set); frames with the
// same time keep the order in which they were added.
func (s *scenario) sorted() []frame {
	fs := slices.Clone(s.frames)
	place := func(f frame) time.Time {
		if !f.fileAt.IsZero() {
			return f.fileAt
		}
		return f.t
	}
	slices.SortStableFunc(fs, func(a, b frame) int { return place(a).Compare(place(b)) })
	return fs
}

// serialize runs gopacket.SerializeLayers with lengths and checksums fixed.
func (s *scenario) serialize(ls ...gopacket.SerializableLayer) []byte {
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(buf, opts, ls...); err != nil {
		s.fail(err)
		return nil
	}
	return slices.Clone(buf.Bytes())
}

// nextID returns the next IPv4 identification of a source address.
func (s *scenario) nextID(src netip.Addr) uint16 {
	id, ok := s.ipID[src]
	if !ok {
		id = uint16(s.rng.Uint32())
	}
	s.ipID[src] = id + 1
	return id
}

func ttlFor(src netip.Addr) uint8 {
	if fromCustomer(src) {
		return 64
	}
	return 57 // a few routers away
}

// ipLayer returns the IPv4 or IPv6 header for a packet from src to dst.
func (s *scenario) ipLayer(src, dst netip.Addr, proto layers.IPProtocol, tos uint8) interface {
	gopacket.SerializableLayer
	gopacket.NetworkLayer
} {
	if src.Is4() {
		ip := &layers.IPv4{
			Version: 4, TOS: tos, Id: s.nextID(src), TTL: ttlFor(src), Protocol: proto,
			SrcIP: net.IP(src.AsSlice()), DstIP: net.IP(dst.AsSlice()),
		}
		if proto == layers.IPProtocolTCP {
			ip.Flags = layers.IPv4DontFragment
		}
		return ip
	}
	return &layers.IPv6{
		Version: 6, TrafficClass: tos, HopLimit: ttlFor(src), NextHeader: proto,
		SrcIP: net.IP(src.AsSlice()), DstIP: net.IP(dst.AsSlice()),
	}
}

// udpDatagram returns a whole IP datagram carrying payload over UDP.
func (s *scenario) udpDatagram(src, dst netip.AddrPort, tos uint8, payload []byte) []byte {
	ip := s.ipLayer(src.Addr(), dst.Addr(), layers.IPProtocolUDP, tos)
	udp := &layers.UDP{SrcPort: layers.UDPPort(src.Port()), DstPort: layers.UDPPort(dst.Port())}
	if err := udp.SetNetworkLayerForChecksum(ip); err != nil {
		s.fail(err)
	}
	return s.serialize(ip, udp, gopacket.Payload(payload))
}

// udp adds a UDP datagram at time t; msgs are the SIP messages it carries.
func (s *scenario) udp(t time.Time, src, dst netip.AddrPort, tos uint8, payload []byte, msgs ...*sipMsg) {
	s.add(frame{t: t, data: s.udpDatagram(src, dst, tos, payload), sip: msgs})
}

// fragment splits a serialized IP datagram into n fragments of its payload (multiples of 8
// bytes but the last), each a whole IP datagram. IPv6 fragments carry a Fragment header.
func (s *scenario) fragment(datagram []byte, n int) [][]byte {
	v6 := datagram[0]>>4 == 6
	hdr := 20
	if v6 {
		hdr = 40
	}
	payload := datagram[hdr:]
	size := (len(payload) + n - 1) / n
	size = (size + 7) &^ 7
	id := s.rng.Uint32()
	var out [][]byte
	for off := 0; off < len(payload); off += size {
		end := min(off+size, len(payload))
		more := end < len(payload)
		chunk := gopacket.Payload(payload[off:end])
		if v6 {
			src, _ := netip.AddrFromSlice(datagram[8:24])
			dst, _ := netip.AddrFromSlice(datagram[24:40])
			ip := &layers.IPv6{
				Version: 6, TrafficClass: datagram[0]<<4 | datagram[1]>>4, HopLimit: datagram[7],
				NextHeader: layers.IPProtocolIPv6Fragment,
				SrcIP:      net.IP(src.AsSlice()), DstIP: net.IP(dst.AsSlice()),
			}
			fh := &layers.IPv6Fragment{
				NextHeader: layers.IPProtocol(datagram[6]), FragmentOffset: uint16(off / 8),
				MoreFragments: more, Identification: id,
			}
			out = append(out, s.serialize(ip, fh, chunk))
			continue
		}
		ip := &layers.IPv4{
			Version: 4, TOS: datagram[1], Id: binary.BigEndian.Uint16(datagram[4:6]),
			TTL: datagram[8], Protocol: layers.IPProtocol(datagram[9]),
			SrcIP: net.IP(datagram[12:16]), DstIP: net.IP(datagram[16:20]),
			FragOffset: uint16(off / 8),
		}
		if more {
			ip.Flags = layers.IPv4MoreFragments
		}
		out = append(out, s.serialize(ip, chunk))
	}
	return out
}

// TCP flag sets.
const (
	flagFIN = 1 << iota
	flagSYN
	flagRST
	flagPSH
	flagACK
)

// tcpSegment returns a whole IP datagram carrying one TCP segment.
func (s *scenario) tcpSegment(src, dst netip.AddrPort, seq, ack uint32, flags int, mss uint16, payload []byte) []byte {
	ip := s.ipLayer(src.Addr(), dst.Addr(), layers.IPProtocolTCP, tosSIP)
	tcp := &layers.TCP{
		SrcPort: layers.TCPPort(src.Port()), DstPort: layers.TCPPort(dst.Port()),
		Seq: seq, Ack: ack, Window: 64240,
		FIN: flags&flagFIN != 0, SYN: flags&flagSYN != 0, RST: flags&flagRST != 0,
		PSH: flags&flagPSH != 0, ACK: flags&flagACK != 0,
	}
	if mss != 0 {
		tcp.Options = []layers.TCPOption{{
			OptionType: layers.TCPOptionKindMSS, OptionLength: 4,
			OptionData: binary.BigEndian.AppendUint16(nil, mss),
		}}
	}
	if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
		s.fail(err)
	}
	return s.serialize(ip, tcp, gopacket.Payload(payload))
}

// tcpConn is one TCP connection: index 0 is the client (the side that sent the SYN).
type tcpConn struct {
	s    *scenario
	end  [2]netip.AddrPort
	next [2]uint32 // next sequence number each side sends
}

// rtt is the round-trip time of the TCP connections the generator writes.
const rtt = 12 * time.Millisecond

// dial writes a three-way handshake from cli to srv starting at t, both sides announcing
// mss (0: no option), and returns the connection.
func (s *scenario) dial(t time.Time, cli, srv netip.AddrPort, mss uint16) *tcpConn {
	c := &tcpConn{s: s, end: [2]netip.AddrPort{cli, srv}}
	c.next[0], c.next[1] = s.rng.Uint32(), s.rng.Uint32()
	s.add(frame{t: t, data: s.tcpSegment(cli, srv, c.next[0], 0, flagSYN, mss, nil)})
	c.next[0]++
	s.add(frame{t: t.Add(rtt / 2), data: s.tcpSegment(srv, cli, c.next[1], c.next[0], flagSYN|flagACK, mss, nil)})
	c.next[1]++
	c.ack(t.Add(rtt/2+50*time.Microsecond), 0)
	return c
}

// ephemeral returns a new client port for a TCP connection.
func (s *scenario) ephemeral() uint16 {
	s.port += 2
	return s.port
}

// segment writes one data segment from side `from` at sequence seq, acknowledging
// everything the other side sent. It does not move the connection's sequence numbers.
func (c *tcpConn) segment(t time.Time, from int, seq uint32, data []byte, msgs ...*sipMsg) {
	d := c.s.tcpSegment(c.end[from], c.end[1-from], seq, c.next[1-from], flagPSH|flagACK, 0, data)
	c.s.add(frame{t: t, data: d, sip: msgs})
}

// send writes data from side `from` in one segment.
func (c *tcpConn) send(t time.Time, from int, data []byte, msgs ...*sipMsg) {
	c.segment(t, from, c.next[from], data, msgs...)
	c.next[from] += uint32(len(data))
}

// ack writes a pure acknowledgement from side `from`.
func (c *tcpConn) ack(t time.Time, from int) {
	d := c.s.tcpSegment(c.end[from], c.end[1-from], c.next[from], c.next[1-from], flagACK, 0, nil)
	c.s.add(frame{t: t, data: d})
}

// close writes an orderly FIN exchange started by side `from`.
func (c *tcpConn) close(t time.Time, from int) {
	s := c.s
	s.add(frame{t: t, data: s.tcpSegment(c.end[from], c.end[1-from], c.next[from], c.next[1-from], flagFIN|flagACK, 0, nil)})
	c.next[from]++
	o := 1 - from
	s.add(frame{t: t.Add(rtt / 2), data: s.tcpSegment(c.end[o], c.end[from], c.next[o], c.next[from], flagFIN|flagACK, 0, nil)})
	c.next[o]++
	c.ack(t.Add(rtt/2+80*time.Microsecond), from)
}

// reset writes a RST from side `from`.
func (c *tcpConn) reset(t time.Time, from int) {
	s := c.s
	s.add(frame{t: t, data: s.tcpSegment(c.end[from], c.end[1-from], c.next[from], c.next[1-from], flagRST|flagACK, 0, nil)})
}
