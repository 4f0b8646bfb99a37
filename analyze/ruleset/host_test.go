package ruleset

import (
	"strings"
	"testing"
)

// hostWant is what Host should say, with the edge by name ("" for none).
type hostWant struct {
	kind                HostKind
	edge                string
	legacy, unknown, ix bool
	trunk, label        string
}

func describe(h Host) hostWant {
	w := hostWant{kind: h.Kind, legacy: h.Legacy, unknown: h.Unknown, ix: h.Interconnect, trunk: string(h.Trunk), label: string(h.EdgeLabel)}
	if h.Edge != nil {
		w.edge = h.Edge.Name
	}
	return w
}

func TestHost(t *testing.T) {
	rs := Default()
	long := strings.Repeat("a", 70)
	cases := []struct {
		host string
		want hostWant
	}{
		// Interconnect termination, canonical and legacy.
		{"mytrunk.pstn.ashburn-ix.twilio.com", hostWant{kind: HostIXTermination, edge: "ashburn-ix", ix: true, trunk: "mytrunk", label: "ashburn-ix"}},
		{"MyTrunk.PSTN.US1-IX.twilio.com.", hostWant{kind: HostIXTermination, edge: "ashburn-ix", legacy: true, ix: true, trunk: "MyTrunk", label: "US1-IX"}},
		{"a.b.pstn.sydney-ix.TWILIO.COM", hostWant{kind: HostIXTermination, edge: "sydney-ix", ix: true, trunk: "a.b", label: "sydney-ix"}},
		// Unknown or unusable -ix labels.
		{"x.pstn.foo-ix.twilio.com", hostWant{kind: HostIXTermination, unknown: true, ix: true, trunk: "x", label: "foo-ix"}},
		{"x.pstn.dublin-ix.twilio.com", hostWant{kind: HostIXTermination, unknown: true, ix: true, trunk: "x", label: "dublin-ix"}},
		{"x.pstn.gll-ix.twilio.com", hostWant{kind: HostIXTermination, edge: "roaming", legacy: true, unknown: true, ix: true, trunk: "x", label: "gll-ix"}},
		{"x.pstn." + long + "-ix.twilio.com", hostWant{kind: HostIXTermination, unknown: true, ix: true, trunk: "x", label: long + "-ix"}},
		// Public termination: global, localized, legacy, unknown.
		{"x.pstn.twilio.com", hostWant{kind: HostPublicTermination, trunk: "x"}},
		{"a.b.pstn.twilio.com", hostWant{kind: HostPublicTermination, trunk: "a.b"}},
		{"x.pstn.ashburn-ix.pstn.twilio.com", hostWant{kind: HostPublicTermination, trunk: "x.pstn.ashburn-ix"}},
		{"x.pstn.umatilla.twilio.com", hostWant{kind: HostPublicTermination, edge: "umatilla", trunk: "x", label: "umatilla"}},
		{"x.pstn.sao-paulo.twilio.com", hostWant{kind: HostPublicTermination, edge: "sao-paulo", trunk: "x", label: "sao-paulo"}},
		{"x.pstn.us2.twilio.com", hostWant{kind: HostPublicTermination, edge: "umatilla", legacy: true, trunk: "x", label: "us2"}},
		{"x.pstn.foo.twilio.com", hostWant{kind: HostPublicTermination, unknown: true, trunk: "x", label: "foo"}},
		{"x.pstn.roaming.twilio.com", hostWant{kind: HostPublicTermination, edge: "roaming", unknown: true, trunk: "x", label: "roaming"}},
		{"x.pstn.gll.twilio.com", hostWant{kind: HostPublicTermination, edge: "roaming", legacy: true, unknown: true, trunk: "x", label: "gll"}},
		// Per-edge SRV/NAPTR names.
		{"pstn.dublin.twilio.com", hostWant{kind: HostPublicEdgeProxy, edge: "dublin", label: "dublin"}},
		{"PSTN.IE1.twilio.com.", hostWant{kind: HostPublicEdgeProxy, edge: "dublin", legacy: true, label: "IE1"}},
		// Programmable Voice SIP domains.
		{"d.sip.twilio.com", hostWant{kind: HostSIPDomain, trunk: "d"}},
		{"d.sip.sydney-ix.twilio.com", hostWant{kind: HostSIPDomain, edge: "sydney-ix", ix: true, trunk: "d", label: "sydney-ix"}},
		{"d.sip.us1-ix.twilio.com", hostWant{kind: HostSIPDomain, edge: "ashburn-ix", legacy: true, ix: true, trunk: "d", label: "us1-ix"}},
		{"d.sip.ashburn.twilio.com", hostWant{kind: HostSIPDomain, edge: "ashburn", trunk: "d", label: "ashburn"}},
		{"d.sip.foo-ix.twilio.com", hostWant{kind: HostSIPDomain, unknown: true, ix: true, trunk: "d", label: "foo-ix"}},
		{"d.sip.roaming.twilio.com", hostWant{kind: HostSIPDomain, edge: "roaming", unknown: true, trunk: "d", label: "roaming"}},
		// Other names in the domain.
		{"twilio.com", hostWant{kind: HostOtherTwilio}},
		{"TWILIO.COM.", hostWant{kind: HostOtherTwilio}},
		{"www.twilio.com", hostWant{kind: HostOtherTwilio}},
		{"pstn.twilio.com", hostWant{kind: HostOtherTwilio}},
		{"pstn.ashburn-ix.twilio.com", hostWant{kind: HostOtherTwilio}},
		{".pstn.twilio.com", hostWant{kind: HostOtherTwilio}},
		{"x..pstn.twilio.com", hostWant{kind: HostOtherTwilio}},
		{"x.pstn..twilio.com", hostWant{kind: HostOtherTwilio}},
		{"sip.twilio.com", hostWant{kind: HostOtherTwilio}},
		// Not Twilio.
		{"evil-twilio.com", hostWant{kind: HostNotTwilio}},
		{"twilio.com.evil.net", hostWant{kind: HostNotTwilio}},
		{"x.pstn.ashburn-ix.twilio.com.evil.net", hostWant{kind: HostNotTwilio}},
		{"x.pstn.ashburn-ix.twilio.co", hostWant{kind: HostNotTwilio}},
		{"x.pstn.ashburn-ix.twilio.com..", hostWant{kind: HostNotTwilio}},
		{"x.pstn.ashburn-ix.twilio.com:5061", hostWant{kind: HostNotTwilio}},
		{"xtwilio.com", hostWant{kind: HostNotTwilio}},
		{"208.78.112.64", hostWant{kind: HostNotTwilio}},
		{"[2001:db8::1]", hostWant{kind: HostNotTwilio}},
		{"", hostWant{kind: HostNotTwilio}},
		{".", hostWant{kind: HostNotTwilio}},
		{"wilio.com", hostWant{kind: HostNotTwilio}},
	}
	for _, c := range cases {
		if got := describe(rs.Host([]byte(c.host))); got != c.want {
			t.Errorf("Host(%q)\n got %+v\nwant %+v", c.host, got, c.want)
		}
	}
	// Every edge in both forms.
	for _, f := range factsInterconnect {
		for _, label := range []string{f.name, f.legacy} {
			h := rs.Host([]byte("t.pstn." + label + ".twilio.com"))
			if h.Kind != HostIXTermination || h.Edge == nil || h.Edge.Name != f.name || h.Legacy != (label == f.legacy) || h.Unknown || !h.Interconnect {
				t.Errorf("Host(t.pstn.%s.twilio.com) = %+v, want Interconnect termination on %s", label, describe(h), f.name)
			}
		}
	}
	for _, f := range factsPublic {
		for _, label := range []string{f.name, f.legacy} {
			h := rs.Host([]byte("t.pstn." + label + ".twilio.com"))
			if h.Kind != HostPublicTermination || h.Edge == nil || h.Edge.Name != f.name || h.Legacy != (label == f.legacy) || h.Unknown || h.Interconnect {
				t.Errorf("Host(t.pstn.%s.twilio.com) = %+v, want public termination on %s", label, describe(h), f.name)
			}
			h = rs.Host([]byte("pstn." + label + ".twilio.com"))
			if h.Kind != HostPublicEdgeProxy || h.Edge == nil || h.Edge.Name != f.name {
				t.Errorf("Host(pstn.%s.twilio.com) = %+v, want the edge proxy name of %s", label, describe(h), f.name)
			}
		}
	}
}

// TestHostSlicesPointIntoInput checks that Trunk and EdgeLabel are the caller's bytes (no
// copy was made).
func TestHostSlicesPointIntoInput(t *testing.T) {
	in := []byte("MyTrunk.pstn.US1-IX.twilio.com")
	h := Default().Host(in)
	if &h.Trunk[0] != &in[0] || &h.EdgeLabel[0] != &in[13] {
		t.Errorf("Trunk/EdgeLabel do not point into the input: %q %q", h.Trunk, h.EdgeLabel)
	}
}

// TestHostOtherDomain checks that the domain line, not a constant, decides what is Twilio.
func TestHostOtherDomain(t *testing.T) {
	rs, err := Parse(strings.NewReader(strings.ReplaceAll(minimal, "twilio.com", "example.net")), "x.rules")
	if err != nil {
		t.Fatal(err)
	}
	if got := rs.Host([]byte("t.pstn.x1-ix.example.net")); got.Kind != HostIXTermination || got.Edge == nil || got.Edge.Name != "a-ix" {
		t.Errorf("Host on example.net = %+v, want ix-termination on a-ix", describe(got))
	}
	if got := rs.Host([]byte("t.pstn.ashburn-ix.twilio.com")); got.Kind != HostNotTwilio {
		t.Errorf("twilio.com under an example.net rule set = %v, want not-twilio", got.Kind)
	}
}
