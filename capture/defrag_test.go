package capture

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// defragTProto is an IP protocol the decoder leaves alone, so a reassembled datagram's
// bytes are its Payload.
const defragTProto = 253

// defragTTime is the packet time of the tests' first fragment.
var defragTTime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// defragTBigSIP is a UDP payload too large for one Ethernet frame.
var defragTBigSIP = bytes.Repeat([]byte("INVITE sip:alice@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1:5060\r\n"), 40)

// defragTDatagram is a UDP datagram carrying defragTBigSIP, without its IP header.
func defragTDatagram(t testing.TB) []byte {
	return decodeTSerialize(t, decodeTUDP(5060, 5062), gopacket.Payload(defragTBigSIP))
}

// defragTIPv4 splits an IPv4 datagram's payload into Ethernet frames of at most size
// bytes of payload each (size a multiple of 8).
func defragTIPv4(t testing.TB, src, dst netip.Addr, id uint16, proto layers.IPProtocol, payload []byte, size int) [][]byte {
	t.Helper()
	var frames [][]byte
	for off := 0; off < len(payload); off += size {
		end := min(off+size, len(payload))
		ip := decodeTIPv4(src, dst, proto)
		ip.Id, ip.FragOffset = id, uint16(off/8)
		if end < len(payload) {
			ip.Flags = layers.IPv4MoreFragments
		}
		frames = append(frames, decodeTSerialize(t, decodeTEth(layers.EthernetTypeIPv4), ip, gopacket.Payload(payload[off:end])))
	}
	return frames
}

// defragTIPv6 splits an IPv6 datagram's fragmentable part into Ethernet frames.
func defragTIPv6(t testing.TB, src, dst netip.Addr, id uint32, next layers.IPProtocol, payload []byte, size int) [][]byte {
	t.Helper()
	var frames [][]byte
	for off := 0; off < len(payload); off += size {
		end := min(off+size, len(payload))
		frag := &layers.IPv6Fragment{NextHeader: next, FragmentOffset: uint16(off / 8), MoreFragments: end < len(payload), Identification: id}
		frames = append(frames, decodeTSerialize(t, decodeTEth(layers.EthernetTypeIPv6), decodeTIPv6(src, dst, layers.IPProtocolIPv6Fragment), frag, gopacket.Payload(payload[off:end])))
	}
	return frames
}

// defragTResult is what became of one frame given to Add.
type defragTResult struct {
	done  bool
	frame Frame // when done, with its payload copied
}

// defragTRun decodes Ethernet frames and gives the fragments among them to d, one second
// of packet time apart; a frame that completes a datagram whose inner packet is again a
// fragment is given to d again.
func defragTRun(t *testing.T, d *Defragmenter, frames [][]byte) []defragTResult {
	t.Helper()
	var dec Decoder
	var results []defragTResult
	for i, data := range frames {
		p := Packet{LinkType: LinkEthernet, Length: len(data), Data: data, Time: defragTTime.Add(time.Duration(i) * time.Second)}
		var f Frame
		if gap := dec.Decode(&p, &f); gap != GapNone {
			t.Fatalf("frame %d: decode gap %q", i, gap)
		}
		if !f.Fragment.Is {
			t.Fatalf("frame %d: not a fragment", i)
		}
		done := false
		for f.Fragment.Is {
			if done = d.Add(&f, p.Time); !done {
				break
			}
		}
		r := defragTResult{done: done}
		if done {
			r.frame = f
			r.frame.Payload = slices.Clone(f.Payload)
		}
		results = append(results, r)
	}
	return results
}

// defragTCheckStats checks that every fragment is counted exactly once.
func defragTCheckStats(t *testing.T, d *Defragmenter) DefragStats {
	t.Helper()
	s := d.Stats()
	sum := s.FragmentsUsed + s.FragmentsDuplicate + s.FragmentsIncomplete + s.FragmentsEvicted + s.FragmentsDropped + s.Pending
	if s.Fragments != sum {
		t.Errorf("stats do not add up: %d fragments, %d counted: %+v", s.Fragments, sum, s)
	}
	if s.Pending < 0 || s.Bytes < 0 || s.PendingDatagrams < 0 {
		t.Errorf("negative counters: %+v", s)
	}
	if (s.PendingDatagrams == 0) != (s.Pending == 0) || (s.PendingDatagrams == 0) != (s.Bytes == 0) {
		t.Errorf("pending datagrams, fragments and bytes disagree: %+v", s)
	}
	return s
}

// defragTPermute returns frames in the order of idx.
func defragTPermute(frames [][]byte, idx ...int) [][]byte {
	out := make([][]byte, len(idx))
	for i, j := range idx {
		out[i] = frames[j]
	}
	return out
}

func TestDefragOrders(t *testing.T) {
	datagram := defragTDatagram(t)
	v4 := defragTIPv4(t, decodeTSrc4, decodeTDst4, 77, layers.IPProtocolUDP, datagram, 1000)
	v6 := defragTIPv6(t, decodeTSrc6, decodeTDst6, 0x1234567, layers.IPProtocolUDP, datagram, 1000)
	small := defragTIPv4(t, decodeTSrc4, decodeTDst4, 78, layers.IPProtocolUDP, datagram, 256)
	if len(v4) != 3 || len(v6) != 3 || len(small) != 12 {
		t.Fatalf("test setup: %d, %d and %d fragments", len(v4), len(v6), len(small))
	}
	shuffled := func(frames [][]byte, seed uint64) [][]byte {
		out := slices.Clone(frames)
		rand.New(rand.NewPCG(seed, 0)).Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
		return out
	}
	tests := []struct {
		name      string
		frames    [][]byte
		doneAt    int // index of the frame that completes the datagram
		wantStats DefragStats
	}{
		{"ipv4 in order", v4, 2, DefragStats{Fragments: 3, FragmentsUsed: 3, Completed: 1}},
		{"ipv4 reversed", defragTPermute(v4, 2, 1, 0), 2, DefragStats{Fragments: 3, FragmentsUsed: 3, Completed: 1}},
		{"ipv4 last first", defragTPermute(v4, 2, 0, 1), 2, DefragStats{Fragments: 3, FragmentsUsed: 3, Completed: 1}},
		{"ipv4 duplicated", defragTPermute(v4, 0, 0, 1, 1, 2), 4, DefragStats{Fragments: 5, FragmentsUsed: 3, FragmentsDuplicate: 2, Completed: 1}},
		{"ipv4 12 fragments shuffled, seed 1", shuffled(small, 1), 11, DefragStats{Fragments: 12, FragmentsUsed: 12, Completed: 1}},
		{"ipv4 12 fragments shuffled, seed 2", shuffled(small, 2), 11, DefragStats{Fragments: 12, FragmentsUsed: 12, Completed: 1}},
		{"ipv4 12 fragments shuffled, seed 3", shuffled(small, 3), 11, DefragStats{Fragments: 12, FragmentsUsed: 12, Completed: 1}},
		{"ipv6 in order", v6, 2, DefragStats{Fragments: 3, FragmentsUsed: 3, Completed: 1}},
		{"ipv6 reversed", defragTPermute(v6, 2, 1, 0), 2, DefragStats{Fragments: 3, FragmentsUsed: 3, Completed: 1}},
		{"ipv6 exact duplicate", defragTPermute(v6, 1, 0, 1, 2), 3, DefragStats{Fragments: 4, FragmentsUsed: 3, FragmentsDuplicate: 1, Completed: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := NewDefragmenter(DefragConfig{})
			results := defragTRun(t, d, tt.frames)
			for i, r := range results {
				if r.done != (i == tt.doneAt) {
					t.Fatalf("frame %d: done = %v, want done only at frame %d", i, r.done, tt.doneAt)
				}
			}
			f := results[tt.doneAt].frame
			src, dst := decodeTSrc4, decodeTDst4
			if f.IPVersion == 6 {
				src, dst = decodeTSrc6, decodeTDst6
			}
			want := Frame{Encap: EncapFragmented, IPVersion: f.IPVersion, Src: src, Dst: dst, Proto: ProtoUDP,
				SrcPort: 5060, DstPort: 5062, Payload: defragTBigSIP}
			if diff := cmp.Diff(want, f, decodeTCmp...); diff != "" {
				t.Errorf("reassembled frame mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantStats, defragTCheckStats(t, d)); diff != "" {
				t.Errorf("stats mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// defragTFrame is a fragment made directly, for tests about bytes and limits.
func defragTFrame(version uint8, id uint32, off int, more bool, data []byte) Frame {
	src, dst := decodeTSrc4, decodeTDst4
	if version == 6 {
		src, dst = decodeTSrc6, decodeTDst6
	}
	return Frame{IPVersion: version, Src: src, Dst: dst, Proto: defragTProto, Payload: data,
		Fragment: FragmentInfo{Is: true, ID: id, Offset: off, More: more}}
}

// defragTAdd gives fragments to d, each a second after the last, and returns the payload
// of each datagram they complete.
func defragTAdd(t *testing.T, d *Defragmenter, frames ...Frame) [][]byte {
	t.Helper()
	var out [][]byte
	for i := range frames {
		f := frames[i]
		if d.Add(&f, defragTTime.Add(time.Duration(i)*time.Second)) {
			if f.Fragment.Is || f.Encap&EncapFragmented == 0 || f.Proto != defragTProto {
				t.Errorf("fragment %d completed a datagram but left %+v", i, f)
			}
			out = append(out, slices.Clone(f.Payload))
		}
	}
	return out
}

func TestDefragOverlapsAndErrors(t *testing.T) {
	A8, B8, C8 := bytes.Repeat([]byte("A"), 8), bytes.Repeat([]byte("B"), 8), bytes.Repeat([]byte("C"), 8)
	A16, B16 := bytes.Repeat([]byte("A"), 16), bytes.Repeat([]byte("B"), 16)
	cat := decodeTCat
	tests := []struct {
		name      string
		frames    []Frame
		flush     bool
		want      [][]byte // payloads of completed datagrams
		wantStats DefragStats
	}{
		{name: "ipv4 overlap: the first bytes win",
			frames:    []Frame{defragTFrame(4, 1, 0, true, A16), defragTFrame(4, 1, 8, true, B16), defragTFrame(4, 1, 24, false, C8)},
			want:      [][]byte{cat(A16, B8, C8)},
			wantStats: DefragStats{Fragments: 3, FragmentsUsed: 3, Completed: 1}},
		{name: "ipv4 overlap the other way round: the first bytes win",
			frames:    []Frame{defragTFrame(4, 1, 8, true, B16), defragTFrame(4, 1, 0, true, A16), defragTFrame(4, 1, 24, false, C8)},
			want:      [][]byte{cat(A8, B16, C8)},
			wantStats: DefragStats{Fragments: 3, FragmentsUsed: 3, Completed: 1}},
		{name: "ipv4 fragment inside a gap and over both neighbours",
			frames:    []Frame{defragTFrame(4, 1, 0, true, A8), defragTFrame(4, 1, 16, false, C8), defragTFrame(4, 1, 0, true, cat(B16, B8))},
			want:      [][]byte{cat(A8, B8, C8)},
			wantStats: DefragStats{Fragments: 3, FragmentsUsed: 3, Completed: 1}},
		{name: "ipv4 fragment wholly covered is a duplicate",
			frames:    []Frame{defragTFrame(4, 1, 0, true, A16), defragTFrame(4, 1, 8, true, B8), defragTFrame(4, 1, 16, false, C8)},
			want:      [][]byte{cat(A16, C8)},
			wantStats: DefragStats{Fragments: 3, FragmentsUsed: 2, FragmentsDuplicate: 1, Completed: 1}},
		{name: "ipv6 overlap drops the datagram",
			frames:    []Frame{defragTFrame(6, 1, 0, true, A16), defragTFrame(6, 1, 8, true, B16), defragTFrame(6, 1, 24, false, C8)},
			flush:     true,
			wantStats: DefragStats{Fragments: 3, FragmentsDropped: 2, FragmentsIncomplete: 1}},
		{name: "ipv6 same range, other bytes, drops the datagram",
			frames:    []Frame{defragTFrame(6, 1, 0, true, A8), defragTFrame(6, 1, 0, true, B8), defragTFrame(6, 1, 8, false, C8)},
			flush:     true,
			wantStats: DefragStats{Fragments: 3, FragmentsDropped: 2, FragmentsIncomplete: 1}},
		{name: "ipv6 and ipv4 fragments with the same id are different datagrams",
			frames:    []Frame{defragTFrame(6, 1, 0, true, A8), defragTFrame(4, 1, 8, false, B8), defragTFrame(6, 1, 8, false, C8), defragTFrame(4, 1, 0, true, C8)},
			want:      [][]byte{cat(A8, C8), cat(C8, B8)},
			wantStats: DefragStats{Fragments: 4, FragmentsUsed: 4, Completed: 2}},
		{name: "two last fragments with different ends",
			frames:    []Frame{defragTFrame(4, 1, 0, true, A8), defragTFrame(4, 1, 16, false, B8), defragTFrame(4, 1, 24, false, C8)},
			wantStats: DefragStats{Fragments: 3, FragmentsDropped: 3}},
		{name: "the same last fragment twice",
			frames:    []Frame{defragTFrame(4, 1, 8, false, B8), defragTFrame(4, 1, 8, false, B8), defragTFrame(4, 1, 0, true, A8)},
			want:      [][]byte{cat(A8, B8)},
			wantStats: DefragStats{Fragments: 3, FragmentsUsed: 2, FragmentsDuplicate: 1, Completed: 1}},
		{name: "a fragment past the known end",
			frames:    []Frame{defragTFrame(4, 1, 8, false, B8), defragTFrame(4, 1, 8, true, B16)},
			wantStats: DefragStats{Fragments: 2, FragmentsDropped: 2}},
		{name: "a last fragment before bytes already held",
			frames:    []Frame{defragTFrame(4, 1, 16, true, B8), defragTFrame(4, 1, 0, false, A8)},
			wantStats: DefragStats{Fragments: 2, FragmentsDropped: 2}},
		{name: "ipv4 fragment beyond 65535 bytes",
			frames:    []Frame{defragTFrame(4, 1, 65512, false, A8)},
			wantStats: DefragStats{Fragments: 1, FragmentsDropped: 1}},
		{name: "ipv6 fragment beyond 65535 bytes",
			frames:    []Frame{defragTFrame(6, 1, 65528, false, A8)},
			wantStats: DefragStats{Fragments: 1, FragmentsDropped: 1}},
		{name: "offset that would overflow",
			frames:    []Frame{defragTFrame(4, 1, math.MaxInt-7, false, A16)},
			wantStats: DefragStats{Fragments: 1, FragmentsDropped: 1}},
		{name: "largest ipv4 datagram",
			frames:    []Frame{defragTFrame(4, 1, 0, true, make([]byte, 65504)), defragTFrame(4, 1, 65504, false, make([]byte, 11))},
			want:      [][]byte{make([]byte, 65515)},
			wantStats: DefragStats{Fragments: 2, FragmentsUsed: 2, Completed: 1}},
		{name: "not-last fragment of a length not a multiple of 8",
			frames:    []Frame{defragTFrame(4, 1, 0, true, A8[:5])},
			wantStats: DefragStats{Fragments: 1, FragmentsDropped: 1}},
		{name: "misaligned offset",
			frames:    []Frame{defragTFrame(4, 1, 4, false, A8)},
			wantStats: DefragStats{Fragments: 1, FragmentsDropped: 1}},
		{name: "empty not-last fragment",
			frames:    []Frame{defragTFrame(4, 1, 0, true, nil)},
			wantStats: DefragStats{Fragments: 1, FragmentsDropped: 1}},
		{name: "empty last fragment ends the datagram",
			frames:    []Frame{defragTFrame(4, 1, 16, false, nil), defragTFrame(4, 1, 0, true, A16)},
			want:      [][]byte{A16},
			wantStats: DefragStats{Fragments: 2, FragmentsUsed: 2, Completed: 1}},
		{name: "fragment cut by the snap length",
			frames:    func() []Frame { f := defragTFrame(4, 1, 0, true, A8); f.Cut = true; return []Frame{f} }(),
			wantStats: DefragStats{Fragments: 1, FragmentsDropped: 1}},
		{name: "not an IP version",
			frames:    []Frame{defragTFrame(5, 1, 0, true, A8)},
			wantStats: DefragStats{Fragments: 1, FragmentsDropped: 1}},
		{name: "never completes",
			frames:    []Frame{defragTFrame(4, 1, 0, true, A8), defragTFrame(4, 1, 16, false, C8), defragTFrame(4, 2, 0, true, A8)},
			flush:     true,
			wantStats: DefragStats{Fragments: 3, FragmentsIncomplete: 3}},
		{name: "pending at the end",
			frames:    []Frame{defragTFrame(4, 1, 0, true, A8), defragTFrame(6, 1, 16, false, C8)},
			wantStats: DefragStats{Fragments: 2, Pending: 2, PendingDatagrams: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := NewDefragmenter(DefragConfig{})
			got := defragTAdd(t, d, tt.frames...)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("completed datagrams mismatch (-want +got):\n%s", diff)
			}
			if tt.flush {
				d.Flush()
			}
			s := defragTCheckStats(t, d)
			s.Bytes = 0 // defragTCheckStats checks it is 0 exactly when nothing is pending
			if diff := cmp.Diff(tt.wantStats, s); diff != "" {
				t.Errorf("stats mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDefragTimeout(t *testing.T) {
	A8, B8 := bytes.Repeat([]byte("A"), 8), bytes.Repeat([]byte("B"), 8)
	d := NewDefragmenter(DefragConfig{Timeout: 10 * time.Second})
	add := func(f Frame, at time.Duration) bool { return d.Add(&f, defragTTime.Add(at)) }

	add(defragTFrame(4, 1, 0, true, A8), 0)
	add(defragTFrame(4, 2, 0, true, A8), 5*time.Second)
	if n := d.Expire(defragTTime.Add(10 * time.Second)); n != 0 {
		t.Errorf("Expire at the timeout dropped %d fragments, want 0", n)
	}
	// Datagram 1 is 11 s old when its last fragment comes: it expired, and the last
	// fragment starts a new datagram.
	if add(defragTFrame(4, 1, 8, false, B8), 11*time.Second) {
		t.Error("a fragment completed a datagram that had expired")
	}
	if s := defragTCheckStats(t, d); s.FragmentsIncomplete != 1 || s.Pending != 2 {
		t.Errorf("after expiry of datagram 1: %+v, want 1 incomplete and 2 pending", s)
	}
	if n := d.Expire(defragTTime.Add(16 * time.Second)); n != 1 {
		t.Errorf("Expire dropped %d fragments of datagram 2, want 1", n)
	}
	if !add(defragTFrame(4, 1, 0, true, A8), 12*time.Second) {
		t.Error("datagram 1 restarted did not complete")
	}
	if n := d.Flush(); n != 0 {
		t.Errorf("Flush dropped %d fragments, want 0", n)
	}
	want := DefragStats{Fragments: 4, FragmentsUsed: 2, FragmentsIncomplete: 2, Completed: 1}
	if diff := cmp.Diff(want, defragTCheckStats(t, d)); diff != "" {
		t.Errorf("stats mismatch (-want +got):\n%s", diff)
	}
}

func TestDefragLimits(t *testing.T) {
	A8, B8 := bytes.Repeat([]byte("A"), 8), bytes.Repeat([]byte("B"), 8)
	t.Run("MaxDatagrams evicts the oldest", func(t *testing.T) {
		d := NewDefragmenter(DefragConfig{MaxDatagrams: 2})
		got := defragTAdd(t, d,
			defragTFrame(4, 1, 0, true, A8), defragTFrame(4, 2, 0, true, A8), defragTFrame(4, 3, 0, true, A8),
			defragTFrame(4, 2, 8, false, B8), defragTFrame(4, 1, 8, false, B8))
		if len(got) != 1 {
			t.Errorf("completed %d datagrams, want 1 (datagram 2)", len(got))
		}
		want := DefragStats{Fragments: 5, FragmentsUsed: 2, FragmentsEvicted: 1, Pending: 2, Completed: 1, PendingDatagrams: 2}
		s := defragTCheckStats(t, d)
		s.Bytes = 0
		if diff := cmp.Diff(want, s); diff != "" {
			t.Errorf("stats mismatch (-want +got):\n%s", diff)
		}
	})
	t.Run("MaxBytes evicts the oldest", func(t *testing.T) {
		d := NewDefragmenter(DefragConfig{MaxBytes: 10000})
		defragTAdd(t, d, defragTFrame(4, 1, 0, true, make([]byte, 5000)), defragTFrame(4, 2, 0, true, make([]byte, 5000)))
		if s := defragTCheckStats(t, d); s.FragmentsEvicted != 1 || s.Pending != 1 || s.Bytes > 10000 {
			t.Errorf("stats %+v, want datagram 1 evicted and at most 10000 bytes", s)
		}
	})
	t.Run("a datagram larger than MaxBytes is evicted", func(t *testing.T) {
		d := NewDefragmenter(DefragConfig{MaxBytes: 3000})
		defragTAdd(t, d, defragTFrame(4, 1, 0, true, make([]byte, 1600)), defragTFrame(4, 1, 1600, true, make([]byte, 1600)))
		want := DefragStats{Fragments: 2, FragmentsEvicted: 2}
		if diff := cmp.Diff(want, defragTCheckStats(t, d)); diff != "" {
			t.Errorf("stats mismatch (-want +got):\n%s", diff)
		}
	})
	t.Run("MaxFragments drops the datagram", func(t *testing.T) {
		d := NewDefragmenter(DefragConfig{MaxFragments: 3})
		var frames []Frame
		for i := range 5 {
			frames = append(frames, defragTFrame(4, 1, 16*i, true, A8))
		}
		defragTAdd(t, d, frames...)
		want := DefragStats{Fragments: 5, FragmentsDropped: 4, Pending: 1, PendingDatagrams: 1}
		s := defragTCheckStats(t, d)
		s.Bytes = 0
		if diff := cmp.Diff(want, s); diff != "" {
			t.Errorf("stats mismatch (-want +got):\n%s", diff)
		}
	})
	t.Run("memory stays bounded under a flood", func(t *testing.T) {
		const maxBytes = 1 << 20
		d := NewDefragmenter(DefragConfig{MaxBytes: maxBytes, MaxDatagrams: 100})
		data := make([]byte, 1480)
		for i := range 5000 {
			f := defragTFrame(4, uint32(i), 8*(i%5000), true, data)
			d.Add(&f, defragTTime)
			if s := d.Stats(); s.Bytes > maxBytes || s.PendingDatagrams > 100 {
				t.Fatalf("after %d fragments: %d bytes, %d datagrams", i+1, s.Bytes, s.PendingDatagrams)
			}
		}
		defragTCheckStats(t, d)
	})
}

func TestDefragNotAFragment(t *testing.T) {
	d := NewDefragmenter(DefragConfig{})
	f := decodeTUDPFrame(decodeTSrc4, decodeTDst4, 0, 0)
	want := f
	if !d.Add(&f, defragTTime) {
		t.Error("Add of a whole datagram returned false")
	}
	if diff := cmp.Diff(want, f, decodeTCmp...); diff != "" {
		t.Errorf("Add changed a whole datagram (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(DefragStats{}, d.Stats()); diff != "" {
		t.Errorf("Add of a whole datagram counted (-want +got):\n%s", diff)
	}
}

func TestDefragUndecodable(t *testing.T) {
	datagram := defragTDatagram(t)
	binary.BigEndian.PutUint16(datagram[4:], 7) // UDP length below its header
	d := NewDefragmenter(DefragConfig{})
	results := defragTRun(t, d, defragTIPv4(t, decodeTSrc4, decodeTDst4, 1, layers.IPProtocolUDP, datagram, 1000))
	for i, r := range results {
		if r.done {
			t.Errorf("frame %d: a malformed datagram was returned as done", i)
		}
	}
	if d.Gap() != GapMalformed {
		t.Errorf("Gap() = %q, want %q", d.Gap(), GapMalformed)
	}
	want := DefragStats{Fragments: 3, FragmentsUsed: 3, Completed: 1, Undecodable: 1}
	if diff := cmp.Diff(want, defragTCheckStats(t, d)); diff != "" {
		t.Errorf("stats mismatch (-want +got):\n%s", diff)
	}
}

func TestDefragIPv6ExtensionHeaders(t *testing.T) {
	// The fragmentable part starts with a destination options header.
	part := decodeTCat([]byte{17, 0, 1, 4, 0, 0, 0, 0}, defragTDatagram(t))
	frames := defragTIPv6(t, decodeTSrc6, decodeTDst6, 9, layers.IPProtocolIPv6Destination, part, 1232)
	frames = defragTPermute(frames, 2, 1, 0)
	d := NewDefragmenter(DefragConfig{})
	results := defragTRun(t, d, frames)
	if !results[2].done {
		t.Fatal("datagram did not complete")
	}
	want := Frame{Encap: EncapFragmented, IPVersion: 6, Src: decodeTSrc6, Dst: decodeTDst6, Proto: ProtoUDP, SrcPort: 5060, DstPort: 5062, Payload: defragTBigSIP}
	if diff := cmp.Diff(want, results[2].frame, decodeTCmp...); diff != "" {
		t.Errorf("reassembled frame mismatch (-want +got):\n%s", diff)
	}
	defragTCheckStats(t, d)
}

func TestDefragTunnels(t *testing.T) {
	inner := decodeTCat(decodeTSerialize(t, decodeTIPv4(decodeTSrc4, decodeTDst4, layers.IPProtocolUDP)), defragTDatagram(t))
	binary.BigEndian.PutUint16(inner[2:], uint16(len(inner))) // serialized alone, the header says 20
	// A GRE packet (GRE header + inner datagram) fragmented by the outer IPv4 layer.
	greOuter := decodeTCat(decodeTSerialize(t, &layers.GRE{Protocol: layers.EthernetTypeIPv4}), inner)
	frames := defragTIPv4(t, decodeTOuterSrc4, decodeTOuterDst4, 5, layers.IPProtocolGRE, greOuter, 1400)

	t.Run("fragmented gre", func(t *testing.T) {
		d := NewDefragmenter(DefragConfig{})
		results := defragTRun(t, d, defragTPermute(frames, 1, 2, 0))
		if !results[2].done {
			t.Fatal("datagram did not complete")
		}
		want := Frame{Encap: EncapGRE | EncapFragmented, IPVersion: 4, Src: decodeTSrc4, Dst: decodeTDst4, Proto: ProtoUDP, SrcPort: 5060, DstPort: 5062, Payload: defragTBigSIP}
		if diff := cmp.Diff(want, results[2].frame, decodeTCmp...); diff != "" {
			t.Errorf("reassembled frame mismatch (-want +got):\n%s", diff)
		}
		defragTCheckStats(t, d)
	})

	t.Run("gre carrying fragments", func(t *testing.T) {
		var frames [][]byte
		for _, innerFrag := range defragTIPv4(t, decodeTSrc4, decodeTDst4, 6, layers.IPProtocolUDP, defragTDatagram(t), 1400) {
			frames = append(frames, decodeTSerialize(t, decodeTEth(layers.EthernetTypeIPv4), decodeTIPv4(decodeTOuterSrc4, decodeTOuterDst4, layers.IPProtocolGRE),
				&layers.GRE{Protocol: layers.EthernetTypeIPv4}, gopacket.Payload(innerFrag[14:])))
		}
		d := NewDefragmenter(DefragConfig{})
		results := defragTRun(t, d, defragTPermute(frames, 2, 0, 1))
		if !results[2].done {
			t.Fatal("datagram did not complete")
		}
		want := Frame{Encap: EncapGRE | EncapFragmented, IPVersion: 4, Src: decodeTSrc4, Dst: decodeTDst4, Proto: ProtoUDP, SrcPort: 5060, DstPort: 5062, Payload: defragTBigSIP}
		if diff := cmp.Diff(want, results[2].frame, decodeTCmp...); diff != "" {
			t.Errorf("reassembled frame mismatch (-want +got):\n%s", diff)
		}
		defragTCheckStats(t, d)
	})

	t.Run("fragmented gre carrying fragments", func(t *testing.T) {
		// The inner datagram in 2 fragments, each in a GRE packet fragmented in 2 by the
		// outer layer. The second outer fragment of each GRE packet yields an inner
		// fragment, which goes to Add again while its payload aliases the Defragmenter.
		var frames [][]byte
		for i, innerFrag := range defragTIPv4(t, decodeTSrc4, decodeTDst4, 7, layers.IPProtocolUDP, defragTDatagram(t), 1600) {
			gre := decodeTCat(decodeTSerialize(t, &layers.GRE{Protocol: layers.EthernetTypeIPv4}), innerFrag[14:])
			frames = append(frames, defragTIPv4(t, decodeTOuterSrc4, decodeTOuterDst4, uint16(100+i), layers.IPProtocolGRE, gre, 800)...)
		}
		if len(frames) != 5 {
			t.Fatalf("test setup: %d outer fragments, want 5", len(frames))
		}
		d := NewDefragmenter(DefragConfig{})
		results := defragTRun(t, d, frames)
		for i, r := range results {
			if r.done != (i == 4) {
				t.Fatalf("frame %d: done = %v, want done only at frame 4", i, r.done)
			}
		}
		want := Frame{Encap: EncapGRE | EncapFragmented, IPVersion: 4, Src: decodeTSrc4, Dst: decodeTDst4, Proto: ProtoUDP, SrcPort: 5060, DstPort: 5062, Payload: defragTBigSIP}
		if diff := cmp.Diff(want, results[4].frame, decodeTCmp...); diff != "" {
			t.Errorf("reassembled frame mismatch (-want +got):\n%s", diff)
		}
		// 5 outer fragments and 2 inner ones, all used; 3 datagrams (2 GRE packets, 1 inner).
		wantStats := DefragStats{Fragments: 7, FragmentsUsed: 7, Completed: 3}
		if diff := cmp.Diff(wantStats, defragTCheckStats(t, d)); diff != "" {
			t.Errorf("stats mismatch (-want +got):\n%s", diff)
		}
	})
}

// TestDefragReusesBuffers reassembles the same 3-fragment datagram over and over: once
// warm, the Defragmenter allocates nothing, and the payload of each completion aliases the
// same buffer.
func TestDefragReusesBuffers(t *testing.T) {
	var dec Decoder
	var frames []Frame
	for _, data := range defragTIPv4(t, decodeTSrc4, decodeTDst4, 1, layers.IPProtocolUDP, defragTDatagram(t), 1480) {
		p := Packet{LinkType: LinkEthernet, Length: len(data), Data: data}
		var f Frame
		dec.Decode(&p, &f)
		frames = append(frames, f)
	}
	d := NewDefragmenter(DefragConfig{})
	var first *byte
	run := func() {
		for i := range frames {
			f := frames[i]
			if d.Add(&f, defragTTime) {
				if first == nil {
					first = &f.Payload[0]
				} else if &f.Payload[0] != first {
					t.Error("a completed datagram is not in the reused buffer")
				}
			}
		}
	}
	run()
	if allocs := testing.AllocsPerRun(100, run); allocs != 0 {
		t.Errorf("reassembly allocated %.1f times per datagram, want 0", allocs)
	}
	if s := defragTCheckStats(t, d); s.Completed != 102 {
		t.Errorf("completed %d datagrams, want 102", s.Completed)
	}
}

// FuzzDefrag feeds fragments described by the input to a Defragmenter with small limits.
// Fragment bytes are a function of their datagram and position, so whatever the overlaps,
// a reassembled datagram must hold exactly those bytes; and the stats must add up.
func FuzzDefrag(f *testing.F) {
	f.Add([]byte{4, 64, 8, 0, 0, 0, 2, 1, 0, 0, 2, 1, 0, 2, 0, 2})
	f.Add([]byte{1, 0, 0, 0, 0, 0, 3, 1, 0, 1, 3, 0, 0, 0, 3, 1, 0, 3, 3, 0})
	f.Add([]byte{2, 1, 1, 0, 0x80, 0, 4, 1, 0x80, 1, 4, 0, 0x81, 0, 4, 1, 0x81, 1, 255, 0})
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) < 3 {
			return
		}
		d := NewDefragmenter(DefragConfig{
			MaxDatagrams: 1 + int(in[0]%8),
			MaxBytes:     1 + int(in[1])*512,
			MaxFragments: 1 + int(in[2]%16),
			Timeout:      5 * time.Second,
		})
		in = in[3:]
		var buf []byte
		for i := 0; len(in) >= 4; i, in = i+1, in[4:] {
			// key(1): bit 7 IPv6, bits 0-1 ID; offset(1) in 8-byte units; length(1) in
			// 8-byte units (255: 3 bytes); flags(1): bit 0 more, bit 1 cut, bits 4-7 time.
			key, off, n, flags := in[0], int(in[1])*8, int(in[2])*8, in[3]
			if in[2] == 255 {
				n = 3
			}
			version := uint8(4)
			if key&0x80 != 0 {
				version = 6
			}
			id := uint32(key & 0x03)
			buf = buf[:0]
			for j := range n {
				buf = append(buf, defragFuzzByte(version, id, off+j))
			}
			fr := defragTFrame(version, id, off, flags&1 != 0, buf)
			fr.Cut = flags&2 != 0
			at := defragTTime.Add(time.Duration(i+int(flags>>4)) * time.Second)
			if d.Add(&fr, at) {
				for j, b := range fr.Payload {
					if b != defragFuzzByte(version, id, j) {
						t.Fatalf("reassembled byte %d = %d, want %d", j, b, defragFuzzByte(version, id, j))
					}
				}
			}
			defragTCheckStats(t, d)
		}
		d.Flush()
		if s := defragTCheckStats(t, d); s.Pending != 0 || s.PendingDatagrams != 0 || s.Bytes != 0 {
			t.Fatalf("after Flush: %+v", s)
		}
	})
}

// defragFuzzByte is the byte at offset off of a fuzzed datagram.
func defragFuzzByte(version uint8, id uint32, off int) byte {
	return byte(off*7 + int(id)*31 + int(version))
}

func BenchmarkDefrag(b *testing.B) {
	var dec Decoder
	var frames []Frame
	for _, data := range defragTIPv4(b, decodeTSrc4, decodeTDst4, 1, layers.IPProtocolUDP, defragTDatagram(b), 1480) {
		p := Packet{LinkType: LinkEthernet, Length: len(data), Data: data}
		var f Frame
		dec.Decode(&p, &f)
		frames = append(frames, f)
	}
	d := NewDefragmenter(DefragConfig{})
	b.ReportAllocs()
	b.SetBytes(int64(len(defragTBigSIP)))
	for i := 0; b.Loop(); i++ {
		done := false
		for j := range frames {
			f := frames[j]
			f.Fragment.ID = uint32(i) // a new datagram each time
			done = d.Add(&f, defragTTime)
		}
		if !done {
			b.Fatal("datagram did not complete")
		}
	}
}
