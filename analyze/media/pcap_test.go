package media

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// synth is one synthetic RTP packet of a test stream.
type synth struct {
	src, dst netip.AddrPort
	ssrc     uint32
	seq      uint16
	ts       uint32
	pt       uint8
	marker   bool
	at       time.Duration // arrival, from the start of the capture
	payload  int           // payload bytes
}

// testEpoch is the capture start of every synthetic capture.
var testEpoch = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

// rtpBytes builds the RTP packet of p.
func (p synth) rtpBytes() []byte {
	b := make([]byte, 12+p.payload)
	b[0] = 0x80
	b[1] = p.pt & 0x7f
	if p.marker {
		b[1] |= 0x80
	}
	binary.BigEndian.PutUint16(b[2:], p.seq)
	binary.BigEndian.PutUint32(b[4:], p.ts)
	binary.BigEndian.PutUint32(b[8:], p.ssrc)
	for i := 12; i < len(b); i++ {
		b[i] = 0xd5 // A-law / µ-law silence-ish filler
	}
	return b
}

// writePcap writes pkts as Ethernet/IPv4/UDP frames to a classic pcap file.
func writePcap(t testing.TB, path string, pkts []synth) {
	t.Helper()
	var buf bytes.Buffer
	w := pcapgo.NewWriter(&buf)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	for _, p := range pkts {
		frame := udpFrame(t, p.src, p.dst, p.rtpBytes())
		ci := gopacket.CaptureInfo{Timestamp: testEpoch.Add(p.at), CaptureLength: len(frame), Length: len(frame)}
		if err := w.WritePacket(ci, frame); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// udpFrame serialises an Ethernet/IPv4/UDP frame carrying payload.
func udpFrame(t testing.TB, src, dst netip.AddrPort, payload []byte) []byte {
	t.Helper()
	eth := &layers.Ethernet{
		SrcMAC:       net.HardwareAddr{0x02, 0, 0, 0, 0, 1},
		DstMAC:       net.HardwareAddr{0x02, 0, 0, 0, 0, 2},
		EthernetType: layers.EthernetTypeIPv4,
	}
	ip := &layers.IPv4{
		Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP,
		SrcIP: src.Addr().AsSlice(), DstIP: dst.Addr().AsSlice(),
	}
	udp := &layers.UDP{SrcPort: layers.UDPPort(src.Port()), DstPort: layers.UDPPort(dst.Port())}
	if err := udp.SetNetworkLayerForChecksum(ip); err != nil {
		t.Fatal(err)
	}
	sb := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(sb, opts, eth, ip, udp, gopacket.Payload(payload)); err != nil {
		t.Fatal(err)
	}
	return sb.Bytes()
}

// tsharkRow is one line of `tshark -q -z rtp,streams` (Wireshark 4.0.x layout).
type tsharkRow struct {
	Src, Dst   netip.AddrPort
	SSRC       uint32
	Payload    string
	Pkts, Lost int
	MinDelta   float64
	MeanDelta  float64
	MaxDelta   float64
	MinJitter  float64
	MeanJitter float64
	MaxJitter  float64
	Problem    bool
}

var tsharkRowRE = regexp.MustCompile(`^\s*\S+\s+\S+\s+(\S+)\s+(\d+)\s+(\S+)\s+(\d+)\s+0x([0-9A-Fa-f]+)\s+(.*?)\s+(\d+)\s+(-?\d+)\s+\(\S+%\)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s*(X?)\s*$`)

// needTshark returns the path of tshark, or skips the test.
func needTshark(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not installed: the comparison with Wireshark's RTP analysis is skipped")
	}
	return p
}

// tsharkStreams runs tshark's RTP stream statistics on a capture, with extra options
// (e.g. "-o", "rtp.heuristic_rtp:TRUE"), and parses its table.
func tsharkStreams(t testing.TB, path string, opts ...string) []tsharkRow {
	t.Helper()
	bin := needTshark(t)
	args := append([]string{"-n", "-q", "-z", "rtp,streams", "-r", path}, opts...)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tshark %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	var rows []tsharkRow
	for _, line := range strings.Split(string(out), "\n") {
		m := tsharkRowRE.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		var r tsharkRow
		r.Src = netip.AddrPortFrom(netip.MustParseAddr(m[1]), uint16(atoi(t, m[2])))
		r.Dst = netip.AddrPortFrom(netip.MustParseAddr(m[3]), uint16(atoi(t, m[4])))
		ssrc, err := strconv.ParseUint(m[5], 16, 32)
		if err != nil {
			t.Fatal(err)
		}
		r.SSRC = uint32(ssrc)
		r.Payload = m[6]
		r.Pkts, r.Lost = atoi(t, m[7]), atoi(t, m[8])
		f := []*float64{&r.MinDelta, &r.MeanDelta, &r.MaxDelta, &r.MinJitter, &r.MeanJitter, &r.MaxJitter}
		for i, p := range f {
			v, err := strconv.ParseFloat(m[9+i], 64)
			if err != nil {
				t.Fatalf("tshark line %q: %v", line, err)
			}
			*p = v
		}
		r.Problem = m[15] == "X"
		rows = append(rows, r)
	}
	return rows
}

func atoi(t testing.TB, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// tempPcap returns a path for a capture in the test's temporary directory.
func tempPcap(t testing.TB, name string) string {
	return filepath.Join(t.TempDir(), name+".pcap")
}

func (r tsharkRow) String() string {
	return fmt.Sprintf("%v→%v ssrc=%#x pkts=%d lost=%d maxΔ=%.3f jit mean=%.3f max=%.3f",
		r.Src, r.Dst, r.SSRC, r.Pkts, r.Lost, r.MaxDelta, r.MeanJitter, r.MaxJitter)
}
