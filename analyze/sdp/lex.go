package sdp

import "github.com/ixaudit/ixaudit/analyze/internal/ascii"

// hasSuffixFold reports whether b ends with suffix under ASCII case folding.
func hasSuffixFold(b []byte, suffix string) bool {
	return len(b) >= len(suffix) && ascii.EqualFold(b[len(b)-len(suffix):], suffix)
}

// isSpace reports whether c separates fields: SDP requires one space, we accept runs of
// spaces and tabs.
func isSpace(c byte) bool { return c == ' ' || c == '\t' }

// trimSpace removes spaces, tabs and CRs from both ends of b.
func trimSpace(b []byte) []byte {
	i, j := 0, len(b)
	for i < j && (isSpace(b[i]) || b[i] == '\r') {
		i++
	}
	for j > i && (isSpace(b[j-1]) || b[j-1] == '\r') {
		j--
	}
	return b[i:j]
}

// nextField splits the first space-separated field off b.
func nextField(b []byte) (field, rest []byte) {
	i := 0
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	j := i
	for j < len(b) && !isSpace(b[j]) {
		j++
	}
	return b[i:j], b[j:]
}

// atoi parses a non-empty run of at most max digits.
func atoi(b []byte, max int) (int, bool) {
	if len(b) == 0 || len(b) > max {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// cut splits b around the first sep.
func cut(b []byte, sep byte) (before, after []byte, found bool) {
	for i, c := range b {
		if c == sep {
			return b[:i], b[i+1:], true
		}
	}
	return b, nil, false
}
