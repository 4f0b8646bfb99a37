package tcpstream

import (
	"bytes"
	"testing"
)

// sipMaxLine is the longest line the test framer waits for before judging it garbage.
const sipMaxLine = 8 << 10

// sipFramer is the test Framer. It follows RFC 3261 framing over a stream transport:
//   - a run of CR and LF before a message is a keep-alive (RFC 5626 §4.4.1) and is skipped;
//   - a message starts with a request line "METHOD URI SIP/2.0" or a status line
//     "SIP/2.0 NNN reason"; anything else is skipped up to the next line that is one;
//   - the headers end at the first empty line (CRLF CRLF, or bare LF LF);
//   - the body is Content-Length (or compact "l") bytes long. A message without it is taken
//     to have no body: RFC 3261 §18.3 makes the header mandatory on stream transports, and
//     a length of 0 is the only way to keep the stream in step (tshark does the same).
//
// An incomplete message is never accepted at EOF: it is left to the Assembler to drop.
func sipFramer(buf []byte, atEOF bool) int {
	i := 0
	for i < len(buf) && (buf[i] == '\r' || buf[i] == '\n') {
		i++
	}
	if i > 0 {
		return -i
	}
	eol := bytes.IndexByte(buf, '\n')
	if eol < 0 {
		if !atEOF && len(buf) > sipMaxLine {
			return -len(buf)
		}
		return 0
	}
	if !isStartLine(buf[:eol]) {
		return -skipToStartLine(buf, eol+1, atEOF)
	}
	pos := eol + 1
	length := 0
	for {
		e := bytes.IndexByte(buf[pos:], '\n')
		if e < 0 {
			return 0
		}
		line := trimCR(buf[pos : pos+e])
		pos += e + 1
		if len(line) == 0 {
			break
		}
		if n, ok := contentLength(line); ok {
			length = n
		}
	}
	if length > len(buf)-pos {
		return 0
	}
	return pos + length
}

// skipToStartLine returns the offset of the first line at or after from that is a start
// line, or of a last incomplete line that may still become one.
func skipToStartLine(buf []byte, from int, atEOF bool) int {
	for p := from; p < len(buf); {
		e := bytes.IndexByte(buf[p:], '\n')
		if e < 0 {
			if atEOF || len(buf)-p > sipMaxLine {
				return len(buf)
			}
			return p
		}
		if isStartLine(buf[p : p+e]) {
			return p
		}
		p += e + 1
	}
	return len(buf)
}

func trimCR(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\r' {
		return b[:n-1]
	}
	return b
}

// isStartLine reports whether line (without its LF) is a SIP request or status line.
func isStartLine(line []byte) bool {
	line = trimCR(line)
	if rest, ok := bytes.CutPrefix(line, []byte("SIP/2.0 ")); ok {
		return len(rest) >= 3 && isDigit(rest[0]) && isDigit(rest[1]) && isDigit(rest[2]) &&
			(len(rest) == 3 || rest[3] == ' ')
	}
	method, rest, ok := bytes.Cut(line, []byte(" "))
	if !ok || len(method) == 0 {
		return false
	}
	for _, c := range method {
		if !isTokenChar(c) {
			return false
		}
	}
	uri, ok := bytes.CutSuffix(rest, []byte(" SIP/2.0"))
	return ok && len(uri) > 0 && bytes.IndexByte(uri, ' ') < 0 && bytes.IndexByte(uri, ':') > 0
}

// contentLength parses a Content-Length (or "l") header line. A value too large to be true
// is clamped to 1<<40, which no buffer will ever reach.
func contentLength(line []byte) (int, bool) {
	name, value, ok := bytes.Cut(line, []byte(":"))
	if !ok {
		return 0, false
	}
	name = bytes.TrimRight(name, " \t")
	if !bytes.EqualFold(name, []byte("Content-Length")) && !bytes.EqualFold(name, []byte("l")) {
		return 0, false
	}
	value = bytes.Trim(value, " \t")
	if len(value) == 0 {
		return 0, false
	}
	n := 0
	for _, c := range value {
		if !isDigit(c) {
			return 0, false
		}
		if n < 1<<40 {
			n = n*10 + int(c-'0')
		}
	}
	return min(n, 1<<40), true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// isTokenChar reports whether c may appear in an RFC 3261 token.
func isTokenChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', isDigit(c):
		return true
	}
	return bytes.IndexByte([]byte("-.!%*_+`'~"), c) >= 0
}

func TestSIPFramer(t *testing.T) {
	invite := "INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/TCP a\r\nContent-Length: 5\r\n\r\nhello"
	tests := []struct {
		name  string
		in    string
		atEOF bool
		want  int
	}{
		{"complete request with body", invite + "SIP/2.0 100", false, len(invite)},
		{"body incomplete", invite[:len(invite)-1], false, 0},
		{"body incomplete at EOF", invite[:len(invite)-1], true, 0},
		{"headers incomplete", invite[:40], false, 0},
		{"start line incomplete", "INVITE sip:b", false, 0},
		{"response without Content-Length", "SIP/2.0 200 OK\r\nCSeq: 1 INVITE\r\n\r\nINVITE", false, 34},
		{"compact l and bare LF", "SIP/2.0 180 Ringing\nl : 2\n\nabX", false, 29},
		{"status code only", "SIP/2.0 503\r\n\r\n", false, 15},
		{"keep-alive", "\r\n\r\nINVITE", false, -4},
		{"garbage to the next start line", "ody\r\nmore\r\nBYE sip:a@b SIP/2.0\r\n", false, -11},
		{"garbage keeps a partial last line", "xx\r\nBYE sip:a@", false, -4},
		{"garbage at EOF is all skipped", "xx\r\nBYE sip:a@", true, -14},
		{"header line that looks like a start line", "Via: SIP/2.0/TCP h\r\n", false, -20},
		{"HTTP is not SIP", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", false, -27},
		{"bad status code", "SIP/2.0 20 OK\r\n\r\n", false, -17},
		{"endless line is garbage", string(bytes.Repeat([]byte("x"), sipMaxLine+1)), false, -(sipMaxLine + 1)},
		{"gigabyte body waits", "INVITE sip:a@b SIP/2.0\r\nContent-Length: 1073741824\r\n\r\nv=0", false, 0},
		{"absurd length waits", "INVITE sip:a@b SIP/2.0\r\nContent-Length: 99999999999999999999999\r\n\r\n", false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sipFramer([]byte(tt.in), tt.atEOF); got != tt.want {
				t.Errorf("sipFramer(%q, %v) = %d, want %d", tt.in, tt.atEOF, got, tt.want)
			}
		})
	}
}
