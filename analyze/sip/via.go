package sip

import (
	"bytes"

	"github.com/ixaudit/ixaudit/analyze/internal/ascii"
)

// Via is one element of a Via header (RFC 3261 §20.42):
//
//	SIP / 2.0 / UDP host:port ;branch=z9hG4bK... ;received=192.0.2.1 ;rport=5060
//
// Its byte slices alias the parsed input.
type Via struct {
	// Raw is the whole element.
	Raw []byte
	// Transport is the transport as sent ("UDP", "TCP", "TLS", "SCTP", "WS", "WSS").
	Transport []byte
	// Host is the sent-by host, without the brackets of an IPv6 reference.
	Host []byte
	// Port is the sent-by port, 0 when absent.
	Port uint16
	// Params holds the parameters after sent-by, without the leading ';'.
	Params []byte
	// Branch and Received are the values of the branch and received parameters, or nil.
	Branch, Received []byte
	// RPort is the value of the rport parameter (RFC 3581); HasRPort is true when the
	// parameter is present, with or without a value.
	RPort    uint16
	HasRPort bool
}

// Param looks up a Via parameter by name, case-insensitively. present is true when the
// parameter appears, even without a value.
func (v Via) Param(name string) (value []byte, present bool) {
	return lookupParam(v.Params, name)
}

// TransportIs reports whether the transport is t, case-insensitively.
func (v Via) TransportIs(t string) bool { return ascii.EqualFold(v.Transport, t) }

// viaHostPortRun returns the sent-by at the start of b: everything up to ';' or white
// space.
func viaHostPortRun(b []byte) []byte {
	for i, c := range b {
		if c == ';' || isLWS(c) {
			return b[:i]
		}
	}
	return b
}

// ParseVia parses one Via element. White space around '/', ':' and ';' is accepted, as
// RFC 3261 allows, and so is an IPv6 sent-by without brackets. It returns ErrMalformed
// for anything else. It does not allocate.
func ParseVia(b []byte) (Via, error) {
	b = trimLWS(b)
	v := Via{Raw: b}
	// sent-protocol: name / version / transport
	i := 0
	for part := 0; part < 3; part++ {
		start := i
		for i < len(b) && isTokenChar(b[i]) {
			i++
		}
		if i == start {
			return Via{}, ErrMalformed
		}
		if part == 2 {
			v.Transport = b[start:i]
			break
		}
		i = skipLWS(b, i)
		if i >= len(b) || b[i] != '/' {
			return Via{}, ErrMalformed
		}
		i = skipLWS(b, i+1)
	}
	j := skipLWS(b, i)
	if j == i {
		return Via{}, ErrMalformed // LWS must separate sent-protocol and sent-by
	}
	i = j
	// sent-by: host [ ":" port ]
	if i < len(b) && b[i] == '[' {
		start := i + 1
		for i < len(b) && b[i] != ']' {
			i++
		}
		if i >= len(b) || i == start {
			return Via{}, ErrMalformed
		}
		v.Host = b[start:i]
		i++
	} else if run := viaHostPortRun(b[i:]); bytes.Count(run, []byte{':'}) > 1 {
		host, port, ok := unbracketedIPv6(run)
		if !ok {
			return Via{}, ErrMalformed
		}
		v.Host, v.Port = host, port
		i += len(run)
	} else {
		start := i
		for i < len(b) && b[i] != ':' && b[i] != ';' && !isLWS(b[i]) {
			if !isHostChar(b[i]) {
				return Via{}, ErrMalformed
			}
			i++
		}
		if i == start {
			return Via{}, ErrMalformed
		}
		v.Host = b[start:i]
	}
	i = skipLWS(b, i)
	if i < len(b) && b[i] == ':' {
		i = skipLWS(b, i+1)
		start := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		port, ok := parsePort(b[start:i])
		if !ok {
			return Via{}, ErrMalformed
		}
		v.Port = port
		i = skipLWS(b, i)
	}
	if i < len(b) {
		if b[i] != ';' {
			return Via{}, ErrMalformed
		}
		v.Params = b[skipLWS(b, i+1):]
	}
	// One pass over the parameters; the first of each name counts, as in lookupParam.
	var seenBranch, seenReceived bool
	for p := v.Params; ; {
		name, value, rest, _, ok := nextParam(p)
		if !ok {
			break
		}
		switch {
		case !seenBranch && ascii.EqualFold(name, "branch"):
			v.Branch, seenBranch = value, true
		case !seenReceived && ascii.EqualFold(name, "received"):
			v.Received, seenReceived = value, true
		case !v.HasRPort && ascii.EqualFold(name, "rport"):
			v.HasRPort = true
			v.RPort, _ = parsePort(value)
		}
		p = rest
	}
	return v, nil
}
