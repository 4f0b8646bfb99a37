package ruleset

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// minimal is a small valid rule set; the error cases below change or add one line.
const minimal = `ruleset 1
facts-read 2026-01-02
domain twilio.com
source S-A https://example.com/a
edge a-ix kind=interconnect legacy=x1-ix gateways=192.0.2.1,192.0.2.2 sources=S-A
edge a kind=public legacy=x1 signalling=198.51.100.0/30
media-range 203.0.113.0/24
media-ports 10000-60000
signalling-port udp 5060
srtp-offer S_80
srtp-accept S_80 S_32
host ix-termination {trunk}.pstn.{ix-edge}.twilio.com
`

// withLine returns minimal with line n (1-based) replaced by text, or text appended when n
// is 0; "" as text deletes the line.
func withLine(n int, text string) string {
	lines := strings.Split(strings.TrimSuffix(minimal, "\n"), "\n")
	switch {
	case n == 0:
		lines = append(lines, text)
	case text == "":
		lines = append(lines[:n-1], lines[n:]...)
	default:
		lines[n-1] = text
	}
	return strings.Join(lines, "\n") + "\n"
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		name, file, want string
	}{
		{"bad gateway", withLine(0, `edge b-ix kind=interconnect gateways=208.78.112.300`), `r.rules:13: edge "b-ix": bad address "208.78.112.300"`},
		{"gateway with zone", withLine(0, `edge b-ix kind=interconnect gateways=fe80::1%eth0`), `r.rules:13: edge "b-ix": bad address "fe80::1%eth0"`},
		{"mapped gateway", withLine(0, `edge b-ix kind=interconnect gateways=::ffff:192.0.2.9`), `r.rules:13: edge "b-ix": bad address`},
		{"empty gateway", withLine(0, `edge b-ix kind=interconnect gateways=192.0.2.9,`), `r.rules:13: edge "b-ix": bad address ""`},
		{"same edge twice", withLine(0, `edge a-ix kind=interconnect gateways=192.0.2.9`), `r.rules:13: edge "a-ix": name "a-ix" already names the edge on line 5`},
		{"legacy code reused", withLine(0, `edge b-ix kind=interconnect legacy=x1-ix gateways=192.0.2.9`), `r.rules:13: edge "b-ix": name "x1-ix" already names the edge on line 5`},
		{"name is another's code", withLine(0, `edge x1 kind=public signalling=198.51.100.8/30`), `r.rules:13: edge "x1": name "x1" already names the edge on line 6`},
		{"name given twice", withLine(0, `edge b-ix kind=interconnect legacy=b-ix gateways=192.0.2.9`), `r.rules:13: edge "b-ix": name "b-ix" given twice`},
		{"address on two edges", withLine(0, `edge b-ix kind=interconnect gateways=192.0.2.2`), `r.rules:13: edge "b-ix": gateway 192.0.2.2 is already a gateway of the edge on line 5`},
		{"address twice on one edge", withLine(0, `edge b-ix kind=interconnect gateways=192.0.2.9,192.0.2.9`), `r.rules:13: edge "b-ix": gateway 192.0.2.9 given twice`},
		{"gateway in public CIDR", withLine(0, `edge b-ix kind=interconnect gateways=198.51.100.2`), `r.rules:13: edge "b-ix": gateway 198.51.100.2 is inside signalling 198.51.100.0/30 of public edge "a" (line 6)`},
		{"gateway in media range", withLine(0, `edge b-ix kind=interconnect gateways=203.0.113.7`), `r.rules:13: edge "b-ix": gateway 203.0.113.7 is inside the media range 203.0.113.0/24 (line 7)`},
		{"media range added after gateway", withLine(0, `media-range 192.0.2.0/24`), `r.rules:5: edge "a-ix": gateway 192.0.2.1 is inside the media range 192.0.2.0/24 (line 13)`},
		{"public CIDRs overlap", withLine(0, `edge b kind=public signalling=198.51.100.0/29`), `r.rules:13: edge "b": signalling 198.51.100.0/29 overlaps 198.51.100.0/30 of edge "a" (line 6)`},
		{"public CIDR in media range", withLine(0, `edge b kind=public signalling=203.0.113.0/30`), `r.rules:13: edge "b": signalling 203.0.113.0/30 overlaps the media range 203.0.113.0/24 (line 7)`},
		{"CIDR host bits", withLine(0, `edge b kind=public signalling=198.51.100.5/30`), `r.rules:13: edge "b": CIDR "198.51.100.5/30" has host bits set (the network is 198.51.100.4/30)`},
		{"bad CIDR", withLine(0, `edge b kind=public signalling=198.51.100.0/33`), `r.rules:13: edge "b": bad CIDR "198.51.100.0/33"`},
		{"public edge named -ix", withLine(0, `edge b-ix kind=public signalling=198.51.100.8/30`), `r.rules:13: edge "b-ix": public edge names and codes do not end in -ix: "b-ix"`},
		{"interconnect edge without -ix", withLine(0, `edge b kind=interconnect gateways=192.0.2.9`), `r.rules:13: edge "b": interconnect edge names and codes end in -ix: "b"`},
		{"interconnect legacy without -ix", withLine(0, `edge b-ix kind=interconnect legacy=y1 gateways=192.0.2.9`), `r.rules:13: edge "b-ix": interconnect edge names and codes end in -ix: "y1"`},
		{"interconnect without gateways", withLine(0, `edge b-ix kind=interconnect`), `r.rules:13: edge "b-ix": an interconnect edge needs gateways=`},
		{"interconnect with signalling", withLine(0, `edge b-ix kind=interconnect gateways=192.0.2.9 signalling=198.51.100.8/30`), `r.rules:13: edge "b-ix": signalling= is for public edges`},
		{"public without signalling", withLine(0, `edge b kind=public`), `r.rules:13: edge "b": a public edge needs signalling=`},
		{"public with gateways", withLine(0, `edge b kind=public signalling=198.51.100.8/30 gateways=192.0.2.9`), `r.rules:13: edge "b": gateways= is for interconnect edges`},
		{"media-only with gateways", withLine(0, `edge r kind=media-only gateways=192.0.2.9`), `r.rules:13: edge "r": a media-only edge has neither gateways= nor signalling=`},
		{"no kind", withLine(0, `edge b-ix gateways=192.0.2.9`), `r.rules:13: edge "b-ix": missing kind=`},
		{"bad kind", withLine(0, `edge b-ix kind=private gateways=192.0.2.9`), `r.rules:13: edge "b-ix": bad kind "private"`},
		{"unknown key", withLine(0, `edge b-ix kind=interconnect gateways=192.0.2.9 colour=red`), `r.rules:13: edge "b-ix": unknown key "colour"`},
		{"duplicate key", withLine(0, `edge b-ix kind=interconnect gateways=192.0.2.9 kind=interconnect`), `r.rules:13: edge "b-ix": duplicate "kind"`},
		{"not key=value", withLine(0, `edge b-ix kind=interconnect 192.0.2.9`), `r.rules:13: edge "b-ix": want key=value, got "192.0.2.9"`},
		{"bad edge name", withLine(0, `edge b_x kind=public signalling=198.51.100.8/30`), `r.rules:13: edge: bad name "b_x"`},
		{"no edge name", withLine(0, `edge`), `r.rules:13: want "edge NAME kind=... "`},
		{"bad alias", withLine(0, `edge r kind=media-only aliases=a,,b`), `r.rules:13: edge "r": bad alias ""`},
		{"unterminated quote", withLine(0, `edge b-ix kind=interconnect gateways=192.0.2.9 label="London`), `r.rules:13: unterminated quoted string`},
		{"bad quoted string", withLine(0, `edge b-ix kind=interconnect gateways=192.0.2.9 label="a\q"`), `r.rules:13: edge "b-ix": label: bad quoted string "a\q"`},
		{"stray quote", withLine(0, `edge b-ix kind=interconnect gateways=192.0.2.9 label=a"b"`), `r.rules:13: edge "b-ix": label: bad value a"b" (quote it)`},
		{"unknown source key", withLine(0, `edge b-ix kind=interconnect gateways=192.0.2.9 sources=S-A,S-NOPE`), `r.rules:13: unknown source key "S-NOPE"`},
		{"bad source key", withLine(0, `edge b-ix kind=interconnect gateways=192.0.2.9 sources=s-a`), `r.rules:13: edge "b-ix": bad source key "s-a"`},
		{"duplicate source", withLine(0, `source S-A https://example.com/b`), `r.rules:13: source S-A: duplicate (first on line 4)`},
		{"source URL", withLine(0, `source S-B ftp://example.com/b`), `r.rules:13: source S-B: bad URL "ftp://example.com/b"`},
		{"source arity", withLine(0, `source S-B`), `r.rules:13: want "source KEY URL"`},
		{"duplicate ruleset", withLine(0, `ruleset 2`), `r.rules:13: duplicate "ruleset" line (first on line 1)`},
		{"bad version", withLine(1, `ruleset 1/2`), `r.rules:1: want "ruleset VERSION"`},
		{"bad date", withLine(2, `facts-read 2026-13-01`), `r.rules:2: facts-read: bad date "2026-13-01", want YYYY-MM-DD`},
		{"short date", withLine(2, `facts-read 2026-1-02`), `r.rules:2: facts-read: bad date "2026-1-02"`},
		{"bad domain", withLine(3, `domain twilio..com`), `r.rules:3: domain: bad name "twilio..com"`},
		{"one-label domain", withLine(3, `domain com`), `r.rules:3: domain: bad name "com"`},
		{"media ranges overlap", withLine(0, `media-range 203.0.113.128/25`), `r.rules:13: media-range: 203.0.113.128/25 overlaps 203.0.113.0/24 (line 7)`},
		{"media range host bits", withLine(0, `media-range 10.0.0.1/8`), `r.rules:13: media-range: CIDR "10.0.0.1/8" has host bits set (the network is 10.0.0.0/8)`},
		{"media range garbage", withLine(0, `media-range everything`), `r.rules:13: media-range: bad CIDR "everything"`},
		{"duplicate media-ports", withLine(0, `media-ports 1-2`), `r.rules:13: duplicate "media-ports" line (first on line 8)`},
		{"reversed media-ports", withLine(8, `media-ports 60000-10000`), `r.rules:8: media-ports: bad range "60000-10000"`},
		{"media port zero", withLine(8, `media-ports 0-10`), `r.rules:8: media-ports: bad range "0-10"`},
		{"media port too big", withLine(8, `media-ports 10000-65536`), `r.rules:8: media-ports: bad range "10000-65536"`},
		{"media port one number", withLine(8, `media-ports 10000`), `r.rules:8: media-ports: bad range "10000"`},
		{"duplicate signalling-port", withLine(0, `signalling-port UDP 5060`), `r.rules:13: signalling-port udp 5060: duplicate (first on line 9)`},
		{"bad transport", withLine(0, `signalling-port sctp 5060`), `r.rules:13: signalling-port: bad transport "sctp"`},
		{"bad port", withLine(0, `signalling-port tls 70000`), `r.rules:13: signalling-port: bad port "70000"`},
		{"duplicate srtp-offer", withLine(0, `srtp-offer S_32`), `r.rules:13: duplicate "srtp-offer" line (first on line 10)`},
		{"suite twice", withLine(11, `srtp-accept S_80 s_80`), `r.rules:11: srtp-accept: suite s_80 given twice`},
		{"bad suite", withLine(11, `srtp-accept S-80`), `r.rules:11: srtp-accept: bad suite "S-80"`},
		{"no suite", withLine(11, `srtp-accept`), `r.rules:11: want "srtp-accept SUITE..."`},
		{"duplicate host", withLine(0, `host ix-termination {TRUNK}.pstn.{ix-edge}.twilio.com.`), `r.rules:13: host {TRUNK}.pstn.{ix-edge}.twilio.com.: duplicate pattern (first on line 12)`},
		{"host slot of other kind", withLine(0, `host public-termination {trunk}.pstn.{ix-edge}.twilio.com`), `r.rules:13: host {trunk}.pstn.{ix-edge}.twilio.com: {ix-edge} does not belong in a public-termination pattern`},
		{"host trunk not first", withLine(0, `host sip-domain a.{trunk}.sip.twilio.com`), `r.rules:13: host a.{trunk}.sip.twilio.com: {trunk} may only be the first label`},
		{"host two slots", withLine(0, `host sip-domain {trunk}.sip.{edge}.{edge}.twilio.com`), `r.rules:13: host {trunk}.sip.{edge}.{edge}.twilio.com: more than one edge slot`},
		{"host other domain", withLine(0, `host sip-domain {trunk}.sip.example.com`), `r.rules:13: host {trunk}.sip.example.com: pattern must be labels in front of the domain twilio.com`},
		{"host only domain", withLine(0, `host sip-domain twilio.com`), `r.rules:13: host twilio.com: pattern must be labels in front of the domain twilio.com`},
		{"ix pattern without slot", withLine(0, `host ix-termination {trunk}.pstn.twilio.com`), `r.rules:13: host {trunk}.pstn.twilio.com: an ix-termination pattern needs {ix-edge}`},
		{"host bad label", withLine(0, `host sip-domain {trunk}.s*p.twilio.com`), `r.rules:13: host {trunk}.s*p.twilio.com: bad label "s*p"`},
		{"host empty label", withLine(0, `host sip-domain {trunk}..twilio.com`), `r.rules:13: host {trunk}..twilio.com: bad label ""`},
		{"host bad kind", withLine(0, `host weird {trunk}.twilio.com`), `r.rules:13: host: bad kind "weird"`},
		{"unknown rule", withLine(0, `severity no-such-rule error`), `r.rules:13: severity: unknown rule "no-such-rule"`},
		{"bad severity", withLine(0, `severity media-one-way fatal`), `r.rules:13: severity media-one-way: bad severity "fatal" (error, warning or info)`},
		{"duplicate severity", withLine(12, "severity media-one-way error\nseverity media-one-way info"), `r.rules:13: severity media-one-way: duplicate (first on line 12)`},
		{"unknown directive", withLine(0, `frobnicate 1`), `r.rules:13: unknown directive "frobnicate"`},
		{"not UTF-8", withLine(0, "# caf\xe9"), `r.rules:13: not valid UTF-8`},
		{"long line", withLine(0, "#"+strings.Repeat("x", maxLineLen)), fmt.Sprintf("r.rules:13: line longer than %d bytes", maxLineLen)},
		{"missing media-ports", withLine(8, ""), `r.rules: missing "media-ports" line`},
		{"missing ruleset", withLine(1, ""), `r.rules: missing "ruleset" line`},
		{"missing media-range", withLine(7, ""), `r.rules: missing "media-range" line`},
		{"missing signalling-port", withLine(9, ""), `r.rules: missing "signalling-port" line`},
		{"no interconnect edge", withLine(5, ""), `r.rules: no interconnect edge`},
		{"empty file", "", `r.rules: missing "ruleset" line`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rs, err := Parse(strings.NewReader(c.file), "r.rules")
			if err == nil {
				t.Fatalf("Parse succeeded (%d edges), want error %q\nfile:\n%s", len(rs.Edges()), c.want, c.file)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error\n got %q\nwant %q", err, c.want)
			}
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Name != "r.rules" {
				t.Errorf("error %T is not a *ParseError naming the file", err)
			}
		})
	}
}

// TestParseLenient checks what the format allows: comments, blank lines, CRLF, tabs, any
// case in names, quoted values with blanks and '#', fields in any order, optional lines.
func TestParseLenient(t *testing.T) {
	file := "# a comment\r\n\r\n" +
		"\truleset   1.0-beta   # trailing comment\r\n" +
		"facts-read 2026-01-02\n" +
		"domain Twilio.COM.\n" +
		"source S-A https://example.com/a#fragment\n" +
		`edge A-IX gateways=192.0.2.1 kind=interconnect label="Ashburn, VA # not a comment" legacy=X1-IX` + "\n" +
		"media-range 203.0.113.0/24 2001:db8::/32\n" +
		"media-ports 10000-10000\n" +
		"signalling-port TLS 5061\n" +
		"srtp-offer S_80\nsrtp-accept S_80\n" +
		"host ix-termination {Trunk}.PSTN.{IX-Edge}.twilio.com.\n" +
		"severity media-one-way error\n"
	rs, err := Parse(strings.NewReader(file), "lenient.rules")
	if err != nil {
		t.Fatal(err)
	}
	e, ok := rs.Edge([]byte("x1-ix"))
	if !ok || e.Name != "a-ix" || e.Label != "Ashburn, VA # not a comment" || e.Legacy != "x1-ix" {
		t.Errorf("edge = %+v", e)
	}
	if rs.Version() != "1.0-beta" || rs.Domain() != "twilio.com" || rs.Sources()[0].URL != "https://example.com/a#fragment" {
		t.Errorf("version %q domain %q sources %v", rs.Version(), rs.Domain(), rs.Sources())
	}
	if !rs.InMediaRange(netip.MustParseAddr("2001:db8::5")) || !rs.MediaPortOK(10000) || rs.MediaPortOK(10001) {
		t.Error("media range or ports not as written")
	}
	if rs.Severity(RuleMediaOneWay) != "error" || rs.Severity(RuleURILegacyHost) != "warning" {
		t.Errorf("severities: media-one-way %q (set to error), uri-legacy-host %q (default warning)",
			rs.Severity(RuleMediaOneWay), rs.Severity(RuleURILegacyHost))
	}
	if h := rs.Host([]byte("t.pstn.x1-ix.twilio.com")); h.Kind != HostIXTermination || h.Edge != e || !h.Legacy {
		t.Errorf("Host = %+v", describe(h))
	}
	if rs.Peer(netip.MustParseAddr("192.0.2.1")).Edge != e {
		t.Error("gateway not found")
	}
}

// cmpRuleSet compares two rule sets by content: not where they were read from, nor the
// line numbers things were read on.
func cmpRuleSet(a, b *RuleSet) string {
	return cmp.Diff(a, b,
		cmp.AllowUnexported(RuleSet{}, Edge{}, hostPattern{}, token{}, publicRange{}, signallingPort{}),
		cmp.Comparer(func(x, y netip.Addr) bool { return x == y }),
		cmp.Comparer(func(x, y netip.Prefix) bool { return x == y }),
		// byName, gateways and public are indexes built from edges; checkIndexes checks them.
		cmpopts.IgnoreFields(RuleSet{}, "source", "sum", "byName", "gateways", "public"),
		cmpopts.IgnoreFields(Edge{}, "line"),
		cmpopts.IgnoreFields(hostPattern{}, "line"),
		cmpopts.EquateEmpty(),
	)
}

// content returns what a rule set holds, without where and on which lines it was read, for
// a fast reflect.DeepEqual (cmpRuleSet explains a difference, but takes milliseconds).
func content(rs *RuleSet) any {
	c := *rs
	c.source, c.sum = "", ""
	c.byName, c.gateways, c.public = nil, nil, nil
	c.edges = nil
	var edges []Edge
	for _, e := range rs.edges {
		v := *e
		v.line = 0
		edges = append(edges, v)
	}
	c.hosts = nil
	for _, h := range rs.hosts {
		h.line = 0
		c.hosts = append(c.hosts, h)
	}
	return struct {
		RS    RuleSet
		Edges []Edge
	}{c, edges}
}

// checkIndexes checks that the lookup indexes hold exactly what the edges say.
func checkIndexes(t *testing.T, rs *RuleSet) {
	t.Helper()
	names, gateways, public := 0, 0, 0
	for _, e := range rs.edges {
		for _, n := range e.names() {
			if rs.byName[n] != e {
				t.Fatalf("byName[%q] = %v, want edge %s", n, rs.byName[n], e.Name)
			}
			names++
		}
		for _, ip := range e.Gateways {
			if rs.gateways[ip] != e {
				t.Fatalf("gateways[%s] = %v, want edge %s", ip, rs.gateways[ip], e.Name)
			}
			gateways++
		}
		for _, p := range e.Signalling {
			if rs.public[public].prefix != p || rs.public[public].edge != e {
				t.Fatalf("public[%d] = %v, want %s of edge %s", public, rs.public[public], p, e.Name)
			}
			public++
		}
	}
	if len(rs.byName) != names || len(rs.gateways) != gateways || len(rs.public) != public {
		t.Fatalf("indexes hold %d names, %d gateways, %d public ranges; edges have %d, %d, %d",
			len(rs.byName), len(rs.gateways), len(rs.public), names, gateways, public)
	}
}

// roundTrip writes rs, parses the result, writes that again, and reports any difference.
func roundTrip(t *testing.T, rs *RuleSet) {
	t.Helper()
	var first bytes.Buffer
	n, err := rs.WriteTo(&first)
	if err != nil || n != int64(first.Len()) {
		t.Fatalf("WriteTo = %d, %v; wrote %d bytes", n, err, first.Len())
	}
	back, err := Parse(bytes.NewReader(first.Bytes()), "written")
	if err != nil {
		t.Fatalf("Parse(WriteTo(rs)): %v\n%s", err, first.String())
	}
	if !reflect.DeepEqual(content(rs), content(back)) {
		t.Fatalf("Parse(WriteTo(rs)) differs (-rs +back):\n%s", cmpRuleSet(rs, back))
	}
	checkIndexes(t, rs)
	checkIndexes(t, back)
	var second bytes.Buffer
	if _, err := back.WriteTo(&second); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(first.String(), second.String()); d != "" {
		t.Fatalf("WriteTo is not stable (-first +second):\n%s", d)
	}
}

func TestRoundTripDefault(t *testing.T) {
	roundTrip(t, Default())
}

func TestRoundTripEdited(t *testing.T) {
	// What a user does: print the rules, change a severity and an address, load them back.
	var b bytes.Buffer
	if _, err := Default().WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(b.String(), "208.78.112.66", "208.78.112.67", 1)
	edited = strings.Replace(edited, "severity uri-legacy-host             warning", "severity uri-legacy-host error", 1)
	rs, err := Parse(strings.NewReader(edited), "edited.rules")
	if err != nil {
		t.Fatal(err)
	}
	if p := rs.Peer(netip.MustParseAddr("208.78.112.67")); p.Kind != PeerInterconnect {
		t.Errorf("edited gateway: %v", p.Kind)
	}
	if p := rs.Peer(netip.MustParseAddr("208.78.112.66")); p.Kind != PeerNone {
		t.Errorf("removed gateway: %v", p.Kind)
	}
	if rs.Severity(RuleURILegacyHost) != "error" {
		t.Errorf("edited severity: %q (the canonical form's spacing changed?)", rs.Severity(RuleURILegacyHost))
	}
	roundTrip(t, rs)
	var out bytes.Buffer
	rs.WriteTo(&out)
	if !strings.Contains(out.String(), "(default warning)") {
		t.Error("WriteTo does not note a changed severity's default")
	}
	roundTrip(t, mustParse(t, minimal))
}

func mustParse(t *testing.T, s string) *RuleSet {
	t.Helper()
	rs, err := Parse(strings.NewReader(s), "test.rules")
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func TestLoadAndChecksum(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "my.rules")
	if err := os.WriteFile(path, embedded, 0o644); err != nil {
		t.Fatal(err)
	}
	rs, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if rs.Source() != path || rs.SHA256() != Default().SHA256() {
		t.Errorf("Load: Source %q SHA256 %s; want %q and the embedded file's %s", rs.Source(), rs.SHA256(), path, Default().SHA256())
	}
	if d := cmpRuleSet(rs, Default()); d != "" {
		t.Errorf("Load of the embedded bytes differs:\n%s", d)
	}
	// A known checksum: the SHA-256 of minimal, computed by sha256sum.
	if got := mustParse(t, minimal).SHA256(); got != minimalSHA256 {
		t.Errorf("SHA256(minimal) = %s, want %s", got, minimalSHA256)
	}
	if _, err := Load(filepath.Join(dir, "missing.rules")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load(missing) = %v, want ErrNotExist", err)
	}
	if a, b := Default(), Default(); a != b {
		t.Error("Default returns a new RuleSet each call")
	}
}

func TestParseTooLarge(t *testing.T) {
	big := minimal + strings.Repeat("# padding\n", MaxFileSize/10+1)
	_, err := Parse(strings.NewReader(big), "big.rules")
	if !errors.Is(err, ErrTooLarge) || !strings.HasPrefix(err.Error(), "big.rules: ") {
		t.Errorf("Parse(%d bytes) = %v, want ErrTooLarge naming the file", len(big), err)
	}
	// Exactly MaxFileSize bytes is fine.
	pad := MaxFileSize - len(minimal)
	ok := minimal + strings.Repeat("#########\n", pad/10) + strings.Repeat("#", pad%10)
	if len(ok) != MaxFileSize {
		t.Fatalf("test bug: %d bytes", len(ok))
	}
	if _, err := Parse(strings.NewReader(ok), "max.rules"); err != nil {
		t.Errorf("Parse(MaxFileSize bytes) = %v", err)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestParseReadError(t *testing.T) {
	_, err := Parse(errReader{}, "r.rules")
	if err == nil || !strings.Contains(err.Error(), "r.rules: disk on fire") {
		t.Errorf("Parse(failing reader) = %v", err)
	}
}

// minimalSHA256 is `sha256sum` of minimal written to a file.
const minimalSHA256 = "9ca3905eebd455c3cc76b684a63347f0bcb2e1c48f7a914587b9bec4104acb53"

// TestContentSeesDifferences guards the round-trip comparison itself: rule sets that differ
// in one fact must not compare equal.
func TestContentSeesDifferences(t *testing.T) {
	base := mustParse(t, minimal)
	if !reflect.DeepEqual(content(base), content(mustParse(t, "# moved down a line\n"+minimal))) {
		t.Fatal("the same facts on other lines compare different")
	}
	for _, edit := range []string{
		withLine(5, `edge a-ix kind=interconnect legacy=x1-ix gateways=192.0.2.1,192.0.2.3 sources=S-A`),
		withLine(5, `edge a-ix kind=interconnect legacy=x1-ix gateways=192.0.2.1,192.0.2.2 sources=S-A label=x`),
		withLine(5, `edge a-ix kind=interconnect legacy=x1-ix aliases=y1-ix gateways=192.0.2.1,192.0.2.2 sources=S-A`),
		withLine(6, `edge a kind=public legacy=x2 signalling=198.51.100.0/30`),
		withLine(0, `severity media-one-way info`),
		withLine(0, `host sip-domain {trunk}.sip.twilio.com`),
		withLine(8, `media-ports 10000-60001`),
		withLine(11, `srtp-accept S_32 S_80`),
		withLine(0, `signalling-port tcp 5060`),
	} {
		if reflect.DeepEqual(content(base), content(mustParse(t, edit))) {
			t.Errorf("edited rule set compares equal to the original:\n%s", edit)
		}
	}
}

// TestParseLimits checks that a file cannot hold more than the limits, and that the error
// names the line that went over.
func TestParseLimits(t *testing.T) {
	lines := func(n int, f func(i int) string) string {
		var b strings.Builder
		for i := range n {
			b.WriteString(f(i))
			b.WriteByte('\n')
		}
		return b.String()
	}
	list := func(n int, f func(i int) string) string {
		items := make([]string, n)
		for i := range items {
			items[i] = f(i)
		}
		return strings.Join(items, ",")
	}
	cases := []struct {
		name, extra, want string
	}{
		{"edges", lines(maxEdges, func(i int) string { return fmt.Sprintf("edge e%d kind=media-only", i) }),
			fmt.Sprintf("r.rules:%d: too many edges (at most %d)", 13+maxEdges-2, maxEdges)},
		{"gateways", "edge g-ix kind=interconnect gateways=" + list(maxGateways-1, func(i int) string { return fmt.Sprintf("10.0.%d.%d", i/256, i%256) }),
			fmt.Sprintf(`r.rules:13: edge "g-ix": too many gateways (at most %d in all edges)`, maxGateways)},
		{"signalling", "edge g kind=public signalling=" + list(maxSignalling, func(i int) string { return fmt.Sprintf("10.0.%d.%d/32", i/256, i%256) }),
			fmt.Sprintf(`r.rules:13: edge "g": too many signalling CIDRs (at most %d in all edges)`, maxSignalling)},
		{"media ranges", lines(maxMediaRanges, func(i int) string { return fmt.Sprintf("media-range 10.%d.0.0/16", i) }),
			fmt.Sprintf("r.rules:%d: media-range: too many ranges (at most %d)", 13+maxMediaRanges-1, maxMediaRanges)},
		{"host patterns", lines(maxHostPatterns, func(i int) string { return fmt.Sprintf("host sip-domain {trunk}.s%d.twilio.com", i) }),
			fmt.Sprintf("r.rules:%d: too many host lines (at most %d)", 13+maxHostPatterns-1, maxHostPatterns)},
		{"sources", lines(maxSources, func(i int) string { return fmt.Sprintf("source S-%d https://example.com/%d", i, i) }),
			fmt.Sprintf("r.rules:%d: too many source lines (at most %d)", 13+maxSources-1, maxSources)},
		{"signalling ports", lines(maxSignallingPorts, func(i int) string { return fmt.Sprintf("signalling-port tcp %d", i+1) }),
			fmt.Sprintf("r.rules:%d: too many signalling-port lines (at most %d)", 13+maxSignallingPorts-1, maxSignallingPorts)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(minimal+c.extra), "r.rules")
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error\n got %v\nwant %s", err, c.want)
			}
		})
	}
	suites := withLine(11, "srtp-accept "+strings.Join(strings.Fields(lines(maxSuites+1, func(i int) string { return fmt.Sprintf("S_%d", i) })), " "))
	if _, err := Parse(strings.NewReader(suites), "r.rules"); err == nil || !strings.Contains(err.Error(), "r.rules:11: srtp-accept: too many suites") {
		t.Errorf("too many suites: %v", err)
	}
	// At the limits, the file parses.
	atLimit := minimal + lines(maxEdges-2, func(i int) string { return fmt.Sprintf("edge e%d kind=media-only", i) })
	if _, err := Parse(strings.NewReader(atLimit), "r.rules"); err != nil {
		t.Errorf("%d edges: %v", maxEdges, err)
	}
}
