package tcpstream

import (
	"net/netip"
	"testing"
	"time"

	"github.com/ixaudit/ixaudit/capture"
)

// conversation replays, round after round, an exchange on one connection: the client's
// INVITE in two segments (so part of it waits in the buffer), the server's 100 Trying and
// 180 Ringing in one segment, and the ACKs of both sides. Sequence numbers and times move
// on every round, and wrap.
type conversation struct {
	a                *Assembler
	client, server   netip.AddrPort
	cseq, sseq       uint32
	packet           int
	t                time.Time
	invite, provisnl []byte
	f                capture.Frame
	reorder          bool // send the INVITE's second segment first
}

func newConversation(a *Assembler, client netip.AddrPort) *conversation {
	c := &conversation{
		a: a, client: client, server: serverAP,
		cseq: 0xfffff000, sseq: 7, t: t0,
		invite:   []byte(msgInvite),
		provisnl: []byte(msgTrying + sipMessage("SIP/2.0 180 Ringing", "a1", 0)),
	}
	c.send(c.client, c.server, c.cseq-1, syn, nil)
	c.send(c.server, c.client, c.sseq-1, synAck, nil)
	return c
}

func (c *conversation) send(from, to netip.AddrPort, seq uint32, flags uint8, payload []byte) {
	c.packet++
	c.t = c.t.Add(time.Millisecond)
	c.f = capture.Frame{
		IPVersion: 4, Src: from.Addr(), Dst: to.Addr(), Proto: capture.ProtoTCP,
		SrcPort: from.Port(), DstPort: to.Port(), Seq: seq, TCPFlags: flags, Payload: payload,
	}
	c.a.Segment(c.packet, c.t, &c.f)
}

// round sends one exchange: 5 segments.
func (c *conversation) round() {
	cut := 150
	if c.reorder {
		c.send(c.client, c.server, c.cseq+uint32(cut), psh, c.invite[cut:])
		c.send(c.client, c.server, c.cseq, psh, c.invite[:cut])
	} else {
		c.send(c.client, c.server, c.cseq, psh, c.invite[:cut])
		c.send(c.client, c.server, c.cseq+uint32(cut), psh, c.invite[cut:])
	}
	c.cseq += uint32(len(c.invite))
	c.send(c.server, c.client, c.sseq, ack, nil)
	c.send(c.server, c.client, c.sseq, psh, c.provisnl)
	c.sseq += uint32(len(c.provisnl))
	c.send(c.client, c.server, c.cseq, ack, nil)
}

const segmentsPerRound = 5

// The in-order path allocates nothing once the directions exist and their buffers have
// grown: not for messages framed in place, nor for the rest of a message kept for later.
func TestSegmentDoesNotAllocate(t *testing.T) {
	h := &counter{}
	a := New(Config{}, sipFramer, h)
	c := newConversation(a, clientAP)
	for range 100 {
		c.round()
	}
	before := h.msgs
	allocs := testing.AllocsPerRun(1000, c.round)
	if allocs != 0 {
		t.Errorf("%.2f allocations per round of %d segments, want 0", allocs, segmentsPerRound)
	}
	if got := h.msgs - before; got != 1001*3 {
		t.Errorf("%d messages in 1001 rounds, want %d: the rounds did not run as meant", got, 1001*3)
	}
	a.Flush()
	checkSettled(t, a)
	if st := a.Stats(); st.Used != st.Segments {
		t.Errorf("stats %+v: every segment should be Used", st)
	}
}

func benchmarkConversation(b *testing.B, flows int, reorder bool, framer Framer) {
	h := &counter{}
	a := New(Config{}, framer, h)
	cs := make([]*conversation, flows)
	for i := range cs {
		cs[i] = newConversation(a, netip.AddrPortFrom(clientAP.Addr(), uint16(20000+i)))
		cs[i].reorder = reorder
		cs[i].round()
	}
	bytesPerRound := len(cs[0].invite) + len(cs[0].provisnl)
	b.SetBytes(int64(bytesPerRound) / segmentsPerRound)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i += segmentsPerRound {
		cs[(i/segmentsPerRound)%flows].round()
	}
	b.StopTimer()
	a.Flush()
	if h.gaps != 0 {
		b.Fatalf("%d gaps in a clean conversation", h.gaps)
	}
}

// wholeFramer takes every buffer as one message: it measures the Assembler alone.
func wholeFramer(buf []byte, _ bool) int { return len(buf) }

// Each op is one segment (about 40% carry no payload, as in a real SIP/TCP capture).
func BenchmarkSegmentInOrder(b *testing.B) { benchmarkConversation(b, 1, false, sipFramer) }
func BenchmarkSegmentInOrder1000Flows(b *testing.B) {
	benchmarkConversation(b, 1000, false, sipFramer)
}
func BenchmarkSegmentInOrderNoFraming(b *testing.B) { benchmarkConversation(b, 1, false, wholeFramer) }
func BenchmarkSegmentReordered(b *testing.B)        { benchmarkConversation(b, 1, true, sipFramer) }
