package main

import (
	"fmt"
	"net/netip"
	"slices"
	"time"
)

// The edge cases: what a demanding user's captures hold besides textbook calls. Each
// capture carries compliant control calls beside the odd ones, and lists its RTP streams
// with the call a correct audit ties each to, so that media charged to the wrong call
// shows.

var (
	pbx       = netip.MustParseAddr("192.0.2.77")     // a PBX behind the SBC: no Twilio peer
	farV6b    = netip.MustParseAddr("2001:db8:2::65") // a second IPv6 peer that is no Twilio gateway
	farV6bMed = netip.MustParseAddr("2001:db8:2::1:11")
)

func edgeCases() []captureCase {
	cases := []captureCase{
		portReuseCase(), reorderCase(), reinviteCase(), authCancelCase(), failoverSameCallIDCase(),
		sipTCPTLSCase(), ipv6TerminationCase(), strayRTPCase(),
	}
	cases = append(cases, newRotation().cases()...)
	for i := range cases {
		cases[i].group = "edge"
		cases[i].listStreams = true
		if cases[i].format == "" {
			cases[i].format, cases[i].ifaces = fmtPcap, eth("eth0")
		}
	}
	return cases
}

// setup writes the INVITE of d at t0 and its 100, 180, 200 and ACK, and returns the time of
// the ACK.
func (s *scenario) setup(t0 time.Time, d *dialog) time.Time {
	inv := d.Invite()
	d.send(t0, inv)
	t := t0.Add(time.Duration(12+s.rng.IntN(10)) * time.Millisecond)
	d.send(t, d.Reply(inv, 100, false))
	t = t.Add(time.Duration(90+s.rng.IntN(80)) * time.Millisecond)
	d.send(t, d.Reply(inv, 180, false))
	t = t.Add(time.Duration(1200+s.rng.IntN(1500)) * time.Millisecond)
	d.send(t, d.Reply(inv, 200, false))
	t = t.Add(time.Duration(15+s.rng.IntN(20)) * time.Millisecond)
	d.send(t, d.Ack(true))
	return t
}

// hangup writes a BYE from the caller (fromUAC) or the callee at t and its 200 OK, and
// returns the time of the 200.
func (s *scenario) hangup(t time.Time, d *dialog, fromUAC bool) time.Time {
	bye := d.Bye(fromUAC)
	d.send(t, bye)
	t = t.Add(time.Duration(15+s.rng.IntN(20)) * time.Millisecond)
	d.send(t, d.Reply(bye, 200, false))
	return t
}

// offer builds an in-dialog INVITE or UPDATE from the caller (fromUAC) or the callee that
// carries the sender's current SDP; hold writes c=0.0.0.0.
func (d *dialog) offer(method string, fromUAC, hold bool) *sipMsg {
	from, to := d.uas, d.uac
	var cseq int
	if fromUAC {
		from, to = d.uac, d.uas
		d.cseq++
		cseq = d.cseq
	} else {
		d.uasCSeq++
		cseq = d.uasCSeq
	}
	body := d.sdp(from.media, d.bump(from), hold)
	m := d.request(method, to.contact+d.contactParam(), fromUAC, cseq, d.viaFor(from), body)
	if method != "INVITE" {
		m.hdrs = append(m.hdrs, header{"Contact", "<" + from.contact + d.contactParam() + ">"})
	}
	return m
}

// answer builds the 200 OK to an in-dialog offer, with the answerer's current SDP.
func (d *dialog) answer(req *sipMsg) *sipMsg {
	m := d.Reply(req, 200, false)
	if req.method != "INVITE" {
		answerer := d.uas
		if req.dst == d.uac.sig {
			answerer = d.uac
		}
		m.body = d.sdp(answerer.media, d.bump(answerer), false)
		m.hdrs = append(m.hdrs, header{"Contact", "<" + answerer.contact + d.contactParam() + ">"},
			header{"Content-Type", "application/sdp"})
	}
	return m
}

// ackFor builds the ACK to the 2xx of an in-dialog INVITE, from whoever sent it.
func (d *dialog) ackFor(re *sipMsg) *sipMsg {
	if re.src == d.uac.sig {
		return d.request("ACK", d.uas.contact+d.contactParam(), true, re.cseq, d.viaFor(d.uac), nil)
	}
	return d.request("ACK", d.uac.contact+d.contactParam(), false, re.cseq, d.viaFor(d.uas), nil)
}

// exchange writes an in-dialog offer (re-INVITE or UPDATE) at t, its 200 OK and, for an
// INVITE, the ACK; it returns the time of the last message.
func (s *scenario) exchange(t time.Time, d *dialog, method string, fromUAC, hold bool) time.Time {
	re := d.offer(method, fromUAC, hold)
	d.send(t, re)
	t = t.Add(time.Duration(12+s.rng.IntN(10)) * time.Millisecond)
	d.send(t, d.answer(re))
	if method == "INVITE" {
		t = t.Add(time.Duration(10+s.rng.IntN(10)) * time.Millisecond)
		d.send(t, d.ackFor(re))
	}
	return t
}

// streams returns a new RTP stream each way between the media the two SDPs announce: from
// the caller, then from the callee.
func (d *dialog) streams() (up, down *stream) {
	s := d.s
	a, b := ap(d.uac.media.addr, d.uac.media.port), ap(d.uas.media.addr, d.uas.media.port)
	up, down = s.newStream(a, b, 0, false), s.newStream(b, a, 0, false)
	s.tagStream(up, d.callID)
	s.tagStream(down, d.callID)
	return up, down
}

// rtpRun writes n packets of st, one every 20 ms from start, each with network jitter, and
// returns the time the next one would be sent.
func (s *scenario) rtpRun(st *stream, start time.Time, n int) time.Time {
	for i := range n {
		s.rtpPacket(start.Add(time.Duration(i)*ptime+jitter(s)), st)
	}
	return start.Add(time.Duration(n) * ptime)
}

// findMsg returns the first frame (its index in s.frames) that completes a message of
// callID that satisfies match.
func (s *scenario) findMsg(callID string, match func(m *sipMsg) bool) int {
	for i, f := range s.frames {
		for _, m := range f.sip {
			if m.callID == callID && match(m) {
				return i
			}
		}
	}
	s.fail(fmt.Errorf("no such message of %s", callID))
	return 0
}

func isOKToInvite(m *sipMsg) bool { return m.status == 200 && m.cseqMethod == "INVITE" }

// portReuseCase: consecutive calls that reuse the same media ports on both sides.
func portReuseCase() captureCase {
	s := newScenario("port-reuse")
	sbcMed, twMed := ap(sbcIX, 24000), netip.MustParseAddrPort("168.86.131.40:16000")
	plan := func(label string, want ...string) callPlan {
		return callPlan{label: label, sbc: sig(sbcIX), peer: ix("ashburn-ix", 0), sbcMedia: sbcMed, peerMedia: twMed, want: want}
	}
	first := plan("reuse-first")
	first.media.rtcp = true
	_, t := s.call(at(100), first)
	after := plan("reuse-after-end", "media-address-outside-range", "media-unannounced")
	after.media.calleeFrom = ap(oldMedia, 16000)
	_, t = s.call(t.Add(40*time.Second), after)
	lingering := plan("reuse-lingering", "media-off-interconnect", "media-unannounced")
	lingering.media.callerFrom = ap(sbcPublic, 24000)
	_, t = s.call(t.Add(500*time.Millisecond), lingering)
	control := plan("reuse-control")
	control.media.rtcp = true
	s.call(t.Add(500*time.Millisecond), control)
	return captureCase{file: "port-reuse.pcap", s: s, flags: []string{"--sbc-net", "203.0.113.0/24"},
		shows: "with --sbc-net 203.0.113.0/24, four consecutive termination calls to 208.78.112.64 whose SDPs all announce SBC media " +
			"203.0.113.10:24000 and Twilio media 168.86.131.40:16000: a compliant one; 40 s later (the first is over) one whose Twilio RTP " +
			"really comes from 54.172.61.10:16000; 0.5 s after its BYE (it still lingers) one whose SBC RTP leaves from the public " +
			"198.51.100.20:24000; 0.5 s after that a compliant one",
		note: "The newest SDP owns a reused endpoint: each call's RTP (streams lists it) and each leak belong to that call only. " +
			"The leaking sources were announced by no SDP, hence media-unannounced beside the leak."}
}

// reorderCase: a capture merged from two interfaces whose clocks disagree, so that the
// file order is not the order of events, plus a record whose timestamp goes backwards.
func reorderCase() captureCase {
	s := newScenario("reorder")
	const skew = 12 * time.Millisecond // the receive interface's clock runs ahead

	// An origination that the SBC answers at once (no 180): its 100 and 200, stamped by the
	// transmit clock, come before Twilio's INVITE.
	p := callPlan{label: "fast-answer", sbc: sig(sbcIX), peer: ix("ashburn-ix", 1), orig: true}
	d := s.dialogFor(&p)
	t := at(100)
	inv := d.Invite()
	d.send(t, inv)
	d.send(t.Add(2*time.Millisecond), d.Reply(inv, 100, false))
	d.send(t.Add(8*time.Millisecond), d.Reply(inv, 200, false))
	t = t.Add(30 * time.Millisecond)
	d.send(t, d.Ack(true))
	t = d.media(t.Add(20*time.Millisecond), 500*time.Millisecond, mediaOpts{})
	t = s.hangup(t.Add(50*time.Millisecond), d, true)

	// A termination whose ACK and first RTP packet the SBC sends 5 and 8 ms after the 200
	// OK arrives: stamped 12 ms late, the 200 comes after both.
	p = callPlan{label: "ack-before-200", sbc: sig(sbcIX), peer: ix("ashburn-ix", 0)}
	d = s.dialogFor(&p)
	t = t.Add(time.Second)
	inv = d.Invite()
	d.send(t, inv)
	d.send(t.Add(15*time.Millisecond), d.Reply(inv, 100, false))
	d.send(t.Add(120*time.Millisecond), d.Reply(inv, 180, false))
	t = t.Add(1500 * time.Millisecond)
	d.send(t, d.Reply(inv, 200, false))
	d.send(t.Add(5*time.Millisecond), d.Ack(true))
	up, down := d.streams()
	s.rtpRun(up, t.Add(8*time.Millisecond), 25)
	t = s.rtpRun(down, t.Add(15*time.Millisecond), 25)
	t = s.hangup(t.Add(50*time.Millisecond), d, true)

	// Early media: Twilio's ringback RTP reaches the SBC 4 ms before the 183 that announces
	// it (the media and the signalling take different paths), and goes on after the answer.
	p = callPlan{label: "early-media", sbc: sig(sbcIX), peer: ix("ashburn-ix", 2)}
	d = s.dialogFor(&p)
	t = t.Add(time.Second)
	inv = d.Invite()
	d.send(t, inv)
	d.send(t.Add(14*time.Millisecond), d.Reply(inv, 100, false))
	progress := d.Reply(inv, 183, false)
	// The 183 carries the answer the 200 will repeat (same o= version).
	progress.body = d.sdp(d.uas.media, d.sdpVersion[d.uas.media.user], false)
	progress.hdrs = append(progress.hdrs, header{"Content-Type", "application/sdp"})
	up, down = d.streams()
	tEarly := t.Add(150 * time.Millisecond)
	d.send(tEarly, progress)
	ringback := 30
	s.rtpRun(down, tEarly.Add(-4*time.Millisecond), ringback+25)
	t = tEarly.Add(time.Duration(ringback) * ptime)
	d.send(t, d.Reply(inv, 200, false))
	t = t.Add(20 * time.Millisecond)
	d.send(t, d.Ack(true))
	t = s.rtpRun(up, t.Add(10*time.Millisecond), 25)
	t = s.hangup(t.Add(50*time.Millisecond), d, true)

	// RTP before the answer, without early media: Twilio's first RTP packet overtakes the
	// 200 OK by 5 ms.
	p = callPlan{label: "rtp-before-200", sbc: sig(sbcIX), peer: ix("ashburn-ix", 0)}
	d = s.dialogFor(&p)
	t = t.Add(time.Second)
	inv = d.Invite()
	d.send(t, inv)
	d.send(t.Add(16*time.Millisecond), d.Reply(inv, 100, false))
	d.send(t.Add(140*time.Millisecond), d.Reply(inv, 180, false))
	t = t.Add(1700 * time.Millisecond)
	up, down = d.streams()
	s.rtpRun(down, t.Add(-5*time.Millisecond), 25)
	d.send(t, d.Reply(inv, 200, false))
	t = t.Add(25 * time.Millisecond)
	d.send(t, d.Ack(true))
	t = s.rtpRun(up, t.Add(10*time.Millisecond), 25)
	t = s.hangup(t.Add(50*time.Millisecond), d, false)

	// A compliant termination whose INVITE record is written after its 100 Trying record,
	// though stamped 15+ ms earlier: timestamps go backwards in file order (as per-CPU
	// capture buffers can write them); and two compliant controls.
	short := func(p callPlan) callPlan { p.dur = 500 * time.Millisecond; return p }
	backwards, t := s.call(t.Add(time.Second), short(compliant("backwards")))
	s.calls(t.Add(time.Second), short(compliant("control-term")), short(compliantOrig("control-orig")))

	for i := range s.frames {
		if !fromCustomer(srcOf(s.frames[i].data)) {
			s.frames[i].t = s.frames[i].t.Add(skew)
		}
	}
	iInv := s.findMsg(backwards, func(m *sipMsg) bool { return m.method == "INVITE" })
	i100 := s.findMsg(backwards, func(m *sipMsg) bool { return m.status == 100 })
	s.frames[iInv].fileAt = s.frames[i100].t.Add(time.Microsecond)

	byDirection := func(f frame) int {
		if fromCustomer(srcOf(f.data)) {
			return 0
		}
		return 1
	}
	return captureCase{file: "reorder.pcapng", s: s, format: fmtPcapng, ifaces: []iface{{"tx", linkEthernet}, {"rx", linkEthernet}},
		ifaceOf: byDirection,
		shows: "packets out of order, as mergecap writes two interfaces (tx: what the SBC sent, rx: what it received) whose clocks " +
			"differ by 12 ms: an origination the SBC answers in 8 ms, so its 100 and 200 OK come before Twilio's INVITE; " +
			"a termination whose ACK and first SBC RTP packet come before the 200 OK; early media whose first RTP packet comes " +
			"before the 183 that announces it; Twilio RTP before the 200 OK that announces it (no early media); a compliant call " +
			"whose INVITE record is written after its 100 Trying though stamped earlier; and two compliant controls",
		note: "No finding: every RTP endpoint is announced by an SDP of its call, a few ms later in file order at worst. " +
			"The fast-answer call's final_status is 200: the 200 OK answers its INVITE wherever it sits in the file."}
}

// reinviteCase: in-dialog offers that move Twilio's media, and a hold.
func reinviteCase() captureCase {
	s := newScenario("reinvite-update")

	// Twilio's re-INVITE moves its media out of its range; the media follows.
	p := callPlan{label: "reinvite-moves", sbc: sig(sbcIX), peer: ix("ashburn-ix", 0),
		want: []string{"sdp-address-outside-range", "media-address-outside-range"}}
	d := s.dialogFor(&p)
	for _, r := range p.want {
		s.want(r, d.callID)
	}
	t := s.setup(at(100), d)
	t = d.media(t.Add(20*time.Millisecond), 600*time.Millisecond, mediaOpts{})
	d.uas.media.addr, d.uas.media.port = oldMedia, 16000
	t = s.exchange(t.Add(100*time.Millisecond), d, "INVITE", false, false)
	t = d.media(t.Add(20*time.Millisecond), 500*time.Millisecond, mediaOpts{})
	t = s.hangup(t.Add(60*time.Millisecond), d, true)

	// The SBC's UPDATE is answered by Twilio with an address out of its range; the SBC
	// hangs up before any media flows there.
	p = callPlan{label: "update-moves", sbc: sig(sbcIX), peer: ix("ashburn-ix", 1), want: []string{"sdp-address-outside-range"}}
	d = s.dialogFor(&p)
	for _, r := range p.want {
		s.want(r, d.callID)
	}
	t = s.setup(t.Add(time.Second), d)
	t = d.media(t.Add(20*time.Millisecond), 600*time.Millisecond, mediaOpts{})
	d.uas.media.addr, d.uas.media.port = netip.MustParseAddr("54.172.61.11"), 16002
	t = s.exchange(t.Add(100*time.Millisecond), d, "UPDATE", true, false)
	t = s.hangup(t.Add(80*time.Millisecond), d, true)

	// Twilio (the caller of an origination) puts the call on hold with a=sendonly and
	// c=0.0.0.0, plays music on hold, then resumes.
	p = compliantOrig("hold-sendonly")
	d = s.dialogFor(&p)
	t = s.setup(t.Add(time.Second), d)
	t = d.media(t.Add(20*time.Millisecond), 500*time.Millisecond, mediaOpts{})
	d.uac.media.dir, d.uas.media.dir = "sendonly", "recvonly"
	t = s.exchange(t.Add(100*time.Millisecond), d, "INVITE", true, true)
	t = d.media(t.Add(20*time.Millisecond), 400*time.Millisecond, mediaOpts{only: 1})
	d.uac.media.dir, d.uas.media.dir = "", ""
	t = s.exchange(t.Add(100*time.Millisecond), d, "INVITE", true, false)
	t = d.media(t.Add(20*time.Millisecond), 400*time.Millisecond, mediaOpts{})
	t = s.hangup(t.Add(60*time.Millisecond), d, true)

	s.calls(t.Add(time.Second), compliant("control"))
	return captureCase{file: "reinvite-update.pcap", s: s,
		shows: "answered compliant calls whose media is moved in the dialog: Twilio's re-INVITE moves its media to 54.172.61.10 " +
			"(outside 168.86.128.0/18) and the RTP follows; Twilio answers the SBC's UPDATE with c= 54.172.61.11 and the SBC hangs up; " +
			"Twilio puts an origination on hold (a=sendonly, c=0.0.0.0), plays music on hold, and resumes; and a compliant call",
		note: "The hold and resume are no finding (c=0.0.0.0 is no address). The SBC's answers to Twilio's offers are in range."}
}

// authCancelCase: a challenged INVITE and a cancelled one.
func authCancelCase() captureCase {
	s := newScenario("auth-cancel")

	// 407 challenge, then the same call with credentials (new CSeq, same Call-ID and tag).
	p := compliant("auth-407")
	d := s.dialogFor(&p)
	t := at(100)
	inv := d.Invite()
	d.send(t, inv)
	t = t.Add(18 * time.Millisecond)
	challenge := d.Reply(inv, 407, false)
	nonce := s.hex(16)
	challenge.hdrs = append(challenge.hdrs, header{"Proxy-Authenticate",
		`Digest realm="sip.twilio.com", nonce="` + nonce + `", algorithm=MD5, qop="auth"`})
	d.send(t, challenge)
	t = t.Add(2 * time.Millisecond)
	d.send(t, d.Ack(false))
	d.toTag = s.hex(4) // the next transaction's answer has its own tag
	d.invite = nil     // the retry is an initial INVITE again: no To tag
	d.cseq++
	t = t.Add(3 * time.Millisecond)
	inv = d.Invite()
	inv.hdrs = append(inv.hdrs, header{"Proxy-Authorization", fmt.Sprintf(
		`Digest username="sbc-trunk", realm="sip.twilio.com", nonce="%s", uri="%s", response="%s", algorithm=MD5, cnonce="%s", qop=auth, nc=00000001`,
		nonce, d.ruri, s.hex(16), s.hex(8))})
	d.send(t, inv)
	t = t.Add(15 * time.Millisecond)
	d.send(t, d.Reply(inv, 100, false))
	t = t.Add(130 * time.Millisecond)
	d.send(t, d.Reply(inv, 180, false))
	t = t.Add(1600 * time.Millisecond)
	d.send(t, d.Reply(inv, 200, false))
	t = t.Add(20 * time.Millisecond)
	d.send(t, d.Ack(true))
	t = d.media(t.Add(20*time.Millisecond), time.Second, mediaOpts{})
	t = s.hangup(t.Add(60*time.Millisecond), d, true)

	// CANCEL before the answer.
	p = compliant("cancelled")
	d = s.dialogFor(&p)
	t = t.Add(time.Second)
	inv = d.Invite()
	d.send(t, inv)
	t = t.Add(14 * time.Millisecond)
	d.send(t, d.Reply(inv, 100, false))
	t = t.Add(120 * time.Millisecond)
	d.send(t, d.Reply(inv, 180, false))
	t = t.Add(3 * time.Second)
	cancel := d.request("CANCEL", d.ruri, true, d.cseq, d.inviteVia, nil)
	d.send(t, cancel)
	t = t.Add(12 * time.Millisecond)
	d.send(t, d.Reply(cancel, 200, false))
	t = t.Add(2 * time.Millisecond)
	d.send(t, d.Reply(inv, 487, false))
	t = t.Add(2 * time.Millisecond)
	d.send(t, d.Ack(false))

	s.calls(t.Add(time.Second), compliant("control"))
	return captureCase{file: "auth-cancel.pcap", s: s,
		shows: "a termination INVITE challenged with 407 and sent again with Proxy-Authorization (next CSeq, same Call-ID), " +
			"then answered; a termination cancelled while ringing (CANCEL, 200, 487, ACK); and a compliant call",
		note: "The challenged call is one call with final_status 200 (the 407 ends only its first INVITE transaction); " +
			"the cancelled call's final_status is 487 (the 200 answers the CANCEL) and it has no media."}
}

// failoverSameCallIDCase: Twilio's failover to the public edge that keeps the Call-ID.
func failoverSameCallIDCase() captureCase {
	s := newScenario("failover-same-callid")
	s.calls(at(100), compliantOrig("control"))

	caller, callee := "+14155550111", "+14155550177"
	p1 := callPlan{label: "failover", sbc: sig(sbcIX), peer: ix("ashburn-ix", 1), orig: true, from: caller, to: callee}
	d1 := s.dialogFor(&p1)
	s.want("signalling-public-path", d1.callID)
	t0 := at(4000)
	inv := d1.Invite()
	for _, ms := range []int{0, 500, 1500, 3500} {
		d1.send(t0.Add(time.Duration(ms)*time.Millisecond), inv)
	}
	// After 4 s without an answer Twilio tries the next origination URI, the SBC's public
	// interface, from its public edge: a new transaction of the same call.
	p2 := callPlan{label: "failover", sbc: sig(sbcPublic), peer: sig(publicAshburn2), orig: true, from: caller, to: callee}
	d2 := s.dialogFor(&p2)
	d2.callID, d2.fromTag, d2.cseq, d2.extra = d1.callID, d1.fromTag, d1.cseq+1, d1.extra
	s.play(t0.Add(4*time.Second), d2, p2)
	return captureCase{file: "failover-same-callid.pcap", s: s,
		shows: "a compliant origination, then origination failover that keeps the Call-ID: Twilio's INVITE from the ashburn-ix gateway " +
			"208.78.112.65 (edge=ashburn-ix) goes unanswered (retransmitted for 4 s), then an INVITE with the same Call-ID and From tag " +
			"(next CSeq) comes from the public 54.172.60.2 to the SBC's public interface 198.51.100.20 and is answered",
		note: "One call: public path (one public leg is enough), edge ashburn and gateway 54.172.60.2 (the public gateway is shown), final_status 200."}
}

// sipTCPTLSCase: SIP over TCP and TLS to Interconnect gateways.
func sipTCPTLSCase() captureCase {
	s := newScenario("sip-tcp-tls")
	t := longInviteOverTCP(s, at(100))
	t = s.tlsSession(t.Add(time.Second), ap(sbcIX, s.ephemeral()), ap(gateway("ashburn-ix", 0), 5061), "mytrunk.pstn.ashburn-ix.twilio.com")
	t = plainTCP5061(s, t.Add(time.Second))
	s.calls(t.Add(time.Second), compliant("control"))
	return captureCase{file: "sip-tcp-tls.pcap", s: s, decodeAs: []string{"tcp.port==5061,sip"},
		shows: "a compliant call over TCP to 208.78.112.65:5060 whose long INVITE (large SDP) takes 4 segments of MSS 536, the second " +
			"retransmitted after three duplicate ACKs; a TLS connection to 208.78.112.64:5061 with SNI mytrunk.pstn.ashburn-ix.twilio.com " +
			"(compliant, unreadable); a plain-text INVITE over TCP to 208.78.112.64:5061; and a compliant UDP call",
		note: "A TCP retransmission is not a new message. tshark needs -d tcp.port==5061,sip to read the plain SIP on 5061 (the TLS " +
			"connection then shows no SIP message either)."}
}

// longInviteOverTCP writes a compliant termination over TCP whose INVITE spans four
// segments; the gateway misses the second, acknowledges the first three times, and the SBC
// retransmits it. It returns the time after the last packet.
func longInviteOverTCP(s *scenario, t time.Time) time.Time {
	p := callPlan{label: "tcp-long-invite", sbc: ap(sbcIX, s.ephemeral()), peer: ix("ashburn-ix", 1),
		transport: "tcp", sbcSDP: sdpSpec{big: true, rtcpAttr: true}}
	d := s.dialogFor(&p)
	c := s.dial(t, p.sbc, p.peer, 536)
	d.conn = c
	t = t.Add(rtt)
	inv := d.Invite()
	inv.raw = inv.render()
	parts := split(inv.raw, (len(inv.raw)+535)/536)
	if len(parts) != 4 {
		s.fail(fmt.Errorf("long INVITE of %d bytes takes %d segments, want 4", len(inv.raw), len(parts)))
		return t
	}
	first := c.next[0]
	for i, part := range parts {
		var msgs []*sipMsg
		if i == len(parts)-1 {
			msgs = []*sipMsg{inv}
		}
		c.send(t.Add(time.Duration(i)*80*time.Microsecond), 0, part, msgs...)
	}
	// Three duplicate ACKs of the first segment, the fast retransmission, the cumulative ACK.
	acked := first + uint32(len(parts[0]))
	for i := range 3 {
		s.add(frame{t: t.Add(rtt/2 + time.Duration(i)*80*time.Microsecond),
			data: s.tcpSegment(c.end[1], c.end[0], c.next[1], acked, flagACK, 0, nil)})
	}
	t = t.Add(rtt/2 + 400*time.Microsecond)
	c.segment(t, 0, acked, parts[1])
	c.ack(t.Add(rtt/2), 1)

	t = t.Add(150 * time.Millisecond)
	d.send(t, d.Reply(inv, 100, false))
	c.ack(t.Add(rtt/2), 0)
	t = t.Add(110 * time.Millisecond)
	d.send(t, d.Reply(inv, 180, false))
	c.ack(t.Add(rtt/2), 0)
	t = t.Add(1400 * time.Millisecond)
	d.send(t, d.Reply(inv, 200, false))
	t = t.Add(20 * time.Millisecond)
	d.send(t, d.Ack(true))
	c.ack(t.Add(rtt/2), 1)
	t = d.media(t.Add(20*time.Millisecond), 600*time.Millisecond, mediaOpts{})
	t = s.hangup(t.Add(50*time.Millisecond), d, true)
	c.ack(t.Add(rtt/2), 0)
	c.close(t.Add(time.Second), 0)
	return t.Add(time.Second + rtt)
}

// ipv6TerminationCase: IPv6 terminations toward Twilio host names.
func ipv6TerminationCase() captureCase {
	s := newScenario("ipv6-termination")
	s.calls(at(100),
		compliant("control"),
		callPlan{label: "ipv6-ix-host", sbc: ap(sbcV6, 5060), peer: ap(farV6, 5060),
			ruri: "sip:{to}@mytrunk.pstn.ashburn-ix.twilio.com", sbcMedia: ap(sbcV6, 20000), peerMedia: ap(farV6Med, 16000),
			dur: 600 * time.Millisecond, want: []string{"signalling-unknown-peer"}},
		callPlan{label: "ipv6-public-host", sbc: ap(sbcV6, 5060), peer: ap(farV6b, 5060),
			ruri: "sip:{to}@mytrunk.pstn.twilio.com", sbcMedia: ap(sbcV6, 20002), peerMedia: ap(farV6bMed, 16002),
			dur: 600 * time.Millisecond, want: []string{"signalling-unknown-peer", "uri-public-host"}},
	)
	return captureCase{file: "ipv6-termination.pcap", s: s,
		shows: "a compliant IPv4 call, then IPv6 terminations from 2001:db8:1::10 (Twilio publishes no IPv6 gateway): one for " +
			"mytrunk.pstn.ashburn-ix.twilio.com to 2001:db8:2::64, one for the public mytrunk.pstn.twilio.com to 2001:db8:2::65",
		note: "Both IPv6 calls are terminations by their *.twilio.com Request-URI host, path unknown, no edge. The public host is a " +
			"uri-public-host finding whatever address the request went to. With no Twilio peer there is no Twilio side: no SDP or media rule."}
}

// strayRTPCase: RTP that belongs to no Twilio call.
func strayRTPCase() captureCase {
	s := newScenario("stray-rtp")
	t := s.calls(at(100), compliant("control"))
	// RTP from the SBC into Twilio's media range that no SDP of the capture announced (a
	// call whose signalling the capture missed).
	stray := s.newStream(ap(sbcIX, 31234), netip.MustParseAddrPort("168.86.140.7:17000"), 0, false)
	t = s.rtpRun(stray, t, 25)
	// A call between the SBC and a PBX, on media ports Twilio would never use.
	s.calls(t.Add(time.Second), callPlan{label: "pbx-call", sbc: sig(sbcIX), peer: sig(pbx), ruri: "sip:2001@192.0.2.77",
		sbcMedia: ap(sbcIX, 26000), peerMedia: ap(pbx, 8000)})
	return captureCase{file: "stray-rtp.pcap", s: s, decodeAs: []string{"udp.port==17000,rtp"},
		shows: "a compliant call; 0.5 s of RTP from 203.0.113.10:31234 to 168.86.140.7:17000 that no SDP announced; and a call " +
			"between the SBC and a PBX (192.0.2.77, sip:2001@192.0.2.77) whose media uses port 8000",
		note: "The stray RTP is a stream with an empty call_id and no finding. The PBX call is no Twilio call (direction and path " +
			"unknown): its media is no finding. tshark needs -d udp.port==17000,rtp to see the stray stream."}
}

// rotatedPorts are the SBC's media ports of the rotated calls: the second file holds no
// SDP, so tshark is told they carry RTP.
var rotatedPorts = [2]uint16{22000, 22002}

// rotation is a capture rotated in the middle of calls, as tcpdump -C or -G writes it.
type rotation struct {
	s     *scenario
	cut   time.Time // the first packet of the second file
	files [2]string
	flags []string
	// multiExpect are the findings of an audit of both files together that neither file
	// shows alone: the SDP that ties the media to its call is in the other file.
	multiExpect []expectation
}

func newRotation() rotation {
	s := newScenario("rotated")
	r := rotation{s: s, files: [2]string{"rotated-1.pcap", "rotated-2.pcap"}, flags: []string{"--sbc-net", "203.0.113.0/24"}}
	long := compliantOrig("rotated-long")
	long.dur, long.sbcMedia = 3500*time.Millisecond, ap(sbcIX, rotatedPorts[0])
	longID, _ := s.call(at(100), long)
	// The split call's SBC RTP leaves from the public interface, though its SDP announces
	// the Interconnect address.
	split := compliant("rotated-split")
	split.sbcMedia, split.media.callerFrom = ap(sbcIX, rotatedPorts[1]), ap(sbcPublic, rotatedPorts[1])
	splitID, _ := s.call(at(1800), split)
	r.multiExpect = []expectation{{"media-off-interconnect", splitID}, {"media-unannounced", splitID}}
	// The files rotate just after the split call's 200 OK: its ACK, RTP and BYE are in the
	// second file, and the long call's RTP runs across the rotation.
	r.cut = s.frames[s.findMsg(splitID, isOKToInvite)].t.Add(time.Millisecond)
	before, after := false, false
	for _, f := range s.frames {
		if f.rtp != nil && s.streamCall[*f.rtp] == longID {
			before = before || f.t.Before(r.cut)
			after = after || !f.t.Before(r.cut)
		}
	}
	if !before || !after {
		s.fail(fmt.Errorf("the long call's RTP does not run across the rotation at %v (%v %v)", r.cut, before, after))
	}
	return r
}

func (r rotation) cases() []captureCase {
	return []captureCase{
		{file: r.files[0], s: r.s, flags: r.flags, keep: func(f frame) bool { return f.t.Before(r.cut) },
			shows: "with --sbc-net 203.0.113.0/24, the first of two rotated files (tcpdump -G): a compliant origination answered, its RTP " +
				"under way, and a termination up to its 200 OK",
			note: "Audited alone: both calls answered, the second without media: no finding. MULTI.json describes the audit of both files."},
		{file: r.files[1], s: r.s, flags: r.flags, keep: func(f frame) bool { return !f.t.Before(r.cut) },
			decodeAs: []string{fmt.Sprintf("udp.port==%d,rtp", rotatedPorts[0]), fmt.Sprintf("udp.port==%d,rtp", rotatedPorts[1])},
			shows: "with --sbc-net 203.0.113.0/24, the second of two rotated files: the rest of the origination's RTP and its BYE; the " +
				"termination's ACK, RTP (the SBC's leaving from the public 198.51.100.20:22002, though its SDP announced 203.0.113.10:22002) and BYE",
			note: "Audited alone: no INVITE, so no call; RTP to or from Twilio's range that no SDP of the file announced makes streams " +
				"with an empty call_id and no finding (nothing ties the leak to a Twilio call). " +
				"With no SDP in the file, tshark needs -d udp.port==22000,rtp -d udp.port==22002,rtp to see the streams."},
	}
}

// MultiEntry is MULTI.json: what a correct `ixaudit audit` of several inputs together
// reports.
type MultiEntry struct {
	Shows       string       `json:"shows"`
	Inputs      []string     `json:"inputs"`
	Flags       []string     `json:"flags"`
	Packets     int          `json:"packets"`
	SIPMessages int          `json:"sip_messages"`
	Calls       int          `json:"calls"`
	RTPStreams  int          `json:"rtp_streams"`
	PerCall     []CallInfo   `json:"per_call"`
	Streams     []StreamInfo `json:"streams"`
	Findings    []Finding    `json:"findings"`
	ExitCode    int          `json:"exit_code"`
	Note        string       `json:"note"`
}

// multi is what an audit of both rotated files together reports.
func (r rotation) multi() (*MultiEntry, error) {
	if r.s.err != nil {
		return nil, r.s.err
	}
	tr := deriveTruth(r.s.sorted(), r.s.streamCall)
	fnd, exit, err := findings(append(slices.Clone(r.s.expect), r.multiExpect...))
	if err != nil {
		return nil, err
	}
	return &MultiEntry{
		Shows: "both rotated files in one audit, with --sbc-net 203.0.113.0/24: a compliant origination whose RTP runs across the " +
			"rotation, and a termination whose INVITE..200 are in the first file and ACK, RTP and BYE in the second, its SBC RTP " +
			"leaving from the public 198.51.100.20",
		Inputs: r.files[:], Flags: r.flags, Packets: tr.packets, SIPMessages: tr.sipMessages, Calls: len(tr.calls),
		RTPStreams: tr.rtpStreams, PerCall: tr.calls, Streams: tr.streams, Findings: fnd, ExitCode: exit,
		Note: "Each call is counted once and holds all its SIP messages (7 each); each stream is one (source, destination, SSRC), " +
			"whichever files its packets are in, tied to its call by the SDP in the first file; so the second call's media leak " +
			"(media-off-interconnect, and media-unannounced for the unannounced source) is found, though neither file shows it alone.",
	}, nil
}
