package textip

import (
	"net/netip"
	"testing"
)

var ipInputs = []string{
	"0.0.0.0", "192.0.2.1", "255.255.255.255", "256.0.0.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1..2.3",
	"1.2.3.4 ", "", ".", "::", "::1", "1::", "2001:db8::10", "2001:db8:0:0:0:0:0:10", "2001:db8::0:0:0:0:0:10",
	"fec0:0:0:0:216:d3ff:fe0d:22c", "fec0:0:0:0:216:d3ff:fe0d:22c:5060", "::ffff:192.0.2.1", "::192.0.2.1",
	"1:2:3:4:5:6:192.0.2.1", "1:2:3:4:5:192.0.2.1", "1:2:3:4:5:6:7:192.0.2.1", ":::", "1:::2", "::1::", "1:2",
	"12345::", "g::", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7::", "::1:2:3:4:5:6:7", "::1:2:3:4:5:6:7:8", "1:", ":1",
	"fe80::1%eth0", "::ffff:1.2.3", "[::1]", "ABCD:EF01:2345:6789:ABCD:EF01:2345:6789",
}

// TestParseIP checks the allocation-free parsers against net/netip.
func TestParseIP(t *testing.T) {
	for _, s := range ipInputs {
		checkIP(t, s)
	}
}

func checkIP(t *testing.T, s string) {
	want, err := netip.ParseAddr(s)
	v4, ok4 := ParseIPv4([]byte(s))
	if ok4 != (err == nil && want.Is4()) || ok4 && netip.AddrFrom4(v4) != want {
		t.Errorf("ParseIPv4(%q) = %v, %v; netip says %v, %v", s, v4, ok4, want, err)
	}
	v6, ok6 := ParseIPv6([]byte(s))
	wantOK6 := err == nil && want.Is6() && want.Zone() == ""
	if ok6 != wantOK6 || ok6 && netip.AddrFrom16(v6) != want {
		t.Errorf("ParseIPv6(%q) = %v, %v; netip says %v, %v", s, netip.AddrFrom16(v6), ok6, want, err)
	}
}

func FuzzParseIP(f *testing.F) {
	for _, s := range ipInputs {
		f.Add(s)
	}
	f.Fuzz(checkIP)
}
