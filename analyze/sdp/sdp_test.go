package sdp

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// summary renders what a Session exposes as text, one fact per line, for comparisons
// with cmp.Diff.
func summary(s *Session) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	p("v=%d name=%q", s.Version, s.Name)
	if s.HasOrigin {
		o := s.Origin
		p("origin %s %s %s %s %s %s addr=%v", o.Username, o.SessionID, o.SessionVersion, o.NetType, o.AddrType, o.Address, o.Addr)
	}
	p("session c=%s direction=%q fingerprint=%v setup=%q ice=%v", conn(s.Conn), s.Direction, s.Fingerprint, s.Setup, s.ICE)
	for i := range s.Media {
		m := &s.Media[i]
		p("media[%d] line %d %s port %d/%d %s formats %q", i, m.Line, m.Type, m.Port, m.NumPorts, m.Proto, m.Formats)
		p("  c=%s addr=%v direction=%q effective=%q hold=%v rtp=%v secure=%v", conn(m.Conn), m.Addr(s), m.Direction, m.EffectiveDirection(s), m.Hold(s), m.IsRTP(), m.IsSecure())
		for _, r := range m.RTPMaps {
			p("  rtpmap %d %s/%d/%s", r.PayloadType, r.Encoding, r.ClockRate, r.Channels)
		}
		if m.RTCP.Present {
			p("  rtcp %d %q %v", m.RTCP.Port, m.RTCP.Address, m.RTCP.Addr)
		}
		for _, c := range m.Crypto {
			p("  crypto %d %s %q %q mki=%v", c.Tag, c.Suite, c.KeyParams, c.SessionParams, c.MKI)
		}
		p("  rtcp-mux=%v fingerprint=%v dtls=%v setup=%q ice=%v candidates=%d", m.RTCPMux, m.Fingerprint, m.DTLS(s), m.Setup, m.ICE, m.ICECandidates)
	}
	for _, v := range s.Violations {
		p("violation %s", v)
	}
	p("violations %d", s.ViolationCount)
	return b.String()
}

func conn(c Connection) string {
	if !c.Present {
		return "<none>"
	}
	return fmt.Sprintf("%s/%s/%s(%v hold=%v)", c.NetType, c.AddrType, c.Address, c.Addr, c.Hold())
}

func TestParse(t *testing.T) {
	tests := []struct {
		file string
		want string
	}{
		{"offer.sdp", `v=0 name="SIP Call"
origin ExampleSBC 1718293845 1718293845 IN IP4 203.0.113.10 addr=203.0.113.10
session c=IN/IP4/203.0.113.10(203.0.113.10 hold=false) direction="" fingerprint=false setup="" ice=false
media[0] line 6 audio port 16384/1 RTP/AVP formats ["0" "8" "18" "101"]
  c=<none> addr=203.0.113.10 direction="sendrecv" effective="sendrecv" hold=false rtp=true secure=false
  rtpmap 0 PCMU/8000/
  rtpmap 8 PCMA/8000/
  rtpmap 18 G729/8000/
  rtpmap 101 telephone-event/8000/
  rtcp 16385 "" invalid IP
  rtcp-mux=false fingerprint=false dtls=false setup="" ice=false candidates=0
violations 0
`},
		{"srtp.sdp", `v=0 name="Twilio Media Gateway"
origin root 1234 1235 IN IP4 168.86.128.10 addr=168.86.128.10
session c=IN/IP4/168.86.128.10(168.86.128.10 hold=false) direction="" fingerprint=false setup="" ice=false
media[0] line 6 audio port 12000/1 RTP/SAVP formats ["0" "101"]
  c=<none> addr=168.86.128.10 direction="sendrecv" effective="sendrecv" hold=false rtp=true secure=true
  rtpmap 0 PCMU/8000/
  rtpmap 101 telephone-event/8000/
  rtcp 12001 "168.86.128.11" 168.86.128.11
  crypto 1 AES_CM_128_HMAC_SHA1_80 "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^31" "" mki=false
  crypto 2 AES_CM_128_HMAC_SHA1_32 "inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj|2^20|1:4" "UNENCRYPTED_SRTCP" mki=true
  rtcp-mux=false fingerprint=false dtls=false setup="" ice=false candidates=0
violations 0
`},
		{"webrtc.sdp", `v=0 name="-"
origin - 4611731400430051336 2 IN IP6 2001:db8::1 addr=2001:db8::1
session c=<none> direction="" fingerprint=true setup="" ice=true
media[0] line 8 audio port 9/1 UDP/TLS/RTP/SAVPF formats ["111" "0"]
  c=IN/IP6/2001:db8::2(2001:db8::2 hold=false) addr=2001:db8::2 direction="recvonly" effective="recvonly" hold=false rtp=true secure=true
  rtpmap 111 opus/48000/2
  rtcp 9 "0.0.0.0" 0.0.0.0
  rtcp-mux=true fingerprint=false dtls=true setup="actpass" ice=true candidates=2
violations 0
`},
		{"t38.sdp", `v=0 name="-"
origin - 1 2 IN IP4 10.23.1.52 addr=10.23.1.52
session c=IN/IP4/10.23.1.52(10.23.1.52 hold=false) direction="" fingerprint=false setup="" ice=false
media[0] line 6 audio port 0/1 RTP/AVP formats ["8"]
  c=<none> addr=10.23.1.52 direction="" effective="sendrecv" hold=false rtp=true secure=false
  rtcp-mux=false fingerprint=false dtls=false setup="" ice=false candidates=0
media[1] line 7 image port 16756/1 udptl formats ["t38"]
  c=IN/IP4/10.23.1.60(10.23.1.60 hold=false) addr=10.23.1.60 direction="" effective="sendrecv" hold=false rtp=false secure=false
  rtcp-mux=false fingerprint=false dtls=false setup="" ice=false candidates=0
violations 0
`},
		{"hold.sdp", `v=0 name="-"
origin alice 2890844526 2890844527 IN IP4 192.0.2.1 addr=192.0.2.1
session c=IN/IP4/0.0.0.0(0.0.0.0 hold=true) direction="sendonly" fingerprint=false setup="" ice=false
media[0] line 7 audio port 49170/1 RTP/AVP formats ["0"]
  c=<none> addr=0.0.0.0 direction="" effective="sendonly" hold=true rtp=true secure=false
  rtcp-mux=false fingerprint=false dtls=false setup="" ice=false candidates=0
media[1] line 8 video port 51372/1 RTP/AVP formats ["31"]
  c=<none> addr=0.0.0.0 direction="inactive" effective="inactive" hold=true rtp=true secure=false
  rtcp-mux=false fingerprint=false dtls=false setup="" ice=false candidates=0
violations 0
`},
		{"violations.sdp", `v=0 name=""
origin - 7 7 IN IP4 192.0.2.5 addr=192.0.2.5
session c=IN/IP4/192.0.2.5(192.0.2.5 hold=false) direction="" fingerprint=false setup="" ice=false
media[0] line 6 audio port 20000/2 RTP/AVP formats ["0" "8"]
  c=IN/IP4/192.0.2.6(192.0.2.6 hold=false) addr=192.0.2.6 direction="" effective="sendrecv" hold=false rtp=true secure=false
  rtpmap 0 PCMU/8000/
  rtcp-mux=false fingerprint=false dtls=false setup="" ice=false candidates=0
media[1] line 10 audio port 30000/1 RTP/AVP formats ["0"]
  c=IP4/192.0.2.7/(invalid IP hold=false) addr=invalid IP direction="" effective="sendrecv" hold=false rtp=true secure=false
  rtcp-mux=false fingerprint=false dtls=false setup="" ice=false candidates=0
violation line 4: out-of-order
violation line 5: unknown-line-type
violation line 8: out-of-order
violation line 9: bad-attribute
violation line 11: bad-connection
violation missing-session-name
violations 6
`},
		{"noversion.sdp", `v=-1 name="session"
origin - 1 1 IN IP4 host.example.com addr=invalid IP
session c=IN/IP4/media.example.com(invalid IP hold=false) direction="" fingerprint=false setup="" ice=false
media[0] line 5 audio port 5004/1 RTP/AVP formats ["0"]
  c=IN/IP4/233.252.0.1(233.252.0.1 hold=false) addr=233.252.0.1 direction="" effective="sendrecv" hold=false rtp=true secure=false
  rtcp-mux=false fingerprint=false dtls=false setup="" ice=false candidates=0
violation line 1: missing-version
violations 1
`},
	}
	var s Session
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			if err := s.Parse(readTestdata(t, tt.file)); err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(tt.want, summary(&s)); diff != "" {
				t.Errorf("Parse(%s) (-want +got):\n%s", tt.file, diff)
			}
		})
	}
}

func TestParseShapes(t *testing.T) {
	const minimal = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
	tests := []struct {
		name       string
		in         string
		wantErr    error
		violations []ViolationKind
		manyViols  bool // the check looks at the violations itself
		check      func(t *testing.T, s *Session)
	}{
		{name: "empty", in: "", wantErr: ErrNotSDP},
		{name: "blank lines only", in: "\r\n\r\n", wantErr: ErrNotSDP},
		{name: "XML body", in: "<?xml version=\"1.0\"?>\r\n<isup/>", wantErr: ErrNotSDP},
		{name: "plain text", in: "hello world\r\nv=0\r\n", wantErr: ErrNotSDP},
		{name: "binary", in: "\x01\x00\x49\x00", wantErr: ErrNotSDP},
		{name: "minimal", in: minimal},
		{name: "bare LF and trailing white space", in: strings.ReplaceAll(minimal, "\r\n", "  \n") + "m=audio 4000 RTP/AVP 0 \n"},
		{name: "no final line break", in: minimal + "m=audio 4000 RTP/AVP 0", check: func(t *testing.T, s *Session) {
			if len(s.Media) != 1 || s.Media[0].Port != 4000 {
				t.Errorf("media = %+v", s.Media)
			}
		}},
		{name: "runs of spaces between fields", in: "v=0\r\no=-  1 1  IN IP4   192.0.2.1\r\ns=-\r\nc=IN  IP4  192.0.2.9\r\nt=0 0\r\nm=audio  4000   RTP/AVP  0  8\r\n", check: func(t *testing.T, s *Session) {
			if s.Conn.Addr != netip.MustParseAddr("192.0.2.9") || len(s.Media[0].Formats) != 2 {
				t.Errorf("c= %v, formats %q", s.Conn.Addr, s.Media[0].Formats)
			}
		}},
		{name: "upper-case first line is a bad line, not another format", in: "V=0\r\n" + minimal[4:], violations: []ViolationKind{ViolationBadLine, ViolationMissingVersion}},
		{name: "line without =", in: minimal + "garbage\r\n", violations: []ViolationKind{ViolationBadLine}},
		{name: "v=1", in: "v=1\r\n" + minimal[4:], violations: []ViolationKind{ViolationBadVersion}},
		{name: "duplicate o=", in: minimal + "o=- 2 2 IN IP4 192.0.2.2\r\n", violations: []ViolationKind{ViolationOutOfOrder, ViolationDuplicate}},
		{name: "session line in media section", in: minimal + "m=audio 4000 RTP/AVP 0\r\nt=0 0\r\n", violations: []ViolationKind{ViolationOutOfOrder}},
		{name: "missing t=", in: strings.Replace(minimal, "t=0 0\r\n", "", 1), violations: []ViolationKind{ViolationMissingTiming}},
		{name: "missing o=", in: strings.Replace(minimal, "o=- 1 1 IN IP4 192.0.2.1\r\n", "", 1), violations: []ViolationKind{ViolationMissingOrigin}},
		{name: "short o=", in: strings.Replace(minimal, "o=- 1 1 IN IP4 192.0.2.1", "o=- 1 1 IN", 1), violations: []ViolationKind{ViolationBadOrigin}},
		{name: "no connection anywhere", in: strings.Replace(minimal, "c=IN IP4 192.0.2.1\r\n", "", 1) + "m=audio 4000 RTP/AVP 0\r\n", violations: []ViolationKind{ViolationMissingConnection}, check: func(t *testing.T, s *Session) {
			if s.Media[0].Addr(s).IsValid() {
				t.Error("Addr is valid without any c= line")
			}
		}},
		{name: "c= with a bad IPv4 address", in: strings.Replace(minimal, "c=IN IP4 192.0.2.1", "c=IN IP4 192.0.2.300", 1), violations: []ViolationKind{ViolationBadConnection}},
		{name: "c= with an IPv6 address as IP4", in: strings.Replace(minimal, "c=IN IP4 192.0.2.1", "c=IN IP4 2001:db8::1", 1), violations: []ViolationKind{ViolationBadConnection}},
		{name: "c= with a network type other than IN", in: strings.Replace(minimal, "c=IN IP4 192.0.2.1", "c=ATM NSAP 47.0005.80.ffe100.0000.f101.0101", 1), violations: []ViolationKind{ViolationBadConnection}},
		{name: "bad m= port", in: minimal + "m=audio 70000 RTP/AVP 0\r\n", violations: []ViolationKind{ViolationBadMedia}},
		{name: "m= without formats", in: minimal + "m=audio 4000 RTP/AVP\r\n", violations: []ViolationKind{ViolationBadMedia}},
		{name: "m= with a bad port count", in: minimal + "m=audio 4000/0 RTP/AVP 0\r\n", violations: []ViolationKind{ViolationBadMedia}},
		{name: "bad rtcp", in: minimal + "m=audio 4000 RTP/AVP 0\r\na=rtcp:x\r\n", violations: []ViolationKind{ViolationBadAttribute}},
		{name: "bad crypto", in: minimal + "m=audio 4000 RTP/SAVP 0\r\na=crypto:x AES_CM_128_HMAC_SHA1_80 inline:k\r\n", violations: []ViolationKind{ViolationBadAttribute}},
		{name: "crypto with two key params, MKI in the second", in: minimal + "m=audio 4000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:AAAA|2^20;inline:BBBB|2^20|2:4\r\n", check: func(t *testing.T, s *Session) {
			if c := s.Media[0].Crypto; len(c) != 1 || !c[0].MKI {
				t.Errorf("crypto = %+v, want one with MKI", c)
			}
		}},
		{name: "crypto with MKI and no lifetime", in: minimal + "m=audio 4000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:AAAA|1:4\r\n", check: func(t *testing.T, s *Session) {
			if c := s.Media[0].Crypto; len(c) != 1 || !c[0].MKI {
				t.Errorf("crypto = %+v, want one with MKI", c)
			}
		}},
		{name: "session-level rtpmap is ignored", in: minimal + "a=rtpmap:0 PCMU/8000\r\nm=audio 4000 RTP/AVP 0\r\n", check: func(t *testing.T, s *Session) {
			if len(s.Media[0].RTPMaps) != 0 {
				t.Errorf("rtpmaps = %+v", s.Media[0].RTPMaps)
			}
		}},
		{name: "too many media sections", in: minimal + strings.Repeat("m=audio 4000 RTP/AVP 0\r\na=sendonly\r\n", MaxMedia+2), violations: []ViolationKind{ViolationTooMany, ViolationTooMany}, check: func(t *testing.T, s *Session) {
			if len(s.Media) != MaxMedia {
				t.Errorf("%d media sections kept, want %d", len(s.Media), MaxMedia)
			}
		}},
		{name: "violations are capped, counted in full", in: minimal + strings.Repeat("x=1\r\n", MaxViolations+5), manyViols: true, check: func(t *testing.T, s *Session) {
			if len(s.Violations) != MaxViolations || s.ViolationCount != MaxViolations+5 {
				t.Errorf("%d violations kept, %d counted", len(s.Violations), s.ViolationCount)
			}
		}},
	}
	var s Session
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.Parse([]byte(tt.in))
			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Fatalf("Parse error = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				if len(s.Media) != 0 || s.ViolationCount != 0 {
					t.Error("the Session is not empty after an error")
				}
				return
			}
			var got []ViolationKind
			for _, v := range s.Violations {
				got = append(got, v.Kind)
			}
			if !tt.manyViols && !reflect.DeepEqual(got, tt.violations) {
				t.Errorf("violations = %v, want %v", s.Violations, tt.violations)
			}
			if tt.check != nil {
				tt.check(t, &s)
			}
		})
	}
}

func TestStaticPayload(t *testing.T) {
	for _, tt := range []struct {
		pt    uint8
		name  string
		clock uint32
		ok    bool
	}{
		{0, "PCMU", 8000, true}, {3, "GSM", 8000, true}, {4, "G723", 8000, true}, {8, "PCMA", 8000, true},
		{9, "G722", 8000, true}, {13, "CN", 8000, true}, {18, "G729", 8000, true}, {34, "H263", 90000, true},
		{1, "", 0, false}, {19, "", 0, false}, {35, "", 0, false}, {96, "", 0, false}, {127, "", 0, false}, {255, "", 0, false},
	} {
		m, ok := StaticPayload(tt.pt)
		if ok != tt.ok || string(m.Encoding) != tt.name || m.ClockRate != tt.clock {
			t.Errorf("StaticPayload(%d) = %s/%d, %v; want %s/%d, %v", tt.pt, m.Encoding, m.ClockRate, ok, tt.name, tt.clock, tt.ok)
		}
	}
	// A section's rtpmap wins over the static table; a static type without rtpmap is found.
	var s Session
	if err := s.Parse([]byte("v=0\r\nm=audio 1 RTP/AVP 0 8 96\r\na=rtpmap:0 X-PCMU/16000\r\n")); err != nil {
		t.Fatal(err)
	}
	m := &s.Media[0]
	if r, _ := m.RTPMap(0); string(r.Encoding) != "X-PCMU" || r.ClockRate != 16000 {
		t.Errorf("RTPMap(0) = %s/%d, want the section's X-PCMU/16000", r.Encoding, r.ClockRate)
	}
	if r, ok := m.RTPMap(8); !ok || string(r.Encoding) != "PCMA" {
		t.Errorf("RTPMap(8) = %s, %v; want static PCMA", r.Encoding, ok)
	}
	if _, ok := m.RTPMap(96); ok {
		t.Error("RTPMap(96) without a=rtpmap found something")
	}
}

// TestReuseEqualsFresh parses every testdata body after every other one into the same
// Session and checks that the result equals a fresh parse.
func TestReuseEqualsFresh(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.sdp")
	inputs := [][]byte{[]byte("not sdp"), []byte("v=0\r\nm=audio 1 RTP/AVP 0\r\n" + strings.Repeat("a=rtpmap:0 PCMU/8000\r\n", 40))}
	for _, f := range files {
		inputs = append(inputs, readTestdata(t, filepath.Base(f)))
	}
	for i, a := range inputs {
		for j, b := range inputs {
			var reused, fresh Session
			_ = reused.Parse(a)
			errReused := reused.Parse(b)
			errFresh := fresh.Parse(b)
			if errReused != errFresh || !equalSessions(&reused, &fresh) {
				t.Fatalf("input %d after %d differs from a fresh parse (-fresh +reused):\n%s", j, i, cmp.Diff(summary(&fresh), summary(&reused)))
			}
		}
	}
}

// equalSessions compares two Sessions field by field; empty and nil lists are equal.
func equalSessions(a, b *Session) bool {
	return reflect.DeepEqual(normalized(a), normalized(b))
}

func normalized(s *Session) Session {
	c := *s
	c.Media = append([]Media(nil), s.Media...)
	for i := range c.Media {
		m := &c.Media[i]
		nilIfEmpty(&m.Formats)
		nilIfEmpty(&m.RTPMaps)
		nilIfEmpty(&m.Crypto)
	}
	nilIfEmpty(&c.Media)
	nilIfEmpty(&c.Violations)
	c.formats, c.rtpmaps, c.cryptos = nil, nil, nil // their used parts are in Media
	return c
}

func nilIfEmpty[T any](s *[]T) {
	if len(*s) == 0 {
		*s = nil
	}
}

// TestParseDoesNotAllocate proves that a reused Session parses an offer without
// allocating, IPv6 addresses included.
func TestParseDoesNotAllocate(t *testing.T) {
	for _, name := range []string{"offer.sdp", "srtp.sdp", "webrtc.sdp", "violations.sdp"} {
		data := readTestdata(t, name)
		var s Session
		allocs := testing.AllocsPerRun(100, func() {
			if err := s.Parse(data); err != nil {
				t.Fatal(err)
			}
			_ = s.Media[0].Addr(&s)
			_, _ = s.Media[0].RTPMap(0)
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocations per Parse, want 0", name, allocs)
		}
	}
}

func BenchmarkParse(b *testing.B) {
	data := readTestdata(b, "offer.sdp")
	var s Session
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if err := s.Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseWebRTC(b *testing.B) {
	data := readTestdata(b, "webrtc.sdp")
	var s Session
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzParse checks that Parse does not panic, that parsing after another body equals
// parsing fresh, and that what it returns is consistent.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.sdp")
	var seeds [][]byte
	for _, file := range files {
		data := readTestdata(f, filepath.Base(file))
		seeds = append(seeds, data)
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var fresh Session
		err := fresh.Parse(data)
		if err != nil && err != ErrNotSDP {
			t.Fatalf("unexpected error %v", err)
		}
		for _, seed := range seeds[:2] {
			var reused Session
			_ = reused.Parse(seed)
			if errReused := reused.Parse(data); errReused != err || !equalSessions(&reused, &fresh) {
				t.Fatalf("parse after another body differs from a fresh parse (-fresh +reused):\n%s", cmp.Diff(summary(&fresh), summary(&reused)))
			}
		}
		if len(fresh.Violations) > MaxViolations || fresh.ViolationCount < len(fresh.Violations) || len(fresh.Media) > MaxMedia {
			t.Fatalf("limits broken: %d violations kept, %d counted, %d media", len(fresh.Violations), fresh.ViolationCount, len(fresh.Media))
		}
		for i := range fresh.Media {
			m := &fresh.Media[i]
			_ = m.Addr(&fresh)
			_ = m.EffectiveDirection(&fresh)
			if m.NumPorts < 1 {
				t.Fatalf("media %d has %d ports", i, m.NumPorts)
			}
		}
	})
}

// TestAddr checks the allocation-free address parser against net/netip.
func TestAddr(t *testing.T) {
	for _, s := range []string{
		"192.0.2.1", "0.0.0.0", "255.255.255.255", "256.1.1.1", "1.2.3", "01.2.3.4", "::", "::1", "2001:db8::2",
		"::ffff:192.0.2.1", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:9", "1::2::3", "fe80::1%eth0", "host.example.com", "",
	} {
		want, err := netip.ParseAddr(s)
		if err != nil || want.Zone() != "" {
			want = netip.Addr{}
		}
		if got := addr([]byte(s)); got != want {
			t.Errorf("addr(%q) = %v, want %v", s, got, want)
		}
	}
}
