package capture

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

const fuzzBufferSize = 16

// FuzzPcap feeds mutated pcap files to the readers. See checkReader for the
// properties.
func FuzzPcap(f *testing.F) {
	for _, magic := range []uint32{magicPcapMicro, magicPcapNano, magicPcapModified} {
		for _, order := range []struct {
			le bool
		}{{true}, {false}} {
			file := pcapFile{order: le, magic: magic, minor: 4, snapLen: 96, linkType: 1, records: []pcapRecord{
				{sec: 1, frac: 2, data: payload(1, 20)}, {sec: 3, length: 90, data: payload(2, 7)}, {rawLens: true},
			}}
			if !order.le {
				file.order = be
			}
			b, _ := file.bytes()
			f.Add(b)
		}
	}
	old, _ := pcapFile{order: be, magic: magicPcapMicro, minor: 2, snapLen: 0, linkType: 101,
		records: []pcapRecord{{caplen: 30, length: 4, rawLens: true, data: payload(3, 4)}}}.bytes()
	f.Add(old)
	f.Fuzz(checkReader)
}

// FuzzPcapng feeds mutated pcapng files to the readers. See checkReader for the
// properties.
func FuzzPcapng(f *testing.F) {
	for _, order := range []bool{true, false} {
		ng := newNgFile(le)
		if !order {
			ng = newNgFile(be)
		}
		ng.idb(1, 0, ngOption{ngOptTSResol, []byte{9}})
		ng.idb(113, 16, ngOption{ngOptIfName, []byte("any")}, ngOption{ngOptTSResol, []byte{0x83}}, ng.u64opt(ngOptTSOffset, 5))
		ng.epb(1, 12345, 100, payload(1, 30), ngOption{1, []byte("comment")})
		ng.spb(40, payload(2, 40))
		ng.pb(0, 1, 99, 8, payload(3, 8))
		ng.isb(1, ng.u64opt(ngOptIfDrop, 4), ng.u64opt(ngOptOSDrop, 1))
		ng.block(ngCustomCopy, []byte("\x00\x00\x7e\xd9data"))
		ng.block(ngNameResolution, []byte{0, 0, 0, 0})
		ng.shb(be)
		ng.idb(101, 0)
		ng.epb(0, 1, 4, payload(4, 4))
		f.Add(ng.b)
	}
	f.Fuzz(checkReader)
}

// checkReader reads data as a capture and checks:
//   - no panic, and every error is one line that names the input;
//   - an error that is not io.EOF wraps ErrEmpty, ErrNotCapture, ErrTruncated,
//     ErrCorrupt or ErrUnsupportedLinkType (the input cannot fail otherwise);
//   - the read buffer, which starts at 16 bytes here to exercise every refill and
//     growth, stays within twice the input (16 MiB at most, for gzip);
//   - reading the bytes cut right after any returned record gives the same records
//     and then io.EOF (a record never depends on what follows it);
//   - reading through a one-byte-at-a-time reader gives the same records and error;
//   - reading with buffers given through BufferRenewer, small ones and a Renew now and
//     then, gives the same records and error, every record valid, uncopied, to the end.
func checkReader(t *testing.T, data []byte) {
	pkts, ends, bufLen, err := readFuzz(t, bytes.NewReader(data))
	if err == nil {
		t.Fatal("reading stopped without an error")
	}
	if msg := err.Error(); err != io.EOF && (strings.Contains(msg, "\n") || !strings.HasPrefix(msg, "fuzz: ")) {
		t.Errorf("error message %q is not one line starting with the name", msg)
	}
	if err != io.EOF && !errors.Is(err, ErrEmpty) && !errors.Is(err, ErrNotCapture) && !errors.Is(err, ErrTruncated) &&
		!errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrUnsupportedLinkType) {
		t.Errorf("error %v wraps none of the package's errors", err)
	}
	gzipped := len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b
	if bufLen > maxBlockLen || !gzipped && bufLen > max(fuzzBufferSize, 2*len(data)) {
		t.Errorf("read buffer grew to %d bytes for a %d-byte input", bufLen, len(data))
	}
	if !gzipped {
		// ends are offsets in the decompressed stream, which is data itself here.
		for _, k := range []int{0, len(pkts) / 2, len(pkts) - 1} {
			if k < 0 || k >= len(pkts) {
				continue
			}
			prefix, _, _, perr := readFuzz(t, bytes.NewReader(data[:ends[k]]))
			if perr != io.EOF {
				t.Errorf("cut after record %d (byte %d): error %v, want io.EOF", k+1, ends[k], perr)
			}
			if diff := diffPackets(pkts[:k+1], prefix); diff != "" {
				t.Errorf("cut after record %d: packets differ (-whole +cut):\n%s", k+1, diff)
			}
		}
	}
	for _, size := range []int{1, 7, 100} {
		held, herr := readRenewing(t, bytes.NewReader(data), size)
		if diff := diffPackets(pkts, held); diff != "" {
			t.Errorf("renewed buffers of %d bytes: packets differ (-copied +held):\n%s", size, diff)
		}
		if errString(herr) != errString(err) {
			t.Errorf("renewed buffers of %d bytes: error %v, want %v", size, herr, err)
		}
	}
	if len(data) <= 1<<16 {
		slow, _, _, serr := readFuzz(t, iotest.OneByteReader(bytes.NewReader(data)))
		if diff := diffPackets(pkts, slow); diff != "" {
			t.Errorf("one byte at a time: packets differ (-whole +slow):\n%s", diff)
		}
		if errString(serr) != errString(err) {
			t.Errorf("one byte at a time: error %v, want %v", serr, err)
		}
	}
}

// readFuzz reads r to its end and returns the packets, the stream offset after each,
// the size the read buffer reached and the final error.
func readFuzz(t *testing.T, r io.Reader) (pkts []Packet, ends []int64, bufLen int, err error) {
	src, err := newSource("fuzz", r, nil, fuzzBufferSize)
	if err != nil {
		return nil, nil, 0, err
	}
	defer src.Close()
	var in *input
	switch s := src.(type) {
	case *PcapReader:
		in = s.in
	case *PcapngReader:
		in = s.in
	default:
		t.Fatalf("NewReader returned a %T", src)
	}
	for {
		p, err := src.ReadPacket()
		if err != nil {
			return pkts, ends, len(in.buf.buf), err
		}
		if len(p.Data) > p.Length || p.Number <= len(pkts) {
			t.Fatalf("record %d: %d bytes of a %d-byte packet, after record %d", p.Number, len(p.Data), p.Length, len(pkts))
		}
		p.Data = bytes.Clone(p.Data)
		pkts = append(pkts, p)
		ends = append(ends, in.buf.offset())
	}
}

// readRenewing reads data through buffers it gives the reader (BufferRenewer), each a
// new one of at least size bytes, and calls Renew every seventh packet. The packets are
// kept as returned, not copied: a reader that wrote again into a buffer it had moved on
// from would change them before reading is over.
func readRenewing(t *testing.T, r io.Reader, size int) ([]Packet, error) {
	src, err := newSource("fuzz", r, nil, fuzzBufferSize)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	rn, ok := src.(BufferRenewer)
	if !ok {
		t.Fatalf("%T is not a BufferRenewer", src)
	}
	rn.SetRenew(func(n int) []byte { return make([]byte, max(n, size)) })
	var pkts []Packet
	for {
		p, err := src.ReadPacket()
		if err != nil {
			return pkts, err
		}
		pkts = append(pkts, p)
		if len(pkts)%7 == 0 {
			rn.Renew()
		}
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
