package analyze

import (
	"net/netip"
	"strings"
)

// dnsMessage is what the audit needs of a DNS message: the names asked for and the
// addresses given for them.
type dnsMessage struct {
	response  bool
	questions []string
	answers   []dnsAnswer
}

type dnsAnswer struct {
	name string
	addr netip.Addr
}

// parseDNS parses a DNS message (RFC 1035) leniently. It returns false when b is not DNS.
// Names are lower-cased without the trailing dot. It runs only on port-53 traffic, which is
// rare in an SBC capture, so it may allocate.
func parseDNS(b []byte) (dnsMessage, bool) {
	var m dnsMessage
	if len(b) < 12 {
		return m, false
	}
	m.response = b[2]&0x80 != 0
	if op := (b[2] >> 3) & 0xf; op != 0 { // only standard queries
		return m, false
	}
	qd := int(b[4])<<8 | int(b[5])
	an := int(b[6])<<8 | int(b[7])
	if qd > 16 || an > 64 {
		return m, false
	}
	off := 12
	for i := 0; i < qd; i++ {
		name, next, ok := dnsName(b, off)
		if !ok || next+4 > len(b) {
			return m, false
		}
		m.questions = append(m.questions, name)
		off = next + 4
	}
	for i := 0; i < an; i++ {
		name, next, ok := dnsName(b, off)
		if !ok || next+10 > len(b) {
			return m, len(m.questions) > 0
		}
		typ := int(b[next])<<8 | int(b[next+1])
		rdlen := int(b[next+8])<<8 | int(b[next+9])
		rd := next + 10
		if rd+rdlen > len(b) {
			return m, len(m.questions) > 0
		}
		switch {
		case typ == 1 && rdlen == 4:
			m.answers = append(m.answers, dnsAnswer{name, netip.AddrFrom4([4]byte(b[rd : rd+4]))})
		case typ == 28 && rdlen == 16:
			m.answers = append(m.answers, dnsAnswer{name, netip.AddrFrom16([16]byte(b[rd : rd+16]))})
		}
		off = rd + rdlen
	}
	return m, true
}

// dnsName reads a possibly compressed domain name at off. It returns the name, the offset
// just after the name's bytes at off, and whether it was well formed.
func dnsName(b []byte, off int) (string, int, bool) {
	var sb strings.Builder
	next := -1
	for hops := 0; hops < 32; hops++ {
		if off >= len(b) {
			return "", 0, false
		}
		l := int(b[off])
		switch {
		case l == 0:
			if next < 0 {
				next = off + 1
			}
			return strings.ToLower(sb.String()), next, true
		case l&0xc0 == 0xc0:
			if off+1 >= len(b) {
				return "", 0, false
			}
			if next < 0 {
				next = off + 2
			}
			off = (l&0x3f)<<8 | int(b[off+1])
		case l&0xc0 != 0:
			return "", 0, false
		default:
			if off+1+l > len(b) || sb.Len()+l > 255 {
				return "", 0, false
			}
			if sb.Len() > 0 {
				sb.WriteByte('.')
			}
			sb.Write(b[off+1 : off+1+l])
			off += 1 + l
		}
	}
	return "", 0, false
}
