package sip

import "testing"

func benchmarkParse(b *testing.B, name string) {
	data := readTestdata(b, name)
	var m Message
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if err := m.Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseInvite parses a realistic INVITE with SDP (testdata/invite.sip).
func BenchmarkParseInvite(b *testing.B) { benchmarkParse(b, "invite.sip") }

// BenchmarkParseOrigination parses an INVITE with Record-Route and Via lists.
func BenchmarkParseOrigination(b *testing.B) { benchmarkParse(b, "origination.sip") }

// BenchmarkParseTortuous parses the folded, LWS-heavy RFC 4475 INVITE.
func BenchmarkParseTortuous(b *testing.B) { benchmarkParse(b, "wsinv.sip") }

// BenchmarkParseInviteAndRead parses the INVITE and reads what the analysis reads.
func BenchmarkParseInviteAndRead(b *testing.B) {
	data := readTestdata(b, "invite.sip")
	var m Message
	b.ReportAllocs()
	for b.Loop() {
		if err := m.Parse(data); err != nil {
			b.Fatal(err)
		}
		u, _ := m.RequestURI()
		_, _ = u.Param("edge")
		_ = m.SDP()
		_ = m.From().Tag()
		_ = m.Header("X-Twilio-CallSid")
	}
}

func BenchmarkFrame(b *testing.B) {
	data := readTestdata(b, "invite.sip")
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if Frame(data, false) != len(data) {
			b.Fatal("not framed")
		}
	}
}

func BenchmarkParseURI(b *testing.B) {
	data := []byte("sip:+14155550100@trunk.pstn.ashburn-ix.twilio.com:5060;edge=ashburn-ix;transport=udp")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseURI(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLooksLikeSIP(b *testing.B) {
	data := readTestdata(b, "invite.sip")
	b.ReportAllocs()
	for b.Loop() {
		if !LooksLikeSIP(data) {
			b.Fatal("not SIP")
		}
	}
}
