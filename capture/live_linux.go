//go:build linux

package capture

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gopacket/gopacket/afpacket"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// LiveSource captures packets on one network interface with an AF_PACKET socket and a
// TPACKET_V3 ring shared with the kernel (github.com/gopacket/gopacket/afpacket). It is
// a Source that does not end: ReadPacket returns ErrNoPacket when nothing arrived within
// the poll timeout, so that the reader can decide to stop.
//
// Ethernet interfaces (and loopback) are read with their link-layer header, as
// LinkEthernet; an 802.1Q tag that the NIC or the kernel stripped is put back into the
// frame from the ring's ancillary data, so the frame decodes as it was on the wire (with
// TPID 0x8100: the kernel's report does not say whether the tag was 802.1ad, nor its
// priority bits). Every other interface (tunnels, IPsec VTI, WireGuard, PPP, and "any")
// is read without a link-layer header, as LinkRaw.
//
// ReadPacket, Reopen and Close must be called from one goroutine; Stats, Drops, Name and
// LinkTypes may be called from any goroutine. Close only after the goroutine calling
// ReadPacket has returned from it: the ring it reads is unmapped.
type LiveSource struct {
	name     string
	cfg      LiveConfig
	link     LinkType
	prog     []bpf.RawInstruction
	since    time.Time // the filter was attached
	skipping bool      // still skipping packets stamped before since
	number   int

	tp  *afpacket.TPacket // nil after Close
	buf []byte            // a frame with its VLAN tag put back

	read, skipped, reopened atomic.Uint64

	mu     sync.Mutex // guards tp for statistics, and the kernel's counts below
	kernel LiveStats  // Received, Dropped, Freezes of the current and closed sockets
	base   LiveStats  // the same for the sockets closed so far
}

// OpenLive opens a live capture on the named interface ("any" captures on every
// interface, without link-layer headers), attaches cfg's filter and sets its snap length.
//
// It fails with an error naming the interface that wraps ErrNoInterface when the
// interface does not exist, ErrNeedCapNetRaw when the process may not open a packet
// socket, ErrFilter when the filter is refused, or the system's error.
func OpenLive(iface string, cfg LiveConfig) (*LiveSource, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", iface, err)
	}
	l := &LiveSource{name: iface, cfg: cfg, link: LinkRaw}
	if iface != "any" {
		if _, err := net.InterfaceByName(iface); err != nil {
			return nil, fmt.Errorf("%s: %w", iface, ErrNoInterface)
		}
		if t, ok := arpHardwareType(iface); ok && (t == unix.ARPHRD_ETHER || t == unix.ARPHRD_LOOPBACK) {
			l.link = LinkEthernet
		}
	}
	if cfg.Filter != nil {
		prog, err := cfg.Filter.Program(l.link, cfg.SnapLen)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", iface, err)
		}
		l.prog = withSnapLen(prog, cfg.SnapLen)
	} else {
		l.prog = []bpf.RawInstruction{{Op: opRetK, K: uint32(cfg.SnapLen)}}
	}
	if err := l.open(); err != nil {
		return nil, err
	}
	return l, nil
}

// arpHardwareType asks the kernel for the interface's ARPHRD_ type (the family of its
// hardware address), in the network namespace of the calling thread.
func arpHardwareType(iface string) (int, bool) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return 0, false
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq(iface)
	if err != nil {
		return 0, false
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFHWADDR, ifr); err != nil {
		return 0, false
	}
	return int(ifr.Uint16()), true
}

// open creates the socket and its ring, and attaches the filter.
func (l *LiveSource) open() error {
	// afpacket prints a line to standard output when it cannot map the ring; check what
	// the kernel will refuse before asking, so that the error is ours and one line.
	if err := checkRing(l.cfg.RingSize); err != nil {
		return fmt.Errorf("%s: %w", l.name, err)
	}
	sockType := afpacket.SocketRaw
	if l.link == LinkRaw {
		sockType = afpacket.SocketDgram
	}
	ifname := l.name
	if ifname == "any" {
		ifname = ""
	}
	tp, err := afpacket.NewTPacket(
		afpacket.OptInterface(ifname),
		afpacket.OptSocketType(sockType),
		afpacket.OptTPacketVersion(afpacket.TPacketVersion3),
		afpacket.OptBlockSize(LiveBlockSize),
		afpacket.OptFrameSize(4096),
		afpacket.OptNumBlocks(l.cfg.RingSize/LiveBlockSize),
		afpacket.OptBlockTimeout(LiveBlockTimeout),
		afpacket.OptPollTimeout(l.cfg.PollTimeout),
	)
	if err != nil {
		return l.openError(err)
	}
	if err := tp.SetBPF(l.prog); err != nil {
		tp.Close()
		return fmt.Errorf("%s: %w: the kernel refuses the program: %v", l.name, ErrFilter, err)
	}
	// Packets that entered the ring between the socket's bind and the filter are skipped:
	// a packet stamped after this instant went through the filter. They are the first in
	// the ring, so skipping ends at the first packet stamped later (or after skipWindow,
	// should a clock disagree).
	l.since = time.Now()
	l.skipping = true
	if l.cfg.Promiscuous && ifname != "" {
		if err := tp.SetPromiscuous(true); err != nil {
			tp.Close()
			return fmt.Errorf("%s: promiscuous mode: %w", l.name, err)
		}
	}
	l.mu.Lock()
	l.tp = tp
	l.mu.Unlock()
	return nil
}

// openError turns the errors of socket creation into one line naming the interface.
func (l *LiveSource) openError(err error) error {
	switch {
	case errors.Is(err, unix.EPERM), errors.Is(err, unix.EACCES):
		return fmt.Errorf("%s: %w", l.name, ErrNeedCapNetRaw)
	case errors.Is(err, unix.ENODEV), errors.Is(err, unix.ENXIO):
		return fmt.Errorf("%s: %w", l.name, ErrNoInterface)
	case errors.Is(err, unix.ENOMEM):
		return fmt.Errorf("%s: the kernel cannot allocate a %d MiB ring (try a smaller --ring-size): %w",
			l.name, l.cfg.RingSize>>20, err)
	}
	return fmt.Errorf("%s: %w", l.name, err)
}

// checkRing refuses a ring the process could not map: one that does not fit in what is
// left of its address-space limit (RLIMIT_AS, ulimit -v). The locked-memory limit
// (RLIMIT_MEMLOCK) does not apply: the kernel does not count a packet ring as locked
// memory (measured: a 64 MiB ring maps with ulimit -l 64 as an unprivileged user with
// CAP_NET_RAW).
func checkRing(size int) error {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_AS, &lim); err != nil || lim.Cur == unix.RLIM_INFINITY {
		return nil
	}
	const margin = 64 << 20 // room for the runtime's own growth
	if used, ok := addressSpaceUsed(); ok && used+uint64(size)+margin > lim.Cur {
		return fmt.Errorf("a %d MiB ring does not fit in the address-space limit (ulimit -v %d KiB, %d MiB in use): raise it or give a smaller --ring-size",
			size>>20, lim.Cur>>10, used>>20)
	}
	return nil
}

// addressSpaceUsed returns the process's virtual memory size, from /proc/self/statm.
func addressSpaceUsed() (uint64, bool) {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0, false
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0, false
	}
	pages, err := strconv.ParseUint(f[0], 10, 64)
	if err != nil {
		return 0, false
	}
	return pages * uint64(os.Getpagesize()), true
}

// skipWindow bounds the time during which packets older than the filter are skipped.
const skipWindow = time.Second

// ReadPacket returns the next packet, or ErrNoPacket when none arrived within the poll
// timeout. Packet.Number counts the packets returned, from 1; Packet.Interface is 0.
// The data aliases the ring (or the source's buffer) and is valid only until the next
// call.
//
// When the interface goes down the kernel reports an error on the socket; ReadPacket
// returns it (wrapping afpacket.ErrPoll), and the caller may Reopen after a pause.
func (l *LiveSource) ReadPacket() (Packet, error) {
	if l.tp == nil {
		return Packet{}, fmt.Errorf("%s: read after close", l.name)
	}
	for {
		data, ci, err := l.tp.ZeroCopyReadPacketData()
		if err != nil {
			if errors.Is(err, afpacket.ErrTimeout) {
				return Packet{}, ErrNoPacket
			}
			return Packet{}, fmt.Errorf("%s: %w", l.name, err)
		}
		if l.skipping {
			if ci.Timestamp.Before(l.since) && time.Since(l.since) < skipWindow {
				l.skipped.Add(1)
				continue
			}
			l.skipping = false
		}
		length := ci.Length
		if l.link == LinkEthernet && len(data) >= 12 {
			for _, a := range ci.AncillaryData {
				if v, ok := a.(afpacket.AncillaryVLAN); ok {
					data = l.insertTag(data, uint16(v.VLAN))
					length += 4
				}
			}
		}
		l.number++
		l.read.Add(1)
		return Packet{Number: l.number, Time: ci.Timestamp, LinkType: l.link, Length: length, Data: data}, nil
	}
}

// insertTag returns frame with an 802.1Q tag of VLAN vid after its MAC addresses, in the
// source's own buffer.
func (l *LiveSource) insertTag(frame []byte, vid uint16) []byte {
	b := append(l.buf[:0], frame[:12]...)
	b = append(b, 0x81, 0x00, byte(vid>>8)&0x0f, byte(vid))
	b = append(b, frame[12:]...)
	l.buf = b
	return b
}

// Reopen closes the socket and opens a new one on the same interface with the same
// filter, keeping the counts. Use it after ReadPacket reported an error (the interface
// went down); it fails while the interface is still missing.
func (l *LiveSource) Reopen() error {
	l.closeSocket()
	if err := l.open(); err != nil {
		return err
	}
	l.reopened.Add(1)
	return nil
}

// closeSocket folds the socket's last counts into base and closes it.
func (l *LiveSource) closeSocket() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.tp == nil {
		return
	}
	l.readKernelStats()
	l.base = l.kernel
	l.tp.Close()
	l.tp = nil
}

// readKernelStats updates the kernel's counts from the socket. l.mu must be held.
func (l *LiveSource) readKernelStats() {
	if l.tp == nil {
		return
	}
	// afpacket accumulates the kernel's counters, which reset on every read.
	_, v3, err := l.tp.SocketStats()
	if err != nil {
		return
	}
	l.kernel.Received = l.base.Received + uint64(v3.Packets())
	l.kernel.Dropped = l.base.Dropped + uint64(v3.Drops())
	l.kernel.Freezes = l.base.Freezes + uint64(v3.QueueFreezes())
}

// Stats reads the kernel's counts and returns them with the source's own.
func (l *LiveSource) Stats() LiveStats {
	// The source's counts first: a packet read has already been counted by the kernel,
	// so Read + Skipped never exceeds the Received read after them.
	read, skipped, reopened := l.read.Load(), l.skipped.Load(), l.reopened.Load()
	l.mu.Lock()
	l.readKernelStats()
	s := l.kernel
	l.mu.Unlock()
	s.Read, s.Skipped, s.Reopened = read, skipped, reopened
	return s
}

// Drops implements DropCounter: the packets the kernel dropped because the ring was full.
func (l *LiveSource) Drops() uint64 { return l.Stats().Dropped }

// Name returns the interface name.
func (l *LiveSource) Name() string { return l.name }

// LinkTypes returns the link type of the frames: LinkEthernet or LinkRaw.
func (l *LiveSource) LinkTypes() []LinkType { return []LinkType{l.link} }

// Filter returns the filter expression in force ("" when every packet is kept).
func (l *LiveSource) Filter() string {
	if l.cfg.Filter == nil {
		return ""
	}
	return l.cfg.Filter.Expr(l.link)
}

// SnapLen returns the snap length in force.
func (l *LiveSource) SnapLen() int { return l.cfg.SnapLen }

// Close reads the final counts and releases the socket and its ring. Call it only after
// ReadPacket has returned.
func (l *LiveSource) Close() error {
	l.closeSocket()
	return nil
}
