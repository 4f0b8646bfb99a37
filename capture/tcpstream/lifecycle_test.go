package tcpstream

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ixaudit/ixaudit/capture"
)

// step is one segment of a scripted exchange.
type step struct {
	from, to netip.AddrPort
	seq      uint32
	flags    uint8
	data     string
	at       time.Duration // capture time after t0; 0 means 10 ms per packet
	cut      int           // bytes of data lost to the snap length (Frame.Cut)
}

// play feeds steps to a, as packets 1, 2, ...
func play(a *Assembler, steps []step) {
	for i, s := range steps {
		packet := i + 1
		t := pktTime(packet)
		if s.at != 0 {
			t = t0.Add(s.at)
		}
		f := tcpFrame(s.from, s.to, s.seq, s.flags, []byte(s.data[:len(s.data)-s.cut]))
		f.Cut = s.cut > 0
		a.Segment(packet, t, f)
	}
}

const (
	ack    = capture.TCPAck
	psh    = capture.TCPAck | capture.TCPPsh
	syn    = capture.TCPSyn
	synAck = capture.TCPSyn | capture.TCPAck
	fin    = capture.TCPFin | capture.TCPAck
	rst    = capture.TCPRst
)

func TestAssemblerConnectionLifecycle(t *testing.T) {
	c, s := clientAP, serverAP
	l1, l2, l3 := uint32(len(msgInvite)), uint32(len(msgTrying)), uint32(len(msgBye))
	half := msgTrying[:40]
	steps := []step{
		{from: c, to: s, seq: 1000, flags: syn},                                             // 1
		{from: s, to: c, seq: 5000, flags: synAck},                                          // 2
		{from: c, to: s, seq: 1001, flags: psh, data: msgInvite},                            // 3
		{from: s, to: c, seq: 5001, flags: psh, data: msgTrying},                            // 4
		{from: c, to: s, seq: 1001 + l1, flags: psh | fin, data: msgBye},                    // 5: BYE and FIN
		{from: c, to: s, seq: 1001 + l1, flags: psh | fin, data: msgBye},                    // 6: retransmitted after the close
		{from: s, to: c, seq: 5001 + l2, flags: fin},                                        // 7
		{from: c, to: s, seq: 9000, flags: syn},                                             // 8: a new connection, same ports
		{from: c, to: s, seq: 9001, flags: psh, data: msgInvite},                            // 9
		{from: c, to: s, seq: 9001 + l1, flags: psh, data: half},                            // 10: cut short by...
		{from: s, to: c, seq: 7777, flags: rst},                                             // 11: ...a reset from the server
		{from: c, to: s, seq: 9001 + l1 + uint32(len(half)) + 50, flags: psh, data: msgBye}, // 12: a connection whose SYN was missed
		{from: c, to: s, seq: 9001 + l1 + uint32(len(half)) + 50 + l3, flags: ack},          // 13
	}
	rec := &recorder{}
	a := New(Config{}, sipFramer, rec)
	play(a, steps)

	cs, sc := Flow{c, s}, Flow{s, c}
	wantMsgs := []delivered{
		{cs, msgInvite, 3, pktTime(3)},
		{sc, msgTrying, 4, pktTime(4)},
		{cs, msgBye, 5, pktTime(5)},
		{cs, msgInvite, 9, pktTime(9)},
		{cs, msgBye, 12, pktTime(12)},
	}
	if diff := cmp.Diff(wantMsgs, rec.msgs, flowCmp); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
	wantGaps := []gapEvent{{cs, 10, len(half), Truncated}}
	if diff := cmp.Diff(wantGaps, rec.gaps, flowCmp); diff != "" {
		t.Errorf("gaps (-want +got):\n%s", diff)
	}
	// Before Flush: the reset closed both directions, the new client direction is open.
	if got := a.Stats().Pending(); got != 0 {
		t.Errorf("%d segments pending before Flush, want 0", got)
	}
	if n := len(a.streams); n != 2 {
		t.Errorf("%d directions tracked, want 2 (the new client one and the closed server one)", n)
	}
	a.Flush()
	wantStats := segView{Segments: 13, Used: 11, Retransmitted: 1, Gap: 1, Messages: 5}
	if diff := cmp.Diff(wantStats, viewOf(a.Stats())); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
	checkSettled(t, a)
}

func TestAssemblerHoleTimeout(t *testing.T) {
	o2 := uint32(len(msgInvite))
	o3 := o2 + uint32(len(msgTrying))
	stream := strings.Join(threeMsgs, "")
	seg := func(from, to uint32, at time.Duration) step {
		return step{from: clientAP, to: serverAP, seq: 1 + from, flags: psh, data: stream[from:to], at: at}
	}
	other := netip.MustParseAddrPort("192.0.2.99:40001")
	base := []step{
		{from: clientAP, to: serverAP, seq: 0, flags: syn, at: time.Second}, // 1
		seg(0, o2, time.Second),                     // 2
		seg(o2, o2+10, time.Second),                 // 3
		seg(o2+20, o3, 2*time.Second),               // 4: the hole [o2+10,o2+20) opens
		seg(o3, uint32(len(stream)), 3*time.Second), // 5
	}
	wantGaps := []gapEvent{
		{clientTo, 3, 10, Truncated},
		{clientTo, 4, 10, Missing},
		{clientTo, 4, len(msgTrying) - 20, Resync},
	}
	tests := []struct {
		name  string
		steps []step
		then  func(a *Assembler) // called after the steps, before checking
		gaps  []gapEvent
		stats segView // after Flush
	}{
		{
			name:  "Expire just before the timeout",
			steps: base,
			then:  func(a *Assembler) { a.Expire(t0.Add(12*time.Second - 1)) },
			// Flush gives up on the hole instead.
			stats: segView{Segments: 5, Used: 3, Gap: 2, Messages: 2, Gaps: 1},
		},
		{
			name:  "Expire at the timeout",
			steps: base,
			then:  func(a *Assembler) { a.Expire(t0.Add(12 * time.Second)) },
			gaps:  wantGaps,
			stats: segView{Segments: 5, Used: 3, Gap: 2, Messages: 2, Gaps: 1},
		},
		{
			name: "a segment of another connection after the timeout",
			steps: append(base[:len(base):len(base)],
				step{from: other, to: serverAP, seq: 1, flags: ack, at: 12 * time.Second}),
			gaps:  wantGaps,
			stats: segView{Segments: 6, Used: 4, Gap: 2, Messages: 2, Gaps: 1},
		},
		{
			name: "the missing bytes after the timeout come too late",
			steps: append(base[:len(base):len(base)],
				seg(o2+10, o2+20, 13*time.Second)),
			gaps:  wantGaps,
			stats: segView{Segments: 6, Used: 3, Gap: 3, Messages: 2, Gaps: 1},
		},
		{
			name: "the missing bytes just before the timeout fill the hole",
			steps: append(base[:len(base):len(base)],
				seg(o2+10, o2+20, 12*time.Second-1)),
			stats: segView{Segments: 6, Used: 6, Messages: 3},
		},
		{
			name: "bytes delivered before the hole, retransmitted after it was given up on",
			steps: append(base[:len(base):len(base)],
				seg(0, 10, 13*time.Second)),
			gaps:  wantGaps,
			stats: segView{Segments: 6, Used: 3, Retransmitted: 1, Gap: 2, Messages: 2, Gaps: 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			a := New(Config{HoleTimeout: 10 * time.Second}, sipFramer, rec)
			play(a, tt.steps)
			if tt.then != nil {
				tt.then(a)
			}
			if diff := cmp.Diff(tt.gaps, rec.gaps, flowCmp); diff != "" {
				t.Errorf("gaps before Flush (-want +got):\n%s", diff)
			}
			a.Flush()
			if diff := cmp.Diff(tt.stats, viewOf(a.Stats())); diff != "" {
				t.Errorf("stats after Flush (-want +got):\n%s", diff)
			}
			checkSettled(t, a)
		})
	}
}

func TestAssemblerIdleTimeout(t *testing.T) {
	rec := &recorder{}
	a := New(Config{IdleTimeout: time.Minute}, sipFramer, rec)
	play(a, []step{
		{from: clientAP, to: serverAP, seq: 1, flags: psh, data: msgInvite[:100]},
		{from: serverAP, to: clientAP, seq: 1, flags: psh, data: msgTrying, at: time.Minute},
	})
	if len(rec.gaps) != 0 {
		t.Fatalf("gaps before the idle timeout: %v", rec.gaps)
	}
	a.Expire(pktTime(1).Add(time.Minute))
	want := []gapEvent{{clientTo, 1, 100, Truncated}}
	if diff := cmp.Diff(want, rec.gaps, flowCmp); diff != "" {
		t.Errorf("gaps after the idle timeout (-want +got):\n%s", diff)
	}
	if _, ok := a.streams[clientTo]; ok {
		t.Errorf("the idle direction is still tracked")
	}
	if _, ok := a.streams[clientTo.Reverse()]; !ok {
		t.Errorf("the active direction was dropped")
	}
	a.Flush()
	checkSettled(t, a)
}

func TestAssemblerSnapLenCut(t *testing.T) {
	o2 := uint32(len(msgInvite))
	rec := &recorder{}
	a := New(Config{}, sipFramer, rec)
	play(a, []step{
		{from: clientAP, to: serverAP, seq: 0, flags: syn},
		{from: clientAP, to: serverAP, seq: 1, flags: psh, data: msgInvite, cut: 30},
		{from: clientAP, to: serverAP, seq: 1 + o2, flags: psh, data: msgTrying},
	})
	// The bytes lost to the snap length are given up on at once, not after HoleTimeout.
	wantGaps := []gapEvent{
		{clientTo, 2, len(msgInvite) - 30, Truncated},
		{clientTo, 3, 30, Missing},
	}
	if diff := cmp.Diff(wantGaps, rec.gaps, flowCmp); diff != "" {
		t.Errorf("gaps (-want +got):\n%s", diff)
	}
	wantMsgs := []delivered{{clientTo, msgTrying, 3, pktTime(3)}}
	if diff := cmp.Diff(wantMsgs, rec.msgs, flowCmp); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
	a.Flush()
	checkSettled(t, a)
}

func TestAssemblerIgnoresOtherProtocols(t *testing.T) {
	a := New(Config{}, sipFramer, &recorder{})
	f := tcpFrame(clientAP, serverAP, 1, 0, []byte(msgInvite))
	f.Proto = capture.ProtoUDP
	a.Segment(1, t0, f)
	a.Segment(2, t0, nil)
	if st := a.Stats(); st.Segments != 0 || st.Streams != 0 {
		t.Errorf("a UDP frame and a nil frame were taken: %+v", st)
	}
}

// A Framer that misbehaves cannot make the Assembler panic, loop or lose count.
func TestAssemblerClampsFramer(t *testing.T) {
	framers := map[string]Framer{
		"too long":       func(buf []byte, _ bool) int { return len(buf) + 100 },
		"skips too much": func(buf []byte, _ bool) int { return -len(buf) - 100 },
		"never frames":   func([]byte, bool) int { return 0 },
		"one byte":       func([]byte, bool) int { return 1 },
	}
	stream := strings.Join(threeMsgs, "")
	segs := permute(split(len(stream), 6), 2, 0, 1, 5, 3, 4)
	for name, fr := range framers {
		t.Run(name, func(t *testing.T) {
			a := New(Config{}, fr, &counter{})
			a.Segment(1, pktTime(1), tcpFrame(clientAP, serverAP, 0, syn, nil))
			for i, sg := range segs {
				a.Segment(i+2, pktTime(i+2), tcpFrame(clientAP, serverAP, 1+uint32(sg[0]), psh, []byte(stream[sg[0]:sg[1]])))
			}
			a.Flush()
			checkSettled(t, a)
			if st := a.Stats(); st.Bytes != int64(len(stream)) {
				t.Errorf("Bytes = %d, want %d", st.Bytes, len(stream))
			}
		})
	}
}

func TestAssemblerFINAfterHole(t *testing.T) {
	l1 := uint32(len(msgInvite))
	tests := []struct {
		name       string
		finSeq     uint32
		wantGaps   []gapEvent
		wantClosed bool
	}{
		{
			name:   "FIN after missing bytes closes once the hole is given up on",
			finSeq: 1 + l1 + 50 + 10,
			wantGaps: []gapEvent{
				{clientTo, 1, 50, Truncated},
				{clientTo, 2, 10, Missing},
			},
			wantClosed: true,
		},
		{
			name:   "FIN far beyond the stream is ignored",
			finSeq: 1 + l1 + 1<<30,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			a := New(Config{}, sipFramer, rec)
			play(a, []step{
				{from: clientAP, to: serverAP, seq: 1, flags: psh, data: msgInvite + msgTrying[:50]},
				{from: clientAP, to: serverAP, seq: tt.finSeq, flags: fin},
			})
			a.Expire(t0.Add(time.Minute))
			if diff := cmp.Diff(tt.wantGaps, rec.gaps, flowCmp); diff != "" {
				t.Errorf("gaps (-want +got):\n%s", diff)
			}
			if s := a.streams[clientTo]; s == nil || s.open == tt.wantClosed {
				t.Errorf("direction tracked %v, want closed %v", s != nil, tt.wantClosed)
			}
			a.Flush()
			checkSettled(t, a)
		})
	}
}
