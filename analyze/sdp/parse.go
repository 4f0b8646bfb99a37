package sdp

import (
	"bytes"

	"github.com/ixaudit/ixaudit/analyze/internal/ascii"
)

// Order ranks of the line types (RFC 8866 §5), indexed by letter less 'a': a line whose
// rank is lower than the one before it in the same section is out of order. 0 marks a
// type not allowed there; t= and r= share a rank because time descriptions repeat.
var (
	sessionRank = ranks("v", "o", "s", "i", "u", "e", "p", "c", "b", "tr", "z", "k", "a")
	mediaRank   = ranks("m", "i", "c", "b", "k", "a")
)

// ranks builds a rank table: the letters of the first group rank 1, the next 2, ...
func ranks(groups ...string) (t [26]int8) {
	for r, g := range groups {
		for _, c := range []byte(g) {
			t[c-'a'] = int8(r + 1)
		}
	}
	return t
}

// parser holds the state of one Parse.
type parser struct {
	s       *Session
	line    int  // current line number
	cur     int  // index of the current media section, -1 in the session section
	discard bool // the current media section is over MaxMedia: ignore its lines
	rank    int8 // rank of the last line of the current section

	seenV, seenO, seenS, seenT bool
	versionReported            bool // ViolationMissingVersion is already recorded
}

// reset clears s in one assignment, keeping only the backing arrays of its lists.
func (s *Session) reset() {
	*s = Session{
		Version:    -1,
		Media:      s.Media[:0],
		Violations: s.Violations[:0],
		formats:    s.formats[:0],
		rtpmaps:    s.rtpmaps[:0],
		cryptos:    s.cryptos[:0],
	}
}

// Parse parses the session description b, an SDP body. The Session aliases b: its
// contents are valid as long as b is not modified, and until the next Parse.
//
// Lines may end in CRLF or a bare LF, and fields may be separated by runs of spaces.
// Departures from the grammar are recorded in Violations and do not stop the parse; Parse
// returns ErrNotSDP (and an empty Session) only when the first non-empty line is not of
// the form "<letter>=<value>".
func (s *Session) Parse(b []byte) error {
	s.reset()
	p := parser{s: s, cur: -1}
	first := true
	for pos := 0; pos < len(b); {
		end := bytes.IndexByte(b[pos:], '\n')
		var line []byte
		if end < 0 {
			line, pos = b[pos:], len(b)
		} else {
			line, pos = b[pos:pos+end], pos+end+1
		}
		p.line++
		line = trimSpace(line)
		if len(line) == 0 {
			continue
		}
		if len(line) < 2 || line[1] != '=' || line[0] < 'a' || line[0] > 'z' {
			if first && !(len(line) >= 2 && line[1] == '=' && line[0] >= 'A' && line[0] <= 'Z') {
				s.reset()
				return ErrNotSDP
			}
			first = false
			p.violate(ViolationBadLine)
			continue
		}
		if first {
			first = false
			if line[0] != 'v' {
				p.violate(ViolationMissingVersion)
				p.versionReported = true
			}
		}
		p.lineType(line[0], line[2:])
	}
	if first {
		s.reset()
		return ErrNotSDP
	}
	p.finish()
	return nil
}

// violate records a violation at the current line.
func (p *parser) violate(k ViolationKind) { p.violateAt(p.line, k) }

func (p *parser) violateAt(line int, k ViolationKind) {
	s := p.s
	s.ViolationCount++
	if len(s.Violations) < MaxViolations {
		s.Violations = append(s.Violations, Violation{Line: line, Kind: k})
	}
}

// lineType handles one "<typ>=<val>" line.
func (p *parser) lineType(typ byte, val []byte) {
	s := p.s
	if typ == 'm' {
		p.media(val)
		return
	}
	if p.discard {
		return
	}
	table := &sessionRank
	if p.cur >= 0 {
		table = &mediaRank
	}
	r := table[typ-'a']
	switch {
	case r == 0 && sessionRank[typ-'a'] == 0 && mediaRank[typ-'a'] == 0:
		p.violate(ViolationUnknownType)
		return
	case r == 0 || r < p.rank:
		p.violate(ViolationOutOfOrder)
	default:
		p.rank = r
	}
	switch typ {
	case 'v':
		if p.seenV {
			p.violate(ViolationDuplicate)
			return
		}
		p.seenV = true
		if v, ok := atoi(trimSpace(val), 9); ok {
			s.Version = v
			if v != 0 {
				p.violate(ViolationBadVersion)
			}
		} else {
			p.violate(ViolationBadVersion)
		}
	case 'o':
		if p.seenO {
			p.violate(ViolationDuplicate)
			return
		}
		p.seenO = true
		p.origin(val)
	case 's':
		if p.seenS {
			p.violate(ViolationDuplicate)
			return
		}
		p.seenS = true
		s.Name = val
	case 't':
		p.seenT = true
	case 'c':
		c := &s.Conn
		if p.cur >= 0 {
			c = &s.Media[p.cur].Conn
		}
		if c.Present {
			p.violate(ViolationDuplicate)
			return
		}
		var ok bool
		*c, ok = parseConnection(val)
		if !ok {
			p.violate(ViolationBadConnection)
		}
	case 'a':
		p.attribute(val)
	}
}

func (p *parser) origin(val []byte) {
	o := &p.s.Origin
	fields := [6]*[]byte{&o.Username, &o.SessionID, &o.SessionVersion, &o.NetType, &o.AddrType, &o.Address}
	rest := val
	for _, f := range fields {
		*f, rest = nextField(rest)
	}
	if len(o.Address) == 0 || len(trimSpace(rest)) != 0 {
		p.violate(ViolationBadOrigin)
	}
	p.s.HasOrigin = true
	o.Addr = addr(o.Address)
}

// parseConnection parses "<nettype> <addrtype> <address>[/ttl][/count]". ok is false when
// fields are missing, the network type is not IN, or an IP4/IP6 address is not one.
func parseConnection(val []byte) (c Connection, ok bool) {
	c.Present = true
	var a []byte
	c.NetType, val = nextField(val)
	c.AddrType, val = nextField(val)
	a, val = nextField(val)
	c.Address, _, _ = cut(a, '/')
	c.Addr = addr(c.Address)
	if len(c.Address) == 0 || len(trimSpace(val)) != 0 || !ascii.EqualFold(c.NetType, "IN") {
		return c, false
	}
	switch {
	case ascii.EqualFold(c.AddrType, "IP4"):
		return c, c.Addr.Is4() || isHostName(c.Address)
	case ascii.EqualFold(c.AddrType, "IP6"):
		return c, c.Addr.Is6() || isHostName(c.Address)
	}
	return c, false
}

// isHostName reports whether b looks like a fully qualified domain name (letters, digits,
// '-' and '.', with at least one letter), which c= may carry instead of an address.
func isHostName(b []byte) bool {
	letter := false
	for _, c := range b {
		switch {
		case ascii.Lower(c) >= 'a' && ascii.Lower(c) <= 'z':
			letter = true
		case c >= '0' && c <= '9', c == '-', c == '.':
		default:
			return false
		}
	}
	return letter
}

// media starts a media section: m=<media> <port>[/<number of ports>] <proto> <fmt> ...
func (p *parser) media(val []byte) {
	s := p.s
	p.rank = mediaRank['m'-'a']
	if len(s.Media) == MaxMedia {
		p.discard = true
		p.violate(ViolationTooMany)
		return
	}
	p.discard = false
	p.cur = len(s.Media)
	s.Media = append(s.Media, Media{Line: p.line, NumPorts: 1})
	m := &s.Media[p.cur]
	var port, proto []byte
	m.Type, val = nextField(val)
	port, val = nextField(val)
	proto, val = nextField(val)
	m.Proto = proto
	bad := len(m.Type) == 0 || len(proto) == 0
	portNum, count, hasCount := cut(port, '/')
	if n, ok := atoi(portNum, 5); ok && n <= 65535 {
		m.Port = uint16(n)
	} else {
		bad = true
	}
	if hasCount {
		if n, ok := atoi(count, 5); ok && n > 0 {
			m.NumPorts = n
		} else {
			bad = true
		}
	}
	m.formats.start = len(s.formats)
	for {
		var f []byte
		f, val = nextField(val)
		if len(f) == 0 {
			break
		}
		if len(s.formats) == MaxFormats {
			p.violate(ViolationTooMany)
			break
		}
		s.formats = append(s.formats, f)
	}
	m.formats.end = len(s.formats)
	if m.formats.end == m.formats.start {
		bad = true
	}
	if bad {
		p.violate(ViolationBadMedia)
	}
	m.rtpmaps = span{len(s.rtpmaps), len(s.rtpmaps)}
	m.cryptos = span{len(s.cryptos), len(s.cryptos)}
}

// attribute handles an a= line at session or media level.
func (p *parser) attribute(val []byte) {
	s := p.s
	name, value, _ := cut(val, ':')
	name = trimSpace(name)
	var m *Media
	if p.cur >= 0 {
		m = &s.Media[p.cur]
	}
	switch {
	case ascii.EqualFold(name, "sendrecv"), ascii.EqualFold(name, "sendonly"), ascii.EqualFold(name, "recvonly"), ascii.EqualFold(name, "inactive"):
		d := directionOf(name)
		if m != nil {
			m.Direction = d
		} else {
			s.Direction = d
		}
	case ascii.EqualFold(name, "fingerprint"):
		if m != nil {
			m.Fingerprint = true
		} else {
			s.Fingerprint = true
		}
	case ascii.EqualFold(name, "setup"):
		if m != nil {
			m.Setup = trimSpace(value)
		} else {
			s.Setup = trimSpace(value)
		}
	case ascii.EqualFold(name, "candidate"):
		if m != nil {
			m.ICECandidates++
			m.ICE = true
		} else {
			s.ICE = true
		}
	case ascii.EqualFold(name, "ice-ufrag"), ascii.EqualFold(name, "ice-pwd"), ascii.EqualFold(name, "ice-lite"), ascii.EqualFold(name, "ice-options"):
		if m != nil {
			m.ICE = true
		} else {
			s.ICE = true
		}
	case m == nil:
		// rtpmap, rtcp, rtcp-mux and crypto mean nothing at session level.
	case ascii.EqualFold(name, "rtpmap"):
		r, ok := parseRTPMap(value)
		if !ok {
			p.violate(ViolationBadAttribute)
			return
		}
		if len(s.rtpmaps) == MaxRTPMaps {
			p.violate(ViolationTooMany)
			return
		}
		s.rtpmaps = append(s.rtpmaps, r)
		m.rtpmaps.end = len(s.rtpmaps)
	case ascii.EqualFold(name, "rtcp"):
		r, ok := parseRTCP(value)
		if !ok {
			p.violate(ViolationBadAttribute)
			return
		}
		m.RTCP = r
	case ascii.EqualFold(name, "rtcp-mux"):
		m.RTCPMux = true
	case ascii.EqualFold(name, "crypto"):
		c, ok := parseCrypto(value)
		if !ok {
			p.violate(ViolationBadAttribute)
			return
		}
		if len(s.cryptos) == MaxCryptos {
			p.violate(ViolationTooMany)
			return
		}
		s.cryptos = append(s.cryptos, c)
		m.cryptos.end = len(s.cryptos)
	}
}

func directionOf(name []byte) Direction {
	for d := DirectionSendRecv; d <= DirectionInactive; d++ {
		if ascii.EqualFold(name, directionNames[d]) {
			return d
		}
	}
	return DirectionNone
}

// parseRTPMap parses "<payload type> <encoding name>/<clock rate>[/<encoding parameters>]".
func parseRTPMap(v []byte) (r RTPMap, ok bool) {
	pt, rest := nextField(v)
	n, ok := atoi(pt, 3)
	if !ok || n > 127 {
		return RTPMap{}, false
	}
	r.PayloadType = uint8(n)
	enc, rest := nextField(rest)
	if len(trimSpace(rest)) != 0 {
		return RTPMap{}, false
	}
	name, clock, hasClock := cut(enc, '/')
	if len(name) == 0 || !hasClock {
		return RTPMap{}, false
	}
	rate, params, _ := cut(clock, '/')
	c, ok := atoi(rate, 9)
	if !ok {
		return RTPMap{}, false
	}
	r.Encoding, r.ClockRate, r.Channels = name, uint32(c), params
	return r, true
}

// parseRTCP parses "<port> [<nettype> <addrtype> <address>]" (RFC 3605).
func parseRTCP(v []byte) (r RTCP, ok bool) {
	port, rest := nextField(v)
	n, ok := atoi(port, 5)
	if !ok || n > 65535 {
		return RTCP{}, false
	}
	r = RTCP{Present: true, Port: uint16(n)}
	if len(trimSpace(rest)) == 0 {
		return r, true
	}
	c, ok := parseConnection(rest)
	if !ok {
		return RTCP{}, false
	}
	r.Address, r.Addr = c.Address, c.Addr
	return r, true
}

// parseCrypto parses "<tag> <crypto-suite> <key-params> [<session-params>]" (RFC 4568).
func parseCrypto(v []byte) (c Crypto, ok bool) {
	tag, rest := nextField(v)
	n, ok := atoi(tag, 9)
	if !ok {
		return Crypto{}, false
	}
	c.Tag = n
	c.Suite, rest = nextField(rest)
	c.KeyParams, rest = nextField(rest)
	c.SessionParams = trimSpace(rest)
	if len(c.Suite) == 0 || len(c.KeyParams) == 0 {
		return Crypto{}, false
	}
	// key-params = key-method ":" key-info, several separated by ';'.
	for kp := c.KeyParams; len(kp) > 0; {
		var one []byte
		one, kp, _ = cut(kp, ';')
		_, info, _ := cut(one, ':')
		_, after, _ := cut(info, '|') // skip the key||salt itself
		for len(after) > 0 {
			var part []byte
			part, after, _ = cut(after, '|')
			if bytes.IndexByte(part, ':') >= 0 {
				c.MKI = true
			}
		}
	}
	return c, true
}

// finish checks what must be present and points the media sections into the buffers,
// which no longer move.
func (p *parser) finish() {
	s := p.s
	if !p.seenV && !p.versionReported {
		p.violateAt(0, ViolationMissingVersion)
	}
	if !p.seenO {
		p.violateAt(0, ViolationMissingOrigin)
	}
	if !p.seenS {
		p.violateAt(0, ViolationMissingName)
	}
	if !p.seenT {
		p.violateAt(0, ViolationMissingTiming)
	}
	for i := range s.Media {
		m := &s.Media[i]
		if !m.Conn.Present && !s.Conn.Present {
			p.violateAt(m.Line, ViolationMissingConnection)
		}
		m.Formats = s.formats[m.formats.start:m.formats.end:m.formats.end]
		m.RTPMaps = s.rtpmaps[m.rtpmaps.start:m.rtpmaps.end:m.rtpmaps.end]
		m.Crypto = s.cryptos[m.cryptos.start:m.cryptos.end:m.cryptos.end]
	}
}
