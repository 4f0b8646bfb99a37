package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/ixaudit/ixaudit/analyze"
	"github.com/ixaudit/ixaudit/capture"
	"github.com/ixaudit/ixaudit/report"
)

// TestLiveUsageErrors checks that every wrong use of `ixaudit live` gives one line that
// says what is wrong, and exit code 2, without capturing anything.
func TestLiveUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no interface", []string{"live"}, "no interface given"},
		{"argument", []string{"live", "-i", "lo", "x.pcap"}, `unexpected argument "x.pcap"`},
		{"interface twice", []string{"live", "-i", "lo", "-i", "lo"}, `interface "lo" given twice`},
		{"jsonl to a file", []string{"live", "-i", "lo", "--format", "jsonl=x.jsonl"}, "jsonl writes to standard output only"},
		{"jsonl and table on stdout", []string{"live", "-i", "lo", "--format", "jsonl", "--format", "table"}, "give table=FILE"},
		{"short interval", []string{"live", "-i", "lo", "--interval", "10ms"}, "--interval 10ms"},
		{"negative duration", []string{"live", "-i", "lo", "--duration", "-1s"}, "--duration -1s"},
		{"long dedup window", []string{"live", "-i", "lo", "--dedup-window", "2s"}, "--dedup-window 2s"},
		{"bad rotate size", []string{"live", "-i", "lo", "--rotate-size", "lots"}, `--rotate-size: "lots"`},
		{"small rotate size", []string{"live", "-i", "lo", "--rotate-size", "10KB"}, "want at least 1MB"},
		{"no calls listed", []string{"live", "-i", "lo", "--list-calls", "0"}, "--list-calls 0: want at least 1"},
		{"bad ring size", []string{"live", "-i", "lo", "--ring-size", "-1"}, "--ring-size"},
		{"bad metrics address", []string{"live", "-i", "lo", "--metrics", "localhost"}, "--metrics"},
		{"negative count", []string{"live", "-i", "lo", "-c", "-3"}, "--count -3"},
		{"bad format", []string{"live", "-i", "lo", "--format", "pdf"}, `--format "pdf"`},
		{"missing interface", []string{"live", "-i", "nosuch0"}, "ixaudit live: nosuch0: no such interface"},
		{"small ring", []string{"live", "-i", "lo", "--ring-size", "64KB"}, "ixaudit live: lo: ring size"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, stderr, code := runCmd(t, nil, tt.args...)
			if code != exitUsage || out != "" {
				t.Errorf("exit %d, stdout %q; want exit 2 and nothing on stdout", code, out)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr %q does not say %q", stderr, tt.want)
			}
			if n := strings.Count(strings.TrimSpace(stderr), "\n"); n > 1 {
				t.Errorf("stderr has %d lines, want one (and the hint): %q", n+1, stderr)
			}
		})
	}
}

// TestLiveBadFilter checks that an expression tcpdump refuses is reported with tcpdump's
// reason, before any socket is opened.
func TestLiveBadFilter(t *testing.T) {
	if _, err := exec.LookPath("tcpdump"); err != nil {
		t.Skip("tcpdump is not installed")
	}
	_, stderr, code := runCmd(t, nil, "live", "-i", "lo", "--filter", "udp and")
	if code != exitUsage || !strings.HasPrefix(stderr, `ixaudit live: lo: bad capture filter "udp and": `) {
		t.Errorf("exit %d, stderr %q; want exit 2 and the filter's error", code, stderr)
	}
}

// TestParseByteSize checks the sizes of --rotate-size and --ring-size.
func TestParseByteSize(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true}, {"512", 512, true}, {"100MB", 100 << 20, true}, {"100 mb", 100 << 20, true},
		{"2G", 2 << 30, true}, {"64KiB", 64 << 10, true}, {"7B", 7, true},
		{"", 0, false}, {"MB", 0, false}, {"-5MB", 0, false}, {"1.5GB", 0, false}, {"99999999999GB", 0, false},
	} {
		got, err := parseByteSize(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseByteSize(%q) = %d, %v; want %d (ok %v)", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

// TestMetricsListenAddr checks that metrics stay on the loopback unless an address says
// otherwise.
func TestMetricsListenAddr(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"", ""}, {":9464", "127.0.0.1:9464"}, {"9464", "127.0.0.1:9464"},
		{"0.0.0.0:9464", "0.0.0.0:9464"}, {"[::]:9464", "[::]:9464"}, {"10.1.2.3:80", "10.1.2.3:80"},
		{"localhost:9464", "localhost:9464"},
		{":0", "127.0.0.1:0"}, {"localhost", "!"}, {":99999", "!"}, {"a:b:c", "!"}, {":http", "!"},
	} {
		got, err := metricsListenAddr(tt.in)
		if tt.want == "!" {
			if err == nil {
				t.Errorf("metricsListenAddr(%q) = %q, want an error", tt.in, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("metricsListenAddr(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

// testBatch builds a batch of packets of interface iface stamped at the given
// milliseconds, each holding its interface and time as data.
func testBatch(iface int, ms ...int) *liveBatch {
	b := &liveBatch{iface: iface, buf: make([]byte, 0, 4096)}
	for _, m := range ms {
		p := capture.Packet{Time: time.UnixMilli(int64(m)), LinkType: capture.LinkRaw, Data: []byte(fmt.Sprintf("%d@%d", iface, m))}
		p.Length = len(p.Data)
		b.add(&p)
	}
	return b
}

// drain returns what the merger releases now, as "iface@ms".
func drain(m *liveMerger) []string {
	var got []string
	for {
		p, iface, ok := m.next()
		if !ok {
			return got
		}
		if want := fmt.Sprintf("%d@%d", iface, p.Time.UnixMilli()); string(p.Data) != want {
			got = append(got, "bad data "+string(p.Data)+" for "+want)
		}
		got = append(got, string(p.Data))
	}
}

// TestLiveMerger checks that packets of several interfaces come out in time order, that
// the merger waits for an interface that may still hold earlier packets, and that a
// watermark or the end of an interface lets it go on.
func TestLiveMerger(t *testing.T) {
	m := newLiveMerger(3)
	m.add(liveItem{iface: 0, b: testBatch(0, 10, 20, 30), wm: time.UnixMilli(30)})
	m.add(liveItem{iface: 1, b: testBatch(1, 15, 25), wm: time.UnixMilli(25)})
	if got := drain(m); len(got) != 0 {
		t.Fatalf("released %v while interface 2 has said nothing", got)
	}
	m.add(liveItem{iface: 2, wm: time.UnixMilli(22)}) // quiet up to 22 ms
	if diff := cmp.Diff([]string{"0@10", "1@15", "0@20"}, drain(m)); diff != "" {
		t.Errorf("after a watermark at 22 ms (-want +got):\n%s", diff)
	}
	m.add(liveItem{iface: 2, b: testBatch(2, 24, 40), wm: time.UnixMilli(40)})
	// Interface 1 ends at 25: 30 and 40 must wait for news from interface 1.
	if diff := cmp.Diff([]string{"2@24", "1@25"}, drain(m)); diff != "" {
		t.Errorf("with packets on every interface (-want +got):\n%s", diff)
	}
	m.add(liveItem{iface: 1, done: true})
	if diff := cmp.Diff([]string{"0@30"}, drain(m)); diff != "" {
		t.Errorf("after interface 1 ended (-want +got):\n%s", diff)
	}
	m.add(liveItem{iface: 0, done: true})
	if diff := cmp.Diff([]string{"2@40"}, drain(m)); diff != "" {
		t.Errorf("after interface 0 ended (-want +got):\n%s", diff)
	}
	if done := m.takeDone(); len(done) != 3 {
		t.Errorf("%d batches given back, want all 3", len(done))
	}
	// One interface: packets come out as read, even when its clock goes back.
	one := newLiveMerger(1)
	one.add(liveItem{iface: 0, b: testBatch(0, 50, 40, 60)})
	if diff := cmp.Diff([]string{"0@50", "0@40", "0@60"}, drain(one)); diff != "" {
		t.Errorf("one interface (-want +got):\n%s", diff)
	}
	// discard gives every waiting batch back.
	m2 := newLiveMerger(2)
	m2.add(liveItem{iface: 0, b: testBatch(0, 1, 2)})
	if n := m2.discard(); n != 2 {
		t.Errorf("discard dropped %d packets, want 2", n)
	}
	if got := drain(m2); len(got) != 0 || len(m2.takeDone()) != 1 {
		t.Errorf("after discard: released %v", got)
	}
}

// ethUDP builds an Ethernet frame of an IPv4/UDP datagram with the given IP ID, behind
// the given 802.1Q tags.
func ethUDP(id uint16, tags ...uint16) []byte {
	f := []byte{0, 0, 0x5e, 0, 0x53, 1, 0, 0, 0x5e, 0, 0x53, 2}
	for _, v := range tags {
		f = append(f, 0x81, 0x00, byte(v>>8), byte(v))
	}
	f = append(f, 0x08, 0x00)
	ip := []byte{0x45, 0, 0, 36, byte(id >> 8), byte(id), 0, 0, 64, 17, 0, 0, 203, 0, 113, 10, 10, 78, 112, 64,
		0x13, 0xc4, 0x13, 0xc4, 0, 16, 0, 0, 'O', 'P', 'T', 'I', 'O', 'N', 'S', ' '}
	return append(f, ip...)
}

// TestLiveDedup checks which packets count as duplicates: the same datagram within the
// window, whatever its link layer and tags; not a different datagram, not the same one
// later.
func TestLiveDedup(t *testing.T) {
	t0 := time.Unix(1000, 0)
	raw := ethUDP(7)[14:]
	pkts := []struct {
		name  string
		data  []byte
		link  capture.LinkType
		at    time.Duration
		dup   bool
		check string
	}{
		{"first", ethUDP(7), capture.LinkEthernet, 0, false, ""},
		{"same frame 1ms later", ethUDP(7), capture.LinkEthernet, time.Millisecond, true, ""},
		{"same datagram behind a tag", ethUDP(7, 210), capture.LinkEthernet, 2 * time.Millisecond, true, ""},
		{"same datagram without link layer", raw, capture.LinkRaw, 3 * time.Millisecond, true, ""},
		{"other IP ID", ethUDP(8), capture.LinkEthernet, 3 * time.Millisecond, false, ""},
		{"same datagram 10ms after the last copy", ethUDP(7), capture.LinkEthernet, 13 * time.Millisecond, false, ""},
		{"a copy stamped earlier", ethUDP(7), capture.LinkEthernet, 12 * time.Millisecond, true, ""},
	}
	d := newLiveDedup(5 * time.Millisecond)
	for _, p := range pkts {
		got := d.seen(capture.Packet{Time: t0.Add(p.at), LinkType: p.link, Data: p.data})
		if got != p.dup {
			t.Errorf("%s: duplicate = %v, want %v", p.name, got, p.dup)
		}
	}
	off := newLiveDedup(0)
	for i := 0; i < 2; i++ {
		if off.seen(capture.Packet{Time: t0, LinkType: capture.LinkEthernet, Data: ethUDP(7)}) {
			t.Errorf("--dedup-window 0 dropped a duplicate")
		}
	}
	// Frames without an IP layer to compare are never duplicates.
	cut := capture.Packet{Time: t0, LinkType: capture.LinkEthernet, Data: ethUDP(7)[:13]}
	for i := 0; i < 2; i++ { // the second sight of the same frame is the one that could count
		if d.seen(cut) {
			t.Errorf("a frame cut inside its Ethernet header counted as a duplicate (sight %d)", i+1)
		}
	}
}

// TestLiveDedupAllocs checks that recognising duplicates allocates nothing.
func TestLiveDedupAllocs(t *testing.T) {
	d := newLiveDedup(5 * time.Millisecond)
	p := capture.Packet{Time: time.Unix(1000, 0), LinkType: capture.LinkEthernet, Data: ethUDP(7, 100)}
	n := 0
	if a := testing.AllocsPerRun(1000, func() {
		n++
		binary.BigEndian.PutUint16(p.Data[22:], uint16(n))
		d.seen(p)
	}); a != 0 {
		t.Errorf("%v allocations per packet, want 0", a)
	}
}

// BenchmarkLiveDedup measures the cost of the duplicate check per packet.
func BenchmarkLiveDedup(b *testing.B) {
	d := newLiveDedup(5 * time.Millisecond)
	frame := append(ethUDP(7), make([]byte, 172)...) // a G.711 RTP packet's size
	p := capture.Packet{Time: time.Unix(1000, 0), LinkType: capture.LinkEthernet, Data: frame}
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for i := 0; b.Loop(); i++ {
		binary.BigEndian.PutUint16(frame[18:], uint16(i))
		p.Time = p.Time.Add(20 * time.Microsecond)
		d.seen(p)
	}
}

// TestPcapngRotator writes packets of two interfaces through the rotating writer and
// reads the files back: rotation by size and by packet time, numbering that skips taken
// names, and every packet in its file with its interface.
func TestPcapngRotator(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "sbc.pcapng")
	// A file of a previous run: never overwritten.
	if err := os.WriteFile(filepath.Join(dir, "sbc.0001.pcapng"), []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	ifs := []pcapgo.NgInterface{
		{Name: "eth1", LinkType: layers.LinkTypeEthernet, SnapLength: 65535, TimestampResolution: 9},
		{Name: "tun0", LinkType: layers.LinkTypeRaw, SnapLength: 65535, TimestampResolution: 9},
	}
	w, err := newPcapngRotator(base, ifs, 1500, 10*time.Second, []*capture.LiveSource{nil, nil})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Unix(1700000000, 123456789)
	type rec struct {
		iface int
		at    time.Duration
		data  []byte
	}
	var recs []rec
	for i := 0; i < 40; i++ {
		at := time.Duration(i) * 100 * time.Millisecond
		if i >= 30 {
			at += 20 * time.Second // a jump in packet time starts a new file
		}
		f := ethUDP(uint16(i))
		if i%2 == 1 {
			recs = append(recs, rec{1, at, f[14:]})
		} else {
			recs = append(recs, rec{0, at, f})
		}
	}
	for _, r := range recs {
		p := capture.Packet{Time: t0.Add(r.at), Interface: r.iface, Data: r.data, Length: len(r.data)}
		if err := w.write(&p); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if old, _ := os.ReadFile(filepath.Join(dir, "sbc.0001.pcapng")); string(old) != "old" {
		t.Errorf("an existing file was overwritten")
	}
	if len(w.names) < 3 || filepath.Base(w.names[0]) != "sbc.0002.pcapng" {
		t.Fatalf("files %v: want at least three, from sbc.0002.pcapng (size, then time rotation)", w.names)
	}
	var got []rec
	for n, name := range w.names {
		src, err := capture.Open(name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		ng := src.(*capture.PcapngReader)
		for {
			p, err := src.ReadPacket()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if p.Number == 1 && (len(got) == 30) != (n == len(w.names)-1) {
				t.Errorf("%s starts with packet %d: the jump in time should start the last file", name, len(got))
			}
			got = append(got, rec{p.Interface, p.Time.Sub(t0), append([]byte(nil), p.Data...)})
		}
		names := []string{}
		for _, i := range ng.Interfaces() {
			names = append(names, fmt.Sprintf("%s/%v", i.Name, i.LinkType))
		}
		if diff := cmp.Diff([]string{"eth1/ethernet", "tun0/raw"}, names); diff != "" {
			t.Errorf("%s: interfaces (-want +got):\n%s", name, diff)
		}
		src.Close()
		if st, err := os.Stat(name); err != nil || st.Size() > 1500+200 {
			t.Errorf("%s: %v bytes, beyond the rotation size", name, st.Size())
		}
	}
	if diff := cmp.Diff(recs, got, cmp.AllowUnexported(rec{})); diff != "" {
		t.Errorf("packets read back (-want +got):\n%s", diff)
	}
}

// liveTestRun is a liveRun whose outputs go to buffers, for the parts that need no socket.
func liveTestRun(t *testing.T, jsonl bool, args ...string) (*liveRun, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr,
		isTerminal: func(io.Writer) bool { return false }, getenv: func(string) string { return "" }}
	var c commonFlags
	c.failOn = "error"
	c.formats = args
	if jsonl {
		c.formats = append(c.formats, "jsonl")
	}
	lc := &liveConfig{ifaces: []string{"test0"}, interval: time.Minute}
	if err := e.validateLive(lc, &c, false, "", "100MB", "32MB", ""); err != nil {
		t.Fatal(err)
	}
	lr := &liveRun{e: e, lc: lc, name: "test0", kinds: []capture.LinkType{capture.LinkEthernet}}
	lr.aud = analyze.New(analyze.Config{Rules: lc.rules, OnFinding: lr.onFinding})
	lr.sess = lr.aud.NewSession(lr.name)
	return lr, &stdout, &stderr
}

// feedCapture gives the packets of a test capture to the run's session, numbered as the
// live loop numbers them.
func feedCapture(t *testing.T, lr *liveRun, name string) {
	t.Helper()
	src, err := capture.Open(filepath.Join("..", "..", "testdata", "captures", name))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	for {
		p, err := src.ReadPacket()
		if err != nil {
			return
		}
		lr.packets++
		p.Number = lr.packets
		lr.sess.Packet(&p)
	}
}

// TestLiveJSONLines checks the --format jsonl stream: one finding object per line as the
// findings are found, then the report as one line that reads back as the JSON report,
// with the duplicates counted in it.
func TestLiveJSONLines(t *testing.T) {
	lr, stdout, stderr := liveTestRun(t, true)
	feedCapture(t, lr, "public-termination.pcap")
	lr.duplicates = 5
	if code := lr.emitReport(true); code != exitFindings {
		t.Errorf("exit code %d, want 1 (public-termination has errors)", code)
	}
	if stderr.Len() != 0 {
		t.Errorf("stderr %q, want nothing with --format jsonl", stderr)
	}
	lines := strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n")
	var findings []analyze.Finding
	var rep *analyze.Report
	for i, line := range lines {
		var ev struct {
			Event   string           `json:"event"`
			Finding *analyze.Finding `json:"finding"`
			Report  json.RawMessage  `json:"report"`
		}
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("line %d is not one JSON object: %v\n%s", i+1, err, line)
		}
		switch {
		case ev.Event == "finding" && ev.Finding != nil:
			findings = append(findings, *ev.Finding)
		case ev.Event == "report" && ev.Report != nil && i == len(lines)-1:
			r, err := report.ReadJSON(bytes.NewReader(ev.Report))
			if err != nil {
				t.Fatalf("the report line does not read back: %v", err)
			}
			rep = r
		default:
			t.Fatalf("line %d: unexpected event %q", i+1, ev.Event)
		}
	}
	if rep == nil || len(findings) == 0 {
		t.Fatalf("%d findings and report %v: want both", len(findings), rep != nil)
	}
	if len(findings) != len(rep.Findings) {
		t.Errorf("%d finding lines, %d findings in the report", len(findings), len(rep.Findings))
	}
	s := rep.Summary
	if s.PacketUse["duplicate"] != 5 || s.Packets != 430+5 {
		t.Errorf("summary packets %d, packet_use %v: want 435 packets of which 5 duplicates", s.Packets, s.PacketUse)
	}
	total := 0
	for _, n := range s.PacketUse {
		total += n
	}
	for k, n := range s.EvidenceGaps {
		if analyze.GapCountsPackets(k) {
			total += n
		}
	}
	if total != s.Packets {
		t.Errorf("packet_use and evidence_gaps add up to %d, want packets %d", total, s.Packets)
	}
}

// TestLiveFindingLines checks the text lines of findings on standard error, and that
// --redact applies to them.
func TestLiveFindingLines(t *testing.T) {
	lr, stdout, stderr := liveTestRun(t, false, "json")
	lr.lc.redact = true
	feedCapture(t, lr, "public-termination.pcap")
	if stdout.Len() != 0 {
		t.Errorf("stdout before any report: %q", stdout)
	}
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	want := []string{" ERROR signalling-public-path ", "54.172.60.1:5060", " udp packet ", " call "}
	found := false
	for _, l := range lines {
		if strings.Contains(l, "+1415") {
			t.Errorf("a telephone number in a redacted line: %s", l)
		}
		ok := true
		for _, w := range want {
			ok = ok && strings.Contains(l, w)
		}
		found = found || ok
	}
	if !found {
		t.Errorf("no line like %q among:\n%s", want, stderr)
	}
	// A report in between does not change the session's records.
	lr.emitReport(false)
	first := stdout.String()
	stdout.Reset()
	lr.emitReport(false)
	if stdout.String() != first {
		t.Errorf("two snapshots of the same state differ: redaction wrote into the session")
	}
}

// TestLiveReportFileAtomic checks that -o is replaced whole at each report.
func TestLiveReportFileAtomic(t *testing.T) {
	out := filepath.Join(t.TempDir(), "report.json")
	lr, stdout, _ := liveTestRun(t, false, "json="+out)
	feedCapture(t, lr, "compliant.pcap")
	for i := 0; i < 2; i++ {
		if code := lr.emitReport(i == 1); code != exitOK || lr.failed != nil {
			t.Fatalf("report %d: exit %d, %v", i, code, lr.failed)
		}
		if _, err := os.Stat(out + ".tmp"); !os.IsNotExist(err) {
			t.Errorf("the temporary file is left: %v", err)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := report.ReadJSON(bytes.NewReader(b))
		if err != nil || rep.Summary.Calls != 2 {
			t.Fatalf("report %d: %v, summary %+v", i, err, rep.Summary)
		}
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout %q, want nothing", stdout)
	}
}

// The tests below capture for real: each creates its own network namespace with a veth
// pair va/vb, replays rewritten test captures into it with tcpreplay and runs the built
// binary's `ixaudit live` there. No packet leaves the namespace (a veth pair has no other
// way out), and none is addressed to Twilio: the captures are rewritten into 10.0.0.0/8
// (tcprewrite --pnat) and the rule set is edited the same way. They need Linux, root,
// ip, tcpreplay, tcprewrite and editcap, and skip otherwise.

// liveLab is one test's namespace and binary.
type liveLab struct {
	ns    string
	bin   string
	dir   string
	rules string // the rule set with Twilio's addresses moved into 10.0.0.0/8
	pnat  string // tcprewrite's --pnat mapping doing the same
}

// newLiveLab checks the prerequisites, builds the binary and creates the namespace.
func newLiveLab(t testing.TB) *liveLab {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("live capture needs Linux")
	}
	if os.Geteuid() != 0 {
		t.Skip("live capture tests need root (a network namespace, CAP_NET_RAW)")
	}
	for _, tool := range []string{"ip", "tcpreplay", "tcprewrite", "editcap"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("live capture tests need %s", tool)
		}
	}
	l := &liveLab{dir: t.TempDir()}
	l.bin = filepath.Join(l.dir, "ixaudit")
	build := exec.Command("go", "build", "-o", l.bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	l.ns = fmt.Sprintf("ixaudit-test-%d-%d", os.Getpid(), time.Now().UnixNano()%1e6)
	l.sh(t, "ip", "netns", "add", l.ns)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", l.ns).Run() })
	for _, args := range [][]string{
		{"sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1"},
		{"sysctl", "-q", "-w", "net.ipv6.conf.default.disable_ipv6=1"},
		{"ip", "link", "add", "va", "type", "veth", "peer", "name", "vb"},
		{"ip", "link", "set", "va", "up"},
		{"ip", "link", "set", "vb", "up"},
		{"ip", "link", "set", "lo", "up"},
	} {
		l.sh(t, append([]string{"ip", "netns", "exec", l.ns}, args...)...)
	}
	l.editRules(t)
	return l
}

// sh runs a command and fails the test on error.
func (l *liveLab) sh(t testing.TB, args ...string) string {
	t.Helper()
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// inNS returns args run inside the namespace.
func (l *liveLab) inNS(args ...string) []string {
	return append([]string{"ip", "netns", "exec", l.ns}, args...)
}

// testAddr moves a routable IPv4 address A.B.C.D to 127.B.C.D when A has three digits
// and to 10.B.C.D when it has two, so that its text keeps its length and SIP and SDP
// bodies can be rewritten in place; private, loopback and documentation addresses stay.
// (The lab's addresses exist only inside its namespace.)
func testAddr(a netip.Addr) netip.Addr {
	if !a.Is4() || !isRoutable(a) {
		return a
	}
	b := a.As4()
	b[0] = testOctet(b[0])
	return netip.AddrFrom4(b)
}

// testOctet is the first octet testAddr gives an address whose first octet is o (0 when
// no octet of the same length is free: a one-digit public octet).
func testOctet(o byte) byte {
	switch {
	case o >= 100:
		return 127
	case o >= 10:
		return 10
	}
	return 0
}

// isRoutable reports whether a could reach a host on the internet.
func isRoutable(a netip.Addr) bool {
	for _, p := range []string{"192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32"} {
		if netip.MustParsePrefix(p).Contains(a) {
			return false
		}
	}
	return a.IsGlobalUnicast() && !a.IsPrivate()
}

// editRules writes the rule set with every routable IPv4 address and CIDR moved by
// testAddr, and the --pnat mapping that moves packets the same way.
func (l *liveLab) editRules(t testing.TB) {
	t.Helper()
	text := l.sh(t, l.bin, "rules")
	octets := map[byte]bool{}
	re := regexp.MustCompile(`\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b`)
	edited := re.ReplaceAllStringFunc(text, func(s string) string {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return s
		}
		if isRoutable(a) {
			octets[a.As4()[0]] = true
		}
		return testAddr(a).String()
	})
	if edited == text || len(octets) == 0 {
		t.Fatal("the rule set holds no address to move")
	}
	l.rules = filepath.Join(l.dir, "test.rules")
	if err := os.WriteFile(l.rules, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	// The edited file must still be a valid rule set (no two addresses became one).
	l.sh(t, l.bin, "rules", "--rules", l.rules)
	var pn []string
	for o := range octets {
		if testOctet(o) == 0 {
			t.Fatalf("the rule set has addresses in %d.0.0.0/8, which cannot move without changing their length", o)
		}
		pn = append(pn, fmt.Sprintf("%d.0.0.0/8:%d.0.0.0/8", o, testOctet(o)))
	}
	slices.Sort(pn)
	l.pnat = strings.Join(pn, ",")
}

// rewrite converts a capture to pcap (editcap), moves the addresses written in its
// payloads (SIP, SDP) by testAddr, then those of its IP headers with tcprewrite --pnat
// (which also fixes the checksums), and checks that no packet of the result is addressed
// to (or from) a routable address.
func (l *liveLab) rewrite(t testing.TB, capturePath string) (path string, packets int) {
	t.Helper()
	base := strings.TrimSuffix(filepath.Base(capturePath), filepath.Ext(capturePath))
	in := capturePath
	if strings.HasSuffix(capturePath, ".pcapng") {
		in = filepath.Join(l.dir, base+".pcap")
		l.sh(t, "editcap", "-F", "pcap", capturePath, in)
	}
	text := filepath.Join(l.dir, base+".text.pcap")
	rewriteText(t, in, text)
	path = filepath.Join(l.dir, base+".test.pcap")
	l.sh(t, "tcprewrite", "--pnat="+l.pnat, "--fixcsum", "-i", text, "-o", path)
	src, err := capture.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var dec capture.Decoder
	var f capture.Frame
	for {
		p, err := src.ReadPacket()
		if err != nil {
			break
		}
		packets++
		if dec.Decode(&p, &f) == capture.GapNone && (isRoutable(f.Src) || isRoutable(f.Dst)) {
			t.Fatalf("%s: packet %d still carries a routable address: %v > %v", path, p.Number, f.Src, f.Dst)
		}
	}
	return path, packets
}

// dottedQuad finds IPv4 addresses written as text.
var dottedQuad = regexp.MustCompile(`\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b`)

// rewriteText copies a pcap file, replacing each routable IPv4 address written as text in
// a SIP packet by testAddr's, which has the same length: lengths and Content-Length hold.
func rewriteText(t testing.TB, in, out string) {
	t.Helper()
	src, err := capture.Open(in)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	w := pcapgo.NewWriterNanos(f)
	if err := w.WriteFileHeader(262144, layers.LinkType(src.LinkTypes()[0])); err != nil {
		t.Fatal(err)
	}
	for {
		p, err := src.ReadPacket()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		data := p.Data
		if bytes.Contains(data, []byte("SIP/2.0")) {
			data = dottedQuad.ReplaceAllFunc(data, func(b []byte) []byte {
				a, err := netip.ParseAddr(string(b))
				if err != nil {
					return b
				}
				return []byte(testAddr(a).String())
			})
		}
		if len(data) != len(p.Data) {
			t.Fatalf("%s: packet %d changed length", in, p.Number)
		}
		ci := gopacket.CaptureInfo{Timestamp: p.Time, CaptureLength: len(data), Length: max(p.Length, len(data))}
		if err := w.WritePacket(ci, data); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// replay sends a capture into va with tcpreplay and returns how many packets it sent.
func (l *liveLab) replay(t testing.TB, path string, speed ...string) int {
	t.Helper()
	args := l.inNS(append(append([]string{"tcpreplay", "-i", "va"}, speed...), path)...)
	out := l.sh(t, args...)
	m := regexp.MustCompile(`Successful packets:\s+(\d+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("tcpreplay output without a count:\n%s", out)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// liveProc is a running `ixaudit live`.
type liveProc struct {
	cmd    *exec.Cmd
	stdout bytes.Buffer
	stderr *liveStderr
	done   chan struct{}
}

// liveStderr collects standard error and says when a line containing a string came.
type liveStderr struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	ready chan struct{}
	once  sync.Once
}

func (s *liveStderr) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf.Write(p)
	if strings.Contains(s.buf.String(), "ixaudit live: capturing on") {
		s.once.Do(func() { close(s.ready) })
	}
	return len(p), nil
}

func (s *liveStderr) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// start runs `ixaudit live ARGS` in the namespace and waits until it captures.
func (l *liveLab) start(t testing.TB, args ...string) *liveProc {
	t.Helper()
	p := &liveProc{stderr: &liveStderr{ready: make(chan struct{})}, done: make(chan struct{})}
	p.cmd = exec.Command("ip", l.inNS(append([]string{l.bin, "live"}, args...)...)[1:]...)
	p.cmd.Stdout = &p.stdout
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	select {
	case <-p.stderr.ready:
	case <-p.done:
		t.Fatalf("ixaudit live exited at once: %s", p.stderr)
	case <-time.After(30 * time.Second):
		t.Fatalf("ixaudit live did not start: %s", p.stderr)
	}
	return p
}

// wait waits for the process to end by itself and returns its exit code.
func (p *liveProc) wait(t testing.TB) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(60 * time.Second):
		t.Fatalf("ixaudit live did not stop: %s", p.stderr)
	}
	return p.cmd.ProcessState.ExitCode()
}

// interrupt sends SIGINT, as a user's Ctrl-C, and waits for the end.
func (p *liveProc) interrupt(t testing.TB) int {
	t.Helper()
	return p.signal(t, os.Interrupt)
}

// signal sends sig and waits for the end.
func (p *liveProc) signal(t testing.TB, sig os.Signal) int {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	return p.wait(t)
}

// kernelStats reads the final statistics line of an interface from standard error.
func (p *liveProc) kernelStats(t testing.TB, iface string) (read, dropped, accepted int) {
	t.Helper()
	re := regexp.MustCompile(`ixaudit live: ` + iface + `: (\d+) packets read, (\d+) dropped by the kernel \((\d+) accepted by the filter`)
	m := re.FindStringSubmatch(p.stderr.String())
	if m == nil {
		t.Fatalf("no statistics line for %s in:\n%s", iface, p.stderr)
	}
	read, _ = strconv.Atoi(m[1])
	dropped, _ = strconv.Atoi(m[2])
	accepted, _ = strconv.Atoi(m[3])
	return read, dropped, accepted
}

// readReport reads a JSON report file.
func readReport(t testing.TB, path string) *analyze.Report {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r, err := report.ReadJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return r
}

// auditFiles runs `ixaudit audit --rules R --format json FILES` and returns the report and
// the exit code.
func (l *liveLab) auditFiles(t testing.TB, files ...string) (*analyze.Report, int) {
	t.Helper()
	out := filepath.Join(l.dir, "offline.json")
	cmd := exec.Command(l.bin, append([]string{"audit", "-q", "--rules", l.rules, "--format", "json=" + out}, files...)...)
	b, err := cmd.CombinedOutput()
	code := cmd.ProcessState.ExitCode()
	if err != nil && code != exitFindings {
		t.Fatalf("ixaudit audit: %v\n%s", err, b)
	}
	return readReport(t, out), code
}

// comparable reduces a report to what live capture must reproduce exactly: counts, calls,
// streams and findings without times, jitter or input names (packet times are those of the
// replay, not of the file). Packet numbers stay: the live analysis numbers packets in the
// order of the capture, without duplicates.
func comparable(r *analyze.Report) any {
	type call struct {
		ID, Dir, Path, Edge, Gateway, From, To, URI, SBC, Transport string
		First, Status, SIP, Findings, Media                         int
		Rules                                                       []string
	}
	type stream struct {
		Src, Dst, SSRC, CallID, Codec string
		Packets, Lost, Dups, OOO      int
		PTs                           []int
		SRTP, Announced               bool
	}
	type finding struct {
		Rule, Sev, CallID, Src, Dst, Transport, Message, Evidence, Key string
		Packet                                                         int
	}
	s := r.Summary
	use := maps.Clone(s.PacketUse)
	delete(use, "duplicate")
	out := struct {
		Packets, SIP, Calls, Streams, Errors, Warnings, Infos int
		ByPath                                                map[analyze.Path]int
		ByEdge, Gaps, Use                                     map[string]int
		Failed                                                bool
		CallList                                              []call
		StreamList                                            []stream
		FindingList                                           []finding
	}{s.Packets - s.PacketUse["duplicate"], s.SIPMessages, s.Calls, s.RTPStreams, s.Errors, s.Warnings, s.Infos,
		s.CallsByPath, s.CallsByEdge, s.EvidenceGaps, use, s.Failed, nil, nil, nil}
	for _, c := range r.Calls {
		out.CallList = append(out.CallList, call{c.CallID, string(c.Direction), string(c.Path), c.Edge, c.Gateway, c.From, c.To,
			c.RequestURI, c.SBC, c.Transport, c.FirstPacket, c.FinalStatus, c.SIPMessages, c.Findings, c.MediaStreams, c.Rules})
	}
	for _, st := range r.Streams {
		out.StreamList = append(out.StreamList, stream{st.Src, st.Dst, st.SSRC, st.CallID, st.Codec, st.Packets, st.Lost,
			st.Duplicates, st.OutOfOrder, st.PayloadTypes, st.SRTP, st.Announced})
	}
	for _, f := range r.Findings {
		out.FindingList = append(out.FindingList, finding{f.Rule, string(f.Severity), f.CallID, f.Src, f.Dst, f.Transport,
			f.Message, f.Evidence, f.Key, f.Packet})
	}
	return out
}

// TestLiveInNamespace runs the tests that capture for real, with one binary and one
// namespace.
func TestLiveInNamespace(t *testing.T) {
	l := newLiveLab(t)
	t.Run("MatchesAudit", func(t *testing.T) { testLiveMatchesAudit(t, l) })
	t.Run("DropsHonest", func(t *testing.T) { testLiveDropsHonest(t, l) })
	t.Run("Permission", func(t *testing.T) { testLivePermission(t, l) })
	t.Run("ListCalls", func(t *testing.T) { testLiveListCalls(t, l) })
}

// testLiveListCalls replays a capture of 5 calls and 9 streams into ixaudit live with
// --list-calls 1: the report lists at most 2 calls (1 without findings) and 2 streams,
// counts the rest as not listed, and its counts are those of the full listing offline.
func testLiveListCalls(t *testing.T, l *liveLab) {
	path, n := l.rewrite(t, filepath.Join("..", "..", "testdata", "captures", "media.pcap"))
	offline, _ := l.auditFiles(t, path)
	out := filepath.Join(t.TempDir(), "live.json")
	p := l.start(t, "-i", "va", "--rules", l.rules, "--format", "json="+out, "--interval", "0", "--list-calls", "1")
	if sent := l.replay(t, path, "--pps", "2000"); sent != n {
		t.Fatalf("tcpreplay sent %d of %d packets", sent, n)
	}
	time.Sleep(200 * time.Millisecond)
	p.interrupt(t)
	live := readReport(t, out)
	s := live.Summary
	clean := 0
	for _, c := range live.Calls {
		if c.Findings == 0 {
			clean++
		}
	}
	if s.Calls != offline.Summary.Calls || s.RTPStreams != offline.Summary.RTPStreams || offline.Summary.Calls < 3 {
		t.Fatalf("live counts %d calls, %d streams; offline %d and %d (want the same, and at least 3 calls)",
			s.Calls, s.RTPStreams, offline.Summary.Calls, offline.Summary.RTPStreams)
	}
	if len(live.Calls) > 2 || clean > 1 || len(live.Calls)+s.CallsNotListed != s.Calls {
		t.Errorf("--list-calls 1: %d calls listed (%d without findings) + %d not listed, of %d", len(live.Calls), clean, s.CallsNotListed, s.Calls)
	}
	if len(live.Streams) != 2 || len(live.Streams)+s.StreamsNotListed != s.RTPStreams {
		t.Errorf("--list-calls 1: %d streams listed + %d not listed, of %d; want 2 listed", len(live.Streams), s.StreamsNotListed, s.RTPStreams)
	}
}

// testLiveMatchesAudit replays rewritten test captures into the namespace and wants the
// live report to equal the offline report of the same capture: the same counts, calls,
// paths, streams, and findings by rule, Call-ID and packet number. Each capture is
// captured on both ends of the veth pair, so every packet is seen twice and must be
// counted once. The packets kept with -w, audited offline, give the same report again.
// One capture is also captured on one interface and stopped by --count.
func testLiveMatchesAudit(t *testing.T, l *liveLab) {
	for _, name := range []string{"compliant.pcap", "public-termination.pcap", "media.pcap", "demo.pcapng"} {
		t.Run(name, func(t *testing.T) {
			orig := filepath.Join("..", "..", "testdata", "captures", name)
			path, n := l.rewrite(t, orig)
			offline, offCode := l.auditFiles(t, path)
			// The rewriting keeps the meaning: the same findings as the original capture
			// audited with the embedded rule set.
			want, _ := auditJSONWith(t, orig)
			if diff := cmp.Diff(findingSet(want), findingSet(offline)); diff != "" {
				t.Fatalf("the rewritten capture audits differently from the original (-original +rewritten):\n%s", diff)
			}
			if offline.Summary.Calls == 0 {
				t.Fatalf("the offline report has no call: nothing to compare")
			}
			dir := t.TempDir()
			out := filepath.Join(dir, "live.json")
			p := l.start(t, "-i", "va", "-i", "vb", "--rules", l.rules, "--format", "json="+out, "--interval", "0",
				"-w", filepath.Join(dir, "kept"))
			if sent := l.replay(t, path, "--pps", "2000"); sent != n {
				t.Fatalf("tcpreplay sent %d of %d packets", sent, n)
			}
			time.Sleep(200 * time.Millisecond) // the kernel's block timeout, and some
			if name == "compliant.pcap" {
				// SIGHUP writes a report now (--interval 0 writes none until the end).
				if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
					t.Fatal(err)
				}
				for i := 0; ; i++ {
					if _, err := os.Stat(out); err == nil {
						break
					}
					if i == 100 {
						t.Fatalf("no report 5 s after SIGHUP")
					}
					time.Sleep(50 * time.Millisecond)
				}
				if hup := readReport(t, out); hup.Summary.Packets != 2*n {
					t.Errorf("the report written on SIGHUP counts %d packets, want %d", hup.Summary.Packets, 2*n)
				}
			}
			code := p.interrupt(t)
			live := readReport(t, out)
			if code != offCode {
				t.Errorf("live exit code %d, offline %d", code, offCode)
			}
			if live.Summary.PacketUse["duplicate"] != n || live.Summary.Packets != 2*n {
				t.Errorf("live counted %d packets of which %d duplicates; want %d and %d (each packet on va and vb)",
					live.Summary.Packets, live.Summary.PacketUse["duplicate"], 2*n, n)
			}
			for _, iface := range []string{"va", "vb"} {
				if read, dropped, _ := p.kernelStats(t, iface); read != n || dropped != 0 {
					t.Errorf("%s: read %d, dropped %d; want %d, 0", iface, read, dropped, n)
				}
			}
			if diff := cmp.Diff(comparable(offline), comparable(live)); diff != "" {
				t.Errorf("live report differs from the offline one (-offline +live):\n%s", diff)
			}
			kept, err := filepath.Glob(filepath.Join(dir, "kept.*.pcapng"))
			if err != nil || len(kept) != 1 {
				t.Fatalf("-w wrote %v, %v: want one file", kept, err)
			}
			again, _ := l.auditFiles(t, kept...)
			if diff := cmp.Diff(comparable(live), comparable(again)); diff != "" {
				t.Errorf("the -w file audits differently (-live +offline of the kept file):\n%s", diff)
			}
			if name != "compliant.pcap" {
				return
			}
			// One interface, stopped by --count after the last packet.
			out1 := filepath.Join(dir, "count.json")
			p1 := l.start(t, "-i", "vb", "--rules", l.rules, "--format", "json="+out1, "-c", strconv.Itoa(n))
			l.replay(t, path, "--pps", "2000")
			if code := p1.wait(t); code != offCode {
				t.Errorf("--count: exit code %d, want %d", code, offCode)
			}
			if diff := cmp.Diff(comparable(offline), comparable(readReport(t, out1))); diff != "" {
				t.Errorf("--count on one interface: live report differs (-offline +live):\n%s", diff)
			}
		})
	}
}

// auditJSONWith audits a capture in-process with the embedded rule set.
func auditJSONWith(t testing.TB, path string) (*analyze.Report, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr,
		isTerminal: func(io.Writer) bool { return false }, getenv: func(string) string { return "" }}
	code := e.run(context.Background(), []string{"audit", "-q", "--format", "json", path})
	r, err := report.ReadJSON(&stdout)
	if err != nil {
		t.Fatalf("audit %s: %v: %s", path, err, stderr.String())
	}
	return r, code
}

// findingSet is the set of (rule, Call-ID) of a report's findings.
func findingSet(r *analyze.Report) []string {
	var s []string
	for _, f := range r.Findings {
		s = append(s, f.Rule+" "+f.CallID)
	}
	slices.Sort(s)
	return slices.Compact(s)
}

// benchCapture generates the synthetic capture of many calls, rewritten for the lab.
func (l *liveLab) benchCapture(t testing.TB, calls, seconds int) (string, int) {
	t.Helper()
	raw := filepath.Join(l.dir, fmt.Sprintf("bench-%d-%d.pcap", calls, seconds))
	gen := exec.Command("go", "run", "./testdata/gen", "-bench", "-calls", strconv.Itoa(calls), "-seconds", strconv.Itoa(seconds), "-out", raw)
	gen.Dir = filepath.Join("..", "..")
	if out, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("generating the capture: %v\n%s", err, out)
	}
	return l.rewrite(t, raw)
}

// testLiveDropsHonest replays a large capture at tcpreplay's top speed into a capture
// with a small ring, so that the kernel drops packets, and checks that the report says so
// exactly: every packet sent is either in the report's packet count or in its
// "kernel-drops" evidence gap, the gap equals the socket's drop count, the table's verdict
// line names the drops, and so does the metrics endpoint.
//
// The capture is 200 calls of 20 s (about 400,000 packets, 90 MB), a tenth of the
// 2-million-packet benchmark file, to fit in CI.
func testLiveDropsHonest(t *testing.T, l *liveLab) {
	path, n := l.benchCapture(t, 200, 20)
	dir := t.TempDir()
	jsonOut, tableOut := filepath.Join(dir, "top.json"), filepath.Join(dir, "top.txt")
	p := l.start(t, "-i", "va", "--rules", l.rules, "--ring-size", "512KB", "--interval", "0",
		"--format", "json="+jsonOut, "--format", "table="+tableOut, "--metrics", "127.0.0.1:0",
		"-w", filepath.Join(dir, "kept"))
	sent := l.replay(t, path, "--topspeed")
	if sent != n {
		t.Fatalf("tcpreplay sent %d of %d packets", sent, n)
	}
	time.Sleep(300 * time.Millisecond)
	metrics := l.scrape(t, p)
	code := p.signal(t, syscall.SIGTERM) // as systemd stops a service
	rep := readReport(t, jsonOut)
	read, dropped, accepted := p.kernelStats(t, "va")
	drops := rep.Summary.EvidenceGaps["kernel-drops"]
	t.Logf("sent %d, read %d, dropped by the kernel %d (exit %d)", sent, read, dropped, code)
	if accepted != sent || read+dropped != sent {
		t.Errorf("socket: %d accepted, %d read + %d dropped; want %d sent = read + dropped", accepted, read, dropped, sent)
	}
	if drops != dropped || rep.Summary.Packets != read || rep.Summary.Packets+drops != sent {
		t.Errorf("report: %d packets, kernel-drops %d; want %d read and %d dropped, %d in all",
			rep.Summary.Packets, drops, read, dropped, sent)
	}
	table, err := os.ReadFile(tableOut)
	if err != nil {
		t.Fatal(err)
	}
	verdict, _, _ := strings.Cut(string(table), "\n")
	if dropped > 0 && !strings.Contains(verdict, "the kernel dropped "+thousands(int64(dropped))+" packet") {
		t.Errorf("verdict line %q does not say the kernel dropped %d packets", verdict, dropped)
	}
	if dropped == 0 {
		t.Logf("no drop even with a 512 KiB ring: the drop path was not exercised by this run")
	}
	if metrics != "" && !strings.Contains(metrics, fmt.Sprintf(`ixaudit_kernel_drops_total{interface="va"} %d`, dropped)) {
		t.Errorf("metrics do not show %d kernel drops:\n%s", dropped, grepLines(metrics, "ixaudit_kernel"))
	}
	// The kept files carry the drops in their interface statistics: auditing them reports
	// the same gap.
	kept, err := filepath.Glob(filepath.Join(dir, "kept.*.pcapng"))
	if err != nil || len(kept) == 0 {
		t.Fatalf("-w wrote %v, %v", kept, err)
	}
	again, _ := l.auditFiles(t, kept...)
	if again.Summary.Packets != read || again.Summary.EvidenceGaps["kernel-drops"] != dropped {
		t.Errorf("the -w files audit to %d packets and %d kernel drops; want %d and %d",
			again.Summary.Packets, again.Summary.EvidenceGaps["kernel-drops"], read, dropped)
	}
}

// scrape fetches the live process's metrics from inside the namespace with curl, or
// returns "" when curl is missing.
func (l *liveLab) scrape(t testing.TB, p *liveProc) string {
	t.Helper()
	m := regexp.MustCompile(`metrics on (http://\S+/metrics)`).FindStringSubmatch(p.stderr.String())
	if m == nil {
		t.Fatalf("no metrics address in:\n%s", p.stderr)
	}
	if _, err := exec.LookPath("curl"); err != nil {
		t.Log("curl is missing: metrics not checked")
		return ""
	}
	return l.sh(t, l.inNS("curl", "-sf", m[1])...)
}

// grepLines returns the lines of s that contain sub.
func grepLines(s, sub string) string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		if strings.Contains(line, sub) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

// testLivePermission runs the binary as an unprivileged user: without CAP_NET_RAW it
// says so in one line and exits 2; with the capability set on the file (setcap), the same
// user captures.
func testLivePermission(t *testing.T, l *liveLab) {
	for _, tool := range []string{"setpriv", "setcap"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s", tool)
		}
	}
	// The binary must be reachable by the unprivileged user.
	for d := l.dir; d != filepath.Dir(d) && strings.HasPrefix(d, os.TempDir()) && d != os.TempDir(); d = filepath.Dir(d) {
		os.Chmod(d, 0o755)
	}
	nobody := []string{"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"}
	cmd := exec.Command("ip", l.inNS(append(nobody, l.bin, "live", "-i", "lo")...)[1:]...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Run()
	const want = "ixaudit live: lo: permission denied: needs CAP_NET_RAW (run as root or setcap cap_net_raw+ep ixaudit)\n"
	if code := cmd.ProcessState.ExitCode(); code != exitUsage || stderr.String() != want {
		t.Errorf("without CAP_NET_RAW: exit %d, stderr %q; want 2 and %q", code, stderr.String(), want)
	}
	capped := filepath.Join(l.dir, "ixaudit-cap")
	l.sh(t, "cp", l.bin, capped)
	l.sh(t, "setcap", "cap_net_raw+ep", capped)
	cmd = exec.Command("ip", l.inNS(append(nobody, capped, "live", "-i", "vb", "--duration", "1s", "--format", "json")...)[1:]...)
	stderr.Reset()
	cmd.Stderr = &stderr
	out, _ := cmd.Output()
	if code := cmd.ProcessState.ExitCode(); code != exitOK {
		t.Errorf("with setcap cap_net_raw+ep: exit %d: %s", code, stderr.String())
	}
	if _, err := report.ReadJSON(bytes.NewReader(out)); err != nil {
		t.Errorf("with setcap: no report: %v\n%s", err, out)
	}
}

// BenchmarkLiveRate measures the highest packet rate `ixaudit live` sustains without a
// kernel drop on this machine: a binary search over tcpreplay --pps, each step replaying
// 3 s worth (at least 100,000 packets) of the 200-call capture into one interface with
// the default 32 MiB ring. It reports the rate found (pps) and the highest rate tcpreplay
// reached (sender_pps): when they are close, the sender was the limit, not ixaudit. It
// needs root and the tools of the namespace tests, and is not run by `go test`:
//
//	go test ./cmd/ixaudit -run '^$' -bench LiveRate -benchtime 1x
func BenchmarkLiveRate(b *testing.B) {
	l := newLiveLab(b)
	path, n := l.benchCapture(b, 200, 20)
	lo, hi := 10_000, 1_000_000
	best, senderMax, cpuPerPkt := 0, 0.0, 0.0
	trial := func(pps int) (ok bool, actual float64) {
		limit := min(max(3*pps, 100_000), n)
		dir := b.TempDir()
		p := l.start(b, "-i", "va", "--rules", l.rules, "--interval", "0", "--format", "json="+filepath.Join(dir, "r.json"))
		start := time.Now()
		args := l.inNS("tcpreplay", "-i", "va", "--pps", strconv.Itoa(pps), "--limit", strconv.Itoa(limit), path)
		out := l.sh(b, args...)
		elapsed := time.Since(start)
		time.Sleep(200 * time.Millisecond)
		cpu := cpuSeconds(p.cmd.Process.Pid)
		p.interrupt(b)
		rep := readReport(b, filepath.Join(dir, "r.json"))
		if rep.Summary.Packets > 0 {
			cpuPerPkt = cpu / float64(rep.Summary.Packets) * 1e6
		}
		drops := rep.Summary.EvidenceGaps["kernel-drops"]
		if m := regexp.MustCompile(`([\d.]+) pps`).FindStringSubmatch(out); m != nil {
			actual, _ = strconv.ParseFloat(m[1], 64)
		} else {
			actual = float64(limit) / elapsed.Seconds()
		}
		b.Logf("--pps %d: tcpreplay reached %.0f pps, %d packets audited, %d dropped; ixaudit used %.2f s of CPU (%.2f µs a packet)",
			pps, actual, rep.Summary.Packets, drops, cpu, cpuPerPkt)
		return drops == 0 && rep.Summary.Packets == limit, actual
	}
	for range b.N {
		for hi-lo > lo/20 {
			mid := (lo + hi) / 2
			ok, actual := trial(mid)
			senderMax = max(senderMax, actual)
			if ok {
				lo, best = mid, max(best, int(actual))
			} else {
				hi = mid
			}
			if actual < 0.9*float64(mid) && ok {
				b.Logf("tcpreplay cannot send faster than %.0f pps here: the sender is the limit", actual)
				break
			}
		}
	}
	b.ReportMetric(float64(best), "pps")
	b.ReportMetric(senderMax, "sender_pps")
	b.ReportMetric(cpuPerPkt, "cpu_µs/pkt")
}

// cpuSeconds reads the user and system CPU time a process has used, from /proc.
func cpuSeconds(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name may hold spaces; the fields after it are fixed.
	_, rest, ok := strings.Cut(string(b), ") ")
	if !ok {
		return 0
	}
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.Atoi(f[11])
	st, _ := strconv.Atoi(f[12])
	return float64(ut+st) / 100 // USER_HZ is 100 on Linux
}

// BenchmarkLiveSoak replays a capture of 1,000 calls of 10 s (100 in progress at once,
// 100 s of traffic) in a loop at 10,000 packets/s, about real time, into `ixaudit live`
// with a report every 30 s and the metrics endpoint on, for IXAUDIT_SOAK (a duration;
// default 3m; an hour for the real soak), and logs the process's resident memory every
// 10 s. Each loop's dialogs have ended (BYE, then 32 s) before the next loop sends their
// Call-IDs again, so every loop brings 1,000 new calls, as a busy SBC does. It reports
// the first and the highest RSS after the first minute, and the kernel drops. Not run by
// `go test`:
//
//	IXAUDIT_SOAK=1h go test ./cmd/ixaudit -run '^$' -bench LiveSoak -benchtime 1x -timeout 2h
func BenchmarkLiveSoak(b *testing.B) {
	soak := 3 * time.Minute
	if s := os.Getenv("IXAUDIT_SOAK"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			b.Fatalf("IXAUDIT_SOAK=%q: %v", s, err)
		}
		soak = d
	}
	l := newLiveLab(b)
	path, _ := l.benchCapture(b, 1000, 10)
	for range b.N {
		dir := b.TempDir()
		out := filepath.Join(dir, "soak.json")
		p := l.start(b, "-i", "va", "--rules", l.rules, "--interval", "30s", "--format", "json="+out, "--metrics", "127.0.0.1:0")
		replay := exec.Command("ip", l.inNS("tcpreplay", "-q", "-i", "va", "--pps", "10000", "--loop", "0", "--duration", strconv.Itoa(int(soak.Seconds())), path)[1:]...)
		if err := replay.Start(); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		var samples []int
		var firstAfterMinute, peak int
		for time.Since(start) < soak {
			time.Sleep(10 * time.Second)
			rss, anon := rssKiB(p.cmd.Process.Pid)
			samples = append(samples, rss)
			if time.Since(start) >= time.Minute {
				if firstAfterMinute == 0 {
					firstAfterMinute = rss
				}
				peak = max(peak, rss)
			}
			b.Logf("%4.0fs RSS %6.1f MiB (anonymous %6.1f MiB; the rest is mostly the mapped ring)",
				time.Since(start).Seconds(), float64(rss)/1024, float64(anon)/1024)
		}
		replay.Wait()
		time.Sleep(200 * time.Millisecond)
		p.interrupt(b)
		rep := readReport(b, out)
		b.Logf("audited %d packets, %d calls, %d kernel drops; RSS samples (KiB): %v",
			rep.Summary.Packets, rep.Summary.Calls, rep.Summary.EvidenceGaps["kernel-drops"], samples)
		b.ReportMetric(float64(firstAfterMinute)/1024, "MiB_rss_at_1min")
		b.ReportMetric(float64(peak)/1024, "MiB_rss_peak")
		b.ReportMetric(float64(rep.Summary.EvidenceGaps["kernel-drops"]), "drops")
	}
}

// rssKiB reads a process's resident set size, and the anonymous part of it (the heap),
// from /proc.
func rssKiB(pid int) (rss, anon int) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		name, v, _ := strings.Cut(line, ":")
		n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
		switch name {
		case "VmRSS":
			rss = n
		case "RssAnon":
			anon = n
		}
	}
	return rss, anon
}
