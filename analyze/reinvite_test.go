package analyze_test

import (
	"bytes"
	"net/netip"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"

	"github.com/ixaudit/ixaudit/analyze"
)

// TestManyRefreshesThenMediaMoves is a long Interconnect call: Twilio refreshes the
// session with re-INVITEs that announce the same media again and again, then moves its
// media to another address of its range, and RTP flows to the new address. Every
// endpoint was announced, so there is no media-unannounced finding, and the call is
// clean, whatever the number of refreshes (an endpoint list filled with repeats of the
// first SDPs once made the moved media look unannounced).
func TestManyRefreshesThenMediaMoves(t *testing.T) {
	sbc := netip.MustParseAddrPort("10.0.0.1:5060")
	gw := netip.MustParseAddrPort("208.78.112.64:5060") // Ashburn Interconnect gateway
	sbcMedia := netip.MustParseAddrPort("10.0.0.1:20000")
	twMedia := netip.MustParseAddrPort("168.86.128.9:20000")
	moved := netip.MustParseAddrPort("168.86.129.77:30000")
	sdpOf := func(ep netip.AddrPort) string {
		a := ep.Addr().String()
		body := "v=0\r\no=- 1 1 IN IP4 " + a + "\r\ns=-\r\nc=IN IP4 " + a + "\r\nt=0 0\r\nm=audio " +
			strconv.Itoa(int(ep.Port())) + " RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
		return "Content-Type: application/sdp\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
	}
	const callID = "refresh@10.0.0.1"
	fromSBC := func(method, uri string, cseq int, ep netip.AddrPort) string {
		return method + " " + uri + " SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKr" + strconv.Itoa(cseq) + "\r\n" +
			"From: <sip:+15550199@10.0.0.1>;tag=a\r\nTo: <sip:+15550100@trunk.pstn.ashburn-ix.twilio.com>" + map[bool]string{true: ";tag=b"}[cseq > 1] + "\r\n" +
			"Call-ID: " + callID + "\r\nCSeq: " + strconv.Itoa(cseq) + " " + method + "\r\nContact: <sip:10.0.0.1:5060>\r\n" +
			map[bool]string{true: sdpOf(ep), false: "Content-Length: 0\r\n\r\n"}[ep.IsValid()]
	}
	fromTwilio := func(method string, cseq int, ep netip.AddrPort) string {
		return method + " sip:10.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 208.78.112.64:5060;branch=z9hG4bKt" + strconv.Itoa(cseq) + "\r\n" +
			"From: <sip:+15550100@trunk.pstn.ashburn-ix.twilio.com>;tag=b\r\nTo: <sip:+15550199@10.0.0.1>;tag=a\r\n" +
			"Call-ID: " + callID + "\r\nCSeq: " + strconv.Itoa(cseq) + " " + method + "\r\nContact: <sip:208.78.112.64:5060>\r\n" +
			map[bool]string{true: sdpOf(ep), false: "Content-Length: 0\r\n\r\n"}[ep.IsValid()]
	}
	answer := func(req string, ep netip.AddrPort) string {
		// The 200 OK to a request: its Via, From, To, Call-ID and CSeq, and an SDP.
		var keep bytes.Buffer
		for _, line := range bytes.Split([]byte(req), []byte("\r\n"))[1:] {
			for _, h := range []string{"Via:", "From:", "To:", "Call-ID:", "CSeq:"} {
				if bytes.HasPrefix(line, []byte(h)) {
					keep.Write(line)
					keep.WriteString("\r\n")
				}
			}
		}
		end := "Content-Length: 0\r\n\r\n"
		if ep.IsValid() {
			end = sdpOf(ep)
		}
		return "SIP/2.0 200 OK\r\n" + keep.String() + end
	}
	rtp := func(seq int) []byte {
		return append([]byte{0x80, 0, byte(seq >> 8), byte(seq), 0, 0, byte(seq >> 8), byte(seq), 0, 0, 0x12, 0x34}, bytes.Repeat([]byte{0xff}, 160)...)
	}

	var pkts [][]byte
	add := func(src, dst netip.AddrPort, payload []byte) { pkts = append(pkts, appendUDP(nil, src, dst, payload)) }
	invite := fromSBC("INVITE", "sip:+15550100@trunk.pstn.ashburn-ix.twilio.com", 1, sbcMedia)
	add(sbc, gw, []byte(invite))
	add(gw, sbc, []byte(answer(invite, twMedia)))
	add(sbc, gw, []byte(fromSBC("ACK", "sip:208.78.112.64:5060", 1, netip.AddrPort{})))
	seq := 0
	media := func(tw netip.AddrPort, n int) {
		for range n {
			seq++
			add(sbcMedia, tw, rtp(seq))
			add(tw, sbcMedia, rtp(seq))
		}
	}
	media(twMedia, 5)
	const refreshes = 40
	for i := range refreshes {
		reinvite := fromTwilio("INVITE", 2+i, twMedia)
		add(gw, sbc, []byte(reinvite))
		add(sbc, gw, []byte(answer(reinvite, sbcMedia)))
		media(twMedia, 2)
	}
	reinvite := fromTwilio("INVITE", 2+refreshes, moved)
	add(gw, sbc, []byte(reinvite))
	add(sbc, gw, []byte(answer(reinvite, sbcMedia)))
	media(moved, 20)
	bye := fromSBC("BYE", "sip:208.78.112.64:5060", 2, netip.AddrPort{})
	add(sbc, gw, []byte(bye))
	add(gw, sbc, []byte(answer(bye, netip.AddrPort{})))

	run := auditHostile(t, sliceCapture(pkts), analyze.Config{}, 1<<30, 0)
	r := run.rep
	checkCounts(t, r)
	if r.Summary.Calls != 1 || r.Summary.CallsByPath["interconnect"] != 1 {
		t.Fatalf("calls %d by path %v, want one interconnect call", r.Summary.Calls, r.Summary.CallsByPath)
	}
	for _, f := range r.Findings {
		t.Errorf("finding %s on packet %d: %s", f.Rule, f.Packet, f.Message)
	}
	if r.Summary.Failed {
		t.Error("the audit fails a clean call")
	}
	if got := r.Summary.PacketUse["rtp"]; got != 2*seq {
		t.Errorf("%d RTP packets judged, want %d", got, 2*seq)
	}
}

// TestListingLimits audits a capture of 20 calls and 32 streams with low listing limits,
// as ixaudit live does over a long run: the report lists at most the limits (calls with
// findings up to twice the calls' limit), counts the rest as not listed, and every
// summary count is the same as with the default limits.
func TestListingLimits(t *testing.T) {
	path := filepath.Join("..", "testdata", "captures", "demo.pcapng")
	full := auditFile(t, path, analyze.Config{})
	low := auditFile(t, path, analyze.Config{MaxListedCalls: 3, MaxListedStreams: 5})
	if full.Summary.Calls != 20 || full.Summary.RTPStreams != 32 || len(full.Calls) != 20 || len(full.Streams) != 32 {
		t.Fatalf("default limits: %d calls (%d listed), %d streams (%d listed); want 20 and 32, all listed",
			full.Summary.Calls, len(full.Calls), full.Summary.RTPStreams, len(full.Streams))
	}
	clean, withFindings := 0, 0
	for _, c := range low.Calls {
		if c.Findings == 0 {
			clean++
		} else {
			withFindings++
		}
	}
	if clean > 3 || len(low.Calls) > 6 || withFindings == 0 {
		t.Errorf("limit 3: %d calls listed, %d without findings, %d with; want at most 3 without, 6 in all, and some with findings",
			len(low.Calls), clean, withFindings)
	}
	if len(low.Calls)+low.Summary.CallsNotListed != 20 {
		t.Errorf("%d calls listed + %d not listed, want 20", len(low.Calls), low.Summary.CallsNotListed)
	}
	if len(low.Streams) != 5 || len(low.Streams)+low.Summary.StreamsNotListed != 32 {
		t.Errorf("%d streams listed + %d not listed, want 5 + 27", len(low.Streams), low.Summary.StreamsNotListed)
	}
	if low.Summary.Calls != full.Summary.Calls || low.Summary.RTPStreams != full.Summary.RTPStreams ||
		len(low.Findings) != len(full.Findings) || low.Summary.Failed != full.Summary.Failed ||
		!reflect.DeepEqual(low.Summary.CallsByPath, full.Summary.CallsByPath) {
		t.Errorf("the listing limits changed the counts: %+v, want %+v", low.Summary, full.Summary)
	}
}
