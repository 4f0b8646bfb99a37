package sip

import "github.com/ixaudit/ixaudit/analyze/internal/ascii"

// Accessors. None of them allocates; every []byte aliases the data given to Parse.

// IsRequest reports whether the message is a request.
func (m *Message) IsRequest() bool { return m.request }

// IsResponse reports whether the message is a response.
func (m *Message) IsResponse() bool { return m.status != 0 }

// Method returns the request method ("INVITE"), or nil for a response. Methods are
// case-sensitive (RFC 3261 §7.1): "invite" is an extension method, not INVITE.
func (m *Message) Method() []byte { return m.method }

// RequestURI returns the parsed Request-URI. The error is ErrBadURI or
// ErrUnsupportedScheme when the Request-URI is not a sip, sips or tel URI (the URI is then
// zero; RawRequestURI still has the text), and nil for responses.
func (m *Message) RequestURI() (URI, error) { return m.ruri, m.ruriErr }

// RawRequestURI returns the Request-URI as written, or nil for a response.
func (m *Message) RawRequestURI() []byte { return m.ruriRaw }

// Version returns the SIP version of the start line ("SIP/2.0").
func (m *Message) Version() []byte { return m.version }

// StatusCode returns the status code of a response, or 0 for a request.
func (m *Message) StatusCode() int { return m.status }

// Reason returns the reason phrase of a response ("OK"), possibly empty.
func (m *Message) Reason() []byte { return m.reason }

// Headers returns every header field in message order. The slice is reused by the next
// Parse.
func (m *Message) Headers() []HeaderField { return m.hdrs }

// Header returns the value of the first header field called name, matched
// case-insensitively and with compact forms ("i" finds Call-ID, "Call-ID" finds "i"), or
// nil when there is none. For list headers it is the whole field value; split it with
// NextValue.
func (m *Message) Header(name string) []byte {
	if k := kindOf(name); k != HeaderOther {
		return m.headerKind(k)
	}
	for i := range m.hdrs {
		if m.hdrs[i].Kind == HeaderOther && ascii.EqualFold(m.hdrs[i].Name, name) {
			return m.hdrs[i].Value
		}
	}
	return nil
}

// headerKind returns the value of the first field of kind k, or nil.
func (m *Message) headerKind(k HeaderKind) []byte {
	if i := m.first[k]; i != 0 {
		return m.hdrs[i-1].Value
	}
	return nil
}

// HasHeader reports whether a header field called name is present, even with an empty
// value.
func (m *Message) HasHeader(name string) bool {
	if k := kindOf(name); k != HeaderOther {
		return m.first[k] != 0
	}
	for i := range m.hdrs {
		if m.hdrs[i].Kind == HeaderOther && ascii.EqualFold(m.hdrs[i].Name, name) {
			return true
		}
	}
	return false
}

// CallID returns the Call-ID, or nil when it is missing.
func (m *Message) CallID() []byte { return m.headerKind(HeaderCallID) }

// CSeq returns the CSeq header; it is zero when CSeq is missing or malformed.
func (m *Message) CSeq() CSeq { return m.cseq }

// From returns the From header; it is zero (IsZero) when From is missing or malformed.
func (m *Message) From() NameAddr { return m.from }

// To returns the To header; it is zero (IsZero) when To is missing or malformed.
func (m *Message) To() NameAddr { return m.to }

// Vias returns the Via elements, topmost first, over all Via fields. Malformed elements
// are left out (see DefectBadVia). The slice is reused by the next Parse.
func (m *Message) Vias() []Via { return m.vias }

// Contacts returns the Contact elements over all Contact fields. A "*" Contact is an
// element whose AddrSpec is "*" and whose URI is zero. The slice is reused by the next
// Parse.
func (m *Message) Contacts() []NameAddr { return m.contacts }

// Routes returns the Route elements in order. The slice is reused by the next Parse.
func (m *Message) Routes() []NameAddr { return m.routes }

// RecordRoutes returns the Record-Route elements in order. The slice is reused by the
// next Parse.
func (m *Message) RecordRoutes() []NameAddr { return m.rroutes }

// PAssertedIdentities returns the P-Asserted-Identity elements (RFC 3325: at most one sip
// or sips URI and one tel URI). The slice is reused by the next Parse.
func (m *Message) PAssertedIdentities() []NameAddr { return m.pai }

// ContentType returns the Content-Type value, parameters included, or nil.
func (m *Message) ContentType() []byte { return m.headerKind(HeaderContentType) }

// ContentLength returns the value of the first Content-Length field and whether there was
// one. The value is -1 when the field is present but not a number of at most 9 digits.
func (m *Message) ContentLength() (n int, present bool) {
	return m.contentLength, m.hasContentLength
}

// UserAgent returns the User-Agent value, or nil.
func (m *Message) UserAgent() []byte { return m.headerKind(HeaderUserAgent) }

// Server returns the Server value, or nil.
func (m *Message) Server() []byte { return m.headerKind(HeaderServer) }

// Body returns the message body. With a truthful Content-Length it is exactly that many
// bytes; without Content-Length it is all the data after the headers (RFC 3261 §18.3:
// over UDP the body ends with the datagram; Frame gives a stream message no body). When
// Content-Length lies, it is all the data there is, and BodyTruncated is true.
func (m *Message) Body() []byte { return m.body }

// BodyTruncated reports whether Content-Length claims more bytes than the data holds, or
// is negative, non-numeric or absurd. Body then holds what there is.
func (m *Message) BodyTruncated() bool {
	return m.defects&(DefectBodyTruncated|DefectBadContentLength) != 0
}

// Defects returns the problems Parse tolerated.
func (m *Message) Defects() Defect { return m.defects }

// Len returns the length of the message in the data given to Parse: leading CRLF or NUL
// bytes, start line, headers and body. Bytes after a Content-Length body are not part of
// the message.
func (m *Message) Len() int { return len(m.data) }

// Bytes returns the message as parsed: the data given to Parse cut to Len.
func (m *Message) Bytes() []byte { return m.data }

// HeaderLen returns the offset of the body: the length of the leading bytes, start line,
// headers and the empty line that ends them.
func (m *Message) HeaderLen() int { return m.headerEnd }
