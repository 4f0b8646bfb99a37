package tcpstream

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/ixaudit/ixaudit/capture"
)

// These tests compare the Assembler with tshark, which is the product's reference for SIP
// message counts: for each frame, the number of SIP messages tshark shows in it (with TCP
// out-of-order reassembly on) must be the number of messages the Assembler attributes to it.
// Frames are decoded with gopacket here, independently of package capture's decoder.

// tsharkCounts runs tshark on path and returns the number of SIP messages per frame.
func tsharkCounts(t *testing.T, path string, extra ...string) map[int]int {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: not running tshark")
	}
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark is not installed: cannot compare with the reference")
	}
	args := append([]string{"-o", "tcp.reassemble_out_of_order:TRUE", "-o", "tcp.desegment_tcp_streams:TRUE"}, extra...)
	args = append(args, "-r", path, "-Y", "sip && tcp", "-T", "fields", "-e", "frame.number", "-e", "sip.Method", "-e", "sip.Status-Code")
	var stderr bytes.Buffer
	cmd := exec.Command(tshark, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tshark %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	counts := map[int]int{}
	for _, line := range strings.Split(string(out), "\n") {
		fields := strings.Split(line, "\t") // the last field may be empty: never trim a line
		if len(fields) != 3 {
			continue
		}
		frame, err := strconv.Atoi(fields[0])
		if err != nil {
			t.Fatalf("tshark line %q: %v", line, err)
		}
		for _, f := range fields[1:] {
			if f != "" {
				counts[frame] += len(strings.Split(f, ","))
			}
		}
		if counts[frame] == 0 {
			delete(counts, frame) // a "continuation" frame that holds no message
		}
	}
	return counts
}

// pcapFrame is a TCP segment read from a capture.
type pcapFrame struct {
	number int
	t      time.Time
	f      capture.Frame
}

// readTCP reads the TCP segments of a pcap or pcapng file with gopacket, taking the
// innermost IP header before the TCP header.
func readTCP(t *testing.T, path string) []pcapFrame {
	t.Helper()
	file, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	var magic [4]byte
	if _, err := io.ReadFull(file, magic[:]); err != nil {
		t.Fatal(err)
	}
	if _, err := file.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	var read func() ([]byte, gopacket.CaptureInfo, error)
	var link layers.LinkType
	if magic == [4]byte{0x0a, 0x0d, 0x0d, 0x0a} {
		r, err := pcapgo.NewNgReader(file, pcapgo.DefaultNgReaderOptions)
		if err != nil {
			t.Fatal(err)
		}
		read, link = r.ReadPacketData, r.LinkType()
	} else {
		r, err := pcapgo.NewReader(file)
		if err != nil {
			t.Fatal(err)
		}
		read, link = r.ReadPacketData, r.LinkType()
	}
	var frames []pcapFrame
	for number := 1; ; number++ {
		data, ci, err := read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: packet %d: %v", path, number, err)
		}
		p := gopacket.NewPacket(data, link, gopacket.Default)
		var src, dst net.IP
		var tcp *layers.TCP
		for _, l := range p.Layers() {
			switch l := l.(type) {
			case *layers.IPv4:
				src, dst = l.SrcIP, l.DstIP
			case *layers.IPv6:
				src, dst = l.SrcIP, l.DstIP
			case *layers.TCP:
				tcp = l
			}
			if tcp != nil {
				break
			}
		}
		if tcp == nil || src == nil {
			continue
		}
		s, _ := netip.AddrFromSlice(src)
		d, _ := netip.AddrFromSlice(dst)
		var flags uint8
		for _, fl := range []struct {
			set bool
			bit uint8
		}{{tcp.FIN, capture.TCPFin}, {tcp.SYN, capture.TCPSyn}, {tcp.RST, capture.TCPRst}, {tcp.PSH, capture.TCPPsh}, {tcp.ACK, capture.TCPAck}} {
			if fl.set {
				flags |= fl.bit
			}
		}
		frames = append(frames, pcapFrame{number, ci.Timestamp, capture.Frame{
			Src: s.Unmap(), Dst: d.Unmap(), Proto: capture.ProtoTCP,
			SrcPort: uint16(tcp.SrcPort), DstPort: uint16(tcp.DstPort),
			Seq: tcp.Seq, Ack: tcp.Ack, TCPFlags: flags, Payload: tcp.Payload,
			Cut: ci.CaptureLength < ci.Length,
		}})
	}
	return frames
}

// assemble runs the Assembler over the segments that use port and returns the number of
// messages per packet, and the Assembler.
func assemble(frames []pcapFrame, port uint16) (map[int]int, *Assembler) {
	rec := &recorder{}
	a := New(Config{}, sipFramer, rec)
	for i := range frames {
		if f := &frames[i].f; f.SrcPort == port || f.DstPort == port {
			a.Segment(frames[i].number, frames[i].t, f)
		}
	}
	a.Flush()
	counts := map[int]int{}
	for _, m := range rec.msgs {
		counts[m.Packet]++
	}
	return counts, a
}

func total(counts map[int]int) int {
	n := 0
	for _, c := range counts {
		n += c
	}
	return n
}

// tcpSegment is one packet of a synthetic capture.
type tcpSegment struct {
	from, to netip.AddrPort
	seq, ack uint32
	flags    uint8
	data     string
}

// writePcap writes segs as Ethernet/IPv4/TCP packets.
func writePcap(t *testing.T, path string, segs []tcpSegment) {
	t.Helper()
	file, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := pcapgo.NewWriter(file)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	for i, sg := range segs {
		eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
		ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, Id: uint16(i),
			SrcIP: sg.from.Addr().AsSlice(), DstIP: sg.to.Addr().AsSlice()}
		tcp := &layers.TCP{SrcPort: layers.TCPPort(sg.from.Port()), DstPort: layers.TCPPort(sg.to.Port()),
			Seq: sg.seq, Ack: sg.ack, Window: 65535,
			FIN: sg.flags&capture.TCPFin != 0, SYN: sg.flags&capture.TCPSyn != 0, RST: sg.flags&capture.TCPRst != 0,
			PSH: sg.flags&capture.TCPPsh != 0, ACK: sg.flags&capture.TCPAck != 0}
		if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
			t.Fatal(err)
		}
		buf := gopacket.NewSerializeBuffer()
		opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
		if err := gopacket.SerializeLayers(buf, opts, eth, ip, tcp, gopacket.Payload(sg.data)); err != nil {
			t.Fatal(err)
		}
		ci := gopacket.CaptureInfo{Timestamp: t0.Add(time.Duration(i) * 10 * time.Millisecond), CaptureLength: len(buf.Bytes()), Length: len(buf.Bytes())}
		if err := w.WritePacket(ci, buf.Bytes()); err != nil {
			t.Fatal(err)
		}
	}
	if err := file.Close(); err != nil {
		t.Fatal(err)
	}
}

// exchange builds a call over one TCP connection, seen with reordering, retransmissions
// (some with other segmentation), several messages per segment and messages over several
// segments, in both directions.
func exchange() []tcpSegment {
	c := netip.MustParseAddrPort("10.0.0.1:40000")
	s := netip.MustParseAddrPort("168.86.128.10:5060")
	invite := sipMessage("INVITE sip:+15551234567@example.pstn.twilio.com;transport=tcp SIP/2.0", "x1", 600)
	trying := sipMessage("SIP/2.0 100 Trying", "x1", 0)
	ringing := sipMessage("SIP/2.0 180 Ringing", "x1", 0)
	ok := sipMessage("SIP/2.0 200 OK", "x1", 500)
	ackMsg := sipMessage("ACK sip:+15551234567@168.86.128.10:5060;transport=tcp SIP/2.0", "x1", 0)
	bye := sipMessage("BYE sip:+15551234567@168.86.128.10:5060;transport=tcp SIP/2.0", "x1", 0)
	okBye := sipMessage("SIP/2.0 200 OK", "x1", 0)
	options := sipMessage("OPTIONS sip:ping@168.86.128.10:5060;transport=tcp SIP/2.0", "x2", 0)

	cs := invite + ackMsg + bye + "\r\n\r\n" + options // client to server
	sc := trying + ringing + ok + okBye                // server to client
	const ci, si = 1000, 90000                         // initial sequence numbers
	var segs []tcpSegment
	C := func(from, to int, flags uint8) {
		segs = append(segs, tcpSegment{c, s, ci + 1 + uint32(from), si + 1, flags | capture.TCPAck, cs[from:to]})
	}
	S := func(from, to int, flags uint8) {
		segs = append(segs, tcpSegment{s, c, si + 1 + uint32(from), ci + 1, flags | capture.TCPAck, sc[from:to]})
	}
	li, la, lb := len(invite), len(ackMsg), len(bye)
	lt, lr, lo := len(trying), len(ringing), len(ok)

	segs = append(segs, tcpSegment{c, s, ci, 0, capture.TCPSyn, ""})
	segs = append(segs, tcpSegment{s, c, si, ci + 1, capture.TCPSyn | capture.TCPAck, ""})
	C(0, 0, 0)                  // ACK
	C(400, 800, capture.TCPPsh) // INVITE, middle, before its start
	C(0, 400, capture.TCPPsh)   // INVITE, start
	C(800, li, capture.TCPPsh)  // INVITE, end: complete here
	C(800, li, capture.TCPPsh)  // retransmission
	S(0, lt+lr, capture.TCPPsh) // 100 and 180 in one segment
	S(lt+lr, lt+lr+300, capture.TCPPsh)
	S(lt+lr+600, lt+lr+lo+40, capture.TCPPsh) // end of the 200 and start of the next, early
	S(lt+lr+200, lt+lr+700, capture.TCPPsh)   // retransmission with other segmentation fills the hole: 200 complete
	C(li, li+la+100, capture.TCPPsh)          // ACK and the start of BYE
	C(li+la+100, li+la+lb+4, capture.TCPPsh)  // rest of BYE and a keep-alive
	C(li, li+la+lb, capture.TCPPsh)           // retransmission of ACK and BYE in one segment
	S(lt+lr+lo+40, len(sc), capture.TCPPsh)   // 200 to the BYE
	C(li+la+lb+4+30, len(cs), capture.TCPPsh) // OPTIONS, end first
	C(li+la+lb+4, li+la+lb+4+30, capture.TCPPsh)
	C(len(cs), len(cs), capture.TCPFin)
	S(len(sc), len(sc), capture.TCPFin)
	return segs
}

func TestAgainstTshark(t *testing.T) {
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Skip("tshark is not installed: cannot compare with the reference")
	}
	path := filepath.Join(t.TempDir(), "exchange.pcap")
	writePcap(t, path, exchange())
	want := tsharkCounts(t, path)
	got, a := assemble(readTCP(t, path), 5060)
	if total(want) != 8 {
		t.Fatalf("tshark sees %d messages (%v), the exchange holds 8: the capture is not what it should be", total(want), want)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("messages per frame (-tshark +assembler):\n%s", diff)
	}
	st := a.Stats()
	if st.Pending() != 0 || st.Gap != 0 || st.Evicted != 0 || st.Unframed != 0 || st.Retransmitted != 2 {
		t.Errorf("stats %+v: want only Used and 2 Retransmitted segments", st)
	}
}

// The public captures with SIP over TCP, beside the project. Each lists the port SIP uses
// and the tshark options that make tshark decode it.
func TestRealCaptures(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "captures")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("the capture corpus %s is absent (it lives beside the project, not in it): %v", dir, err)
	}
	tests := []struct {
		path   string
		port   uint16
		tshark []string
		want   int // SIP-over-TCP messages tshark counts, to catch a changed corpus
	}{
		{"heplify/sip_ipv4_tcp.pcap", 5060, nil, 7},
		{"heplify/sip_ipv4_tcp_fragmented.pcap", 6060, []string{"-d", "tcp.port==6060,sip"}, 406},
		{"heplify/sip_ipv4_tcp_retrans.pcap", 5060, nil, 4},
		{"suricata-verify/sip-body-large.pcap", 5060, nil, 2},
		{"suricata-verify/sip-tcp.pcap", 5060, nil, 2},
		{"suricata-verify/tests_sip-tcp-pattern-matching_sip.pcap", 5062, nil, 2},
		{"sngrep/ipip.pcap", 5090, nil, 4},
		{"arkime/gtp-iphone.pcap", 5060, nil, 13},
		{"nDPI/http_on_sip_port.pcap", 5060, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			path := filepath.Join(dir, tt.path)
			if _, err := os.Stat(path); err != nil {
				t.Skipf("%s is absent: %v", tt.path, err)
			}
			want := tsharkCounts(t, path, tt.tshark...)
			if total(want) != tt.want {
				t.Fatalf("tshark counts %d SIP messages over TCP, the corpus index says %d", total(want), tt.want)
			}
			got, a := assemble(readTCP(t, path), tt.port)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("messages per frame (-tshark +assembler):\n%s", diff)
			}
			st := a.Stats()
			if st.Pending() != 0 {
				t.Errorf("%d segments pending after Flush", st.Pending())
			}
			t.Logf("%d messages; segments %d: used %d, retransmitted %d, unframed %d, gap %d, evicted %d",
				st.Messages, st.Segments, st.Used, st.Retransmitted, st.Unframed, st.Gap, st.Evicted)
		})
	}
}
