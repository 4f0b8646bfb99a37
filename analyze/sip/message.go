package sip

import (
	"bytes"
	"fmt"
)

// Limits that keep a hostile message from growing a reused Message without bound.
const (
	// MaxHeaders is the largest number of header fields Parse accepts.
	MaxHeaders = 512
	// MaxListValues is the largest number of elements kept for each of the Via, Contact,
	// Route, Record-Route and P-Asserted-Identity lists. Further elements are dropped and
	// DefectTooManyValues is set.
	MaxListValues = 128
)

// Defect is a set of problems Parse tolerated in a message. The analysis reports them
// (for instance as sip-malformed or capture-truncated findings); they never stop the
// parse.
type Defect uint16

// Defects.
const (
	// DefectBodyTruncated: Content-Length claims more bytes than the data holds.
	DefectBodyTruncated Defect = 1 << iota
	// DefectBadContentLength: Content-Length is negative, not a number, or absurd
	// (more than 9 digits); the body is all the data after the headers.
	DefectBadContentLength
	// DefectHeadersUnterminated: the data ends before the empty line that ends the
	// headers (a datagram cut by the snap length, or a framed stream at its end).
	DefectHeadersUnterminated
	// DefectLeadingJunk: bytes other than CR and LF (NUL, white space) came before the
	// start line and were skipped.
	DefectLeadingJunk
	// DefectBadRequestURI: the Request-URI is not a sip, sips or tel URI.
	DefectBadRequestURI
	// DefectBadVia: a Via element does not parse; it is left out of Vias.
	DefectBadVia
	// DefectBadCSeq: CSeq is not "number method".
	DefectBadCSeq
	// DefectBadAddress: a From, To, Contact, Route, Record-Route or P-Asserted-Identity
	// element does not parse.
	DefectBadAddress
	// DefectMissingHeader: one of Via, From, To, Call-ID or CSeq is missing.
	DefectMissingHeader
	// DefectTooManyValues: a list held more than MaxListValues elements.
	DefectTooManyValues
	// DefectConflictingContentLength: Content-Length appears twice with different values.
	DefectConflictingContentLength
	// DefectBadHeaderLine: a header line without a colon, with an empty name, with
	// characters a name cannot hold, or a continuation line with no field before it. A
	// line without a usable name is skipped; a name with bad characters is kept as an
	// HeaderOther field.
	DefectBadHeaderLine
	numDefects = iota
)

var defectNames = [numDefects]string{
	"body-truncated",
	"bad-content-length",
	"headers-unterminated",
	"leading-junk",
	"bad-request-uri",
	"bad-via",
	"bad-cseq",
	"bad-address",
	"missing-header",
	"too-many-values",
	"conflicting-content-length",
	"bad-header-line",
}

// String lists the defects' names separated by commas ("body-truncated,bad-via").
func (d Defect) String() string {
	var b []byte
	for i := 0; i < numDefects; i++ {
		if d&(1<<i) != 0 {
			if len(b) > 0 {
				b = append(b, ',')
			}
			b = append(b, defectNames[i]...)
		}
	}
	return string(b)
}

// CSeq is the parsed CSeq header.
type CSeq struct {
	Num    uint32
	Method []byte
}

// Message is a parsed SIP request or response. Create one and reuse it: Parse overwrites
// every field and keeps only the backing arrays of its lists, so parsing does not
// allocate once they have grown to fit.
//
// Every []byte a Message returns aliases the data given to Parse: it is valid only as
// long as that data is, and only until the next Parse.
type Message struct {
	data      []byte // the message: start line, headers and body
	headerEnd int    // offset of the body in data
	request   bool
	method    []byte
	ruriRaw   []byte
	ruri      URI
	ruriErr   error
	version   []byte
	status    int
	reason    []byte

	hdrs  []HeaderField
	first [numHeaderKinds]uint16 // index+1 in hdrs of the first field of each kind

	vias     []Via
	contacts []NameAddr
	routes   []NameAddr
	rroutes  []NameAddr
	pai      []NameAddr
	from, to NameAddr
	cseq     CSeq

	contentLength    int
	hasContentLength bool
	body             []byte
	defects          Defect
}

// reset clears m in one assignment, keeping only the backing arrays of its lists.
func (m *Message) reset() {
	*m = Message{
		hdrs:     m.hdrs[:0],
		vias:     m.vias[:0],
		contacts: m.contacts[:0],
		routes:   m.routes[:0],
		rroutes:  m.rroutes[:0],
		pai:      m.pai[:0],
	}
}

// Parse parses one SIP message from b, which is a UDP payload or one message framed out
// of a TCP stream by Frame. The Message aliases b: its contents are valid as long as b
// is not modified, and until the next Parse.
//
// Parse is lenient where real traffic is: white space in the start line, bare LF line
// ends, folded header lines, compact header names, NUL or CRLF bytes before the start
// line, broken header lines, and a Content-Length that lies (see BodyTruncated); Defects
// says what it tolerated. It returns an error wrapping ErrKeepAlive, ErrNotSIP or
// ErrMalformed (with the byte offset) when b does not start with a SIP start line, and
// ErrTooManyHeaders beyond MaxHeaders fields; the Message is then empty.
func (m *Message) Parse(b []byte) error {
	m.reset()
	if err := m.parse(b); err != nil {
		m.reset()
		return err
	}
	return nil
}

func (m *Message) parse(b []byte) error {
	// Skip CRLF keep-alives and NUL padding before the start line (RFC 3261 §7.5).
	start := 0
	for start < len(b) && (b[start] == '\r' || b[start] == '\n' || b[start] == 0 || isWS(b[start])) {
		if b[start] == 0 || isWS(b[start]) {
			m.defects |= DefectLeadingJunk
		}
		start++
	}
	if start == len(b) {
		if bytes.IndexByte(b, ' ') >= 0 || bytes.IndexByte(b, '\t') >= 0 {
			return fmt.Errorf("sip: offset 0: only white space: %w", ErrNotSIP)
		}
		return ErrKeepAlive
	}
	m.data = b
	lineEnd, next := cutLine(b, start)
	if err := m.parseStartLine(b[start:lineEnd], start); err != nil {
		return err
	}
	pos := next
	terminated := false
	valueStart := 0 // offset of the last field's value, which continuation lines extend
	for pos < len(b) {
		lineEnd, next = cutLine(b, pos)
		if lineEnd == pos { // empty line: end of the headers
			pos = next
			terminated = true
			break
		}
		if isWS(b[pos]) { // continuation of the previous field
			if len(m.hdrs) == 0 {
				m.defects |= DefectBadHeaderLine
			} else {
				m.hdrs[len(m.hdrs)-1].Value = b[valueStart:lineEnd]
			}
			pos = next
			continue
		}
		colon := bytes.IndexByte(b[pos:lineEnd], ':')
		if colon < 0 {
			if next == len(b) && (lineEnd == len(b) || lineEnd+1 == len(b) && b[lineEnd] == '\r') {
				// The last line is cut short: the data was truncated inside the headers.
				pos = len(b)
				break
			}
			m.defects |= DefectBadHeaderLine
			pos = next
			continue
		}
		name := trimWS(b[pos : pos+colon])
		if !isToken(name) {
			m.defects |= DefectBadHeaderLine
			if len(name) == 0 {
				pos = next
				continue
			}
		}
		if len(m.hdrs) == MaxHeaders {
			return fmt.Errorf("sip: offset %d: more than %d header fields: %w", pos, MaxHeaders, ErrTooManyHeaders)
		}
		valueStart = pos + colon + 1
		m.hdrs = append(m.hdrs, HeaderField{Kind: kindOf(name), Name: name, Value: b[valueStart:lineEnd]})
		pos = next
	}
	if !terminated {
		m.defects |= DefectHeadersUnterminated
		pos = len(b)
	}
	m.headerEnd = pos
	for i := range m.hdrs {
		h := &m.hdrs[i]
		h.Value = trimLWS(h.Value)
		isFirst := m.first[h.Kind] == 0
		if isFirst {
			m.first[h.Kind] = uint16(i + 1)
		}
		m.index(h, isFirst)
	}
	for _, k := range [...]HeaderKind{HeaderVia, HeaderFrom, HeaderTo, HeaderCallID, HeaderCSeq} {
		if m.first[k] == 0 {
			m.defects |= DefectMissingHeader
			break
		}
	}
	m.setBody()
	return nil
}

// cutLine returns the end of the line starting at i (excluding its CR LF or LF) and the
// start of the next line.
func cutLine(b []byte, i int) (end, next int) {
	n := bytes.IndexByte(b[i:], '\n')
	if n < 0 {
		return len(b), len(b)
	}
	end = i + n
	next = end + 1
	if end > i && b[end-1] == '\r' {
		end--
	}
	return end, next
}

// parseStartLine parses a Request-Line or a Status-Line. off is the line's offset in the
// input, for errors.
func (m *Message) parseStartLine(line []byte, off int) error {
	line = trimWS(line)
	if hasPrefixFold(line, "SIP/") {
		// Status-Line: SIP-Version SP Status-Code SP Reason-Phrase
		i := 0
		for i < len(line) && !isWS(line[i]) {
			i++
		}
		if !isVersion(line[:i]) {
			return fmt.Errorf("sip: offset %d: bad SIP version in status line: %w", off, ErrMalformed)
		}
		m.version = line[:i]
		rest := trimWS(line[i:])
		j := 0
		for j < len(rest) && !isWS(rest[j]) {
			j++
		}
		code, ok := atoi(rest[:j], 3)
		if !ok || j != 3 || code < 100 {
			return fmt.Errorf("sip: offset %d: status code %q is not 3 digits: %w", off, rest[:j], ErrMalformed)
		}
		m.status = code
		m.reason = trimWS(rest[j:])
		return nil
	}
	// Request-Line: Method SP Request-URI SP SIP-Version
	i := 0
	for i < len(line) && isTokenChar(line[i]) {
		i++
	}
	if i == 0 || i == len(line) || !isWS(line[i]) {
		return fmt.Errorf("sip: offset %d: no SIP request or status line: %w", off, ErrNotSIP)
	}
	j := len(line)
	for j > i && !isWS(line[j-1]) {
		j--
	}
	if !isVersion(line[j:]) {
		return fmt.Errorf("sip: offset %d: request line does not end in SIP/2.0: %w", off, ErrNotSIP)
	}
	ruri := trimWS(line[i:j])
	if len(ruri) == 0 {
		return fmt.Errorf("sip: offset %d: request line without a Request-URI: %w", off, ErrMalformed)
	}
	m.request = true
	m.method = line[:i]
	m.version = line[j:]
	m.ruriRaw = ruri
	m.ruri, m.ruriErr = ParseURI(ruri)
	if m.ruriErr != nil {
		m.ruri = URI{}
		m.defects |= DefectBadRequestURI
	}
	return nil
}

// isVersion reports whether b is "SIP/" digits "." digits (case-insensitive "SIP").
func isVersion(b []byte) bool {
	if !hasPrefixFold(b, "SIP/") {
		return false
	}
	major, minor, ok := bytes.Cut(b[4:], []byte{'.'})
	return ok && isDigits(major) && isDigits(minor)
}

// trimWS removes spaces and tabs from both ends of b.
func trimWS(b []byte) []byte {
	i, j := 0, len(b)
	for i < j && isWS(b[i]) {
		i++
	}
	for j > i && isWS(b[j-1]) {
		j--
	}
	return b[i:j]
}

// index parses the header fields the analysis needs. isFirst is true for the first field
// of its kind: single-valued fields (From, To, CSeq) are taken from it.
func (m *Message) index(h *HeaderField, isFirst bool) {
	switch h.Kind {
	case HeaderVia:
		for v, rest := NextValue(h.Value); len(v) > 0; v, rest = NextValue(rest) {
			via, err := ParseVia(v)
			if err != nil {
				m.defects |= DefectBadVia
				continue
			}
			if len(m.vias) == MaxListValues {
				m.defects |= DefectTooManyValues
				break
			}
			m.vias = append(m.vias, via)
		}
	case HeaderFrom:
		if isFirst {
			m.from = m.nameAddr(h.Value)
		}
	case HeaderTo:
		if isFirst {
			m.to = m.nameAddr(h.Value)
		}
	case HeaderCSeq:
		if isFirst {
			m.parseCSeq(h.Value)
		}
	case HeaderContact:
		if len(h.Value) == 1 && h.Value[0] == '*' {
			m.contacts = m.appendNameAddr(m.contacts, NameAddr{Raw: h.Value, AddrSpec: h.Value})
			return
		}
		m.contacts = m.appendList(m.contacts, h.Value)
	case HeaderRoute:
		m.routes = m.appendList(m.routes, h.Value)
	case HeaderRecordRoute:
		m.rroutes = m.appendList(m.rroutes, h.Value)
	case HeaderPAssertedIdentity:
		m.pai = m.appendList(m.pai, h.Value)
	case HeaderContentLength:
		n, ok := atoi(h.Value, 9)
		if !ok {
			n = -1
		}
		if m.hasContentLength {
			if n != m.contentLength {
				m.defects |= DefectConflictingContentLength
			}
			return
		}
		m.hasContentLength = true
		m.contentLength = n
	}
}

// nameAddr parses a single name-addr (From, To), recording a defect when it is bad.
func (m *Message) nameAddr(v []byte) NameAddr {
	na, err := ParseNameAddr(v)
	if err != nil {
		m.defects |= DefectBadAddress
	}
	return na
}

// appendList parses a comma-separated list of name-addrs into list.
func (m *Message) appendList(list []NameAddr, v []byte) []NameAddr {
	for e, rest := NextValue(v); len(e) > 0; e, rest = NextValue(rest) {
		na, err := ParseNameAddr(e)
		if err != nil {
			m.defects |= DefectBadAddress
			if na.IsZero() {
				continue
			}
		}
		if len(list) == MaxListValues {
			m.defects |= DefectTooManyValues
			break
		}
		list = append(list, na)
	}
	return list
}

func (m *Message) appendNameAddr(list []NameAddr, na NameAddr) []NameAddr {
	if len(list) == MaxListValues {
		m.defects |= DefectTooManyValues
		return list
	}
	return append(list, na)
}

func (m *Message) parseCSeq(v []byte) {
	i := 0
	for i < len(v) && v[i] >= '0' && v[i] <= '9' {
		i++
	}
	n, ok := atoi(v[:i], 10)
	method := trimLWS(v[i:])
	if !ok || n > 1<<32-1 || i == len(v) || !isLWS(v[i]) || !isToken(method) {
		m.defects |= DefectBadCSeq
		return
	}
	m.cseq = CSeq{Num: uint32(n), Method: method}
}

// setBody cuts the body according to Content-Length, trusting it only as far as the data
// goes.
func (m *Message) setBody() {
	rest := m.data[m.headerEnd:]
	switch {
	case !m.hasContentLength:
		m.body = rest
	case m.contentLength < 0:
		m.defects |= DefectBadContentLength
		m.body = rest
	case m.contentLength > len(rest):
		m.defects |= DefectBodyTruncated
		m.body = rest
	default:
		m.body = rest[:m.contentLength]
	}
	m.data = m.data[:m.headerEnd+len(m.body)]
}
