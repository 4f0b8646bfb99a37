package analyze_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/ixaudit/ixaudit/analyze"
	"github.com/ixaudit/ixaudit/capture"
	"github.com/ixaudit/ixaudit/report"
)

// Seeds larger than this are left out of the fuzz corpora: every execution audits the whole
// input and renders it in every format, and the mutator works best on small inputs.
const fuzzSeedMax = 32 << 10

// addCaptureSeeds adds the small captures of dir (and of its subdirectories, one level
// down) to the corpus; a missing dir adds nothing.
func addCaptureSeeds(f *testing.F, dir string) int {
	n := 0
	for _, pattern := range []string{"*.pcap*", "*/*.pcap*"} {
		files, _ := filepath.Glob(filepath.Join(dir, pattern))
		for _, file := range files {
			fi, err := os.Stat(file)
			if err != nil || fi.Size() > fuzzSeedMax {
				continue
			}
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
			n++
		}
	}
	return n
}

// FuzzAudit audits any bytes as a capture, the way `ixaudit audit` does: capture.NewReader,
// Auditor.Audit, Report, Decide, then every renderer of package report. It is seeded with
// the small captures of testdata/captures and, when present, of the shared corpus
// (../shared/captures), plus a few made here. See checkAudit for the properties.
func FuzzAudit(f *testing.F) {
	addCaptureSeeds(f, filepath.Join("..", "testdata", "captures"))
	addCaptureSeeds(f, filepath.Join("..", "..", "shared", "captures"))
	for _, seed := range fuzzSeeds(f) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkAudit(t, data)
	})
}

// FuzzAuditPackets audits captures of well-formed Ethernet/IPv4 packets whose transport
// payloads come from the fuzzer, so that mutations reach the application parsers (SIP over
// UDP and TCP, SDP, RTP, RTCP, DNS, HEP, TLS ClientHello, WebSocket, SCTP) rather than
// being spent on the capture's framing. The input is a sequence of records:
//
//	kind(1) port selector(1) time step(1) length(2, big-endian) payload(length)
//
// kind's bits 0-1 pick UDP, TCP (the sequence number follows the flow's bytes, unless bit
// 4 makes a hole; bit 6 makes it a SYN, bit 7 adds FIN), a UDP datagram in two IP
// fragments (bit 4: the last one first), or SCTP; bit 5 swaps the direction;
// the port selector picks each end's address and port from a small set that includes the
// SIP, DNS, HEP and RTP ports, a Twilio Interconnect gateway, a Twilio public gateway and
// Twilio's media range. The properties are checkAudit's.
func FuzzAuditPackets(f *testing.F) {
	inv := appendInvite(nil, 1, 1, "trunk.pstn.ashburn-ix.twilio.com", -1)
	body := "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 168.86.128.9\r\nt=0 0\r\nm=audio 20000 RTP/AVP 0\r\na=rtcp-mux\r\n"
	sdpInvite := []byte("INVITE sip:+15550100@trunk.pstn.twilio.com;edge=dublin SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1\r\n" +
		"From: <sip:a@10.0.0.1>;tag=1\r\nTo: <sip:b@trunk.pstn.twilio.com>\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\n" +
		"Content-Type: application/sdp\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body)
	ok200 := []byte("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1\r\nFrom: <sip:a@10.0.0.1>;tag=1\r\n" +
		"To: <sip:b@x>;tag=2\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n")
	rtp := append([]byte{0x80, 0, 0, 1, 0, 0, 0, 160, 0xde, 0xad, 0xbe, 0xef}, bytes.Repeat([]byte{0xff}, 160)...)
	dns := []byte{0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 5, 't', 'r', 'u', 'n', 'k', 4, 'p', 's', 't', 'n', 6, 't', 'w', 'i', 'l', 'i', 'o', 3, 'c', 'o', 'm', 0, 0, 1, 0, 1}
	rec := func(kind, ports, step byte, payload []byte) []byte {
		return append([]byte{kind, ports, step, byte(len(payload) >> 8), byte(len(payload))}, payload...)
	}
	// SCTP DATA chunk (B and E set) carrying the INVITE.
	sctp := append([]byte{0, 3, byte((16 + len(inv)) >> 8), byte(16 + len(inv)), 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}, inv...)
	ws := append([]byte{0x81, 126, byte(len(inv) >> 8), byte(len(inv))}, inv...)
	upgrade := []byte("GET / HTTP/1.1\r\nHost: sbc\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Protocol: sip\r\n\r\n")
	var all []byte
	for _, r := range [][]byte{
		rec(0, 0x01, 1, sdpInvite), rec(0x20, 0x01, 1, ok200), rec(0, 0x45, 1, rtp), rec(0x20, 0x45, 1, rtp),
		rec(1, 0x02, 1, inv), rec(1, 0x02, 1, ok200), rec(0x11, 0x02, 1, inv), rec(0, 0x33, 1, dns),
		rec(2, 0x01, 1, sdpInvite), rec(3, 0x01, 1, sctp), rec(1, 0x89, 1, clientHello("trunk.pstn.twilio.com")),
		rec(0, 0x70, 1, hepPacket(inv)), rec(1, 0xa0, 1, upgrade), rec(1, 0xa0, 1, ws),
	} {
		f.Add(r)
		all = append(all, r...)
	}
	f.Add(all)
	f.Fuzz(func(t *testing.T, data []byte) {
		checkAudit(t, packetsCapture(data))
	})
}

// Ends that FuzzAuditPackets chooses from: port selector bits 0-3 pick the source, bits
// 4-7 the destination.
var fuzzEnds = [16]netip.AddrPort{
	netip.MustParseAddrPort("10.0.0.1:5060"),        // an SBC
	netip.MustParseAddrPort("208.78.112.64:5060"),   // Twilio Interconnect, Ashburn
	netip.MustParseAddrPort("54.172.60.1:5060"),     // Twilio public signalling, Ashburn
	netip.MustParseAddrPort("10.0.0.53:53"),         // DNS
	netip.MustParseAddrPort("10.0.0.1:20000"),       // SBC media
	netip.MustParseAddrPort("168.86.128.9:20000"),   // Twilio media
	netip.MustParseAddrPort("168.86.128.9:20001"),   // Twilio media RTCP
	netip.MustParseAddrPort("10.0.0.9:9060"),        // HEP collector
	netip.MustParseAddrPort("208.78.112.65:5061"),   // Twilio Interconnect, TLS
	netip.MustParseAddrPort("10.0.0.1:5061"),        // SBC TLS
	netip.MustParseAddrPort("10.0.0.1:8080"),        // SIP on another port (WebSocket)
	netip.MustParseAddrPort("198.51.100.7:5080"),    // another SIP peer
	netip.MustParseAddrPort("192.0.2.66:5060"),      // a third SBC
	netip.MustParseAddrPort("185.187.132.68:5060"),  // Twilio Interconnect, London
	netip.MustParseAddrPort("10.0.0.2:5060"),        // another SBC
	netip.MustParseAddrPort("168.86.129.200:40000"), // Twilio media, other port
}

// packetsCapture turns FuzzAuditPackets' input into a pcap (see FuzzAuditPackets).
func packetsCapture(data []byte) []byte {
	out := pcapFileHeader()
	at := hostEpoch
	seq := map[[2]netip.AddrPort]uint32{}
	var pkt []byte
	for id := uint16(1); len(data) >= 5; id++ {
		kind, ports, step := data[0], data[1], data[2]
		n := min(int(data[3])<<8|int(data[4]), len(data)-5, 60000)
		payload := data[5 : 5+n]
		data = data[5+n:]
		src, dst := fuzzEnds[ports&15], fuzzEnds[ports>>4]
		if kind&0x20 != 0 {
			src, dst = dst, src
		}
		// Time steps: 0 ms .. 255 s, coarser as step grows, so that timeouts are reached.
		at = at.Add(time.Duration(step) * time.Duration(step) * 4 * time.Millisecond)
		pkt = pkt[:0]
		switch kind & 3 {
		case 0:
			pkt = appendUDP(pkt, src, dst, payload)
		case 1:
			key := [2]netip.AddrPort{src, dst}
			s := seq[key]
			if kind&0x10 != 0 {
				s += 1000 // a hole
			}
			var flags uint8 = capture.TCPPsh
			if kind&0x40 != 0 {
				flags = capture.TCPSyn
			}
			if kind&0x80 != 0 {
				flags |= capture.TCPFin
			}
			pkt = appendTCP(pkt, src, dst, s, flags, payload)
			seq[key] = s + uint32(len(payload))
		case 2:
			// The payload as a UDP datagram in two fragments, the second first when kind
			// has bit 4.
			udp := appendUDP(nil, src, dst, payload)[34:]
			cut := (len(udp) / 2) &^ 7
			frags := [2][]byte{
				append(appendEthIPv4(nil, src.Addr(), dst.Addr(), capture.ProtoUDP, id, 0, true, cut), udp[:cut]...),
				append(appendEthIPv4(nil, src.Addr(), dst.Addr(), capture.ProtoUDP, id, cut, false, len(udp)-cut), udp[cut:]...),
			}
			if kind&0x10 != 0 {
				frags[0], frags[1] = frags[1], frags[0]
			}
			out = appendRecord(out, at, frags[0])
			pkt = frags[1]
		case 3:
			// SCTP: common header, then the payload as chunks.
			sctp := []byte{byte(src.Port() >> 8), byte(src.Port()), byte(dst.Port() >> 8), byte(dst.Port()), 0, 0, 0, 1, 0, 0, 0, 0}
			sctp = append(sctp, payload...)
			pkt = append(appendEthIPv4(pkt, src.Addr(), dst.Addr(), capture.ProtoSCTP, id, 0, false, len(sctp)), sctp...)
		}
		out = appendRecord(out, at, pkt)
	}
	return out
}

// fuzzSeeds are small captures made here: what the file seeds lack (HEP, WebSocket,
// answered calls with media to Twilio).
func fuzzSeeds(f *testing.F) [][]byte {
	f.Helper()
	var seeds [][]byte
	invite := appendInvite(nil, 7, 1, "trunk.pstn.ashburn-ix.twilio.com", -1)
	seeds = append(seeds, bytesOf(f, sliceCapture([][]byte{
		appendUDP(nil, netip.MustParseAddrPort("10.0.0.1:5060"), netip.MustParseAddrPort("208.78.112.64:5060"), invite),
		appendTCP(nil, netip.MustParseAddrPort("10.0.0.1:40000"), netip.MustParseAddrPort("54.172.60.1:5060"), 1, capture.TCPPsh, invite),
		deepStack(3, false),
	})))
	seeds = append(seeds, bytesOf(f, sliceCapture([][]byte{
		appendUDP(nil, netip.MustParseAddrPort("10.0.0.1:40000"), netip.MustParseAddrPort("10.0.0.9:9060"), hepPacket(invite)),
	})))
	return seeds
}

// hepPacket returns a HEP3 packet carrying sip from 10.0.0.1:5060 to 208.78.112.64:5060.
func hepPacket(sip []byte) []byte {
	hep := []byte("HEP3\x00\x00")
	chunk := func(typ uint16, v []byte) {
		hep = append(hep, 0, 0, byte(typ>>8), byte(typ), byte((6+len(v))>>8), byte(6+len(v)))
		hep = append(hep, v...)
	}
	chunk(1, []byte{2})
	chunk(2, []byte{17})
	chunk(3, []byte{10, 0, 0, 1})
	chunk(4, []byte{208, 78, 112, 64})
	chunk(7, []byte{0x13, 0xc4})
	chunk(8, []byte{0x13, 0xc4})
	chunk(11, []byte{1})
	chunk(15, sip)
	hep[4], hep[5] = byte(len(hep)>>8), byte(len(hep))
	return hep
}

// clientHello returns a TLS record holding a ClientHello that asks for server name host.
func clientHello(host string) []byte {
	sni := append([]byte{0, 0, byte((len(host) + 5) >> 8), byte(len(host) + 5), byte((len(host) + 3) >> 8), byte(len(host) + 3), 0,
		byte(len(host) >> 8), byte(len(host))}, host...)
	body := append([]byte{3, 3}, make([]byte, 32)...)                                 // version, random
	body = append(body, 0, 0, 2, 0x13, 0x01, 1, 0, byte(len(sni)>>8), byte(len(sni))) // session, suites, compression, extensions
	body = append(body, sni...)
	hs := append([]byte{1, 0, byte(len(body) >> 8), byte(len(body))}, body...)
	return append([]byte{22, 3, 1, byte(len(hs) >> 8), byte(len(hs))}, hs...)
}

// checkAudit audits data as a capture and checks what must hold for any input:
//   - no panic; NewReader fails only with the capture package's sentinels, and then the
//     message starts with the input's name; Audit returns no error;
//   - the accounting invariant: packet_use plus evidence_gaps (less "kernel-drops" and the
//     "evicted-" reasons) is summary.packets, and each input's packets is summary.packets;
//   - calls = listed + not listed = the sum of calls_by_path, rtp_streams likewise;
//   - findings are ordered by input, packet and rule, name a packet from 0 to the input's
//     last frame (its packet count, but for pcapng blocks that take a frame number
//     without holding a packet, as in tshark), and are counted by severity in the
//     summary; OnFinding saw each of them;
//   - an input that stopped early is truncated and has a capture-truncated finding;
//   - every renderer of package report renders the report without error;
//   - JSON → ReadJSON → JSON gives the same bytes;
//   - auditing the same bytes again gives the same JSON (determinism), and the two results
//     merged as two inputs hold each call once, with twice its messages;
//   - feeding the same packets to a Session, with Snapshots along the way, gives the same
//     JSON as Audit (a snapshot changes nothing), and every snapshot keeps the invariant.
func checkAudit(t *testing.T, data []byte) {
	first, res, streamed := auditBytes(t, data, false)
	if first == nil {
		return
	}
	if err := accountingError(first); err != nil {
		t.Fatal(err)
	}
	s := first.Summary
	if len(first.Inputs) != 1 || first.Inputs[0].Packets != s.Packets {
		t.Fatalf("inputs %+v, summary.packets %d", first.Inputs, s.Packets)
	}
	if s.Calls != len(first.Calls)+s.CallsNotListed {
		t.Fatalf("summary.calls %d, listed %d + not listed %d", s.Calls, len(first.Calls), s.CallsNotListed)
	}
	byPath := 0
	for p, n := range s.CallsByPath {
		if n < 0 {
			t.Fatalf("calls_by_path[%s] = %d", p, n)
		}
		byPath += n
	}
	if byPath != s.Calls {
		t.Fatalf("calls_by_path %v adds up to %d, summary.calls %d", s.CallsByPath, byPath, s.Calls)
	}
	if s.RTPStreams != len(first.Streams)+s.StreamsNotListed {
		t.Fatalf("summary.rtp_streams %d, listed %d + not listed %d", s.RTPStreams, len(first.Streams), s.StreamsNotListed)
	}
	frames := lastFrame(t, data)
	if err := findingsError(first, frames); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(streamed, first.Findings, cmpopts.EquateEmpty()); diff != "" {
		t.Fatalf("OnFinding saw other findings than the report holds (-seen +report):\n%s", diff)
	}
	truncated := false
	for _, f := range first.Findings {
		truncated = truncated || f.Rule == "capture-truncated" && strings.Contains(f.Key, "|the capture")
	}
	if (res.Inputs[0].Err != nil) != first.Inputs[0].Truncated || (res.Inputs[0].Err != nil) != truncated {
		t.Fatalf("read error %v, input truncated %v, capture-truncated finding %v", res.Inputs[0].Err, first.Inputs[0].Truncated, truncated)
	}

	for _, format := range report.Formats {
		ren, err := report.New(format, report.Options{AllCalls: true})
		if err != nil {
			t.Fatal(err)
		}
		if err := ren.Render(&bytes.Buffer{}, first); err != nil {
			t.Fatalf("%s: %v", format, err)
		}
	}
	js := renderJSON(t, first)
	back, err := report.ReadJSON(bytes.NewReader(js))
	if err != nil {
		t.Fatalf("ReadJSON of the report: %v\n%s", err, js)
	}
	if again := renderJSON(t, back); !bytes.Equal(js, again) {
		t.Fatalf("JSON → ReadJSON → JSON differs:\n%s", cmp.Diff(string(js), string(again)))
	}

	// The second time, decoded and prepared by the source, as cmd/ixaudit reads.
	second, res2, _ := auditBytes(t, data, true)
	if again := renderJSON(t, second); !bytes.Equal(js, again) {
		t.Fatalf("the same bytes audited twice (the second time prepared by the source) give different reports:\n%s", cmp.Diff(string(js), string(again)))
	}
	checkMerged(t, first, res, res2, frames)
	if res.Inputs[0].Err == nil {
		if live := renderJSON(t, sessionReport(t, data, frames)); !bytes.Equal(js, live) {
			t.Fatalf("Session (with snapshots) and Audit differ (-audit +session):\n%s", cmp.Diff(string(js), string(live)))
		}
	}
}

// checkMerged merges two results of the same capture, as for a capture given twice (or
// rotated files that repeat a call), and checks that every call is merged with itself:
// the same calls, each with twice the messages, while the invariants still hold.
func checkMerged(t *testing.T, single *analyze.Report, a, b *analyze.InputResult, frames int) {
	t.Helper()
	m := analyze.New(analyze.Config{}).Report(analyze.Tool{Name: "ixaudit", Version: "fuzz"}, []*analyze.InputResult{a, b})
	analyze.Decide(m, analyze.SeverityError)
	if err := accountingError(m); err != nil {
		t.Fatalf("merged: %v", err)
	}
	if err := findingsError(m, frames); err != nil {
		t.Fatalf("merged: %v", err)
	}
	s := m.Summary
	byPath := 0
	for p, n := range s.CallsByPath {
		if n < 0 {
			t.Fatalf("merged: calls_by_path[%s] = %d", p, n)
		}
		byPath += n
	}
	if s.Packets != 2*single.Summary.Packets || len(m.Findings) != 2*len(single.Findings) {
		t.Fatalf("merged: %d packets, %d findings; one input has %d, %d", s.Packets, len(m.Findings), single.Summary.Packets, len(single.Findings))
	}
	if s.Calls != single.Summary.Calls || byPath != s.Calls || len(m.Calls) != len(single.Calls) {
		t.Fatalf("merged: calls %d (by path %v, %d listed); one input has %d (%d listed)",
			s.Calls, s.CallsByPath, len(m.Calls), single.Summary.Calls, len(single.Calls))
	}
	for i := range m.Calls {
		if got, one := m.Calls[i], single.Calls[i]; got.CallID != one.CallID || got.SIPMessages != 2*one.SIPMessages || got.Path != one.Path {
			t.Fatalf("merged call %d: %s with %d messages, path %s; one input: %s with %d, path %s",
				i, got.CallID, got.SIPMessages, got.Path, one.CallID, one.SIPMessages, one.Path)
		}
	}
	for p, n := range single.Summary.CallsByPath {
		if s.CallsByPath[p] != n {
			t.Fatalf("merged: calls_by_path %v, one input %v", s.CallsByPath, single.Summary.CallsByPath)
		}
	}
}

// auditBytes audits data as one capture and returns the decided report, the input's
// result and the findings OnFinding saw; the report is nil when data is no capture.
// With prepared, the source decodes and prepares the packets itself (analyze.PreparedSource),
// as cmd/ixaudit's read-ahead goroutine does.
func auditBytes(t *testing.T, data []byte, prepared bool) (*analyze.Report, *analyze.InputResult, []analyze.Finding) {
	t.Helper()
	src, err := capture.NewReader("fuzz", bytes.NewReader(data))
	if err != nil {
		if !errors.Is(err, capture.ErrEmpty) && !errors.Is(err, capture.ErrNotCapture) && !errors.Is(err, capture.ErrTruncated) &&
			!errors.Is(err, capture.ErrCorrupt) && !errors.Is(err, capture.ErrUnsupportedLinkType) {
			t.Fatalf("NewReader error %v wraps none of the capture package's errors", err)
		}
		if !strings.HasPrefix(err.Error(), "fuzz") || strings.Contains(err.Error(), "\n") {
			t.Fatalf("NewReader error %q is not one line naming the input", err)
		}
		return nil, nil, nil
	}
	defer src.Close()
	var streamed []analyze.Finding
	a := analyze.New(analyze.Config{OnFinding: func(f analyze.Finding) { streamed = append(streamed, f) }})
	var in capture.Source = src
	if prepared {
		in = &preparedSource{Source: src}
	}
	res, err := a.Audit(context.Background(), in)
	if err != nil {
		t.Fatalf("Audit: %v", err)
	}
	// The report sorts findings; OnFinding saw them in the order found, with the bytes
	// found (the report has invalid UTF-8 replaced as JSON writes it).
	seen := viaJSON(t, streamed)
	r := a.Report(analyze.Tool{Name: "ixaudit", Version: "fuzz"}, []*analyze.InputResult{res})
	analyze.Decide(r, analyze.SeverityError)
	sortLike(seen, r.Findings)
	return r, res, seen
}

// viaJSON returns fs encoded as JSON and decoded again.
func viaJSON(t *testing.T, fs []analyze.Finding) []analyze.Finding {
	t.Helper()
	b, err := json.Marshal(fs)
	if err != nil {
		t.Fatal(err)
	}
	var out []analyze.Finding
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// sortLike reorders seen into the order of want when both hold the same findings, so that
// a difference in content, not order, is what the caller's comparison finds.
func sortLike(seen, want []analyze.Finding) {
	if len(seen) != len(want) {
		return
	}
	idx := map[string][]int{}
	for i := range want {
		k := fmt.Sprintf("%+v", want[i])
		idx[k] = append(idx[k], i)
	}
	out := make([]analyze.Finding, len(seen))
	for _, f := range seen {
		k := fmt.Sprintf("%+v", f)
		if len(idx[k]) == 0 {
			return
		}
		out[idx[k][0]] = f
		idx[k] = idx[k][1:]
	}
	copy(seen, out)
}

// sessionReport feeds the packets of data to a Session, taking a Snapshot every few
// packets, and returns the report of the closed session. Each snapshot must keep the
// accounting invariant (packets held for reassembly count as "pending").
func sessionReport(t *testing.T, data []byte, frames int) *analyze.Report {
	t.Helper()
	src, err := capture.NewReader("fuzz", bytes.NewReader(data))
	if err != nil {
		t.Fatalf("NewReader failed the second time: %v", err)
	}
	defer src.Close()
	a := analyze.New(analyze.Config{})
	tool := analyze.Tool{Name: "ixaudit", Version: "fuzz"}
	sess := a.NewSession("fuzz")
	for n := 1; ; n++ {
		p, err := src.ReadPacket()
		if err != nil {
			break
		}
		sess.Packet(&p)
		if n%7 == 0 && n <= 140 {
			snap := a.Report(tool, []*analyze.InputResult{sess.Snapshot(src.LinkTypes(), 0)})
			if err := accountingError(snap); err != nil {
				t.Fatalf("snapshot after packet %d: %v", n, err)
			}
			if err := findingsError(snap, frames); err != nil {
				t.Fatalf("snapshot after packet %d: %v", n, err)
			}
		}
	}
	var drops uint64
	if d, ok := src.(capture.DropCounter); ok {
		drops = d.Drops()
	}
	r := a.Report(tool, []*analyze.InputResult{sess.Close(src.LinkTypes(), drops)})
	analyze.Decide(r, analyze.SeverityError)
	return r
}

// accountingError checks the accounting invariant of a report: every packet read is in
// exactly one packet-use or evidence-gap bucket. "kernel-drops" counts packets that are not
// in the capture, and the "evicted-" reasons count state ended by a limit, not packets.
func accountingError(r *analyze.Report) error {
	sum := 0
	for k, v := range r.Summary.PacketUse {
		if v < 0 {
			return fmt.Errorf("packet_use[%s] = %d", k, v)
		}
		sum += v
	}
	for k, v := range r.Summary.EvidenceGaps {
		if v < 0 {
			return fmt.Errorf("evidence_gaps[%s] = %d", k, v)
		}
		if analyze.GapCountsPackets(k) {
			sum += v
		}
	}
	if sum != r.Summary.Packets {
		return fmt.Errorf("packet_use %v + evidence_gaps %v = %d, but %d packets were read",
			r.Summary.PacketUse, r.Summary.EvidenceGaps, sum, r.Summary.Packets)
	}
	return nil
}

// lastFrame returns the number of the last record of the capture data (0 when it is no
// capture): the frame numbers of its packets run up to it. It is the packet count but for
// the pcapng blocks that hold no packet and yet take a frame number, as in tshark (systemd
// journal entries, Sysdig events, custom blocks), and for a record cut or damaged after
// the last packet, which a capture-truncated finding does not name.
func lastFrame(t *testing.T, data []byte) int {
	t.Helper()
	src, err := capture.NewReader("fuzz", bytes.NewReader(data))
	if err != nil {
		return 0
	}
	defer src.Close()
	last := 0
	for {
		p, err := src.ReadPacket()
		if err != nil {
			return last
		}
		if p.Number <= last {
			t.Fatalf("packet number %d after %d", p.Number, last)
		}
		last = p.Number
	}
}

// findingsError checks the order of a report's findings (input, packet, rule), that each
// names a packet of its input (one of the frames up to frames, for every input), and that
// the summary counts them by severity.
func findingsError(r *analyze.Report, frames int) error {
	order := map[string]int{}
	for i, in := range r.Inputs {
		order[in.Name] = i
	}
	var sev [4]int
	for i := range r.Findings {
		f := &r.Findings[i]
		if _, ok := order[f.Input]; !ok {
			return fmt.Errorf("finding %d names input %q, which the report does not list", i, f.Input)
		}
		if f.Packet < 0 || f.Packet > frames {
			return fmt.Errorf("finding %d (%s) names packet %d of an input whose last frame is %d", i, f.Rule, f.Packet, frames)
		}
		if f.Severity.Rank() == 0 || f.Rule == "" || f.Message == "" {
			return fmt.Errorf("finding %d is incomplete: %+v", i, *f)
		}
		sev[f.Severity.Rank()]++
		if i == 0 {
			continue
		}
		p := &r.Findings[i-1]
		pi, fi := order[p.Input], order[f.Input]
		if pi > fi || pi == fi && (p.Packet > f.Packet || p.Packet == f.Packet && p.Rule > f.Rule) {
			return fmt.Errorf("findings %d and %d out of order: (%s, %d, %s) before (%s, %d, %s)",
				i-1, i, p.Input, p.Packet, p.Rule, f.Input, f.Packet, f.Rule)
		}
	}
	s := r.Summary
	for sv, n := range s.FindingsNotListedBySeverity {
		sev[sv.Rank()] += n
	}
	if s.FailOn != "" && (s.Errors != sev[3] || s.Warnings != sev[2] || s.Infos != sev[1]) {
		return fmt.Errorf("summary counts %d/%d/%d errors/warnings/infos, findings hold %d/%d/%d (with those not listed)",
			s.Errors, s.Warnings, s.Infos, sev[3], sev[2], sev[1])
	}
	return nil
}

// renderJSON renders r as the canonical JSON.
func renderJSON(t *testing.T, r *analyze.Report) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := (&report.JSON{}).Render(&b, r); err != nil {
		t.Fatalf("JSON: %v", err)
	}
	return b.Bytes()
}
