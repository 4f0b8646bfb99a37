package main

import (
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// callPlan describes one call for scenario.call. Zero fields take the usual values of a
// compliant Interconnect call.
type callPlan struct {
	label string         // readable prefix of the Call-ID
	sbc   netip.AddrPort // the SBC's signalling address
	peer  netip.AddrPort // the far end's signalling address (a Twilio gateway, usually)
	orig  bool           // origination: the far end calls the SBC

	ruri  string // Request-URI of the INVITE ("{to}" stands for the callee's number; default: the trunk's -ix host, or the SBC with edge=)
	toURI string // To URI (default: the Request-URI without parameters)
	from  string // the caller's number (default: a random +1415555 01xx)
	to    string // the callee's number

	sbcMedia  netip.AddrPort // what the SBC's SDP announces (default: its signalling address, an even port)
	peerMedia netip.AddrPort // what the far end's SDP announces (default: 168.86.128.0/18, 10000–60000)
	sbcSDP    sdpSpec        // more SDP details of the SBC (profile, crypto, a=rtcp, big)
	peerSDP   sdpSpec        // more SDP details of the far end

	final     int           // final response to the INVITE: 200 (default), an error, or -1 for none
	dur       time.Duration // RTP duration (default 1 s)
	media     mediaOpts
	noMedia   bool          // answered, but no RTP is written here (the bench mode writes it itself)
	talk      time.Duration // with noMedia: the time from the ACK to the BYE
	transport string
	style     style
	hold      bool // the far end puts the call on hold (c=0.0.0.0) before the BYE
	byeByPeer bool // the far end hangs up
	extra     []header

	fragInvite bool // the INVITE (with a large SDP) travels in 3 IP fragments, out of order, one duplicated

	want []string // rules a correct audit reports for this call
}

// Telephone numbers are fake: +1 415 555 01xx (NANP 555-01xx is reserved for fiction).
func (s *scenario) number() string { return fmt.Sprintf("+1415555%04d", 100+s.rng.IntN(100)) }

// twilioMediaAddr returns a random media address in Twilio's range, with an even port
// whose RTCP port (+1) is in 10000–60000 too.
func twilioMediaAddr(s *scenario) netip.AddrPort {
	a := twilioMedia.Addr().As4() // a /18: the third byte takes 64 values
	a[2] += byte(s.rng.IntN(64))
	a[3] = byte(1 + s.rng.IntN(254))
	return netip.AddrPortFrom(netip.AddrFrom4(a), uint16(10000+2*s.rng.IntN(24990)))
}

func sbcMediaPort(s *scenario) uint16 { return uint16(20000 + 2*s.rng.IntN(5000)) }

// uriHost writes an address as the host part of a SIP URI.
func uriHost(a netip.Addr) string {
	if a.Is6() {
		return "[" + a.String() + "]"
	}
	return a.String()
}

// bareURI drops the parameters and the port of a SIP URI: the To URI of a Request-URI.
func bareURI(u string) string {
	u, _, _ = strings.Cut(u, ";")
	at := strings.LastIndexByte(u, '@') // the host starts after the user part, or after the scheme
	if at < 0 {
		at = strings.IndexByte(u, ':')
	}
	host := u[at+1:]
	if strings.HasPrefix(host, "[") {
		if i := strings.IndexByte(host, ']'); i > 0 {
			host = host[:i+1]
		}
	} else if i := strings.IndexByte(host, ':'); i >= 0 {
		host = host[:i]
	}
	return u[:at+1] + host
}

// dialogFor builds the parties and the dialog of a plan.
func (s *scenario) dialogFor(p *callPlan) *dialog {
	caller, callee := s.number(), s.number()
	for callee == caller {
		callee = s.number()
	}
	if p.from != "" {
		caller = p.from
	}
	if p.to != "" {
		callee = p.to
	}
	p.ruri = strings.ReplaceAll(p.ruri, "{to}", callee)
	if !p.sbcMedia.IsValid() {
		p.sbcMedia = netip.AddrPortFrom(p.sbc.Addr(), sbcMediaPort(s))
	}
	if !p.peerMedia.IsValid() {
		p.peerMedia = twilioMediaAddr(s)
	}
	sbcSDP := p.sbcSDP
	sbcSDP.addr, sbcSDP.port = p.sbcMedia.Addr(), p.sbcMedia.Port()
	sbcSDP.user, sbcSDP.session = "ExampleSBC", "ExampleSBC"
	if sbcSDP.codecs == nil {
		sbcSDP.codecs = []int{0, 8, 101}
	}
	peerSDP := p.peerSDP
	peerSDP.addr, peerSDP.port = p.peerMedia.Addr(), p.peerMedia.Port()
	peerSDP.user, peerSDP.session = "root", "Twilio Media Gateway"
	if peerSDP.profile == "" {
		peerSDP.profile = sbcSDP.profile
	}

	sbc := &party{sig: p.sbc, host: uriHost(p.sbc.Addr()), ua: "ExampleSBC/7.2.1", media: sbcSDP}
	peer := &party{sig: p.peer, host: uriHost(p.peer.Addr()), ua: "Twilio Gateway", media: peerSDP, twilio: true}
	if !isTwilioPeer(p.peer.Addr()) {
		peer.ua, peer.twilio = "Kamailio (5.6.4 (x86_64/linux))", false
	}
	peer.contact = "sip:" + p.peer.String()
	kind, edge := classify(p.peer.Addr())
	var d *dialog
	if p.orig {
		sbc.user, peer.user = callee, caller
		sbc.contact = "sip:" + callee + "@" + p.sbc.String()
		if p.ruri == "" {
			p.ruri = "sip:" + callee + "@" + p.sbc.String()
			if kind == peerInterconnect {
				p.ruri += ";edge=" + edge
			}
		}
		if p.toURI == "" {
			p.toURI = "sip:" + callee + "@" + uriHost(p.sbc.Addr())
		}
		d = s.newDialog(s.callID(p.label, "0.0.0.0"), peer, sbc, p.ruri, p.toURI)
		d.extra = []header{
			{"X-Twilio-AccountSid", "AC" + s.hex(16)},
			{"X-Twilio-CallSid", "CA" + s.hex(16)},
		}
	} else {
		sbc.user, peer.user = caller, callee
		sbc.contact = "sip:" + caller + "@" + p.sbc.String()
		if p.ruri == "" {
			if kind != peerInterconnect {
				s.fail(fmt.Errorf("call %s: a termination to %s needs a Request-URI", p.label, p.peer))
			}
			p.ruri = "sip:" + callee + "@mytrunk.pstn." + edge + ".twilio.com"
		}
		if p.toURI == "" {
			p.toURI = bareURI(p.ruri)
		}
		d = s.newDialog(s.callID(p.label, p.sbc.Addr().String()), sbc, peer, p.ruri, p.toURI)
		d.extra = []header{
			{"P-Asserted-Identity", "<sip:" + caller + "@" + uriHost(p.sbc.Addr()) + ">"},
			{"Session-Expires", "1800;refresher=uac"},
		}
	}
	d.extra = append(d.extra, p.extra...)
	if p.transport != "" {
		d.transport = p.transport
	}
	d.style = p.style
	return d
}

// call writes a whole call starting at t0 and returns its Call-ID and the time its last
// packet was sent. A plan with final 200 gives INVITE, 100, 180, 200, ACK, RTP both ways,
// BYE, 200: seven SIP messages.
func (s *scenario) call(t0 time.Time, p callPlan) (string, time.Time) {
	d := s.dialogFor(&p)
	for _, r := range p.want {
		s.want(r, d.callID)
	}
	return d.callID, s.play(t0, d, p)
}

// play writes the call of plan p on dialog d (built by dialogFor) starting at t0, and
// returns the time its last packet was sent.
func (s *scenario) play(t0 time.Time, d *dialog, p callPlan) time.Time {
	final := p.final
	if final == 0 {
		final = 200
	}
	inv := d.Invite()
	t := t0
	if p.fragInvite {
		s.sendFragmented(t, d, inv)
	} else {
		d.send(t, inv)
	}
	if final < 0 {
		// Unanswered: RFC 3261 timer A retransmissions at 0.5, 1.5 and 3.5 s.
		for _, at := range []time.Duration{500, 1500, 3500} {
			d.send(t0.Add(at*time.Millisecond), inv)
		}
		return t0.Add(3500 * time.Millisecond)
	}
	t = t.Add(time.Duration(12+s.rng.IntN(10)) * time.Millisecond)
	d.send(t, d.Reply(inv, 100, false))
	if final != 200 {
		t = t.Add(time.Duration(200+s.rng.IntN(300)) * time.Millisecond)
		d.send(t, d.Reply(inv, final, false))
		t = t.Add(2 * time.Millisecond)
		d.send(t, d.Ack(false))
		return t
	}
	t = t.Add(time.Duration(90+s.rng.IntN(80)) * time.Millisecond)
	d.send(t, d.Reply(inv, 180, false))
	t = t.Add(time.Duration(1200+s.rng.IntN(1500)) * time.Millisecond)
	d.send(t, d.Reply(inv, 200, false))
	t = t.Add(time.Duration(15+s.rng.IntN(20)) * time.Millisecond)
	d.send(t, d.Ack(true))
	if p.noMedia {
		t = t.Add(p.talk)
	} else {
		dur := p.dur
		if dur == 0 {
			dur = time.Second
		}
		t = d.media(t.Add(20*time.Millisecond), dur, p.media)
	}
	if p.hold {
		t = t.Add(100 * time.Millisecond)
		re := d.HoldReinvite()
		d.send(t, re)
		t = t.Add(15 * time.Millisecond)
		d.send(t, d.Reply(re, 200, true))
		t = t.Add(20 * time.Millisecond)
		d.send(t, d.AckFromCallee())
	}
	t = t.Add(time.Duration(40+s.rng.IntN(60)) * time.Millisecond)
	bye := d.Bye(!p.byeByPeer)
	d.send(t, bye)
	t = t.Add(time.Duration(15+s.rng.IntN(20)) * time.Millisecond)
	d.send(t, d.Reply(bye, 200, false))
	return t
}

// sendFragmented writes m as three IP fragments in the order 3, 1, 3 (again), 2: out of
// order, with a duplicate. The message is whole once the last of them has arrived.
func (s *scenario) sendFragmented(t time.Time, d *dialog, m *sipMsg) {
	m.raw = m.render()
	frags := s.fragment(s.udpDatagram(m.src, m.dst, tosSIP, m.raw), 3)
	if len(frags) != 3 {
		s.fail(fmt.Errorf("%s: INVITE of %d bytes gave %d fragments, want 3", d.callID, len(m.raw), len(frags)))
		return
	}
	for i, k := range []int{2, 0, 2, 1} {
		f := frame{t: t.Add(time.Duration(i) * 40 * time.Microsecond), data: frags[k]}
		if i == 3 {
			f.sip = []*sipMsg{m}
		}
		s.add(f)
	}
}

// options writes an OPTIONS keep-alive from `from` to `to` for ruri, and its 200 OK. It
// belongs to no call: its findings (want) have an empty Call-ID.
func (s *scenario) options(t time.Time, from, to netip.AddrPort, ruri string, want ...string) {
	a := &party{sig: from, user: "ping", host: uriHost(from.Addr()), ua: "ExampleSBC/7.2.1", contact: "sip:ping@" + from.String()}
	b := &party{sig: to, host: uriHost(to.Addr()), ua: "Twilio Gateway", contact: "sip:" + to.String(), twilio: true}
	d := s.newDialog(s.callID("options", from.Addr().String()), a, b, ruri, bareURI(ruri))
	d.fromURI = "sip:ping@" + uriHost(from.Addr())
	m := d.request("OPTIONS", ruri, true, d.cseq, d.viaFor(a), nil)
	d.send(t, m)
	d.send(t.Add(rtt), d.Reply(m, 200, false))
	for _, r := range want {
		s.want(r, "")
	}
}
