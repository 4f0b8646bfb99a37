package tcpstream

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/ixaudit/ixaudit/capture"
)

// flowCmp lets cmp compare Flows.
var flowCmp = cmpopts.EquateComparable(netip.AddrPort{})

// pktTime is the capture time of packet n in these tests.
func pktTime(n int) time.Time { return t0.Add(time.Duration(n) * 10 * time.Millisecond) }

// want is one expected message: parts[msg] delivered with packet number packet.
type want struct{ msg, packet int }

// segView is the part of Stats the table checks.
type segView struct {
	Segments, Used, Retransmitted, Unframed, Gap, Evicted int
	Messages, Gaps                                        int
}

func viewOf(s Stats) segView {
	return segView{s.Segments, s.Used, s.Retransmitted, s.Unframed, s.Gap, s.Evicted, s.Messages, s.Gaps}
}

// split cuts [0,n) into k ranges of nearly equal length.
func split(n, k int) [][2]int {
	var r [][2]int
	for i := 0; i < k; i++ {
		r = append(r, [2]int{n * i / k, n * (i + 1) / k})
	}
	return r
}

// permute returns segs in the order perm.
func permute(segs [][2]int, perm ...int) [][2]int {
	r := make([][2]int, len(perm))
	for i, p := range perm {
		r[i] = segs[p]
	}
	return r
}

// byCoverage expects each part to be delivered by the segment that completes the bytes up
// to its end (segments are packets first+1, first+2, ...).
func byCoverage(parts []string, segs [][2]int, first int) []want {
	var w []want
	end := 0
	for i, p := range parts {
		end += len(p)
		w = append(w, want{i, first + coveredAt(segs, end)})
	}
	return w
}

func TestAssemblerOneStream(t *testing.T) {
	l1, l2, l3 := len(msgInvite), len(msgTrying), len(msgBye)
	o2, o3, total := l1, l1+l2, l1+l2+l3
	hdrEnd := strings.Index(msgInvite, "\r\n\r\n")
	shuffled := permute(split(total, 9), 3, 0, 8, 5, 1, 7, 2, 6, 4)
	wrapped := permute(split(total, 7), 6, 2, 0, 4, 1, 5, 3)
	noLength := sipMessage("OPTIONS sip:ping@example.pstn.twilio.com SIP/2.0", "o1", -1)
	http := "GET / HTTP/1.1\r\nHost: sbc\r\n\r\n"

	tests := []struct {
		name      string
		isn       uint32
		noSYN     bool     // the capture starts mid-stream: no SYN, first data is packet 1
		parts     []string // the stream, in parts that want refers to (default threeMsgs)
		segs      [][2]int // byte ranges of the stream in send order
		want      []want
		wantGaps  []gapEvent // Flow is filled in
		wantStats segView
	}{
		{
			name:      "in order, one message per segment",
			segs:      [][2]int{{0, o2}, {o2, o3}, {o3, total}},
			want:      []want{{0, 2}, {1, 3}, {2, 4}},
			wantStats: segView{Segments: 4, Used: 4, Messages: 3},
		},
		{
			name:      "reversed",
			segs:      [][2]int{{o3, total}, {o2, o3}, {0, o2}},
			want:      []want{{0, 4}, {1, 4}, {2, 4}},
			wantStats: segView{Segments: 4, Used: 4, Messages: 3},
		},
		{
			name:      "shuffled, nine segments",
			segs:      shuffled,
			want:      byCoverage(threeMsgs, shuffled, 1),
			wantStats: segView{Segments: 10, Used: 10, Messages: 3},
		},
		{
			name:      "every segment twice",
			segs:      [][2]int{{0, o2}, {0, o2}, {o2, o3}, {o2, o3}, {o3, total}, {o3, total}},
			want:      []want{{0, 2}, {1, 4}, {2, 6}},
			wantStats: segView{Segments: 7, Used: 4, Retransmitted: 3, Messages: 3},
		},
		{
			name: "retransmission with other segmentation",
			// packet 4 repeats bytes already held; packet 5 overlaps packet 3 and adds the rest
			segs:      [][2]int{{0, 100}, {100, o2 + 50}, {50, o2 + 20}, {o2, total}},
			want:      []want{{0, 3}, {1, 5}, {2, 5}},
			wantStats: segView{Segments: 5, Used: 4, Retransmitted: 1, Messages: 3},
		},
		{
			name:      "everything retransmitted after delivery",
			segs:      [][2]int{{0, total}, {0, o2}, {o2, total}},
			want:      []want{{0, 2}, {1, 2}, {2, 2}},
			wantStats: segView{Segments: 4, Used: 2, Retransmitted: 2, Messages: 3},
		},
		{
			name:      "out-of-order segment retransmitted before the hole fills",
			segs:      [][2]int{{o2, o3}, {o2, o3}, {0, o2}, {o3, total}},
			want:      []want{{0, 4}, {1, 4}, {2, 5}},
			wantStats: segView{Segments: 5, Used: 4, Retransmitted: 1, Messages: 3},
		},
		{
			name: "out-of-order segments overlapping each other",
			// packet 3 repeats part of packet 2 and adds [o3,total)
			segs:      [][2]int{{o2, o3}, {o2 + 10, total}, {0, o2}},
			want:      []want{{0, 4}, {1, 4}, {2, 4}},
			wantStats: segView{Segments: 4, Used: 4, Messages: 3},
		},
		{
			name: "one segment fills several holes",
			// packet 4 brings every byte; packets 2 and 3 came first and keep theirs
			segs:      [][2]int{{100, 200}, {300, 400}, {0, total}},
			want:      []want{{0, 4}, {1, 4}, {2, 4}},
			wantStats: segView{Segments: 4, Used: 4, Messages: 3},
		},
		{
			name:      "two messages in one segment",
			segs:      [][2]int{{0, o3}, {o3, total}},
			want:      []want{{0, 2}, {1, 2}, {2, 3}},
			wantStats: segView{Segments: 3, Used: 3, Messages: 3},
		},
		{
			name:      "one message over five segments",
			segs:      [][2]int{{0, 40}, {40, 80}, {80, 120}, {120, 200}, {200, o2}, {o2, total}},
			want:      []want{{0, 6}, {1, 7}, {2, 7}},
			wantStats: segView{Segments: 7, Used: 7, Messages: 3},
		},
		{
			name: "split in the start line, in the empty line and in the body",
			segs: [][2]int{{0, 10}, {10, hdrEnd + 2}, {hdrEnd + 2, hdrEnd + 3}, {hdrEnd + 3, o2 - 50},
				{o2 - 50, o2 + 5}, {o2 + 5, total}},
			want:      []want{{0, 6}, {1, 7}, {2, 7}},
			wantStats: segView{Segments: 7, Used: 7, Messages: 3},
		},
		{
			name:      "message without Content-Length has no body",
			parts:     []string{noLength, msgTrying},
			segs:      [][2]int{{0, len(noLength) + len(msgTrying)}},
			want:      []want{{0, 2}, {1, 2}},
			wantStats: segView{Segments: 2, Used: 2, Messages: 2},
		},
		{
			name:      "sequence numbers wrap",
			isn:       0xffffff00,
			segs:      wrapped,
			want:      byCoverage(threeMsgs, wrapped, 1),
			wantStats: segView{Segments: 8, Used: 8, Messages: 3},
		},
		{
			name:      "sequence numbers wrap right after the SYN",
			isn:       0xffffffff,
			segs:      [][2]int{{o2, total}, {0, o2}},
			want:      []want{{0, 3}, {1, 3}, {2, 3}},
			wantStats: segView{Segments: 3, Used: 3, Messages: 3},
		},
		{
			name:      "capture starts inside a message",
			noSYN:     true,
			segs:      [][2]int{{10, o2}, {o2, o3}, {o3, total}},
			want:      []want{{1, 2}, {2, 3}},
			wantGaps:  []gapEvent{{Packet: 1, Bytes: l1 - 10, Reason: Resync}},
			wantStats: segView{Segments: 3, Used: 2, Gap: 1, Messages: 2},
		},
		{
			name:      "capture starts at a message boundary",
			noSYN:     true,
			segs:      [][2]int{{o2, o3}, {o3, total}},
			want:      []want{{1, 1}, {2, 2}},
			wantStats: segView{Segments: 2, Used: 2, Messages: 2},
		},
		{
			name: "hole never filled",
			// m2 is cut by the hole [o2+10,o2+20): its start is truncated, its end skipped
			segs: [][2]int{{0, o2}, {o2, o2 + 10}, {o2 + 20, o3}, {o3, total}},
			want: []want{{0, 2}, {2, 5}},
			wantGaps: []gapEvent{
				{Packet: 3, Bytes: 10, Reason: Truncated},
				{Packet: 4, Bytes: 10, Reason: Missing},
				{Packet: 4, Bytes: l2 - 20, Reason: Resync},
			},
			wantStats: segView{Segments: 5, Used: 3, Gap: 2, Messages: 2, Gaps: 1},
		},
		{
			name:      "hole filled late",
			segs:      [][2]int{{0, o2}, {o2, o2 + 10}, {o2 + 20, o3}, {o3, total}, {o2 + 10, o2 + 20}},
			want:      []want{{0, 2}, {1, 6}, {2, 6}},
			wantStats: segView{Segments: 6, Used: 6, Messages: 3},
		},
		{
			name:      "keep-alives between messages",
			parts:     []string{"\r\n\r\n", msgInvite, "\r\n\r\n", msgTrying, "\r\n"},
			segs:      [][2]int{{0, 4}, {4, 4 + l1}, {4 + l1, 8 + l1}, {8 + l1, 8 + l1 + l2}, {8 + l1 + l2, 10 + l1 + l2}},
			want:      []want{{1, 3}, {3, 5}},
			wantStats: segView{Segments: 6, Used: 6, Messages: 2},
		},
		{
			name:      "not SIP while in step",
			parts:     []string{http, msgInvite},
			segs:      [][2]int{{0, len(http)}, {len(http), len(http) + l1}},
			want:      []want{{1, 3}},
			wantGaps:  []gapEvent{{Packet: 2, Bytes: len(http), Reason: Unframed}},
			wantStats: segView{Segments: 3, Used: 2, Unframed: 1, Messages: 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parts := tt.parts
			if parts == nil {
				parts = threeMsgs
			}
			stream := strings.Join(parts, "")
			rec := &recorder{}
			a := New(Config{}, sipFramer, rec)
			packet := 0
			if !tt.noSYN {
				packet++
				a.Segment(packet, pktTime(packet), tcpFrame(clientAP, serverAP, tt.isn, capture.TCPSyn, nil))
			}
			for _, sg := range tt.segs {
				packet++
				seq := tt.isn + 1 + uint32(sg[0])
				a.Segment(packet, pktTime(packet), tcpFrame(clientAP, serverAP, seq, capture.TCPAck|capture.TCPPsh, []byte(stream[sg[0]:sg[1]])))
			}
			a.Flush()

			var wantMsgs []delivered
			for _, w := range tt.want {
				wantMsgs = append(wantMsgs, delivered{clientTo, parts[w.msg], w.packet, pktTime(w.packet)})
			}
			if diff := cmp.Diff(wantMsgs, rec.msgs, flowCmp); diff != "" {
				t.Errorf("messages (-want +got):\n%s", diff)
			}
			var wantGaps []gapEvent
			for _, g := range tt.wantGaps {
				g.Flow = clientTo
				wantGaps = append(wantGaps, g)
			}
			if diff := cmp.Diff(wantGaps, rec.gaps, flowCmp); diff != "" {
				t.Errorf("gaps (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantStats, viewOf(a.Stats())); diff != "" {
				t.Errorf("stats (-want +got):\n%s", diff)
			}
			checkSettled(t, a)
		})
	}
}
