package tcpstream_test

import (
	"bytes"
	"fmt"
	"net/netip"
	"time"

	"github.com/ixaudit/ixaudit/capture"
	"github.com/ixaudit/ixaudit/capture/tcpstream"
)

// lineFramer takes text lines as messages: a stand-in for a SIP framer.
func lineFramer(buf []byte, atEOF bool) int {
	if i := bytes.IndexByte(buf, '\n'); i >= 0 {
		return i + 1
	}
	return 0
}

type printer struct{}

func (printer) Message(flow tcpstream.Flow, data []byte, packet int, _ time.Time) {
	fmt.Printf("packet %d, %s: message %q\n", packet, flow, data)
}

func (printer) Gap(flow tcpstream.Flow, packet int, _ time.Time, bytes int, reason tcpstream.Reason) {
	fmt.Printf("packet %d, %s: %d bytes %s\n", packet, flow, bytes, reason)
}

func Example() {
	a := tcpstream.New(tcpstream.Config{}, lineFramer, printer{})
	src := netip.MustParseAddrPort("192.0.2.1:40000")
	dst := netip.MustParseAddrPort("168.86.128.1:5060")
	segment := func(packet int, seq uint32, flags uint8, payload string) {
		a.Segment(packet, time.Unix(int64(packet), 0), &capture.Frame{
			Src: src.Addr(), Dst: dst.Addr(), Proto: capture.ProtoTCP,
			SrcPort: src.Port(), DstPort: dst.Port(),
			Seq: seq, TCPFlags: flags, Payload: []byte(payload),
		})
	}
	segment(1, 100, capture.TCPSyn, "")
	segment(2, 107, capture.TCPAck, "world\nbye") // out of order
	segment(3, 101, capture.TCPAck, "hello ")     // fills the hole
	segment(4, 101, capture.TCPAck, "hello ")     // a retransmission
	a.Flush()                                     // "bye" never ends
	st := a.Stats()
	fmt.Printf("segments %d: used %d, retransmitted %d, gap %d, pending %d\n",
		st.Segments, st.Used, st.Retransmitted, st.Gap, st.Pending())
	// Output:
	// packet 3, 192.0.2.1:40000 -> 168.86.128.1:5060: message "hello world\n"
	// packet 2, 192.0.2.1:40000 -> 168.86.128.1:5060: 3 bytes truncated
	// segments 4: used 3, retransmitted 1, gap 0, pending 0
}
