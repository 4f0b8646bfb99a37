package sip

import (
	"bytes"
	"strconv"

	"github.com/ixaudit/ixaudit/analyze/internal/ascii"
	"github.com/ixaudit/ixaudit/analyze/internal/textip"
)

// URI is a parsed SIP, SIPS or tel URI (RFC 3261 §19.1, RFC 3966). Its byte slices alias
// the parsed input.
//
//	sip:user:password@host:port;uri-parameters?headers
//	tel:+1-201-555-0123;phone-context=example.com
type URI struct {
	// Scheme as written ("sip", "SIP", "sips", "tel", ...): compare it with SchemeIs.
	Scheme []byte
	// User is the user part, without unescaping. In the RFC 3261 grammar it may hold ';'
	// and '?' (a telephone-subscriber such as "+1-212-555-1212;isub=1234"). For a tel URI
	// it is the telephone number.
	User []byte
	// Password follows the first ':' of the user information, when there is one.
	Password []byte
	// Host is the host name or address, without the brackets of an IPv6 reference. Empty
	// for tel URIs.
	Host []byte
	// Port is the port number, or 0 when the URI names none.
	Port uint16
	// Params holds the URI parameters after the host, without the leading ';'
	// ("transport=tcp;lr;edge=ashburn-ix"). For a tel URI, the parameters after the number.
	Params []byte
	// Headers holds the header part after '?', without it ("Subject=x&Priority=urgent").
	Headers []byte
	// Opaque is the text after "scheme:" of a URI whose scheme is not sip, sips or tel.
	// ParseURI sets it only together with ErrUnsupportedScheme.
	Opaque []byte
}

// ParseURI parses a sip, sips or tel URI. It does not allocate; the URI aliases b.
//
// The user information is everything before the first '@', so a user part may hold ';'
// and '?' as RFC 3261 allows. The URI must not contain white space or control characters.
// An IPv6 host must be in brackets, but one without them is accepted when it parses as an
// IPv6 address, with or without a final ":port".
// A URI of another scheme returns ErrUnsupportedScheme with Scheme and Opaque filled in.
func ParseURI(b []byte) (URI, error) {
	colon := bytes.IndexByte(b, ':')
	if colon <= 0 || !isScheme(b[:colon]) {
		return URI{}, ErrBadURI
	}
	for _, c := range b {
		if c <= ' ' || c == 0x7f {
			return URI{}, ErrBadURI
		}
	}
	u := URI{Scheme: b[:colon]}
	rest := b[colon+1:]
	switch {
	case ascii.EqualFold(u.Scheme, "sip"), ascii.EqualFold(u.Scheme, "sips"):
		return parseSIPURI(u, rest)
	case ascii.EqualFold(u.Scheme, "tel"):
		return parseTelURI(u, rest)
	}
	u.Opaque = rest
	return u, ErrUnsupportedScheme
}

// isScheme reports whether b is a URI scheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ).
func isScheme(b []byte) bool {
	if len(b) == 0 || ascii.Lower(b[0]) < 'a' || ascii.Lower(b[0]) > 'z' {
		return false
	}
	for _, c := range b[1:] {
		l := ascii.Lower(c)
		if !(l >= 'a' && l <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

func parseSIPURI(u URI, rest []byte) (URI, error) {
	if at := bytes.IndexByte(rest, '@'); at >= 0 {
		info := rest[:at]
		rest = rest[at+1:]
		user, pass, hasPass := bytes.Cut(info, []byte{':'})
		if len(user) == 0 {
			return URI{}, ErrBadURI
		}
		u.User = user
		if hasPass {
			u.Password = pass
		}
	}
	// Host: an IPv6 reference in brackets, or everything up to ':', ';' or '?'.
	i := 0
	if len(rest) > 0 && rest[0] == '[' {
		end := bytes.IndexByte(rest, ']')
		if end < 2 {
			return URI{}, ErrBadURI
		}
		for _, c := range rest[1:end] {
			if !(c >= '0' && c <= '9' || ascii.Lower(c) >= 'a' && ascii.Lower(c) <= 'f' || c == ':' || c == '.') {
				return URI{}, ErrBadURI
			}
		}
		u.Host = rest[1:end]
		i = end + 1
	} else {
		for i < len(rest) && hostChars[rest[i]] {
			i++
		}
		switch {
		case i < len(rest) && rest[i] == ':':
			// A port, or an IPv6 address written without brackets.
			j := i + 1
			for j < len(rest) && rest[j] != ';' && rest[j] != '?' {
				j++
			}
			if port, ok := parsePort(rest[i+1 : j]); ok && i > 0 {
				u.Host, u.Port = rest[:i], port
			} else if host, port, ok := unbracketedIPv6(rest[:j]); ok {
				u.Host, u.Port = host, port
			} else {
				return URI{}, ErrBadURI
			}
			return parseParamsHeaders(u, rest[j:])
		case i == 0 || i < len(rest) && rest[i] != ';' && rest[i] != '?':
			return URI{}, ErrBadURI
		}
		u.Host = rest[:i]
	}
	if i < len(rest) && rest[i] == ':' {
		j := i + 1
		for j < len(rest) && rest[j] != ';' && rest[j] != '?' {
			j++
		}
		port, ok := parsePort(rest[i+1 : j])
		if !ok {
			return URI{}, ErrBadURI
		}
		u.Port = port
		i = j
	}
	return parseParamsHeaders(u, rest[i:])
}

// unbracketedIPv6 splits an IPv6 address written without brackets, a common mistake
// ("sip:4321@fec0:0:0:0:216:d3ff:fe0d:22c:5060"), into host and port. The whole run is
// taken as the address when it parses as one; otherwise a final ":port" is split off. ok
// is false when neither reading gives an IPv6 address.
func unbracketedIPv6(hp []byte) (host []byte, port uint16, ok bool) {
	if isIPv6(hp) {
		return hp, 0, true
	}
	i := bytes.LastIndexByte(hp, ':')
	if i > 0 && isIPv6(hp[:i]) {
		if p, ok := parsePort(hp[i+1:]); ok {
			return hp[:i], p, true
		}
	}
	return nil, 0, false
}

// isIPv6 reports whether b is an IPv6 address (without zone).
func isIPv6(b []byte) bool {
	_, ok := textip.ParseIPv6(b)
	return ok
}

// parseParamsHeaders fills Params and Headers from the text after the host part, which
// is empty or starts with ';' or '?'.
func parseParamsHeaders(u URI, rest []byte) (URI, error) {
	if len(rest) == 0 {
		return u, nil
	}
	switch rest[0] {
	case ';':
		params, headers, hasHeaders := bytes.Cut(rest[1:], []byte{'?'})
		u.Params = params
		if hasHeaders {
			u.Headers = headers
		}
	case '?':
		u.Headers = rest[1:]
	default:
		return URI{}, ErrBadURI
	}
	return u, nil
}

// isHostChar reports whether c may appear in an unbracketed host. The check is lenient
// (no label syntax), but it rejects the characters that delimit URIs and header values.
func isHostChar(c byte) bool {
	switch c {
	case '<', '>', '"', '[', ']', '@', ',', '/', '\\', '=', '&':
		return false
	}
	return c > ' ' && c != 0x7f
}

// hostChars marks the bytes isHostChar accepts, less the ':', ';' and '?' that end a host
// inside a URI.
var hostChars = func() (t [256]bool) {
	for c := range 256 {
		t[c] = isHostChar(byte(c)) && c != ':' && c != ';' && c != '?'
	}
	return t
}()

func parseTelURI(u URI, rest []byte) (URI, error) {
	number, params, hasParams := bytes.Cut(rest, []byte{';'})
	if len(number) == 0 || bytes.IndexByte(number, '?') >= 0 || bytes.IndexByte(number, '@') >= 0 {
		return URI{}, ErrBadURI
	}
	u.User = number
	if hasParams {
		u.Params = params
	}
	return u, nil
}

// IsZero reports whether u is the zero URI (nothing was parsed into it).
func (u URI) IsZero() bool { return len(u.Scheme) == 0 }

// SchemeIs reports whether the URI's scheme is s, case-insensitively.
func (u URI) SchemeIs(s string) bool { return ascii.EqualFold(u.Scheme, s) }

// Param looks up a URI parameter (edge, tnx, region, transport, user, lr, maddr, ...) by
// name, case-insensitively. present is true when the parameter appears, even without a
// value (";lr"); value is then empty.
func (u URI) Param(name string) (value []byte, present bool) {
	p := u.Params
	for len(p) > 0 {
		var item []byte
		if i := bytes.IndexByte(p, ';'); i >= 0 {
			item, p = p[:i], p[i+1:]
		} else {
			item, p = p, nil
		}
		n, v, hasValue := bytes.Cut(item, []byte{'='})
		if ascii.EqualFold(n, name) {
			if !hasValue {
				return nil, true
			}
			return v, true
		}
	}
	return nil, false
}

// Header looks up a header of the URI's header part ("?Subject=x&Replaces=...") by name,
// case-insensitively. The value is returned without unescaping.
func (u URI) Header(name string) (value []byte, present bool) {
	h := u.Headers
	for len(h) > 0 {
		var item []byte
		if i := bytes.IndexByte(h, '&'); i >= 0 {
			item, h = h[:i], h[i+1:]
		} else {
			item, h = h, nil
		}
		n, v, _ := bytes.Cut(item, []byte{'='})
		if ascii.EqualFold(n, name) {
			return v, true
		}
	}
	return nil, false
}

// IsIPv6 reports whether Host is an IPv6 reference (it was written in brackets).
func (u URI) IsIPv6() bool { return bytes.IndexByte(u.Host, ':') >= 0 }

// AppendTo appends the URI in its text form to dst. Parsing the result gives back the
// same components.
func (u URI) AppendTo(dst []byte) []byte {
	dst = append(dst, u.Scheme...)
	dst = append(dst, ':')
	if len(u.Opaque) > 0 {
		return append(dst, u.Opaque...)
	}
	if ascii.EqualFold(u.Scheme, "tel") {
		dst = append(dst, u.User...)
	} else {
		if len(u.User) > 0 {
			dst = append(dst, u.User...)
			if len(u.Password) > 0 {
				dst = append(dst, ':')
				dst = append(dst, u.Password...)
			}
			dst = append(dst, '@')
		}
		if u.IsIPv6() {
			dst = append(dst, '[')
			dst = append(dst, u.Host...)
			dst = append(dst, ']')
		} else {
			dst = append(dst, u.Host...)
		}
		if u.Port != 0 {
			dst = append(dst, ':')
			dst = strconv.AppendUint(dst, uint64(u.Port), 10)
		}
	}
	if len(u.Params) > 0 {
		dst = append(dst, ';')
		dst = append(dst, u.Params...)
	}
	if len(u.Headers) > 0 {
		dst = append(dst, '?')
		dst = append(dst, u.Headers...)
	}
	return dst
}

// String returns the URI in its text form (see AppendTo). It allocates.
func (u URI) String() string {
	if u.IsZero() {
		return ""
	}
	return string(u.AppendTo(nil))
}
