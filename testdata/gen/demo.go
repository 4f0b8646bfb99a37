package main

import (
	"net/netip"
	"time"
)

// demoCase is the "mixed day" behind `make demo`: twenty calls over three Interconnect
// edges, mostly compliant, with two leaks.
func demoCase() captureCase {
	s := newScenario("demo")
	type site struct {
		sbc  netip.Addr
		edge string
	}
	sites := []site{{sbcIX, "ashburn-ix"}, {sbcIX2, "london-ix"}, {sbcIX3, "frankfurt-ix"}}
	var plans []callPlan
	finals := []int{200, 200, 200, 486, 200, 200, 480, 200, 200, 200, 404, 200, 200, 200, 200, 200, 200}
	for i, final := range finals {
		st := sites[i%len(sites)]
		p := callPlan{label: "demo-" + st.edge, sbc: sig(st.sbc), peer: ix(st.edge, s.rng.IntN(3)), orig: i%2 == 1,
			final: final, dur: time.Duration(400+s.rng.IntN(600)) * time.Millisecond}
		p.media.rtcp = i%4 == 0
		plans = append(plans, p)
	}
	// Calls start every 1.5–4.5 s and overlap.
	t := at(200)
	for i, p := range plans {
		s.call(t, p)
		t = t.Add(time.Duration(1500+s.rng.IntN(3000)) * time.Millisecond)
		switch i {
		case 6:
			// Leak 1: origination failover to the public edge.
			caller, callee := "+14155550123", "+14155550188"
			_, end := s.call(t, callPlan{label: "demo-ix-attempt", sbc: sig(sbcIX), peer: ix("ashburn-ix", 1), orig: true,
				from: caller, to: callee, final: -1})
			s.call(end.Add(500*time.Millisecond), callPlan{label: "demo-public-failover", sbc: sig(sbcPublic), peer: sig(publicAshburn2),
				orig: true, from: caller, to: callee, dur: 800 * time.Millisecond, want: []string{"signalling-public-path"}})
		case 12:
			// Leak 2: a termination to the global public host from the public interface.
			s.call(t, callPlan{label: "demo-global-host", sbc: sig(sbcPublic), peer: sig(publicAshburn1),
				ruri: "sip:{to}@mytrunk.pstn.twilio.com", dur: 700 * time.Millisecond,
				want: []string{"signalling-public-path", "uri-public-host"}})
		}
	}
	s.options(t, sig(sbcIX2), ix("london-ix", 0), "sip:mytrunk.pstn.london-ix.twilio.com")
	public := netip.MustParsePrefix("198.51.100.0/24")
	return captureCase{
		file: "demo.pcapng", group: "demo", format: fmtPcapng, s: s,
		ifaces: []iface{{"ix0", linkEthernet}, {"wan0", linkEthernet}},
		ifaceOf: func(f frame) int {
			src := srcOf(f.data)
			dst, _ := netip.AddrFromSlice(dstOf(f.data))
			if public.Contains(src) || public.Contains(dst) {
				return 1
			}
			return 0
		},
		shows: "a mixed day for `make demo`: 20 calls over ashburn-ix, london-ix and frankfurt-ix (three SBC addresses), both directions, " +
			"some busy/unavailable; two leaks: an origination failover from ashburn-ix to the public 54.172.60.2, and a termination " +
			"to the global public host mytrunk.pstn.twilio.com at 54.172.60.1; interfaces ix0 (Interconnect) and wan0 (public)",
	}
}

// dstOf returns the destination address bytes of an IP datagram.
func dstOf(ip []byte) []byte {
	if ip[0]>>4 == 6 {
		return ip[24:40]
	}
	return ip[16:20]
}
