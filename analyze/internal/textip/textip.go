// Package textip parses IP addresses written as text in SIP and SDP, from a byte slice
// and without allocating (netip.ParseAddr needs a string).
package textip

// ParseIPv4 parses a dotted-quad IPv4 address, rejecting leading zeros as net/netip does.
func ParseIPv4(b []byte) (ip [4]byte, ok bool) {
	for k := 0; k < 4; k++ {
		if k > 0 {
			if len(b) == 0 || b[0] != '.' {
				return ip, false
			}
			b = b[1:]
		}
		n, j := 0, 0
		for j < len(b) && j < 4 && b[j] >= '0' && b[j] <= '9' {
			n = n*10 + int(b[j]-'0')
			j++
		}
		if j == 0 || j > 3 || n > 255 || (j > 1 && b[0] == '0') {
			return ip, false
		}
		ip[k] = byte(n)
		b = b[j:]
	}
	return ip, len(b) == 0
}

// ParseIPv6 parses an IPv6 address in text form (RFC 4291 §2.2), without a zone.
func ParseIPv6(b []byte) (ip [16]byte, ok bool) {
	ellipsis := -1 // where "::" stands in ip
	i := 0         // next byte of ip to fill
	if len(b) >= 2 && b[0] == ':' && b[1] == ':' {
		ellipsis = 0
		b = b[2:]
	}
	for len(b) > 0 && i < 16 {
		n, j := 0, 0
		for j < len(b) && j < 5 {
			h := hexValue(b[j])
			if h < 0 {
				break
			}
			n = n<<4 | h
			j++
		}
		if j == 0 || j > 4 {
			return ip, false
		}
		if j < len(b) && b[j] == '.' { // embedded IPv4 in the last 32 bits
			if i > 12 || (ellipsis < 0 && i != 12) {
				return ip, false
			}
			v4, ok := ParseIPv4(b)
			if !ok {
				return ip, false
			}
			copy(ip[i:], v4[:])
			i += 4
			b = nil
			break
		}
		ip[i], ip[i+1] = byte(n>>8), byte(n)
		i += 2
		b = b[j:]
		if len(b) == 0 {
			break
		}
		if b[0] != ':' || len(b) == 1 {
			return ip, false
		}
		b = b[1:]
		if b[0] == ':' {
			if ellipsis >= 0 {
				return ip, false
			}
			ellipsis = i
			b = b[1:]
		}
	}
	if len(b) != 0 {
		return ip, false
	}
	switch {
	case i < 16:
		if ellipsis < 0 {
			return ip, false
		}
		n := 16 - i
		copy(ip[ellipsis+n:], ip[ellipsis:i])
		clear(ip[ellipsis : ellipsis+n])
	case ellipsis >= 0:
		return ip, false // "::" must stand for at least one group
	}
	return ip, true
}

func hexValue(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}
