//go:build linux

package capture

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// liveNetns creates a network namespace holding a veth pair "va"/"vb" (up, without IPv6,
// so that the kernel sends nothing on its own) and returns a function that runs f with
// the calling thread inside it. Sockets opened by f belong to the namespace, whatever
// thread uses them later. Nothing sent in the namespace can leave it.
func liveNetns(t *testing.T) (inNS func(f func())) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("live capture tests need root (a network namespace and CAP_NET_RAW)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("live capture tests need the ip command (iproute2)")
	}
	name := fmt.Sprintf("ixaudit-cap-%d", os.Getpid())
	sh := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	sh("netns", "add", name)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
	for _, args := range [][]string{
		{"netns", "exec", name, "sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1"},
		{"netns", "exec", name, "sysctl", "-q", "-w", "net.ipv6.conf.default.disable_ipv6=1"},
		{"-n", name, "link", "add", "va", "type", "veth", "peer", "name", "vb"},
		{"-n", name, "link", "set", "va", "up"},
		{"-n", name, "link", "set", "vb", "up"},
	} {
		sh(args...)
	}
	ns, err := os.Open("/run/netns/" + name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ns.Close() })
	return func(f func()) {
		done := make(chan struct{})
		go func() {
			defer close(done)
			// The thread is left in the namespace and dies with the goroutine.
			runtime.LockOSThread()
			if err := unix.Setns(int(ns.Fd()), unix.CLONE_NEWNET); err != nil {
				t.Errorf("setns: %v", err)
				return
			}
			f()
		}()
		<-done
	}
}

// rawSender sends frames on an interface through a packet socket.
type rawSender struct {
	fd      int
	ifindex int
}

func newRawSender(t *testing.T, iface string) *rawSender {
	t.Helper()
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	ifi, err := net.InterfaceByName(iface)
	if err != nil {
		t.Fatal(err)
	}
	return &rawSender{fd: fd, ifindex: ifi.Index}
}

func (s *rawSender) send(t *testing.T, frame []byte) {
	t.Helper()
	if err := unix.Sendto(s.fd, frame, 0, &unix.SockaddrLinklayer{Ifindex: s.ifindex}); err != nil {
		t.Fatalf("send: %v", err)
	}
}

// liveReadAll reads until the source has been quiet for one poll timeout.
func liveReadAll(t *testing.T, l *LiveSource) []Packet {
	t.Helper()
	var got []Packet
	for {
		p, err := l.ReadPacket()
		if errors.Is(err, ErrNoPacket) {
			return got
		}
		if err != nil {
			t.Fatalf("ReadPacket: %v", err)
		}
		p.Data = append([]byte(nil), p.Data...)
		got = append(got, p)
	}
}

// TestLiveCapture sends frames into one end of a veth pair and captures them on the
// other with the default filter: the filter keeps SIP and drops the rest, a VLAN tag the
// kernel stripped is put back, and the counts add up.
func TestLiveCapture(t *testing.T) {
	inNS := liveNetns(t)
	gw := netip.MustParseAddr("208.78.112.64")
	sbc := netip.MustParseAddr("203.0.113.10")
	sip := fltEth(0x0800, fltIPv4(17, sbc, gw, 5, 0, append(fltUDP(5060, 5060, 'I')[:8], "INVITE sip:x SIP/2.0\r\n\r\n"...)))
	other := fltEth(0x0800, fltIPv4(17, sbc, netip.MustParseAddr("192.0.2.1"), 5, 0, fltUDP(4000, 4001, 0)))
	tagged := fltTag(sip, 0x8100)
	tagged[15] = 210 // VLAN 210
	arp := fltEth(0x0806, make([]byte, 28))
	var l *LiveSource
	inNS(func() {
		var err error
		l, err = OpenLive("vb", LiveConfig{Filter: twilioFilter(), PollTimeout: 20 * time.Millisecond})
		if err != nil {
			t.Fatalf("OpenLive: %v", err)
		}
		s := newRawSender(t, "va")
		for _, f := range [][]byte{sip, other, tagged, arp, sip} {
			s.send(t, f)
		}
	})
	defer l.Close()
	if lt := l.LinkTypes(); len(lt) != 1 || lt[0] != LinkEthernet {
		t.Errorf("LinkTypes() = %v, want [ethernet]", lt)
	}
	got := liveReadAll(t, l)
	want := [][]byte{sip, tagged, sip}
	if len(got) != len(want) {
		t.Fatalf("captured %d packets, want %d (SIP, tagged SIP, SIP)", len(got), len(want))
	}
	for i, p := range got {
		if !bytes.Equal(p.Data, want[i]) || p.Length != len(want[i]) || p.Number != i+1 || p.LinkType != LinkEthernet {
			t.Errorf("packet %d: number %d, length %d, link %v\n got % x\nwant % x", i, p.Number, p.Length, p.LinkType, p.Data, want[i])
		}
		if d := time.Since(p.Time); d < 0 || d > time.Minute {
			t.Errorf("packet %d: time %v is not now", i, p.Time)
		}
	}
	st := l.Stats()
	if st.Received != 3 || st.Read != 3 || st.Dropped != 0 || st.Unread() != 0 {
		t.Errorf("stats %+v: want 3 received and read, none dropped", st)
	}
}

// TestLiveDropsCounted overflows a small ring while nothing reads it: every packet the
// filter accepted is then either read or counted as dropped by the kernel.
func TestLiveDropsCounted(t *testing.T) {
	inNS := liveNetns(t)
	const sent = 3000
	frame := fltEth(0x0800, fltIPv4(17, netip.MustParseAddr("203.0.113.10"), netip.MustParseAddr("208.78.112.64"), 5, 0,
		append(fltUDP(5060, 5060, 0)[:8], make([]byte, 1200)...)))
	var l *LiveSource
	inNS(func() {
		var err error
		// Captured where it is sent: the transmit path hands every frame to the socket
		// before the veth could drop it.
		l, err = OpenLive("va", LiveConfig{Filter: twilioFilter(), RingSize: 2 * LiveBlockSize, PollTimeout: 20 * time.Millisecond})
		if err != nil {
			t.Fatalf("OpenLive: %v", err)
		}
		s := newRawSender(t, "va")
		for i := 0; i < sent; i++ {
			binary.BigEndian.PutUint16(frame[18:], uint16(i)) // IP ID: distinct frames
			s.send(t, frame)
		}
	})
	defer l.Close()
	got := liveReadAll(t, l)
	st := l.Stats()
	if st.Dropped == 0 {
		t.Errorf("no drop counted: %d frames of %d bytes fit in a %d KiB ring?", sent, len(frame), 2*LiveBlockSize>>10)
	}
	if st.Received != sent || st.Read != uint64(len(got)) || st.Read+st.Dropped != sent {
		t.Errorf("stats %+v, %d packets read: want %d received = read + dropped", st, len(got), sent)
	}
	for i := 1; i < len(got); i++ {
		if got[i].Number != got[i-1].Number+1 {
			t.Fatalf("packet numbers %d then %d", got[i-1].Number, got[i].Number)
		}
	}
}

// TestLiveReopen takes the interface down under the capture and brings it back: the read
// fails, and Reopen resumes the capture with the counts kept.
func TestLiveReopen(t *testing.T) {
	inNS := liveNetns(t)
	frame := fltEth(0x0800, fltIPv4(17, netip.MustParseAddr("203.0.113.10"), netip.MustParseAddr("208.78.112.64"), 5, 0, fltUDP(5060, 5060, 0)))
	var l *LiveSource
	var s *rawSender
	inNS(func() {
		var err error
		if l, err = OpenLive("va", LiveConfig{PollTimeout: 20 * time.Millisecond}); err != nil {
			t.Fatalf("OpenLive: %v", err)
		}
		s = newRawSender(t, "va")
		s.send(t, frame)
	})
	defer l.Close()
	if got := liveReadAll(t, l); len(got) != 1 {
		t.Fatalf("read %d packets before the interface went down, want 1", len(got))
	}
	var readErr error
	inNS(func() {
		if out, err := exec.Command("ip", "link", "set", "va", "down").CombinedOutput(); err != nil {
			t.Fatalf("ip link set va down: %v %s", err, out)
		}
		for i := 0; i < 20 && readErr == nil; i++ {
			_, readErr = l.ReadPacket()
			if errors.Is(readErr, ErrNoPacket) {
				readErr = nil
			}
		}
		if out, err := exec.Command("ip", "link", "set", "va", "up").CombinedOutput(); err != nil {
			t.Fatalf("ip link set va up: %v %s", err, out)
		}
		if err := l.Reopen(); err != nil {
			t.Fatalf("Reopen: %v", err)
		}
		s.send(t, frame)
	})
	if readErr == nil {
		t.Errorf("reading while the interface is down reports no error")
	}
	got := liveReadAll(t, l)
	st := l.Stats()
	if len(got) != 1 || got[0].Number != 2 || st.Read != 2 || st.Received != 2 || st.Reopened != 1 {
		t.Errorf("after Reopen: read %d packets, stats %+v; want packet number 2, 2 read and received, 1 reopen", len(got), st)
	}
}

// TestOpenLiveErrors checks the errors that name what is wrong.
func TestOpenLiveErrors(t *testing.T) {
	_, err := OpenLive("nosuch0", LiveConfig{})
	if !errors.Is(err, ErrNoInterface) || !strings.HasPrefix(err.Error(), "nosuch0: ") {
		t.Errorf("missing interface: got %v, want an error naming it and wrapping ErrNoInterface", err)
	}
	_, err = OpenLive("lo", LiveConfig{SnapLen: 1})
	if err == nil || !strings.Contains(err.Error(), "snap length") {
		t.Errorf("snap length 1: got %v", err)
	}
	if os.Geteuid() != 0 {
		_, err = OpenLive("lo", LiveConfig{})
		if !errors.Is(err, ErrNeedCapNetRaw) {
			t.Errorf("without privileges: got %v, want ErrNeedCapNetRaw", err)
		}
		return
	}
	if _, err := exec.LookPath("tcpdump"); err == nil {
		_, err = OpenLive("lo", LiveConfig{Filter: FilterExpr("udp and")})
		if !errors.Is(err, ErrFilter) {
			t.Errorf("bad filter: got %v, want ErrFilter", err)
		}
	}
}
