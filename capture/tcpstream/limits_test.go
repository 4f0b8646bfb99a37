package tcpstream

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// hostileStream is a request that claims a gigabyte body, followed by 5 MB of body lines,
// followed by a BYE at a line start.
func hostileStream() (head, line string, lines int) {
	head = "INVITE sip:+15551234567@example.pstn.twilio.com SIP/2.0\r\nCall-ID: big\r\nContent-Length: 1073741824\r\n\r\n"
	line = "a=" + strings.Repeat("x", 98) + "\r\n"
	return head, line, 50000
}

// truncatingFramer is sipFramer, except that at EOF it accepts an incomplete message whose
// headers are complete, as a SIP parser that wants to judge the headers would.
func truncatingFramer(buf []byte, atEOF bool) int {
	n := sipFramer(buf, atEOF)
	if n == 0 && atEOF && isStartLine(buf[:max(0, strings.IndexByte(string(buf), '\n'))]) &&
		strings.Contains(string(buf), "\r\n\r\n") {
		return len(buf)
	}
	return n
}

func TestAssemblerHugeContentLength(t *testing.T) {
	head, line, lines := hostileStream()
	const perSegment = 10
	tests := []struct {
		name      string
		framer    Framer
		wantFirst string // the first message delivered, "" for none
	}{
		// The bytes held are dropped (Overflow, Stats.Evicted); the rest of the body is
		// skipped while resynchronising (Resync, Stats.Gap).
		{"the framer drops the oversized message", sipFramer, ""},
		// The Framer takes what is held as a message; the rest of the body is skipped.
		{"the framer takes the oversized message truncated", truncatingFramer, head},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			a := New(Config{}, tt.framer, rec)
			seq := uint32(1)
			packet := 1
			send := func(data string) {
				a.Segment(packet, pktTime(packet), tcpFrame(clientAP, serverAP, seq, psh, []byte(data)))
				seq += uint32(len(data))
				packet++
			}
			a.Segment(packet, pktTime(packet), tcpFrame(clientAP, serverAP, 0, syn, nil))
			packet++
			send(head)
			chunk := strings.Repeat(line, perSegment)
			for i := 0; i < lines/perSegment; i++ {
				send(chunk)
			}
			send(msgBye)
			a.Flush()

			st := a.Stats()
			if limit := DefaultMaxBufferPerStream + 2*len(chunk) + 2*keepBuffer; st.PeakMemory > limit {
				t.Errorf("peak memory %d bytes, want at most %d", st.PeakMemory, limit)
			}
			var overflow []gapEvent
			for _, g := range rec.gaps {
				if g.Reason == Overflow {
					overflow = append(overflow, g)
				}
			}
			switch {
			case tt.wantFirst == "" && (len(overflow) != 1 || overflow[0].Packet != 2):
				t.Errorf("overflow gaps %v, want one starting at packet 2", overflow)
			case tt.wantFirst != "" && len(overflow) != 0:
				t.Errorf("overflow gaps %v, want none: the framer took the message", overflow)
			}
			var got []string
			for _, m := range rec.msgs {
				got = append(got, m.Data)
			}
			want := []string{msgBye}
			if tt.wantFirst != "" {
				if len(got) > 0 && strings.HasPrefix(got[0], tt.wantFirst) {
					got[0] = tt.wantFirst // the truncated message: its length is the buffer limit's business
				}
				want = []string{tt.wantFirst, msgBye}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("messages (-want +got):\n%s", diff)
			}
			wantEvicted := tt.wantFirst == ""
			if (st.Evicted > 0) != wantEvicted || st.Gap == 0 || st.Used < 2 {
				t.Errorf("stats %+v: want the dropped segments Evicted (%v), the rest of the body Gap, the SYN and BYE Used", st, wantEvicted)
			}
			checkSettled(t, a)
		})
	}
}

func TestAssemblerBufferLimitGivesUpHoles(t *testing.T) {
	// The client's first 100 bytes are never captured; behind the hole come many responses.
	stream := msgInvite + strings.Repeat(msgTrying, 40)
	rec := &recorder{}
	a := New(Config{MaxBufferPerStream: 2048}, sipFramer, rec)
	a.Segment(1, pktTime(1), tcpFrame(clientAP, serverAP, 0, syn, nil))
	packet := 2
	for off := 100; off < len(stream); off += 200 {
		end := min(off+200, len(stream))
		a.Segment(packet, pktTime(packet), tcpFrame(clientAP, serverAP, 1+uint32(off), psh, []byte(stream[off:end])))
		packet++
	}
	if len(rec.gaps) == 0 || rec.gaps[0] != (gapEvent{clientTo, 2, 100, Missing}) {
		t.Fatalf("first gap before Flush = %v, want the hole given up on at the limit", rec.gaps)
	}
	// Every response after the INVITE's remains is delivered before Flush.
	if len(rec.msgs) != 40 {
		t.Errorf("%d messages delivered before Flush, want 40", len(rec.msgs))
	}
	a.Flush()
	if len(rec.msgs) != 40 {
		t.Errorf("%d messages delivered, want 40", len(rec.msgs))
	}
	for _, m := range rec.msgs {
		if m.Data != msgTrying {
			t.Fatalf("delivered %q, want only 100 Trying", m.Data)
		}
	}
	checkSettled(t, a)
}

func TestAssemblerMaxStreams(t *testing.T) {
	port := func(i int) netip.AddrPort { return netip.AddrPortFrom(clientAP.Addr(), uint16(41000+i)) }
	rec := &recorder{}
	a := New(Config{MaxStreams: 4}, sipFramer, rec)
	// Direction 0 is closed by a FIN: it is evicted first and the eviction is no loss.
	a.Segment(1, pktTime(1), tcpFrame(port(0), serverAP, 1, fin, nil))
	a.Segment(2, pktTime(2), tcpFrame(port(0), serverAP, 1, psh|fin, []byte(msgBye)))
	// Directions 1..5 each hold half a message.
	for i := 1; i <= 5; i++ {
		a.Segment(2+i, pktTime(2+i), tcpFrame(port(i), serverAP, 1, psh, []byte(msgInvite[:100])))
	}
	if got := len(a.streams); got != 4 {
		t.Errorf("%d directions tracked, want MaxStreams = 4", got)
	}
	half := 100
	want := []gapEvent{{Flow{port(1), serverAP}, 3, half, Evicted}}
	if diff := cmp.Diff(want, rec.gaps, flowCmp); diff != "" {
		t.Errorf("gaps before Flush (-want +got):\n%s", diff)
	}
	st := a.Stats()
	if st.StreamsEvicted != 1 || st.Evicted != 1 || st.Streams != 6 {
		t.Errorf("stats %+v: want 6 directions created, 1 evicted with its segment", st)
	}
	a.Flush()
	checkSettled(t, a)
	if st := a.Stats(); st.Gap != 4 || st.Messages != 1 {
		t.Errorf("after Flush stats %+v: want the 4 remaining halves truncated (Gap), 1 message", st)
	}
}

func TestAssemblerMaxBufferTotal(t *testing.T) {
	other := netip.MustParseAddrPort("192.0.2.11:40000")
	otherTo := Flow{other, serverAP}
	rec := &recorder{}
	a := New(Config{MaxBufferTotal: 2600}, sipFramer, rec)
	big := sipMessage("INVITE sip:+15551234567@example.pstn.twilio.com SIP/2.0", "big", 2500)
	// About 1100 bytes held for other, then about 2100 for the client: over the limit, the
	// least recently active direction is flushed.
	a.Segment(1, pktTime(1), tcpFrame(other, serverAP, 1, psh, []byte(big[:1000])))
	a.Segment(2, pktTime(2), tcpFrame(clientAP, serverAP, 1, psh, []byte(big[:2000])))
	if a.total > 2600 {
		t.Errorf("%d bytes held, want at most MaxBufferTotal", a.total)
	}
	want := []gapEvent{{otherTo, 1, 1000, Evicted}}
	if diff := cmp.Diff(want, rec.gaps, flowCmp); diff != "" {
		t.Errorf("gaps (-want +got):\n%s", diff)
	}
	// The flushed direction carries on: its next bytes are the rest of the dropped message.
	a.Segment(3, pktTime(3), tcpFrame(other, serverAP, 1001, psh, []byte(big[1000:]+msgTrying)))
	a.Segment(4, pktTime(4), tcpFrame(clientAP, serverAP, 2001, psh, []byte(big[2000:])))
	wantMsgs := []delivered{
		{otherTo, msgTrying, 3, pktTime(3)},
		{clientTo, big, 4, pktTime(4)},
	}
	if diff := cmp.Diff(wantMsgs, rec.msgs, flowCmp); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
	// Packet 3 both finished the dropped message (skipped) and carried a message: Used.
	if st := a.Stats(); st.StreamsFlushed != 1 || st.Evicted != 1 || st.Used != 3 || st.BytesSkipped != int64(len(big)) {
		t.Errorf("stats %+v: want 1 direction flushed, 1 segment evicted, 3 used, the whole big message skipped", st)
	}
	a.Flush()
	checkSettled(t, a)
}

// Thousands of tiny out-of-order segments are bounded by SegmentOverhead.
func TestAssemblerTinySegments(t *testing.T) {
	stream := strings.Repeat(msgInvite, 40)
	rec := &counter{}
	a := New(Config{MaxBufferPerStream: 64 << 10}, sipFramer, rec)
	a.Segment(1, pktTime(1), tcpFrame(clientAP, serverAP, 0, syn, nil))
	// Every other byte, backwards, then the rest: the worst order for the span list.
	packet := 2
	for _, parity := range []int{1, 0} {
		for off := len(stream) - 1 - (len(stream)-1-parity)%2; off >= 0; off -= 2 {
			a.Segment(packet, pktTime(packet), tcpFrame(clientAP, serverAP, 1+uint32(off), psh, []byte{stream[off]}))
			packet++
		}
	}
	st := a.Stats()
	if limit := 64<<10 + 2*SegmentOverhead + keepBuffer; st.PeakMemory > limit {
		t.Errorf("peak memory %d, want at most %d", st.PeakMemory, limit)
	}
	a.Flush()
	checkSettled(t, a)
	if st := a.Stats(); st.Gaps == 0 || st.Segments != len(stream)+1 {
		t.Errorf("stats %+v: want holes given up on at the limit, every segment counted", st)
	}
}
