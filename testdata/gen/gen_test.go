package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

var (
	genOnce     sync.Once
	genDir      string
	genManifest *Manifest
	genErr      error
)

// generated runs the generator once per test binary into a temporary directory.
func generated(t *testing.T) (string, *Manifest) {
	t.Helper()
	genOnce.Do(func() {
		genDir, genErr = os.MkdirTemp("", "ixaudit-gen-")
		if genErr == nil {
			genManifest, genErr = generate(genDir)
		}
	})
	if genErr != nil {
		t.Fatalf("generate: %v", genErr)
	}
	return genDir, genManifest
}

func TestMain(m *testing.M) {
	code := m.Run()
	if genDir != "" {
		os.RemoveAll(genDir)
	}
	os.Exit(code)
}

// readDir returns every file of dir by name.
func readDir(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = b
	}
	return files
}

// diffDirs reports every file that is missing from one side or differs.
func diffDirs(t *testing.T, a, b map[string][]byte, what string) {
	t.Helper()
	for name, x := range a {
		y, ok := b[name]
		switch {
		case !ok:
			t.Errorf("%s: %s is missing", what, name)
		case !bytes.Equal(x, y):
			t.Errorf("%s: %s differs (%d vs %d bytes)", what, name, len(x), len(y))
		}
	}
	for name := range b {
		if _, ok := a[name]; !ok {
			t.Errorf("%s: %s is extra", what, name)
		}
	}
}

func TestDeterministic(t *testing.T) {
	dir1, _ := generated(t)
	dir2 := t.TempDir()
	if _, err := generate(dir2); err != nil {
		t.Fatal(err)
	}
	diffDirs(t, readDir(t, dir1), readDir(t, dir2), "second run")
}

// TestCommittedCapturesUpToDate fails when testdata/captures was not regenerated after a
// change of the generator (or of the Go version's compress/flate, for eth.pcap.gz).
func TestCommittedCapturesUpToDate(t *testing.T) {
	dir, _ := generated(t)
	committed := filepath.Join("..", "captures")
	if _, err := os.Stat(committed); err != nil {
		t.Fatalf("%v: run `go run ./testdata/gen -out testdata/captures` from the module root", err)
	}
	diffDirs(t, readDir(t, dir), readDir(t, committed), "testdata/captures (regenerate with `go run ./testdata/gen -out testdata/captures`)")
}

// readCapture counts the records of a capture file with gopacket's readers and returns
// the link types of its interfaces and the error that ended it (nil at a clean end).
func readCapture(path string) (records int, links []layers.LinkType, tail error, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, nil, nil, err
	}
	defer f.Close()
	if strings.HasSuffix(path, ".pcapng") {
		r, err := pcapgo.NewNgReader(f, pcapgo.NgReaderOptions{WantMixedLinkType: true})
		if err != nil {
			return 0, nil, nil, err
		}
		for {
			_, _, err := r.ReadPacketData()
			if err != nil {
				if err == io.EOF {
					err = nil
				}
				for i := 0; i < r.NInterfaces(); i++ {
					ifc, _ := r.Interface(i)
					links = append(links, ifc.LinkType)
				}
				return records, links, err, nil
			}
			records++
		}
	}
	r, err := pcapgo.NewReader(f)
	if err != nil {
		return 0, nil, nil, err
	}
	for {
		_, _, err := r.ReadPacketData()
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return records, []layers.LinkType{r.LinkType()}, err, nil
		}
		records++
	}
}

func TestManifestAgreesWithFiles(t *testing.T) {
	dir, m := generated(t)
	for _, e := range m.Captures {
		t.Run(e.File, func(t *testing.T) {
			n, links, tail, err := readCapture(filepath.Join(dir, e.File))
			if err != nil {
				t.Fatal(err)
			}
			if n != e.Packets {
				t.Errorf("records = %d, manifest packets = %d", n, e.Packets)
			}
			if e.Truncated != (tail != nil) {
				t.Errorf("truncated = %v, but reading ended with %v", e.Truncated, tail)
			}
			var names []string
			for _, l := range links {
				if n := linkTypeName(l); !slices.Contains(names, n) {
					names = append(names, n)
				}
			}
			if diff := cmp.Diff(e.LinkTypes, names); diff != "" {
				t.Errorf("link types (-manifest +file):\n%s", diff)
			}
		})
	}
}

func TestManifestIsConsistent(t *testing.T) {
	_, m := generated(t)
	seenRules := map[string]bool{}
	for _, e := range m.Captures {
		t.Run(e.File, func(t *testing.T) {
			if e.Calls != len(e.PerCall) {
				t.Errorf("calls = %d but %d per_call entries", e.Calls, len(e.PerCall))
			}
			ids := map[string]bool{}
			msgs := 0
			for _, c := range e.PerCall {
				if ids[c.CallID] {
					t.Errorf("call %s listed twice", c.CallID)
				}
				ids[c.CallID] = true
				msgs += c.SIPMessages
				if c.Path != "unknown" && (c.Edge == "" || c.Gateway == "") {
					t.Errorf("call %s: path %s without edge or gateway", c.CallID, c.Path)
				}
			}
			if msgs > e.SIPMessages {
				t.Errorf("calls hold %d SIP messages, more than the file's %d", msgs, e.SIPMessages)
			}
			exit := 0
			for i, f := range e.Findings {
				seenRules[f.Rule] = true
				if severity[f.Rule] != f.Severity {
					t.Errorf("finding %v: severity %q, rule has %q", f, f.Severity, severity[f.Rule])
				}
				if f.CallID != "" && !ids[f.CallID] {
					t.Errorf("finding %v names no call of the file", f)
				}
				if f.Severity == "error" {
					exit = 1
				}
				if i > 0 && !(e.Findings[i-1].Rule < f.Rule || e.Findings[i-1].Rule == f.Rule && e.Findings[i-1].CallID < f.CallID) {
					t.Errorf("findings not sorted and unique at %v", f)
				}
			}
			if exit != e.ExitCode {
				t.Errorf("exit_code = %d, findings say %d", e.ExitCode, exit)
			}
		})
	}
	// Every error and warning rule of the contract is exercised by some capture.
	for r, sev := range severity {
		if sev != "info" && !seenRules[r] {
			t.Errorf("no capture expects rule %s", r)
		}
	}
}

// TestCaptureSizes keeps the committed captures small.
func TestCaptureSizes(t *testing.T) {
	dir, _ := generated(t)
	total := 0
	for name, b := range readDir(t, dir) {
		total += len(b)
		if len(b) > 1<<20 {
			t.Errorf("%s is %d bytes, more than 1 MiB", name, len(b))
		}
	}
	if total > 5<<20 {
		t.Errorf("captures total %d bytes, more than 5 MiB", total)
	}
}

// tsharkCounts runs tshark over a capture and counts its records, the SIP messages it
// dissects and the RTP streams (source, destination, SSRC) it finds through SDP.
func tsharkCounts(t *testing.T, path string, decodeAs []string) (packets, sip, rtp int) {
	t.Helper()
	args := []string{"-n", "-o", "tcp.reassemble_out_of_order:TRUE"}
	for _, d := range decodeAs {
		args = append(args, "-d", d)
	}
	args = append(args, "-r", path, "-T", "fields", "-E", "occurrence=a",
		"-e", "frame.number", "-e", "sip.Method", "-e", "sip.Status-Code",
		"-e", "ip.src", "-e", "ip.dst", "-e", "ipv6.src", "-e", "ipv6.dst",
		"-e", "udp.srcport", "-e", "udp.dstport", "-e", "rtp.ssrc")
	cmd := exec.Command("tshark", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil && !strings.Contains(stderr.String(), "cut short in the middle of a packet") {
		t.Fatalf("tshark %s: %v\n%s", path, err, stderr.String())
	}
	last := func(s string) string { return s[strings.LastIndexByte(s, ',')+1:] }
	streams := map[string]bool{}
	for _, line := range strings.Split(string(out), "\n") {
		if line == "" {
			continue
		}
		packets++
		f := strings.Split(line, "\t")
		if len(f) != 10 {
			t.Fatalf("tshark printed %d fields, want 10: %q", len(f), line)
		}
		for _, v := range f[1:3] {
			if v != "" {
				sip += len(strings.Split(v, ","))
			}
		}
		if ssrc := f[9]; ssrc != "" {
			src, dst := last(f[3]), last(f[4])
			if f[5] != "" {
				src, dst = last(f[5]), last(f[6])
			}
			streams[src+":"+last(f[7])+">"+dst+":"+last(f[8])+"/"+ssrc] = true
		}
	}
	return packets, sip, len(streams)
}

func TestTshark(t *testing.T) {
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Skip("tshark is not installed: the captures are not cross-checked against Wireshark")
	}
	if testing.Short() {
		t.Skip("-short: tshark runs over every capture take tens of seconds")
	}
	dir, m := generated(t)
	for _, e := range m.Captures {
		t.Run(e.File, func(t *testing.T) {
			packets, sip, rtp := tsharkCounts(t, filepath.Join(dir, e.File), e.Tshark.DecodeAs)
			got := Tshark{DecodeAs: e.Tshark.DecodeAs, Packets: packets, SIPMessages: sip}
			if diff := cmp.Diff(e.Tshark, got); diff != "" {
				t.Errorf("tshark counts (-manifest +tshark):\n%s", diff)
			}
			if rtp != e.RTPStreams {
				t.Errorf("tshark finds %d RTP streams, manifest rtp_streams = %d", rtp, e.RTPStreams)
			}
		})
	}
}

func TestRunFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string // part of the error
	}{
		{[]string{"extra"}, "unexpected arguments"},
		{[]string{"-bench", "-calls", "0", "-out", os.DevNull}, "-calls 0"},
		{[]string{"-bench", "-seconds", "0", "-out", os.DevNull}, "-seconds 0"},
		{[]string{"-bench", "-concurrency", "-1", "-out", os.DevNull}, "-concurrency -1"},
		{[]string{"-nosuchflag"}, "not defined"},
		{[]string{"-h"}, "help requested"},
	}
	for _, tt := range tests {
		err := run(tt.args, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("run(%q) = %v, want an error containing %q", tt.args, err, tt.want)
		}
	}
}

// TestBench writes a small benchmark capture and checks its truth against what the file
// holds, decoded independently with gopacket.
func TestBench(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bench.pcap")
	cfg := benchConfig{calls: 30, seconds: 6, concurrency: 8}
	var out bytes.Buffer
	if err := run([]string{"-bench", "-calls", "30", "-seconds", "6", "-concurrency", "8", "-out", path}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	var tr benchTruth
	if err := json.Unmarshal(out.Bytes(), &tr); err != nil {
		t.Fatalf("stdout is not the truth: %v\n%s", err, out.String())
	}
	saved, err := os.ReadFile(path + ".truth.json")
	if err != nil {
		t.Fatal(err)
	}
	var tr2 benchTruth
	if err := json.Unmarshal(saved, &tr2); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(tr, tr2); diff != "" {
		t.Errorf("stdout and truth.json differ:\n%s", diff)
	}

	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var (
		packets, sip, rtcpPkts, badSum int
		last                           time.Time
		streams                        = map[string]bool{}
		callIDs                        = map[string]bool{}
	)
	for {
		data, ci, err := r.ReadPacketData()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		packets++
		if ci.Timestamp.Before(last) {
			t.Fatalf("packet %d goes back in time", packets)
		}
		last = ci.Timestamp
		p := gopacket.NewPacket(data, layers.LayerTypeEthernet, gopacket.Default)
		ip, _ := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
		udp, _ := p.Layer(layers.LayerTypeUDP).(*layers.UDP)
		if ip == nil || udp == nil {
			t.Fatalf("packet %d is not IPv4/UDP", packets)
		}
		// Re-serializing with computed checksums must give back the same bytes.
		if err := udp.SetNetworkLayerForChecksum(ip); err != nil {
			t.Fatal(err)
		}
		again := gopacket.NewSerializeBuffer()
		eth := p.Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
		if err := gopacket.SerializeLayers(again, gopacket.SerializeOptions{ComputeChecksums: true, FixLengths: true},
			eth, ip, udp, gopacket.Payload(udp.Payload)); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again.Bytes(), data) {
			badSum++
		}
		pl := udp.Payload
		switch {
		case udp.SrcPort == 5060 || udp.DstPort == 5060:
			sip++
			for _, line := range strings.Split(string(pl), "\r\n") {
				if id, ok := strings.CutPrefix(line, "Call-ID: "); ok && strings.HasPrefix(string(pl), "INVITE ") {
					callIDs[id] = true
				}
			}
		case len(pl) >= 8 && pl[1] >= 200 && pl[1] <= 204:
			rtcpPkts++
		case len(pl) >= 12 && pl[0]>>6 == 2:
			src := netip.AddrPortFrom(netip.AddrFrom4([4]byte(ip.SrcIP.To4())), uint16(udp.SrcPort))
			dst := netip.AddrPortFrom(netip.AddrFrom4([4]byte(ip.DstIP.To4())), uint16(udp.DstPort))
			streams[fmt.Sprintf("%s>%s/%x", src, dst, binary.BigEndian.Uint32(pl[8:12]))] = true
		}
	}
	if badSum != 0 {
		t.Errorf("%d packets have wrong lengths or checksums", badSum)
	}
	got := []int{packets, sip, len(callIDs), len(streams), rtcpPkts}
	want := []int{tr.Packets, tr.SIPMessages, tr.Calls, tr.RTPStreams, tr.RTCPPackets}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("[packets sip calls streams rtcp] (-truth +file):\n%s", diff)
	}
	if tr.Calls != cfg.calls || tr.RTPStreams != 2*cfg.calls || tr.SIPMessages != 7*cfg.calls {
		t.Errorf("truth %+v does not hold %d calls of 7 messages and 2 streams", tr, cfg.calls)
	}
	if wantPk := cfg.calls * (7 + 2*int(cfg.seconds*50) + 2*1); tr.Packets != wantPk {
		t.Errorf("packets = %d, want %d (7 SIP + RTP both ways + one RTCP per side per call)", tr.Packets, wantPk)
	}

	// The same configuration gives the same bytes.
	path2 := filepath.Join(dir, "bench2.pcap")
	if _, err := writeBench(path2, cfg); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(path)
	b, _ := os.ReadFile(path2)
	if !bytes.Equal(a, b) {
		t.Error("two bench runs with the same flags differ")
	}
}

// TestBenchDouble checks that -double writes twice the calls over twice the time.
func TestBenchDouble(t *testing.T) {
	dir := t.TempDir()
	var one, two benchTruth
	for _, c := range []struct {
		extra []string
		tr    *benchTruth
	}{{nil, &one}, {[]string{"-double"}, &two}} {
		var out bytes.Buffer
		args := append([]string{"-bench", "-calls", "12", "-seconds", "0.5", "-concurrency", "4", "-out", filepath.Join(dir, fmt.Sprint(len(c.extra)))}, c.extra...)
		if err := run(args, &out, io.Discard); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(out.Bytes(), c.tr); err != nil {
			t.Fatal(err)
		}
	}
	if two.Calls != 2*one.Calls || two.Packets != 2*one.Packets {
		t.Errorf("-double: %d calls %d packets, want twice %d calls %d packets", two.Calls, two.Packets, one.Calls, one.Packets)
	}
	span := func(tr benchTruth) time.Duration {
		s, err1 := time.Parse(time.RFC3339Nano, tr.Start)
		e, err2 := time.Parse(time.RFC3339Nano, tr.End)
		if err1 != nil || err2 != nil {
			t.Fatalf("bad times %q %q", tr.Start, tr.End)
		}
		return e.Sub(s)
	}
	// The last call lasts the same in both, so the span grows by the arrivals only.
	if s1, s2 := span(one), span(two); s2 < s1*3/2 {
		t.Errorf("-double spans %v, want much more than %v", s2, s1)
	}
}

func TestPatchRTPDoesNotAllocate(t *testing.T) {
	s := newScenario("alloc")
	tmpl := s.udpDatagram(netip.MustParseAddrPort("203.0.113.10:20000"), netip.MustParseAddrPort("168.86.130.1:14000"), tosRTP, make([]byte, 12+samplesPerPk))
	frameBytes, err := linkEthernet.wrap(s, frame{data: tmpl}, 0)
	if err != nil {
		t.Fatal(err)
	}
	src := &benchSource{tmpl: frameBytes, left: 1 << 30, rng: 1}
	payload := make([]byte, samplesPerPk)
	if n := testing.AllocsPerRun(1000, func() { src.patchRTP(payload); src.jitterNs() }); n != 0 {
		t.Errorf("patchRTP allocates %v times per packet", n)
	}
}

func BenchmarkPatchRTP(b *testing.B) {
	s := newScenario("alloc")
	tmpl := s.udpDatagram(netip.MustParseAddrPort("203.0.113.10:20000"), netip.MustParseAddrPort("168.86.130.1:14000"), tosRTP, make([]byte, 12+samplesPerPk))
	frameBytes, _ := linkEthernet.wrap(s, frame{data: tmpl}, 0)
	src := &benchSource{tmpl: frameBytes, left: 1 << 62, rng: 1}
	payload := make([]byte, samplesPerPk)
	b.ReportAllocs()
	b.SetBytes(int64(len(frameBytes)))
	for b.Loop() {
		src.patchRTP(payload)
	}
}

// TestPatchRTPChecksums checks the hand-patched checksums against gopacket's.
func TestPatchRTPChecksums(t *testing.T) {
	s := newScenario("checksum")
	tmpl := s.udpDatagram(netip.MustParseAddrPort("203.0.113.10:20000"), netip.MustParseAddrPort("168.86.130.1:14000"), tosRTP, make([]byte, 12+samplesPerPk))
	frameBytes, _ := linkEthernet.wrap(s, frame{data: tmpl}, 0)
	src := &benchSource{tmpl: frameBytes, left: 100, seq: 65534, ts: 1 << 31, ipID: 65535}
	payload := make([]byte, samplesPerPk)
	for i := range 3 {
		tone(payload, 440, i*samplesPerPk)
		got := slices.Clone(src.patchRTP(payload))
		p := gopacket.NewPacket(got, layers.LayerTypeEthernet, gopacket.Default)
		ip := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
		udp := p.Layer(layers.LayerTypeUDP).(*layers.UDP)
		if err := udp.SetNetworkLayerForChecksum(ip); err != nil {
			t.Fatal(err)
		}
		want := s.serialize(p.Layer(layers.LayerTypeEthernet).(*layers.Ethernet), ip, udp, gopacket.Payload(udp.Payload))
		if !bytes.Equal(got, want) {
			t.Errorf("packet %d: patched frame differs from gopacket's serialization", i)
		}
		if seq := binary.BigEndian.Uint16(got[offRTP+2:]); seq != uint16(65534+i) {
			t.Errorf("packet %d: seq %d", i, seq)
		}
		if marker := got[offRTP+1]&0x80 != 0; marker != (i == 0) {
			t.Errorf("packet %d: marker %v", i, marker)
		}
	}
}

func TestMulaw(t *testing.T) {
	// Reference values from Python's audioop.lin2ulaw, which follows Sun's g711.c.
	tests := []struct {
		in   int16
		want byte
	}{
		{0, 0xff}, {-1, 0x7e}, {5, 0xfe}, {100, 0xf2}, {-100, 0x72}, {1000, 0xce},
		{8000, 0xa0}, {-8000, 0x20}, {32767, 0x80}, {-32768, 0x00},
	}
	for _, tt := range tests {
		if got := mulaw(tt.in); got != tt.want {
			t.Errorf("mulaw(%d) = %#02x, want %#02x", tt.in, got, tt.want)
		}
	}
}

func TestBareURI(t *testing.T) {
	tests := []struct{ in, want string }{
		{"sip:+14155550100@mytrunk.pstn.ashburn-ix.twilio.com", "sip:+14155550100@mytrunk.pstn.ashburn-ix.twilio.com"},
		{"sip:+14155550100@203.0.113.10:5060;edge=ashburn-ix", "sip:+14155550100@203.0.113.10"},
		{"sip:+14155550100@[2001:db8:1::10]:5060;transport=tcp", "sip:+14155550100@[2001:db8:1::10]"},
		{"sip:mytrunk.pstn.twilio.com", "sip:mytrunk.pstn.twilio.com"},
	}
	for _, tt := range tests {
		if got := bareURI(tt.in); got != tt.want {
			t.Errorf("bareURI(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		addr string
		kind peerKind
		edge string
	}{
		{"208.78.112.64", peerInterconnect, "ashburn-ix"},
		{"185.187.132.70", peerInterconnect, "london-ix"},
		{"159.183.255.69", peerInterconnect, "sao-paulo-ix"},
		{"54.172.60.3", peerPublic, "ashburn"},
		{"54.172.60.4", peerOther, ""},
		{"54.171.127.193", peerPublic, "dublin"},
		{"168.86.130.1", peerOther, ""},
		{"203.0.113.10", peerOther, ""},
		{"::ffff:208.78.112.65", peerInterconnect, "ashburn-ix"},
	}
	for _, tt := range tests {
		k, e := classify(netip.MustParseAddr(tt.addr))
		if k != tt.kind || e != tt.edge {
			t.Errorf("classify(%s) = %v %q, want %v %q", tt.addr, k, e, tt.kind, tt.edge)
		}
	}
}

// TestFragments checks that the fragments of a datagram carry its payload exactly once
// (in offset order) with consistent headers, for IPv4 and IPv6.
func TestFragments(t *testing.T) {
	payload := bytes.Repeat([]byte("0123456789abcdef"), 200)
	for _, pair := range [][2]string{{"203.0.113.10:5060", "208.78.112.64:5060"}, {"[2001:db8:1::10]:5060", "[2001:db8:2::64]:5060"}} {
		s := newScenario("frag")
		src, dst := netip.MustParseAddrPort(pair[0]), netip.MustParseAddrPort(pair[1])
		whole := s.udpDatagram(src, dst, tosSIP, payload)
		frags := s.fragment(whole, 3)
		if len(frags) != 3 {
			t.Fatalf("%s: %d fragments, want 3", src, len(frags))
		}
		var joined []byte
		for i, f := range frags {
			var off int
			var more bool
			var data []byte
			p := gopacket.NewPacket(f, layers.LayerTypeIPv4, gopacket.Default)
			if src.Addr().Is6() {
				p = gopacket.NewPacket(f, layers.LayerTypeIPv6, gopacket.Default)
				fh, ok := p.Layer(layers.LayerTypeIPv6Fragment).(*layers.IPv6Fragment)
				if !ok {
					t.Fatalf("%s fragment %d: no Fragment header", src, i)
				}
				off, more, data = int(fh.FragmentOffset)*8, fh.MoreFragments, fh.Payload
			} else {
				ip := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
				off, more, data = int(ip.FragOffset)*8, ip.Flags&layers.IPv4MoreFragments != 0, ip.Payload
			}
			if off != len(joined) || more != (i < 2) {
				t.Errorf("%s fragment %d: offset %d more %v, want offset %d more %v", src, i, off, more, len(joined), i < 2)
			}
			joined = append(joined, data...)
		}
		hdr := 20
		if src.Addr().Is6() {
			hdr = 40
		}
		if !bytes.Equal(joined, whole[hdr:]) {
			t.Errorf("%s: fragments do not join into the datagram's payload", src)
		}
	}
}

// TestSIPRendering checks Content-Length, CRLF line ends and the style options on a real
// INVITE of the generator.
func TestSIPRendering(t *testing.T) {
	for _, st := range []style{{}, {compact: true}, {fold: true}, {compact: true, fold: true}} {
		s := newScenario("render")
		p := compliant("render")
		p.style = st
		d := s.dialogFor(&p)
		m := d.Invite().render()
		head, body, ok := bytes.Cut(m, []byte("\r\n\r\n"))
		if !ok {
			t.Fatalf("%+v: no empty line", st)
		}
		if bytes.Contains(bytes.ReplaceAll(head, []byte("\r\n"), nil), []byte("\n")) {
			t.Errorf("%+v: a bare LF in the header", st)
		}
		lenHdr := "Content-Length: "
		if st.compact {
			lenHdr = "l: "
		}
		if !bytes.Contains(head, []byte(fmt.Sprintf("\r\n%s%d", lenHdr, len(body)))) {
			t.Errorf("%+v: no %s%d for a %d-byte body", st, lenHdr, len(body), len(body))
		}
		if got := bytes.Contains(head, []byte("\r\n    ;branch=z9hG4bK")); got != st.fold {
			t.Errorf("%+v: Via folded before ;branch = %v", st, got)
		}
		if got := bytes.Contains(head, []byte("\r\nv: SIP/2.0/UDP")); got != st.compact {
			t.Errorf("%+v: compact Via = %v", st, got)
		}
	}
}
