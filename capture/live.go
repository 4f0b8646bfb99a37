package capture

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/bpf"
)

// Live capture (OpenLive, LiveSource) reads packets from a network interface as they
// arrive. It is implemented on Linux with an AF_PACKET socket and a TPACKET_V3 ring
// (live_linux.go); elsewhere OpenLive returns ErrLiveUnsupported. Like every Source, a
// LiveSource starts no goroutine: the caller reads it from one goroutine and decides how
// to wait, stop and merge interfaces.

// Errors of live capture.
var (
	// ErrLiveUnsupported means this operating system has no live capture.
	ErrLiveUnsupported = errors.New("live capture needs Linux (AF_PACKET)")
	// ErrNoPacket is returned by LiveSource.ReadPacket when no packet arrived within the
	// poll timeout. It is not a failure: read again, or stop.
	ErrNoPacket = errors.New("no packet within the poll timeout")
	// ErrNoInterface means the interface to capture on does not exist.
	ErrNoInterface = errors.New("no such interface")
	// ErrNeedCapNetRaw means the process may not open a packet socket.
	ErrNeedCapNetRaw = errors.New("permission denied: needs CAP_NET_RAW")
	// ErrFilter means a capture filter could not be compiled or attached.
	ErrFilter = errors.New("bad capture filter")
	// ErrNoTcpdump means a filter expression was given but tcpdump, which compiles it,
	// is not installed.
	ErrNoTcpdump = errors.New("compiling a filter expression needs tcpdump in PATH")
)

// Defaults of LiveConfig.
const (
	DefaultLiveSnapLen     = 65535
	DefaultLiveRingSize    = 32 << 20
	DefaultLivePollTimeout = 50 * time.Millisecond
	// LiveBlockSize is the size of one block of the TPACKET_V3 ring: the ring is a whole
	// number of blocks (at least two), and one block holds at least one packet of the
	// largest snap length.
	LiveBlockSize = 256 << 10
	// LiveBlockTimeout is how long the kernel fills a block before it hands a partly
	// filled block to the reader: the latency of a quiet interface.
	LiveBlockTimeout = 10 * time.Millisecond
	// maxSnapLen bounds LiveConfig.SnapLen so that a packet always fits in a block.
	maxSnapLen = LiveBlockSize - 4096
)

// LiveConfig says how to capture on one interface. The zero value captures every packet
// with the defaults.
type LiveConfig struct {
	// Filter selects the packets the kernel hands over; nil keeps every packet.
	Filter Filter
	// SnapLen is how many bytes of each packet are kept (default DefaultLiveSnapLen, at
	// most 258048). A filter's own return value is replaced by it.
	SnapLen int
	// RingSize is the size in bytes of the kernel ring the packets wait in until they are
	// read (default DefaultLiveRingSize), rounded down to whole blocks of LiveBlockSize.
	// When the reader falls behind by more than the ring, the kernel drops packets and
	// counts them (LiveStats.Dropped).
	RingSize int
	// PollTimeout is the longest ReadPacket waits before it returns ErrNoPacket (default
	// DefaultLivePollTimeout). It bounds how long a reader takes to notice it should stop.
	PollTimeout time.Duration
	// Promiscuous puts the interface in promiscuous mode while the capture is open, for a
	// mirror (SPAN) port that receives traffic addressed to other hosts.
	Promiscuous bool
}

// withDefaults returns c with zero fields set to their defaults, or an error for values
// out of range.
func (c LiveConfig) withDefaults() (LiveConfig, error) {
	if c.SnapLen == 0 {
		c.SnapLen = DefaultLiveSnapLen
	}
	if c.SnapLen < 64 || c.SnapLen > maxSnapLen {
		return c, fmt.Errorf("snap length %d: want 64 to %d", c.SnapLen, maxSnapLen)
	}
	if c.RingSize == 0 {
		c.RingSize = DefaultLiveRingSize
	}
	if c.RingSize < 2*LiveBlockSize || c.RingSize > 1<<30 {
		return c, fmt.Errorf("ring size %d bytes: want %d KiB to 1 GiB", c.RingSize, 2*LiveBlockSize>>10)
	}
	c.RingSize -= c.RingSize % LiveBlockSize
	if c.PollTimeout == 0 {
		c.PollTimeout = DefaultLivePollTimeout
	}
	if c.PollTimeout < time.Millisecond {
		return c, fmt.Errorf("poll timeout %v: want at least 1ms", c.PollTimeout)
	}
	return c, nil
}

// LiveStats counts what happened to the packets of one live capture since it was opened.
// The kernel's counts are read from the socket (PACKET_STATISTICS) and summed over the
// sockets the capture used (it opens a new one when the interface comes back up).
type LiveStats struct {
	// Received counts the packets the kernel's filter accepted for the ring, including
	// those it then dropped (the kernel's tp_packets).
	Received uint64
	// Dropped counts the packets the filter accepted but the kernel dropped because the
	// ring was full (tp_drops): packets that were never seen.
	Dropped uint64
	// Freezes counts the times the ring was found full (tp_freeze_q_cnt).
	Freezes uint64
	// Read counts the packets ReadPacket returned.
	Read uint64
	// Skipped counts packets that entered the ring before the filter was attached, and
	// were thrown away unread.
	Skipped uint64
	// Reopened counts the times the socket was opened again after the interface went
	// down.
	Reopened uint64
}

// Unread is the number of packets the kernel placed in the ring that were neither read
// nor skipped: those still waiting when the capture stopped.
func (s LiveStats) Unread() uint64 {
	done := s.Read + s.Dropped + s.Skipped
	if done >= s.Received {
		return 0
	}
	return s.Received - done
}

// A Filter selects the packets a live capture keeps, as a classic BPF program run by the
// kernel on each frame.
type Filter interface {
	// Program compiles the filter for frames of link type lt (LinkEthernet or LinkRaw),
	// returning snapLen for a packet to keep and 0 for one to drop.
	Program(lt LinkType, snapLen int) ([]bpf.RawInstruction, error)
	// Expr is the filter as a tcpdump expression for frames of link type lt.
	Expr(lt LinkType) string
}

// FilterExpr is a tcpdump filter expression (pcap-filter(7)), compiled by running
// `tcpdump -ddd -y DLT -s SNAPLEN EXPR`, so that it means exactly what it means to
// tcpdump on a file of that link type. The expression sees a frame as the kernel hands it
// to a packet socket: an 802.1Q tag that the NIC or the kernel stripped is not in the
// frame, so `vlan` matches only tags left in it (the inner tag of QinQ). The empty
// expression keeps every packet.
type FilterExpr string

// maxBPFInstructions is the kernel's limit on a classic BPF program (BPF_MAXINSNS).
const maxBPFInstructions = 4096

// tcpdumpTimeout bounds one run of tcpdump.
const tcpdumpTimeout = 20 * time.Second

// Expr returns the expression.
func (e FilterExpr) Expr(LinkType) string { return string(e) }

// Program runs tcpdump to compile the expression. A missing tcpdump is ErrNoTcpdump; an
// expression tcpdump refuses is ErrFilter with tcpdump's own message.
func (e FilterExpr) Program(lt LinkType, snapLen int) ([]bpf.RawInstruction, error) {
	if strings.TrimSpace(string(e)) == "" {
		return []bpf.RawInstruction{{Op: opRetK, K: uint32(snapLen)}}, nil
	}
	dlt, ok := dltNames[lt]
	if !ok {
		return nil, fmt.Errorf("%w: no tcpdump name for link type %v", ErrFilter, lt)
	}
	path, err := exec.LookPath("tcpdump")
	if err != nil {
		return nil, ErrNoTcpdump
	}
	ctx, cancel := context.WithTimeout(context.Background(), tcpdumpTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, "-ddd", "-y", dlt, "-s", strconv.Itoa(snapLen), "--", string(e))
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
			msg = msg[i+1:]
		}
		msg = strings.TrimPrefix(msg, "tcpdump: ")
		if msg == "" {
			msg = err.Error()
		}
		return nil, fmt.Errorf("%w %q: %s", ErrFilter, string(e), msg)
	}
	prog, err := ParseBPF(stdout.String())
	if err != nil {
		return nil, fmt.Errorf("%w %q: tcpdump -ddd output: %v", ErrFilter, string(e), err)
	}
	return prog, nil
}

// dltNames are the names tcpdump's -y knows the link types of live captures by.
var dltNames = map[LinkType]string{LinkEthernet: "EN10MB", LinkRaw: "RAW"}

// ParseBPF reads a program in the decimal form `tcpdump -ddd` prints: the number of
// instructions on the first line, then one "code jt jf k" line per instruction.
func ParseBPF(text string) ([]bpf.RawInstruction, error) {
	lines := strings.Split(strings.TrimSpace(text), "\n")
	n, err := strconv.Atoi(strings.TrimSpace(lines[0]))
	if err != nil {
		return nil, fmt.Errorf("line 1: instruction count %q: %v", lines[0], err)
	}
	if n < 1 || n > maxBPFInstructions {
		return nil, fmt.Errorf("line 1: %d instructions: want 1 to %d", n, maxBPFInstructions)
	}
	if len(lines)-1 != n {
		return nil, fmt.Errorf("line 1 announces %d instructions, %d follow", n, len(lines)-1)
	}
	prog := make([]bpf.RawInstruction, n)
	for i, line := range lines[1:] {
		f := strings.Fields(line)
		if len(f) != 4 {
			return nil, fmt.Errorf("line %d: %q: want 4 numbers", i+2, line)
		}
		var v [4]uint64
		for j, bits := range [4]int{16, 8, 8, 32} {
			if v[j], err = strconv.ParseUint(f[j], 10, bits); err != nil {
				return nil, fmt.Errorf("line %d: %q: %v", i+2, line, err)
			}
		}
		prog[i] = bpf.RawInstruction{Op: uint16(v[0]), Jt: uint8(v[1]), Jf: uint8(v[2]), K: uint32(v[3])}
	}
	return prog, nil
}

// opRetK is the opcode of "ret #k".
const opRetK = 0x06

// withSnapLen returns prog with every non-zero constant return replaced by snapLen, so
// that the snap length is the same whatever the filter asked for.
func withSnapLen(prog []bpf.RawInstruction, snapLen int) []bpf.RawInstruction {
	out := append([]bpf.RawInstruction(nil), prog...)
	for i := range out {
		if out[i].Op == opRetK && out[i].K != 0 {
			out[i].K = uint32(snapLen)
		}
	}
	return out
}

// DefaultSIPPorts are the ports the analysis reads as SIP: the default filter keeps UDP
// and TCP on them.
var DefaultSIPPorts = []uint16{5060, 5061, 5062, 5080}

// DefaultFilter is the filter `ixaudit live` uses when no --filter is given: everything
// the rules can judge, and little else. Its expression (Expr) is, for Ethernet:
//
//	(udp or tcp) and (port 5060 or port 5061 or port 5062 or port 5080)  SIP, TLS
//	or ip host G ... or ip net S ...            any traffic with a Twilio signalling address
//	or (udp and net M) ...                      UDP to or from a Twilio media range
//	or (udp and port 53)                        DNS (the uri-public-host rule reads queries)
//	or (ip[6:2] & 0x3fff != 0)                  IPv4 fragments: later fragments have no ports
//	or (ip6 and ip6[6] == 44)                   IPv6 fragments
//	or (udp and udp[8] & 0xc0 == 0x80)          RTP/RTCP version 2 anywhere (media that left
//	or (ip6 and ip6[6] == 17 and ip6[48] & 0xc0 == 0x80)   the Twilio range, media-*-outside-range)
//	or (vlan and (the same))                    the same behind a tag still in the frame
//
// The program is built here (Program) without tcpdump; a test checks that it keeps
// exactly the packets tcpdump keeps for Expr, on every frame whose IP and transport
// headers are complete. (On a frame cut inside its own headers, which only a malformed
// frame is, since the kernel filters whole frames, the order in which a program loads
// fields decides, and even tcpdump's optimized and unoptimized programs disagree.)
type DefaultFilter struct {
	// SIPPorts are the UDP and TCP ports that carry SIP (DefaultSIPPorts when empty).
	SIPPorts []uint16
	// Signalling are Twilio's signalling addresses: gateways (as single-address
	// prefixes) and public signalling ranges.
	Signalling []netip.Prefix
	// Media are Twilio's media ranges.
	Media []netip.Prefix
}

func (d DefaultFilter) sipPorts() []uint16 {
	if len(d.SIPPorts) == 0 {
		return DefaultSIPPorts
	}
	return d.SIPPorts
}

// Expr returns the tcpdump expression the filter implements for link type lt.
func (d DefaultFilter) Expr(lt LinkType) string {
	var terms []string
	var ports []string
	for _, p := range d.sipPorts() {
		ports = append(ports, "port "+strconv.Itoa(int(p)))
	}
	terms = append(terms, "((udp or tcp) and ("+strings.Join(ports, " or ")+"))")
	for _, p := range d.Signalling {
		terms = append(terms, ipWord(p)+" "+hostOrNet(p))
	}
	for _, p := range d.Media {
		terms = append(terms, "(udp and "+hostOrNet(p)+")")
	}
	terms = append(terms,
		"(udp and port 53)",
		"(ip[6:2] & 0x3fff != 0)",
		"(ip6 and ip6[6] == 44)",
		"(udp and udp[8] & 0xc0 == 0x80)",
		"(ip6 and ip6[6] == 17 and ip6[48] & 0xc0 == 0x80)")
	e := strings.Join(terms, " or ")
	if lt == LinkEthernet {
		e += " or (vlan and (" + e + "))"
	}
	return e
}

func ipWord(p netip.Prefix) string {
	if p.Addr().Is4() {
		return "ip"
	}
	return "ip6"
}

func hostOrNet(p netip.Prefix) string {
	p = p.Masked()
	if p.IsSingleIP() {
		return "host " + p.Addr().String()
	}
	return "net " + p.String()
}

// Program builds the filter's BPF program for link type lt (LinkEthernet or LinkRaw).
func (d DefaultFilter) Program(lt LinkType, snapLen int) ([]bpf.RawInstruction, error) {
	var b filterBuilder
	b.snap = uint32(snapLen)
	switch lt {
	case LinkEthernet:
		b.link = linkEth
		d.clauses(&b, 14)
		b.vlan = true
		d.clauses(&b, 18)
	case LinkRaw:
		b.link = linkRawIP
		d.clauses(&b, 0)
	default:
		return nil, fmt.Errorf("%w: the default filter has no program for link type %v", ErrFilter, lt)
	}
	b.emit(bpf.RetConstant{Val: 0})
	prog, err := b.assemble()
	if err != nil {
		return nil, fmt.Errorf("%w: default filter: %v", ErrFilter, err)
	}
	if len(prog) > maxBPFInstructions {
		return nil, fmt.Errorf("%w: default filter: %d instructions, more than the kernel's %d (too many signalling addresses)",
			ErrFilter, len(prog), maxBPFInstructions)
	}
	return prog, nil
}

// clauses emits every term of the filter for the IP header at offset l, in the order of
// Expr. Each clause ends with its own "ret #snap", so that no jump goes further than one
// clause.
func (d DefaultFilter) clauses(b *filterBuilder, l uint32) {
	ports := d.sipPorts()
	// (udp or tcp) and (port ...), and (udp and port 53): tcpdump's optimizer checks the
	// ports of both terms in one pass, which matters only for a datagram cut between its
	// source and destination ports; do the same.
	udpPorts := append(append([]uint16(nil), ports...), 53)
	b.clause(func(fail int) {
		b.guard4(l, fail)
		tcp := b.newLabel()
		b.emit(bpf.LoadAbsolute{Off: l + 9, Size: 1})
		b.jeq(17, -1, tcp)
		b.ports4(l, udpPorts, fail)
		b.label(tcp)
		b.jeq(6, -1, fail)
		b.ports4(l, ports, fail)
	})
	b.clause(func(fail int) {
		b.guard6(l, fail)
		tcp := b.newLabel()
		b.emit(bpf.LoadAbsolute{Off: l + 6, Size: 1})
		b.jeq(17, -1, tcp)
		b.ports6(l, udpPorts, fail)
		b.label(tcp)
		b.jeq(6, -1, fail)
		b.ports6(l, ports, fail)
	})
	// ip host G / ip net S, in runs of at most 32 (hosts: all sources, then all
	// destinations, as tcpdump's optimizer orders them).
	var hosts4 []netip.Prefix
	flush := func() {
		for len(hosts4) > 0 {
			n := min(len(hosts4), 32)
			run := hosts4[:n]
			hosts4 = hosts4[n:]
			b.clause(func(fail int) {
				b.guard4(l, fail)
				for _, off := range []uint32{l + 12, l + 16} {
					b.emit(bpf.LoadAbsolute{Off: off, Size: 4})
					for _, p := range run {
						b.jeq(be32(p.Addr()), b.acc, -1)
					}
				}
				b.jump(fail)
			})
		}
	}
	for _, p := range d.Signalling {
		p = p.Masked()
		if p.Addr().Is4() && p.IsSingleIP() {
			hosts4 = append(hosts4, p)
			continue
		}
		flush()
		b.clause(func(fail int) { b.net(l, p, fail) })
	}
	flush()
	// udp and net M
	for _, p := range d.Media {
		p = p.Masked()
		b.clause(func(fail int) {
			if p.Addr().Is4() {
				b.guard4(l, fail)
				b.emit(bpf.LoadAbsolute{Off: l + 9, Size: 1})
				b.jeq(17, -1, fail)
				b.netBody4(l, p, fail)
				return
			}
			b.guard6(l, fail)
			b.udp6(l, fail)
			b.netBody6(l, p, fail)
		})
	}
	// ip[6:2] & 0x3fff != 0
	b.clause(func(fail int) {
		b.guard4(l, fail)
		b.emit(bpf.LoadAbsolute{Off: l + 6, Size: 2})
		b.jset(0x3fff, b.acc, fail)
	})
	// ip6 and ip6[6] == 44
	b.clause(func(fail int) {
		b.guard6(l, fail)
		b.emit(bpf.LoadAbsolute{Off: l + 6, Size: 1})
		b.jeq(44, b.acc, fail)
	})
	// udp and udp[8] & 0xc0 == 0x80 (tcpdump's udp[] is IPv4 only)
	b.clause(func(fail int) {
		b.guard4(l, fail)
		b.emit(bpf.LoadAbsolute{Off: l + 9, Size: 1})
		b.jeq(17, -1, fail)
		b.emit(bpf.LoadAbsolute{Off: l + 6, Size: 2})
		b.jset(0x1fff, fail, -1)
		b.emit(bpf.LoadMemShift{Off: l})
		b.emit(bpf.LoadIndirect{Off: l + 8, Size: 1})
		b.emit(bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: 0xc0})
		b.jeq(0x80, b.acc, fail)
	})
	// ip6 and ip6[6] == 17 and ip6[48] & 0xc0 == 0x80
	b.clause(func(fail int) {
		b.guard6(l, fail)
		b.emit(bpf.LoadAbsolute{Off: l + 6, Size: 1})
		b.jeq(17, -1, fail)
		b.emit(bpf.LoadAbsolute{Off: l + 48, Size: 1})
		b.emit(bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: 0xc0})
		b.jeq(0x80, b.acc, fail)
	})
}

// Link layers of the default filter's programs.
const (
	linkEth = iota
	linkRawIP
)

// filterBuilder assembles a BPF program with forward jumps to labels. Labels are
// resolved by assemble; a conditional jump must land within 255 instructions.
type filterBuilder struct {
	link   int
	vlan   bool // clauses first check for an 802.1Q/802.1ad/0x9100 tag at offset 12
	snap   uint32
	ins    []bpf.Instruction
	jumps  map[int][2]int // instruction index → (true label, false label); -1 = next
	labels []int          // label → instruction index
	acc    int            // label of the current clause's "ret #snap"
}

func (b *filterBuilder) newLabel() int {
	b.labels = append(b.labels, -1)
	return len(b.labels) - 1
}

func (b *filterBuilder) label(l int) { b.labels[l] = len(b.ins) }

func (b *filterBuilder) emit(in bpf.Instruction) { b.ins = append(b.ins, in) }

// jeq jumps to t when A == v and to f otherwise (-1: the next instruction).
func (b *filterBuilder) jeq(v uint32, t, f int) { b.cond(bpf.JumpEqual, v, t, f) }

// jset jumps to t when A & v != 0 and to f otherwise.
func (b *filterBuilder) jset(v uint32, t, f int) { b.cond(bpf.JumpBitsSet, v, t, f) }

func (b *filterBuilder) cond(c bpf.JumpTest, v uint32, t, f int) {
	if b.jumps == nil {
		b.jumps = map[int][2]int{}
	}
	b.jumps[len(b.ins)] = [2]int{t, f}
	b.emit(bpf.JumpIf{Cond: c, Val: v})
}

// jump jumps to l unconditionally ("ja").
func (b *filterBuilder) jump(l int) {
	if b.jumps == nil {
		b.jumps = map[int][2]int{}
	}
	b.jumps[len(b.ins)] = [2]int{l, l}
	b.emit(bpf.Jump{})
}

// clause emits one term: body jumps to its fail label when the term is false, to b.acc
// when it is true, and must not fall through.
func (b *filterBuilder) clause(body func(fail int)) {
	fail := b.newLabel()
	b.acc = b.newLabel()
	if b.vlan {
		ok := b.newLabel()
		b.emit(bpf.LoadAbsolute{Off: 12, Size: 2})
		b.jeq(0x8100, ok, -1)
		b.jeq(0x88a8, ok, -1)
		b.jeq(0x9100, ok, fail)
		b.label(ok)
	}
	body(fail)
	b.label(b.acc)
	b.emit(bpf.RetConstant{Val: b.snap})
	b.label(fail)
}

// guard4 jumps to fail unless the datagram at offset l is IPv4.
func (b *filterBuilder) guard4(l uint32, fail int) { b.guardVersion(l, 0x0800, 0x40, fail) }

// guard6 jumps to fail unless the datagram at offset l is IPv6.
func (b *filterBuilder) guard6(l uint32, fail int) { b.guardVersion(l, 0x86dd, 0x60, fail) }

func (b *filterBuilder) guardVersion(l uint32, etherType, version uint32, fail int) {
	if b.link == linkEth {
		b.emit(bpf.LoadAbsolute{Off: l - 2, Size: 2})
		b.jeq(etherType, -1, fail)
		return
	}
	b.emit(bpf.LoadAbsolute{Off: 0, Size: 1})
	b.emit(bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: 0xf0})
	b.jeq(version, -1, fail)
}

// ports4 accepts an IPv4 first fragment (or whole datagram) whose source or destination
// port is one of ports.
func (b *filterBuilder) ports4(l uint32, ports []uint16, fail int) {
	b.emit(bpf.LoadAbsolute{Off: l + 6, Size: 2})
	b.jset(0x1fff, fail, -1)
	b.emit(bpf.LoadMemShift{Off: l})
	for _, off := range []uint32{l, l + 2} {
		b.emit(bpf.LoadIndirect{Off: off, Size: 2})
		for _, p := range ports {
			b.jeq(uint32(p), b.acc, -1)
		}
	}
	b.jump(fail)
}

// ports6 accepts an IPv6 datagram whose ports, right after the fixed header, match.
func (b *filterBuilder) ports6(l uint32, ports []uint16, fail int) {
	for _, off := range []uint32{l + 40, l + 42} {
		b.emit(bpf.LoadAbsolute{Off: off, Size: 2})
		for _, p := range ports {
			b.jeq(uint32(p), b.acc, -1)
		}
	}
	b.jump(fail)
}

// udp6 jumps to fail unless the IPv6 datagram carries UDP, directly or behind a fragment
// header (tcpdump's "ip6 proto udp").
func (b *filterBuilder) udp6(l uint32, fail int) {
	ok := b.newLabel()
	b.emit(bpf.LoadAbsolute{Off: l + 6, Size: 1})
	b.jeq(17, ok, -1)
	b.jeq(44, -1, fail)
	b.emit(bpf.LoadAbsolute{Off: l + 40, Size: 1})
	b.jeq(17, -1, fail)
	b.label(ok)
}

// net accepts traffic from or to prefix p ("ip net" / "ip6 net" / "ip6 host").
func (b *filterBuilder) net(l uint32, p netip.Prefix, fail int) {
	if p.Addr().Is4() {
		b.guard4(l, fail)
		b.netBody4(l, p, fail)
		return
	}
	b.guard6(l, fail)
	b.netBody6(l, p, fail)
}

func (b *filterBuilder) netBody4(l uint32, p netip.Prefix, fail int) {
	mask := uint32(0xffffffff) << (32 - p.Bits())
	if p.Bits() == 0 {
		mask = 0
	}
	for _, off := range []uint32{l + 12, l + 16} {
		b.emit(bpf.LoadAbsolute{Off: off, Size: 4})
		if mask != 0xffffffff {
			b.emit(bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: mask})
		}
		b.jeq(be32(p.Addr())&mask, b.acc, -1)
	}
	b.jump(fail)
}

// netBody6 compares the 32-bit words of the source, then the destination address that the
// prefix covers, as tcpdump does.
func (b *filterBuilder) netBody6(l uint32, p netip.Prefix, fail int) {
	a := p.Addr().As16()
	for _, off := range []uint32{l + 8, l + 24} {
		next := b.newLabel()
		for w := 0; w < 4; w++ {
			bits := min(max(p.Bits()-32*w, 0), 32)
			if bits == 0 {
				break
			}
			mask := uint32(0xffffffff) << (32 - bits)
			v := uint32(a[4*w])<<24 | uint32(a[4*w+1])<<16 | uint32(a[4*w+2])<<8 | uint32(a[4*w+3])
			b.emit(bpf.LoadAbsolute{Off: off + uint32(4*w), Size: 4})
			if mask != 0xffffffff {
				b.emit(bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: mask})
			}
			b.jeq(v&mask, -1, next)
		}
		b.jump(b.acc)
		b.label(next)
	}
	b.jump(fail)
}

func be32(a netip.Addr) uint32 {
	v := a.As4()
	return uint32(v[0])<<24 | uint32(v[1])<<16 | uint32(v[2])<<8 | uint32(v[3])
}

// assemble resolves the labels and encodes the program.
func (b *filterBuilder) assemble() ([]bpf.RawInstruction, error) {
	for i, t := range b.jumps {
		skip := func(l int) (uint32, error) {
			if l < 0 {
				return 0, nil
			}
			at := b.labels[l]
			if at <= i {
				return 0, fmt.Errorf("instruction %d: jump to unplaced or earlier label %d", i, l)
			}
			return uint32(at - i - 1), nil
		}
		st, err := skip(t[0])
		if err != nil {
			return nil, err
		}
		sf, err := skip(t[1])
		if err != nil {
			return nil, err
		}
		switch in := b.ins[i].(type) {
		case bpf.Jump:
			in.Skip = st
			b.ins[i] = in
		case bpf.JumpIf:
			if st > 255 || sf > 255 {
				return nil, fmt.Errorf("instruction %d: jump of %d/%d instructions", i, st, sf)
			}
			in.SkipTrue, in.SkipFalse = uint8(st), uint8(sf)
			b.ins[i] = in
		}
	}
	return bpf.Assemble(b.ins)
}
