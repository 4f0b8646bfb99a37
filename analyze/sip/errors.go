package sip

import "errors"

// Sentinel errors. Parse wraps them with the byte offset where the problem was found, so
// callers test them with errors.Is. ParseURI, ParseNameAddr and ParseVia return them
// unwrapped, so that a failed parse costs no allocation.
var (
	// ErrNotSIP means the data does not start with a SIP start line: it is another
	// protocol (HTTP on port 5060, RTP, STUN, ...) or binary garbage.
	ErrNotSIP = errors.New("not a SIP message")
	// ErrKeepAlive means the data holds only CR, LF or NUL bytes (or nothing): a
	// keep-alive (RFC 5626 CRLF ping, or the NUL bytes some phones send), not a message.
	ErrKeepAlive = errors.New("keep-alive, not a SIP message")
	// ErrMalformed means the start line looks like SIP but breaks its grammar beyond
	// what the parser tolerates (a status code that is not three digits, a request line
	// without a Request-URI, ...). Problems after the start line are Defects instead.
	ErrMalformed = errors.New("malformed SIP message")
	// ErrTooManyHeaders means the message has more than MaxHeaders header fields.
	ErrTooManyHeaders = errors.New("too many SIP header fields")
	// ErrBadURI means a URI does not follow the SIP, SIPS or tel URI grammar.
	ErrBadURI = errors.New("malformed URI")
	// ErrUnsupportedScheme means a URI has a scheme other than sip, sips or tel.
	// ParseURI then still fills in URI.Scheme and URI.Opaque.
	ErrUnsupportedScheme = errors.New("unsupported URI scheme")
	// ErrBadNameAddr means a name-addr or addr-spec (From, To, Contact, Route, ...) is
	// malformed: an unterminated quoted string or a '<' without its '>'.
	ErrBadNameAddr = errors.New("malformed name-addr")
)
