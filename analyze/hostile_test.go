package analyze_test

// Hostile input with bounded cost. Each case builds its capture in memory, packet by packet
// (a capture of millions of packets never exists whole: genCapture writes the pcap bytes as
// the reader asks for them), audits it through capture.NewReader, and asserts what the
// documented limits promise: no panic, state bounded by the limit, and everything counted
// exactly (as calls, packet uses or evidence gaps). The tests use modest sizes or lowered
// limits; the BenchmarkHostile* benchmarks run the full sizes with the default limits and
// report the peak heap and the time per packet (figures in README.md, "Reliability").

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ixaudit/ixaudit/analyze"
	"github.com/ixaudit/ixaudit/capture"
	"github.com/ixaudit/ixaudit/capture/tcpstream"
	"github.com/ixaudit/ixaudit/report"
)

// Addresses of the hostile captures: documentation ranges, no Twilio address, so that a
// call between them has no finding and is listed only while the list has room.
var (
	hostSBC  = netip.MustParseAddr("192.0.2.10")
	hostPeer = netip.MustParseAddr("198.51.100.20")
	// hostEpoch is the packet time of the first packet of every hostile capture.
	hostEpoch = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
)

// appendEthIPv4 appends an Ethernet frame holding an IPv4 header for a payload of
// payloadLen bytes of protocol proto; fragOff (a multiple of 8) and more set the fragment
// fields. The caller appends the payload.
func appendEthIPv4(b []byte, src, dst netip.Addr, proto uint8, id uint16, fragOff int, more bool, payloadLen int) []byte {
	b = append(b, 0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00)
	return appendIPv4(b, src, dst, proto, id, fragOff, more, payloadLen)
}

// appendIPv4 appends an IPv4 header (the checksum is not computed: the decoder does not
// check it).
func appendIPv4(b []byte, src, dst netip.Addr, proto uint8, id uint16, fragOff int, more bool, payloadLen int) []byte {
	total := 20 + payloadLen
	frag := uint16(fragOff / 8)
	if more {
		frag |= 0x2000
	}
	s, d := src.As4(), dst.As4()
	b = append(b, 0x45, 0, byte(total>>8), byte(total), byte(id>>8), byte(id), byte(frag>>8), byte(frag), 64, proto, 0, 0)
	b = append(b, s[:]...)
	return append(b, d[:]...)
}

// appendUDP appends an Ethernet/IPv4/UDP packet carrying payload.
func appendUDP(b []byte, src, dst netip.AddrPort, payload []byte) []byte {
	b = appendEthIPv4(b, src.Addr(), dst.Addr(), capture.ProtoUDP, 1, 0, false, 8+len(payload))
	n := 8 + len(payload)
	b = append(b, byte(src.Port()>>8), byte(src.Port()), byte(dst.Port()>>8), byte(dst.Port()), byte(n>>8), byte(n), 0, 0)
	return append(b, payload...)
}

// appendTCP appends an Ethernet/IPv4/TCP packet carrying payload.
func appendTCP(b []byte, src, dst netip.AddrPort, seq uint32, flags uint8, payload []byte) []byte {
	b = appendEthIPv4(b, src.Addr(), dst.Addr(), capture.ProtoTCP, 1, 0, false, 20+len(payload))
	b = append(b, byte(src.Port()>>8), byte(src.Port()), byte(dst.Port()>>8), byte(dst.Port()))
	b = binary.BigEndian.AppendUint32(b, seq)
	b = append(b, 0, 0, 0, 0, 5<<4, flags|capture.TCPAck, 0xff, 0xff, 0, 0, 0, 0)
	return append(b, payload...)
}

// appendInvite appends an INVITE from hostPeer to hostSBC with Call-ID "flood-<id>"; a
// non-empty host replaces the Request-URI's host, and contentLength, when not negative,
// replaces the true Content-Length (the body is empty).
func appendInvite(b []byte, id int, cseq int, host string, contentLength int) []byte {
	if host == "" {
		host = "192.0.2.10"
	}
	b = append(b, "INVITE sip:+15550100@"...)
	b = append(b, host...)
	b = append(b, " SIP/2.0\r\nVia: SIP/2.0/UDP 198.51.100.20:5060;branch=z9hG4bK"...)
	b = strconv.AppendInt(b, int64(id), 36)
	b = append(b, "\r\nFrom: <sip:+15550199@198.51.100.20>;tag=t"...)
	b = strconv.AppendInt(b, int64(id), 36)
	b = append(b, "\r\nTo: <sip:+15550100@"...)
	b = append(b, host...)
	b = append(b, ">\r\nCall-ID: flood-"...)
	b = strconv.AppendInt(b, int64(id), 10)
	b = append(b, "@198.51.100.20\r\nCSeq: "...)
	b = strconv.AppendInt(b, int64(cseq), 10)
	b = append(b, " INVITE\r\nContact: <sip:198.51.100.20:5060>\r\nMax-Forwards: 70\r\nContent-Length: "...)
	b = strconv.AppendInt(b, int64(max(contentLength, 0)), 10)
	return append(b, "\r\n\r\n"...)
}

var (
	sipPeer = netip.AddrPortFrom(hostPeer, 5060)
	sipSBC  = netip.AddrPortFrom(hostSBC, 5060)
)

// pcapFileHeader is a little-endian classic pcap header: microseconds, version 2.4, snap
// length 262144, Ethernet.
func pcapFileHeader() []byte {
	return []byte{0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 1, 0, 0, 0}
}

// appendRecord appends a pcap record holding data, captured whole, at time t.
func appendRecord(b []byte, t time.Time, data []byte) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(t.Unix()))
	b = binary.LittleEndian.AppendUint32(b, uint32(t.Nanosecond()/1000))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(data)))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(data)))
	return append(b, data...)
}

// genCapture is a classic pcap whose packets are made on demand by next, as the reader
// asks for bytes: its memory is one packet, whatever the number of packets.
type genCapture struct {
	n    int // packets
	next func(i int, b []byte) ([]byte, time.Time)
	i    int
	pkt  []byte
	buf  []byte
	off  int
}

// newGenCapture returns the pcap of n packets; next appends packet i (0-based) to b and
// returns it with its time.
func newGenCapture(n int, next func(i int, b []byte) ([]byte, time.Time)) *genCapture {
	return &genCapture{n: n, next: next, buf: pcapFileHeader()}
}

func (g *genCapture) Read(p []byte) (int, error) {
	for g.off == len(g.buf) {
		if g.i >= g.n {
			return 0, io.EOF
		}
		var t time.Time
		g.pkt, t = g.next(g.i, g.pkt[:0])
		g.buf, g.off = appendRecord(g.buf[:0], t, g.pkt), 0
		g.i++
	}
	n := copy(p, g.buf[g.off:])
	g.off += n
	return n, nil
}

// bytesOf returns the whole capture a genCapture makes (for small ones).
func bytesOf(t testing.TB, g *genCapture) []byte {
	t.Helper()
	b, err := io.ReadAll(g)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// heapSampler wraps a Source and samples the heap: every `every` packets HeapInuse as it
// stands (what the process holds, garbage included), and every `liveEvery` packets (when
// not 0) the live heap after a collection (what the audit's state really holds).
type heapSampler struct {
	capture.Source
	every, liveEvery, n int
	peak, peakLive      uint64
}

func (h *heapSampler) ReadPacket() (capture.Packet, error) {
	h.n++
	if h.n%h.every == 0 {
		h.sample(false)
	}
	if h.liveEvery > 0 && h.n%h.liveEvery == 0 {
		h.sample(true)
	}
	return h.Source.ReadPacket()
}

func (h *heapSampler) sample(live bool) {
	if live {
		runtime.GC()
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	if live {
		h.peakLive = max(h.peakLive, ms.HeapAlloc)
	} else {
		h.peak = max(h.peak, ms.HeapInuse)
	}
}

// hostileRun is the outcome of one hostile audit.
type hostileRun struct {
	res     *analyze.InputResult
	rep     *analyze.Report
	packets int
	// peak and peakLive are heapSampler's; base and baseLive the same measures just
	// before the audit.
	peak, peakLive, base, baseLive uint64
	alloc                          uint64 // bytes allocated during the audit (runtime.MemStats.TotalAlloc)
}

// auditHostile audits the capture r with cfg, sampling the heap every `every` packets,
// and the live heap every liveEvery packets (0: never).
func auditHostile(t testing.TB, r io.Reader, cfg analyze.Config, every, liveEvery int) hostileRun {
	t.Helper()
	src, err := capture.NewReader("hostile.pcap", r)
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	defer src.Close()
	hs := &heapSampler{Source: src, every: every, liveEvery: liveEvery}
	hs.sample(true)
	hs.sample(false)
	base, baseLive := hs.peak, hs.peakLive
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	a := analyze.New(cfg)
	res, err := a.Audit(context.Background(), hs)
	if err != nil {
		t.Fatalf("Audit: %v", err)
	}
	hs.sample(false)
	if liveEvery > 0 {
		hs.sample(true)
	}
	runtime.ReadMemStats(&after)
	rep := a.Report(analyze.Tool{Name: "ixaudit", Version: "hostile"}, []*analyze.InputResult{res})
	analyze.Decide(rep, analyze.SeverityError)
	return hostileRun{res: res, rep: rep, packets: res.Inputs[0].Packets, peak: hs.peak, peakLive: hs.peakLive,
		base: base, baseLive: baseLive, alloc: after.TotalAlloc - before.TotalAlloc}
}

// checkCounts asserts the accounting invariant and the exact counts of calls and streams.
func checkCounts(t testing.TB, r *analyze.Report) {
	t.Helper()
	if err := accountingError(r); err != nil {
		t.Error(err)
	}
	s := r.Summary
	if s.Calls != len(r.Calls)+s.CallsNotListed {
		t.Errorf("summary.calls %d, but %d listed + %d not listed", s.Calls, len(r.Calls), s.CallsNotListed)
	}
	byPath := 0
	for _, n := range s.CallsByPath {
		byPath += n
	}
	if byPath != s.Calls {
		t.Errorf("calls_by_path %v adds up to %d, summary.calls %d", s.CallsByPath, byPath, s.Calls)
	}
	if s.RTPStreams != len(r.Streams)+s.StreamsNotListed {
		t.Errorf("summary.rtp_streams %d, but %d listed + %d not listed", s.RTPStreams, len(r.Streams), s.StreamsNotListed)
	}
}

// mib formats a byte count in MiB.
func mib(n uint64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// floodCapture is n INVITEs from hostPeer to hostSBC, each with a new Call-ID, gap apart
// in packet time, none answered. withFindings sends them to a Twilio public host name, so
// that every call has findings.
func floodCapture(n int, gap time.Duration, withFindings bool) *genCapture {
	host := ""
	if withFindings {
		host = "flood.pstn.twilio.com"
	}
	var sip []byte
	return newGenCapture(n, func(i int, b []byte) ([]byte, time.Time) {
		sip = appendInvite(sip[:0], i, 1, host, -1)
		return appendUDP(b, sipPeer, sipSBC, sip), hostEpoch.Add(time.Duration(i) * gap)
	})
}

// TestHostileCallIDs floods the audit with INVITEs, each with a new Call-ID and none
// answered, faster than dialogs expire: beyond MaxActiveCalls the oldest dialog is ended
// (the "evicted-calls" gap counts them), beyond MaxListedCalls calls are counted but not
// listed, every count stays exact, and the live heap does not grow with the number of
// Call-IDs.
func TestHostileCallIDs(t *testing.T) {
	const active, listed = 300, 600
	cfg := analyze.Config{MaxActiveCalls: active, MaxListedCalls: listed}
	var growth [2]uint64
	for k, n := range []int{10000, 40000} {
		run := auditHostile(t, floodCapture(n, 100*time.Microsecond, false), cfg, 2500, 2500)
		r := run.rep
		checkCounts(t, r)
		s := r.Summary
		if s.Packets != n || s.SIPMessages != n || s.PacketUse["sip"] != n {
			t.Errorf("%d INVITEs: packets %d, sip_messages %d, packet_use %v", n, s.Packets, s.SIPMessages, s.PacketUse)
		}
		if s.Calls != n || len(r.Calls) != listed || s.CallsNotListed != n-listed || s.CallsByPath[analyze.PathUnknown] != n {
			t.Errorf("%d Call-IDs: calls %d, listed %d, not listed %d, by path %v; want %d, %d, %d",
				n, s.Calls, len(r.Calls), s.CallsNotListed, s.CallsByPath, n, listed, n-listed)
		}
		if got := s.EvidenceGaps["evicted-calls"]; got != n-active {
			t.Errorf("%d Call-IDs with %d followed at once: evicted-calls %d, want %d (gaps %v)", n, active, got, n-active, s.EvidenceGaps)
		}
		if len(r.Findings) != 0 {
			t.Errorf("%d findings on calls between two non-Twilio hosts, first %+v", len(r.Findings), r.Findings[0])
		}
		growth[k] = run.peakLive - min(run.baseLive, run.peakLive)
		t.Logf("%d Call-IDs: live heap grew by at most %s", n, mib(growth[k]))
	}
	// Four times the Call-IDs: the state is the same size (the limits are reached early),
	// so the live heap may differ by noise only.
	if growth[1] > growth[0]+2<<20 {
		t.Errorf("live heap grew by %s for 40000 Call-IDs but %s for 10000: the call state is not bounded",
			mib(growth[1]), mib(growth[0]))
	}
}

// TestHostileInviteFlood sends a sustained flood of unanswered INVITEs, each retransmitted
// on RFC 3261's Timer A schedule, over hours of packet time: dialogs end by idleness (10
// minutes of packet time) before the table fills, so none is evicted, and every message
// and call is counted once.
func TestHostileInviteFlood(t *testing.T) {
	// One new Call-ID every 2 s for 3 h, each INVITE sent 7 times: about 300 dialogs are
	// idle but followed at any time.
	const every, hours = 2 * time.Second, 3
	calls := int(hours * time.Hour / every)
	g := inviteFlood(calls, every)
	run := auditHostile(t, g, analyze.Config{MaxActiveCalls: 1000, MaxListedCalls: 2000}, 1000, 0)
	r := run.rep
	checkCounts(t, r)
	s := r.Summary
	if s.SIPMessages != calls*timerASends || s.Calls != calls || s.CallsNotListed != calls-2000 {
		t.Errorf("sip_messages %d, calls %d, not listed %d; want %d, %d, %d", s.SIPMessages, s.Calls, s.CallsNotListed, calls*timerASends, calls, calls-2000)
	}
	if n := s.EvidenceGaps["evicted-calls"]; n != 0 {
		t.Errorf("%d dialogs evicted, though dialogs idle out long before 1000 are followed", n)
	}
	for _, c := range r.Calls {
		if c.SIPMessages != timerASends || c.FinalStatus != 0 {
			t.Fatalf("call %s: %d messages, final status %d; want %d unanswered sends", c.CallID, c.SIPMessages, c.FinalStatus, timerASends)
		}
	}
}

// timerA is when an unanswered INVITE over UDP is sent, from its first send: RFC 3261's
// Timer A doubles from 500 ms until Timer B (32 s) ends the transaction.
var timerA = [...]time.Duration{0, 500 * time.Millisecond, 1500 * time.Millisecond, 3500 * time.Millisecond,
	7500 * time.Millisecond, 15500 * time.Millisecond, 31500 * time.Millisecond}

const timerASends = len(timerA)

// inviteFlood is a capture of calls unanswered INVITEs with new Call-IDs, one every `every`
// of packet time, each sent on the Timer A schedule, in time order.
func inviteFlood(calls int, every time.Duration) *genCapture {
	// The k-th sends of all calls are in time order; merge the seven sequences.
	var next [timerASends]int // the call whose k-th send comes next
	at := func(k int) time.Duration { return time.Duration(next[k])*every + timerA[k] }
	var sip []byte
	return newGenCapture(calls*timerASends, func(i int, b []byte) ([]byte, time.Time) {
		k := -1
		for j := range next {
			if next[j] < calls && (k < 0 || at(j) < at(k)) {
				k = j
			}
		}
		t := at(k)
		sip = appendInvite(sip[:0], next[k], 1, "", -1)
		next[k]++
		return appendUDP(b, sipPeer, sipSBC, sip), hostEpoch.Add(t)
	})
}

// TestHostileFragments sends first fragments that never complete, each of a new datagram:
// the defragmenter holds at most its limits, and every fragment is counted as
// "fragments-incomplete" (expired or flushed) or "fragments-evicted" (limit).
func TestHostileFragments(t *testing.T) {
	tests := []struct {
		name string
		gap  time.Duration // between fragments: 1 ms fills the table, 1 s lets them expire
		n    int
	}{
		{"burst", time.Millisecond, 20000},
		{"slow", time.Second, 3000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			run := auditHostile(t, fragmentCapture(tc.n, tc.gap), analyze.Config{}, 5000, 2000)
			checkCounts(t, run.rep)
			// 20000 × 1480 bytes could be pending; the defragmenter holds at most its
			// MaxBytes (plus a free list and two working buffers, under 2 MiB).
			if grew := run.peakLive - min(run.baseLive, run.peakLive); grew > capture.DefaultDefragMaxBytes+4<<20 {
				t.Errorf("live heap grew by %s, more than the defragmenter's %s", mib(grew), mib(capture.DefaultDefragMaxBytes))
			}
			g := run.rep.Summary.EvidenceGaps
			if got := g["fragments-incomplete"] + g["fragments-evicted"]; got != tc.n || len(run.rep.Summary.PacketUse) != 0 {
				t.Errorf("%d lone fragments: gaps %v, packet use %v", tc.n, g, run.rep.Summary.PacketUse)
			}
			if tc.gap == time.Millisecond && g["fragments-evicted"] == 0 {
				t.Errorf("%d datagrams pending at once, more than the default limit %d, but none evicted: %v",
					tc.n, capture.DefaultDefragMaxDatagrams, g)
			}
			if tc.gap == time.Second && g["fragments-evicted"] != 0 {
				t.Errorf("one datagram a second expires in %v, yet fragments were evicted: %v", capture.DefaultDefragTimeout, g)
			}
		})
	}
}

// fragmentCapture is n first fragments (1480 bytes of a UDP datagram to port 5060), each
// of a new datagram, gap apart.
func fragmentCapture(n int, gap time.Duration) *genCapture {
	data := bytes.Repeat([]byte("x"), 1480)
	copy(data, []byte{0x13, 0xc4, 0x13, 0xc4, 0x17, 0x70, 0, 0}) // UDP 5060 -> 5060, length 6000
	return newGenCapture(n, func(i int, b []byte) ([]byte, time.Time) {
		src := netip.AddrFrom4([4]byte{198, 51, byte(i >> 16), byte(i >> 8)})
		b = appendEthIPv4(b, src, hostSBC, capture.ProtoUDP, uint16(i), 0, true, len(data))
		return append(b, data...), hostEpoch.Add(time.Duration(i) * gap)
	})
}

// tcpGapCapture is conns SIP TCP connections, none ever closed, each sending segs
// segments of 1000 bytes that start an INVITE and then leave a hole after every segment;
// the connections take turns, a millisecond apart.
func tcpGapCapture(conns, segs int) *genCapture {
	seg := make([]byte, 1000)
	for i := range seg {
		seg[i] = 'a' + byte(i%26)
	}
	start := appendInvite(nil, 0, 1, "", 5000)
	return newGenCapture(conns*segs, func(i int, b []byte) ([]byte, time.Time) {
		conn, k := i%conns, i/conns
		src := netip.AddrPortFrom(netip.AddrFrom4([4]byte{198, 51, byte(conn >> 8), byte(conn)}), uint16(20000+conn%40000))
		payload := seg
		if k == 0 {
			payload = start // an INVITE that announces 5000 body bytes, never sent whole
		}
		// Each segment leaves a 500-byte hole after the previous one.
		seq := uint32(1 + k*1500)
		return appendTCP(b, src, sipSBC, seq, capture.TCPPsh, payload), hostEpoch.Add(time.Duration(i) * time.Millisecond)
	})
}

// TestHostileTCPGaps sends many SIP TCP connections with a hole after every segment and
// no end: the reassembly buffers stay within their limits, and every segment is counted
// (as SIP, not-SIP, "tcp-gap" or "tcp-evicted").
func TestHostileTCPGaps(t *testing.T) {
	const conns, segs = 500, 40
	run := auditHostile(t, tcpGapCapture(conns, segs), analyze.Config{}, 5000, 2000)
	checkCounts(t, run.rep)
	if grew := run.peakLive - min(run.baseLive, run.peakLive); grew > tcpstream.DefaultMaxBufferTotal+16<<20 {
		t.Errorf("live heap grew by %s, more than the assembler's %s and its tables", mib(grew), mib(tcpstream.DefaultMaxBufferTotal))
	}
	s := run.rep.Summary
	if s.Packets != conns*segs {
		t.Errorf("packets %d, want %d", s.Packets, conns*segs)
	}
	if s.EvidenceGaps["tcp-gap"]+s.EvidenceGaps["tcp-evicted"] == 0 {
		t.Errorf("no TCP gap counted for %d connections full of holes: gaps %v, use %v", conns, s.EvidenceGaps, s.PacketUse)
	}
	t.Logf("gaps %v, use %v, %d findings, live heap peak %s", s.EvidenceGaps, s.PacketUse, len(run.rep.Findings), mib(run.peakLive))
}

// TestHostileContentLength sends a SIP message that claims a gigabyte of body, over UDP
// and over TCP, followed by a good INVITE: nothing allocates the claimed length, the lie
// is judged, and the message after it is still read.
func TestHostileContentLength(t *testing.T) {
	const gig = 1 << 30
	lie := appendInvite(nil, 1, 1, "", gig)
	body := bytes.Repeat([]byte("v=0 "), 256<<10/4) // 256 KiB of "body" after the lie
	good := appendInvite(nil, 2, 1, "", -1)
	t.Run("udp", func(t *testing.T) {
		var pkts [][]byte
		pkts = append(pkts, appendUDP(nil, sipPeer, sipSBC, append(append([]byte{}, lie...), body[:1000]...)))
		pkts = append(pkts, appendUDP(nil, sipPeer, sipSBC, good))
		run := auditHostile(t, sliceCapture(pkts), analyze.Config{}, 1, 0)
		checkCounts(t, run.rep)
		checkGoodAfterLie(t, run)
	})
	t.Run("tcp", func(t *testing.T) {
		// The lie, 256 KiB of body in 1000-byte segments, then the good INVITE, on one
		// connection in step.
		client := netip.AddrPortFrom(hostPeer, 40000)
		var pkts [][]byte
		seq := uint32(1)
		pkts = append(pkts, appendTCP(nil, client, sipSBC, 0, capture.TCPSyn, nil))
		add := func(p []byte) {
			pkts = append(pkts, appendTCP(nil, client, sipSBC, seq, capture.TCPPsh, p))
			seq += uint32(len(p))
		}
		add(lie)
		for off := 0; off < len(body); off += 1000 {
			add(body[off:min(off+1000, len(body))])
		}
		add(good)
		run := auditHostile(t, sliceCapture(pkts), analyze.Config{}, 1, 0)
		checkCounts(t, run.rep)
		checkGoodAfterLie(t, run)
	})
}

// checkGoodAfterLie checks the audit of a Content-Length lie followed by a good INVITE.
func checkGoodAfterLie(t *testing.T, run hostileRun) {
	t.Helper()
	r := run.rep
	ids := map[string]bool{}
	for _, c := range r.Calls {
		ids[c.CallID] = true
	}
	if !ids["flood-2@198.51.100.20"] {
		t.Errorf("the INVITE after the lie was not read: calls %v, findings %v, use %v", ids, r.Findings, r.Summary.PacketUse)
	}
	// A gigabyte claimed: allocating even a tenth of it would show.
	if run.alloc > 64<<20 {
		t.Errorf("the audit allocated %s for a message claiming 1 GiB", mib(run.alloc))
	}
	t.Logf("calls %v, findings %d, use %v, gaps %v, allocated %s", ids, len(r.Findings), r.Summary.PacketUse, r.Summary.EvidenceGaps, mib(run.alloc))
}

// sliceCapture is a capture of the given packets, a millisecond apart.
func sliceCapture(pkts [][]byte) *genCapture {
	return newGenCapture(len(pkts), func(i int, b []byte) ([]byte, time.Time) {
		return append(b, pkts[i]...), hostEpoch.Add(time.Duration(i) * time.Millisecond)
	})
}

// deepStack returns an Ethernet frame whose EtherType is followed by n VLAN tags (or n
// MPLS labels without a bottom of stack), then an IPv4/UDP SIP packet.
func deepStack(n int, mpls bool) []byte {
	b := []byte{0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2}
	if mpls {
		b = append(b, 0x88, 0x47)
		for range n {
			b = append(b, 0, 0x01, 0x00, 64) // label 16, no bottom-of-stack bit
		}
	} else {
		for range n {
			b = append(b, 0x81, 0x00, 0, 100) // 802.1Q, VLAN 100
		}
		b = append(b, 0x08, 0x00)
	}
	ip := appendUDP(nil, sipPeer, sipSBC, appendInvite(nil, 1, 1, "", -1))
	return append(b, ip[14:]...)
}

// TestHostileDeepStacks sends frames with thousands of VLAN tags or MPLS labels: each is
// a "malformed-header" gap after a bounded look, and a legal stack is still read.
func TestHostileDeepStacks(t *testing.T) {
	for _, mpls := range []bool{false, true} {
		for _, n := range []int{1, 8, 9, 1000, 60000} {
			t.Run(fmt.Sprintf("mpls=%v/%d", mpls, n), func(t *testing.T) {
				run := auditHostile(t, sliceCapture([][]byte{deepStack(n, mpls)}), analyze.Config{}, 1, 0)
				checkCounts(t, run.rep)
				s := run.rep.Summary
				limit := 8 // decodeMaxVLANTags
				if mpls {
					limit = 16 // decodeMaxMPLSLabels; the last label has no bottom-of-stack bit
				}
				switch {
				case n <= limit && !mpls && s.SIPMessages != 1:
					t.Errorf("%d VLAN tags: not read (use %v, gaps %v)", n, s.PacketUse, s.EvidenceGaps)
				case n > limit && s.EvidenceGaps["malformed-header"] != 1:
					t.Errorf("%d tags or labels: gaps %v, want one malformed-header", n, s.EvidenceGaps)
				}
				if run.alloc > 4<<20 {
					t.Errorf("one deep frame allocated %s", mib(run.alloc))
				}
			})
		}
	}
}

// bogusPcapng returns a pcapng file (section header, Ethernet interface, one good packet)
// followed by a block whose total length is length.
func bogusPcapng(length uint32, good []byte) []byte {
	le := binary.LittleEndian
	var b []byte
	b = le.AppendUint32(b, 0x0a0d0d0a)
	b = le.AppendUint32(b, 28)
	b = le.AppendUint32(b, 0x1a2b3c4d)
	b = le.AppendUint16(b, 1)
	b = le.AppendUint16(b, 0)
	b = le.AppendUint64(b, ^uint64(0))
	b = le.AppendUint32(b, 28)
	// Interface description: Ethernet, snap length 262144.
	b = le.AppendUint32(b, 1)
	b = le.AppendUint32(b, 20)
	b = le.AppendUint16(b, 1)
	b = le.AppendUint16(b, 0)
	b = le.AppendUint32(b, 262144)
	b = le.AppendUint32(b, 20)
	epb := func(data []byte, total uint32, bogus bool) {
		pad := (4 - len(data)%4) % 4
		if !bogus {
			total = uint32(32 + len(data) + pad)
		}
		b = le.AppendUint32(b, 6)
		b = le.AppendUint32(b, total)
		b = le.AppendUint32(b, 0)
		b = le.AppendUint32(b, 0)
		b = le.AppendUint32(b, 1)
		b = le.AppendUint32(b, uint32(len(data)))
		b = le.AppendUint32(b, uint32(len(data)))
		b = append(b, data...)
		b = append(b, make([]byte, pad)...)
		b = le.AppendUint32(b, total)
	}
	epb(good, 0, false)
	epb(good, length, true)
	return b
}

// TestHostileBogusPcapng reads pcapng files with impossible block lengths: the packet
// before the bad block is audited, the damage is reported (capture-truncated, input
// truncated) and nothing near the claimed length is allocated.
func TestHostileBogusPcapng(t *testing.T) {
	good := appendUDP(nil, sipPeer, sipSBC, appendInvite(nil, 1, 1, "", -1))
	for _, length := range []uint32{0, 4, 12, 31, 33, 1 << 20, 1<<31 - 4, 0xfffffffc} {
		t.Run(strconv.FormatUint(uint64(length), 10), func(t *testing.T) {
			data := bogusPcapng(length, good)
			src, err := capture.NewReader("bogus.pcapng", bytes.NewReader(data))
			if err != nil {
				t.Fatalf("NewReader: %v", err)
			}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			a := analyze.New(analyze.Config{})
			res, err := a.Audit(context.Background(), src)
			runtime.ReadMemStats(&after)
			if err != nil {
				t.Fatal(err)
			}
			if res.Inputs[0].Err == nil || !(errors.Is(res.Inputs[0].Err, capture.ErrCorrupt) || errors.Is(res.Inputs[0].Err, capture.ErrTruncated)) {
				t.Errorf("block length %d: error %v, want one wrapping ErrCorrupt or ErrTruncated", length, res.Inputs[0].Err)
			}
			if res.Inputs[0].Err != nil && !strings.HasPrefix(res.Inputs[0].Err.Error(), "bogus.pcapng: ") {
				t.Errorf("error %q does not start with the input's name", res.Inputs[0].Err)
			}
			rep := a.Report(analyze.Tool{Name: "ixaudit"}, []*analyze.InputResult{res})
			checkCounts(t, rep)
			if rep.Summary.Packets < 1 || rep.Summary.Calls != 1 || !res.Inputs[0].Truncated {
				t.Errorf("block length %d: packets %d, calls %d, truncated %v; want the packet before the bad block audited",
					length, rep.Summary.Packets, rep.Summary.Calls, res.Inputs[0].Truncated)
			}
			found := false
			for _, f := range rep.Findings {
				found = found || f.Rule == "capture-truncated"
			}
			if !found {
				t.Errorf("block length %d: no capture-truncated finding", length)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20 {
				t.Errorf("block length %d: the audit allocated %s", length, mib(alloc))
			}
		})
	}
}

// benchHostile audits the capture made by mk once per iteration with cfg and reports the
// peak heap (HeapInuse sampled every 4096 packets, garbage included), the peak live heap
// (after a collection, every 65536 packets), the heap left after a collection with the
// result still held, and the time per packet (wall clock, and CPU time of all threads).
func benchHostile(b *testing.B, cfg analyze.Config, mk func() *genCapture, check func(*testing.B, hostileRun)) {
	var peak, peakLive, live uint64
	packets := 0
	cpu0 := processCPU()
	for b.Loop() {
		runtime.GC()
		run := auditHostile(b, mk(), cfg, 4096, 1<<16)
		peak = max(peak, run.peak)
		peakLive = max(peakLive, run.peakLive)
		packets += run.packets
		b.StopTimer()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		live = max(live, ms.HeapAlloc)
		if check != nil {
			check(b, run)
		}
		runtime.KeepAlive(run)
		b.StartTimer()
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(peakLive)/(1<<20), "peak-live-MiB")
	b.ReportMetric(float64(live)/(1<<20), "result-MiB")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(max(packets, 1)), "ns/pkt")
	if cpu := processCPU() - cpu0; cpu > 0 {
		// CPU time, all threads (the GC's included), checks excluded only from ns/pkt:
		// on a loaded machine it says more than the wall-clock figure.
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(max(packets, 1)), "cpu-ns/pkt")
	}
}

// BenchmarkHostileCallIDs: a million INVITEs, each with a new Call-ID, 10 µs apart (far
// faster than dialogs expire), with the default limits. Run it with -benchtime=1x.
func BenchmarkHostileCallIDs(b *testing.B) {
	const n = 1_000_000
	benchHostile(b, analyze.Config{}, func() *genCapture { return floodCapture(n, 10*time.Microsecond, false) },
		func(b *testing.B, run hostileRun) {
			s := run.rep.Summary
			if s.Calls != n || s.EvidenceGaps["evicted-calls"] != n-analyze.DefaultMaxActiveCalls ||
				len(run.rep.Calls) != analyze.DefaultMaxListedCalls || s.CallsNotListed != n-analyze.DefaultMaxListedCalls {
				b.Fatalf("calls %d, listed %d, not listed %d, gaps %v", s.Calls, len(run.rep.Calls), s.CallsNotListed, s.EvidenceGaps)
			}
		})
}

// BenchmarkHostileCallIDsWithFindings: as BenchmarkHostileCallIDs, but each INVITE asks
// for a Twilio public host from an address that is no Twilio gateway, so every call has
// findings and is listed past DefaultMaxListedCalls, up to twice it: 200,000 calls is the
// most memory the calls list can take.
func BenchmarkHostileCallIDsWithFindings(b *testing.B) {
	const n = 200_000
	benchHostile(b, analyze.Config{}, func() *genCapture { return floodCapture(n, 10*time.Microsecond, true) },
		func(b *testing.B, run hostileRun) {
			if s := run.rep.Summary; s.Calls != n || len(run.rep.Calls) != n {
				b.Fatalf("calls %d, listed %d", s.Calls, len(run.rep.Calls))
			}
		})
}

// BenchmarkHostileInviteFlood: 200,000 unanswered INVITEs, one every 20 ms of packet time
// (a dialog idles out after 10 minutes, so about 30,000 are followed at once), each sent 7
// times on the Timer A schedule.
func BenchmarkHostileInviteFlood(b *testing.B) {
	const calls = 200_000
	mk := func() *genCapture { return inviteFlood(calls, 20*time.Millisecond) }
	benchHostile(b, analyze.Config{}, mk, func(b *testing.B, run hostileRun) {
		if s := run.rep.Summary; s.Calls != calls || s.SIPMessages != calls*timerASends || s.EvidenceGaps["evicted-calls"] != 0 {
			b.Fatalf("calls %d, messages %d, gaps %v", s.Calls, s.SIPMessages, s.EvidenceGaps)
		}
	})
}

// BenchmarkHostileFragments: a million first fragments of new datagrams, 10 µs apart,
// none ever completed.
func BenchmarkHostileFragments(b *testing.B) {
	const n = 1_000_000
	benchHostile(b, analyze.Config{}, func() *genCapture { return fragmentCapture(n, 10*time.Microsecond) },
		func(b *testing.B, run hostileRun) {
			g := run.rep.Summary.EvidenceGaps
			if g["fragments-incomplete"]+g["fragments-evicted"] != n {
				b.Fatalf("gaps %v", g)
			}
		})
}

// BenchmarkHostileTCPGaps: 100,000 SIP TCP connections (more than the assembler's 65,536
// streams), 10 segments each with a hole after every one, none ever closed.
func BenchmarkHostileTCPGaps(b *testing.B) {
	benchHostile(b, analyze.Config{}, func() *genCapture { return tcpGapCapture(100_000, 10) }, func(b *testing.B, run hostileRun) {
		if err := accountingError(run.rep); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkHostileContentLength: one SIP TCP connection whose INVITE claims 1 GiB of body,
// followed by 64 MiB of body bytes in 1400-byte segments.
func BenchmarkHostileContentLength(b *testing.B) {
	const segs = 64 << 20 / 1400
	lie := appendInvite(nil, 1, 1, "", 1<<30)
	body := bytes.Repeat([]byte("a=x\r\n"), 280)
	client := netip.AddrPortFrom(hostPeer, 40000)
	mk := func() *genCapture {
		return newGenCapture(1+segs, func(i int, b []byte) ([]byte, time.Time) {
			p, seq := body, uint32(1+len(lie)+(i-1)*len(body))
			if i == 0 {
				p, seq = lie, 1
			}
			return appendTCP(b, client, sipSBC, seq, capture.TCPPsh, p), hostEpoch.Add(time.Duration(i) * time.Millisecond)
		})
	}
	benchHostile(b, analyze.Config{}, mk, func(b *testing.B, run hostileRun) {
		if err := accountingError(run.rep); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkHostileDeepStacks: 10,000 frames of 60,000 VLAN tags, then 10,000 of 60,000
// MPLS labels (each frame 240 KB).
func BenchmarkHostileDeepStacks(b *testing.B) {
	vlan, mpls := deepStack(60000, false), deepStack(60000, true)
	mk := func() *genCapture {
		return newGenCapture(20000, func(i int, b []byte) ([]byte, time.Time) {
			p := vlan
			if i%2 == 1 {
				p = mpls
			}
			return append(b, p...), hostEpoch.Add(time.Duration(i) * time.Millisecond)
		})
	}
	benchHostile(b, analyze.Config{}, mk, func(b *testing.B, run hostileRun) {
		if g := run.rep.Summary.EvidenceGaps; g["malformed-header"] != 20000 {
			b.Fatalf("gaps %v", g)
		}
	})
}

// BenchmarkHostileBogusPcapng: reading a pcapng whose second packet block claims 4 GiB.
func BenchmarkHostileBogusPcapng(b *testing.B) {
	data := bogusPcapng(0xfffffffc, appendUDP(nil, sipPeer, sipSBC, appendInvite(nil, 1, 1, "", -1)))
	b.ReportAllocs()
	for b.Loop() {
		src, err := capture.NewReader("bogus.pcapng", bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		res, err := analyze.New(analyze.Config{}).Audit(context.Background(), src)
		if err != nil || !errors.Is(res.Inputs[0].Err, capture.ErrCorrupt) {
			b.Fatalf("%v, %v", err, res.Inputs[0].Err)
		}
	}
}

// processCPU returns the CPU time the process has used (user and system, all threads), from
// /proc/self/stat, or 0 where there is no such file. Its resolution is a clock tick
// (10 ms), enough for benchmarks of seconds.
func processCPU() time.Duration {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0
	}
	// The fields after the command name, which is in parentheses and may hold spaces.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64) // field 14 of proc(5)
	stime, err2 := strconv.ParseInt(f[12], 10, 64) // field 15
	if err1 != nil || err2 != nil {
		return 0
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond // USER_HZ is 100 on Linux
}

// rtpSprayCapture is one answered Interconnect call (INVITE and 200 OK with SDP), then n
// RTP packets to the SBC's announced media port, each from a new address and port: what
// an RTP-bleed scanner or a spoofed flood sends.
func rtpSprayCapture(n int) *genCapture {
	sbc := netip.MustParseAddrPort("10.0.0.1:5060")
	gw := netip.MustParseAddrPort("208.78.112.64:5060")
	sdpOf := func(addr string) string {
		body := "v=0\r\no=- 1 1 IN IP4 " + addr + "\r\ns=-\r\nc=IN IP4 " + addr + "\r\nt=0 0\r\nm=audio 20000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
		return "Content-Type: application/sdp\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
	}
	invite := "INVITE sip:+15550100@trunk.pstn.ashburn-ix.twilio.com SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKs\r\n" +
		"From: <sip:+15550199@10.0.0.1>;tag=a\r\nTo: <sip:+15550100@trunk.pstn.ashburn-ix.twilio.com>\r\nCall-ID: spray@10.0.0.1\r\n" +
		"CSeq: 1 INVITE\r\nContact: <sip:10.0.0.1:5060>\r\n" + sdpOf("10.0.0.1")
	ok := "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKs\r\nFrom: <sip:+15550199@10.0.0.1>;tag=a\r\n" +
		"To: <sip:+15550100@trunk.pstn.ashburn-ix.twilio.com>;tag=b\r\nCall-ID: spray@10.0.0.1\r\nCSeq: 1 INVITE\r\n" +
		"Contact: <sip:208.78.112.64:5060>\r\n" + sdpOf("168.86.128.9")
	media := netip.MustParseAddrPort("10.0.0.1:20000")
	rtp := append([]byte{0x80, 0, 0, 1, 0, 0, 0, 160, 0, 0, 0, 0}, bytes.Repeat([]byte{0xff}, 160)...)
	return newGenCapture(2+n, func(i int, b []byte) ([]byte, time.Time) {
		at := hostEpoch.Add(time.Duration(i) * 100 * time.Microsecond)
		switch i {
		case 0:
			return appendUDP(b, sbc, gw, []byte(invite)), at
		case 1:
			return appendUDP(b, gw, sbc, []byte(ok)), at
		}
		// Ports 1024-5023: no SIP port, and outside Twilio's media ports.
		src := netip.AddrPortFrom(netip.AddrFrom4([4]byte{203, byte(i >> 16), byte(i >> 8), byte(i)}), uint16(1024+i%4000))
		binary.BigEndian.PutUint32(rtp[8:], uint32(i)) // SSRC
		return appendUDP(b, src, media, rtp), at
	})
}

// TestHostileRTPSpray sends RTP from thousands of spoofed sources to one call's announced
// media port: each source is media of the call that no SDP announced, from outside
// Twilio's media range, yet the findings the call lists stay bounded, the rest are
// counted by rule, the verdict still fails, and the streams are counted exactly.
func TestHostileRTPSpray(t *testing.T) {
	const n = 20000
	run := auditHostile(t, rtpSprayCapture(n), analyze.Config{}, 5000, 0)
	r := run.rep
	checkCounts(t, r)
	s := r.Summary
	if s.Calls != 1 || s.RTPStreams != n || s.PacketUse["rtp"] != n {
		t.Errorf("calls %d, rtp_streams %d, packet use %v; want 1 call, %d streams", s.Calls, s.RTPStreams, s.PacketUse, n)
	}
	if len(r.Findings) > 200 {
		t.Errorf("%d findings listed for one call flooded from %d sources: the call's findings are not bounded", len(r.Findings), n)
	}
	byRule := map[string]int{}
	for _, f := range r.Findings {
		byRule[f.Rule]++
	}
	for rule, listed := range byRule {
		if rule == "media-unannounced" || rule == "media-address-outside-range" {
			if listed+s.FindingsNotListed[rule] != n {
				t.Errorf("%s: %d listed + %d not listed, want one per source (%d)", rule, listed, s.FindingsNotListed[rule], n)
			}
		}
	}
	if !s.Failed {
		t.Error("the run does not fail, though media left Twilio's range")
	}
	t.Logf("findings by rule %v, not listed %v, alloc %s", byRule, s.FindingsNotListed, mib(run.alloc))
}

// BenchmarkHostileRTPSpray: one answered call, then a million RTP packets to its media port,
// each from a new address, port and SSRC.
func BenchmarkHostileRTPSpray(b *testing.B) {
	const n = 1_000_000
	benchHostile(b, analyze.Config{}, func() *genCapture { return rtpSprayCapture(n) }, func(b *testing.B, run hostileRun) {
		if s := run.rep.Summary; s.RTPStreams != n || len(run.rep.Findings) > 100 {
			b.Fatalf("rtp_streams %d, %d findings", s.RTPStreams, len(run.rep.Findings))
		}
	})
}

// TestHostileInvalidUTF8 audits SIP whose Call-ID, From and Request-URI host hold bytes
// that are not UTF-8 (found by FuzzAuditPackets: the JSON report was not a fixed point).
// The report holds them as JSON writes them, so its JSON reads back to the same bytes, and
// a finding keyed by such a host is known when the saved report is given as --baseline.
func TestHostileInvalidUTF8(t *testing.T) {
	invite := "INVITE sip:+15550100@trunk\xff\xfe.pstn.twilio.com SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKu\r\n" +
		"From: <sip:\xc3\x28@10.0.0.1>;tag=a\r\nTo: <sip:+15550100@trunk.pstn.twilio.com>\r\nCall-ID: bad\x80id@10.0.0.1\r\n" +
		"CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
	data := bytesOf(t, sliceCapture([][]byte{
		appendUDP(nil, netip.MustParseAddrPort("10.0.0.1:5060"), netip.MustParseAddrPort("54.172.60.1:5060"), []byte(invite)),
	}))
	audit := func() *analyze.Report {
		src, err := capture.NewReader("utf8.pcap", bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		a := analyze.New(analyze.Config{})
		res, err := a.Audit(context.Background(), src)
		if err != nil {
			t.Fatal(err)
		}
		r := a.Report(analyze.Tool{Name: "ixaudit", Version: "test"}, []*analyze.InputResult{res})
		analyze.Decide(r, analyze.SeverityError)
		return r
	}
	r := audit()
	if len(r.Calls) != 1 || r.Calls[0].CallID != "bad\uFFFDid@10.0.0.1" || r.Calls[0].From != "sip:\uFFFD(@10.0.0.1" {
		t.Fatalf("calls %+v, want one with Call-ID and From holding U+FFFD", r.Calls)
	}
	js := renderJSON(t, r)
	saved, err := report.ReadJSON(bytes.NewReader(js))
	if err != nil {
		t.Fatal(err)
	}
	if again := renderJSON(t, saved); !bytes.Equal(js, again) {
		t.Fatalf("JSON → ReadJSON → JSON differs:\n%s", cmp.Diff(string(js), string(again)))
	}
	hostKey := false
	for _, f := range r.Findings {
		hostKey = hostKey || strings.Contains(f.Key, "\uFFFD")
	}
	if !hostKey {
		t.Fatalf("no finding keyed by the host with invalid bytes: %+v", r.Findings)
	}
	fresh := audit()
	analyze.ApplyBaseline(fresh, saved)
	analyze.Decide(fresh, analyze.SeverityError)
	if fresh.Summary.Known != len(fresh.Findings) || fresh.Summary.Failed {
		t.Errorf("%d of %d findings known from the saved report of the same capture (failed %v)",
			fresh.Summary.Known, len(fresh.Findings), fresh.Summary.Failed)
	}
}

// TestHostileOrphans sends answers to INVITEs that were never captured, each of a new
// Call-ID, faster than they expire: the messages held while their INVITE may still come
// stay within their limit, and each is judged once, outside any call.
func TestHostileOrphans(t *testing.T) {
	const n = 30000
	var sip []byte
	g := newGenCapture(n, func(i int, b []byte) ([]byte, time.Time) {
		sip = append(sip[:0], "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 198.51.100.20:5060;branch=z9hG4bKo\r\nFrom: <sip:a@198.51.100.20>;tag=1\r\n"+
			"To: <sip:b@192.0.2.10>;tag=2\r\nCall-ID: orphan-"...)
		sip = strconv.AppendInt(sip, int64(i), 10)
		sip = append(sip, "\r\nCSeq: 1 INVITE\r\nContent-Length: 300\r\n\r\n"...)
		sip = append(sip, bytes.Repeat([]byte{'x'}, 300)...)
		return appendUDP(b, sipSBC, sipPeer, sip), hostEpoch.Add(time.Duration(i) * 10 * time.Microsecond)
	})
	run := auditHostile(t, g, analyze.Config{}, 5000, 2500)
	checkCounts(t, run.rep)
	s := run.rep.Summary
	if s.SIPMessages != n || s.Calls != 0 || s.PacketUse["sip"] != n {
		t.Errorf("%d answers without INVITE: sip_messages %d, calls %d, use %v", n, s.SIPMessages, s.Calls, s.PacketUse)
	}
	if grew := run.peakLive - min(run.baseLive, run.peakLive); grew > 16<<20 {
		t.Errorf("live heap grew by %s holding answers whose INVITE never came", mib(grew))
	}
	t.Logf("live heap peak grew by %s", mib(run.peakLive-min(run.baseLive, run.peakLive)))
}
