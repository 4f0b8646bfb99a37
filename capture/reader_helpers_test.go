package capture

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ixaudit/ixaudit/capture/corpus"
)

// This file holds the builders and helpers the reader tests share: hand-written pcap
// and pcapng files whose every byte the test controls, and the expected packets.

// pcapRecord is one record of a hand-built pcap file.
type pcapRecord struct {
	sec, frac uint32 // timestamp fields as written
	caplen    uint32 // written captured length; len(data) when 0 and !rawLens
	length    uint32 // written original length; len(data) when 0 and !rawLens
	rawLens   bool   // write caplen and length as given, even when 0
	data      []byte
}

// pcapFile is a hand-built classic pcap file.
type pcapFile struct {
	order    binary.AppendByteOrder
	magic    uint32 // as the file's byte order would write it: 0xa1b2c3d4, 0xa1b23c4d, 0xa1b2cd34
	major    uint16 // 0 means 2
	minor    uint16 // used as is (4 in every ordinary file)
	snapLen  uint32
	linkType uint32 // the whole field, with any FCS bits
	records  []pcapRecord
}

// bytes returns the file and the end offset of each record.
func (f pcapFile) bytes() ([]byte, []int) {
	order := f.order
	if order == nil {
		order = binary.LittleEndian
	}
	major := f.major
	if major == 0 {
		major = 2
	}
	var b []byte
	b = order.AppendUint32(b, f.magic)
	b = order.AppendUint16(b, major)
	b = order.AppendUint16(b, f.minor)
	b = order.AppendUint32(b, 0) // thiszone
	b = order.AppendUint32(b, 0) // sigfigs
	b = order.AppendUint32(b, f.snapLen)
	b = order.AppendUint32(b, f.linkType)
	var ends []int
	for _, r := range f.records {
		caplen, length := r.caplen, r.length
		if !r.rawLens {
			if caplen == 0 {
				caplen = uint32(len(r.data))
			}
			if length == 0 {
				length = uint32(len(r.data))
			}
		}
		b = order.AppendUint32(b, r.sec)
		b = order.AppendUint32(b, r.frac)
		b = order.AppendUint32(b, caplen)
		b = order.AppendUint32(b, length)
		if f.magic == magicPcapModified {
			b = append(b, 0, 0, 0, 7, 0x08, 0x00, 0, 0) // ifindex, protocol, pkt_type, pad
		}
		b = append(b, r.data...)
		ends = append(ends, len(b))
	}
	return b, ends
}

// ngFile builds a pcapng file block by block.
type ngFile struct {
	order  binary.AppendByteOrder
	b      []byte
	blocks []int // end offset of each block
	ends   []int // end offset of each packet block
}

func newNgFile(order binary.AppendByteOrder) *ngFile {
	f := &ngFile{order: order}
	f.shb(order)
	return f
}

// ngOption is one option of a block.
type ngOption struct {
	code  uint16
	value []byte
}

func (f *ngFile) options(opts []ngOption) []byte {
	if len(opts) == 0 {
		return nil
	}
	var b []byte
	for _, o := range opts {
		b = f.order.AppendUint16(b, o.code)
		b = f.order.AppendUint16(b, uint16(len(o.value)))
		b = append(b, o.value...)
		for len(b)%4 != 0 {
			b = append(b, 0)
		}
	}
	return append(b, 0, 0, 0, 0) // opt_endofopt
}

// block appends a block of the given type whose body is padded to a multiple of 4.
func (f *ngFile) block(typ uint32, body []byte) {
	for len(body)%4 != 0 {
		body = append(body, 0)
	}
	n := uint32(12 + len(body))
	f.b = f.order.AppendUint32(f.b, typ)
	f.b = f.order.AppendUint32(f.b, n)
	f.b = append(f.b, body...)
	f.b = f.order.AppendUint32(f.b, n)
	f.blocks = append(f.blocks, len(f.b))
}

// shb starts a new section in the given byte order.
func (f *ngFile) shb(order binary.AppendByteOrder, opts ...ngOption) {
	f.order = order
	var body []byte
	body = order.AppendUint32(body, magicPcapngOrder)
	body = order.AppendUint16(body, 1)
	body = order.AppendUint16(body, 0)
	body = order.AppendUint64(body, ^uint64(0)) // section length unknown
	body = append(body, f.options(opts)...)
	f.block(ngSectionHeader, body)
}

func (f *ngFile) idb(link uint16, snapLen uint32, opts ...ngOption) {
	var body []byte
	body = f.order.AppendUint16(body, link)
	body = f.order.AppendUint16(body, 0)
	body = f.order.AppendUint32(body, snapLen)
	body = append(body, f.options(opts)...)
	f.block(ngInterface, body)
}

func (f *ngFile) epb(iface uint32, ts uint64, length uint32, data []byte, opts ...ngOption) {
	var body []byte
	body = f.order.AppendUint32(body, iface)
	body = f.order.AppendUint32(body, uint32(ts>>32))
	body = f.order.AppendUint32(body, uint32(ts))
	body = f.order.AppendUint32(body, uint32(len(data)))
	body = f.order.AppendUint32(body, length)
	body = append(body, data...)
	for len(body)%4 != 0 {
		body = append(body, 0)
	}
	body = append(body, f.options(opts)...)
	f.block(ngEnhancedPacket, body)
	f.ends = append(f.ends, len(f.b))
}

func (f *ngFile) spb(length uint32, data []byte) {
	body := f.order.AppendUint32(nil, length)
	f.block(ngSimplePacket, append(body, data...))
	f.ends = append(f.ends, len(f.b))
}

func (f *ngFile) pb(iface, drops uint16, ts uint64, length uint32, data []byte) {
	var body []byte
	body = f.order.AppendUint16(body, iface)
	body = f.order.AppendUint16(body, drops)
	body = f.order.AppendUint32(body, uint32(ts>>32))
	body = f.order.AppendUint32(body, uint32(ts))
	body = f.order.AppendUint32(body, uint32(len(data)))
	body = f.order.AppendUint32(body, length)
	f.block(ngPacket, append(body, data...))
	f.ends = append(f.ends, len(f.b))
}

func (f *ngFile) isb(iface uint32, opts ...ngOption) {
	var body []byte
	body = f.order.AppendUint32(body, iface)
	body = f.order.AppendUint32(body, 0)
	body = f.order.AppendUint32(body, 0)
	f.block(ngInterfaceStats, append(body, f.options(opts)...))
}

func (f *ngFile) u64opt(code uint16, v uint64) ngOption {
	return ngOption{code, f.order.AppendUint64(nil, v)}
}

// readAll reads src to its end and returns copies of its packets and the final error
// (io.EOF at a clean end).
func readAll(t testing.TB, src Source) ([]Packet, error) {
	t.Helper()
	var pkts []Packet
	for {
		p, err := src.ReadPacket()
		if err != nil {
			return pkts, err
		}
		p.Data = bytes.Clone(p.Data)
		pkts = append(pkts, p)
		if len(pkts) > 10_000_000 {
			t.Fatalf("%s: more than 10 million packets", src.Name())
		}
	}
}

// readBytes opens b with NewReader and reads it whole. A failure of NewReader is
// returned as the error with no packets.
func readBytes(t testing.TB, name string, b []byte) ([]Packet, error) {
	t.Helper()
	src, err := NewReader(name, bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	defer src.Close()
	return readAll(t, src)
}

// diffPackets returns a readable difference between two packet lists, or "" when
// they are equal. Packet data is compared with bytes.Equal: cmp's element-by-element
// walk takes seconds on records of hundreds of kilobytes.
func diffPackets(want, got []Packet) string {
	if slices.EqualFunc(want, got, func(a, b Packet) bool {
		return a.Number == b.Number && a.Time.Equal(b.Time) && a.Time.Location() == b.Time.Location() &&
			a.LinkType == b.LinkType && a.Interface == b.Interface && a.Length == b.Length && bytes.Equal(a.Data, b.Data)
	}) {
		return ""
	}
	return cmp.Diff(want, got, cmp.Comparer(bytes.Equal))
}

// cmpDiff is cmp.Diff with no options.
func cmpDiff(want, got any) string { return cmp.Diff(want, got) }

// pkt is a shorthand for an expected packet.
func pkt(n int, tm time.Time, lt LinkType, iface, length int, data []byte) Packet {
	return Packet{Number: n, Time: tm, LinkType: lt, Interface: iface, Length: length, Data: data}
}

// payload returns n deterministic bytes that differ with seed.
func payload(seed, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(seed*31 + i*7)
	}
	return b
}

// cyclicReader serves head once, then body over and over: an endless capture for
// benchmarks and allocation tests, which never reach io.EOF.
type cyclicReader struct {
	head, body []byte
	off        int
}

func (c *cyclicReader) Read(p []byte) (int, error) {
	if len(c.head) > 0 {
		n := copy(p, c.head)
		c.head = c.head[n:]
		return n, nil
	}
	n := 0
	for n < len(p) {
		m := copy(p[n:], c.body[c.off:])
		n += m
		c.off = (c.off + m) % len(c.body)
	}
	return n, nil
}

// needTool skips the test when a command-line tool is not installed.
func needTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s is not installed; skipping the comparison that needs it", name)
	}
	return path
}

// runTool runs a command and fails the test, with its output, when it fails.
func runTool(t *testing.T, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(name, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %q: %v\n%s", name, args, err, stderr.Bytes())
	}
	return out
}

// sharedCapturesDir returns the shared capture corpus, or skips the test when it is absent
// (as in a fresh clone).
func sharedCapturesDir(t *testing.T) string { return corpus.Dir(t) }

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// writeTemp writes b to a file in t.TempDir and returns its path.
func writeTemp(t *testing.T, name string, b []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
