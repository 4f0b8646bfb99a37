package main

import "net/netip"

// The Twilio facts the generator needs, from /work/shared/twilio/FACTS.md. They are used
// only to place packets in capture files and to derive each call's direction, path and
// edge for MANIFEST.json; nothing is ever sent to these addresses.

// ixGateways maps each Interconnect signalling gateway to its edge.
var ixGateways = func() map[netip.Addr]string {
	m := make(map[netip.Addr]string)
	for _, e := range ixEdges {
		for _, g := range e.gateways {
			m[netip.MustParseAddr(g)] = e.edge
		}
	}
	return m
}()

// ixEdges lists the Interconnect edges with their gateway addresses, in FACTS.md order.
var ixEdges = []struct {
	edge, legacy string
	gateways     [3]string
}{
	{"ashburn-ix", "us1-ix", [3]string{"208.78.112.64", "208.78.112.65", "208.78.112.66"}},
	{"san-jose-ix", "us2-ix", [3]string{"67.213.136.64", "67.213.136.65", "67.213.136.66"}},
	{"london-ix", "ie1-ix", [3]string{"185.187.132.68", "185.187.132.69", "185.187.132.70"}},
	{"frankfurt-ix", "de1-ix", [3]string{"185.194.136.64", "185.194.136.65", "185.194.136.66"}},
	{"singapore-ix", "sg1-ix", [3]string{"103.75.151.68", "103.75.151.69", "103.75.151.70"}},
	{"tokyo-ix", "jp1-ix", [3]string{"103.144.142.68", "103.144.142.69", "103.144.142.70"}},
	{"sydney-ix", "au1-ix", [3]string{"103.146.214.68", "103.146.214.69", "103.146.214.70"}},
	{"sao-paulo-ix", "br1-ix", [3]string{"159.183.255.68", "159.183.255.69", "159.183.255.70"}},
}

// publicEdges lists the public signalling /30 of each public edge.
var publicEdges = []struct {
	edge, legacy string
	prefix       netip.Prefix
}{
	{"ashburn", "us1", netip.MustParsePrefix("54.172.60.0/30")},
	{"umatilla", "us2", netip.MustParsePrefix("54.244.51.0/30")},
	{"dublin", "ie1", netip.MustParsePrefix("54.171.127.192/30")},
	{"frankfurt", "de1", netip.MustParsePrefix("35.156.191.128/30")},
	{"tokyo", "jp1", netip.MustParsePrefix("54.65.63.192/30")},
	{"singapore", "sg1", netip.MustParsePrefix("54.169.127.128/30")},
	{"sydney", "au1", netip.MustParsePrefix("54.252.254.64/30")},
	{"sao-paulo", "br1", netip.MustParsePrefix("177.71.206.192/30")},
}

// twilioMedia is the media range of both paths; Twilio's media ports are 10000–60000.
var twilioMedia = netip.MustParsePrefix("168.86.128.0/18")

// gateway returns the n-th (0..2) Interconnect gateway of an edge.
func gateway(edge string, n int) netip.Addr {
	for _, e := range ixEdges {
		if e.edge == edge {
			return netip.MustParseAddr(e.gateways[n])
		}
	}
	panic("gateway: no Interconnect edge " + edge) // a typo in a case definition
}

// peerKind tells what a signalling address is to Twilio.
type peerKind int

const (
	peerOther        peerKind = iota // not a Twilio signalling address
	peerInterconnect                 // an Interconnect gateway
	peerPublic                       // inside a public signalling /30
)

// classify returns what addr is and, for a Twilio peer, its edge.
func classify(addr netip.Addr) (peerKind, string) {
	addr = addr.Unmap()
	if e, ok := ixGateways[addr]; ok {
		return peerInterconnect, e
	}
	for _, p := range publicEdges {
		if p.prefix.Contains(addr) {
			return peerPublic, p.edge
		}
	}
	return peerOther, ""
}

// isTwilioPeer reports whether addr is an Interconnect gateway or a public signalling address.
func isTwilioPeer(addr netip.Addr) bool {
	k, _ := classify(addr)
	return k != peerOther
}
