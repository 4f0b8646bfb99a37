package report

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/ixaudit/ixaudit/analyze"
)

// Redact replaces, in place, the telephone numbers and URI user parts of r with pseudonyms
// that are stable within the report: the same number is always "tel-N" and the same
// non-numeric user part is always "user-N", numbered in order of first appearance, so that
// `sip:+14155550123@acme.pstn.ashburn-ix.twilio.com` becomes
// `sip:tel-1@acme.pstn.ashburn-ix.twilio.com` wherever it appears. Call it before rendering;
// every format then shows the redacted report.
//
// It rewrites the call From, To and Request-URI, SIP message labels, finding messages,
// evidence and keys, input names and errors, and the rule-set source. Call-IDs that embed
// numbers are rewritten consistently across calls, streams and findings (and stay
// distinct: two Call-IDs never merge into one). IP addresses, ports, host names, rule ids,
// SSRCs, times and numeric fields are left alone.
//
// A telephone number is a URI user part (sip:, sips:, tel:) or, in free text, a run of at
// least 6 digits, optionally after '+', that may be formatted with '-', '.', ' ', '(' and
// ')' and is not part of a word, a decimal fraction, an IPv4 address, a date, an SDP
// o=/t= line, or a numeric field such as "packet 1234567" or "1234567 bytes". Inside
// Call-IDs every run of 6 or more digits outside an IPv4 address counts.
func Redact(r *analyze.Report) {
	if r == nil {
		return
	}
	x := &redactor{numbers: map[string]string{}, users: map[string]string{}}

	// Call-IDs first, in report order, so that their tokens do not depend on what else the
	// report holds; then check that no two of them became one.
	var ids []string
	seen := map[string]bool{}
	addID := func(id string) {
		if id != "" && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	for i := range r.Calls {
		addID(r.Calls[i].CallID)
	}
	for i := range r.Streams {
		addID(r.Streams[i].CallID)
	}
	for i := range r.Findings {
		addID(r.Findings[i].CallID)
	}
	callIDs := make(map[string]string, len(ids))
	taken := make(map[string]bool, len(ids))
	for _, id := range ids {
		red := x.callID(id)
		if taken[red] {
			red = "call-" + strconv.Itoa(len(taken)+1)
			for taken[red] {
				red += "x"
			}
		}
		taken[red] = true
		callIDs[id] = red
	}
	callID := func(id string) string {
		if red, ok := callIDs[id]; ok {
			return red
		}
		return id
	}

	r.Rules.Source = x.text(r.Rules.Source)
	for i := range r.Inputs {
		in := &r.Inputs[i]
		in.Name = x.text(in.Name)
		in.Error = x.text(in.Error)
	}
	for i := range r.Calls {
		c := &r.Calls[i]
		c.CallID = callID(c.CallID)
		c.Input = x.text(c.Input)
		c.From = x.text(c.From)
		c.To = x.text(c.To)
		c.RequestURI = x.text(c.RequestURI)
		for j := range c.Messages {
			c.Messages[j].Label = x.text(c.Messages[j].Label)
		}
	}
	for i := range r.Streams {
		s := &r.Streams[i]
		s.CallID = callID(s.CallID)
		s.Input = x.text(s.Input)
	}
	for i := range r.Findings {
		f := &r.Findings[i]
		f.CallID = callID(f.CallID)
		f.Input = x.text(f.Input)
		f.Message = x.text(f.Message)
		f.Evidence = x.text(f.Evidence)
		f.Key = x.text(f.Key)
	}
}

// redactor holds the pseudonyms of one report.
type redactor struct {
	numbers map[string]string // digits of a number -> "tel-N"
	users   map[string]string // a non-numeric URI user part -> "user-N"
}

// number returns the token of the number whose digits are digits.
func (x *redactor) number(digits string) string {
	tok, ok := x.numbers[digits]
	if !ok {
		tok = "tel-" + strconv.Itoa(len(x.numbers)+1)
		x.numbers[digits] = tok
	}
	return tok
}

// user returns the token of a URI user part: a number's token when it is a telephone
// number, a user token otherwise.
func (x *redactor) user(u string) string {
	if d, ok := phoneDigits(unescape(u)); ok {
		return x.number(d)
	}
	tok, ok := x.users[u]
	if !ok {
		tok = "user-" + strconv.Itoa(len(x.users)+1)
		x.users[u] = tok
	}
	return tok
}

// phoneDigits returns the digits of s when s is a number written with an optional '+' and
// visual separators only.
func phoneDigits(s string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case isDigit(c):
			b.WriteByte(c)
		case c == '+' && i == 0, c == '-', c == '.', c == '(', c == ')', c == ' ':
		default:
			return "", false
		}
	}
	return b.String(), b.Len() > 0
}

// unescape decodes the %XX escapes of a URI user part; malformed escapes stay as they are.
func unescape(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			v, _ := strconv.ParseUint(s[i+1:i+3], 16, 8)
			b.WriteByte(byte(v))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// text redacts free text: URI user parts and telephone numbers.
func (x *redactor) text(s string) string {
	if !strings.ContainsAny(s, "0123456789") && !hasURIScheme(s) {
		return s
	}
	var b strings.Builder
	last := 0 // s[last:i] is still to be copied
	replace := func(from, to int, tok string) {
		b.WriteString(s[last:from])
		b.WriteString(tok)
		last = to
	}
	for i := 0; i < len(s); {
		c := s[i]
		boundary := i == 0 || !isWord(s[i-1])
		if boundary && (c|0x20 == 's' || c|0x20 == 't') {
			if from, to := uriUser(s, i); to > from {
				replace(from, to, x.user(s[from:to]))
				i = to
				continue
			}
		}
		if boundary && (i == 0 || s[i-1] != '.') && numberStart(s, i) {
			if n := protected(s, i); n > 0 {
				i += n
				continue
			}
			if end, digits := phoneRun(s, i); end > 0 && !numericField(s, i, end) {
				replace(i, end, x.number(digits))
				i = end
				continue
			}
		}
		if isWord(c) { // the rest of a word is never a number's start
			for i < len(s) && isWord(s[i]) {
				i++
			}
			continue
		}
		i++
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// callID redacts a Call-ID: as text, then every remaining run of 6 or more digits that is
// not in an IPv4 address.
func (x *redactor) callID(id string) string {
	s := x.text(id)
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); {
		if !isDigit(s[i]) {
			i++
			continue
		}
		if n := ipv4Len(s, i); n > 0 && (i == 0 || !isDigit(s[i-1]) && s[i-1] != '.') {
			i += n
			continue
		}
		j := i
		for j < len(s) && isDigit(s[j]) {
			j++
		}
		if j-i >= minDigits {
			b.WriteString(s[last:i])
			b.WriteString(x.number(s[i:j]))
			last = j
		}
		i = j
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// minDigits is the fewest digits a telephone number in free text has.
const minDigits = 6

// hasURIScheme reports whether s may hold a sip:, sips: or tel: URI.
func hasURIScheme(s string) bool {
	l := strings.ToLower(s)
	return strings.Contains(l, "sip:") || strings.Contains(l, "sips:") || strings.Contains(l, "tel:")
}

// uriUser finds the user part of a sip:, sips: or tel: URI that starts at s[i]: it returns
// the user part's bounds, or from == to when there is none.
func uriUser(s string, i int) (from, to int) {
	var tel bool
	switch {
	case hasPrefixFold(s[i:], "sip:"):
		from = i + 4
	case hasPrefixFold(s[i:], "sips:"):
		from = i + 5
	case hasPrefixFold(s[i:], "tel:"):
		from, tel = i+4, true
	default:
		return 0, 0
	}
	j := from
	if tel {
		for j < len(s) && (isAlnum(s[j]) || strings.IndexByte("+-.()*#%", s[j]) >= 0) {
			j++
		}
		return from, j
	}
	for j < len(s) && (isAlnum(s[j]) || strings.IndexByte("-_.!~*'()%&=+$,;?/:", s[j]) >= 0) {
		j++
	}
	if j < len(s) && s[j] == '@' {
		return from, j
	}
	return 0, 0 // no user part: sip:host
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// numberStart reports whether a number may start at s[i]: a digit, or '+' or '(' before
// a digit.
func numberStart(s string, i int) bool {
	switch c := s[i]; {
	case isDigit(c):
		return true
	case c == '+' || c == '(':
		return i+1 < len(s) && (isDigit(s[i+1]) || s[i+1] == '(' && i+2 < len(s) && isDigit(s[i+2]))
	}
	return false
}

// protected returns the length of an IPv4 address or a date (YYYY-MM-DD) that starts at
// s[i], or 0.
func protected(s string, i int) int {
	if n := ipv4Len(s, i); n > 0 {
		return n
	}
	if i+10 <= len(s) && allDigits(s[i:i+4]) && s[i+4] == '-' && allDigits(s[i+5:i+7]) &&
		s[i+7] == '-' && allDigits(s[i+8:i+10]) && (i+10 == len(s) || !isDigit(s[i+10])) {
		return 10
	}
	return 0
}

// ipv4Len returns the length of the dotted-quad IPv4 address that starts at s[i], or 0.
func ipv4Len(s string, i int) int {
	j := i
	for j < len(s) && (isDigit(s[j]) || s[j] == '.') && j-i < 16 {
		j++
	}
	// Try the longest candidate first: "1.2.3.45" must not match as "1.2.3.4".
	for end := j; end > i; end-- {
		if isDigit(s[end-1]) && strings.Count(s[i:end], ".") == 3 {
			if _, err := netip.ParseAddr(s[i:end]); err == nil && (end == len(s) || !isDigit(s[end])) {
				return end - i
			}
		}
	}
	return 0
}

// phoneRun reads a telephone number at s[i]: digit groups joined by one or two separators
// ("-", "(", ")", and "." or " " between groups of at most 4 digits), as in
// "+1 (415) 555-0123". It returns the end of the number and its digits, or end 0 when
// there are fewer than minDigits digits or the run goes on as a word or a decimal.
func phoneRun(s string, i int) (end int, digits string) {
	var d strings.Builder
	j := i
	if s[j] == '+' {
		j++
	}
	depth := 0
	prevGroup := 0
	for {
		for j < len(s) && s[j] == '(' {
			depth++
			j++
		}
		k := j
		for k < len(s) && isDigit(s[k]) {
			k++
		}
		group := k - j
		if group == 0 {
			break
		}
		if prevGroup > 0 && looseBefore(s, j) && (prevGroup > 4 || group > 4) {
			break // "5060 123456", "1234567.89": a space or dot joins only short groups
		}
		d.WriteString(s[j:k])
		end = k
		for end < len(s) && s[end] == ')' && depth > 0 {
			depth--
			end++
		}
		prevGroup = group
		// Separators: at most two ("-", ".", " ", "("), then a digit.
		m := end
		for m < len(s) && m-end < 2 && strings.IndexByte("-. (", s[m]) >= 0 {
			if s[m] == '(' {
				depth++
			}
			m++
		}
		if m == end || m >= len(s) || !(isDigit(s[m]) || s[m] == '(') {
			break
		}
		j = m
	}
	if d.Len() < minDigits || end == 0 {
		return 0, ""
	}
	if end < len(s) && (isWord(s[end]) || s[end] == '.' && end+1 < len(s) && isDigit(s[end+1])) {
		return 0, "" // part of a word, or a decimal fraction
	}
	return end, d.String()
}

// looseBefore reports whether the separator before the digit group at s[j] holds a space
// or a dot, which join only groups of at most 4 digits.
func looseBefore(s string, j int) bool {
	for k := j - 1; k >= 0 && k >= j-2 && !isDigit(s[k]); k-- {
		if s[k] == ' ' || s[k] == '.' {
			return true
		}
	}
	return false
}

// numericFields are the names whose values are numbers, not telephone numbers.
var numericFields = map[string]bool{
	"packet": true, "packets": true, "pkt": true, "frame": true, "record": true,
	"cseq": true, "seq": true, "sequence": true, "port": true, "rport": true,
	"bytes": true, "length": true, "len": true, "content-length": true, "size": true,
	"ssrc": true, "ts": true, "timestamp": true, "rtptime": true, "count": true,
	"expires": true, "max-forwards": true, "duration": true, "offset": true, "snaplen": true,
}

// numericUnits are the units after which a number is a quantity.
var numericUnits = map[string]bool{
	"packets": true, "pkts": true, "bytes": true, "octets": true, "frames": true,
	"ms": true, "us": true, "ns": true, "s": true, "bps": true, "kbps": true,
}

// numericField reports whether the number s[i:end] is the value of a numeric field: after
// a field name ("packet 1234567", "cseq: 1234567", "ssrc=1234567"), before a unit
// ("1234567 bytes"), or on an SDP o=, t=, r= or z= line.
func numericField(s string, i, end int) bool {
	// The name before: up to two separators, then letters, digits, '-' or '_'.
	k := i
	for n := 0; k > 0 && n < 2 && strings.IndexByte(" =:#", s[k-1]) >= 0; n++ {
		k--
	}
	if k < i {
		w := k
		for w > 0 && (isAlnum(s[w-1]) || s[w-1] == '-' || s[w-1] == '_') {
			w--
		}
		if numericFields[strings.ToLower(s[w:k])] {
			return true
		}
		if attr := strings.LastIndexByte(s[w:k], '='); attr >= 0 && numericFields[strings.ToLower(s[w+attr+1:k])] {
			return true // a=ssrc:1234567
		}
	}
	// The unit after.
	if end < len(s) && s[end] == ' ' {
		u := end + 1
		for u < len(s) && isWord(s[u]) {
			u++
		}
		if numericUnits[strings.ToLower(s[end+1:u])] {
			return true
		}
	}
	// An SDP line whose fields are numbers: o=<user> <sess-id> <sess-version> ..., t=, r=, z=.
	line := s[strings.LastIndexAny(s[:i], "\r\n")+1 : i]
	for _, f := range []string{"o=", "t=", "r=", "z="} {
		if p := strings.LastIndex(line, f); p >= 0 && (p == 0 || line[p-1] == ' ') &&
			!strings.Contains(line[p+2:], "=") {
			return true
		}
	}
	return false
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isHex(c byte) bool   { return isDigit(c) || 'a' <= c|0x20 && c|0x20 <= 'f' }
func isAlnum(c byte) bool { return isDigit(c) || 'a' <= c|0x20 && c|0x20 <= 'z' }

// isWord reports whether c continues a word: letters, digits, '_', and any byte of a
// non-ASCII character.
func isWord(c byte) bool { return isAlnum(c) || c == '_' || c >= 0x80 }

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}
