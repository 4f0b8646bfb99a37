// Package ruleset holds the Twilio facts that ixaudit checks traffic against: the Interconnect
// gateways, the public signalling ranges, the media range and ports, the host-name patterns,
// the SRTP suites and the severity of every rule. The facts ship as a text file embedded in the
// binary (twilio.rules, transcribed from shared/twilio/FACTS.md); a user replaces it with
// --rules FILE, and `ixaudit rules` prints the rule set in force in the same format (WriteTo).
//
// # Format
//
// One directive a line; blanks and tabs separate fields; a field starting with '#' starts a
// comment; a value with blanks is double-quoted with Go escapes. Directive names and keywords
// are lower case; edge names, codes, domains and host patterns are case-insensitive.
//
//	ruleset VERSION                    once: the rule set's version
//	facts-read YYYY-MM-DD              once: when the facts were read from Twilio's pages
//	domain twilio.com                  once: names in it are Twilio's
//	source KEY URL                     a document the facts come from
//	edge NAME kind=interconnect|public|media-only [legacy=CODE] [aliases=CODE,...]
//	     [gateways=IP,...] [signalling=CIDR,...] [sources=KEY,...] [label="..."]
//	media-range CIDR...                one or more lines
//	media-ports LOW-HIGH               once
//	signalling-port udp|tcp|tls PORT   one line per allowed pair
//	srtp-offer SUITE...                once: suites Twilio offers on calls it sends
//	srtp-accept SUITE...               once: suites Twilio accepts on calls it receives
//	host KIND PATTERN                  a host-name pattern (see HostKind, and host.go)
//	severity RULE error|warning|info   the severity of a rule of the catalogue (see Rules)
//
// Interconnect edges have gateways and names ending in "-ix"; public edges have signalling
// CIDRs and names that do not. Parse refuses, with the line number, anything malformed or
// unknown, anything given twice (an edge, a name or code, an address, a line that may appear
// once), a gateway inside a public CIDR or the media range, and overlapping CIDRs. Rules
// without a severity line keep their default.
//
// A RuleSet is read-only once parsed and safe for concurrent use. Its lookups (Peer, Host,
// Edge, InMediaRange, MediaPortOK, SignallingPortOK, SuiteAccepted, SuiteOffered, Severity)
// run per packet and never allocate.
//
// The rule engine (which finding fires when) is in package analyze, not here.
package ruleset

import (
	"net/netip"
)

// EdgeKind says which path an edge belongs to.
type EdgeKind uint8

// Edge kinds.
const (
	// EdgeInterconnect is a private (Interconnect) edge with gateway addresses.
	EdgeInterconnect EdgeKind = iota + 1
	// EdgePublic is a public (internet) edge with signalling CIDRs.
	EdgePublic
	// EdgeMediaOnly is an edge that appears in Twilio's media tables only and is not valid
	// for SIP trunking (roaming, legacy gll and gll-ix).
	EdgeMediaOnly
)

var edgeKindNames = [...]string{EdgeInterconnect: "interconnect", EdgePublic: "public", EdgeMediaOnly: "media-only"}

// String returns the name used in the rule-set file: "interconnect", "public", "media-only".
func (k EdgeKind) String() string {
	if int(k) < len(edgeKindNames) && edgeKindNames[k] != "" {
		return edgeKindNames[k]
	}
	return "unknown"
}

// Edge is one Twilio edge location. Fields must not be modified: the Edge belongs to its
// RuleSet, which may be shared.
type Edge struct {
	Name    string   // canonical name: "ashburn-ix", "ashburn", "roaming"
	Legacy  string   // legacy code: "us1-ix", "us1", "gll"; may be empty
	Aliases []string // further codes that name this edge ("gll-ix" for roaming)
	Kind    EdgeKind
	// Label is the exchange (Interconnect) or region (public) as Twilio's tables name it.
	Label string
	// Gateways are the signalling and media gateway addresses of an Interconnect edge.
	Gateways []netip.Addr
	// Signalling are the signalling CIDRs of a public edge.
	Signalling []netip.Prefix
	// Sources are the keys of the documents the edge's facts come from ("S-TIX").
	Sources []string

	line int // line of the rule-set file that defined the edge
}

// PeerKind says what a network address is to Twilio.
type PeerKind uint8

// Peer kinds.
const (
	// PeerNone is an address that is no Twilio address in the rule set.
	PeerNone PeerKind = iota
	// PeerInterconnect is an Interconnect gateway address.
	PeerInterconnect
	// PeerPublic is an address inside a public edge's signalling CIDR.
	PeerPublic
	// PeerMedia is an address inside the media range (shared by both paths).
	PeerMedia
)

var peerKindNames = [...]string{PeerNone: "none", PeerInterconnect: "interconnect", PeerPublic: "public", PeerMedia: "media"}

// String returns "none", "interconnect", "public" or "media".
func (k PeerKind) String() string {
	if int(k) < len(peerKindNames) {
		return peerKindNames[k]
	}
	return "unknown"
}

// Peer is the classification of an address. Edge is set for PeerInterconnect and PeerPublic.
type Peer struct {
	Kind PeerKind
	Edge *Edge
}

// HostKind says what a host name is to Twilio.
type HostKind uint8

// Host kinds.
const (
	// HostNotTwilio is a name outside the Twilio domain (twilio.com and its sub-domains).
	HostNotTwilio HostKind = iota
	// HostOtherTwilio is a name in the Twilio domain that matches no host pattern.
	HostOtherTwilio
	// HostIXTermination is an Interconnect termination name: {trunk}.pstn.{edge}-ix.twilio.com,
	// or its legacy form {trunk}.pstn.us1-ix.twilio.com.
	HostIXTermination
	// HostPublicTermination is a public termination name: global {trunk}.pstn.twilio.com (Edge
	// nil), localized {trunk}.pstn.ashburn.twilio.com or legacy {trunk}.pstn.us1.twilio.com.
	HostPublicTermination
	// HostPublicEdgeProxy is a per-edge SRV/NAPTR name: pstn.ashburn.twilio.com.
	HostPublicEdgeProxy
	// HostSIPDomain is a Programmable Voice SIP domain: {d}.sip.twilio.com (Edge nil),
	// {d}.sip.{edge}.twilio.com or {d}.sip.{edge}-ix.twilio.com (Interconnect set).
	HostSIPDomain
)

var hostKindNames = [...]string{
	HostNotTwilio:         "not-twilio",
	HostOtherTwilio:       "other-twilio",
	HostIXTermination:     "ix-termination",
	HostPublicTermination: "public-termination",
	HostPublicEdgeProxy:   "public-edge-proxy",
	HostSIPDomain:         "sip-domain",
}

// String returns the name used in the rule-set file's host lines ("ix-termination", ...),
// "not-twilio" or "other-twilio".
func (k HostKind) String() string {
	if int(k) < len(hostKindNames) {
		return hostKindNames[k]
	}
	return "unknown"
}

// Host is the classification of a host name. Its byte slices point into the name given to
// RuleSet.Host and are valid as long as that is.
type Host struct {
	Kind HostKind
	// Edge is the edge the name's edge label resolves to (canonical name or legacy code);
	// nil for global names and for labels that name no edge.
	Edge *Edge
	// Legacy is true when the edge label is a legacy code (us1-ix, us1) or alias (gll-ix).
	Legacy bool
	// Unknown is true when the name has an edge label that names no edge of the kind the
	// pattern needs: Edge is then nil (x.pstn.foo-ix.twilio.com), or an edge of another kind
	// (x.pstn.gll-ix.twilio.com resolves to roaming, which is not valid for trunking).
	Unknown bool
	// Interconnect is true for Interconnect termination names and for SIP domains whose edge
	// label is an Interconnect edge (or, unknown, ends in "-ix").
	Interconnect bool
	// Trunk is the trunk's (or SIP domain's) leading labels, as written: "mytrunk" in
	// mytrunk.pstn.ashburn-ix.twilio.com; empty for names without one.
	Trunk []byte
	// EdgeLabel is the edge label as written: "US1-IX" in x.pstn.US1-IX.twilio.com; empty
	// for names without one.
	EdgeLabel []byte
}

// Transport port pair allowed for signalling with a gateway.
type signallingPort struct {
	transport string // "udp", "tcp", "tls"
	port      uint16
}

// Source is a document the facts come from.
type Source struct {
	Key string // "S-IPS"
	URL string
}

// publicRange is one public signalling CIDR with its edge.
type publicRange struct {
	prefix netip.Prefix
	edge   *Edge
}

// RuleSet is a parsed rule-set file. It is read-only and safe for concurrent use.
type RuleSet struct {
	source    string // "embedded" or the path
	sum       string // hex SHA-256 of the file bytes as read
	version   string
	factsRead string
	domain    string // lower case, no trailing dot: "twilio.com"

	sources    []Source
	edges      []*Edge
	byName     map[string]*Edge // canonical names, legacy codes and aliases, lower case
	gateways   map[netip.Addr]*Edge
	public     []publicRange
	media      []netip.Prefix
	mediaLo    uint16
	mediaHi    uint16
	sigPorts   []signallingPort
	offered    []string
	accepted   []string
	hosts      []hostPattern
	severities map[string]string // every catalogued rule, effective severity
}

// Source returns "embedded" for the built-in rule set, or the name given to Parse (the path
// given to Load).
func (rs *RuleSet) Source() string { return rs.source }

// SHA256 returns the hex SHA-256 of the rule-set file's bytes as read.
func (rs *RuleSet) SHA256() string { return rs.sum }

// Version returns the rule set's version ("ruleset" line).
func (rs *RuleSet) Version() string { return rs.version }

// FactsRead returns the date (YYYY-MM-DD) the rule set's facts were read from Twilio's
// documentation ("facts-read" line).
func (rs *RuleSet) FactsRead() string { return rs.factsRead }

// Domain returns Twilio's domain, "twilio.com".
func (rs *RuleSet) Domain() string { return rs.domain }

// Edges returns the edges in file order. The slice and the edges must not be modified.
func (rs *RuleSet) Edges() []*Edge { return rs.edges }

// Sources returns the documents the facts come from, in file order. The slice must not be
// modified.
func (rs *RuleSet) Sources() []Source { return rs.sources }

// MediaRanges returns the media CIDRs (168.86.128.0/18). The slice must not be modified.
func (rs *RuleSet) MediaRanges() []netip.Prefix { return rs.media }

// MediaPorts returns the lowest and highest media port (10000, 60000).
func (rs *RuleSet) MediaPorts() (lo, hi uint16) { return rs.mediaLo, rs.mediaHi }
