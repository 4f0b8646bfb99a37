package sip

import "github.com/ixaudit/ixaudit/analyze/internal/ascii"

// Lexical helpers shared by the parsers. None of them allocates.

// hasPrefixFold reports whether b starts with prefix under ASCII case folding.
func hasPrefixFold(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && ascii.EqualFold(b[:len(prefix)], prefix)
}

// isTokenChar reports whether c may appear in an RFC 3261 token.
func isTokenChar(c byte) bool {
	return tokenChars[c]
}

var tokenChars = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for _, c := range []byte("-.!%*_+`'~") {
		t[c] = true
	}
	return t
}()

// isToken reports whether b is a non-empty RFC 3261 token.
func isToken(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if !tokenChars[c] {
			return false
		}
	}
	return true
}

// isLWS reports whether c is linear white space inside a header value: space, tab, or
// the CR and LF of a folded line.
func isLWS(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n'
}

// isWS reports whether c is a space or a tab.
func isWS(c byte) bool {
	return c == ' ' || c == '\t'
}

// trimLWS removes linear white space from both ends of b.
func trimLWS(b []byte) []byte {
	i, j := 0, len(b)
	for i < j && isLWS(b[i]) {
		i++
	}
	for j > i && isLWS(b[j-1]) {
		j--
	}
	return b[i:j]
}

// skipLWS returns the index of the first byte at or after i that is not linear white space.
func skipLWS(b []byte, i int) int {
	for i < len(b) && isLWS(b[i]) {
		i++
	}
	return i
}

// isDigits reports whether b is a non-empty run of ASCII digits.
func isDigits(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// atoi parses a non-empty run of at most max digits. It reports false for anything else,
// so it can neither overflow nor accept a sign.
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

// parsePort parses a port number: 1 to 5 digits, at most 65535.
func parsePort(b []byte) (uint16, bool) {
	n, ok := atoi(b, 5)
	if !ok || n > 65535 {
		return 0, false
	}
	return uint16(n), true
}

// quotedEnd returns the index just past the closing quote of the quoted string that
// starts at b[0] == '"', honouring backslash escapes, or -1 when it is not closed.
func quotedEnd(b []byte) int {
	for i := 1; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return -1
}

// NextValue splits the first element off a comma-separated header value (Via, Contact,
// Route, Record-Route, ...). Commas inside quoted strings and inside <...> do not
// separate elements. The element comes back with the white space around it removed;
// empty elements are skipped, so value is empty only when list is exhausted.
//
//	for v, rest := sip.NextValue(list); len(v) > 0; v, rest = sip.NextValue(rest) { ... }
func NextValue(list []byte) (value, rest []byte) {
	for len(list) > 0 {
		angle := false
		i := 0
	scan:
		for i < len(list) {
			switch list[i] {
			case '"':
				if e := quotedEnd(list[i:]); e > 0 {
					i += e
					continue
				}
				i = len(list) // unterminated quote: the rest is one element
				break scan
			case '<':
				angle = true
			case '>':
				angle = false
			case ',':
				if !angle {
					break scan
				}
			}
			i++
		}
		value = trimLWS(list[:i])
		if i < len(list) {
			list = list[i+1:]
		} else {
			list = list[len(list):]
		}
		if len(value) > 0 {
			return value, list
		}
	}
	return nil, nil
}

// nextParam splits the first parameter off a header parameter list such as
// ";tag=1 ; branch = z9hG4bK ;lr". Linear white space around ';' and '=' is allowed. A
// quoted value comes back without its quotes (escapes left as they are). ok is false when
// the list holds no more parameters.
func nextParam(p []byte) (name, value, rest []byte, present, ok bool) {
	i := 0
	for i < len(p) && (isLWS(p[i]) || p[i] == ';') {
		i++
	}
	if i == len(p) {
		return nil, nil, nil, false, false
	}
	start := i
	for i < len(p) && p[i] != '=' && p[i] != ';' && !isLWS(p[i]) {
		i++
	}
	name = p[start:i]
	i = skipLWS(p, i)
	if i < len(p) && p[i] == '=' {
		i = skipLWS(p, i+1)
		present = true
		if i < len(p) && p[i] == '"' {
			if e := quotedEnd(p[i:]); e > 0 {
				value = p[i+1 : i+e-1]
				i += e
			} else {
				value = p[i+1:]
				i = len(p)
			}
		} else {
			vs := i
			for i < len(p) && p[i] != ';' && !isLWS(p[i]) {
				i++
			}
			value = p[vs:i]
		}
	}
	// Skip whatever is left up to the next ';' (garbage after a value).
	for i < len(p) && p[i] != ';' {
		if p[i] == '"' {
			if e := quotedEnd(p[i:]); e > 0 {
				i += e
				continue
			}
			i = len(p)
			break
		}
		i++
	}
	return name, value, p[i:], present, true
}

// lookupParam finds the parameter called name (case-insensitively) in a header parameter
// list. present is true when the parameter appears, even without a value (";lr").
func lookupParam(params []byte, name string) (value []byte, present bool) {
	for {
		n, v, rest, hasValue, ok := nextParam(params)
		if !ok {
			return nil, false
		}
		if ascii.EqualFold(n, name) {
			if !hasValue {
				return nil, true
			}
			return v, true
		}
		params = rest
	}
}
