package analyze

import (
	"bytes"
	"fmt"
	"net/netip"

	"github.com/ixaudit/ixaudit/analyze/ruleset"
	"github.com/ixaudit/ixaudit/analyze/sip"
)

// judgeSignalling applies the signalling-path rules to one SIP message.
func (in *inputAuditor) judgeSignalling(c *CallState, m *sip.Message, e *sipEnd) {
	at := in.at(e.src, e.dst, e.transport)
	tp, peer, ok := e.twilioPeer()
	if !ok {
		// signalling-unknown-peer: a request for a Twilio host between two addresses that
		// are no Twilio gateway at all.
		if m.IsRequest() {
			host := requestHost(m)
			if k := in.rs.Host(host).Kind; k != ruleset.HostNotTwilio {
				in.finding(c, ruleset.RuleSignallingUnknownPeer, at,
					fmt.Sprintf("%s for a Twilio host was exchanged between %s and %s, neither of which is a Twilio gateway",
						m.Method(), e.src.Addr(), e.dst.Addr()),
					"Request-URI host "+string(host), string(lowerASCII(host))+"|"+e.dst.Addr().String())
			}
		}
		return
	}
	in.judgePeer(c, at, e, tp, peer)
}

// judgePeer applies the rules on the Twilio peer of signalling (SIP, or TLS whose content
// cannot be read): public path, port, SBC address, encryption.
func (in *inputAuditor) judgePeer(c *CallState, at findingAt, e *sipEnd, tp netip.AddrPort, peer ruleset.Peer) {
	edge := ""
	if peer.Edge != nil {
		edge = peer.Edge.Name
	}
	if peer.Kind == ruleset.PeerPublic {
		in.finding(c, ruleset.RuleSignallingPublicPath, at,
			fmt.Sprintf("SIP was exchanged with Twilio's public gateway %s (edge %s): the internet, not Interconnect", tp.Addr(), edge),
			"public signalling address "+tp.String(), tp.Addr().String())
	}
	if peer.Kind == ruleset.PeerInterconnect && !in.rs.SignallingPortOK(e.transport, tp.Port()) {
		in.finding(c, ruleset.RuleSignallingPort, at,
			fmt.Sprintf("SIP with Interconnect gateway %s used %s port %d; only 5060/UDP, 5060/TCP and 5061/TLS are allowed",
				tp.Addr(), e.transport, tp.Port()),
			fmt.Sprintf("%s/%d", e.transport, tp.Port()), fmt.Sprintf("%s|%s/%d", tp.Addr(), e.transport, tp.Port()))
	}
	in.judgeOffInterconnect(c, at, e.otherEnd().Addr(), tp, "SIP")
	if in.a.cfg.RequireSecure && e.transport != "tls" {
		in.finding(c, ruleset.RuleSignallingInsecure, at,
			fmt.Sprintf("SIP with Twilio gateway %s over %s, not TLS, while the trunk requires Secure Trunking", tp.Addr(), e.transport),
			e.transport+" to "+tp.String(), tp.Addr().String()+"|"+e.transport)
	}
}

// judgeOffInterconnect applies signalling-off-interconnect: with --sbc-net, the SBC end of
// traffic with a Twilio gateway must be inside the given networks.
func (in *inputAuditor) judgeOffInterconnect(c *CallState, at findingAt, sbc netip.Addr, tp netip.AddrPort, what string) {
	if len(in.a.cfg.SBCNets) == 0 || in.inSBCNets(sbc) {
		return
	}
	in.finding(c, ruleset.RuleSignallingOffInterconnect, at,
		fmt.Sprintf("%s with Twilio gateway %s came from SBC address %s, outside --sbc-net", what, tp.Addr(), sbc),
		"SBC address "+sbc.String(), sbc.String()+"|"+tp.Addr().String())
}

func (in *inputAuditor) inSBCNets(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range in.a.cfg.SBCNets {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// judgeURIs applies the Request-URI and host-name rules, and checks edge=, region= and
// tnx= in every URI of the message.
func (in *inputAuditor) judgeURIs(c *CallState, m *sip.Message, e *sipEnd) {
	at := in.at(e.src, e.dst, e.transport)
	if m.IsRequest() && len(m.To().Tag()) == 0 && (e.toTwilio || !e.fromTwilio) {
		ruHost := requestHost(m)
		in.judgeHost(c, at, ruHost, "Request-URI", e)
		if to := m.To().URI.Host; len(to) > 0 && !bytes.EqualFold(to, ruHost) {
			in.judgeHost(c, at, to, "To", e)
		}
		if e.toTwilio && bytes.Equal(m.Method(), []byte("INVITE")) && len(ruHost) > 0 {
			if _, err := netip.ParseAddr(string(trimBrackets(ruHost))); err == nil {
				in.finding(c, ruleset.RuleURIHostIP, at,
					"the termination Request-URI host is a bare IP address; Twilio identifies the trunk by its FQDN",
					"Request-URI host "+string(ruHost), string(ruHost))
			}
		}
	}
	// edge=, region= and tnx= wherever they appear.
	eachURI(m, func(where string, u sip.URI) {
		if v, ok := u.Param("edge"); ok {
			in.judgeEdgeParam(c, at, e, "edge", v, where)
		}
		if v, ok := u.Param("region"); ok {
			in.finding(c, ruleset.RuleURIRegionParam, at,
				"a legacy region= parameter is used; Twilio's current parameter is edge=",
				where+" region="+string(v), "region="+string(lowerASCII(v)))
			in.judgeEdgeParam(c, at, e, "region", v, where)
		}
		if v, ok := u.Param("tnx"); ok {
			in.finding(c, ruleset.RuleURITnxDeprecated, at,
				"a tnx= parameter is used; it is deprecated in favour of edge=",
				where+" tnx="+string(v), "tnx="+string(v))
		}
	})
}

// judgeHost applies the termination host rules to a host name seen in a request sent
// towards Twilio.
func (in *inputAuditor) judgeHost(c *CallState, at findingAt, host []byte, where string, e *sipEnd) {
	h := in.rs.Host(host)
	lh := string(lowerASCII(host))
	switch h.Kind {
	case ruleset.HostPublicTermination, ruleset.HostPublicEdgeProxy:
		in.finding(c, ruleset.RuleURIPublicHost, at,
			fmt.Sprintf("the termination host %s is a Twilio public host: the call is routed over the internet", host),
			where+" host "+string(host), lh)
	case ruleset.HostIXTermination:
		if h.Legacy {
			in.finding(c, ruleset.RuleURILegacyHost, at,
				fmt.Sprintf("the termination host %s uses a legacy Interconnect code", host),
				where+" host "+string(host), lh)
		}
		if h.Edge == nil || h.Unknown {
			in.finding(c, ruleset.RuleURIEdgeUnknown, at,
				fmt.Sprintf("the termination host %s names no Interconnect edge", host),
				where+" host "+string(host), lh)
			return
		}
		if e.toTwilio && e.pd.Kind == ruleset.PeerInterconnect && e.pd.Edge != nil && e.pd.Edge != h.Edge {
			in.finding(c, ruleset.RuleURIRegionMismatch, at,
				fmt.Sprintf("the termination host names edge %s but the request went to %s, a gateway of %s",
					h.Edge.Name, e.dst.Addr(), e.pd.Edge.Name),
				where+" host "+string(host)+" sent to "+e.dst.Addr().String(), lh+"|"+e.dst.Addr().String())
		}
	}
}

// judgeEdgeParam checks the value of an edge= (or region=) parameter.
func (in *inputAuditor) judgeEdgeParam(c *CallState, at findingAt, e *sipEnd, name string, v []byte, where string) {
	ev := where + " " + name + "=" + string(v)
	key := name + "=" + string(lowerASCII(v))
	edge, ok := in.rs.Edge(v)
	switch {
	case !ok || edge.Kind == ruleset.EdgeMediaOnly:
		in.finding(c, ruleset.RuleURIEdgeUnknown, at,
			fmt.Sprintf("%s=%s names no Interconnect edge that SIP trunking accepts", name, v), ev, key)
	case edge.Kind == ruleset.EdgePublic:
		in.finding(c, ruleset.RuleURIEdgePublic, at,
			fmt.Sprintf("%s=%s names a public edge: Twilio will use the internet path", name, v), ev, key)
	default:
		_, peer, ok := e.twilioPeer()
		if ok && peer.Edge != nil && peer.Edge != edge {
			in.finding(c, ruleset.RuleURIEdgeMismatch, at,
				fmt.Sprintf("%s=%s names edge %s, but the message was exchanged with %s of edge %s",
					name, v, edge.Name, e.twilioAddr(), peer.Edge.Name),
				ev, key+"|"+peer.Edge.Name)
		}
	}
}

func (e *sipEnd) twilioAddr() netip.Addr {
	tp, _, _ := e.twilioPeer()
	return tp.Addr()
}

// lowerASCII returns an ASCII-lower-cased copy of b.
func lowerASCII(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return out
}

func trimBrackets(b []byte) []byte {
	if len(b) >= 2 && b[0] == '[' && b[len(b)-1] == ']' {
		return b[1 : len(b)-1]
	}
	return b
}
