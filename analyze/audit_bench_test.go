package analyze_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/ixaudit/ixaudit/analyze"
	"github.com/ixaudit/ixaudit/capture"
)

// benchCapture is a capture of compliant calls written once per test binary by the
// repository's generator (testdata/gen -bench), held in memory.
var benchCapture struct {
	once sync.Once
	data []byte
	err  error
}

// generatedCapture returns the in-memory benchmark capture: 200 calls of 5 s of G.711
// RTP each way, 100 in progress at once (about 102,000 packets, 24 MB).
func generatedCapture(b *testing.B) []byte {
	b.Helper()
	benchCapture.once.Do(func() {
		goTool, err := exec.LookPath("go")
		if err != nil {
			benchCapture.err = err
			return
		}
		dir, err := os.MkdirTemp("", "ixaudit-bench")
		if err != nil {
			benchCapture.err = err
			return
		}
		defer os.RemoveAll(dir)
		out := filepath.Join(dir, "bench.pcap")
		cmd := exec.Command(goTool, "run", "./testdata/gen", "-bench", "-calls", "200", "-seconds", "5", "-out", out)
		cmd.Dir = ".." // the module root
		if msg, err := cmd.CombinedOutput(); err != nil {
			benchCapture.err = &exec.ExitError{ProcessState: cmd.ProcessState, Stderr: msg}
			return
		}
		benchCapture.data, benchCapture.err = os.ReadFile(out)
	})
	if benchCapture.err != nil {
		b.Skipf("cannot generate the benchmark capture with testdata/gen: %v", benchCapture.err)
	}
	return benchCapture.data
}

// TestRTPPathDoesNotAllocate feeds a session the RTP packets of an answered call, after
// its SIP: judging an RTP packet of a known stream, from the packet to the stream's
// statistics, allocates nothing.
func TestRTPPathDoesNotAllocate(t *testing.T) {
	src, err := capture.Open(filepath.Join("..", "testdata", "captures", "compliant.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var pkts []capture.Packet
	for {
		p, err := src.ReadPacket()
		if err != nil {
			break
		}
		p.Data = bytes.Clone(p.Data)
		pkts = append(pkts, p)
	}
	// The last packet that is RTP: UDP, version 2, not to or from a SIP port.
	var dec capture.Decoder
	var f capture.Frame
	last := -1
	for i := range pkts {
		if dec.Decode(&pkts[i], &f) == capture.GapNone && f.Proto == capture.ProtoUDP && f.SrcPort != 5060 &&
			f.DstPort != 5060 && len(f.Payload) >= 12 && f.Payload[0]>>6 == 2 {
			last = i
		}
	}
	if last < 0 {
		t.Fatal("compliant.pcap holds no RTP packet")
	}
	s := analyze.New(analyze.Config{}).NewSession("compliant.pcap")
	for i := range pkts[:last] {
		s.Packet(&pkts[i])
	}
	rtp := pkts[last]
	var p capture.Packet // one Packet, as Audit uses: the session points at it while it judges it
	if n := testing.AllocsPerRun(1000, func() {
		p = rtp
		s.Packet(&p)
	}); n != 0 {
		t.Errorf("an RTP packet of a known stream costs %.1f allocations, want 0", n)
	}
	res := s.Close(nil, 0)
	if res.PacketUse["rtp"] < 1000 {
		t.Errorf("packet use %v: the repeated packet was not judged as RTP", res.PacketUse)
	}
}

// BenchmarkAudit is the whole pipeline (read, decode, SIP, SDP, RTP, rules, report
// summary) over a generated capture held in memory. It reports packets/s and allocations
// per packet; the capture holds only compliant calls, which the benchmark checks.
func BenchmarkAudit(b *testing.B) {
	benchmarkAudit(b, generatedCapture(b), 200)
}

// BenchmarkAuditFile audits the capture named by $IXAUDIT_BENCH_FILE (for profiling the
// full audit on the large capture that make bench writes), read from the file system.
func BenchmarkAuditFile(b *testing.B) {
	path := os.Getenv("IXAUDIT_BENCH_FILE")
	if path == "" {
		b.Skip("set IXAUDIT_BENCH_FILE to a capture (make bench writes one) to run this benchmark")
	}
	a := analyze.New(analyze.Config{})
	var packets int
	b.ReportAllocs()
	m0 := mallocs()
	for b.Loop() {
		src, err := capture.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		res, err := a.Audit(context.Background(), src)
		src.Close()
		if err != nil {
			b.Fatal(err)
		}
		packets = res.Inputs[0].Packets
	}
	reportPackets(b, packets, mallocs()-m0)
}

func benchmarkAudit(b *testing.B, data []byte, wantCalls int) {
	a := analyze.New(analyze.Config{})
	var packets int
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	m0 := mallocs()
	for b.Loop() {
		src, err := capture.NewReader("bench.pcap", bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		res, err := a.Audit(context.Background(), src)
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Findings) != 0 || res.CallsByPath[analyze.PathInterconnect] != wantCalls {
			b.Fatalf("audit of the generated capture: %d findings, %d interconnect calls; want 0 and %d",
				len(res.Findings), res.CallsByPath[analyze.PathInterconnect], wantCalls)
		}
		packets = res.Inputs[0].Packets
	}
	reportPackets(b, packets, mallocs()-m0)
}

// reportPackets adds packets/s and allocs/packet to the benchmark's output; mallocs is
// the count of heap allocations the benchmark loop made (from mallocsSince).
func reportPackets(b *testing.B, perOp int, mallocs uint64) {
	if perOp == 0 {
		return
	}
	n := float64(b.N) * float64(perOp)
	b.ReportMetric(n/b.Elapsed().Seconds(), "packets/s")
	b.ReportMetric(float64(mallocs)/n, "allocs/packet")
}

// mallocs returns the process's count of heap allocations so far.
func mallocs() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.Mallocs
}

// preparedSlice is an analyze.PreparedSource over packets decoded and prepared
// beforehand: what the analysis goroutine sees when another goroutine reads, decodes and
// prepares (cmd/ixaudit's readAhead).
type preparedSlice struct {
	pkts   []capture.Packet
	frames []capture.Frame
	gaps   []capture.Gap
	preps  []analyze.Prepared
	i      int
	p      capture.Packet
	f      capture.Frame
}

func (s *preparedSlice) ReadPacket() (capture.Packet, error) { panic("ReadPrepared is used") }
func (s *preparedSlice) Name() string                        { return "bench.pcap" }
func (s *preparedSlice) LinkTypes() []capture.LinkType {
	return []capture.LinkType{capture.LinkEthernet}
}
func (s *preparedSlice) Close() error { return nil }

func (s *preparedSlice) ReadPrepared() (*capture.Packet, *capture.Frame, capture.Gap, *analyze.Prepared, error) {
	if s.i == len(s.pkts) {
		return nil, nil, capture.GapNone, nil, io.EOF
	}
	// Copies, as the Frame is the consumer's to change (reassembly writes into it).
	s.p, s.f = s.pkts[s.i], s.frames[s.i]
	s.i++
	return &s.p, &s.f, s.gaps[s.i-1], &s.preps[s.i-1], nil
}

// BenchmarkAnalyzePrepared is BenchmarkAudit without reading, decoding and preparing: the
// analysis of frames prepared beforehand, the work left to the analysis goroutine when
// cmd/ixaudit reads, decodes and prepares in another (readAhead).
func BenchmarkAnalyzePrepared(b *testing.B) {
	src, err := capture.NewReader("bench.pcap", bytes.NewReader(generatedCapture(b)))
	if err != nil {
		b.Fatal(err)
	}
	ps := &preparedSlice{}
	var (
		dec capture.Decoder
		pre analyze.Preparer
	)
	for {
		p, err := src.ReadPacket()
		if err != nil {
			break
		}
		p.Data = bytes.Clone(p.Data)
		var (
			f  capture.Frame
			pr analyze.Prepared
		)
		g := dec.Decode(&p, &f)
		pre.Prepare(&p, &f, g, &pr, new(analyze.PreparedSIP))
		ps.pkts, ps.frames, ps.gaps, ps.preps = append(ps.pkts, p), append(ps.frames, f), append(ps.gaps, g), append(ps.preps, pr)
	}
	a := analyze.New(analyze.Config{})
	b.ReportAllocs()
	m0 := mallocs()
	for b.Loop() {
		ps.i = 0
		res, err := a.Audit(context.Background(), ps)
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Findings) != 0 || res.CallsByPath[analyze.PathInterconnect] != 200 || res.Inputs[0].Packets != len(ps.pkts) {
			b.Fatalf("audit of the prepared frames: %d findings, %d interconnect calls, %d packets", len(res.Findings),
				res.CallsByPath[analyze.PathInterconnect], res.Inputs[0].Packets)
		}
	}
	reportPackets(b, len(ps.pkts), mallocs()-m0)
}

// BenchmarkPrepareRTP is the reading goroutine's preparing of one G.711 RTP datagram of
// the generated capture (decoded already): the payload's kind, its RTP header, and the
// fields of a fast Prepared. The datagram is in cache; the benchmark measures the work.
func BenchmarkPrepareRTP(b *testing.B) {
	src, err := capture.NewReader("bench.pcap", bytes.NewReader(generatedCapture(b)))
	if err != nil {
		b.Fatal(err)
	}
	var (
		dec capture.Decoder
		pre analyze.Preparer
		f   capture.Frame
		pr  analyze.Prepared
		p   capture.Packet
		g   capture.Gap
	)
	for !pr.Fast() {
		if p, err = src.ReadPacket(); err != nil {
			b.Fatalf("no RTP packet in the generated capture: %v", err)
		}
		g = dec.Decode(&p, &f)
		pre.Prepare(&p, &f, g, &pr, nil)
	}
	b.ReportAllocs()
	for b.Loop() {
		pre.Prepare(&p, &f, g, &pr, nil)
	}
	if !pr.Fast() {
		b.Fatal("the packet is no longer prepared fast")
	}
}
