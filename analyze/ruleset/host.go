package ruleset

import (
	"strings"
)

// A host pattern is written label by label, as in FACTS.md, and must end in the rule set's
// domain:
//
//	host ix-termination     {trunk}.pstn.{ix-edge}.twilio.com
//	host public-termination {trunk}.pstn.{public-edge}.twilio.com
//	host public-termination {trunk}.pstn.twilio.com
//	host public-edge-proxy  pstn.{public-edge}.twilio.com
//	host sip-domain         {trunk}.sip.{edge}.twilio.com
//
// {trunk} takes one or more leading labels (a trunk name, a SIP domain name, and any
// sub-domain in front of it) and may only come first. An edge slot takes one label:
// {ix-edge} a label ending in "-ix", {public-edge} a label not ending in "-ix", {edge} any
// label. The label is looked up among edge names, legacy codes and aliases; a label that
// names no edge of the needed kind still matches, with Host.Unknown set, so that
// x.pstn.foo-ix.twilio.com is reported as an Interconnect name with an unknown edge.
// Other labels are literal. Patterns are tried in file order; the first match wins.

type tokenKind uint8

const (
	tokLiteral tokenKind = iota
	tokTrunk
	tokIXEdge
	tokPublicEdge
	tokEdge
)

var slotNames = map[string]tokenKind{
	"{trunk}":       tokTrunk,
	"{ix-edge}":     tokIXEdge,
	"{public-edge}": tokPublicEdge,
	"{edge}":        tokEdge,
}

type token struct {
	kind tokenKind
	text string // the label, for tokLiteral
}

// hostPattern is one "host" line.
type hostPattern struct {
	kind    HostKind
	pattern string  // as written, lower case, with the domain
	tokens  []token // the labels before the domain, compiled once the domain is known
	line    int
}

// hostKinds are the kinds a "host" line may give.
var hostKinds = map[string]HostKind{
	"ix-termination":     HostIXTermination,
	"public-termination": HostPublicTermination,
	"public-edge-proxy":  HostPublicEdgeProxy,
	"sip-domain":         HostSIPDomain,
}

// host parses `host KIND PATTERN`. The pattern's domain suffix is checked by compileHost once
// the whole file (and its domain line) has been read.
func (p *parser) host(args []string) error {
	if len(args) != 2 {
		return p.errorf("want \"host KIND PATTERN\"")
	}
	kind, ok := hostKinds[args[0]]
	if !ok {
		return p.errorf("host: bad kind %q (ix-termination, public-termination, public-edge-proxy or sip-domain)", args[0])
	}
	if len(p.rs.hosts) >= maxHostPatterns {
		return p.errorf("too many host lines (at most %d)", maxHostPatterns)
	}
	pat := strings.TrimSuffix(strings.ToLower(args[1]), ".")
	if len(pat) > 253 {
		return p.errorf("host %s: pattern too long", args[1])
	}
	labels := strings.Split(pat, ".")
	slots := 0
	hasIX := false
	for i, l := range labels {
		t, isSlot := slotNames[l]
		switch {
		case !isSlot:
			if !validPatternLabel(l) {
				return p.errorf("host %s: bad label %q", args[1], l)
			}
			continue
		case t == tokTrunk:
			if i != 0 {
				return p.errorf("host %s: {trunk} may only be the first label", args[1])
			}
			continue
		}
		slots++
		if slots > 1 {
			return p.errorf("host %s: more than one edge slot", args[1])
		}
		switch {
		case t == tokIXEdge && kind != HostIXTermination,
			t == tokPublicEdge && kind != HostPublicTermination && kind != HostPublicEdgeProxy,
			t == tokEdge && kind != HostSIPDomain:
			return p.errorf("host %s: %s does not belong in a %s pattern", args[1], l, args[0])
		}
		hasIX = hasIX || t == tokIXEdge
	}
	if kind == HostIXTermination && !hasIX {
		return p.errorf("host %s: an ix-termination pattern needs {ix-edge}", args[1])
	}
	if prev, ok := p.patterns[pat]; ok {
		return p.errorf("host %s: duplicate pattern (first on line %d)", args[1], prev)
	}
	p.patterns[pat] = p.line
	p.rs.hosts = append(p.rs.hosts, hostPattern{kind: kind, pattern: pat, line: p.line})
	return nil
}

// compileHost checks that the pattern ends in the domain, and turns the labels in front of it
// into tokens.
func (p *parser) compileHost(h *hostPattern) error {
	suffix := "." + p.rs.domain
	if !strings.HasSuffix(h.pattern, suffix) || len(h.pattern) == len(suffix) {
		return p.errorAt(h.line, "host %s: pattern must be labels in front of the domain %s", h.pattern, p.rs.domain)
	}
	for _, l := range strings.Split(strings.TrimSuffix(h.pattern, suffix), ".") {
		if t, ok := slotNames[l]; ok {
			h.tokens = append(h.tokens, token{kind: t})
		} else {
			h.tokens = append(h.tokens, token{kind: tokLiteral, text: l})
		}
	}
	return nil
}

// validPatternLabel reports whether s is a literal label of a host pattern.
func validPatternLabel(s string) bool {
	if len(s) == 0 || len(s) > maxLabel {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
