package sip

import "bytes"

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
//   - n == 0: buf starts with a plausible message that is not complete: call again with
//     more data.
//   - n < 0: skip -n bytes: CR and LF bytes (keep-alives, RFC 5626), or bytes that cannot
//     start a message (garbage after a gap, another protocol), up to the next line that
//     could be a start line ("METHOD scheme:..." or "SIP/2.0 ddd").
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
	// Find the end of the headers and the first Content-Length.
	bodyLen := 0
	seenLength := false
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
		if !seenLength && !isWS(buf[pos]) {
			if name, value, ok := bytes.Cut(buf[pos:end], []byte{':'}); ok {
				if kindOf(trimWS(name)) == HeaderContentLength {
					seenLength = true
					if n, ok := atoi(trimWS(value), 9); ok {
						bodyLen = n
					}
				}
			}
		}
		pos = nl
	}
	bodyLen = min(bodyLen, MaxFrameBody)
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
// that could start a message, or to drop buf entirely. Candidates are the starts of lines
// that look like start lines, and, inside a line (after a body that did not end in a line
// break, or after a body cut at MaxFrameBody), "SIP/2.0 ddd " or a known method followed
// by " sip:", " sips:" or " tel:". buf[0] is known not to start a message.
func resync(buf []byte, atEOF bool) int {
	for i := 1; i < len(buf); i++ {
		var shape int
		switch {
		case buf[i-1] == '\n':
			end, next := cutLine(buf, i)
			complete := next < len(buf) || buf[len(buf)-1] == '\n'
			shape = startLineShape(buf[i:end], complete)
		case midLineFirst[buf[i]]:
			shape = midLineStart(buf[i:])
		default:
			continue
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
	return -len(buf)
}

// knownMethods are the methods resync recognises inside a line.
var knownMethods = [...]string{
	"ACK", "BYE", "CANCEL", "INFO", "INVITE", "MESSAGE", "NOTIFY", "OPTIONS", "PRACK",
	"PUBLISH", "REFER", "REGISTER", "SUBSCRIBE", "UPDATE",
}

// midLineFirst marks the bytes that can begin a start line recognised inside a line.
var midLineFirst = func() (t [256]bool) {
	t['S'] = true
	for _, m := range knownMethods {
		t[m[0]] = true
	}
	return t
}()

// midLineStart tells whether b starts with "SIP/2.0 ddd" followed by white space or a
// line break, or with a known method, a space and "sip:", "sips:" or "tel:". It returns
// shapeMaybe when b ends before that can be decided.
func midLineStart(b []byte) int {
	if s := matchPrefix(b, "SIP/2.0 "); s != shapeYes {
		if s == shapeMaybe {
			return s
		}
	} else {
		rest := b[len("SIP/2.0 "):]
		for i := 0; i < 4; i++ {
			switch {
			case i == len(rest):
				return shapeMaybe
			case i < 3 && rest[i] >= '0' && rest[i] <= '9':
				continue
			case i == 3 && (isWS(rest[i]) || rest[i] == '\r' || rest[i] == '\n'):
				return shapeYes
			}
			return shapeNo
		}
	}
	for _, m := range knownMethods {
		s := matchPrefix(b, m)
		if s == shapeNo {
			continue
		}
		if s == shapeMaybe {
			return s
		}
		rest := b[len(m):]
		if len(rest) == 0 {
			return shapeMaybe
		}
		if rest[0] != ' ' {
			continue
		}
		rest = rest[1:]
		for _, scheme := range [...]string{"sip:", "sips:", "tel:"} {
			switch matchPrefix(rest, scheme) {
			case shapeYes:
				return shapeYes
			case shapeMaybe:
				return shapeMaybe
			}
		}
	}
	return shapeNo
}

// matchPrefix tells whether b starts with p (shapeYes), is a proper prefix of p
// (shapeMaybe), or neither.
func matchPrefix(b []byte, p string) int {
	n := min(len(b), len(p))
	if string(b[:n]) != p[:n] {
		return shapeNo
	}
	if n < len(p) {
		return shapeMaybe
	}
	return shapeYes
}

// LooksLikeSIP reports whether b starts with a SIP start line: "METHOD scheme:... SIP/2.0"
// or "SIP/2.0 ddd ...", after optional CR and LF bytes. It is a cheap content sniff for
// SIP on non-standard ports; it looks at the first line only.
func LooksLikeSIP(b []byte) bool {
	b = b[leadingCRLF(b):]
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
	if len(line) == 0 {
		if complete {
			return shapeNo
		}
		return shapeMaybe
	}
	if line[0] == 'S' || line[0] == 's' {
		if s := statusLineShape(line, complete); s != shapeNo {
			return s
		}
	}
	// Request-Line: token SP+ scheme ":" ... SP+ SIP/x.y
	i := 0
	for i < len(line) && isTokenChar(line[i]) {
		i++
	}
	if i == 0 || i > maxMethod {
		return shapeNo
	}
	if i == len(line) {
		return incomplete(complete)
	}
	if !isWS(line[i]) {
		return shapeNo
	}
	for i < len(line) && isWS(line[i]) {
		i++
	}
	s := i
	for i < len(line) && line[i] != ':' && !isWS(line[i]) {
		i++
	}
	if i == len(line) {
		if complete || (i > s && !isScheme(line[s:i])) {
			return shapeNo
		}
		return shapeMaybe
	}
	if line[i] != ':' || !isScheme(line[s:i]) {
		return shapeNo
	}
	if !complete {
		return shapeMaybe
	}
	j := len(line)
	for j > i && isWS(line[j-1]) {
		j--
	}
	k := j
	for k > i && !isWS(line[k-1]) {
		k--
	}
	if k == i || !isVersion(line[k:j]) {
		return shapeNo
	}
	return shapeYes
}

// statusLineShape checks "SIP/" digits "." digits SP+ 3DIGIT (SP / end).
func statusLineShape(line []byte, complete bool) int {
	const prefix = "SIP/"
	n := min(len(line), len(prefix))
	if !equalFold(line[:n], prefix[:n]) {
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
