package sip

import "bytes"

// NameAddr is one element of a From, To, Contact, Route, Record-Route,
// P-Asserted-Identity or Refer-To header: a name-addr (`"Bob" <sip:bob@x;edge=y>;tag=1`)
// or a bare addr-spec (`sip:bob@x;tag=1`). Its byte slices alias the parsed input.
type NameAddr struct {
	// Raw is the whole element as it appears in the header value.
	Raw []byte
	// Display is the display name without its quotes (escapes are left as they are), or
	// the unquoted tokens before '<'. Empty when there is none.
	Display []byte
	// AddrSpec is the URI text: what is inside <...>, or a bare addr-spec up to the first
	// ';'. For a Contact of "*" it is "*".
	AddrSpec []byte
	// URI is AddrSpec parsed. It is the zero URI when AddrSpec is not a sip, sips or tel
	// URI (ParseNameAddr then says why).
	URI URI
	// Params holds the header parameters after the URI (after '>' for a name-addr, after
	// the first ';' for a bare addr-spec), without the leading ';'.
	Params []byte
}

// ParseNameAddr parses one name-addr or addr-spec. Parameters that follow a bare
// addr-spec are header parameters, as RFC 3261 §20.10 says (a URI with parameters of its
// own must be written in <...>). It does not allocate.
//
// When the structure is sound but the URI is not a SIP, SIPS or tel URI, ParseNameAddr
// returns the NameAddr with a zero URI together with the error from ParseURI.
func ParseNameAddr(b []byte) (NameAddr, error) {
	b = trimLWS(b)
	na := NameAddr{Raw: b}
	if len(b) == 0 {
		return NameAddr{}, ErrBadNameAddr
	}
	i := 0
	if b[0] == '"' {
		e := quotedEnd(b)
		if e < 0 {
			return NameAddr{}, ErrBadNameAddr
		}
		na.Display = b[1 : e-1]
		i = skipLWS(b, e)
		if i >= len(b) || b[i] != '<' {
			return NameAddr{}, ErrBadNameAddr
		}
	} else {
		i = bytes.IndexByte(b, '<')
		if i >= 0 {
			na.Display = trimLWS(b[:i])
		}
	}
	if i >= 0 {
		end := bytes.IndexByte(b[i:], '>')
		if end < 0 {
			return NameAddr{}, ErrBadNameAddr
		}
		na.AddrSpec = trimLWS(b[i+1 : i+end])
		na.Params = headerParams(b[i+end+1:])
	} else {
		spec, params, _ := bytes.Cut(b, []byte{';'})
		na.AddrSpec = trimLWS(spec)
		na.Params = params[skipLWS(params, 0):]
	}
	u, err := ParseURI(na.AddrSpec)
	if err != nil {
		return na, err
	}
	na.URI = u
	return na, nil
}

// headerParams returns the parameter list after a name-addr's '>' without the white space
// and the ';' in front of it.
func headerParams(b []byte) []byte {
	i := skipLWS(b, 0)
	if i < len(b) && b[i] == ';' {
		i = skipLWS(b, i+1)
	}
	return b[i:]
}

// Param looks up a header parameter (tag, expires, q, ...) by name, case-insensitively.
// present is true when the parameter appears, even without a value.
func (na NameAddr) Param(name string) (value []byte, present bool) {
	return lookupParam(na.Params, name)
}

// Tag returns the tag parameter, or nil.
func (na NameAddr) Tag() []byte {
	v, _ := lookupParam(na.Params, "tag")
	return v
}

// IsZero reports whether na is empty (the header was absent).
func (na NameAddr) IsZero() bool { return len(na.Raw) == 0 }
