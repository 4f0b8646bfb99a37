package sip

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// eq fails the test when got != want, naming what was compared.
func eq[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

// eqb compares a []byte with a string.
func eqb(t *testing.T, what string, got []byte, want string) {
	t.Helper()
	if string(got) != want {
		t.Errorf("%s = %q, want %q", what, got, want)
	}
}

func param(t *testing.T, what string, get func(string) ([]byte, bool), name, want string, wantPresent bool) {
	t.Helper()
	v, ok := get(name)
	if ok != wantPresent || string(v) != want {
		t.Errorf("%s param %q = %q, %v; want %q, %v", what, name, v, ok, want, wantPresent)
	}
}

// TestParseTestdata parses every message in testdata: hand-written messages modelled on
// the RFC 4475 torture tests and on real-world shapes. Each has explicit expectations,
// and its full dump is compared with testdata/golden/NAME.txt (rewrite with -update).
func TestParseTestdata(t *testing.T) {
	tests := []struct {
		file    string
		wantErr error
		defects Defect
		check   func(t *testing.T, m *Message)
	}{
		{file: "invite.sip", check: func(t *testing.T, m *Message) {
			eqb(t, "method", m.Method(), "INVITE")
			u, err := m.RequestURI()
			eq(t, "request-uri error", err, nil)
			eqb(t, "request-uri host", u.Host, "mytrunk.pstn.ashburn-ix.twilio.com")
			eqb(t, "request-uri user", u.User, "+14155550100")
			param(t, "request-uri", u.Param, "edge", "ashburn-ix", true)
			param(t, "request-uri", u.Param, "EDGE", "ashburn-ix", true)
			param(t, "request-uri", u.Param, "tnx", "", false)
			eqb(t, "call-id", m.CallID(), "8f3c2a1b-5d6e-4f70-8a9b-0c1d2e3f4a5b@203.0.113.10")
			eq(t, "cseq", m.CSeq().Num, 1)
			eqb(t, "cseq method", m.CSeq().Method, "INVITE")
			eqb(t, "from display", m.From().Display, "Alice Example")
			eqb(t, "from tag", m.From().Tag(), "4d5e6f70")
			eqb(t, "from host", m.From().URI.Host, "203.0.113.10")
			eq(t, "from port", m.From().URI.Port, 5060)
			eqb(t, "to tag", m.To().Tag(), "")
			eq(t, "vias", len(m.Vias()), 1)
			v := m.Vias()[0]
			eqb(t, "via transport", v.Transport, "UDP")
			eqb(t, "via host", v.Host, "203.0.113.10")
			eq(t, "via port", v.Port, 5060)
			eqb(t, "via branch", v.Branch, "z9hG4bK-524287-1---a3c1d9e2f4b5c6d7")
			eq(t, "via rport present", v.HasRPort, true)
			eq(t, "contacts", len(m.Contacts()), 1)
			param(t, "contact uri", m.Contacts()[0].URI.Param, "transport", "udp", true)
			eq(t, "p-asserted-identity", len(m.PAssertedIdentities()), 1)
			eqb(t, "user-agent", m.UserAgent(), "ExampleSBC 4.2.1")
			eqb(t, "content-type", m.ContentType(), "application/sdp")
			n, ok := m.ContentLength()
			eq(t, "content-length", n, 315)
			eq(t, "content-length present", ok, true)
			eq(t, "body length", len(m.Body()), 315)
			eq(t, "SDP is the body", bytes.Equal(m.SDP(), m.Body()), true)
			eq(t, "Len", m.Len(), len(readTestdata(t, "invite.sip")))
			eqb(t, "Header(Min-SE)", m.Header("min-se"), "90")
			eqb(t, "Header(x)", m.Header("x"), "1800;refresher=uac")
		}},
		{file: "wsinv.sip", check: func(t *testing.T, m *Message) {
			eqb(t, "method", m.Method(), "INVITE")
			u, _ := m.RequestURI()
			param(t, "request-uri", u.Param, "unknownparam", "", true)
			eqb(t, "to addr-spec", m.To().AddrSpec, "sip:vivekg@chair-dnrc.example.com")
			eqb(t, "to tag (LWS around =)", m.To().Tag(), "1918181833n")
			eqb(t, "from display (escaped quotes)", m.From().Display, `J Rosenberg \\\"`)
			eqb(t, "from tag (folded)", m.From().Tag(), "98asjd8")
			eq(t, "cseq (leading zeros, folded)", m.CSeq().Num, 9)
			eqb(t, "cseq method", m.CSeq().Method, "INVITE")
			eqb(t, "Max-Forwards", m.Header("max-forwards"), "0068")
			eqb(t, "empty Subject (compact s)", m.Header("Subject"), "")
			eq(t, "Subject present", m.HasHeader("subject"), true)
			eqb(t, "unknown header with unusual value", m.Header("UnknownHeaderWithUnusualValue"), ";;,,;;,;")
			eqb(t, "folded unknown header", m.Header("newfangledheader"), "newfangled value\r\n continued newfangled value")
			eq(t, "vias over Via and v", len(m.Vias()), 3)
			want := []struct{ transport, host, branch string }{
				{"UDP", "192.0.2.2", "390skdjuw"},
				{"TCP", "spindle.example.com", "z9hG4bK9ikj8"},
				{"UDP", "192.168.255.111", "z9hG4bK30239"},
			}
			for i, w := range want {
				if i >= len(m.Vias()) {
					break
				}
				v := m.Vias()[i]
				if string(v.Transport) != w.transport || string(v.Host) != w.host || string(v.Branch) != w.branch {
					t.Errorf("via[%d] = %s %s branch %s, want %s %s branch %s", i, v.Transport, v.Host, v.Branch, w.transport, w.host, w.branch)
				}
			}
			eq(t, "via[0] rport", m.Vias()[0].HasRPort, true)
			eq(t, "routes", len(m.Routes()), 1)
			param(t, "route uri", m.Routes()[0].URI.Param, "lr", "", true)
			param(t, "route uri", m.Routes()[0].URI.Param, "unknownwith", "value", true)
			eq(t, "contacts", len(m.Contacts()), 1)
			c := m.Contacts()[0]
			eqb(t, "contact display", c.Display, `Quoted string \"\"`)
			param(t, "contact", c.Param, "newparam", "newvalue", true)
			param(t, "contact", c.Param, "secondparam", "", true)
			param(t, "contact", c.Param, "q", "0.33", true)
			eq(t, "body", len(m.Body()), 150)
		}},
		{file: "intmeth.sip", check: func(t *testing.T, m *Message) {
			eqb(t, "method", m.Method(), "!interesting-Method0123456789_*+`.%indeed'~")
			u, err := m.RequestURI()
			eq(t, "request-uri error", err, nil)
			eqb(t, "request-uri user", u.User, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*")
			eqb(t, "request-uri password", u.Password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)")
			eqb(t, "request-uri host", u.Host, "example.com")
			eqb(t, "to display (control characters)", m.To().Display, "BEL:\\\x07 NUL:\\\x00 DEL:\\\x7f")
			eqb(t, "to user", m.To().URI.User, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*")
			eqb(t, "from display", m.From().Display, "token1~` token2'+_ token3*%!.-")
			eqb(t, "from tag", m.From().Tag(), "_token~1'+`*%!-.")
			param(t, "from", m.From().Param, "fromParam''~+*_!.-%", "работающий", true)
			eqb(t, "via branch", m.Vias()[0].Branch, "z9hG4bK-.!%66*_+`'~")
			eqb(t, "call-id", m.CallID(), "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{")
			eqb(t, "cseq method", m.CSeq().Method, "!interesting-Method0123456789_*+`.%indeed'~")
			eqb(t, "extension header", m.Header("extensionheader-!.%*+_`'~"), "\uFEFF大停電")
		}},
		{file: "esc01.sip", check: func(t *testing.T, m *Message) {
			u, _ := m.RequestURI()
			eqb(t, "request-uri user (escaped, not decoded)", u.User, "sips%3Auser%40example.com")
			eqb(t, "request-uri host", u.Host, "example.net")
			eqb(t, "from user", m.From().URI.User, "I%20have%20spaces")
			eqb(t, "content-type via compact C", m.ContentType(), "application/sdp")
			param(t, "contact uri", m.Contacts()[0].URI.Param, "n%61me", "v%61lue%25%34%31", true)
			eq(t, "sdp", len(m.SDP()), 150)
		}},
		{file: "escnull.sip", check: func(t *testing.T, m *Message) {
			eqb(t, "to user", m.To().URI.User, "null-%00-null")
			eq(t, "contacts over two fields", len(m.Contacts()), 2)
			eqb(t, "contact[1] user", m.Contacts()[1].URI.User, "%00%00")
			n, ok := m.ContentLength()
			eq(t, "content-length (L:0)", n, 0)
			eq(t, "content-length present", ok, true)
		}},
		{file: "esc02.sip", check: func(t *testing.T, m *Message) {
			eqb(t, "method", m.Method(), "RE%47IST%45R")
			eqb(t, "to display", m.To().Display, "%Z%45")
			eq(t, "contacts (C%6Fntact is another header)", len(m.Contacts()), 2)
			eqb(t, "C%6Fntact", m.Header("C%6Fntact"), "<sip:alias2@host2.example.com>")
		}},
		{file: "lwsdisp.sip", check: func(t *testing.T, m *Message) {
			eqb(t, "from display", m.From().Display, "caller")
			eqb(t, "from tag", m.From().Tag(), "323")
		}},
		{file: "dblreq.sip", check: func(t *testing.T, m *Message) {
			eqb(t, "method", m.Method(), "REGISTER")
			eqb(t, "call-id (compact I)", m.CallID(), "dblreq.0ha0isndaksdj99sdfafnl3lk233412")
			eq(t, "body", len(m.Body()), 0)
			all := readTestdata(t, "dblreq.sip")
			if m.Len() >= len(all) || !bytes.HasPrefix(all[m.Len():], []byte("INVITE ")) {
				t.Errorf("Len = %d of %d: the trailing INVITE is not left over", m.Len(), len(all))
			}
		}},
		{file: "semiuri.sip", check: func(t *testing.T, m *Message) {
			u, err := m.RequestURI()
			eq(t, "request-uri error", err, nil)
			eqb(t, "user with ';'", u.User, "user;par=u%40example.net")
			eqb(t, "host", u.Host, "example.com")
			eqb(t, "folded Accept", m.Header("accept"), "application/sdp, application/pkcs7-mime,\r\n        multipart/mixed, multipart/signed,\r\n        message/sip, message/sipfrag")
		}},
		{file: "transports.sip", check: func(t *testing.T, m *Message) {
			var got []string
			for _, v := range m.Vias() {
				got = append(got, string(v.Transport)+" "+string(v.Host))
			}
			want := []string{"UDP t1.example.com", "SCTP t2.example.com", "TLS t3.example.com", "UNKNOWN t4.example.com", "TCP t5.example.com"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("vias (-want +got):\n%s", diff)
			}
			eq(t, "TransportIs(tls)", m.Vias()[2].TransportIs("tls"), true)
		}},
		{file: "mpart.sip", check: func(t *testing.T, m *Message) {
			sdp := string(m.SDP())
			if !strings.HasPrefix(sdp, "v=0\r\n") || !strings.HasSuffix(sdp, "m=audio 20000 RTP/AVP 8") {
				t.Errorf("SDP = %q, want the application/sdp part without the delimiter's CRLF", sdp)
			}
		}},
		{file: "mpart-nested.sip", check: func(t *testing.T, m *Message) {
			sdp := string(m.SDP())
			if !strings.HasPrefix(sdp, "v=0\r\n") || !strings.HasSuffix(sdp, "m=audio 30000 RTP/AVP 0") {
				t.Errorf("SDP = %q, want the nested application/sdp part", sdp)
			}
		}},
		{file: "unreason.sip", check: func(t *testing.T, m *Message) {
			eq(t, "status", m.StatusCode(), 200)
			eqb(t, "reason", m.Reason(), "= 2**3 * 5**2 но сто девяносто девять - простое")
			eq(t, "is request", m.IsRequest(), false)
			eq(t, "sdp", len(m.SDP()), 150)
		}},
		{file: "noreason.sip", check: func(t *testing.T, m *Message) {
			eq(t, "status", m.StatusCode(), 100)
			eqb(t, "reason", m.Reason(), "")
			eqb(t, "to tag", m.To().Tag(), "902jndnke3")
		}},
		{file: "ipv6.sip", check: func(t *testing.T, m *Message) {
			u, _ := m.RequestURI()
			eqb(t, "request-uri host without brackets", u.Host, "2001:db8::10")
			eq(t, "IsIPv6", u.IsIPv6(), true)
			v := m.Vias()[0]
			eqb(t, "via host", v.Host, "2001:db8::9:1")
			eq(t, "via port", v.Port, 5070)
			eqb(t, "via received", v.Received, "2001:db8::9:255")
			eq(t, "via rport", v.RPort, 5071)
			c := m.Contacts()[0].URI
			eqb(t, "contact host", c.Host, "2001:db8::1")
			eq(t, "contact port", c.Port, 5070)
		}},
		{file: "clerr.sip", defects: DefectBodyTruncated, check: func(t *testing.T, m *Message) {
			n, _ := m.ContentLength()
			eq(t, "content-length", n, 9999)
			eq(t, "body is what is there", len(m.Body()), 150)
			eq(t, "BodyTruncated", m.BodyTruncated(), true)
		}},
		{file: "ncl.sip", defects: DefectBadContentLength, check: func(t *testing.T, m *Message) {
			n, ok := m.ContentLength()
			eq(t, "content-length", n, -1)
			eq(t, "content-length present", ok, true)
			eq(t, "body is the rest", len(m.Body()), 150)
			eq(t, "BodyTruncated", m.BodyTruncated(), true)
		}},
		{file: "scalar02.sip", defects: DefectBadCSeq, check: func(t *testing.T, m *Message) {
			eq(t, "cseq", m.CSeq().Num, 0)
			param(t, "contact", m.Contacts()[0].Param, "expires", "280297596632815", true)
		}},
		{file: "quotbal.sip", defects: DefectBadAddress, check: func(t *testing.T, m *Message) {
			eq(t, "To is zero", m.To().IsZero(), true)
			eqb(t, "To header still readable", m.Header("to"), `"Mr. J. User <sip:j.user@example.com>`)
		}},
		{file: "ltgtruri.sip", defects: DefectBadRequestURI, check: func(t *testing.T, m *Message) {
			_, err := m.RequestURI()
			eq(t, "request-uri error", err, ErrBadURI)
			eqb(t, "raw request-uri", m.RawRequestURI(), "<sip:user@example.com>")
		}},
		{file: "lwsruri.sip", defects: DefectBadRequestURI, check: func(t *testing.T, m *Message) {
			eqb(t, "raw request-uri", m.RawRequestURI(), "sip:user@example.com; lr")
			eq(t, "cseq", m.CSeq().Num, 2130706432)
		}},
		{file: "lwsstart.sip", check: func(t *testing.T, m *Message) {
			u, _ := m.RequestURI()
			eqb(t, "request-uri host", u.Host, "example.com")
			eqb(t, "version", m.Version(), "SIP/2.0")
		}},
		{file: "trws.sip", check: func(t *testing.T, m *Message) {
			eqb(t, "version", m.Version(), "SIP/2.0")
		}},
		{file: "escruri.sip", check: func(t *testing.T, m *Message) {
			u, _ := m.RequestURI()
			eqb(t, "uri headers", u.Headers, "Route=%3Csip:example.com%3E")
			v, ok := u.Header("route")
			eqb(t, "uri header route", v, "%3Csip:example.com%3E")
			eq(t, "uri header present", ok, true)
		}},
		{file: "badaspec.sip", check: func(t *testing.T, m *Message) {
			eqb(t, "to display with comma", m.To().Display, "Watson, Thomas")
			eqb(t, "to host (spaces inside <>)", m.To().URI.Host, "example.org")
		}},
		{file: "regbadct.sip", check: func(t *testing.T, m *Message) {
			u := m.Contacts()[0].URI
			eqb(t, "contact uri headers", u.Headers, "Route=%3Csip:sip.example.com%3E")
		}},
		{file: "baddn.sip", check: func(t *testing.T, m *Message) {
			eqb(t, "from display", m.From().Display, "Bell, Alexander")
			eqb(t, "from tag", m.From().Tag(), "43")
		}},
		{file: "badvers.sip", check: func(t *testing.T, m *Message) {
			eqb(t, "version", m.Version(), "SIP/7.0")
		}},
		{file: "bigcode.sip", wantErr: ErrMalformed},
		{file: "insuf.sip", defects: DefectMissingHeader, check: func(t *testing.T, m *Message) {
			eqb(t, "call-id", m.CallID(), "")
			eq(t, "From zero", m.From().IsZero(), true)
		}},
		{file: "unksm2.sip", defects: DefectBadAddress, check: func(t *testing.T, m *Message) {
			eqb(t, "to addr-spec", m.To().AddrSpec, "isbn:2983792873")
			eq(t, "to uri zero", m.To().URI.IsZero(), true)
			eqb(t, "contact addr-spec", m.Contacts()[0].AddrSpec, "name:John_Smith")
		}},
		{file: "novelsc.sip", defects: DefectBadRequestURI, check: func(t *testing.T, m *Message) {
			_, err := m.RequestURI()
			eq(t, "request-uri error", err, ErrUnsupportedScheme)
		}},
		{file: "mcl01.sip", defects: DefectConflictingContentLength, check: func(t *testing.T, m *Message) {
			n, _ := m.ContentLength()
			eq(t, "first content-length wins", n, 13)
			eqb(t, "body", m.Body(), "There's no wa")
		}},
		{file: "cparam.sip", check: func(t *testing.T, m *Message) {
			eq(t, "contacts", len(m.Contacts()), 3)
			c0 := m.Contacts()[0]
			param(t, "bare contact header param", c0.Param, "unknownparam", "", true)
			param(t, "bare contact uri param", c0.URI.Param, "unknownparam", "", false)
			c1 := m.Contacts()[1]
			param(t, "bracketed contact uri param", c1.URI.Param, "unknownparam", "", true)
			param(t, "bracketed contact header param", c1.Param, "expires", "60", true)
			c2 := m.Contacts()[2]
			eq(t, "tel scheme", c2.URI.SchemeIs("tel"), true)
			eqb(t, "tel number", c2.URI.User, "+1-972-555-2222")
			param(t, "tel", c2.URI.Param, "phone-context", "example.net", true)
			eqb(t, "rfc 2543 via without branch", m.Vias()[0].Branch, "")
		}},
		{file: "barelf.sip", check: func(t *testing.T, m *Message) {
			eq(t, "vias", len(m.Vias()), 2)
			eqb(t, "branch after ' ;'", m.Vias()[0].Branch, "z9hG4bK776asdhds")
			eq(t, "rport after ' ; '", m.Vias()[0].HasRPort, true)
			eqb(t, "branch on folded line", m.Vias()[1].Branch, "z9hG4bK-folded")
			eqb(t, "from tag after ' ;'", m.From().Tag(), "1928301774")
			eqb(t, "folded subject", m.Header("subject"), "a subject\n that was folded")
			eq(t, "sdp", bytes.HasPrefix(m.SDP(), []byte("v=0\no=alice")), true)
			eq(t, "body ends the message", m.Len(), len(readTestdata(t, "barelf.sip")))
		}},
		{file: "compact.sip", check: func(t *testing.T, m *Message) {
			for _, c := range []struct{ long, want string }{
				{"Via", "SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK-c1;rport"},
				{"From", `"Caller" <sip:+15559870000@198.51.100.7>;tag=c-1`},
				{"To", "<sip:+15551230000@trunk.pstn.twilio.com>"},
				{"Call-ID", "compact-1@198.51.100.7"},
				{"Contact", "<sip:+15559870000@198.51.100.7:5060>"},
				{"Supported", "timer, 100rel"},
				{"Subject", "compact test"},
				{"Session-Expires", "1800;refresher=uac"},
				{"Event", "presence"},
				{"Allow-Events", "talk, hold"},
				{"Refer-To", "<sip:transfer@example.com>"},
				{"Referred-By", "<sip:referrer@example.com>"},
				{"Content-Encoding", "identity"},
				{"Identity", "c2lnbmF0dXJl"},
				{"Identity-Info", "<https://cert.example.com/cert>;alg=rsa-sha1"},
				{"Accept-Contact", "*;audio"},
				{"Reject-Contact", "*;video"},
				{"Request-Disposition", "proxy"},
				{"Content-Type", "application/sdp"},
			} {
				eqb(t, "Header("+c.long+")", m.Header(c.long), c.want)
			}
			eqb(t, "to host", m.To().URI.Host, "trunk.pstn.twilio.com")
			eq(t, "sdp", len(m.SDP()) > 0, true)
		}},
		{file: "origination.sip", check: func(t *testing.T, m *Message) {
			u, _ := m.RequestURI()
			param(t, "request-uri", u.Param, "edge", "ashburn-ix", true)
			param(t, "request-uri", u.Param, "transport", "udp", true)
			eq(t, "record-routes over two fields", len(m.RecordRoutes()), 3)
			eqb(t, "record-route[0] host", m.RecordRoutes()[0].URI.Host, "208.78.112.64")
			eqb(t, "record-route[2] host", m.RecordRoutes()[2].URI.Host, "10.0.0.9")
			eq(t, "vias", len(m.Vias()), 3)
			eqb(t, "via[1] received", m.Vias()[1].Received, "172.18.0.20")
			eqb(t, "via[2] branch", m.Vias()[2].Branch, "z9hG4bK-tw-2")
			eq(t, "p-asserted-identity", len(m.PAssertedIdentities()), 2)
			eq(t, "pai[1] tel", m.PAssertedIdentities()[1].URI.SchemeIs("tel"), true)
			eqb(t, "server", m.Server(), "Twilio")
			eqb(t, "user-agent", m.UserAgent(), "Twilio Gateway")
			eq(t, "routes", len(m.Routes()), 1)
		}},
		{file: "http-request.sip", wantErr: ErrNotSIP},
		{file: "http-response.sip", wantErr: ErrNotSIP},
	}
	seen := map[string]bool{}
	var m Message
	for _, tt := range tests {
		seen[tt.file] = true
		t.Run(tt.file, func(t *testing.T) {
			data := readTestdata(t, tt.file)
			err := m.Parse(data)
			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Fatalf("Parse error = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				if m.Len() != 0 || len(m.Headers()) != 0 {
					t.Errorf("after an error the Message is not empty: Len %d, %d headers", m.Len(), len(m.Headers()))
				}
				return
			}
			if m.Defects() != tt.defects {
				t.Errorf("Defects = %q, want %q", m.Defects(), tt.defects)
			}
			if tt.check != nil {
				tt.check(t, &m)
			}
			golden(t, tt.file, dump(&m))
		})
	}
	files, _ := filepath.Glob("testdata/*.sip")
	for _, f := range files {
		if !seen[filepath.Base(f)] {
			t.Errorf("%s has no test case", f)
		}
	}
}

// golden compares got with testdata/golden/NAME.txt, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", strings.TrimSuffix(name, ".sip")+".txt")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("dump differs from %s (-want +got):\n%s", path, diff)
	}
}

// TestReuseEqualsFresh parses every testdata message after every other one into the same
// Message and checks that the result equals a fresh parse.
func TestReuseEqualsFresh(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.sip")
	var inputs [][]byte
	for _, f := range files {
		inputs = append(inputs, readTestdata(t, filepath.Base(f)))
	}
	for i, a := range inputs {
		for j, b := range inputs {
			var reused, fresh Message
			_ = reused.Parse(a)
			errReused := reused.Parse(b)
			errFresh := fresh.Parse(b)
			if !sameError(errReused, errFresh) {
				t.Fatalf("%s after %s: error %v, fresh %v", files[j], files[i], errReused, errFresh)
			}
			if !equalMessages(&reused, &fresh) {
				t.Fatalf("%s after %s differs from a fresh parse (-fresh +reused):\n%s",
					files[j], files[i], cmp.Diff(dump(&fresh), dump(&reused)))
			}
		}
	}
}

func sameError(a, b error) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Error() == b.Error()
}

// equalMessages compares two Messages field by field (slices by their contents, not their
// capacity).
func equalMessages(a, b *Message) bool {
	return reflect.DeepEqual(normalized(a), normalized(b))
}

// normalized returns a copy of m whose empty lists are nil: a reused Message keeps
// empty backing arrays where a fresh one has none.
func normalized(m *Message) Message {
	c := *m
	nilIfEmpty(&c.hdrs)
	nilIfEmpty(&c.vias)
	nilIfEmpty(&c.contacts)
	nilIfEmpty(&c.routes)
	nilIfEmpty(&c.rroutes)
	nilIfEmpty(&c.pai)
	return c
}

func nilIfEmpty[T any](s *[]T) {
	if len(*s) == 0 {
		*s = nil
	}
}

// TestParseErrors covers inputs that are not SIP messages, with the sentinel each wraps.
func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"empty", "", ErrKeepAlive},
		{"CRLF keep-alive", "\r\n\r\n", ErrKeepAlive},
		{"single CRLF pong", "\r\n", ErrKeepAlive},
		{"NUL keep-alive", "\x00\x00\x00\x00", ErrKeepAlive},
		{"white space only", " \t \r\n", ErrNotSIP},
		{"HTTP request", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", ErrNotSIP},
		{"HTTP response", "HTTP/1.1 200 OK\r\n\r\n", ErrNotSIP},
		{"HTTP OPTIONS", "OPTIONS * HTTP/1.1\r\n\r\n", ErrNotSIP},
		{"RTP", "\x80\x00\x12\x34\x00\x00\x00\xa0\xde\xad\xbe\xef", ErrNotSIP},
		{"STUN", "\x00\x01\x00\x00\x21\x12\xa4\x42abcdefghijkl", ErrNotSIP},
		{"TLS record", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", ErrNotSIP},
		{"method only", "INVITE\r\n\r\n", ErrNotSIP},
		{"no version", "INVITE sip:a@b\r\n\r\n", ErrNotSIP},
		{"no request-uri", "INVITE SIP/2.0\r\n\r\n", ErrMalformed},
		{"status two digits", "SIP/2.0 20 OK\r\n\r\n", ErrMalformed},
		{"status four digits", "SIP/2.0 2000 OK\r\n\r\n", ErrMalformed},
		{"status below 100", "SIP/2.0 099 Odd\r\n\r\n", ErrMalformed},
		{"status not digits", "SIP/2.0 abc OK\r\n\r\n", ErrMalformed},
		{"bad version in status", "SIP/x 200 OK\r\n\r\n", ErrMalformed},
		{"too many headers", "OPTIONS sip:a@b SIP/2.0\r\n" + strings.Repeat("X: y\r\n", MaxHeaders+1) + "\r\n", ErrTooManyHeaders},
	}
	var m Message
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := m.Parse([]byte(tt.in))
			if !errors.Is(err, tt.want) {
				t.Errorf("Parse(%q) error = %v, want %v", tt.in, err, tt.want)
			}
		})
	}
}

// TestParseLenient covers shapes that must parse, with the defects they leave.
func TestParseLenient(t *testing.T) {
	const base = "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n"
	tests := []struct {
		name    string
		in      string
		defects Defect
		body    string
		check   func(t *testing.T, m *Message)
	}{
		{name: "UDP without Content-Length: body is the rest", in: "OPTIONS sip:a@h SIP/2.0\r\n" + base + "\r\nhello", body: "hello"},
		{name: "Content-Length shorter than data", in: "OPTIONS sip:a@h SIP/2.0\r\n" + base + "Content-Length: 2\r\n\r\nhello", body: "he"},
		{name: "Content-Length with white space", in: "OPTIONS sip:a@h SIP/2.0\r\n" + base + "Content-Length:\t 3 \r\n\r\nhello", body: "hel"},
		{name: "Content-Length larger", in: "OPTIONS sip:a@h SIP/2.0\r\n" + base + "l: 10\r\n\r\nhello", body: "hello", defects: DefectBodyTruncated},
		{name: "Content-Length absurd", in: "OPTIONS sip:a@h SIP/2.0\r\n" + base + "Content-Length: 99999999999999999999\r\n\r\nhello", body: "hello", defects: DefectBadContentLength},
		{name: "Content-Length non-numeric", in: "OPTIONS sip:a@h SIP/2.0\r\n" + base + "Content-Length: bad\r\n\r\nhello", body: "hello", defects: DefectBadContentLength},
		{name: "Content-Length plus sign", in: "OPTIONS sip:a@h SIP/2.0\r\n" + base + "Content-Length: +5\r\n\r\nhello", body: "hello", defects: DefectBadContentLength},
		{name: "Content-Length empty", in: "OPTIONS sip:a@h SIP/2.0\r\n" + base + "Content-Length:\r\n\r\nhello", body: "hello", defects: DefectBadContentLength},
		{name: "headers cut short", in: "OPTIONS sip:a@h SIP/2.0\r\n" + base + "Content-Le", defects: DefectHeadersUnterminated},
		{name: "headers cut after CR", in: "OPTIONS sip:a@h SIP/2.0\r\n" + base + "Content-Length: 5\r", defects: DefectHeadersUnterminated | DefectBodyTruncated},
		{name: "start line only", in: "OPTIONS sip:a@h SIP/2.0", defects: DefectHeadersUnterminated | DefectMissingHeader},
		{name: "leading CRLF", in: "\r\n\r\nOPTIONS sip:a@h SIP/2.0\r\n" + base + "\r\n", check: func(t *testing.T, m *Message) {
			eqb(t, "method", m.Method(), "OPTIONS")
		}},
		{name: "leading NUL junk", in: "\x00\x00\x00\x00OPTIONS sip:a@h SIP/2.0\r\n" + base + "\r\n", defects: DefectLeadingJunk},
		{name: "tabs in start line", in: "OPTIONS\tsip:a@h\tSIP/2.0\r\n" + base + "\r\n"},
		{name: "lower-case version", in: "OPTIONS sip:a@h sip/2.0\r\n" + base + "\r\n"},
		{name: "response without reason and SP", in: "SIP/2.0 180\r\n" + base + "\r\n", check: func(t *testing.T, m *Message) {
			eq(t, "status", m.StatusCode(), 180)
		}},
		{name: "bad Via kept out of the list", in: "OPTIONS sip:a@h SIP/2.0\r\nVia: garbage\r\n" + base + "\r\n", defects: DefectBadVia, check: func(t *testing.T, m *Message) {
			eq(t, "vias", len(m.Vias()), 1)
		}},
		{name: "Via without LWS before sent-by", in: "OPTIONS sip:a@h SIP/2.0\r\nVia: SIP/2.0/UDPhost\r\n" + base[36:] + "\r\n", defects: DefectBadVia},
		{name: "Via port out of range", in: "OPTIONS sip:a@h SIP/2.0\r\nVia: SIP/2.0/UDP h:70000\r\n" + base + "\r\n", defects: DefectBadVia},
		{name: "CSeq without method", in: "OPTIONS sip:a@h SIP/2.0\r\nCSeq: 7\r\n" + base + "\r\n", defects: DefectBadCSeq},
		{name: "second CSeq ignored", in: "OPTIONS sip:a@h SIP/2.0\r\n" + base + "CSeq: 9 BYE\r\n\r\n", check: func(t *testing.T, m *Message) {
			eq(t, "cseq", m.CSeq().Num, 1)
		}},
		{name: "Contact star", in: "REGISTER sip:h SIP/2.0\r\n" + base + "Contact: *\r\nExpires: 0\r\n\r\n", check: func(t *testing.T, m *Message) {
			eq(t, "contacts", len(m.Contacts()), 1)
			eqb(t, "star", m.Contacts()[0].AddrSpec, "*")
		}},
		{name: "comma in quoted display name", in: "OPTIONS sip:a@h SIP/2.0\r\n" + base + "Contact: \"Doe, John\" <sip:j@h>, <sip:k@h;a=b,c>\r\n\r\n", check: func(t *testing.T, m *Message) {
			// The comma inside <sip:k@h;a=b,c> does not split the element.
			eq(t, "contacts", len(m.Contacts()), 2)
			eqb(t, "display", m.Contacts()[0].Display, "Doe, John")
			param(t, "contact[1] uri", m.Contacts()[1].URI.Param, "a", "b,c", true)
		}},
		{name: "too many Via values", in: "OPTIONS sip:a@h SIP/2.0\r\nVia: " + strings.Repeat("SIP/2.0/UDP h,", MaxListValues+5) + "SIP/2.0/UDP h\r\n" + base + "\r\n", defects: DefectTooManyValues, check: func(t *testing.T, m *Message) {
			eq(t, "vias kept", len(m.Vias()), MaxListValues)
		}},
		{name: "header name with trailing space", in: "OPTIONS sip:a@h SIP/2.0\r\n" + base + "Subject   :   hi  \r\n\r\n", check: func(t *testing.T, m *Message) {
			eqb(t, "subject", m.Header("subject"), "hi")
		}},
		{name: "header line without colon is skipped", in: "OPTIONS sip:a@h SIP/2.0\r\nVia SIP/2.0/UDP x\r\n" + base + "\r\n", defects: DefectBadHeaderLine, check: func(t *testing.T, m *Message) {
			eq(t, "headers", len(m.Headers()), 5)
		}},
		{name: "header name with a space is kept", in: "OPTIONS sip:a@h SIP/2.0\r\n" + base + "Call ID: x\r\n\r\n", defects: DefectBadHeaderLine, check: func(t *testing.T, m *Message) {
			eqb(t, "odd header", m.Header("call id"), "x")
			eqb(t, "call-id unchanged", m.CallID(), "c")
		}},
		{name: "header name with a control byte is kept", in: "OPTIONS sip:a@h SIP/2.0\r\nVi\x1d: SIP/2.0/UDP x\r\n" + base + "\r\n", defects: DefectBadHeaderLine, check: func(t *testing.T, m *Message) {
			eq(t, "vias", len(m.Vias()), 1)
			eq(t, "kind", m.Headers()[0].Kind, HeaderOther)
		}},
		{name: "colon first is skipped", in: "OPTIONS sip:a@h SIP/2.0\r\n: x\r\n" + base + "\r\n", defects: DefectBadHeaderLine},
		{name: "continuation first is skipped", in: "OPTIONS sip:a@h SIP/2.0\r\n folded: x\r\n" + base + "\r\n", defects: DefectBadHeaderLine, check: func(t *testing.T, m *Message) {
			eq(t, "headers", len(m.Headers()), 5)
		}},
		{name: "unbracketed IPv6 in URIs and Via", in: "INVITE sip:4321@fec0:0:0:0:216:d3ff:fe0d:22c:5060 SIP/2.0\r\nVia: SIP/2.0/UDP fe80:0:0:0:21a:a0ff:fe07:32e0:5062;branch=z9hG4bK6\r\n" + base[36:] + "Contact: <sip:9876@fe80::1>\r\n\r\n", check: func(t *testing.T, m *Message) {
			u, err := m.RequestURI()
			eq(t, "request-uri error", err, nil)
			eqb(t, "request-uri host", u.Host, "fec0:0:0:0:216:d3ff:fe0d:22c")
			eq(t, "request-uri port", u.Port, 5060)
			eqb(t, "via host", m.Vias()[0].Host, "fe80:0:0:0:21a:a0ff:fe07:32e0")
			eq(t, "via port", m.Vias()[0].Port, 5062)
			eqb(t, "contact host", m.Contacts()[0].URI.Host, "fe80::1")
			eq(t, "contact port", m.Contacts()[0].URI.Port, 0)
		}},
		{name: "generic header lookup is case-insensitive", in: "OPTIONS sip:a@h SIP/2.0\r\n" + base + "X-Twilio-AccountSid: AC1\r\nx-twilio-accountsid: AC2\r\n\r\n", check: func(t *testing.T, m *Message) {
			eqb(t, "first value", m.Header("X-TWILIO-ACCOUNTSID"), "AC1")
			eq(t, "absent header", m.Header("X-Other") == nil, true)
			eq(t, "HasHeader absent", m.HasHeader("X-Other"), false)
		}},
	}
	var m Message
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := m.Parse([]byte(tt.in)); err != nil {
				t.Fatalf("Parse error: %v", err)
			}
			if m.Defects() != tt.defects {
				t.Errorf("Defects = %q, want %q", m.Defects(), tt.defects)
			}
			eqb(t, "body", m.Body(), tt.body)
			if tt.check != nil {
				tt.check(t, &m)
			}
		})
	}
}

// TestParseErrorOffset checks that errors name the offset of the offending line.
func TestParseErrorOffset(t *testing.T) {
	var m Message
	in := "\r\n\r\nSIP/2.0 20 OK\r\nVia: SIP/2.0/UDP h\r\n\r\n"
	err := m.Parse([]byte(in))
	want := strings.Index(in, "SIP")
	if err == nil || !strings.Contains(err.Error(), "offset "+strconv.Itoa(want)+":") {
		t.Errorf("error %v does not name offset %d", err, want)
	}
}

// TestParseDoesNotAllocate proves the hot path: a realistic INVITE with SDP, and a
// response, parse into a reused Message without allocating, accessors included.
func TestParseDoesNotAllocate(t *testing.T) {
	for _, name := range []string{"invite.sip", "origination.sip", "wsinv.sip", "mpart.sip", "unreason.sip"} {
		data := readTestdata(t, name)
		var m Message
		allocs := testing.AllocsPerRun(100, func() {
			if err := m.Parse(data); err != nil {
				t.Fatal(err)
			}
			_ = m.SDP()
			_ = m.Header("max-forwards")
			_ = m.Header("X-Unknown")
			_, _ = m.RequestURI()
			_ = m.From().Tag()
			if len(m.Vias()) > 0 {
				_, _ = m.Vias()[0].Param("branch")
			}
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocations per Parse, want 0", name, allocs)
		}
	}
}
