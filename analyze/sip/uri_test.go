package sip

import (
	"errors"
	"testing"
)

func TestParseURI(t *testing.T) {
	tests := []struct {
		in      string
		want    URI // compared field by field as strings; Opaque only with ErrUnsupportedScheme
		wantErr error
	}{
		{in: "sip:alice@atlanta.com", want: URI{Scheme: b("sip"), User: b("alice"), Host: b("atlanta.com")}},
		{in: "sip:alice:secretword@atlanta.com;transport=tcp", want: URI{Scheme: b("sip"), User: b("alice"), Password: b("secretword"), Host: b("atlanta.com"), Params: b("transport=tcp")}},
		{in: "sips:alice@atlanta.com?subject=project%20x&priority=urgent", want: URI{Scheme: b("sips"), User: b("alice"), Host: b("atlanta.com"), Headers: b("subject=project%20x&priority=urgent")}},
		{in: "sip:+1-212-555-1212:1234@gateway.com;user=phone", want: URI{Scheme: b("sip"), User: b("+1-212-555-1212"), Password: b("1234"), Host: b("gateway.com"), Params: b("user=phone")}},
		{in: "sip:alice@192.0.2.4", want: URI{Scheme: b("sip"), User: b("alice"), Host: b("192.0.2.4")}},
		{in: "sip:atlanta.com;method=REGISTER?to=alice%40atlanta.com", want: URI{Scheme: b("sip"), Host: b("atlanta.com"), Params: b("method=REGISTER"), Headers: b("to=alice%40atlanta.com")}},
		{in: "sip:alice;day=tuesday@atlanta.com", want: URI{Scheme: b("sip"), User: b("alice;day=tuesday"), Host: b("atlanta.com")}},
		{in: "sip:+12125551212;isub=1234@gw.example.com:5061;user=phone;transport=tls", want: URI{Scheme: b("sip"), User: b("+12125551212;isub=1234"), Host: b("gw.example.com"), Port: 5061, Params: b("user=phone;transport=tls")}},
		{in: "SIP:Bob@Biloxi.Example.COM:05060", want: URI{Scheme: b("SIP"), User: b("Bob"), Host: b("Biloxi.Example.COM"), Port: 5060}},
		{in: "sip:[2001:db8::10]", want: URI{Scheme: b("sip"), Host: b("2001:db8::10")}},
		{in: "sip:user@[2001:db8::10]:5070;transport=udp", want: URI{Scheme: b("sip"), User: b("user"), Host: b("2001:db8::10"), Port: 5070, Params: b("transport=udp")}},
		{in: "sip:[::ffff:192.0.2.1]:5060", want: URI{Scheme: b("sip"), Host: b("::ffff:192.0.2.1"), Port: 5060}},
		{in: "sip:trunk.pstn.ashburn-ix.twilio.com;edge=ashburn-ix", want: URI{Scheme: b("sip"), Host: b("trunk.pstn.ashburn-ix.twilio.com"), Params: b("edge=ashburn-ix")}},
		{in: "sip:h;", want: URI{Scheme: b("sip"), Host: b("h")}},
		{in: "tel:+1-201-555-0123", want: URI{Scheme: b("tel"), User: b("+1-201-555-0123")}},
		{in: "tel:7042;phone-context=example.com", want: URI{Scheme: b("tel"), User: b("7042"), Params: b("phone-context=example.com")}},
		{in: "http://www.example.com", wantErr: ErrUnsupportedScheme, want: URI{Scheme: b("http"), Opaque: b("//www.example.com")}},
		{in: "soap.beep://192.0.2.103:3002", wantErr: ErrUnsupportedScheme, want: URI{Scheme: b("soap.beep"), Opaque: b("//192.0.2.103:3002")}},
		{in: "", wantErr: ErrBadURI},
		{in: "sip", wantErr: ErrBadURI},
		{in: ":alice@h", wantErr: ErrBadURI},
		{in: "1sip:alice@h", wantErr: ErrBadURI},
		{in: "sip:", wantErr: ErrBadURI},
		{in: "sip:alice@", wantErr: ErrBadURI},
		{in: "sip:@h", wantErr: ErrBadURI},
		{in: "sip:h:", wantErr: ErrBadURI},
		{in: "sip:h:65536", wantErr: ErrBadURI},
		{in: "sip:h:-1", wantErr: ErrBadURI},
		{in: "sip:h:5060x", wantErr: ErrBadURI},
		{in: "sip:[2001:db8::1", wantErr: ErrBadURI},
		{in: "sip:[]", wantErr: ErrBadURI},
		{in: "sip:[zz::1]", wantErr: ErrBadURI},
		{in: "sip:[::1]x", wantErr: ErrBadURI},
		{in: "sip:4321@fec0:0:0:0:216:d3ff:fe0d:22c:5060;x=1", want: URI{Scheme: b("sip"), User: b("4321"), Host: b("fec0:0:0:0:216:d3ff:fe0d:22c"), Port: 5060, Params: b("x=1")}},
		{in: "sip:fe80::1", want: URI{Scheme: b("sip"), Host: b("fe80::1")}},
		{in: "sip:a:b:c@h", want: URI{Scheme: b("sip"), User: b("a"), Password: b("b:c"), Host: b("h")}},
		{in: "sip:h:1:2", wantErr: ErrBadURI},
		{in: "sip:fe80::1:99999", wantErr: ErrBadURI},
		{in: "sip:user@example.com; lr", wantErr: ErrBadURI},
		{in: "sip:a b@h", wantErr: ErrBadURI},
		{in: "sip:a@h\r\n", wantErr: ErrBadURI},
		{in: "<sip:a@h>", wantErr: ErrBadURI},
		{in: "sip:a@<h>", wantErr: ErrBadURI},
		{in: "tel:", wantErr: ErrBadURI},
		{in: "tel:;x=1", wantErr: ErrBadURI},
		{in: "tel:1@h", wantErr: ErrBadURI},
	}
	for _, tt := range tests {
		got, err := ParseURI([]byte(tt.in))
		if err != tt.wantErr { // sentinels are returned unwrapped
			t.Errorf("ParseURI(%q) error = %v, want %v", tt.in, err, tt.wantErr)
			continue
		}
		if tt.wantErr != nil && !errors.Is(tt.wantErr, ErrUnsupportedScheme) {
			if !got.IsZero() {
				t.Errorf("ParseURI(%q) = %s with error, want the zero URI", tt.in, dumpURI(got))
			}
			continue
		}
		if g, w := dumpURI(got)+string(got.Opaque), dumpURI(tt.want)+string(tt.want.Opaque); g != w {
			t.Errorf("ParseURI(%q)\n got %s\nwant %s", tt.in, g, w)
		}
	}
}

func b(s string) []byte { return []byte(s) }

func TestURIParam(t *testing.T) {
	u, err := ParseURI([]byte("sip:+14155550100@trunk.pstn.ashburn-ix.twilio.com;Edge=ashburn-ix;lr;tnx=IX0123;region=us1;transport=TLS;maddr=192.0.2.1;user=phone;empty=?h1=v1&H2=v2&flag"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, value string
		present     bool
	}{
		{"edge", "ashburn-ix", true},
		{"EDGE", "ashburn-ix", true},
		{"lr", "", true},
		{"tnx", "IX0123", true},
		{"region", "us1", true},
		{"transport", "TLS", true},
		{"maddr", "192.0.2.1", true},
		{"user", "phone", true},
		{"empty", "", true},
		{"missing", "", false},
		{"edg", "", false},
	} {
		v, ok := u.Param(tt.name)
		if string(v) != tt.value || ok != tt.present {
			t.Errorf("Param(%q) = %q, %v; want %q, %v", tt.name, v, ok, tt.value, tt.present)
		}
	}
	for _, tt := range []struct {
		name, value string
		present     bool
	}{
		{"h1", "v1", true},
		{"h2", "v2", true},
		{"flag", "", true},
		{"h3", "", false},
	} {
		v, ok := u.Header(tt.name)
		if string(v) != tt.value || ok != tt.present {
			t.Errorf("Header(%q) = %q, %v; want %q, %v", tt.name, v, ok, tt.value, tt.present)
		}
	}
}

func TestURIString(t *testing.T) {
	for _, in := range []string{
		"sip:alice@atlanta.com",
		"sip:alice:pw@atlanta.com:5061;transport=tls?subject=x",
		"sips:[2001:db8::1]:5061;lr",
		"tel:+1-201-555-0123;phone-context=example.com",
		"sip:a;b=c@h",
	} {
		u, err := ParseURI([]byte(in))
		if err != nil {
			t.Fatalf("ParseURI(%q): %v", in, err)
		}
		if got := u.String(); got != in {
			t.Errorf("ParseURI(%q).String() = %q", in, got)
		}
	}
	if got := (URI{}).String(); got != "" {
		t.Errorf("zero URI String() = %q, want empty", got)
	}
	// Normalised forms: a port with leading zeros, an empty parameter list.
	for in, want := range map[string]string{"sip:h:05060": "sip:h:5060", "sip:h;": "sip:h", "sip:h:0": "sip:h"} {
		u, _ := ParseURI([]byte(in))
		if got := u.String(); got != want {
			t.Errorf("ParseURI(%q).String() = %q, want %q", in, got, want)
		}
	}
}

func TestParseNameAddr(t *testing.T) {
	tests := []struct {
		in                                   string
		display, addrSpec, params, tag, host string
		wantErr                              error
	}{
		{in: `"Bob" <sip:bob@x;edge=y>;tag=1`, display: "Bob", addrSpec: "sip:bob@x;edge=y", params: "tag=1", tag: "1", host: "x"},
		{in: `Bob <sip:bob@x>`, display: "Bob", addrSpec: "sip:bob@x", host: "x"},
		{in: `<sip:bob@x>;tag=a;expires=60`, addrSpec: "sip:bob@x", params: "tag=a;expires=60", tag: "a", host: "x"},
		{in: `sip:bob@x;tag=2`, addrSpec: "sip:bob@x", params: "tag=2", tag: "2", host: "x"},
		{in: `  sip:bob@x  ;  tag = 3 `, addrSpec: "sip:bob@x", params: "tag = 3", tag: "3", host: "x"},
		{in: `"A \"quoted\" name" <sip:a@h> ; tag="q;t"`, display: `A \"quoted\" name`, addrSpec: "sip:a@h", params: `tag="q;t"`, tag: "q;t", host: "h"},
		{in: `"<not a uri>" <sip:a@h>`, display: "<not a uri>", addrSpec: "sip:a@h", host: "h"},
		{in: `Bell, Alexander <sip:a.g.bell@example.com>;tag=43`, display: "Bell, Alexander", addrSpec: "sip:a.g.bell@example.com", params: "tag=43", tag: "43", host: "example.com"},
		{in: `<tel:+1234>`, addrSpec: "tel:+1234"},
		{in: `<urn:service:sos>`, addrSpec: "urn:service:sos", wantErr: ErrUnsupportedScheme},
		{in: `"unterminated <sip:a@h>`, wantErr: ErrBadNameAddr},
		{in: `"name" sip:a@h`, wantErr: ErrBadNameAddr},
		{in: `<sip:a@h`, wantErr: ErrBadNameAddr},
		{in: ``, wantErr: ErrBadNameAddr},
		{in: `<>`, wantErr: ErrBadURI},
	}
	for _, tt := range tests {
		na, err := ParseNameAddr([]byte(tt.in))
		if err != tt.wantErr {
			t.Errorf("ParseNameAddr(%q) error = %v, want %v", tt.in, err, tt.wantErr)
			continue
		}
		if errors.Is(err, ErrBadNameAddr) {
			continue
		}
		got := [5]string{string(na.Display), string(na.AddrSpec), string(na.Params), string(na.Tag()), string(na.URI.Host)}
		want := [5]string{tt.display, tt.addrSpec, tt.params, tt.tag, tt.host}
		if got != want {
			t.Errorf("ParseNameAddr(%q) = display, addr-spec, params, tag, host %q, want %q", tt.in, got, want)
		}
	}
}

func TestParseVia(t *testing.T) {
	tests := []struct {
		in                                string
		transport, host, branch, received string
		port, rport                       uint16
		hasRPort                          bool
		wantErr                           bool
	}{
		{in: "SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1;rport", transport: "UDP", host: "10.0.0.1", port: 5060, branch: "z9hG4bK1", hasRPort: true},
		{in: "SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1;received=192.0.2.1;rport=6000", transport: "UDP", host: "10.0.0.1", port: 5060, branch: "z9hG4bK1", received: "192.0.2.1", rport: 6000, hasRPort: true},
		{in: "SIP/2.0/TLS host.example.com ;branch=z9hG4bK2", transport: "TLS", host: "host.example.com", branch: "z9hG4bK2"},
		{in: "SIP / 2.0 / TCP h : 5062 ; BRANCH = z9hG4bK3 ; RPort", transport: "TCP", host: "h", port: 5062, branch: "z9hG4bK3", hasRPort: true},
		{in: "sip/2.0/wss [2001:db8::1]:443;branch=z9hG4bK4", transport: "wss", host: "2001:db8::1", port: 443, branch: "z9hG4bK4"},
		{in: "SIP/2.0/UDP h;branch=\"quoted;b\";received=1.2.3.4", transport: "UDP", host: "h", branch: "quoted;b", received: "1.2.3.4"},
		{in: "SIP/2.0/UDP h;rport=notaport", transport: "UDP", host: "h", hasRPort: true},
		{in: "SIP/2.0/UDPh", wantErr: true},
		{in: "SIP/2.0 h", wantErr: true},
		{in: "SIP//UDP h", wantErr: true},
		{in: "SIP/2.0/UDP", wantErr: true},
		{in: "SIP/2.0/UDP h:99999", wantErr: true},
		{in: "SIP/2.0/UDP h:", wantErr: true},
		{in: "SIP/2.0/UDP [2001:db8::1", wantErr: true},
		{in: "SIP/2.0/UDP h junk", wantErr: true},
		{in: "SIP/2.0/UDP <h>", wantErr: true},
	}
	for _, tt := range tests {
		v, err := ParseVia([]byte(tt.in))
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseVia(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if err != nil {
			continue
		}
		got := [4]string{string(v.Transport), string(v.Host), string(v.Branch), string(v.Received)}
		want := [4]string{tt.transport, tt.host, tt.branch, tt.received}
		if got != want || v.Port != tt.port || v.RPort != tt.rport || v.HasRPort != tt.hasRPort {
			t.Errorf("ParseVia(%q) = %q port %d rport %d/%v, want %q port %d rport %d/%v",
				tt.in, got, v.Port, v.RPort, v.HasRPort, want, tt.port, tt.rport, tt.hasRPort)
		}
	}
}

func TestNextValue(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"a, b ,c", []string{"a", "b", "c"}},
		{`"Doe, J" <sip:j@h>, <sip:k@h;x=a,b>;q=1`, []string{`"Doe, J" <sip:j@h>`, `<sip:k@h;x=a,b>;q=1`}},
		{`"esc \" , still" <sip:a@h>, b`, []string{`"esc \" , still" <sip:a@h>`, "b"}},
		{",, a,,\r\n b ,", []string{"a", "b"}},
		{`"unterminated, x`, []string{`"unterminated, x`}},
		{"", nil},
		{" , ", nil},
	}
	for _, tt := range tests {
		var got []string
		for v, rest := NextValue([]byte(tt.in)); len(v) > 0; v, rest = NextValue(rest) {
			got = append(got, string(v))
		}
		if len(got) != len(tt.want) {
			t.Errorf("NextValue over %q = %q, want %q", tt.in, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("NextValue over %q = %q, want %q", tt.in, got, tt.want)
				break
			}
		}
	}
}

func TestHeaderKind(t *testing.T) {
	for _, tt := range []struct {
		name string
		want HeaderKind
	}{
		{"via", HeaderVia}, {"V", HeaderVia}, {"CALL-ID", HeaderCallID}, {"i", HeaderCallID},
		{"l", HeaderContentLength}, {"content-length", HeaderContentLength}, {"m", HeaderContact},
		{"p-asserted-identity", HeaderPAssertedIdentity}, {"x", HeaderSessionExpires}, {"t", HeaderTo},
		{"g", HeaderOther}, {"X-Custom", HeaderOther}, {"", HeaderOther}, {"1", HeaderOther}, {"Vias", HeaderOther},
	} {
		if got := kindOf(tt.name); got != tt.want {
			t.Errorf("kind of %q = %v, want %v", tt.name, got, tt.want)
		}
	}
	h := HeaderField{Kind: HeaderCallID, Name: []byte("i")}
	if !h.Is("Call-ID") || !h.Is("I") || h.Is("To") {
		t.Error("HeaderField.Is does not treat compact and long names alike")
	}
	x := HeaderField{Kind: HeaderOther, Name: []byte("X-A")}
	if !x.Is("x-a") || x.Is("x-b") || x.Is("Via") {
		t.Error("HeaderField.Is does not match other names case-insensitively")
	}
}

func TestURIDoesNotAllocate(t *testing.T) {
	in := []byte("sip:+14155550100@trunk.pstn.ashburn-ix.twilio.com:5060;edge=ashburn-ix;transport=udp")
	na := []byte(`"Alice" <sip:+12125550100@203.0.113.10:5060;user=phone>;tag=4d5e6f70`)
	allocs := testing.AllocsPerRun(100, func() {
		u, _ := ParseURI(in)
		_, _ = u.Param("edge")
		n, _ := ParseNameAddr(na)
		_ = n.Tag()
		_, _ = ParseURI([]byte("bad uri"))
	})
	if allocs != 0 {
		t.Errorf("%v allocations, want 0", allocs)
	}
}
