package sip

import (
	"bytes"

	"github.com/ixaudit/ixaudit/analyze/internal/ascii"
)

// maxMultipartDepth bounds the nesting of multipart bodies SDP looks into.
const maxMultipartDepth = 3

// SDP returns the session description carried by the message: the body when its
// Content-Type is application/sdp, or the content of the first application/sdp part of a
// multipart body (multipart/mixed, /related, /alternative, nested up to 3 deep). A body
// without Content-Type that starts with "v=" is taken as SDP too. It returns nil when
// there is none. It does not allocate.
func (m *Message) SDP() []byte {
	ct := m.ContentType()
	if ct == nil {
		if bytes.HasPrefix(trimLWS(m.body), []byte("v=")) {
			return m.body
		}
		return nil
	}
	return findSDP(ct, m.body, 0)
}

// mediaType returns the type/subtype of a Content-Type value, without parameters, and the
// parameters.
func mediaType(ct []byte) (typ, params []byte) {
	typ, params, _ = bytes.Cut(ct, []byte{';'})
	return trimLWS(typ), params
}

// findSDP returns the SDP inside a body of content type ct.
func findSDP(ct, body []byte, depth int) []byte {
	typ, params := mediaType(ct)
	if ascii.EqualFold(typ, "application/sdp") {
		return body
	}
	if !hasPrefixFold(typ, "multipart/") || depth >= maxMultipartDepth {
		return nil
	}
	boundary, _ := lookupParam(params, "boundary")
	if len(boundary) == 0 {
		return nil
	}
	for part, rest := nextPart(body, boundary); part != nil; part, rest = nextPart(rest, boundary) {
		pct, content := splitPart(part)
		if len(pct) == 0 {
			continue // RFC 2046: a part without Content-Type is text/plain
		}
		if sdp := findSDP(pct, content, depth+1); sdp != nil {
			return sdp
		}
	}
	return nil
}

// delimiter returns the index of the next "--boundary" that starts a line in b at or after
// from, or -1.
func delimiter(b, boundary []byte, from int) int {
	for from <= len(b) {
		i := bytes.Index(b[from:], boundary)
		if i < 0 {
			return -1
		}
		i += from
		d := i - 2
		if d >= 0 && b[d] == '-' && b[d+1] == '-' && (d == 0 || b[d-1] == '\n') {
			return d
		}
		from = i + 1
	}
	return -1
}

// nextPart returns the first body part of a multipart body (headers and content, without
// the line break before the next delimiter) and the rest of the body starting at that
// delimiter. part is nil when there are no more parts. A missing close delimiter ends the
// last part at the end of the body.
func nextPart(body, boundary []byte) (part, rest []byte) {
	d := delimiter(body, boundary, 0)
	if d < 0 {
		return nil, nil
	}
	after := body[d+2+len(boundary):]
	if bytes.HasPrefix(after, []byte("--")) {
		return nil, nil // close delimiter
	}
	// Skip transport padding and the line break after the delimiter.
	nl := bytes.IndexByte(after, '\n')
	if nl < 0 {
		return nil, nil
	}
	after = after[nl+1:]
	e := delimiter(after, boundary, 0)
	if e < 0 {
		return after, nil
	}
	part = after[:e]
	// The line break before the delimiter belongs to the delimiter.
	part = bytes.TrimSuffix(part, []byte{'\n'})
	part = bytes.TrimSuffix(part, []byte{'\r'})
	return part, after[e:]
}

// splitPart returns the Content-Type of a body part and its content.
func splitPart(part []byte) (ct, content []byte) {
	pos := 0
	for pos < len(part) {
		end, next := cutLine(part, pos)
		if end == pos {
			return ct, part[next:]
		}
		line := part[pos:end]
		if name, value, ok := bytes.Cut(line, []byte{':'}); ok && ct == nil {
			name = trimWS(name)
			if ascii.EqualFold(name, "Content-Type") || ascii.EqualFold(name, "c") {
				ct = trimLWS(value)
			}
		}
		pos = next
	}
	return ct, nil
}
