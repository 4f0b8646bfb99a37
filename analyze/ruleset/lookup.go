package ruleset

import (
	"net/netip"

	"github.com/ixaudit/ixaudit/analyze/internal/ascii"
)

// maxLabel is the longest DNS label (RFC 1035); longer labels name no edge.
const maxLabel = 63

// Peer classifies an address: an Interconnect gateway, an address in a public edge's
// signalling CIDR, an address in the media range, or none of these. IPv4-mapped IPv6
// addresses are treated as IPv4. It does not allocate.
func (rs *RuleSet) Peer(addr netip.Addr) Peer {
	addr = addr.Unmap()
	if e, ok := rs.gateways[addr]; ok {
		return Peer{Kind: PeerInterconnect, Edge: e}
	}
	for i := range rs.public {
		if rs.public[i].prefix.Contains(addr) {
			return Peer{Kind: PeerPublic, Edge: rs.public[i].edge}
		}
	}
	if rs.InMediaRange(addr) {
		return Peer{Kind: PeerMedia}
	}
	return Peer{}
}

// InMediaRange reports whether addr is inside Twilio's media range (168.86.128.0/18).
func (rs *RuleSet) InMediaRange(addr netip.Addr) bool {
	addr = addr.Unmap()
	for _, p := range rs.media {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// MediaPortOK reports whether port is inside Twilio's media port range (10000–60000).
func (rs *RuleSet) MediaPortOK(port uint16) bool {
	return port >= rs.mediaLo && port <= rs.mediaHi
}

// SignallingPortOK reports whether SIP with a gateway may use port over transport ("udp",
// "tcp" or "tls", case-insensitive): 5060 UDP/TCP and 5061 TLS.
func (rs *RuleSet) SignallingPortOK(transport string, port uint16) bool {
	for _, sp := range rs.sigPorts {
		if sp.port == port && ascii.EqualFold(sp.transport, transport) {
			return true
		}
	}
	return false
}

// SuiteAccepted reports whether Twilio accepts the SDES crypto suite (an a=crypto suite
// name, case-insensitive as in RFC 4568's grammar) on calls it receives.
func (rs *RuleSet) SuiteAccepted(suite []byte) bool { return inFold(rs.accepted, suite) }

// SuiteOffered reports whether Twilio offers the SDES crypto suite on calls it sends.
func (rs *RuleSet) SuiteOffered(suite []byte) bool { return inFold(rs.offered, suite) }

// Severity returns the severity in force for a rule ID ("error", "warning" or "info"), or ""
// for an ID that is not in the catalogue (see Rules).
func (rs *RuleSet) Severity(rule string) string { return rs.severities[rule] }

// Edge looks an edge up by its canonical name, legacy code or alias, case-insensitively:
// "ashburn-ix", "US1-IX" and "us1-ix" all give ashburn-ix; "us1" gives ashburn. It does not
// allocate.
func (rs *RuleSet) Edge(name []byte) (*Edge, bool) {
	e := rs.lookupEdge(name)
	return e, e != nil
}

// lookupEdge returns the edge named name (any case), or nil.
func (rs *RuleSet) lookupEdge(name []byte) *Edge {
	if len(name) == 0 || len(name) > maxLabel {
		return nil
	}
	var buf [maxLabel]byte
	for i, c := range name {
		buf[i] = ascii.Lower(c)
	}
	// The compiler does not allocate for a []byte-to-string conversion used as a map key.
	return rs.byName[string(buf[:len(name)])]
}

// Host classifies a host name (from a Request-URI, To header, TLS server name or DNS query)
// against the rule set's host patterns, case-insensitively; one trailing dot is allowed. The
// first matching pattern, in file order, decides. It does not allocate: the Host's slices
// point into host.
func (rs *RuleSet) Host(host []byte) Host {
	if n := len(host); n > 0 && host[n-1] == '.' {
		host = host[:n-1]
	}
	d := rs.domain
	switch {
	case len(host) == len(d) && ascii.EqualFold(host, d):
		return Host{Kind: HostOtherTwilio}
	case len(host) > len(d) && host[len(host)-len(d)-1] == '.' && ascii.EqualFold(host[len(host)-len(d):], d):
		host = host[:len(host)-len(d)-1] // the labels before ".twilio.com"
	default:
		return Host{Kind: HostNotTwilio}
	}
	for i := range rs.hosts {
		if h, ok := rs.hosts[i].match(rs, host); ok {
			return h
		}
	}
	return Host{Kind: HostOtherTwilio}
}

// match matches the labels in front of the domain against the pattern, right to left. The
// edge label is looked up only once the rest of the pattern has matched.
func (p *hostPattern) match(rs *RuleSet, rest []byte) (Host, bool) {
	var trunk, edgeLabel []byte
	var slot tokenKind
	for i := len(p.tokens) - 1; i >= 0; i-- {
		t := &p.tokens[i]
		if t.kind == tokTrunk { // always the first token: it takes what is left
			if !validLabels(rest) {
				return Host{}, false
			}
			trunk, rest = rest, nil
			continue
		}
		if len(rest) == 0 {
			return Host{}, false
		}
		var label []byte
		label, rest = lastLabel(rest)
		switch {
		case len(label) == 0:
			return Host{}, false
		case t.kind == tokLiteral:
			if !ascii.EqualFold(label, t.text) {
				return Host{}, false
			}
		case t.kind == tokIXEdge && !hasIXSuffix(label), t.kind == tokPublicEdge && hasIXSuffix(label):
			return Host{}, false
		default:
			edgeLabel, slot = label, t.kind
		}
	}
	if len(rest) != 0 {
		return Host{}, false
	}
	h := Host{Kind: p.kind, Trunk: trunk}
	switch slot {
	case tokIXEdge:
		h.resolve(rs.lookupEdge(edgeLabel), edgeLabel, EdgeInterconnect)
		h.Interconnect = true
	case tokPublicEdge:
		h.resolve(rs.lookupEdge(edgeLabel), edgeLabel, EdgePublic)
	case tokEdge:
		e := rs.lookupEdge(edgeLabel)
		h.resolve(e, edgeLabel, 0)
		h.Interconnect = e != nil && e.Kind == EdgeInterconnect || e == nil && hasIXSuffix(edgeLabel)
	}
	return h, true
}

// resolve records the edge a label names. want is the edge kind the pattern needs, or 0 for
// any trunking edge (interconnect or public).
func (h *Host) resolve(e *Edge, label []byte, want EdgeKind) {
	h.EdgeLabel = label
	if e == nil {
		h.Unknown = true
		return
	}
	h.Edge = e
	h.Legacy = !ascii.EqualFold(label, e.Name)
	switch {
	case want != 0 && e.Kind != want:
		h.Unknown = true
	case want == 0 && e.Kind == EdgeMediaOnly:
		h.Unknown = true
	}
}

// lastLabel splits "a.b.c" into "c" and "a.b".
func lastLabel(s []byte) (label, rest []byte) {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '.' {
			return s[i+1:], s[:i]
		}
	}
	return s, nil
}

// validLabels reports whether s is one or more non-empty dot-separated labels.
func validLabels(s []byte) bool {
	if len(s) == 0 || s[0] == '.' || s[len(s)-1] == '.' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] == '.' && s[i-1] == '.' {
			return false
		}
	}
	return true
}

// hasIXSuffix reports whether an edge label ends in "-ix", any case.
func hasIXSuffix(label []byte) bool {
	n := len(label)
	return n > 3 && label[n-3] == '-' && ascii.Lower(label[n-2]) == 'i' && ascii.Lower(label[n-1]) == 'x'
}

// inFold reports whether b equals one of list, case-insensitively.
func inFold(list []string, b []byte) bool {
	for _, s := range list {
		if ascii.EqualFold(b, s) {
			return true
		}
	}
	return false
}
