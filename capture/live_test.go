package capture

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.org/x/net/bpf"

	"github.com/ixaudit/ixaudit/analyze/ruleset"
)

// twilioFilter is the default filter of the embedded rule set, as `ixaudit live` builds it.
func twilioFilter() DefaultFilter {
	rs := ruleset.Default()
	var d DefaultFilter
	for _, e := range rs.Edges() {
		for _, g := range e.Gateways {
			d.Signalling = append(d.Signalling, netip.PrefixFrom(g, g.BitLen()))
		}
		d.Signalling = append(d.Signalling, e.Signalling...)
	}
	d.Media = rs.MediaRanges()
	return d
}

// testFilters are the default filters the differential tests compare with tcpdump: the
// embedded rule set's, and one with IPv6 prefixes of every length class.
func testFilters() map[string]DefaultFilter {
	return map[string]DefaultFilter{
		"twilio": twilioFilter(),
		"ipv6": {
			SIPPorts: []uint16{5060, 5070},
			Signalling: []netip.Prefix{
				netip.MustParsePrefix("2001:db8:1::64/128"),
				netip.MustParsePrefix("2001:db8:5::/48"),
				netip.MustParsePrefix("198.51.100.7/32"),
				netip.MustParsePrefix("198.51.100.128/25"),
			},
			Media: []netip.Prefix{
				netip.MustParsePrefix("2001:db8:2::/36"),
				netip.MustParsePrefix("2001:db8:3:4:5::/80"),
				netip.MustParsePrefix("203.0.113.0/24"),
			},
		},
	}
}

// tcpdumpProgram compiles expr with tcpdump, or skips the test when tcpdump is missing.
func tcpdumpProgram(t testing.TB, expr string, lt LinkType, snap int) []bpf.RawInstruction {
	t.Helper()
	prog, err := FilterExpr(expr).Program(lt, snap)
	if errors.Is(err, ErrNoTcpdump) {
		t.Skip("tcpdump is not installed: the filter cannot be compared with tcpdump's")
	}
	if err != nil {
		t.Fatalf("tcpdump refuses the default filter's expression: %v\n%s", err, expr)
	}
	return prog
}

func fltVM(t testing.TB, raw []bpf.RawInstruction) *bpf.VM {
	t.Helper()
	ins, ok := bpf.Disassemble(raw)
	if !ok {
		t.Fatalf("program does not disassemble: %v", raw)
	}
	vm, err := bpf.NewVM(ins)
	if err != nil {
		t.Fatalf("program does not load in the VM: %v", err)
	}
	return vm
}

func fltRun(t testing.TB, vm *bpf.VM, pkt []byte) int {
	n, err := vm.Run(pkt)
	if err != nil {
		t.Fatalf("VM: %v", err)
	}
	return n
}

// fltCorpus holds the frames of the repository's test captures.
var fltCorpus = sync.OnceValues(func() ([][]byte, error) {
	files, err := filepath.Glob("../testdata/captures/*.pcap*")
	if err != nil {
		return nil, err
	}
	var frames [][]byte
	for _, f := range files {
		src, err := Open(f)
		if err != nil {
			continue // damaged on purpose, or not Ethernet
		}
		for {
			p, err := src.ReadPacket()
			if err != nil {
				break
			}
			if p.LinkType == LinkEthernet {
				frames = append(frames, append([]byte(nil), p.Data...))
			}
		}
		src.Close()
	}
	if len(frames) == 0 {
		return nil, io.ErrUnexpectedEOF
	}
	return frames, nil
})

// fltSynthFrames builds Ethernet frames around the corner cases of the default filter: each
// transport on and off the SIP ports, addresses inside and just outside each prefix,
// fragments, RTP-like and other first payload bytes, IPv4 options, and IPv6 fragment
// headers.
func fltSynthFrames(d DefaultFilter) [][]byte {
	var addrs4, addrs6 []netip.Addr
	addrs4 = append(addrs4, netip.MustParseAddr("192.0.2.1"))
	addrs6 = append(addrs6, netip.MustParseAddr("2001:db8:ffff::1"))
	for _, p := range append(append([]netip.Prefix(nil), d.Signalling...), d.Media...) {
		p = p.Masked()
		a := p.Addr()
		last := fltLastAddr(p)
		for _, x := range []netip.Addr{a, last, a.Prev(), last.Next()} {
			if !x.IsValid() {
				continue
			}
			if x.Is4() {
				addrs4 = append(addrs4, x)
			} else {
				addrs6 = append(addrs6, x)
			}
		}
	}
	ports := []uint16{53, 1024, 5059, 10000}
	ports = append(ports, d.sipPorts()...)
	var out [][]byte
	for _, proto := range []uint8{6, 17, 1, 132} {
		for _, port := range ports {
			for _, first := range []byte{0x80, 0x40, 0xbf, 0xc0, 0x00} {
				for _, frag := range []uint16{0, 0x2000, 0x0001, 0x4000, 0x1fff} {
					out = append(out, fltEth(0x0800, fltIPv4(proto, addrs4[0], addrs4[0], 5, frag, fltUDP(port, 40000, first))))
					out = append(out, fltEth(0x0800, fltIPv4(proto, addrs4[0], addrs4[0], 5, frag, fltUDP(40000, port, first))))
				}
				out = append(out, fltEth(0x0800, fltIPv4(proto, addrs4[0], addrs4[0], 7, 0, fltUDP(port, port, first))))
				out = append(out, fltEth(0x86dd, fltIPv6(proto, addrs6[0], addrs6[0], fltUDP(port, 40000, first))))
				out = append(out, fltEth(0x86dd, fltIPv6(proto, addrs6[0], addrs6[0], fltUDP(40000, port, first))))
				out = append(out, fltEth(0x86dd, fltIPv6(44, addrs6[0], addrs6[0], append([]byte{proto, 0, 0, 0, 0, 0, 0, 1}, fltUDP(port, port, first)...))))
			}
		}
	}
	for _, proto := range []uint8{6, 17, 1} {
		for _, a := range addrs4 {
			out = append(out, fltEth(0x0800, fltIPv4(proto, a, addrs4[0], 5, 0, fltUDP(40000, 40001, 0))))
			out = append(out, fltEth(0x0800, fltIPv4(proto, addrs4[0], a, 5, 0, fltUDP(40000, 40001, 0))))
		}
		for _, a := range addrs6 {
			out = append(out, fltEth(0x86dd, fltIPv6(proto, a, addrs6[0], fltUDP(40000, 40001, 0))))
			out = append(out, fltEth(0x86dd, fltIPv6(proto, addrs6[0], a, fltUDP(40000, 40001, 0))))
			out = append(out, fltEth(0x86dd, fltIPv6(44, addrs6[0], a, append([]byte{proto, 0, 0, 0, 0, 0, 0, 1}, fltUDP(40000, 40001, 0)...))))
		}
	}
	// ARP with a Twilio address (tcpdump's "host" alone would match it; "ip host" does not).
	arp := make([]byte, 28)
	copy(arp[14:18], addrs4[len(addrs4)-1].AsSlice())
	out = append(out, fltEth(0x0806, arp))
	// The same frames behind tags.
	n := len(out)
	for _, tpid := range []uint16{0x8100, 0x88a8, 0x9100, 0x8847} {
		for _, f := range out[:n] {
			out = append(out, fltTag(f, tpid))
		}
	}
	for _, f := range out[:n] {
		out = append(out, fltTag(fltTag(f, 0x8100), 0x88a8))
	}
	return out
}

func fltLastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

func fltEth(etherType uint16, payload []byte) []byte {
	f := make([]byte, 14, 14+len(payload))
	copy(f, []byte{0, 0, 0x5e, 0, 0x53, 1, 0, 0, 0x5e, 0, 0x53, 2})
	binary.BigEndian.PutUint16(f[12:], etherType)
	return append(f, payload...)
}

func fltTag(frame []byte, tpid uint16) []byte {
	out := append([]byte(nil), frame[:12]...)
	out = binary.BigEndian.AppendUint16(out, tpid)
	out = append(out, 0, 100)
	return append(out, frame[12:]...)
}

// fltUDP returns a UDP header and 20 bytes of payload starting with first (a TCP header
// for the filter's purposes: ports first).
func fltUDP(sport, dport uint16, first byte) []byte {
	b := make([]byte, 28)
	binary.BigEndian.PutUint16(b[0:], sport)
	binary.BigEndian.PutUint16(b[2:], dport)
	binary.BigEndian.PutUint16(b[4:], 28)
	b[8] = first
	return b
}

func fltIPv4(proto uint8, src, dst netip.Addr, ihl int, frag uint16, payload []byte) []byte {
	h := make([]byte, 4*ihl)
	h[0] = 0x40 | byte(ihl)
	binary.BigEndian.PutUint16(h[2:], uint16(len(h)+len(payload)))
	binary.BigEndian.PutUint16(h[6:], frag)
	h[8] = 64
	h[9] = proto
	copy(h[12:16], src.AsSlice())
	copy(h[16:20], dst.AsSlice())
	return append(h, payload...)
}

func fltIPv6(next uint8, src, dst netip.Addr, payload []byte) []byte {
	h := make([]byte, 40)
	h[0] = 0x60
	binary.BigEndian.PutUint16(h[4:], uint16(len(payload)))
	h[6] = next
	h[7] = 64
	copy(h[8:24], src.AsSlice())
	copy(h[24:40], dst.AsSlice())
	return append(h, payload...)
}

// TestDefaultFilterMatchesTcpdump runs the hand-built program and tcpdump's compilation of
// the same expression on every frame of the test captures, on frames built around each
// corner of the expression, and on those frames with their payload cut short (a load past
// the end ends a BPF program with "drop", so where a program looks first matters), and
// wants the same verdict and snap length.
//
// Frames cut inside their own IP or transport header are left out: the kernel runs the
// filter on whole frames, so only a malformed frame is that short, and on those even
// tcpdump's optimized and unoptimized (-O) programs disagree.
func TestDefaultFilterMatchesTcpdump(t *testing.T) {
	corpus, err := fltCorpus()
	if err != nil {
		t.Fatalf("reading the test captures: %v", err)
	}
	for name, d := range testFilters() {
		for _, lt := range []LinkType{LinkEthernet, LinkRaw} {
			t.Run(fmt.Sprintf("%s/%v", name, lt), func(t *testing.T) {
				const snap = 65535
				mine, err := d.Program(lt, snap)
				if err != nil {
					t.Fatalf("Program: %v", err)
				}
				theirs := tcpdumpProgram(t, d.Expr(lt), lt, snap)
				vmMine, vmTheirs := fltVM(t, mine), fltVM(t, theirs)
				synth := fltSynthFrames(d)
				frames := append(append([][]byte(nil), synth...), corpus...)
				kept, differ := 0, 0
				for i, f := range frames {
					if lt == LinkRaw {
						f = fltRawIP(f)
						if f == nil {
							continue
						}
					}
					// Every length down to the end of the headers for the built frames; for
					// the (longer) captured frames, the lengths where the last load of the
					// expression (udp[8], ip6[48]) falls off the end.
					end := fltHeaderEnd(f, lt)
					lengths := []int{len(f), end + 1, end}
					if i < len(synth) {
						lengths = lengths[:0]
						for n := len(f); n >= end; n-- {
							lengths = append(lengths, n)
						}
					}
					for _, n := range lengths {
						if n > len(f) {
							continue
						}
						got, want := fltRun(t, vmMine, f[:n]), fltRun(t, vmTheirs, f[:n])
						if n == len(f) && got != 0 {
							kept++
						}
						if got != want {
							differ++
							if differ <= 5 {
								t.Errorf("frame %d cut to %d of %d bytes: default filter returns %d, tcpdump's program %d\n% x",
									i, n, len(f), got, want, f[:n])
							}
						}
					}
				}
				if differ > 0 {
					t.Errorf("%d verdicts differ", differ)
				}
				if kept == 0 || kept == len(frames) {
					t.Errorf("the filter kept %d of %d frames: the corpus does not exercise it", kept, len(frames))
				}
				t.Logf("%d frames, %d kept, %d instructions (tcpdump: %d)", len(frames), kept, len(mine), len(theirs))
			})
		}
	}
}

// fltHeaderEnd returns the length below which frame f (of link type lt) is cut inside its
// IP header or the first 8 bytes of its transport header.
func fltHeaderEnd(f []byte, lt LinkType) int {
	l := 0
	if lt == LinkEthernet {
		l = 12
		for l+4 <= len(f) {
			switch binary.BigEndian.Uint16(f[l:]) {
			case 0x8100, 0x88a8, 0x9100:
				l += 4
				continue
			}
			break
		}
		if l+2 > len(f) {
			return len(f)
		}
		switch binary.BigEndian.Uint16(f[l:]) {
		case 0x0800, 0x86dd:
		default:
			return len(f)
		}
		l += 2
	}
	if l >= len(f) {
		return len(f)
	}
	end := len(f)
	switch f[l] >> 4 {
	case 4:
		end = l + int(f[l]&0xf)*4 + 8
	case 6:
		end = l + 40 + 8
		if l+6 < len(f) && f[l+6] == 44 {
			end += 8
		}
	}
	return min(end, len(f))
}

// fltRawIP returns the IP datagram of an untagged Ethernet frame, or nil.
func fltRawIP(f []byte) []byte {
	if len(f) < 15 {
		return nil
	}
	switch binary.BigEndian.Uint16(f[12:]) {
	case 0x0800, 0x86dd:
		return f[14:]
	}
	return nil
}

// FuzzDefaultFilter compares the hand-built program with tcpdump's on well-formed frames
// built from the fuzzer's fields: tags, IP version, protocol, fragment field, ports,
// addresses (picked among the prefixes' corners, or arbitrary) and payload.
func FuzzDefaultFilter(f *testing.F) {
	d := twilioFilter()
	mine, err := d.Program(LinkEthernet, 65535)
	if err != nil {
		f.Fatal(err)
	}
	theirs := tcpdumpProgram(f, d.Expr(LinkEthernet), LinkEthernet, 65535)
	vmMine, vmTheirs := fltVM(f, mine), fltVM(f, theirs)
	var corners []netip.Addr
	for _, p := range append(append([]netip.Prefix(nil), d.Signalling...), d.Media...) {
		corners = append(corners, p.Masked().Addr(), fltLastAddr(p), p.Masked().Addr().Prev(), fltLastAddr(p).Next())
	}
	f.Add(uint8(0), false, uint8(17), uint16(0), uint16(5060), uint16(40000), uint32(0), uint32(3), []byte("INVITE"))
	f.Add(uint8(1), false, uint8(17), uint16(0), uint16(30000), uint16(40000), uint32(1<<31), uint32(12), []byte{0x80, 0})
	f.Add(uint8(0), true, uint8(44), uint16(0), uint16(53), uint16(53), uint32(1<<31), uint32(1<<31), []byte{})
	f.Add(uint8(2), false, uint8(6), uint16(0x2000), uint16(5061), uint16(443), uint32(7), uint32(1<<31), []byte{0x16})
	f.Fuzz(func(t *testing.T, tags uint8, v6 bool, proto uint8, frag, sport, dport uint16, src, dst uint32, payload []byte) {
		addr := func(sel uint32) netip.Addr {
			if int(sel) < len(corners) {
				return corners[sel]
			}
			if v6 {
				return netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 12: byte(sel >> 24), byte(sel >> 16), byte(sel >> 8), byte(sel)})
			}
			return netip.AddrFrom4([4]byte{byte(sel >> 24), byte(sel >> 16), byte(sel >> 8), byte(sel)})
		}
		s, dd := addr(src), addr(dst)
		transport := append(fltUDP(sport, dport, 0)[:8], payload...)
		var frame []byte
		switch {
		case s.Is4() && dd.Is4() && !v6:
			frame = fltEth(0x0800, fltIPv4(proto, s, dd, 5, frag, transport))
		case s.Is6() && dd.Is6() && v6:
			if proto == 44 {
				transport = append([]byte{byte(frag), 0, 0, 0, 0, 0, 0, 1}, transport...)
			}
			frame = fltEth(0x86dd, fltIPv6(proto, s, dd, transport))
		default:
			return
		}
		for i := 0; i < int(tags%4); i++ {
			frame = fltTag(frame, []uint16{0x8100, 0x88a8, 0x9100}[i%3])
		}
		if got, want := fltRun(t, vmMine, frame), fltRun(t, vmTheirs, frame); got != want {
			t.Errorf("default filter returns %d, tcpdump's program %d for\n% x", got, want, frame)
		}
	})
}

// TestFilterExprErrors checks the messages of expressions tcpdump refuses.
func TestFilterExprErrors(t *testing.T) {
	if _, err := exec.LookPath("tcpdump"); err != nil {
		t.Skip("tcpdump is not installed")
	}
	for _, expr := range []string{"udp and", "port 99999", "bogus"} {
		_, err := FilterExpr(expr).Program(LinkEthernet, 65535)
		if !errors.Is(err, ErrFilter) {
			t.Errorf("%q: got %v, want an error wrapping ErrFilter", expr, err)
			continue
		}
		if strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), expr) {
			t.Errorf("%q: error %q should be one line naming the expression", expr, err)
		}
	}
	t.Run("no tcpdump", func(t *testing.T) {
		t.Setenv("PATH", t.TempDir())
		if _, err := FilterExpr("udp").Program(LinkEthernet, 65535); !errors.Is(err, ErrNoTcpdump) {
			t.Errorf("without tcpdump in PATH: got %v, want ErrNoTcpdump", err)
		}
	})
	prog, err := FilterExpr("").Program(LinkEthernet, 1500)
	if err != nil || len(prog) != 1 || prog[0] != (bpf.RawInstruction{Op: opRetK, K: 1500}) {
		t.Errorf("empty expression: got %v, %v; want one ret #1500", prog, err)
	}
}

// TestParseBPF checks the reader of tcpdump -ddd output against malformed input.
func TestParseBPF(t *testing.T) {
	tests := []struct {
		in      string
		want    []bpf.RawInstruction
		wantErr string
	}{
		{in: "2\n40 0 0 12\n6 0 0 65535\n", want: []bpf.RawInstruction{{Op: 40, K: 12}, {Op: 6, K: 65535}}},
		{in: "1\n21 3 4 2048", want: []bpf.RawInstruction{{Op: 21, Jt: 3, Jf: 4, K: 2048}}},
		{in: "", wantErr: "instruction count"},
		{in: "3\n6 0 0 1\n", wantErr: "announces 3"},
		{in: "0\n", wantErr: "want 1 to 4096"},
		{in: "5000\n", wantErr: "want 1 to 4096"},
		{in: "1\n6 0 0\n", wantErr: "want 4 numbers"},
		{in: "1\n70000 0 0 1\n", wantErr: "out of range"},
		{in: "1\n21 256 0 1\n", wantErr: "out of range"},
		{in: "1\n6 0 0 -1\n", wantErr: "invalid syntax"},
	}
	for _, tt := range tests {
		got, err := ParseBPF(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseBPF(%q): error %v, want one containing %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("ParseBPF(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

// TestLiveConfigDefaults checks the bounds of LiveConfig.
func TestLiveConfigDefaults(t *testing.T) {
	c, err := LiveConfig{}.withDefaults()
	if err != nil || c.SnapLen != DefaultLiveSnapLen || c.RingSize != DefaultLiveRingSize || c.PollTimeout != DefaultLivePollTimeout {
		t.Errorf("zero config: got %+v, %v", c, err)
	}
	c, err = LiveConfig{RingSize: 3*LiveBlockSize + 100}.withDefaults()
	if err != nil || c.RingSize != 3*LiveBlockSize {
		t.Errorf("ring size is not rounded to blocks: %+v, %v", c, err)
	}
	for _, bad := range []LiveConfig{{SnapLen: 10}, {SnapLen: LiveBlockSize}, {RingSize: LiveBlockSize}, {RingSize: 2 << 30}, {PollTimeout: 1}} {
		if _, err := bad.withDefaults(); err == nil {
			t.Errorf("%+v: accepted", bad)
		}
	}
}

// TestLiveStatsUnread checks the accounting of packets left in the ring.
func TestLiveStatsUnread(t *testing.T) {
	for _, tt := range []struct {
		s    LiveStats
		want uint64
	}{
		{LiveStats{Received: 10, Read: 7, Dropped: 2}, 1},
		{LiveStats{Received: 10, Read: 7, Dropped: 2, Skipped: 1}, 0},
		{LiveStats{Received: 5, Read: 7}, 0},
	} {
		if got := tt.s.Unread(); got != tt.want {
			t.Errorf("%+v.Unread() = %d, want %d", tt.s, got, tt.want)
		}
	}
}
