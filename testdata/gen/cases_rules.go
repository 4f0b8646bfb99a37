package main

import (
	"net/netip"
	"time"
)

// sig returns a signalling address on port 5060.
func sig(a netip.Addr) netip.AddrPort { return netip.AddrPortFrom(a, 5060) }

// ix returns the n-th gateway of an Interconnect edge on port 5060.
func ix(edge string, n int) netip.AddrPort { return sig(gateway(edge, n)) }

var (
	publicAshburn1 = netip.MustParseAddr("54.172.60.1")
	publicAshburn2 = netip.MustParseAddr("54.172.60.2")
	publicDublin   = netip.MustParseAddr("54.171.127.193")
	oldMedia       = netip.MustParseAddr("54.172.61.10") // in the retired public media range, not 168.86.128.0/18
)

// compliant returns the plan of a compliant termination call from the SBC to an ashburn-ix gateway.
func compliant(label string) callPlan {
	return callPlan{label: label, sbc: sig(sbcIX), peer: ix("ashburn-ix", 0)}
}

// compliantOrig returns the plan of a compliant origination call from an ashburn-ix gateway.
func compliantOrig(label string) callPlan {
	return callPlan{label: label, sbc: sig(sbcIX), peer: ix("ashburn-ix", 1), orig: true}
}

// calls writes plans one after the other, each starting a little after the previous one ended.
func (s *scenario) calls(t time.Time, plans ...callPlan) time.Time {
	for _, p := range plans {
		_, end := s.call(t, p)
		t = end.Add(time.Duration(300+s.rng.IntN(700)) * time.Millisecond)
	}
	return t
}

func ruleCases() []captureCase {
	var cases []captureCase
	add := func(c captureCase) { c.group = "rules"; cases = append(cases, c) }

	s := newScenario("compliant")
	s.options(at(50), sig(sbcIX), ix("ashburn-ix", 0), "sip:mytrunk.pstn.ashburn-ix.twilio.com")
	s.calls(at(200), compliant("term"), compliantOrig("orig"))
	add(captureCase{file: "compliant.pcap", s: s,
		shows: "an OPTIONS keep-alive, a compliant termination (to mytrunk.pstn.ashburn-ix.twilio.com at 208.78.112.64) and a compliant origination (from 208.78.112.65, Request-URI with edge=ashburn-ix): no finding"})

	s = newScenario("public-termination")
	s.options(at(50), sig(sbcIX), sig(publicAshburn1), "sip:mytrunk.pstn.twilio.com",
		"signalling-public-path", "uri-public-host")
	s.calls(at(300),
		callPlan{label: "global-host", sbc: sig(sbcIX), peer: sig(publicAshburn1), ruri: "sip:{to}@mytrunk.pstn.twilio.com",
			want: []string{"signalling-public-path", "uri-public-host"}},
		callPlan{label: "dublin-host", sbc: sig(sbcIX), peer: sig(publicDublin), ruri: "sip:{to}@mytrunk.pstn.dublin.twilio.com",
			want: []string{"signalling-public-path", "uri-public-host"}},
		callPlan{label: "legacy-public-host", sbc: sig(sbcIX), peer: ix("ashburn-ix", 0), ruri: "sip:{to}@mytrunk.pstn.us1.twilio.com",
			want: []string{"uri-public-host"}},
		compliant("control"),
	)
	add(captureCase{file: "public-termination.pcap", s: s,
		shows: "termination on the public path: an OPTIONS and a call to 54.172.60.1 for mytrunk.pstn.twilio.com, a call to 54.171.127.193 " +
			"for the localized public host mytrunk.pstn.dublin.twilio.com, a call for the legacy public host mytrunk.pstn.us1.twilio.com " +
			"that an override sent to the ashburn-ix gateway; and a compliant call",
		note: "The OPTIONS is outside any call: its findings have an empty call_id. The us1 call stays on an Interconnect gateway " +
			"(path interconnect) but names a public host."})

	s = newScenario("interconnect-hosts")
	s.calls(at(100),
		callPlan{label: "legacy-ix-host", sbc: sig(sbcIX), peer: ix("ashburn-ix", 0), ruri: "sip:{to}@mytrunk.pstn.us1-ix.twilio.com",
			want: []string{"uri-legacy-host"}},
		callPlan{label: "region-mismatch", sbc: sig(sbcIX), peer: ix("ashburn-ix", 1), ruri: "sip:{to}@mytrunk.pstn.london-ix.twilio.com",
			want: []string{"uri-region-mismatch"}},
		callPlan{label: "ip-host", sbc: sig(sbcIX), peer: ix("ashburn-ix", 2), ruri: "sip:{to}@208.78.112.66:5060",
			want: []string{"uri-host-ip"}},
		compliant("control"),
	)
	add(captureCase{file: "interconnect-hosts.pcap", s: s,
		shows: "Interconnect termination host names: the legacy mytrunk.pstn.us1-ix.twilio.com, a london-ix host sent to an ashburn gateway, " +
			"a bare gateway IP as Request-URI host; and a compliant call. Warnings only: exit 0",
		note: "us1-ix is the legacy code of ashburn-ix and goes to an ashburn gateway, so it is no region mismatch."})

	s = newScenario("edge-params")
	orig := func(label, params string, gwN int, want ...string) callPlan {
		return callPlan{label: label, sbc: sig(sbcIX), peer: ix("ashburn-ix", gwN), orig: true,
			ruri: "sip:{to}@203.0.113.10:5060" + params, want: want}
	}
	s.calls(at(100),
		orig("edge-ix", ";edge=ashburn-ix", 0),
		orig("edge-public", ";edge=ashburn", 1, "uri-edge-public"),
		orig("edge-legacy-public", ";edge=us1", 2, "uri-edge-public"),
		orig("edge-unknown", ";edge=nowhere", 0, "uri-edge-unknown"),
		orig("edge-roaming", ";edge=roaming", 1, "uri-edge-unknown"),
		orig("edge-mismatch", ";edge=frankfurt-ix", 0, "uri-edge-mismatch"),
		orig("tnx", ";tnx=IX0123456789abcdef0123456789abcdef", 1, "uri-tnx-deprecated"),
		orig("region", ";region=us1-ix", 2, "uri-region-param"),
		orig("no-edge", "", 0),
	)
	add(captureCase{file: "edge-params.pcap", s: s,
		shows: "origination INVITEs from ashburn-ix gateways whose Request-URI carries edge=ashburn-ix (good), edge=ashburn and edge=us1 " +
			"(public), edge=nowhere and edge=roaming (unknown), edge=frankfurt-ix (mismatch), tnx=, region=us1-ix, and no edge at all (good)",
		note: "region=us1-ix names the legacy code of ashburn-ix, the gateway's own edge: only uri-region-param. " +
			"A missing edge= on a received INVITE is no finding. The tnx value is a made-up 34-character SID."})

	s = newScenario("port-transport")
	_, t := s.call(at(100), callPlan{label: "port-5080", sbc: sig(sbcIX), peer: netip.AddrPortFrom(gateway("ashburn-ix", 2), 5080),
		ruri: "sip:{to}@mytrunk.pstn.ashburn-ix.twilio.com", final: -1, want: []string{"signalling-port"}})
	t = plainTCP5061(s, t.Add(time.Second))
	s.calls(t.Add(time.Second), compliant("control"))
	add(captureCase{file: "port-transport.pcap", s: s, decodeAs: []string{"tcp.port==5061,sip"},
		shows: "an INVITE to the ashburn-ix gateway on UDP 5080 (unanswered, retransmitted 3 times), a plain-text INVITE over TCP to port 5061 " +
			"(the gateway resets the connection); and a compliant call",
		note: "Both failed calls are termination calls on the Interconnect path with final_status 0 (no final response). " +
			"tshark needs -d tcp.port==5061,sip to read the plain SIP on 5061."})

	s = newScenario("unknown-peer")
	s.calls(at(100),
		callPlan{label: "stray-proxy", sbc: sig(sbcIX), peer: sig(strayPeer), ruri: "sip:{to}@mytrunk.pstn.ashburn-ix.twilio.com",
			final: 403, want: []string{"signalling-unknown-peer"}},
		compliant("control"),
	)
	add(captureCase{file: "unknown-peer.pcap", s: s,
		shows: "an INVITE for mytrunk.pstn.ashburn-ix.twilio.com sent to 192.0.2.99, an old proxy that is no Twilio gateway (it answers 403); and a compliant call",
		note:  "The stray call is a termination by its Request-URI host; its path is unknown and it has no edge or gateway."})

	s = newScenario("origination-failover")
	caller, callee := "+14155550111", "+14155550177"
	_, t = s.call(at(100), callPlan{label: "ix-attempt", sbc: sig(sbcIX), peer: ix("ashburn-ix", 1), orig: true,
		from: caller, to: callee, final: -1})
	s.call(t.Add(500*time.Millisecond), callPlan{label: "public-failover", sbc: sig(sbcPublic), peer: sig(publicAshburn2), orig: true,
		from: caller, to: callee, want: []string{"signalling-public-path"}})
	add(captureCase{file: "origination-failover.pcap", s: s,
		shows: "origination failover: Twilio's INVITE from the ashburn-ix gateway 208.78.112.65 (edge=ashburn-ix) goes unanswered " +
			"(retransmitted for 4 s), then the same caller and callee arrive from the public 54.172.60.2 at the SBC's public interface",
		note: "Twilio's failover attempt is a new INVITE with its own Call-ID. The unanswered attempt is compliant (final_status 0)."})

	s = newScenario("sdp-range")
	s.calls(at(100),
		callPlan{label: "sdp-address", sbc: sig(sbcIX), peer: ix("ashburn-ix", 0), peerMedia: netip.AddrPortFrom(oldMedia, 12000),
			media: mediaOpts{rtcp: true}, want: []string{"sdp-address-outside-range", "media-address-outside-range"}},
		callPlan{label: "sdp-port", sbc: sig(sbcIX), peer: ix("ashburn-ix", 1), peerMedia: netip.MustParseAddrPort("168.86.130.20:8000"),
			media: mediaOpts{rtcp: true}, want: []string{"sdp-port-outside-range", "media-port-outside-range"}},
		callPlan{label: "control-hold", sbc: sig(sbcIX), peer: ix("ashburn-ix", 2), sbcSDP: sdpSpec{video: true},
			peerSDP: sdpSpec{declined: true}, hold: true, byeByPeer: true},
	)
	add(captureCase{file: "sdp-range.pcap", s: s,
		shows: "Twilio's SDP answer with c= 54.172.61.10 (outside 168.86.128.0/18) and with m= port 8000 (outside 10000–60000), the media following it; " +
			"and a compliant call whose answer declines video (m=video 0) and that Twilio puts on hold (c=0.0.0.0) before hanging up",
		note: "c=0.0.0.0 (hold) and port 0 (declined stream) are no findings."})

	s = newScenario("media")
	s.calls(at(100),
		callPlan{label: "media-address", sbc: sig(sbcIX), peer: ix("ashburn-ix", 0),
			peerMedia: netip.MustParseAddrPort("168.86.130.30:14000"), media: mediaOpts{calleeFrom: netip.AddrPortFrom(oldMedia, 14000)},
			want: []string{"media-address-outside-range", "media-unannounced"}},
		callPlan{label: "media-port", sbc: sig(sbcIX), peer: ix("ashburn-ix", 1),
			peerMedia: netip.MustParseAddrPort("168.86.130.31:14002"), media: mediaOpts{calleeFrom: netip.MustParseAddrPort("168.86.130.31:9000")},
			want: []string{"media-port-outside-range", "media-unannounced"}},
		callPlan{label: "one-way", sbc: sig(sbcIX), peer: ix("ashburn-ix", 2), media: mediaOpts{only: 1},
			want: []string{"media-one-way"}},
		callPlan{label: "unannounced", sbc: sig(sbcIX), peer: ix("ashburn-ix", 0),
			peerMedia: netip.MustParseAddrPort("168.86.130.33:14006"), media: mediaOpts{calleeFrom: netip.MustParseAddrPort("168.86.130.33:15000")},
			want: []string{"media-unannounced"}},
		callPlan{label: "control", sbc: sig(sbcIX), peer: ix("ashburn-ix", 1), media: mediaOpts{rtcp: true}},
	)
	add(captureCase{file: "media.pcap", s: s,
		shows: "media of answered termination calls whose SDP is in range: Twilio's RTP really comes from 54.172.61.10, from port 9000, " +
			"from an unannounced port 15000 of the announced address; a call with RTP only from the SBC; and a compliant call",
		note: "Each misdirected stream is tied to its call by its destination (the SBC's announced address and port). " +
			"The one-way call has no RTCP either, so 'one direction' cannot depend on whether RTCP counts."})

	s = newScenario("tls-sni")
	t = s.tlsSession(at(100), netip.AddrPortFrom(sbcIX, s.ephemeral()), netip.AddrPortFrom(publicAshburn1, 5061), "mytrunk.pstn.twilio.com")
	s.tlsSession(t.Add(time.Second), netip.AddrPortFrom(sbcIX, s.ephemeral()), netip.AddrPortFrom(gateway("ashburn-ix", 0), 5061), "mytrunk.pstn.ashburn-ix.twilio.com")
	s.want("signalling-public-path", "")
	s.want("uri-public-host", "")
	add(captureCase{file: "tls-sni.pcap", s: s,
		shows: "SIP over TLS: a connection to 54.172.60.1:5061 whose ClientHello asks for mytrunk.pstn.twilio.com, and a compliant one " +
			"to 208.78.112.64:5061 for mytrunk.pstn.ashburn-ix.twilio.com; the calls inside cannot be read",
		note: "No SIP message can be read (sip_messages 0, no call); the findings are about the connection, with an empty call_id. " +
			"Evidence gaps for the encrypted records are not pinned down (the contract's evidence-gap info rule is not in the findings set)."})

	s = newScenario("dns-public-host")
	s.dnsExchange(at(50), sbcIX, "mytrunk.pstn.ashburn-ix.twilio.com", []string{"208.78.112.64", "208.78.112.65", "208.78.112.66"})
	_, t = s.call(at(100), compliant("control"))
	s.dnsExchange(t.Add(time.Second), sbcIX, "mytrunk.pstn.twilio.com", []string{"54.172.60.0", "54.172.60.1", "54.172.60.2", "54.172.60.3"})
	s.want("uri-public-host", "")
	add(captureCase{file: "dns-public-host.pcap", s: s,
		shows: "DNS: an A query and answer for mytrunk.pstn.ashburn-ix.twilio.com, a compliant call, then an A query and answer for the public mytrunk.pstn.twilio.com",
		note:  "The public lookup is a finding with an empty call_id; the -ix lookup is none."})

	s = newScenario("compact-folded")
	st := style{compact: true, fold: true}
	term, orig2 := compliant("compact-term"), compliantOrig("compact-orig")
	term.style, orig2.style = st, st
	s.calls(at(100), term, orig2)
	add(captureCase{file: "compact-folded.pcap", s: s,
		shows: "a compliant termination and a compliant origination written with compact header names (v f t i m c l k) and folded lines " +
			"(Via and From folded before ';', Allow folded over three lines): no finding"})

	s = newScenario("sbc-net")
	s.calls(at(100),
		compliant("control"),
		callPlan{label: "public-interface", sbc: sig(sbcPublic), peer: ix("ashburn-ix", 1),
			want: []string{"signalling-off-interconnect", "media-off-interconnect"}},
		callPlan{label: "public-media", sbc: sig(sbcIX), peer: ix("ashburn-ix", 2), sbcMedia: netip.AddrPortFrom(sbcPublic, 31000),
			want: []string{"media-off-interconnect"}},
	)
	add(captureCase{file: "sbc-net.pcap", s: s, flags: []string{"--sbc-net", "203.0.113.0/24"},
		shows: "with --sbc-net 203.0.113.0/24: a compliant call, a call whose signalling and media leave from the SBC's public interface " +
			"198.51.100.20, and a call signalled from 203.0.113.10 whose media uses 198.51.100.20"})

	s = newScenario("require-secure")
	_, t = s.call(at(100), callPlan{label: "plain", sbc: sig(sbcIX), peer: ix("ashburn-ix", 0),
		want: []string{"signalling-insecure", "media-insecure"}})
	t = s.tlsSession(t.Add(time.Second), netip.AddrPortFrom(sbcIX, s.ephemeral()), netip.AddrPortFrom(gateway("ashburn-ix", 1), 5061), "mytrunk.pstn.ashburn-ix.twilio.com")
	srtp := sdpSpec{profile: "RTP/SAVP", crypto: "AES_CM_128_HMAC_SHA1_80"}
	s.call(t.Add(time.Second), callPlan{label: "srtp-over-udp", sbc: sig(sbcIX), peer: ix("ashburn-ix", 2),
		sbcSDP: srtp, peerSDP: srtp, media: mediaOpts{srtp: true}, want: []string{"signalling-insecure"}})
	add(captureCase{file: "require-secure.pcap", s: s, flags: []string{"--require-secure"},
		shows: "with --require-secure: a plain call (UDP SIP, RTP/AVP), a TLS connection to 208.78.112.65:5061 (SNI mytrunk.pstn.ashburn-ix.twilio.com), " +
			"and a call with SRTP (RTP/SAVP, a=crypto AES_CM_128_HMAC_SHA1_80) but plain-text SIP over UDP",
		note: "The TLS connection carries no readable call and no SRTP is written for it, so nothing about it depends on RTP heuristics."})

	s = newScenario("sip-malformed")
	s.udp(at(50), netip.AddrPortFrom(scanner, 5060), sig(sbcIX), tosNone, s.random(48))
	s.udp(at(60), netip.AddrPortFrom(scanner, 5060), sig(sbcIX), tosNone, []byte("GET / HTTP/1.1\r\nHost: 203.0.113.10:5060\r\nUser-Agent: scan/0.1\r\n\r\n"))
	s.want("sip-malformed", "")
	s.calls(at(200), compliant("control"))
	add(captureCase{file: "sip-malformed.pcap", s: s,
		shows: "a scanner's junk on UDP 5060 (48 random bytes, an HTTP request) beside a compliant call: warnings only, exit 0"})

	for i := range cases {
		if cases[i].format == "" {
			cases[i].format, cases[i].ifaces = fmtPcap, eth("eth0")
		}
	}
	return cases
}

// plainTCP5061 writes a plain-text SIP INVITE over TCP to port 5061 of an ashburn-ix
// gateway, which expects TLS and resets the connection.
func plainTCP5061(s *scenario, t time.Time) time.Time {
	p := callPlan{label: "plain-tcp-5061", sbc: netip.AddrPortFrom(sbcIX, s.ephemeral()), peer: netip.AddrPortFrom(gateway("ashburn-ix", 0), 5061),
		transport: "tcp", want: []string{"signalling-port"}}
	d := s.dialogFor(&p)
	for _, r := range p.want {
		s.want(r, d.callID)
	}
	d.conn = s.dial(t, p.sbc, p.peer, 1460)
	t = t.Add(rtt)
	d.send(t, d.Invite())
	d.conn.reset(t.Add(rtt/2), 1)
	return t.Add(rtt)
}
