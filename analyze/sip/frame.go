package sip

import (
	"bytes"

	"github.com/ixaudit/ixaudit/analyze/internal/ascii"
)

// Framing limits for stream transports.
const (
	// MaxFrameHeader is the longest start line plus header section Frame waits for. A
	// message whose headers do not end within it is skipped as garbage.
	MaxFrameHeader = 64 << 10
	// MaxFrameBody is the longest body Frame waits for. A Content-Length above it is
	// treated as a lie: Frame returns the headers and the first MaxFrameBody bytes of the
	// body as the message (Parse then reports BodyTruncated), and the bytes that follow
	// are skipped as garbage until the next start line.
	MaxFrameBody = 128 << 10
	// maxMethod is the longest method name a plausible request line may have.
	maxMethod = 32
)

// Frame finds the first SIP message in buf, the unconsumed bytes of a TCP (or other
// stream) connection. It returns:
//
//   - n > 0: buf[:n] is one message: start line, headers and a body of Content-Length
//     bytes (compact "l" included). A message without Content-Length has no body, as RFC
//     3261 §18.3 requires on streams, and so does one whose Content-Length is not a
//     number. Pass buf[:n] to Message.Parse.
//   - n == 0: buf starts with a plausible message that is not complete, or with a line
//     that cannot be judged before its end arrives: call again with more data.
//   - n < 0: skip -n bytes: CR and LF bytes (keep-alives, RFC 5626), or bytes that cannot
//     start a message (garbage after a gap, another protocol), up to the next line that
//     could be a start line ("METHOD scheme:..." or "SIP/2.0 ddd"), or inside a line
//     to a known method or "SIP/" that starts one. Frame judges each place the same way
//     whatever pieces the stream arrives in, so framing does not depend on segmentation
//     (lines longer than MaxFrameHeader aside).
//
// Frame never waits for more than MaxFrameHeader bytes of headers or MaxFrameBody bytes of
// body, whatever Content-Length claims (see MaxFrameBody). When atEOF is true no more data
// will come: a plausible message that is cut short is returned whole (n == len(buf)), so
// that Parse reports how it is truncated, and anything else is skipped; Frame then never
// returns 0 for a non-empty buf. It does not allocate.
func Frame(buf []byte, atEOF bool) int {
	if len(buf) == 0 {
		return 0
	}
	if n := leadingCRLF(buf); n > 0 {
		return -n
	}
	lineEnd, next := cutLine(buf, 0)
	if next == len(buf) && (len(buf) == 0 || buf[len(buf)-1] != '\n') {
		// The first line is not complete.
		switch {
		case startLineShape(buf, false) == shapeNo:
			return resync(buf, atEOF)
		case atEOF:
			return len(buf)
		case len(buf) > MaxFrameHeader:
			return -len(buf)
		}
		return 0
	}
	if startLineShape(buf[:lineEnd], true) != shapeYes {
		return resync(buf, atEOF)
	}
	// Find the end of the headers and the value of the first Content-Length field,
	// continuation lines included, as Parse reads it.
	lengthStart, lengthEnd := -1, -1
	pos := next
	for {
		if pos > MaxFrameHeader {
			return -next // headers too long: drop the start line and resync
		}
		if pos >= len(buf) {
			if atEOF {
				return len(buf)
			}
			return 0
		}
		end, nl := cutLine(buf, pos)
		if nl == len(buf) && buf[len(buf)-1] != '\n' {
			// This line is not complete yet.
			if atEOF {
				return len(buf)
			}
			if len(buf) > MaxFrameHeader {
				return -next
			}
			return 0
		}
		if end == pos {
			pos = nl
			break
		}
		switch {
		case isWS(buf[pos]):
			if lengthEnd == pos-1 || lengthEnd == pos-2 { // continues Content-Length
				lengthEnd = end
			}
		case lengthStart < 0:
			if colon := bytes.IndexByte(buf[pos:end], ':'); colon >= 0 && kindOf(trimWS(buf[pos:pos+colon])) == HeaderContentLength {
				lengthStart, lengthEnd = pos+colon+1, end
			}
		}
		pos = nl
	}
	bodyLen := 0
	if lengthStart >= 0 {
		if n, ok := atoi(trimLWS(buf[lengthStart:lengthEnd]), 9); ok {
			bodyLen = min(n, MaxFrameBody)
		}
	}
	if len(buf)-pos >= bodyLen {
		return pos + bodyLen
	}
	if atEOF {
		return len(buf)
	}
	return 0
}

// leadingCRLF returns the number of CR and LF bytes at the start of b.
func leadingCRLF(b []byte) int {
	n := 0
	for n < len(b) && (b[n] == '\r' || b[n] == '\n') {
		n++
	}
	return n
}

// resync returns the negative number of bytes to skip to reach the next place in buf
// that could start a message, or to drop buf entirely. buf[0] is known not to start one.
//
// Candidates are the start of every line, and, inside a line, every byte that can begin
// a method Frame knows or "SIP/" (a message that follows a body without a line break, or
// the rest of a body cut at MaxFrameBody). A candidate is judged exactly as Frame judges
// the start of its buffer, so feeding a stream in pieces frames it as in one piece. The
// work is linear in len(buf): each candidate's check is bounded, and whether a line ends
// in a SIP version is worked out once per line.
func resync(buf []byte, atEOF bool) int {
	for ls := 0; ls < len(buf); {
		le, next := cutLine(buf, ls)
		complete := next < len(buf) || buf[len(buf)-1] == '\n'
		// Stray CRs at the start of a line are skipped by Frame at the start of a buffer
		// (as keep-alive bytes), so the byte after them starts a line too.
		lead := ls
		for lead < le && buf[lead] == '\r' {
			lead++
		}
		versionKnown, endsInVersion := false, false
		for i := ls; i < le; i++ {
			if i == 0 || (i > lead && !candidateFirst[buf[i]]) {
				continue
			}
			shape, request := prefixShape(buf[i:le], complete)
			if shape == shapeYes && request {
				if !versionKnown {
					versionKnown, endsInVersion = true, endsWithVersion(buf[ls:le])
				}
				if !endsInVersion {
					shape = shapeNo
				}
			}
			switch shape {
			case shapeYes:
				return -i
			case shapeMaybe:
				if atEOF || len(buf)-i <= MaxFrameHeader {
					return -i // the bytes still to come decide
				}
			}
		}
		if !complete && ls > 0 && !atEOF && len(buf)-ls <= MaxFrameHeader {
			// Keep the unfinished last line: the bytes that complete it are then judged
			// as the rest of that line, whatever pieces the stream arrives in.
			return -ls
		}
		if !complete && !atEOF && len(buf) <= MaxFrameHeader {
			return 0 // buf is one unfinished line of garbage: wait for its end
		}
		ls = next
	}
	return -len(buf)
}

// knownMethods are the methods whose first letters resync looks for inside a line.
var knownMethods = [...]string{
	"ACK", "BYE", "CANCEL", "INFO", "INVITE", "MESSAGE", "NOTIFY", "OPTIONS", "PRACK",
	"PUBLISH", "REFER", "REGISTER", "SUBSCRIBE", "UPDATE",
}

// candidateFirst marks the bytes that can begin a start line found inside a line.
var candidateFirst = func() (t [256]bool) {
	t['S'] = true
	for _, m := range knownMethods {
		t[m[0]] = true
	}
	return t
}()

// LooksLikeSIP reports whether b starts with a SIP start line: "METHOD scheme:... SIP/2.0"
// or "SIP/2.0 ddd ...", after optional CR and LF bytes. It is a cheap content sniff for
// SIP on non-standard ports; it looks at the first line only.
func LooksLikeSIP(b []byte) bool {
	b = b[leadingCRLF(b):]
	if len(b) == 0 || !isTokenChar(b[0]) {
		// No start line begins so (RTP, for one, begins with 0x80): answer before
		// looking for the end of the line.
		return false
	}
	end, _ := cutLine(b, 0)
	return startLineShape(b[:end], true) == shapeYes
}

// Shapes of a possible start line.
const (
	shapeNo    = iota // cannot be a start line
	shapeMaybe        // an incomplete line that may still become one
	shapeYes          // a complete start line
)

// startLineShape tells whether line (without its line break) is a SIP start line. When
// complete is false the line may continue, and shapeMaybe says that what is there is
// consistent with a start line.
func startLineShape(line []byte, complete bool) int {
	shape, request := prefixShape(line, complete)
	if shape == shapeYes && request && !endsWithVersion(line) {
		return shapeNo
	}
	return shape
}

// prefixShape judges the start of a possible start line: a whole Status-Line
// ("SIP/2.0 ddd"), or the "Method SP scheme:" that begins a Request-Line, in which case
// request is true and the caller must still check the end of the line (endsWithVersion)
// when prefixShape says shapeYes. An incomplete Request-Line is at best shapeMaybe. The
// work is bounded: at most maxMethod, white space and maxScheme bytes are looked at.
func prefixShape(line []byte, complete bool) (shape int, request bool) {
	if len(line) == 0 {
		return incomplete(complete), false
	}
	if line[0] == 'S' || line[0] == 's' {
		if s := statusLineShape(line, complete); s != shapeNo {
			return s, false
		}
	}
	i := 0
	for i < len(line) && i <= maxMethod && isTokenChar(line[i]) {
		i++
	}
	if i == 0 || i > maxMethod {
		return shapeNo, false
	}
	if i == len(line) {
		return incomplete(complete), false
	}
	if !isWS(line[i]) {
		return shapeNo, false
	}
	for i < len(line) && isWS(line[i]) {
		i++
	}
	s := i
	for i < len(line) && i-s <= maxScheme && line[i] != ':' && !isWS(line[i]) {
		i++
	}
	switch {
	case i-s > maxScheme:
		return shapeNo, false
	case i == len(line):
		if complete || (i > s && !isScheme(line[s:i])) {
			return shapeNo, false
		}
		return shapeMaybe, false
	case line[i] != ':' || !isScheme(line[s:i]):
		return shapeNo, false
	case !complete:
		return shapeMaybe, false
	}
	return shapeYes, true
}

// maxScheme is the longest URI scheme a plausible Request-Line may have.
const maxScheme = 32

// endsWithVersion reports whether the last word of line, after white space, is a SIP
// version ("SIP/2.0").
func endsWithVersion(line []byte) bool {
	j := len(line)
	for j > 0 && isWS(line[j-1]) {
		j--
	}
	k := j
	for k > 0 && !isWS(line[k-1]) {
		k--
	}
	return k > 0 && isVersion(line[k:j])
}

// statusLineShape checks "SIP/" digits "." digits SP+ 3DIGIT (SP / end).
func statusLineShape(line []byte, complete bool) int {
	const prefix = "SIP/"
	n := min(len(line), len(prefix))
	if !ascii.EqualFold(line[:n], prefix[:n]) {
		return shapeNo
	}
	if n < len(prefix) {
		return incomplete(complete)
	}
	i := len(prefix)
	for i < len(line) && (line[i] >= '0' && line[i] <= '9' || line[i] == '.') {
		i++
	}
	if i == len(line) {
		return incomplete(complete)
	}
	if !isVersion(line[:i]) || !isWS(line[i]) {
		return shapeNo
	}
	for i < len(line) && isWS(line[i]) {
		i++
	}
	d := 0
	for i+d < len(line) && d < 4 && line[i+d] >= '0' && line[i+d] <= '9' {
		d++
	}
	switch {
	case d > 3:
		return shapeNo
	case i+d == len(line):
		if d == 3 && complete {
			return shapeYes
		}
		return incomplete(complete)
	case d == 3 && isWS(line[i+d]):
		return shapeYes
	}
	return shapeNo
}

func incomplete(complete bool) int {
	if complete {
		return shapeNo
	}
	return shapeMaybe
}
