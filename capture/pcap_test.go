package capture

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

var (
	le = binary.LittleEndian
	be = binary.BigEndian
)

// TestPcapFormats reads hand-written pcap files in every header variant and checks
// each field of each packet.
func TestPcapFormats(t *testing.T) {
	d1, d2 := payload(1, 60), payload(2, 1514)
	twoRecords := []pcapRecord{
		{sec: 1700000000, frac: 123456, data: d1},
		{sec: 1700000001, frac: 999999, length: 2000, data: d2},
	}
	usTimes := []time.Time{time.Unix(1700000000, 123456000).UTC(), time.Unix(1700000001, 999999000).UTC()}
	nsTimes := []time.Time{time.Unix(1700000000, 123456).UTC(), time.Unix(1700000001, 999999).UTC()}
	twoPackets := func(times []time.Time, lt LinkType) []Packet {
		return []Packet{pkt(1, times[0], lt, 0, 60, d1), pkt(2, times[1], lt, 0, 2000, d2)}
	}
	tests := []struct {
		name    string
		file    pcapFile
		want    []Packet
		wantFCS int
	}{
		{"little-endian microseconds", pcapFile{order: le, magic: magicPcapMicro, minor: 4, snapLen: 65535, linkType: 1, records: twoRecords},
			twoPackets(usTimes, LinkEthernet), 0},
		{"big-endian microseconds", pcapFile{order: be, magic: magicPcapMicro, minor: 4, snapLen: 65535, linkType: 1, records: twoRecords},
			twoPackets(usTimes, LinkEthernet), 0},
		{"little-endian nanoseconds", pcapFile{order: le, magic: magicPcapNano, minor: 4, snapLen: 65535, linkType: 113, records: twoRecords},
			twoPackets(nsTimes, LinkLinuxSLL), 0},
		{"big-endian nanoseconds", pcapFile{order: be, magic: magicPcapNano, minor: 4, snapLen: 65535, linkType: 276, records: twoRecords},
			twoPackets(nsTimes, LinkLinuxSLL2), 0},
		{"little-endian modified pcap", pcapFile{order: le, magic: magicPcapModified, minor: 4, snapLen: 65535, linkType: 101, records: twoRecords},
			twoPackets(usTimes, LinkRaw), 0},
		{"big-endian modified pcap", pcapFile{order: be, magic: magicPcapModified, minor: 4, snapLen: 65535, linkType: 0, records: twoRecords},
			twoPackets(usTimes, LinkNull), 0},
		{"FCS length bits are masked off and reported", pcapFile{order: le, magic: magicPcapMicro, minor: 4, snapLen: 65535,
			linkType: 1 | 0x04000000 | 2<<28, records: twoRecords}, twoPackets(usTimes, LinkEthernet), 4},
		{"FCS length without its present bit is unknown", pcapFile{order: be, magic: magicPcapMicro, minor: 4, snapLen: 65535,
			linkType: 1 | 2<<28, records: twoRecords}, twoPackets(usTimes, LinkEthernet), 0},
		{"reserved upper bits are ignored", pcapFile{order: le, magic: magicPcapMicro, minor: 4, snapLen: 65535,
			linkType: 228 | 0x03ff0000, records: twoRecords}, twoPackets(usTimes, LinkIPv4), 0},
		{"no records", pcapFile{order: le, magic: magicPcapMicro, minor: 4, snapLen: 65535, linkType: 1}, nil, 0},
		{"version 2.2 has swapped lengths", pcapFile{order: le, magic: magicPcapMicro, minor: 2, snapLen: 65535, linkType: 1,
			records: []pcapRecord{{sec: 1, caplen: 100, length: 60, data: d1}}},
			[]Packet{pkt(1, time.Unix(1, 0).UTC(), LinkEthernet, 0, 100, d1)}, 0},
		{"version 2.3 swaps lengths only when captured > original", pcapFile{order: be, magic: magicPcapMicro, minor: 3, snapLen: 65535, linkType: 1,
			records: []pcapRecord{{sec: 1, caplen: 100, length: 60, data: d1}, {sec: 2, caplen: 60, length: 100, data: d1}}},
			[]Packet{pkt(1, time.Unix(1, 0).UTC(), LinkEthernet, 0, 100, d1), pkt(2, time.Unix(2, 0).UTC(), LinkEthernet, 0, 100, d1)}, 0},
		{"captured length above original length is kept", pcapFile{order: le, magic: magicPcapMicro, minor: 4, snapLen: 65535, linkType: 1,
			records: []pcapRecord{{sec: 1, length: 40, data: d1}}},
			[]Packet{pkt(1, time.Unix(1, 0).UTC(), LinkEthernet, 0, 60, d1)}, 0},
		{"empty record", pcapFile{order: le, magic: magicPcapMicro, minor: 4, snapLen: 65535, linkType: 1,
			records: []pcapRecord{{sec: 1, rawLens: true}}},
			[]Packet{pkt(1, time.Unix(1, 0).UTC(), LinkEthernet, 0, 0, []byte{})}, 0},
		{"timestamps are unsigned 32-bit seconds", pcapFile{order: le, magic: magicPcapNano, minor: 4, snapLen: 65535, linkType: 1,
			records: []pcapRecord{{sec: 0xffffffff, frac: 999999999, data: d1}}},
			[]Packet{pkt(1, time.Unix(0xffffffff, 999999999).UTC(), LinkEthernet, 0, 60, d1)}, 0},
		{"snap length 0 accepts records up to 256 KiB", pcapFile{order: le, magic: magicPcapMicro, minor: 4, snapLen: 0, linkType: 1,
			records: []pcapRecord{{data: payload(3, 256<<10)}}},
			[]Packet{pkt(1, time.Unix(0, 0).UTC(), LinkEthernet, 0, 256<<10, payload(3, 256<<10))}, 0},
		{"a huge snap length accepts a record above 256 KiB", pcapFile{order: le, magic: magicPcapMicro, minor: 4, snapLen: 0xffffffff, linkType: 1,
			records: []pcapRecord{{data: payload(4, 300_000)}}},
			[]Packet{pkt(1, time.Unix(0, 0).UTC(), LinkEthernet, 0, 300_000, payload(4, 300_000))}, 0},
		{"records longer than the buffer", pcapFile{order: be, magic: magicPcapMicro, minor: 4, snapLen: 4 << 20, linkType: 1,
			records: []pcapRecord{{data: payload(5, 3<<20)}, {data: d1}}},
			[]Packet{pkt(1, time.Unix(0, 0).UTC(), LinkEthernet, 0, 3<<20, payload(5, 3<<20)), pkt(2, time.Unix(0, 0).UTC(), LinkEthernet, 0, 60, d1)}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, _ := tt.file.bytes()
			src, err := NewReader("test.pcap", bytes.NewReader(b))
			if err != nil {
				t.Fatalf("NewReader: %v", err)
			}
			got, err := readAll(t, src)
			if err != io.EOF {
				t.Errorf("final error = %v, want io.EOF", err)
			}
			if diff := diffPackets(tt.want, got); diff != "" {
				t.Errorf("packets (-want +got):\n%s", diff)
			}
			r := src.(*PcapReader)
			if lts := r.LinkTypes(); len(lts) != 1 || lts[0] != LinkType(tt.file.linkType&0xffff) {
				t.Errorf("LinkTypes = %v, want [%v]", lts, LinkType(tt.file.linkType&0xffff))
			}
			if r.FCSLength() != tt.wantFCS {
				t.Errorf("FCSLength = %d, want %d", r.FCSLength(), tt.wantFCS)
			}
			if r.BytesRead() != int64(len(b)) {
				t.Errorf("BytesRead = %d, want the file size %d", r.BytesRead(), len(b))
			}
		})
	}
}

// TestPcapErrors checks the errors of damaged pcap files: the sentinel, the message,
// and that every record before the damage is returned.
func TestPcapErrors(t *testing.T) {
	d := payload(1, 100)
	ok := pcapRecord{sec: 1, data: d}
	tests := []struct {
		name      string
		file      pcapFile
		cut       int // bytes to drop from the end
		wantOpen  error
		wantErr   error
		wantCount int
		wantMsg   string
	}{
		{name: "unsupported link type",
			file:     pcapFile{order: le, magic: magicPcapMicro, minor: 4, snapLen: 65535, linkType: 147},
			wantOpen: ErrUnsupportedLinkType, wantMsg: "x.pcap: link type 147 (linktype-147) is not supported"},
		{name: "unsupported link type after masking",
			file:     pcapFile{order: be, magic: magicPcapMicro, minor: 4, snapLen: 65535, linkType: 0x04000000 | 105},
			wantOpen: ErrUnsupportedLinkType, wantMsg: "x.pcap: link type 105 (linktype-105) is not supported"},
		{name: "unknown major version",
			file:     pcapFile{order: le, magic: magicPcapMicro, major: 3, minor: 0, snapLen: 65535, linkType: 1},
			wantOpen: ErrCorrupt, wantMsg: "x.pcap: file header at byte offset 0: unsupported pcap format version 3.0"},
		{name: "file header cut",
			file: pcapFile{order: le, magic: magicPcapMicro, minor: 4, snapLen: 65535, linkType: 1}, cut: 14,
			wantOpen: ErrTruncated, wantMsg: "x.pcap: file header at byte offset 0: capture ends after 10 of 24 file header bytes"},
		{name: "record longer than the snap length and 256 KiB",
			file: pcapFile{order: le, magic: magicPcapMicro, minor: 4, snapLen: 65535, linkType: 1,
				records: []pcapRecord{ok, {caplen: 256<<10 + 1, length: 256<<10 + 1, rawLens: true}}},
			wantErr: ErrCorrupt, wantCount: 1,
			wantMsg: "x.pcap: record 2 at byte offset 140: captured length 262145 is larger than the limit of 262144 bytes (snap length 65535)"},
		{name: "record longer than 16 MiB with a huge snap length",
			file: pcapFile{order: be, magic: magicPcapMicro, minor: 4, snapLen: 0xffffffff, linkType: 1,
				records: []pcapRecord{ok, ok, {caplen: 0xffffffff, length: 0xffffffff, rawLens: true}}},
			wantErr: ErrCorrupt, wantCount: 2,
			wantMsg: "x.pcap: record 3 at byte offset 256: captured length 4294967295 is larger than the limit of 16777216 bytes (snap length 4294967295)"},
		{name: "cut inside a record header",
			file: pcapFile{order: le, magic: magicPcapMicro, minor: 4, snapLen: 65535, linkType: 1, records: []pcapRecord{ok, ok}},
			cut:  110, wantErr: ErrTruncated, wantCount: 1,
			wantMsg: "x.pcap: record 2 at byte offset 140: capture ends after 6 of 16 record header bytes"},
		{name: "cut inside a modified record header",
			file: pcapFile{order: le, magic: magicPcapModified, minor: 4, snapLen: 65535, linkType: 1, records: []pcapRecord{ok, ok}},
			cut:  110, wantErr: ErrTruncated, wantCount: 1,
			wantMsg: "x.pcap: record 2 at byte offset 148: capture ends after 14 of 24 record header bytes"},
		{name: "cut inside packet data",
			file: pcapFile{order: be, magic: magicPcapNano, minor: 4, snapLen: 65535, linkType: 1, records: []pcapRecord{ok, ok}},
			cut:  1, wantErr: ErrTruncated, wantCount: 1,
			wantMsg: "x.pcap: record 2 at byte offset 140: capture ends after 99 of 100 packet bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, _ := tt.file.bytes()
			b = b[:len(b)-tt.cut]
			src, err := NewReader("x.pcap", bytes.NewReader(b))
			if tt.wantOpen != nil {
				if !errors.Is(err, tt.wantOpen) {
					t.Fatalf("NewReader error = %v, want one wrapping %v", err, tt.wantOpen)
				}
				if err.Error() != tt.wantMsg {
					t.Errorf("message:\n got %q\nwant %q", err.Error(), tt.wantMsg)
				}
				return
			}
			if err != nil {
				t.Fatalf("NewReader: %v", err)
			}
			got, err := readAll(t, src)
			if len(got) != tt.wantCount {
				t.Errorf("got %d packets before the error, want %d", len(got), tt.wantCount)
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error = %v, want one wrapping %v", err, tt.wantErr)
			}
			if err.Error() != tt.wantMsg {
				t.Errorf("message:\n got %q\nwant %q", err.Error(), tt.wantMsg)
			}
			var re *ReadError
			if !errors.As(err, &re) || re.Record != tt.wantCount+1 {
				t.Errorf("errors.As(*ReadError) = %+v, want record %d", re, tt.wantCount+1)
			}
			if _, again := src.ReadPacket(); again != err {
				t.Errorf("ReadPacket after the error = %v, want the same error again", again)
			}
		})
	}
}

// TestPcapWriters reads files written by gopacket's pcapgo writers, in microsecond and
// nanosecond formats and several link types.
func TestPcapWriters(t *testing.T) {
	base := time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC)
	for _, tt := range []struct {
		name  string
		nanos bool
		link  layers.LinkType
	}{
		{"microseconds ethernet", false, layers.LinkTypeEthernet},
		{"nanoseconds linux-sll", true, layers.LinkTypeLinuxSLL},
		{"nanoseconds raw", true, layers.LinkTypeRaw},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			w := pcapgo.NewWriter(&buf)
			if tt.nanos {
				w = pcapgo.NewWriterNanos(&buf)
			}
			if err := w.WriteFileHeader(1500, tt.link); err != nil {
				t.Fatal(err)
			}
			var want []Packet
			for i := range 50 {
				data := payload(i, 40+i*29%1500)
				tm := base.Add(time.Duration(i) * 1234567 * time.Nanosecond)
				ci := gopacket.CaptureInfo{Timestamp: tm, CaptureLength: len(data), Length: len(data) + i%3}
				if err := w.WritePacket(ci, data); err != nil {
					t.Fatal(err)
				}
				if !tt.nanos {
					tm = tm.Truncate(time.Microsecond)
				}
				want = append(want, pkt(i+1, tm, LinkType(tt.link), 0, ci.Length, data))
			}
			got, err := readBytes(t, "w.pcap", buf.Bytes())
			if err != io.EOF {
				t.Errorf("final error = %v, want io.EOF", err)
			}
			if diff := diffPackets(want, got); diff != "" {
				t.Errorf("packets (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPcapTools checks the reader against libpcap and Wireshark's writers: a
// hand-written big-endian file rewritten by tcpdump (in host order), nanosecond and
// microsecond conversions by editcap, and tcpdump writing to a pipe read as a stream.
func TestPcapTools(t *testing.T) {
	tcpdump := needTool(t, "tcpdump")
	editcap := needTool(t, "editcap")
	var records []pcapRecord
	for i := range 20 {
		records = append(records, pcapRecord{sec: 1700000000 + uint32(i), frac: uint32(i) * 123457, length: 1600, data: payload(i, 60+i*50)})
	}
	orig, _ := pcapFile{order: be, magic: magicPcapNano, minor: 4, snapLen: 1600, linkType: 1, records: records}.bytes()
	dir := t.TempDir()
	bePath := filepath.Join(dir, "be-ns.pcap")
	if err := os.WriteFile(bePath, orig, 0o644); err != nil {
		t.Fatal(err)
	}
	want, err := readBytes(t, "be-ns.pcap", orig)
	if err != io.EOF || len(want) != 20 {
		t.Fatalf("reading the hand-written file: %d packets, %v", len(want), err)
	}
	wantMicro := make([]Packet, len(want))
	for i, p := range want {
		p.Time = p.Time.Truncate(time.Microsecond)
		wantMicro[i] = p
	}

	hostNs := filepath.Join(dir, "host-ns.pcap")
	runTool(t, tcpdump, "-r", bePath, "--time-stamp-precision=nano", "-w", hostNs)
	micro := filepath.Join(dir, "micro.pcap")
	runTool(t, editcap, "-F", "pcap", bePath, micro)
	nsec := filepath.Join(dir, "nsec.pcap")
	runTool(t, editcap, "-F", "nsecpcap", micro, nsec)
	for _, tc := range []struct {
		path string
		want []Packet
	}{{hostNs, want}, {micro, wantMicro}, {nsec, wantMicro}} {
		t.Run(filepath.Base(tc.path), func(t *testing.T) {
			src, err := Open(tc.path)
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			got, err := readAll(t, src)
			if err != io.EOF {
				t.Errorf("final error = %v, want io.EOF", err)
			}
			if diff := diffPackets(tc.want, got); diff != "" {
				t.Errorf("packets (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("tcpdump to a pipe", func(t *testing.T) {
		cmd := exec.Command(tcpdump, "-r", bePath, "--time-stamp-precision=nano", "-w", "-")
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		src, err := NewReader("-", out)
		if err != nil {
			t.Fatal(err)
		}
		got, err := readAll(t, src)
		if err != io.EOF {
			t.Errorf("final error = %v, want io.EOF", err)
		}
		if err := cmd.Wait(); err != nil {
			t.Errorf("tcpdump: %v", err)
		}
		if diff := diffPackets(want, got); diff != "" {
			t.Errorf("packets (-want +got):\n%s", diff)
		}
	})
}

// TestPcapTruncatedEverywhere cuts a small file at every byte offset: every complete
// record comes back, then io.EOF at a record boundary or ErrTruncated inside a record,
// and never a panic.
func TestPcapTruncatedEverywhere(t *testing.T) {
	for _, magic := range []uint32{magicPcapMicro, magicPcapModified} {
		f := pcapFile{order: be, magic: magic, minor: 4, snapLen: 65535, linkType: 1, records: []pcapRecord{
			{sec: 1, data: payload(1, 33)}, {sec: 2, rawLens: true}, {sec: 3, data: payload(3, 64)}, {sec: 4, data: payload(4, 1)},
		}}
		b, ends := f.bytes()
		full, err := readBytes(t, "full.pcap", b)
		if err != io.EOF || len(full) != 4 {
			t.Fatalf("whole file: %d packets, %v", len(full), err)
		}
		checkTruncations(t, b, pcapFileHeaderLen, ends, ends, full)
	}
}

// checkTruncations reads every prefix of the capture b. headerEnd is where its file
// header (pcap) or first section header block (pcapng) ends, boundaries are the ends
// of all records or blocks, packetEnds the ends of the packet records, full the
// packets of the whole file. A prefix must give the packets whose records it holds
// whole, then io.EOF when it ends on a boundary and ErrTruncated otherwise; a prefix
// without the whole header fails in NewReader (ErrEmpty when it is empty).
func checkTruncations(t *testing.T, b []byte, headerEnd int, boundaries, packetEnds []int, full []Packet) {
	t.Helper()
	if len(packetEnds) != len(full) {
		t.Fatalf("%d packet records but %d packets", len(packetEnds), len(full))
	}
	for cut := 0; cut <= len(b); cut++ {
		got, err := readBytes(t, "cut", b[:cut])
		complete := 0
		for complete < len(packetEnds) && packetEnds[complete] <= cut {
			complete++
		}
		var want error
		switch {
		case cut == 0:
			want = ErrEmpty
		case cut < headerEnd:
			want = ErrTruncated
		case slices.Contains(boundaries, cut) || cut == headerEnd:
			want = io.EOF
		default:
			want = ErrTruncated
		}
		if err != want && !errors.Is(err, want) {
			t.Errorf("cut at %d: error %v, want %v", cut, err, want)
		}
		if want == ErrTruncated && !strings.HasPrefix(err.Error(), "cut: ") {
			t.Errorf("cut at %d: message %q does not start with the name", cut, err)
		}
		if diff := diffPackets(full[:complete], got); diff != "" {
			t.Errorf("cut at %d: want the %d complete packets of the whole file (-want +got):\n%s", cut, complete, diff)
		}
	}
}

// TestPcapReadPacketTo reads a file, cut inside its last record, into one Packet
// that is never cleared: every field of every packet is the reader's, the same as
// ReadPacket gives, and the error leaves the zero Packet.
func TestPcapReadPacketTo(t *testing.T) {
	f := pcapFile{order: le, magic: magicPcapNano, minor: 4, snapLen: 65535, linkType: 1, records: []pcapRecord{
		{sec: 1, frac: 5, data: payload(1, 60)}, {sec: 2, data: payload(2, 1)}, {sec: 3, data: payload(3, 90)},
	}}
	b, ends := f.bytes()
	b = b[:ends[1]+16+5] // inside the third record's data
	want, wantErr := readBytes(t, "to.pcap", b)
	src, err := NewReader("to.pcap", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	to, ok := src.(PacketReaderTo)
	if !ok {
		t.Fatalf("%T is not a PacketReaderTo", src)
	}
	p := Packet{Number: 99, Time: time.Now(), LinkType: LinkRaw, Interface: 7, Length: 12345, Data: []byte("stale")}
	var got []Packet
	for {
		if err = to.ReadPacketTo(&p); err != nil {
			break
		}
		q := p
		q.Data = bytes.Clone(p.Data) // valid until the next call
		got = append(got, q)
	}
	if !errors.Is(err, ErrTruncated) || err.Error() != wantErr.Error() {
		t.Errorf("error %v, want %v", err, wantErr)
	}
	if diff := diffPackets(want, got); diff != "" || len(got) != 2 {
		t.Errorf("ReadPacketTo gave %d packets, not what ReadPacket gives (-want +got):\n%s", len(got), diff)
	}
	if p.Number != 0 || !p.Time.IsZero() || p.Interface != 0 || p.Length != 0 || p.Data != nil {
		t.Errorf("after the error the Packet is %+v, want the zero Packet", p)
	}
}

// TestPcapZeroAllocs proves that reading a record allocates nothing.
func TestPcapZeroAllocs(t *testing.T) {
	src := endlessPcap(t, 1000, 200)
	for range 2000 { // warm up: the buffer has been filled and refilled
		if _, err := src.ReadPacket(); err != nil {
			t.Fatal(err)
		}
	}
	allocs := testing.AllocsPerRun(10000, func() {
		if _, err := src.ReadPacket(); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("ReadPacket allocates %.2f times per record, want 0", allocs)
	}
}

// endlessPcap returns a pcap reader over an endless repetition of n records of size
// bytes each.
func endlessPcap(t testing.TB, n, size int) Source {
	var records []pcapRecord
	for i := range n {
		records = append(records, pcapRecord{sec: 1700000000 + uint32(i/1000), frac: uint32(i%1000) * 1000, data: payload(i, size)})
	}
	b, _ := pcapFile{order: le, magic: magicPcapMicro, minor: 4, snapLen: 262144, linkType: 1, records: records}.bytes()
	src, err := NewReader("endless.pcap", &cyclicReader{head: b[:pcapFileHeaderLen], body: b[pcapFileHeaderLen:]})
	if err != nil {
		t.Fatal(err)
	}
	return src
}
