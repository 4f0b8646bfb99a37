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

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/ixaudit/ixaudit/capture/corpus"
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

// decodeTCapturesDir returns the shared capture corpus, or skips the test when it is absent.
func decodeTCapturesDir(t *testing.T) string { return corpus.Dir(t) }

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

// decodeTPacket is a packet to compare, with where it came from.
type decodeTPacket struct {
	Packet
	name  string // input and frame number, for messages
	first bool   // the first packet of its input: reassembly starts afresh
}

// decodeTWritePcapng writes packets into one pcapng file, one interface per link type.
func decodeTWritePcapng(t *testing.T, packets []decodeTPacket) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "compare.pcapng")
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	iface := map[LinkType]int{}
	var w *pcapgo.NgWriter
	for _, p := range packets {
		id, ok := iface[p.LinkType]
		if !ok {
			intf := pcapgo.DefaultNgInterface
			intf.LinkType = layers.LinkType(p.LinkType)
			intf.Name = p.LinkType.String()
			if w == nil {
				w, err = pcapgo.NewNgWriterInterface(out, intf, pcapgo.DefaultNgWriterOptions)
			} else {
				id, err = w.AddInterface(intf)
			}
			if err != nil {
				t.Fatal(err)
			}
			iface[p.LinkType] = id
		}
		ci := gopacket.CaptureInfo{Timestamp: p.Time, CaptureLength: len(p.Data), Length: max(p.Length, len(p.Data)), InterfaceIndex: id}
		if err := w.WritePacket(ci, p.Data); err != nil {
			t.Fatal(err)
		}
	}
	if w != nil {
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// decodeTCompare compares ixaudit's view of each packet with tshark's, and returns the
// differences and the counts of frames skipped because tshark decodes a protocol on the
// way that ixaudit does not.
func decodeTCompare(t *testing.T, tshark string, packets []decodeTPacket) (diffs []string, skipped map[string]int) {
	t.Helper()
	frames := decodeTSharkFields(t, tshark, decodeTWritePcapng(t, packets))
	if len(frames) != len(packets) {
		t.Fatalf("tshark shows %d frames, %d were written", len(frames), len(packets))
	}
	skipped = map[string]int{}
	var d Decoder
	defrag := NewDefragmenter(DefragConfig{})
	var f Frame
	for i := range packets {
		if packets[i].first {
			defrag.Flush()
		}
		theirs := decodeTSharkReduce(frames[i])
		ours, gap, pending := decodeTOurs(&d, defrag, &packets[i].Packet, &f)
		if theirs.unknown != "" {
			skipped[theirs.unknown]++
			continue
		}
		where := fmt.Sprintf("%s (%s)", packets[i].name, strings.Join(frames[i].protocols, ":"))
		switch {
		case theirs.ip && !ours.ip && gap == GapMalformed && theirs.bad:
			// Both find the headers contradict themselves; tshark shows what it can.
		case theirs.ip && !ours.ip:
			diffs = append(diffs, fmt.Sprintf("%s: ixaudit gap %q, tshark sees %v -> %v", where, gap, theirs.src, theirs.dst))
		case !theirs.ip && ours.ip:
			diffs = append(diffs, fmt.Sprintf("%s: ixaudit decoded %v -> %v, tshark sees no IP", where, ours.src, ours.dst))
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
// whole datagram into a pcapng file, and compares with tshark.
func TestDecodeMatchesTshark(t *testing.T) {
	tshark := decodeTTshark(t)
	var packets []decodeTPacket
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
		p.Time = time.Unix(int64(len(packets)), 0)
		packets = append(packets, decodeTPacket{Packet: p, name: c.name})
	}
	diffs, skipped := decodeTCompare(t, tshark, packets)
	for _, diff := range diffs {
		t.Error(diff)
	}
	if len(skipped) > 0 {
		t.Errorf("tshark decodes protocols ixaudit skipped: %v", skipped)
	}
	if len(packets) < 50 {
		t.Errorf("compared only %d packets with tshark", len(packets))
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
	var packets []decodeTPacket
	for _, path := range files {
		rel, _ := filepath.Rel(dir, path)
		for i, p := range decodeTReadCapture(t, path) {
			packets = append(packets, decodeTPacket{Packet: p, name: fmt.Sprintf("%s frame %d", rel, i+1), first: i == 0})
		}
	}
	diffs, skipped := decodeTCompare(t, tshark, packets)
	for _, diff := range diffs {
		t.Error(diff)
	}
	if len(files) < 50 || len(packets) < 10000 {
		t.Errorf("read only %d packets of %d captures", len(packets), len(files))
	}
	t.Logf("compared %d frames of %d captures; not compared (tshark decodes a protocol ixaudit does not): %v", len(packets), len(files), skipped)
}

// TestDecodeCorpus decodes and reassembles shared captures with tunnels, tags,
// fragments and unusual link types, and checks the counts against those tshark reports in
// the captures' INDEX.tsv (its notes column). It needs no tshark.
func TestDecodeCorpus(t *testing.T) {
	dir := decodeTCapturesDir(t)
	tests := []struct {
		file      string
		datagrams int // decoded to a whole datagram (after reassembly)
		encap     map[Encap]int
		proto     map[uint8]int
		gaps      map[Gap]int
		completed int // datagrams reassembled
	}{
		{file: "heplify/erspan_sip_ipv4_udp.pcapng", datagrams: 140, encap: map[Encap]int{EncapGRE: 140}},
		{file: "nDPI/vxlan.pcap", datagrams: 127, encap: map[Encap]int{EncapVLAN: 127, EncapVXLAN: 127}},
		{file: "nDPI/gre_sip.pcapng", datagrams: 36, encap: map[Encap]int{EncapVLAN: 36, EncapGRE: 36}},
		{file: "nDPI/gre.pcapng", datagrams: 1, encap: map[Encap]int{EncapVLAN: 1, EncapGRE: 1}},
		{file: "nDPI/rtp.pcapng", datagrams: 112, encap: map[Encap]int{EncapVLAN: 30}},
		{file: "sngrep/ipip.pcap", datagrams: 4, encap: map[Encap]int{EncapIPinIP: 2}, proto: map[uint8]int{ProtoTCP: 4}},
		{file: "sngrep/ipv6frag.pcap", datagrams: 32, encap: map[Encap]int{EncapFragmented: 2}, completed: 2},
		{file: "heplify/ipv6_udp_fragmented.pcap", datagrams: 3, encap: map[Encap]int{EncapFragmented: 1}, completed: 1},
		{file: "PcapPlusPlus/sip_reqs.pcap", datagrams: 4}, // 2 over PPPoE
		{file: "heplify/ipip0.pcap", datagrams: 8},         // LINKTYPE_RAW
		{file: "zeek/sip-long-request-response-paths.pcap", datagrams: 2},
		{file: "suricata-verify/sip-body-large.pcap", datagrams: 16, proto: map[uint8]int{ProtoTCP: 16}}, // LINKTYPE_NULL
		{file: "heplify/sip_sctp.pcap", datagrams: 5, proto: map[uint8]int{ProtoSCTP: 5}},                // Linux cooked
		{file: "hep-wireshark/hep3_compressed.pcap.pcapng", datagrams: 21},
		{file: "heplify/sip_ipv4_tcp_retrans.pcap", datagrams: 194, gaps: map[Gap]int{GapNotIP: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			var d Decoder
			defrag := NewDefragmenter(DefragConfig{})
			encap, proto, gaps := map[Encap]int{}, map[uint8]int{}, map[Gap]int{}
			datagrams := 0
			for _, p := range decodeTReadCapture(t, filepath.Join(dir, tt.file)) {
				var f Frame
				if gap := d.Decode(&p, &f); gap != GapNone {
					gaps[gap]++
					continue
				}
				whole := true
				for whole && f.Fragment.Is {
					whole = defrag.Add(&f, p.Time)
				}
				if !whole {
					continue
				}
				datagrams++
				proto[f.Proto]++
				for bit := Encap(1); bit != 0; bit <<= 1 {
					if f.Encap&bit != 0 {
						encap[bit]++
					}
				}
			}
			defrag.Flush()
			if datagrams != tt.datagrams {
				t.Errorf("%d datagrams, want %d", datagrams, tt.datagrams)
			}
			if diff := cmp.Diff(tt.encap, encap, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("encapsulations mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.gaps, gaps, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("gaps mismatch (-want +got):\n%s", diff)
			}
			for p, n := range tt.proto {
				if proto[p] != n {
					t.Errorf("%d datagrams of protocol %d, want %d", proto[p], p, n)
				}
			}
			s := defrag.Stats()
			if s.Completed != tt.completed || s.FragmentsUsed != s.Fragments {
				t.Errorf("reassembly: %+v, want %d datagrams completed from all fragments", s, tt.completed)
			}
		})
	}
}
