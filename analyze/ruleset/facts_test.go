package ruleset

import (
	"bufio"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// factEdge is one row of FACTS.md's edge tables, as this test transcribes it independently
// of twilio.rules.
type factEdge struct {
	name, legacy string
	addrs        []string // gateways (interconnect) or the signalling CIDR (public)
}

var factsInterconnect = []factEdge{
	{"ashburn-ix", "us1-ix", []string{"208.78.112.64", "208.78.112.65", "208.78.112.66"}},
	{"san-jose-ix", "us2-ix", []string{"67.213.136.64", "67.213.136.65", "67.213.136.66"}},
	{"london-ix", "ie1-ix", []string{"185.187.132.68", "185.187.132.69", "185.187.132.70"}},
	{"frankfurt-ix", "de1-ix", []string{"185.194.136.64", "185.194.136.65", "185.194.136.66"}},
	{"singapore-ix", "sg1-ix", []string{"103.75.151.68", "103.75.151.69", "103.75.151.70"}},
	{"tokyo-ix", "jp1-ix", []string{"103.144.142.68", "103.144.142.69", "103.144.142.70"}},
	{"sydney-ix", "au1-ix", []string{"103.146.214.68", "103.146.214.69", "103.146.214.70"}},
	{"sao-paulo-ix", "br1-ix", []string{"159.183.255.68", "159.183.255.69", "159.183.255.70"}},
}

var factsPublic = []factEdge{
	{"ashburn", "us1", []string{"54.172.60.0/30"}},
	{"umatilla", "us2", []string{"54.244.51.0/30"}},
	{"dublin", "ie1", []string{"54.171.127.192/30"}},
	{"frankfurt", "de1", []string{"35.156.191.128/30"}},
	{"tokyo", "jp1", []string{"54.65.63.192/30"}},
	{"singapore", "sg1", []string{"54.169.127.128/30"}},
	{"sydney", "au1", []string{"54.252.254.64/30"}},
	{"sao-paulo", "br1", []string{"177.71.206.192/30"}},
}

// moduleRoot returns the directory of go.mod, two levels above this package.
func moduleRoot(t testing.TB) string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("runtime.Caller failed")
	}
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// TestEmbeddedHasTheFacts checks the embedded file against this test's own transcription of
// FACTS.md: 8 + 8 edges, 24 gateways, 8 /30s, roaming, the media range and ports, the
// signalling ports, the SRTP suites and a severity for every rule.
func TestEmbeddedHasTheFacts(t *testing.T) {
	rs := Default()
	if rs.Source() != "embedded" || len(rs.SHA256()) != 64 {
		t.Errorf("Source, SHA256 = %q, %q; want \"embedded\" and 64 hex digits", rs.Source(), rs.SHA256())
	}
	if rs.Version() == "" || rs.FactsRead() == "" || rs.Domain() != "twilio.com" {
		t.Errorf("Version, FactsRead, Domain = %q, %q, %q", rs.Version(), rs.FactsRead(), rs.Domain())
	}
	count := map[EdgeKind]int{}
	gateways := 0
	for _, e := range rs.Edges() {
		count[e.Kind]++
		gateways += len(e.Gateways)
	}
	if count[EdgeInterconnect] != 8 || count[EdgePublic] != 8 || count[EdgeMediaOnly] != 1 || gateways != 24 {
		t.Errorf("edges: %d interconnect, %d public, %d media-only, %d gateways; want 8, 8, 1, 24",
			count[EdgeInterconnect], count[EdgePublic], count[EdgeMediaOnly], gateways)
	}
	check := func(kind EdgeKind, want []factEdge) {
		for _, f := range want {
			e, ok := rs.Edge([]byte(f.name))
			if !ok {
				t.Errorf("edge %s missing", f.name)
				continue
			}
			var got []string
			for _, ip := range e.Gateways {
				got = append(got, ip.String())
			}
			for _, p := range e.Signalling {
				got = append(got, p.String())
			}
			if e.Kind != kind || e.Legacy != f.legacy || !slices.Equal(got, f.addrs) || len(e.Sources) == 0 || e.Label == "" {
				t.Errorf("edge %s = kind %v legacy %q addrs %v sources %v label %q; want kind %v legacy %q addrs %v, sources and label",
					f.name, e.Kind, e.Legacy, got, e.Sources, e.Label, kind, f.legacy, f.addrs)
			}
		}
	}
	check(EdgeInterconnect, factsInterconnect)
	check(EdgePublic, factsPublic)
	for _, code := range []string{"roaming", "gll", "gll-ix"} {
		if e, ok := rs.Edge([]byte(code)); !ok || e.Name != "roaming" || e.Kind != EdgeMediaOnly {
			t.Errorf("Edge(%q) = %v, %v; want the media-only edge roaming", code, e, ok)
		}
	}
	if got := rs.MediaRanges(); len(got) != 1 || got[0] != netip.MustParsePrefix("168.86.128.0/18") {
		t.Errorf("MediaRanges = %v, want [168.86.128.0/18]", got)
	}
	if lo, hi := rs.MediaPorts(); lo != 10000 || hi != 60000 {
		t.Errorf("MediaPorts = %d-%d, want 10000-60000", lo, hi)
	}
	if got := len(rs.sigPorts); got != 3 {
		t.Errorf("%d signalling ports, want 3 (udp 5060, tcp 5060, tls 5061)", got)
	}
	if !slices.Equal(rs.offered, []string{"AES_CM_128_HMAC_SHA1_80"}) ||
		!slices.Equal(rs.accepted, []string{"AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32"}) {
		t.Errorf("suites offered %v accepted %v", rs.offered, rs.accepted)
	}
	if len(rs.hosts) != 6 {
		t.Errorf("%d host patterns, want 6", len(rs.hosts))
	}
	// Every rule has its PRODUCT.md default in the embedded file, and every source key a rule
	// or an edge names is declared.
	keys := map[string]bool{}
	for _, s := range rs.Sources() {
		keys[s.Key] = true
	}
	if len(keys) != 15 {
		t.Errorf("%d sources, want the 15 of FACTS.md", len(keys))
	}
	for _, r := range rs.Rules() {
		if r.Severity != r.Default {
			t.Errorf("rule %s: embedded severity %q, default %q", r.ID, r.Severity, r.Default)
		}
		for _, k := range r.Sources {
			if !keys[k] {
				t.Errorf("rule %s names source %s, which the embedded file does not declare", r.ID, k)
			}
		}
	}
}

// TestFactsFileAgrees reads the edge tables of shared/twilio/FACTS.md and checks that this
// test's transcription (and so the embedded file) matches them row by row.
func TestFactsFileAgrees(t *testing.T) {
	path := filepath.Join(moduleRoot(t), "..", "shared", "twilio", "FACTS.md")
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("FACTS.md not available (%v); the embedded file is checked against the test's transcription only", err)
	}
	defer f.Close()
	row := regexp.MustCompile("^\\| `([a-z-]+)` \\| `([a-z0-9-]+)` \\| [^|]+ \\| ([0-9./, ]+) \\|$")
	var ix, pub []factEdge
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m := row.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		fe := factEdge{name: m[1], legacy: m[2]}
		if strings.Contains(m[3], "/") {
			fe.addrs = []string{strings.TrimSpace(m[3])}
			pub = append(pub, fe)
			continue
		}
		// "208.78.112.64, .65, .66": later items replace the last octet.
		parts := strings.Split(m[3], ",")
		first := strings.TrimSpace(parts[0])
		prefix := first[:strings.LastIndexByte(first, '.')]
		fe.addrs = []string{first}
		for _, p := range parts[1:] {
			fe.addrs = append(fe.addrs, prefix+strings.TrimSpace(p))
		}
		ix = append(ix, fe)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	cmpRows := func(what string, got, want []factEdge) {
		if len(got) != len(want) {
			t.Fatalf("FACTS.md has %d %s rows, the test %d", len(got), what, len(want))
		}
		for i := range got {
			if got[i].name != want[i].name || got[i].legacy != want[i].legacy || !slices.Equal(got[i].addrs, want[i].addrs) {
				t.Errorf("%s row %d: FACTS.md %v, test %v", what, i, got[i], want[i])
			}
		}
	}
	cmpRows("interconnect", ix, factsInterconnect)
	cmpRows("public", pub, factsPublic)
}

func TestPeer(t *testing.T) {
	rs := Default()
	for _, f := range factsInterconnect {
		for _, a := range f.addrs {
			ip := netip.MustParseAddr(a)
			for _, addr := range []netip.Addr{ip, netip.AddrFrom16(ip.As16())} { // plain and IPv4-mapped
				if p := rs.Peer(addr); p.Kind != PeerInterconnect || p.Edge == nil || p.Edge.Name != f.name {
					t.Errorf("Peer(%s) = %v %v, want interconnect %s", addr, p.Kind, p.Edge, f.name)
				}
			}
		}
		// The addresses beside the published ones are not gateways.
		first := netip.MustParseAddr(f.addrs[0]).Prev()
		last := netip.MustParseAddr(f.addrs[len(f.addrs)-1]).Next()
		for _, addr := range []netip.Addr{first, last} {
			if p := rs.Peer(addr); p.Kind != PeerNone {
				t.Errorf("Peer(%s) = %v, want none", addr, p.Kind)
			}
		}
	}
	for _, f := range factsPublic {
		pfx := netip.MustParsePrefix(f.addrs[0])
		first := pfx.Addr()
		last := first.Next().Next().Next()
		for _, addr := range []netip.Addr{first, last} {
			if p := rs.Peer(addr); p.Kind != PeerPublic || p.Edge == nil || p.Edge.Name != f.name {
				t.Errorf("Peer(%s) = %v %v, want public %s", addr, p.Kind, p.Edge, f.name)
			}
		}
		for _, addr := range []netip.Addr{first.Prev(), last.Next()} {
			if p := rs.Peer(addr); p.Kind != PeerNone {
				t.Errorf("Peer(%s) just outside %s = %v, want none", addr, pfx, p.Kind)
			}
		}
	}
	media := []struct {
		addr string
		want PeerKind
	}{
		{"168.86.128.0", PeerMedia},
		{"168.86.160.1", PeerMedia},
		{"168.86.191.255", PeerMedia},
		{"::ffff:168.86.191.255", PeerMedia},
		{"168.86.127.255", PeerNone},
		{"168.86.192.0", PeerNone},
		{"54.172.60.4", PeerNone},
		{"10.0.0.1", PeerNone},
		{"2001:db8::1", PeerNone},
		{"::", PeerNone},
	}
	for _, c := range media {
		addr := netip.MustParseAddr(c.addr)
		if p := rs.Peer(addr); p.Kind != c.want || p.Edge != nil {
			t.Errorf("Peer(%s) = %v %v, want %v without edge", c.addr, p.Kind, p.Edge, c.want)
		}
		if got := rs.InMediaRange(addr); got != (c.want == PeerMedia) {
			t.Errorf("InMediaRange(%s) = %v", c.addr, got)
		}
	}
	if p := rs.Peer(netip.Addr{}); p.Kind != PeerNone {
		t.Errorf("Peer(zero Addr) = %v, want none", p.Kind)
	}
}

func TestEdgeLookup(t *testing.T) {
	rs := Default()
	cases := []struct {
		name string
		want string // "" when not found
	}{
		{"ashburn-ix", "ashburn-ix"},
		{"us1-ix", "ashburn-ix"},
		{"US1-IX", "ashburn-ix"},
		{"Ashburn-IX", "ashburn-ix"},
		{"us1", "ashburn"},
		{"ashburn", "ashburn"},
		{"us2", "umatilla"},
		{"br1-ix", "sao-paulo-ix"},
		{"gll-ix", "roaming"},
		{"GLL", "roaming"},
		{"roaming", "roaming"},
		{"dublin-ix", ""},
		{"us1-i", ""},
		{"", ""},
		{"ashburn-ix ", ""},
		{strings.Repeat("a", 200), ""},
	}
	for _, f := range append(factsInterconnect, factsPublic...) {
		cases = append(cases, struct{ name, want string }{f.name, f.name}, struct{ name, want string }{f.legacy, f.name},
			struct{ name, want string }{strings.ToUpper(f.legacy), f.name})
	}
	for _, c := range cases {
		e, ok := rs.Edge([]byte(c.name))
		got := ""
		if e != nil {
			got = e.Name
		}
		if got != c.want || ok != (c.want != "") {
			t.Errorf("Edge(%q) = %q, %v; want %q", c.name, got, ok, c.want)
		}
	}
}

func TestPortsSuitesSeverity(t *testing.T) {
	rs := Default()
	ports := []struct {
		transport string
		port      uint16
		want      bool
	}{
		{"udp", 5060, true}, {"tcp", 5060, true}, {"tls", 5061, true}, {"UDP", 5060, true}, {"TLS", 5061, true},
		{"tls", 5060, false}, {"udp", 5061, false}, {"tcp", 5061, false}, {"udp", 5080, false},
		{"sctp", 5060, false}, {"", 5060, false}, {"udp", 0, false},
	}
	for _, c := range ports {
		if got := rs.SignallingPortOK(c.transport, c.port); got != c.want {
			t.Errorf("SignallingPortOK(%q, %d) = %v, want %v", c.transport, c.port, got, c.want)
		}
	}
	for port, want := range map[uint16]bool{9999: false, 10000: true, 35000: true, 60000: true, 60001: false, 0: false, 65535: false} {
		if got := rs.MediaPortOK(port); got != want {
			t.Errorf("MediaPortOK(%d) = %v, want %v", port, got, want)
		}
	}
	suites := []struct {
		suite            string
		offered, accepts bool
	}{
		{"AES_CM_128_HMAC_SHA1_80", true, true},
		{"aes_cm_128_hmac_sha1_80", true, true},
		{"AES_CM_128_HMAC_SHA1_32", false, true},
		{"AES_256_CM_HMAC_SHA1_80", false, false},
		{"AEAD_AES_128_GCM", false, false},
		{"", false, false},
	}
	for _, c := range suites {
		if got := rs.SuiteOffered([]byte(c.suite)); got != c.offered {
			t.Errorf("SuiteOffered(%q) = %v, want %v", c.suite, got, c.offered)
		}
		if got := rs.SuiteAccepted([]byte(c.suite)); got != c.accepts {
			t.Errorf("SuiteAccepted(%q) = %v, want %v", c.suite, got, c.accepts)
		}
	}
	sev := map[string]string{
		RuleSignallingPublicPath: "error", RuleURILegacyHost: "warning", RuleEvidenceGap: "info",
		RuleMediaOneWay: "warning", "no-such-rule": "", "": "",
	}
	for id, want := range sev {
		if got := rs.Severity(id); got != want {
			t.Errorf("Severity(%q) = %q, want %q", id, got, want)
		}
	}
}

// TestRulesCatalogue checks the catalogue has the 25 rules of PRODUCT.md, each once, with a
// meaning, and that Rules returns a copy.
func TestRulesCatalogue(t *testing.T) {
	rs := Default()
	rules := rs.Rules()
	if len(rules) != 25 {
		t.Fatalf("%d rules, want the 25 of PRODUCT.md", len(rules))
	}
	seen := map[string]bool{}
	for _, r := range rules {
		if seen[r.ID] || r.Meaning == "" || !validSeverity(r.Default) {
			t.Errorf("rule %+v: duplicate, no meaning or bad default", r)
		}
		seen[r.ID] = true
	}
	rules[0].Sources[0] = "changed"
	rules[0].Severity = "changed"
	if again := rs.Rules(); again[0].Sources[0] == "changed" || again[0].Severity == "changed" {
		t.Error("Rules returned the catalogue itself, not a copy")
	}
}

// TestRulesMatchProduct checks that every rule ID and default severity in PRODUCT.md's
// tables is in the catalogue, and nothing else.
func TestRulesMatchProduct(t *testing.T) {
	path := filepath.Join(moduleRoot(t), "..", "shared", "spec", "PRODUCT.md")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("PRODUCT.md not available (%v)", err)
	}
	row := regexp.MustCompile("(?m)^\\| `([a-z-]+)` \\| (error|warning|info) \\|")
	want := map[string]string{}
	for _, m := range row.FindAllStringSubmatch(string(data), -1) {
		want[m[1]] = m[2]
	}
	got := map[string]string{}
	for _, r := range Default().Rules() {
		got[r.ID] = r.Default
	}
	if len(want) != 25 {
		t.Errorf("found %d rules in PRODUCT.md, expected 25; the table format changed?", len(want))
	}
	for id, sev := range want {
		if got[id] != sev {
			t.Errorf("rule %s: PRODUCT.md says %s, catalogue %q", id, sev, got[id])
		}
	}
	for id := range got {
		if _, ok := want[id]; !ok {
			t.Errorf("rule %s is in the catalogue but not in PRODUCT.md", id)
		}
	}
}
