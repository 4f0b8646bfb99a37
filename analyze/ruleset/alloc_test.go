package ruleset

import (
	"net/netip"
	"testing"
)

var (
	benchAddrs = []netip.Addr{
		netip.MustParseAddr("208.78.112.65"),   // gateway
		netip.MustParseAddr("54.172.60.2"),     // public signalling
		netip.MustParseAddr("168.86.140.7"),    // media
		netip.MustParseAddr("192.0.2.10"),      // none
		netip.MustParseAddr("::ffff:10.1.2.3"), // mapped, none
		netip.MustParseAddr("2001:db8::1"),     // IPv6, none
	}
	benchHosts = [][]byte{
		[]byte("mytrunk.pstn.ashburn-ix.twilio.com"),
		[]byte("MyTrunk.PSTN.US1-IX.twilio.com."),
		[]byte("x.pstn.twilio.com"),
		[]byte("x.pstn.umatilla.twilio.com"),
		[]byte("pstn.dublin.twilio.com"),
		[]byte("d.sip.sydney-ix.twilio.com"),
		[]byte("x.pstn.foo-ix.twilio.com"),
		[]byte("sbc.example.com"),
	}
)

// TestLookupsDoNotAllocate proves the per-packet lookups allocate nothing.
func TestLookupsDoNotAllocate(t *testing.T) {
	rs := Default()
	edgeNames := [][]byte{[]byte("US1-IX"), []byte("ashburn"), []byte("nowhere"), []byte("gll-ix")}
	suite := []byte("AES_CM_128_HMAC_SHA1_32")
	checks := []struct {
		name string
		f    func()
	}{
		{"Peer", func() {
			for _, a := range benchAddrs {
				_ = rs.Peer(a)
			}
		}},
		{"Host", func() {
			for _, h := range benchHosts {
				_ = rs.Host(h)
			}
		}},
		{"Edge", func() {
			for _, n := range edgeNames {
				_, _ = rs.Edge(n)
			}
		}},
		{"InMediaRange", func() { _ = rs.InMediaRange(benchAddrs[2]) }},
		{"MediaPortOK", func() { _ = rs.MediaPortOK(20000) }},
		{"SignallingPortOK", func() { _ = rs.SignallingPortOK("TLS", 5061) }},
		{"SuiteAccepted", func() { _ = rs.SuiteAccepted(suite) }},
		{"SuiteOffered", func() { _ = rs.SuiteOffered(suite) }},
		{"Severity", func() { _ = rs.Severity(RuleURILegacyHost) }},
	}
	for _, c := range checks {
		if n := testing.AllocsPerRun(200, c.f); n != 0 {
			t.Errorf("%s allocates %.1f times per run, want 0", c.name, n)
		}
	}
}

var (
	sinkPeer Peer
	sinkHost Host
	sinkEdge *Edge
)

func BenchmarkPeer(b *testing.B) {
	rs := Default()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		sinkPeer = rs.Peer(benchAddrs[i%len(benchAddrs)])
	}
}

func BenchmarkHost(b *testing.B) {
	rs := Default()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		sinkHost = rs.Host(benchHosts[i%len(benchHosts)])
	}
}

func BenchmarkEdge(b *testing.B) {
	rs := Default()
	name := []byte("US1-IX")
	b.ReportAllocs()
	for b.Loop() {
		sinkEdge, _ = rs.Edge(name)
	}
}

func BenchmarkParseDefault(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(bytesReader(embedded), EmbeddedName); err != nil {
			b.Fatal(err)
		}
	}
}
