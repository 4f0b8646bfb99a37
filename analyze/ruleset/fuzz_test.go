package ruleset

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// FuzzParse checks that Parse never panics, and that whatever it accepts round-trips:
// Parse(WriteTo(rs)) equals rs, and writing that again gives the same bytes.
func FuzzParse(f *testing.F) {
	f.Add(embedded)
	f.Add([]byte(minimal))
	for _, line := range []string{
		`edge r kind=media-only legacy=gll aliases=gll-ix label="Global \"Low\" Latency"`,
		`edge b kind=public signalling=2001:db8::/126 label=plain`,
		`edge b-ix kind=interconnect gateways=2001:db8:1::1,192.0.2.77`,
		`media-range 2001:db8:2::/48`,
		`host sip-domain {trunk}.sip.{edge}.twilio.com`,
		`host public-edge-proxy pstn.{public-edge}.twilio.com`,
		`severity evidence-gap warning`,
		`signalling-port tls 5061`,
		`edge b-ix kind=interconnect gateways=208.78.112.300`,
	} {
		f.Add([]byte(withLine(0, line)))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rs, err := Parse(bytes.NewReader(data), "fuzz")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		roundTrip(t, rs)
	})
}

// FuzzHost checks that Host never panics and that the slices it returns lie inside its
// input.
func FuzzHost(f *testing.F) {
	for _, h := range benchHosts {
		f.Add(h)
	}
	f.Add([]byte("a..pstn.twilio.com"))
	f.Add([]byte(".twilio.com"))
	rs := Default()
	f.Fuzz(func(t *testing.T, host []byte) {
		h := rs.Host(host)
		for _, s := range [][]byte{h.Trunk, h.EdgeLabel} {
			if len(s) > 0 && !bytes.Contains(host, s) {
				t.Fatalf("Host(%q) returned %q, not part of the input", host, s)
			}
		}
		if h.Kind == HostNotTwilio && (h.Edge != nil || len(h.Trunk) > 0) {
			t.Fatalf("Host(%q) = %+v: a name outside the domain has no parts", host, describe(h))
		}
		if h.Edge != nil && !h.Legacy && !bytes.EqualFold(h.EdgeLabel, []byte(h.Edge.Name)) {
			t.Fatalf("Host(%q): edge %s from label %q without Legacy", host, h.Edge.Name, h.EdgeLabel)
		}
	})
}
