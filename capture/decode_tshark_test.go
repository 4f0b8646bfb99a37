package capture

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// These tests compare the decoder and the defragmenter with tshark, frame by frame: the
// innermost IP addresses and the ports of the transport that follows them.

// decodeTTshark returns the path of tshark, or skips the test.
func decodeTTshark(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("comparison with tshark skipped in -short mode")
	}
	path, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark is not installed: comparison with tshark skipped")
	}
	return path
}

// decodeTCapturesDir returns ../shared/captures next to the module root, or skips the
// test when it is absent.
func decodeTCapturesDir(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("module root not found: shared captures skipped")
		}
		dir = parent
	}
	captures := filepath.Join(dir, "..", "shared", "captures")
	if _, err := os.Stat(filepath.Join(captures, "INDEX.tsv")); err != nil {
		t.Skipf("shared captures not found at %s: skipped", captures)
	}
	return captures
}

// decodeTSharkFrame is what tshark says of one frame.
type decodeTSharkFrame struct {
	protocols        []string
	ip4Src, ip4Dst   []string
	ip6Src, ip6Dst   []string
	udpSrc, udpDst   []string
	tcpSrc, tcpDst   []string
	sctpSrc, sctpDst []string
	expert           string // expert info messages
}

// decodeTSharkFields runs tshark over a capture.
func decodeTSharkFields(t *testing.T, tshark, path string) []decodeTSharkFrame {
	t.Helper()
	fields := []string{"frame.protocols", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst",
		"udp.srcport", "udp.dstport", "tcp.srcport", "tcp.dstport", "sctp.srcport", "sctp.dstport", "_ws.expert.message"}
	args := []string{"-n", "-r", path, "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=,", "-E", "separator=/t"}
	for _, f := range fields {
		args = append(args, "-e", f)
	}
	cmd := exec.Command(tshark, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tshark %s: %v\n%s", path, err, stderr.Bytes())
	}
	split := func(s string) []string {
		if s == "" {
			return nil
		}
		return strings.Split(s, ",")
	}
	var frames []decodeTSharkFrame
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		col := strings.Split(sc.Text(), "\t")
		for len(col) < len(fields) {
			col = append(col, "")
		}
		frames = append(frames, decodeTSharkFrame{
			protocols: strings.Split(col[0], ":"),
			ip4Src:    split(col[1]), ip4Dst: split(col[2]),
			ip6Src: split(col[3]), ip6Dst: split(col[4]),
			udpSrc: split(col[5]), udpDst: split(col[6]),
			tcpSrc: split(col[7]), tcpDst: split(col[8]),
			sctpSrc: split(col[9]), sctpDst: split(col[10]),
			expert: col[11],
		})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return frames
}

// decodeTSharkKnown are the protocols, as tshark names them, that ixaudit decodes on the
// way to the innermost IP header.
var decodeTSharkKnown = map[string]bool{
	"eth": true, "ethertype": true, "sll": true, "null": true, "raw": true, "loop": true,
	"vlan": true, "ieee8021ad": true, "mpls": true, "pwethcw": true, "pwethnocw": true, "pwethheuristic": true,
	"pppoes": true, "ppp": true, "gre": true, "erspan": true, "vxlan": true, "udp": true,
	"ip": true, "ipv6": true, "ipv6.hopopts": true, "ipv6.routing": true, "ipv6.dstopts": true,
	"ipv6.fraghdr": true, "ah": true,
}

// decodeTSharkView is tshark's view of a frame, reduced to what Frame holds.
type decodeTSharkView struct {
	ip       bool // tshark found an IP header
	src, dst netip.Addr
	ports    bool // a UDP, TCP or SCTP header follows the innermost IP header
	sport    uint16
	dport    uint16
	unknown  string // a protocol before the innermost IP header that ixaudit does not decode
	bad      bool   // tshark reports a bad IP or UDP header
}

// decodeTSharkBad are tshark's expert messages for the header contradictions that
// ixaudit reports as GapMalformed.
var decodeTSharkBad = []string{
	"Bogus IPv4 version", "Bogus IP header length", "IPv4 total length exceeds packet length",
	"IPv6 payload length exceeds framing length", "Bad length value", "Malformed Packet",
}

func decodeTSharkReduce(fr decodeTSharkFrame) decodeTSharkView {
	var v decodeTSharkView
	for _, m := range decodeTSharkBad {
		v.bad = v.bad || strings.Contains(fr.expert, m)
	}
	last := -1
	for i, p := range fr.protocols {
		if p == "ip" || p == "ipv6" {
			last = i
		}
	}
	if last < 0 {
		return v
	}
	for _, p := range fr.protocols[:last] {
		if !decodeTSharkKnown[p] {
			v.unknown = p
			return v
		}
	}
	v.ip = true
	lastOf := func(s []string) string {
		if len(s) == 0 {
			return ""
		}
		return s[len(s)-1]
	}
	src, dst := fr.ip4Src, fr.ip4Dst
	if fr.protocols[last] == "ipv6" {
		src, dst = fr.ip6Src, fr.ip6Dst
	}
	v.src, _ = netip.ParseAddr(lastOf(src))
	v.dst, _ = netip.ParseAddr(lastOf(dst))
	for _, p := range fr.protocols[last+1:] {
		var sp, dp []string
		switch p {
		case "ipv6.hopopts", "ipv6.routing", "ipv6.dstopts", "ipv6.fraghdr", "ah":
			continue
		case "udp":
			sp, dp = fr.udpSrc, fr.udpDst
		case "tcp":
			sp, dp = fr.tcpSrc, fr.tcpDst
		case "sctp":
			// ixaudit leaves SCTP ports in the payload.
		}
		if sp != nil {
			s, _ := strconv.Atoi(lastOf(sp))
			d, _ := strconv.Atoi(lastOf(dp))
			v.ports, v.sport, v.dport = true, uint16(s), uint16(d)
		}
		break
	}
	return v
}

// decodeTOurs is ixaudit's view of a frame after decoding and reassembly.
func decodeTOurs(d *Decoder, defrag *Defragmenter, p *Packet, f *Frame) (decodeTSharkView, Gap, bool) {
	gap := d.Decode(p, f)
	if gap != GapNone {
		return decodeTSharkView{}, gap, false
	}
	pending := false
	for f.Fragment.Is {
		if !defrag.Add(f, p.Time) {
			pending = true
			gap = defrag.Gap()
			break
		}
	}
	v := decodeTSharkView{ip: true, src: f.Src, dst: f.Dst}
	if !pending && (f.Proto == ProtoUDP || f.Proto == ProtoTCP) {
		v.ports, v.sport, v.dport = true, f.SrcPort, f.DstPort
	}
	return v, gap, pending
}

// decodeTCompare compares ixaudit's view of each packet with tshark's, and returns the
// differences and the counts of frames skipped because tshark decodes a protocol on the
// way that ixaudit does not.
func decodeTCompare(t *testing.T, tshark, path string, packets []Packet) (diffs []string, skipped map[string]int) {
	t.Helper()
	frames := decodeTSharkFields(t, tshark, path)
	if len(frames) != len(packets) {
		t.Fatalf("%s: tshark shows %d frames, pcapgo read %d", path, len(frames), len(packets))
	}
	skipped = map[string]int{}
	var d Decoder
	defrag := NewDefragmenter(DefragConfig{})
	var f Frame
	for i := range packets {
		theirs := decodeTSharkReduce(frames[i])
		ours, gap, pending := decodeTOurs(&d, defrag, &packets[i], &f)
		if theirs.unknown != "" {
			skipped[theirs.unknown]++
			continue
		}
		where := fmt.Sprintf("%s frame %d (%s)", filepath.Base(path), i+1, strings.Join(frames[i].protocols, ":"))
		switch {
		case !theirs.ip && ours.ip:
			diffs = append(diffs, fmt.Sprintf("%s: ixaudit decoded %v -> %v, tshark sees no IP", where, ours.src, ours.dst))
		case theirs.ip && !ours.ip && gap == GapMalformed && theirs.bad:
			// Both find the headers contradict themselves; tshark shows what it can.
		case theirs.ip && !ours.ip:
			diffs = append(diffs, fmt.Sprintf("%s: ixaudit gap %q, tshark sees %v -> %v", where, gap, theirs.src, theirs.dst))
		case theirs.ip && pending && theirs.ports:
			diffs = append(diffs, fmt.Sprintf("%s: ixaudit holds a fragment (gap %q), tshark sees ports %d -> %d", where, gap, theirs.sport, theirs.dport))
		case theirs.ip && (ours.src != theirs.src || ours.dst != theirs.dst || ours.ports != theirs.ports ||
			ours.sport != theirs.sport || ours.dport != theirs.dport):
			diffs = append(diffs, fmt.Sprintf("%s: ixaudit %v:%d -> %v:%d (ports %v), tshark %v:%d -> %v:%d (ports %v)", where,
				ours.src, ours.sport, ours.dst, ours.dport, ours.ports, theirs.src, theirs.sport, theirs.dst, theirs.dport, theirs.ports))
		}
	}
	return diffs, skipped
}

// decodeTReadCapture reads every packet of a pcap or pcapng file with pcapgo.
func decodeTReadCapture(t *testing.T, path string) []Packet {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var packets []Packet
	appendPacket := func(data []byte, ci gopacket.CaptureInfo, link layers.LinkType) {
		packets = append(packets, Packet{Number: len(packets) + 1, Time: ci.Timestamp, LinkType: LinkType(link),
			Interface: ci.InterfaceIndex, Length: ci.Length, Data: data})
	}
	if r, err := pcapgo.NewReader(bytes.NewReader(raw)); err == nil {
		for {
			data, ci, err := r.ReadPacketData()
			if errors.Is(err, io.EOF) {
				return packets
			}
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			appendPacket(data, ci, r.LinkType())
		}
	}
	r, err := pcapgo.NewNgReader(bytes.NewReader(raw), pcapgo.NgReaderOptions{WantMixedLinkType: true})
	if err != nil {
		t.Fatalf("%s: neither pcap nor pcapng: %v", path, err)
	}
	for {
		data, ci, err := r.ReadPacketData()
		if errors.Is(err, io.EOF) {
			return packets
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		iface, err := r.Interface(ci.InterfaceIndex)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		appendPacket(data, ci, iface.LinkType)
	}
}

// TestDecodeMatchesTshark writes every packet of the decoder's table that decodes to a
// whole datagram into one pcap per link type, and compares with tshark.
func TestDecodeMatchesTshark(t *testing.T) {
	tshark := decodeTTshark(t)
	byLink := map[LinkType][]Packet{}
	var d Decoder
	for _, c := range decodeTCases(t) {
		if c.tshark != "" {
			t.Logf("%s: not compared: %s", c.name, c.tshark)
			continue
		}
		p := c.packet()
		var f Frame
		if d.Decode(&p, &f) != GapNone || f.Fragment.Is || f.Cut {
			continue
		}
		p.Time = time.Unix(int64(len(byLink[c.link])), 0)
		byLink[c.link] = append(byLink[c.link], p)
	}
	compared := 0
	for link, packets := range byLink {
		path := filepath.Join(t.TempDir(), fmt.Sprintf("link%d.pcap", link))
		out, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		w := pcapgo.NewWriter(out)
		if err := w.WriteFileHeader(65535, layers.LinkType(link)); err != nil {
			t.Fatal(err)
		}
		for _, p := range packets {
			ci := gopacket.CaptureInfo{Timestamp: p.Time, CaptureLength: len(p.Data), Length: p.Length}
			if err := w.WritePacket(ci, p.Data); err != nil {
				t.Fatal(err)
			}
		}
		if err := out.Close(); err != nil {
			t.Fatal(err)
		}
		diffs, skipped := decodeTCompare(t, tshark, path, packets)
		for _, diff := range diffs {
			t.Errorf("link type %v: %s", link, diff)
		}
		if len(skipped) > 0 {
			t.Errorf("link type %v: tshark decodes protocols ixaudit skipped: %v", link, skipped)
		}
		compared += len(packets)
	}
	if compared < 50 {
		t.Errorf("compared only %d packets with tshark", compared)
	}
}

// TestDecodeCorpusMatchesTshark decodes and reassembles every packet of the shared
// captures and compares each frame with tshark. Frames where tshark reaches the innermost
// IP header through a protocol ixaudit does not decode (GTP, ICMP errors quoting a
// datagram, ...) are counted and logged, not compared.
func TestDecodeCorpusMatchesTshark(t *testing.T) {
	tshark := decodeTTshark(t)
	dir := decodeTCapturesDir(t)
	var files []string
	err := filepath.WalkDir(dir, func(path string, e os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !e.IsDir() && (strings.HasSuffix(path, ".pcap") || strings.HasSuffix(path, ".pcapng")) {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(files)
	total := map[string]int{}
	frames := 0
	for _, path := range files {
		packets := decodeTReadCapture(t, path)
		diffs, skipped := decodeTCompare(t, tshark, path, packets)
		for _, diff := range diffs {
			t.Error(diff)
		}
		for k, n := range skipped {
			total[k] += n
		}
		frames += len(packets)
	}
	t.Logf("compared %d frames of %d captures; not compared (tshark decodes a protocol ixaudit does not): %v", frames, len(files), total)
}
