package main

import (
	"time"
)

// captureCase is one capture file to write and what to say about it in MANIFEST.json.
type captureCase struct {
	file    string
	group   string // "decoding", "rules" or "demo"
	shows   string
	format  fileFormat
	ifaces  []iface
	encap   string // the encapsulation around IP, when there is one
	s       *scenario
	keep    func(f frame) bool // the frames of s to write (nil: all)
	ifaceOf func(f frame) int  // the interface of each frame (nil: 0)
	flags   []string
	snaplen uint32 // 0: defSnap
	cutAt   int    // cut the file in the middle of this record (1-based); 0: whole
	// decodeAs are the tshark -d arguments the case needs.
	decodeAs []string
	gaps     map[string]int
	note     string
	// listStreams writes each RTP stream and its call into the manifest entry.
	listStreams bool
}

func eth(name string) []iface { return []iface{{name, linkEthernet}} }
func one(l link) []iface      { return []iface{{"cap0", l}} }
func at(ms int) time.Time     { return base.Add(time.Duration(ms) * time.Millisecond) }

// basicCall writes the compliant termination call that every decoding case carries: the
// SBC's Interconnect address calls mytrunk.pstn.ashburn-ix.twilio.com at 208.78.112.64,
// 7 SIP messages over UDP, 1 s of G.711 both ways and one RTCP report per side.
func basicCall(s *scenario, fragInvite bool) string {
	id, _ := s.call(at(100), callPlan{
		label: "basic", sbc: ap(sbcIX, 5060), peer: ap(gateway("ashburn-ix", 0), 5060),
		sbcSDP: sdpSpec{rtcpAttr: true, big: fragInvite}, media: mediaOpts{rtcp: true},
		fragInvite: fragInvite,
	})
	return id
}

// ipv6Call writes the same call over IPv6. Twilio publishes no IPv6 gateway, so the far
// end is a documentation address and the call's path is unknown.
func ipv6Call(s *scenario, fragInvite bool) {
	s.call(at(100), callPlan{
		label: "ipv6", sbc: ap(sbcV6, 5060), peer: ap(farV6, 5060),
		ruri:     "sip:+14155550142@mytrunk.pstn.ashburn-ix.twilio.com",
		sbcMedia: ap(sbcV6, 20000), peerMedia: ap(farV6Med, 16000),
		sbcSDP: sdpSpec{rtcpAttr: true, big: fragInvite}, media: mediaOpts{rtcp: true},
		fragInvite: fragInvite,
		want:       []string{"signalling-unknown-peer"},
	})
}

const ipv6Note = "The far end is an IPv6 documentation address: Twilio publishes no IPv6 gateway, so no Twilio peer " +
	"is involved; the call is a termination only by its *.twilio.com Request-URI host, its path is unknown and " +
	"signalling-unknown-peer fires. Ambiguity: the contract applies media and SDP rules to 'the Twilio side'; " +
	"with no Twilio peer there is none, so no SDP or media rule is expected (an engine that treats the " +
	"far end's IPv6 media address as a Twilio-side address would add media-address-outside-range)."

func decodingCases() []captureCase {
	basic := newScenario("basic-call")
	basicCall(basic, false)
	same := "the basic call"
	byDirection := func(f frame) int {
		if fromCustomer(srcOf(f.data)) {
			return 0
		}
		return 1
	}
	cases := []captureCase{
		{file: "eth.pcap", shows: same + ", Ethernet, pcap with microsecond timestamps", format: fmtPcap, ifaces: eth("eth0"), s: basic},
		{file: "eth-ns.pcap", shows: same + ", pcap with nanosecond timestamps (magic a1b23c4d)", format: fmtPcapNs, ifaces: eth("eth0"), s: basic},
		{file: "eth-be.pcap", shows: same + ", big-endian pcap (header and records byte-swapped)", format: fmtPcapBE, ifaces: eth("eth0"), s: basic},
		{file: "eth.pcapng", shows: same + ", pcapng with one Ethernet interface", format: fmtPcapng, ifaces: eth("ix0"), s: basic},
		{file: "eth.pcap.gz", shows: same + ", gzip-compressed pcap", format: fmtPcapGz, ifaces: eth("eth0"), s: basic},
		{file: "sll.pcap", shows: same + ", Linux cooked capture v1 (LINKTYPE_LINUX_SLL 113)", format: fmtPcap, ifaces: one(linkSLL), s: basic},
		{file: "sll2.pcap", shows: same + ", Linux cooked capture v2 (LINKTYPE_LINUX_SLL2 276)", format: fmtPcap, ifaces: one(linkSLL2), s: basic},
		{file: "raw.pcap", shows: same + ", raw IP (LINKTYPE_RAW 101)", format: fmtPcap, ifaces: one(linkRaw), s: basic},
		{file: "null.pcap", shows: same + ", BSD loopback (LINKTYPE_NULL 0, family in little-endian)", format: fmtPcap, ifaces: one(linkNull), s: basic},
		{file: "loop.pcap", shows: same + ", OpenBSD loopback (LINKTYPE_LOOP 108, family in network order)", format: fmtPcap, ifaces: one(linkLoop), s: basic},
		{file: "vlan.pcap", shows: same + ", 802.1Q VLAN 210", format: fmtPcap, ifaces: one(linkVLAN), encap: "802.1Q", s: basic},
		{file: "qinq-88a8.pcap", shows: same + ", QinQ: 802.1ad outer tag 0x88a8 (VLAN 100) over 802.1Q VLAN 210", format: fmtPcap, ifaces: one(linkQinQ88a8), encap: "802.1ad+802.1Q", s: basic},
		{file: "qinq-9100.pcap", shows: same + ", QinQ: pre-standard outer tag 0x9100 (VLAN 100) over 802.1Q VLAN 210", format: fmtPcap, ifaces: one(linkQinQ9100), encap: "0x9100+802.1Q", s: basic},
		{file: "mpls.pcap", shows: same + ", MPLS with a two-label stack (16004, 24017)", format: fmtPcap, ifaces: one(linkMPLS), encap: "MPLS", s: basic},
		{file: "gre.pcap", shows: same + ", IPv4 inside GRE (10.255.0.1 <-> 10.255.0.2)", format: fmtPcap, ifaces: one(linkGRE), encap: "GRE", s: basic},
		{file: "erspan2.pcap", shows: same + ", mirrored in ERSPAN type II (GRE 0x88be, session 17)", format: fmtPcap, ifaces: one(linkERSPAN2), encap: "ERSPAN-II", s: basic},
		{file: "erspan3.pcap", shows: same + ", mirrored in ERSPAN type III (GRE 0x22eb, session 17, no platform sub-header)", format: fmtPcap, ifaces: one(linkERSPAN3), encap: "ERSPAN-III", s: basic},
		{file: "vxlan.pcap", shows: same + ", inside VXLAN (UDP 4789, VNI 5001)", format: fmtPcap, ifaces: one(linkVXLAN), encap: "VXLAN", s: basic},
		{file: "ipip.pcap", shows: same + ", IPv4 inside IPv4 (IP protocol 4)", format: fmtPcap, ifaces: one(linkIPIP), encap: "IP-in-IP", s: basic},
		{
			file: "two-interfaces.pcapng", format: fmtPcapng, s: basic, ifaceOf: byDirection,
			shows:  same + ", pcapng with two interfaces of different link types: what the SBC sent on Ethernet (ix0), what it received on Linux SLL (any)",
			ifaces: []iface{{"ix0", linkEthernet}, {"any", linkSLL}},
		},
		{
			file: "truncated.pcap", format: fmtPcap, ifaces: eth("eth0"), s: basic, cutAt: len(basic.frames) - 1,
			shows: same + ", Ethernet pcap cut in the middle of its last-but-one record (the BYE): the BYE and its 200 OK are lost",
			note:  "Everything before the cut is audited; capture-truncated has an empty call_id (it is about the file). tshark reports the cut as an error after the complete records.",
		},
		{
			file: "snaplen96.pcap", format: fmtPcap, ifaces: eth("eth0"), s: basic, snaplen: 96,
			keep:  func(f frame) bool { return f.sip != nil },
			shows: "the SIP messages of the basic call captured with a snap length of 96: every SIP packet is cut inside its start line or first header",
			note: "Only the SIP packets are written, so the expectations do not depend on RTP heuristics. 96 bytes leave 54 bytes of SIP: " +
				"the start line, never the Call-ID, so no call can be formed and capture-truncated has an empty call_id. " +
				"sip_messages counts the messages whose start line survived the cut (all but the INVITE, whose Request-URI is longer), as tshark does; " +
				"none of them shows a Call-ID, so calls is 0.",
		},
	}
	noise := newScenario("noise")
	noise.noise(at(20))
	basicCall(noise, false)
	noise.noise(at(3000))
	cases = append(cases, captureCase{
		file: "noise.pcap", format: fmtPcap, ifaces: eth("eth0"), s: noise,
		shows: "the basic call among non-IP frames (ARP request and reply, LLDP) and a frame of unknown EtherType 0x88b5, twice",
		gaps:  map[string]int{"not-ip": 6, "unknown-ethertype": 2},
		note:  "ARP and LLDP count as not-ip; EtherType 0x88b5 (IEEE local experimental) as unknown-ethertype.",
	})

	frag := newScenario("ipv4-fragments")
	basicCall(frag, true)
	cases = append(cases, captureCase{
		file: "ipv4-fragments.pcap", format: fmtPcap, ifaces: eth("eth0"), s: frag,
		shows: "the basic call whose INVITE (a large SDP) travels in 3 IPv4 fragments sent out of order (3, 1, 3 again, 2): one duplicate fragment",
		note:  "The INVITE is one SIP message; its 4 fragment records are 4 packets.",
	})

	v6 := newScenario("ipv6")
	ipv6Call(v6, false)
	cases = append(cases, captureCase{
		file: "ipv6.pcap", format: fmtPcap, ifaces: eth("eth0"), s: v6,
		shows: "the basic call over IPv6 (SBC 2001:db8:1::10, far end 2001:db8:2::64) with Twilio's -ix host in the Request-URI",
		note:  ipv6Note,
	})
	v6f := newScenario("ipv6-fragments")
	ipv6Call(v6f, true)
	cases = append(cases, captureCase{
		file: "ipv6-fragments.pcap", format: fmtPcap, ifaces: eth("eth0"), s: v6f,
		shows: "the basic call over IPv6 whose INVITE travels in 3 IPv6 fragments (Fragment header) sent out of order with one duplicate",
		note:  ipv6Note,
	})

	cases = append(cases, captureCase{
		file: "sip-tcp.pcap", format: fmtPcap, ifaces: eth("eth0"), s: sipOverTCP(),
		shows: "a compliant termination call over TCP 5060: the INVITE split over 3 segments, 100 and 180 in one segment, " +
			"the 200 OK's two segments out of order, the ACK's segment retransmitted; RTP over UDP",
		note: "A TCP retransmission is not a new message: 7 SIP messages.",
	})
	for i := range cases {
		cases[i].group = "decoding"
	}
	return cases
}

// sipOverTCP writes a compliant termination call over one TCP connection to the gateway,
// with the segment quirks a reassembler must handle.
func sipOverTCP() *scenario {
	s := newScenario("sip-tcp")
	p := callPlan{
		label: "tcp", sbc: ap(sbcIX, s.ephemeral()), peer: ap(gateway("ashburn-ix", 1), 5060),
		transport: "tcp", sbcSDP: sdpSpec{codecs: []int{0, 8, 9, 18, 101}},
	}
	d := s.dialogFor(&p)
	t := at(100)
	c := s.dial(t, p.sbc, p.peer, 536)
	t = t.Add(rtt)

	// The INVITE in three segments.
	inv := d.Invite()
	inv.raw = inv.render()
	parts := split(inv.raw, 3)
	for i, part := range parts {
		var msgs []*sipMsg
		if i == len(parts)-1 {
			msgs = []*sipMsg{inv}
		}
		c.send(t.Add(time.Duration(i)*100*time.Microsecond), 0, part, msgs...)
	}
	c.ack(t.Add(rtt/2), 1)

	// 100 Trying and 180 Ringing in one segment.
	t = t.Add(150 * time.Millisecond)
	trying, ringing := d.Reply(inv, 100, false), d.Reply(inv, 180, false)
	trying.raw, ringing.raw = trying.render(), ringing.render()
	c.send(t, 1, append(append([]byte{}, trying.raw...), ringing.raw...), trying, ringing)
	c.ack(t.Add(rtt/2), 0)

	// The 200 OK in two segments, the second one first: the SBC answers the hole with a
	// duplicate ACK, then the first segment completes the message.
	t = t.Add(1800 * time.Millisecond)
	ok := d.Reply(inv, 200, false)
	ok.raw = ok.render()
	halves := split(ok.raw, 2)
	seq := c.next[1]
	c.segment(t, 1, seq+uint32(len(halves[0])), halves[1])
	c.ack(t.Add(100*time.Microsecond), 0)
	c.segment(t.Add(3*time.Millisecond), 1, seq, halves[0], ok)
	c.next[1] += uint32(len(ok.raw))
	c.ack(t.Add(3*time.Millisecond+100*time.Microsecond), 0)

	// The ACK, whose segment is retransmitted 200 ms later (its TCP ACK was lost).
	t = t.Add(25 * time.Millisecond)
	ack := d.Ack(true)
	ack.raw = ack.render()
	ackSeq := c.next[0]
	c.send(t, 0, ack.raw, ack)
	c.segment(t.Add(200*time.Millisecond), 0, ackSeq, ack.raw)
	c.ack(t.Add(200*time.Millisecond+rtt/2), 1)

	t = d.media(t.Add(20*time.Millisecond), time.Second, mediaOpts{rtcp: true})

	d.conn = c
	t = t.Add(60 * time.Millisecond)
	bye := d.Bye(true)
	d.send(t, bye)
	t = t.Add(rtt / 2)
	d.send(t, d.Reply(bye, 200, false))
	c.ack(t.Add(rtt/2), 0)
	c.close(t.Add(2*time.Second), 0)
	return s
}

// split cuts b into n nearly equal parts.
func split(b []byte, n int) [][]byte {
	size := (len(b) + n - 1) / n
	var out [][]byte
	for len(b) > size {
		out = append(out, b[:size])
		b = b[size:]
	}
	return append(out, b)
}
