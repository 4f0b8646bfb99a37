package ruleset

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// The embedded default rule set. See the header of twilio.rules.
//
//go:embed twilio.rules
var embedded []byte

// EmbeddedName is what Source returns for the embedded rule set.
const EmbeddedName = "embedded"

// MaxFileSize is the largest rule-set file Parse reads.
const MaxFileSize = 1 << 20

// maxLineLen is the longest line Parse accepts.
const maxLineLen = 16 << 10

// Limits on what a file may hold, so that no file (at most MaxFileSize bytes) makes the
// checks for overlaps, which compare pairs, or the per-packet loops slow.
const (
	maxEdges           = 256
	maxGateways        = 1024 // in all edges
	maxSignalling      = 1024 // public CIDRs, in all edges
	maxMediaRanges     = 64
	maxSignallingPorts = 64
	maxSuites          = 16 // per srtp line
	maxHostPatterns    = 64
	maxSources         = 256
)

// ErrTooLarge is wrapped by the error Parse returns for a file over MaxFileSize bytes.
var ErrTooLarge = errors.New("rule-set file too large")

// ParseError is a broken rule-set file: the file's name, the line (1-based; 0 when the
// problem is the file as a whole, such as a missing line) and the reason.
type ParseError struct {
	Name string
	Line int
	Err  error
}

// Error returns "name:line: reason", or "name: reason" when Line is 0.
func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %v", e.Name, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.Name, e.Err)
}

// Unwrap returns the reason.
func (e *ParseError) Unwrap() error { return e.Err }

var defaultSet = sync.OnceValue(func() *RuleSet {
	rs, err := Parse(bytes.NewReader(embedded), EmbeddedName)
	if err != nil {
		panic("ruleset: the embedded twilio.rules is broken: " + err.Error())
	}
	return rs
})

// Default returns the embedded rule set. Every call returns the same RuleSet. It panics only
// if the embedded file is broken, which a test rules out.
func Default() *RuleSet { return defaultSet() }

// Load reads a rule-set file. Source returns path.
func Load(path string) (*RuleSet, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Parse(f, path)
}

// Parse reads a rule-set file of at most MaxFileSize bytes. name is used in error messages
// and returned by Source. A broken file gives a *ParseError naming the line and the reason,
// such as `rules.txt:12: edge "ashburn-ix": bad address "208.78.112.300"`.
func Parse(r io.Reader, name string) (*RuleSet, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(data) > MaxFileSize {
		return nil, &ParseError{Name: name, Err: fmt.Errorf("%w: more than %d bytes", ErrTooLarge, MaxFileSize)}
	}
	sum := sha256.Sum256(data)
	p := newParser(name)
	p.rs.source = name
	p.rs.sum = hex.EncodeToString(sum[:])
	if err := p.parse(data); err != nil {
		return nil, err
	}
	return p.rs, nil
}

// parser holds the state of one Parse: the rule set being built, and the line of everything
// that must be unique, so that a duplicate names both lines.
type parser struct {
	name string
	rs   *RuleSet
	line int

	directive map[string]int         // single-use directives
	names     map[string]int         // edge names, legacy codes, aliases
	gateways  map[netip.Addr]int     // gateway addresses
	srcKeys   map[string]int         // source keys
	srcRefs   []sourceRef            // source keys used by edges
	mediaLine []int                  // line of each media range
	ports     map[signallingPort]int // signalling ports
	patterns  map[string]int         // host patterns
	sevLines  map[string]int         // severity lines
}

type sourceRef struct {
	key  string
	line int
}

func newParser(name string) *parser {
	return &parser{
		name: name,
		rs: &RuleSet{
			byName:     map[string]*Edge{},
			gateways:   map[netip.Addr]*Edge{},
			severities: map[string]string{},
		},
		directive: map[string]int{},
		names:     map[string]int{},
		gateways:  map[netip.Addr]int{},
		srcKeys:   map[string]int{},
		ports:     map[signallingPort]int{},
		patterns:  map[string]int{},
		sevLines:  map[string]int{},
	}
}

// errorf returns a ParseError at the current line.
func (p *parser) errorf(format string, args ...any) error {
	return &ParseError{Name: p.name, Line: p.line, Err: fmt.Errorf(format, args...)}
}

// errorAt returns a ParseError at line.
func (p *parser) errorAt(line int, format string, args ...any) error {
	return &ParseError{Name: p.name, Line: line, Err: fmt.Errorf(format, args...)}
}

func (p *parser) parse(data []byte) error {
	for len(data) > 0 {
		p.line++
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) > maxLineLen {
			return p.errorf("line longer than %d bytes", maxLineLen)
		}
		if !utf8.Valid(line) {
			return p.errorf("not valid UTF-8")
		}
		fields, err := splitFields(string(line))
		if err != nil {
			return p.errorf("%v", err)
		}
		if len(fields) == 0 {
			continue
		}
		if err := p.directiveLine(fields[0], fields[1:]); err != nil {
			return err
		}
	}
	p.line = 0
	return p.finish()
}

// singleUse are the directives that may appear once.
var singleUse = map[string]bool{
	"ruleset": true, "facts-read": true, "domain": true, "media-ports": true,
	"srtp-offer": true, "srtp-accept": true,
}

func (p *parser) directiveLine(d string, args []string) error {
	if singleUse[d] {
		if prev, ok := p.directive[d]; ok {
			return p.errorf("duplicate %q line (first on line %d)", d, prev)
		}
		p.directive[d] = p.line
	}
	switch d {
	case "ruleset":
		if len(args) != 1 || !validVersion(args[0]) {
			return p.errorf("want \"ruleset VERSION\" (letters, digits, '.', '-', '_', '+'; at most 64)")
		}
		p.rs.version = args[0]
	case "facts-read":
		if len(args) != 1 {
			return p.errorf("want \"facts-read YYYY-MM-DD\"")
		}
		t, err := time.Parse(time.DateOnly, args[0])
		if err != nil {
			return p.errorf("facts-read: bad date %q, want YYYY-MM-DD", args[0])
		}
		p.rs.factsRead = t.Format(time.DateOnly)
	case "domain":
		if len(args) != 1 {
			return p.errorf("want \"domain NAME\"")
		}
		dom := strings.TrimSuffix(strings.ToLower(args[0]), ".")
		if !validDomain(dom) || !strings.Contains(dom, ".") {
			return p.errorf("domain: bad name %q", args[0])
		}
		p.rs.domain = dom
	case "source":
		return p.source(args)
	case "edge":
		return p.edge(args)
	case "media-range":
		return p.mediaRange(args)
	case "media-ports":
		return p.mediaPorts(args)
	case "signalling-port":
		return p.signallingPort(args)
	case "srtp-offer", "srtp-accept":
		return p.suites(d, args)
	case "host":
		return p.host(args)
	case "severity":
		return p.severity(args)
	default:
		return p.errorf("unknown directive %q", d)
	}
	return nil
}

func (p *parser) source(args []string) error {
	if len(args) != 2 {
		return p.errorf("want \"source KEY URL\"")
	}
	key, raw := args[0], args[1]
	if !validSourceKey(key) {
		return p.errorf("source: bad key %q (upper-case letters, digits and '-', starting with a letter)", key)
	}
	if len(p.rs.sources) >= maxSources {
		return p.errorf("too many source lines (at most %d)", maxSources)
	}
	if prev, ok := p.srcKeys[key]; ok {
		return p.errorf("source %s: duplicate (first on line %d)", key, prev)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return p.errorf("source %s: bad URL %q (want http or https)", key, raw)
	}
	p.srcKeys[key] = p.line
	p.rs.sources = append(p.rs.sources, Source{Key: key, URL: raw})
	return nil
}

// edge parses `edge NAME kind=K [legacy=CODE] [aliases=A,B] [gateways=IP,...]
// [signalling=CIDR,...] [label="..."] [sources=KEY,...]`.
func (p *parser) edge(args []string) error {
	if len(args) == 0 {
		return p.errorf("want \"edge NAME kind=... \"")
	}
	name := strings.ToLower(args[0])
	if !validLabel(name) {
		return p.errorf("edge: bad name %q (letters, digits and '-', at most 63)", args[0])
	}
	if len(p.rs.edges) >= maxEdges {
		return p.errorf("too many edges (at most %d)", maxEdges)
	}
	e := &Edge{Name: name, line: p.line}
	fail := func(format string, a ...any) error {
		return p.errorf("edge %q: %s", name, fmt.Sprintf(format, a...))
	}
	seen := map[string]bool{}
	for _, a := range args[1:] {
		key, val, ok := strings.Cut(a, "=")
		if !ok {
			return fail("want key=value, got %q", a)
		}
		if seen[key] {
			return fail("duplicate %q", key)
		}
		seen[key] = true
		val, err := unquote(val)
		if err != nil {
			return fail("%s: %v", key, err)
		}
		switch key {
		case "kind":
			switch val {
			case "interconnect":
				e.Kind = EdgeInterconnect
			case "public":
				e.Kind = EdgePublic
			case "media-only":
				e.Kind = EdgeMediaOnly
			default:
				return fail("bad kind %q (interconnect, public or media-only)", val)
			}
		case "legacy":
			e.Legacy = strings.ToLower(val)
			if !validLabel(e.Legacy) {
				return fail("bad legacy code %q", val)
			}
		case "aliases":
			for _, s := range splitList(val) {
				s = strings.ToLower(s)
				if !validLabel(s) {
					return fail("bad alias %q", s)
				}
				e.Aliases = append(e.Aliases, s)
			}
		case "gateways":
			for _, s := range splitList(val) {
				ip, err := netip.ParseAddr(s)
				if err != nil || ip.Zone() != "" || ip.Is4In6() {
					return fail("bad address %q", s)
				}
				if len(p.gateways)+len(e.Gateways) >= maxGateways {
					return fail("too many gateways (at most %d in all edges)", maxGateways)
				}
				e.Gateways = append(e.Gateways, ip)
			}
		case "signalling":
			for _, s := range splitList(val) {
				pfx, err := netip.ParsePrefix(s)
				if err != nil || pfx.Addr().Is4In6() {
					return fail("bad CIDR %q", s)
				}
				if pfx != pfx.Masked() {
					return fail("CIDR %q has host bits set (the network is %s)", s, pfx.Masked())
				}
				if len(p.rs.public)+len(e.Signalling) >= maxSignalling {
					return fail("too many signalling CIDRs (at most %d in all edges)", maxSignalling)
				}
				e.Signalling = append(e.Signalling, pfx)
			}
		case "label":
			e.Label = val
		case "sources":
			for _, s := range splitList(val) {
				if !validSourceKey(s) {
					return fail("bad source key %q", s)
				}
				e.Sources = append(e.Sources, s)
				p.srcRefs = append(p.srcRefs, sourceRef{key: s, line: p.line})
			}
		default:
			return fail("unknown key %q (kind, legacy, aliases, gateways, signalling, label, sources)", key)
		}
	}
	if err := p.checkEdge(e, fail); err != nil {
		return err
	}
	p.rs.edges = append(p.rs.edges, e)
	for _, n := range e.names() {
		p.names[n] = p.line
		p.rs.byName[n] = e
	}
	for _, ip := range e.Gateways {
		p.gateways[ip] = p.line
		p.rs.gateways[ip] = e
	}
	for _, pfx := range e.Signalling {
		p.rs.public = append(p.rs.public, publicRange{prefix: pfx, edge: e})
	}
	return nil
}

// names returns the edge's canonical name, legacy code and aliases.
func (e *Edge) names() []string {
	n := []string{e.Name}
	if e.Legacy != "" {
		n = append(n, e.Legacy)
	}
	return append(n, e.Aliases...)
}

// checkEdge checks one edge against its kind and against the edges before it.
func (p *parser) checkEdge(e *Edge, fail func(string, ...any) error) error {
	switch e.Kind {
	case 0:
		return fail("missing kind=")
	case EdgeInterconnect:
		if len(e.Gateways) == 0 {
			return fail("an interconnect edge needs gateways=")
		}
		if len(e.Signalling) > 0 {
			return fail("signalling= is for public edges (an interconnect edge has gateways=)")
		}
	case EdgePublic:
		if len(e.Signalling) == 0 {
			return fail("a public edge needs signalling=")
		}
		if len(e.Gateways) > 0 {
			return fail("gateways= is for interconnect edges (a public edge has signalling=)")
		}
	case EdgeMediaOnly:
		if len(e.Gateways) > 0 || len(e.Signalling) > 0 {
			return fail("a media-only edge has neither gateways= nor signalling=")
		}
	}
	local := map[string]bool{}
	for _, n := range e.names() {
		ix := strings.HasSuffix(n, "-ix")
		switch {
		case e.Kind == EdgeInterconnect && !ix:
			return fail("interconnect edge names and codes end in -ix: %q", n)
		case e.Kind == EdgePublic && ix:
			return fail("public edge names and codes do not end in -ix: %q", n)
		}
		if local[n] {
			return fail("name %q given twice", n)
		}
		local[n] = true
		if prev, ok := p.names[n]; ok {
			return fail("name %q already names the edge on line %d", n, prev)
		}
	}
	seen := map[netip.Addr]bool{}
	for _, ip := range e.Gateways {
		if seen[ip] {
			return fail("gateway %s given twice", ip)
		}
		seen[ip] = true
		if prev, ok := p.gateways[ip]; ok {
			return fail("gateway %s is already a gateway of the edge on line %d", ip, prev)
		}
	}
	for i, pfx := range e.Signalling {
		for _, q := range e.Signalling[:i] {
			if pfx.Overlaps(q) {
				return fail("signalling %s overlaps %s", pfx, q)
			}
		}
		for _, r := range p.rs.public {
			if pfx.Overlaps(r.prefix) {
				return fail("signalling %s overlaps %s of edge %q (line %d)", pfx, r.prefix, r.edge.Name, r.edge.line)
			}
		}
	}
	return nil
}

func (p *parser) mediaRange(args []string) error {
	if len(args) == 0 {
		return p.errorf("want \"media-range CIDR...\"")
	}
	for _, s := range args {
		pfx, err := netip.ParsePrefix(s)
		if err != nil || pfx.Addr().Is4In6() {
			return p.errorf("media-range: bad CIDR %q", s)
		}
		if pfx != pfx.Masked() {
			return p.errorf("media-range: CIDR %q has host bits set (the network is %s)", s, pfx.Masked())
		}
		for i, q := range p.rs.media {
			if pfx.Overlaps(q) {
				return p.errorf("media-range: %s overlaps %s (line %d)", pfx, q, p.mediaLine[i])
			}
		}
		if len(p.rs.media) >= maxMediaRanges {
			return p.errorf("media-range: too many ranges (at most %d)", maxMediaRanges)
		}
		p.rs.media = append(p.rs.media, pfx)
		p.mediaLine = append(p.mediaLine, p.line)
	}
	return nil
}

func (p *parser) mediaPorts(args []string) error {
	if len(args) != 1 {
		return p.errorf("want \"media-ports LOW-HIGH\"")
	}
	lo, hi, ok := strings.Cut(args[0], "-")
	l, err1 := parsePort(lo)
	h, err2 := parsePort(hi)
	if !ok || err1 != nil || err2 != nil || l > h {
		return p.errorf("media-ports: bad range %q, want LOW-HIGH with 1 <= LOW <= HIGH <= 65535", args[0])
	}
	p.rs.mediaLo, p.rs.mediaHi = l, h
	return nil
}

func (p *parser) signallingPort(args []string) error {
	if len(args) != 2 {
		return p.errorf("want \"signalling-port udp|tcp|tls PORT\"")
	}
	t := strings.ToLower(args[0])
	if t != "udp" && t != "tcp" && t != "tls" {
		return p.errorf("signalling-port: bad transport %q (udp, tcp or tls)", args[0])
	}
	port, err := parsePort(args[1])
	if err != nil {
		return p.errorf("signalling-port: bad port %q", args[1])
	}
	sp := signallingPort{transport: t, port: port}
	if prev, ok := p.ports[sp]; ok {
		return p.errorf("signalling-port %s %d: duplicate (first on line %d)", t, port, prev)
	}
	if len(p.rs.sigPorts) >= maxSignallingPorts {
		return p.errorf("too many signalling-port lines (at most %d)", maxSignallingPorts)
	}
	p.ports[sp] = p.line
	p.rs.sigPorts = append(p.rs.sigPorts, sp)
	return nil
}

func (p *parser) suites(d string, args []string) error {
	if len(args) == 0 {
		return p.errorf("want \"%s SUITE...\"", d)
	}
	if len(args) > maxSuites {
		return p.errorf("%s: too many suites (at most %d)", d, maxSuites)
	}
	var list []string
	for i, s := range args {
		if !validSuite(s) {
			return p.errorf("%s: bad suite %q (letters, digits and '_')", d, s)
		}
		for _, prev := range args[:i] {
			if strings.EqualFold(prev, s) {
				return p.errorf("%s: suite %s given twice", d, s)
			}
		}
		list = append(list, s)
	}
	if d == "srtp-offer" {
		p.rs.offered = list
	} else {
		p.rs.accepted = list
	}
	return nil
}

func (p *parser) severity(args []string) error {
	if len(args) != 2 {
		return p.errorf("want \"severity RULE error|warning|info\"")
	}
	id, sev := args[0], args[1]
	if _, ok := catalogueIndex[id]; !ok {
		return p.errorf("severity: unknown rule %q", id)
	}
	if !validSeverity(sev) {
		return p.errorf("severity %s: bad severity %q (error, warning or info)", id, sev)
	}
	if prev, ok := p.sevLines[id]; ok {
		return p.errorf("severity %s: duplicate (first on line %d)", id, prev)
	}
	p.sevLines[id] = p.line
	p.rs.severities[id] = sev
	return nil
}

// finish checks what needs the whole file: required lines, cross-references, overlaps
// between lines, and fills the severities the file did not set.
func (p *parser) finish() error {
	for _, d := range []string{"ruleset", "facts-read", "domain", "media-ports", "srtp-offer", "srtp-accept"} {
		if _, ok := p.directive[d]; !ok {
			return p.errorAt(0, "missing %q line", d)
		}
	}
	rs := p.rs
	if len(rs.media) == 0 {
		return p.errorAt(0, "missing \"media-range\" line")
	}
	if len(rs.sigPorts) == 0 {
		return p.errorAt(0, "missing \"signalling-port\" line")
	}
	ix := false
	for _, e := range rs.edges {
		ix = ix || e.Kind == EdgeInterconnect
	}
	if !ix {
		return p.errorAt(0, "no interconnect edge")
	}
	for _, ref := range p.srcRefs {
		if _, ok := p.srcKeys[ref.key]; !ok {
			return p.errorAt(ref.line, "unknown source key %q (no \"source %s URL\" line)", ref.key, ref.key)
		}
	}
	for _, e := range rs.edges {
		for _, ip := range e.Gateways {
			for _, r := range rs.public {
				if r.prefix.Contains(ip) {
					return p.errorAt(e.line, "edge %q: gateway %s is inside signalling %s of public edge %q (line %d)",
						e.Name, ip, r.prefix, r.edge.Name, r.edge.line)
				}
			}
			for i, m := range rs.media {
				if m.Contains(ip) {
					return p.errorAt(e.line, "edge %q: gateway %s is inside the media range %s (line %d)", e.Name, ip, m, p.mediaLine[i])
				}
			}
		}
		for _, pfx := range e.Signalling {
			for i, m := range rs.media {
				if m.Overlaps(pfx) {
					return p.errorAt(e.line, "edge %q: signalling %s overlaps the media range %s (line %d)", e.Name, pfx, m, p.mediaLine[i])
				}
			}
		}
	}
	for i := range rs.hosts {
		if err := p.compileHost(&rs.hosts[i]); err != nil {
			return err
		}
	}
	for _, r := range catalogue {
		if _, ok := rs.severities[r.ID]; !ok {
			rs.severities[r.ID] = r.Default
		}
	}
	return nil
}

// splitFields splits a line into whitespace-separated fields. A double-quoted part of a field
// may hold blanks and '#'; a field that starts with '#' starts a comment.
func splitFields(line string) ([]string, error) {
	var fields []string
	i := 0
	for {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		if i == len(line) || line[i] == '#' {
			return fields, nil
		}
		start := i
		quoted := false
		for i < len(line) && (quoted || (line[i] != ' ' && line[i] != '\t')) {
			switch {
			case line[i] == '\\' && quoted:
				i++ // skip the escaped byte
			case line[i] == '"':
				quoted = !quoted
			}
			i++
		}
		if quoted || i > len(line) {
			return nil, errors.New("unterminated quoted string")
		}
		fields = append(fields, line[start:i])
	}
}

// unquote returns a value as written, or the content of a double-quoted value (with Go
// escapes). An unquoted value may not contain '"'.
func unquote(v string) (string, error) {
	if strings.HasPrefix(v, `"`) {
		s, err := strconv.Unquote(v)
		if err != nil {
			return "", fmt.Errorf("bad quoted string %s", v)
		}
		if !utf8.ValidString(s) {
			return "", fmt.Errorf("quoted string %s is not valid UTF-8", v)
		}
		return s, nil
	}
	if strings.ContainsAny(v, `"\`) {
		return "", fmt.Errorf("bad value %s (quote it)", v)
	}
	return v, nil
}

// splitList splits a comma-separated list; empty items are kept so that they are refused.
func splitList(s string) []string {
	return strings.Split(s, ",")
}

func parsePort(s string) (uint16, error) {
	n, err := strconv.ParseUint(s, 10, 16)
	if err != nil || n == 0 {
		return 0, errors.New("bad port")
	}
	return uint16(n), nil
}

// validLabel reports whether s is a lower-case DNS label: letters, digits and '-', not at
// either end, 1 to 63 bytes.
func validLabel(s string) bool {
	if len(s) == 0 || len(s) > maxLabel || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// validDomain reports whether s is one or more lower-case labels joined by dots.
func validDomain(s string) bool {
	if len(s) > 253 {
		return false
	}
	for _, l := range strings.Split(s, ".") {
		if !validLabel(l) {
			return false
		}
	}
	return true
}

func validVersion(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("._-+", c) >= 0) {
			return false
		}
	}
	return true
}

func validSourceKey(s string) bool {
	if len(s) == 0 || len(s) > 32 || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func validSuite(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}
