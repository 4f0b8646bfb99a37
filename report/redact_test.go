package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ixaudit/ixaudit/analyze"
)

// TestRedactText checks the free-text rules case by case: what is a telephone number and
// what must be left alone.
func TestRedactText(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"sip user number", "sip:+14155550123@acme.pstn.ashburn-ix.twilio.com", "sip:tel-1@acme.pstn.ashburn-ix.twilio.com"},
		{"sips user name", "<sips:alice@example.com;transport=tls>", "<sips:user-1@example.com;transport=tls>"},
		{"upper-case scheme", "SIP:bob@example.com", "SIP:user-1@example.com"},
		{"user with password", "sip:alice:secret@example.com", "sip:user-1@example.com"},
		{"short extension", "sip:1001@pbx.example.com", "sip:tel-1@pbx.example.com"},
		{"escaped plus", "sip:%2B14155550123@h", "sip:tel-1@h"},
		{"no user part", "sip:208.78.112.64:5060;transport=udp", "sip:208.78.112.64:5060;transport=udp"},
		{"tel URI", "<tel:+1-415-555-0123;phone-context=example.com>", "<tel:tel-1;phone-context=example.com>"},
		{"bare E.164", "caller +14155550123 hung up", "caller tel-1 hung up"},
		{"formatted", "call +1 (415) 555-0123 now", "call tel-1 now"},
		{"dotted", "call 415.555.0123", "call tel-1"},
		{"parenthesised", "(415) 555-0123", "tel-1"},
		{"display name", `"Front desk 415 555 0123" <sip:frontdesk@h>`, `"Front desk tel-1" <sip:user-1@h>`},
		{"same number twice", "+14155550123 and 14155550123", "tel-1 and tel-1"},
		{"two numbers", "+14155550123 to +442079460123", "tel-1 to tel-2"},
		{"ip and port", "54.172.60.1:5060 -> 168.86.128.10:10000", "54.172.60.1:5060 -> 168.86.128.10:10000"},
		{"ipv6", "[2001:db8::1234:5678]:5061", "[2001:db8::1234:5678]:5061"},
		{"rfc3339 time", "2024-05-14T10:02:11.250000Z", "2024-05-14T10:02:11.250000Z"},
		{"date and time", "2024-05-14 10:02:11", "2024-05-14 10:02:11"},
		{"ssrc hex", "ssrc 0x12345678", "ssrc 0x12345678"},
		{"ssrc decimal field", "a=ssrc:1234567890 cname:x", "a=ssrc:1234567890 cname:x"},
		{"packet number", "packet 1234567", "packet 1234567"},
		{"cseq", "CSeq: 1234567 INVITE", "CSeq: 1234567 INVITE"},
		{"unit", "1234567 bytes", "1234567 bytes"},
		{"sdp origin", "o=- 3712345678 3712345679 IN IP4 203.0.113.7", "o=- 3712345678 3712345679 IN IP4 203.0.113.7"},
		{"sdp time", "t=3913459200 0", "t=3913459200 0"},
		{"decimal", "jitter 1234567.89", "jitter 1234567.89"},
		{"fraction", "at 10:00:00.123456", "at 10:00:00.123456"},
		{"in a word", "tnx=TN0123456789abcdef", "tnx=TN0123456789abcdef"},
		{"digits then letters", "1234567abc", "1234567abc"},
		{"five digits", "call 12345 ok", "call 12345 ok"},
		{"space joins short groups only", "5060 123456", "5060 tel-1"},
		{"in a file name", "call-4155550123.pcap", "call-tel-1.pcap"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		x := &redactor{numbers: map[string]string{}, users: map[string]string{}}
		if got := x.text(tt.in); got != tt.want {
			t.Errorf("%s: text(%q) = %q, want %q", tt.name, tt.in, got, tt.want)
		}
	}
}

// TestRedactCallID checks Call-ID rewriting: numbers anywhere, IPv4 hosts kept.
func TestRedactCallID(t *testing.T) {
	tests := []struct{ in, want string }{
		{"4155550123@203.0.113.7", "tel-1@203.0.113.7"},
		{"a84b4c76e66710@pc33.example.com", "a84b4c76e66710@pc33.example.com"},
		{"call-4155550123abc@host", "call-tel-1abc@host"},
		{"3848276298220188511@192.0.2.1", "tel-1@192.0.2.1"},
		{"5a1c8e3f7b2d4e6a@198.51.100.10", "5a1c8e3f7b2d4e6a@198.51.100.10"},
	}
	for _, tt := range tests {
		x := &redactor{numbers: map[string]string{}, users: map[string]string{}}
		if got := x.callID(tt.in); got != tt.want {
			t.Errorf("callID(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// phoneReport is a report with telephone numbers in every field that can hold one.
func phoneReport() *analyze.Report {
	const (
		idA = "4155550198@203.0.113.7"      // a Call-ID that is a number
		idB = "ab4155550177cd@pbx.example"  // a number inside a word
		idC = "+14155550123@203.0.113.7"    // the same number as in From, with '+'
		idD = "14155550123@203.0.113.7"     // and without: must stay distinct from idC
		idE = "a84b4c76e66710@pc33.example" // no number: unchanged
	)
	r := &analyze.Report{
		Version: 1, Tool: tool(),
		Rules:  analyze.RulesInfo{Source: "rules-13125550111.yaml", SHA256: "feedfacefeedfacefeedfacefeedfacefeedfacefeedfacefeedfacefeedface"},
		Inputs: []analyze.Input{{Name: "capture-13125550111.pcapng", Packets: 40, LinkTypes: []string{"ethernet"}}, {Name: "b.pcap", Error: "open call-6175550100.pcap: no such file"}},
		Summary: analyze.Summary{Packets: 40, Calls: 5, Errors: 2, Failed: true, FailOn: analyze.SeverityError,
			CallsByPath: map[analyze.Path]int{analyze.PathPublic: 5}, EvidenceGaps: map[string]int{}},
	}
	for i, id := range []string{idA, idB, idC, idD, idE} {
		r.Calls = append(r.Calls, analyze.Call{
			CallID: id, Direction: analyze.DirTermination, Path: analyze.PathPublic, Edge: "ashburn", Gateway: "54.172.60.1",
			Input: "capture-13125550111.pcapng", FirstPacket: i + 1, Start: "2024-05-14T10:02:11.250000Z", FinalStatus: 200, SIPMessages: 2,
			From:       `"Front Desk 0161 496 0734" <sip:+14155550123@203.0.113.7>;tag=1`,
			To:         "<sip:+442079460958@acme.pstn.ashburn-ix.twilio.com>",
			RequestURI: "sip:+442079460958@acme.pstn.twilio.com;user=phone",
			Findings:   1, Rules: []string{"uri-public-host"},
			Messages: []analyze.Message{
				{Packet: i + 1, Time: "2024-05-14T10:02:11.250000Z", Src: "203.0.113.7:5060", Dst: "54.172.60.1:5060", Transport: "udp", Label: "INVITE sip:+442079460958@acme.pstn.twilio.com", CSeq: "1 INVITE"},
				{Packet: i + 2, Time: "2024-05-14T10:02:11.350000Z", Src: "54.172.60.1:5060", Dst: "203.0.113.7:5060", Transport: "udp", Label: "183 Session Progress from +1 (212) 555-0147"},
			},
		})
		r.Streams = append(r.Streams, analyze.Stream{Src: "203.0.113.7:31000", Dst: "168.86.128.20:10004", SSRC: "0xdeadbeef",
			CallID: id, Packets: 10, Codec: "PCMU", MOS: 4.2})
		r.Findings = append(r.Findings, analyze.Finding{
			Rule: "uri-public-host", Severity: analyze.SeverityError, CallID: id, Input: "capture-13125550111.pcapng", Packet: i + 1,
			Time: "2024-05-14T10:02:11.250000Z", Src: "203.0.113.7:5060", Dst: "54.172.60.1:5060", Transport: "udp",
			Message:  "caller 020 7946 0321 redirected to tel:+33-1-98-76-54-32 via sips:carol@example.com",
			Evidence: "P-Asserted-Identity: <tel:+4930987650123>, Diversion: <sip:8005550142@gw.example>",
			Key:      "uri-public-host|sip:+442079460958@acme.pstn.twilio.com",
		})
	}
	return r
}

// plantedNumbers are the numbers of phoneReport, as written there.
var plantedNumbers = []string{
	"4155550198", "4155550177", "+14155550123", "0161 496 0734", "+442079460958", "13125550111",
	"6175550100", "+1 (212) 555-0147", "020 7946 0321", "+33-1-98-76-54-32", "+4930987650123", "8005550142",
}

// leaks lists what of the planted numbers appears in out: any 4 consecutive digits of a
// number, or the second half of its written form.
func leaks(out string) []string {
	var found []string
	for _, n := range plantedNumbers {
		var digits strings.Builder
		for _, c := range n {
			if c >= '0' && c <= '9' {
				digits.WriteRune(c)
			}
		}
		d := digits.String()
		for i := 0; i+4 <= len(d); i++ {
			if strings.Contains(out, d[i:i+4]) {
				found = append(found, n+" ("+d[i:i+4]+")")
				break
			}
		}
		if half := n[len(n)/2:]; strings.Contains(out, half) {
			found = append(found, n+" ("+half+")")
		}
	}
	return found
}

// TestRedactEveryFormat: after Redact, no format shows any part of any planted number;
// without it, they all show (so the check can fail).
func TestRedactEveryFormat(t *testing.T) {
	for _, format := range goldenFormats {
		for _, redact := range []bool{false, true} {
			r := phoneReport()
			if redact {
				Redact(r)
			}
			opt := format.opt
			opt.AllCalls = true
			ren, _ := New(format.format, opt)
			var b bytes.Buffer
			if err := ren.Render(&b, r); err != nil {
				t.Fatal(err)
			}
			found := leaks(b.String())
			if redact && len(found) > 0 {
				t.Errorf("%s after Redact shows %s:\n%s", format.name, strings.Join(found, ", "), b.String())
			}
			if !redact && len(found) == 0 {
				t.Errorf("%s without Redact shows none of the planted numbers: the check proves nothing", format.name)
			}
		}
	}
	// The JSON report itself: every field, not only the ones a format shows.
	r := phoneReport()
	Redact(r)
	js := renderJSON(t, r)
	if found := leaks(string(js)); len(found) > 0 {
		t.Errorf("JSON after Redact shows %s", strings.Join(found, ", "))
	}
}

// TestRedactConsistent: the same number gets the same token everywhere, Call-IDs are
// rewritten alike in calls, streams and findings and stay distinct, and what is not a
// number is left alone.
func TestRedactConsistent(t *testing.T) {
	r := phoneReport()
	before := phoneReport()
	Redact(r)

	ids := map[string]bool{}
	for i := range r.Calls {
		id := r.Calls[i].CallID
		if r.Streams[i].CallID != id || r.Findings[i].CallID != id {
			t.Errorf("call %d: Call-ID %q, stream %q, finding %q", i, id, r.Streams[i].CallID, r.Findings[i].CallID)
		}
		if ids[id] {
			t.Errorf("two calls share the redacted Call-ID %q", id)
		}
		ids[id] = true
	}
	if got, want := r.Calls[4].CallID, before.Calls[4].CallID; got != want {
		t.Errorf("a Call-ID without a number changed: %q -> %q", want, got)
	}
	// +14155550123 in From and in the Call-ID: one token.
	from := r.Calls[0].From
	tok := strings.TrimSuffix(strings.TrimPrefix(r.Calls[2].CallID, ""), "@203.0.113.7")
	if !strings.Contains(from, "<sip:"+tok+"@203.0.113.7>") {
		t.Errorf("From %q does not use the Call-ID's token %q for the same number", from, tok)
	}
	if want := "<sip:tel-7@acme.pstn.ashburn-ix.twilio.com>"; r.Calls[0].To != want && !strings.HasPrefix(r.Calls[0].To, "<sip:tel-") {
		t.Errorf("To = %q, want the number replaced and the host kept", r.Calls[0].To)
	}
	if !strings.HasSuffix(r.Findings[0].Key, "@acme.pstn.twilio.com") || !strings.HasPrefix(r.Findings[0].Key, "uri-public-host|sip:tel-") {
		t.Errorf("Key = %q", r.Findings[0].Key)
	}
	if !strings.Contains(r.Findings[0].Message, "sips:user-") {
		t.Errorf("a user name in a sips: URI is not pseudonymised: %q", r.Findings[0].Message)
	}
	// Never touched: addresses, ports, hosts, rule ids, SSRCs, times, CSeq, counts.
	for i := range r.Calls {
		a, b := r.Calls[i], before.Calls[i]
		if a.Gateway != b.Gateway || a.Edge != b.Edge || a.Start != b.Start || a.Messages[0].Src != b.Messages[0].Src ||
			a.Messages[0].Dst != b.Messages[0].Dst || a.Messages[0].Time != b.Messages[0].Time || a.Messages[0].CSeq != b.Messages[0].CSeq ||
			strings.Join(a.Rules, ",") != strings.Join(b.Rules, ",") {
			t.Errorf("call %d: a field that holds no number changed:\n%+v\n%+v", i, a, b)
		}
		s, sb := r.Streams[i], before.Streams[i]
		if s.Src != sb.Src || s.Dst != sb.Dst || s.SSRC != sb.SSRC {
			t.Errorf("stream %d: addresses or SSRC changed", i)
		}
		f, fb := r.Findings[i], before.Findings[i]
		if f.Rule != fb.Rule || f.Src != fb.Src || f.Dst != fb.Dst || f.Time != fb.Time || f.Packet != fb.Packet {
			t.Errorf("finding %d: rule, addresses, time or packet changed", i)
		}
	}
	if r.Rules.SHA256 != before.Rules.SHA256 {
		t.Error("the rule set checksum changed")
	}
	// Redacting twice with the same report order gives the same tokens: stable under re-runs.
	again := phoneReport()
	Redact(again)
	if diff := cmp.Diff(r, again); diff != "" {
		t.Errorf("Redact is not deterministic:\n%s", diff)
	}
}

// TestRedactCallIDCollision: two Call-IDs that would become one stay two.
func TestRedactCallIDCollision(t *testing.T) {
	r := &analyze.Report{Calls: []analyze.Call{{CallID: "+14155550123@h"}, {CallID: "1-415-555-0123@h"}, {CallID: "call-2"}}}
	Redact(r)
	seen := map[string]bool{}
	for _, c := range r.Calls {
		if seen[c.CallID] {
			t.Errorf("Call-IDs merged into %q: %+v", c.CallID, r.Calls)
		}
		seen[c.CallID] = true
	}
}

// FuzzRedactText: no panic, the same input gives the same output, and a number written
// after any text is still found.
func FuzzRedactText(f *testing.F) {
	for _, s := range []string{"sip:+14155550123@acme.pstn.twilio.com", "call +1 (415) 555-0123 now", "tel:+1-415",
		"2024-05-14T10:02:11.250000Z 54.172.60.1:5060", "o=- 3712345678 3712345679 IN IP4 1.2.3.4", "((((1", "+(", "sip:@", "1.2.3.4.5.6.7"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		x := &redactor{numbers: map[string]string{}, users: map[string]string{}}
		y := &redactor{numbers: map[string]string{}, users: map[string]string{}}
		out := x.text(s)
		if again := y.text(s); again != out {
			t.Fatalf("text(%q) not deterministic: %q vs %q", s, out, again)
		}
		if id := x.callID(s); id != y.callID(s) {
			t.Fatalf("callID(%q) not deterministic", s)
		}
		// Whatever comes before it, " +9876543 " is a number unless a numeric field name
		// or an SDP line precedes it.
		in := s + " +9876543 "
		got := (&redactor{numbers: map[string]string{}, users: map[string]string{}}).text(in)
		if strings.Contains(got, "9876543") && !numericField(in, len(s)+1, len(s)+9) {
			t.Fatalf("text(%q) kept the number: %q", in, got)
		}
	})
}
