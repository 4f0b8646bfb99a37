// Package ascii holds the case-insensitive comparisons the SIP and SDP parsers share.
// Both protocols compare names (header names, methods, parameters, encodings) under
// ASCII case folding only, never Unicode's; none of these functions allocates.
package ascii

// Lower returns the ASCII lower case of c.
func Lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// EqualFold reports whether a and b are equal under ASCII case folding.
func EqualFold[A, B []byte | string](a A, b B) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if a[i] != b[i] && Lower(a[i]) != Lower(b[i]) {
			return false
		}
	}
	return true
}
