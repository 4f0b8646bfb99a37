package tcpstream

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/ixaudit/ixaudit/capture"
)

var (
	clientAP = netip.MustParseAddrPort("192.0.2.10:40000")
	serverAP = netip.MustParseAddrPort("168.86.128.1:5060")
	clientTo = Flow{Src: clientAP, Dst: serverAP}
	t0       = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
)

// sipMessage returns a SIP request or response with a body of at least n bytes of whole
// SDP lines (no body when n == 0, and no Content-Length header at all when n < 0).
func sipMessage(start string, callID string, n int) string {
	var b strings.Builder
	b.WriteString(start + "\r\n")
	b.WriteString("Via: SIP/2.0/TCP 192.0.2.10:40000;branch=z9hG4bK-" + callID + "\r\n")
	b.WriteString("Call-ID: " + callID + "\r\n")
	b.WriteString("CSeq: 1 INVITE\r\n")
	if n < 0 {
		b.WriteString("\r\n")
		return b.String()
	}
	body := ""
	if n > 0 {
		b.WriteString("Content-Type: application/sdp\r\n")
		body = "v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\nm=audio 20000 RTP/AVP 0\r\n"
		for len(body) < n {
			body += "a=rtpmap:0 PCMU/8000\r\n"
		}
	}
	fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n%s", len(body), body)
	return b.String()
}

// Three messages whose concatenation is the stream of most tests.
var (
	msgInvite = sipMessage("INVITE sip:+15551234567@example.pstn.twilio.com SIP/2.0", "a1", 180)
	msgTrying = sipMessage("SIP/2.0 100 Trying", "a1", 0)
	msgBye    = sipMessage("BYE sip:+15551234567@example.pstn.twilio.com SIP/2.0", "a1", 0)
	threeMsgs = []string{msgInvite, msgTrying, msgBye}
)

// tcpFrame builds the Frame of a TCP segment.
func tcpFrame(from, to netip.AddrPort, seq uint32, flags uint8, payload []byte) *capture.Frame {
	return &capture.Frame{
		IPVersion: 4,
		Src:       from.Addr(),
		Dst:       to.Addr(),
		Proto:     capture.ProtoTCP,
		SrcPort:   from.Port(),
		DstPort:   to.Port(),
		Seq:       seq,
		TCPFlags:  flags,
		Payload:   payload,
	}
}

type delivered struct {
	Flow   Flow
	Data   string
	Packet int
	Time   time.Time
}

type gapEvent struct {
	Flow   Flow
	Packet int
	Bytes  int
	Reason Reason
}

// recorder is a Handler that keeps everything it is told.
type recorder struct {
	msgs []delivered
	gaps []gapEvent
}

func (r *recorder) Message(flow Flow, data []byte, packet int, t time.Time) {
	r.msgs = append(r.msgs, delivered{flow, string(data), packet, t})
}

func (r *recorder) Gap(flow Flow, packet int, t time.Time, bytes int, reason Reason) {
	r.gaps = append(r.gaps, gapEvent{flow, packet, bytes, reason})
}

// counter is a Handler that only counts, without allocating.
type counter struct {
	msgs, bytes, gaps int
}

func (c *counter) Message(_ Flow, data []byte, _ int, _ time.Time) { c.msgs++; c.bytes += len(data) }
func (c *counter) Gap(Flow, int, time.Time, int, Reason)           { c.gaps++ }

// checkSettled checks what must hold after Flush whatever the input: every segment has a
// disposition, every byte taken was delivered or skipped, nothing is held.
func checkSettled(t *testing.T, a *Assembler) {
	t.Helper()
	st := a.Stats()
	if st.Pending() != 0 {
		t.Errorf("after Flush %d segments pending: %+v", st.Pending(), st)
	}
	if st.Buffered() != 0 {
		t.Errorf("after Flush %d bytes buffered: %+v", st.Buffered(), st)
	}
	if a.total != 0 || len(a.streams) != 0 || len(a.holes) != 0 || a.memory.head != nil || a.open.head != nil || a.closed.head != nil {
		t.Errorf("after Flush the Assembler still holds state: total %d, %d streams, %d waiting", a.total, len(a.streams), len(a.holes))
	}
	if len(a.freeRecs) != len(a.recs) {
		t.Errorf("after Flush %d of %d segment records are still in use", len(a.recs)-len(a.freeRecs), len(a.recs))
	}
}

// coveredAt returns the 1-based index of the first segment after which segs (byte ranges
// in send order) cover [0, end), or 0 if they never do.
func coveredAt(segs [][2]int, end int) int {
	have := make([]bool, end)
	missing := end
	for i, sg := range segs {
		for b := sg[0]; b < sg[1] && b < end; b++ {
			if b >= 0 && !have[b] {
				have[b] = true
				missing--
			}
		}
		if missing == 0 {
			return i + 1
		}
	}
	return 0
}
