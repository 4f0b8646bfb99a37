package capture

import (
	"compress/flate"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// Progress is implemented by the Sources that Open and NewReader return.
type Progress interface {
	// BytesRead is the number of bytes consumed so far from the file or reader, before
	// decompression, for a progress line. It runs ahead of the packets returned by up
	// to the size of the read buffer (1 MiB). It is safe to call from another goroutine
	// while ReadPacket runs.
	BytesRead() int64
}

// DropCounter is implemented by Sources whose format records packets the capturing
// system dropped (pcapng; classic pcap has no such field).
type DropCounter interface {
	// Drops is the number of packets the capturing system reported as dropped, as far
	// as the capture has been read. Call it from the goroutine that calls ReadPacket.
	Drops() uint64
}

// BufferRenewer is implemented by the Sources that Open and NewReader return. Their
// packets are slices of the buffer they read through, valid until the next ReadPacket
// because the buffer is then reused. A caller that keeps packets for longer (a read-ahead
// ring that hands batches of packets to another goroutine) would have to copy each one;
// with SetRenew it gives the Source the buffers to read into instead, and owns the bytes
// of the packets returned from each: no copy.
type BufferRenewer interface {
	// SetRenew makes the Source call renew for a new buffer of at least n bytes whenever
	// the one it reads through cannot take the next bytes it must read without
	// overwriting packets it has returned. It copies the bytes read but not yet returned
	// to the new buffer and goes on there; it never writes to the old one again, so the
	// packets returned from it stay valid for as long as the caller keeps that buffer
	// from other use. renew is called from within ReadPacket (or Renew): the packet that
	// call returns, and the ones after it, lie in the new buffer. The Source's first
	// buffer is its own and is never reused either.
	SetRenew(renew func(n int) []byte)
	// Renew moves to a new buffer (calling renew) at once, when a packet has been
	// returned from the current one since the last move: the packets returned from now
	// on lie in the new buffer. It is for a caller whose batch is full of packets before
	// its buffer is full of bytes.
	Renew()
}

// File magic numbers, as the first four bytes read in little-endian order.
const (
	magicPcapMicro        = 0xa1b2c3d4 // classic pcap, microsecond timestamps
	magicPcapNano         = 0xa1b23c4d // classic pcap, nanosecond timestamps
	magicPcapModified     = 0xa1b2cd34 // Alexey Kuznetsov's "modified" pcap, 24-byte record headers
	magicPcapMicroSwapped = 0xd4c3b2a1
	magicPcapNanoSwapped  = 0x4d3cb2a1
	magicPcapModSwapped   = 0x34cdb2a1
	magicPcapng           = 0x0a0d0d0a // pcapng section header block type (a palindrome)
	magicPcapngOrder      = 0x1a2b3c4d // pcapng byte-order magic as written by a little-endian host
	magicPcapngSwapped    = 0x4d3c2b1a // the same, written by a big-endian host
)

// Open opens the named capture file for reading; the name "-" reads standard input.
// The input is recognised by its first bytes: pcap (microsecond, nanosecond or
// "modified" format, either byte order), pcapng (either byte order), or either of them
// compressed with gzip. The input is read as a stream, through a 1 MiB buffer: it is
// never read whole into memory and never seeked, so pipes and FIFOs work. The packets
// alias that buffer: a Packet's Data is valid only until the next ReadPacket.
//
// The Source is a *PcapReader or a *PcapngReader. Both implement Progress and
// BufferRenewer (to read into buffers the caller owns, so that packets outlive the next
// ReadPacket without a copy); the PcapngReader also implements DropCounter.
//
// Errors are one line and start with the name: a file that cannot be opened (the error
// wraps the *fs.PathError), a directory (wraps syscall.EISDIR), an empty input
// (ErrEmpty), anything that is not a capture (ErrNotCapture), a pcap file of a link type
// the decoder does not handle (ErrUnsupportedLinkType), and a damaged file header
// (a *ReadError wrapping ErrTruncated or ErrCorrupt).
//
// Close closes the file; for "-" it leaves standard input open.
func Open(name string) (Source, error) {
	if name == "-" {
		return newSource(name, os.Stdin, nil, readBufferSize)
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, openError(name, err)
	}
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		f.Close()
		return nil, &detailError{msg: name + ": is a directory", cause: syscall.EISDIR}
	}
	src, err := newSource(name, f, f, readBufferSize)
	if err != nil {
		f.Close()
		return nil, err
	}
	return src, nil
}

// NewReader reads a capture from r, which need not support seeking; name is used in
// error messages and returned by Name. It recognises the same formats as Open and
// returns the same errors. Close does not close r.
func NewReader(name string, r io.Reader) (Source, error) {
	return newSource(name, r, nil, readBufferSize)
}

// openError turns an error of os.Open into one line that names the file once.
func openError(name string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return &detailError{msg: fmt.Sprintf("%s: cannot open: %v", name, pe.Err), cause: err}
	}
	return &detailError{msg: fmt.Sprintf("%s: cannot open: %v", name, err), cause: err}
}

// input is the byte stream under a reader: the file, its byte count, an optional gzip
// decompressor and the buffer the parser reads records from.
type input struct {
	name   string
	buf    *recordBuffer
	count  *countingReader
	gz     *gzip.Reader
	closer io.Closer // the file Open opened; nil for standard input and NewReader
}

func (in *input) bytesRead() int64 { return in.count.n.Load() }

func (in *input) close() error {
	var err error
	if in.gz != nil {
		err = in.gz.Close()
		in.gz = nil
	}
	if in.closer != nil {
		if cerr := in.closer.Close(); err == nil {
			err = cerr
		}
		in.closer = nil
	}
	return err
}

// readError returns the error for a record or block that could not be read whole:
// the stream ended (want bytes were needed, got were present) or failed.
func (in *input) readError(err error, record int, block string, offset int64, what string, got, want int) error {
	if err == io.EOF {
		err = errorf(ErrTruncated, "capture ends after %d of %d %s bytes", got, want, what)
	}
	return &ReadError{Name: in.name, Record: record, Block: block, Offset: offset, Err: err}
}

// corrupt returns a *ReadError wrapping ErrCorrupt.
func (in *input) corrupt(record int, block string, offset int64, format string, args ...any) error {
	return &ReadError{Name: in.name, Record: record, Block: block, Offset: offset, Err: errorf(ErrCorrupt, format, args...)}
}

// newSource sniffs the first bytes of r and returns the reader for its format, reading
// through buffers of bufSize bytes (tests use small ones to exercise refills).
func newSource(name string, r io.Reader, closer io.Closer, bufSize int) (Source, error) {
	in := &input{name: name, count: &countingReader{r: r}, closer: closer}
	in.buf = newRecordBuffer(in.count, bufSize)
	head, err := in.buf.peek(4)
	if len(head) == 0 {
		return nil, emptyError(name, err, "")
	}
	if isGzip(head) {
		if len(head) < 2 {
			return nil, &ReadError{Name: name, Block: "gzip header", Err: errorf(ErrTruncated, "capture ends after 1 byte")}
		}
		if in.gz, err = gzip.NewReader(in.buf); err != nil {
			return nil, &ReadError{Name: name, Block: "gzip header", Err: gzipError(err)}
		}
		in.buf = newRecordBuffer(gzipStream{in.gz}, bufSize)
		head, err = in.buf.peek(4)
		if len(head) == 0 {
			return nil, emptyError(name, err, " (the gzip stream holds no data)")
		}
		if isGzip(head) {
			return nil, &detailError{msg: fmt.Sprintf("%s: %v (a gzip stream inside a gzip stream)", name, ErrNotCapture), sentinel: ErrNotCapture}
		}
	}
	if err != nil && err != io.EOF {
		return nil, &ReadError{Name: name, Block: "file header", Err: err}
	}
	switch magic := magicOf(head); {
	case magic == magicPcapng:
		// The block type is a palindrome made of line-end characters, which a text
		// file may start with: only the byte-order magic after it makes a pcapng.
		if shb, _ := in.buf.peek(12); len(shb) == 12 {
			if bom := littleEndian.uint32(shb[8:]); bom != magicPcapngOrder && bom != magicPcapngSwapped {
				return nil, notCaptureError(name, shb[:4])
			}
		}
		return newPcapngReader(in)
	case isPcapMagic(magic):
		return newPcapReader(in)
	case len(head) < 4 && magicPrefixHeaderLen(head) > 0:
		return nil, in.readError(io.EOF, 0, "file header", 0, "file header", len(head), magicPrefixHeaderLen(head))
	}
	return nil, notCaptureError(name, head)
}

// emptyError is the error for an input with no bytes: ErrEmpty, or the read error.
func emptyError(name string, err error, detail string) error {
	if err == io.EOF {
		return &detailError{msg: fmt.Sprintf("%s: %v%s", name, ErrEmpty, detail), sentinel: ErrEmpty}
	}
	return &ReadError{Name: name, Block: "file header", Err: err}
}

func notCaptureError(name string, head []byte) error {
	return &detailError{msg: fmt.Sprintf("%s: %v (starts with % x)", name, ErrNotCapture, head), sentinel: ErrNotCapture}
}

func isGzip(head []byte) bool {
	return len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b || len(head) == 1 && head[0] == 0x1f
}

// magicOf returns the first four bytes as a little-endian number, or 0 when there are
// fewer.
func magicOf(head []byte) uint32 {
	if len(head) < 4 {
		return 0
	}
	return littleEndian.uint32(head)
}

func isPcapMagic(m uint32) bool {
	switch m {
	case magicPcapMicro, magicPcapNano, magicPcapModified,
		magicPcapMicroSwapped, magicPcapNanoSwapped, magicPcapModSwapped:
		return true
	}
	return false
}

// magicPrefixHeaderLen returns, when a head of fewer than four bytes could be the
// start of a capture's magic number (the capture was cut inside its file header), the
// length of that format's file header (pcap) or smallest section header (pcapng);
// otherwise 0.
func magicPrefixHeaderLen(head []byte) int {
	for _, m := range [...]uint32{
		magicPcapMicro, magicPcapNano, magicPcapModified,
		magicPcapMicroSwapped, magicPcapNanoSwapped, magicPcapModSwapped, magicPcapng,
	} {
		b := binary.LittleEndian.AppendUint32(nil, m)
		if len(head) <= len(b) && string(b[:len(head)]) == string(head) {
			if m == magicPcapng {
				return 28
			}
			return pcapFileHeaderLen
		}
	}
	return 0
}

// gzipStream turns the decompressor's errors into the package's: a stream that stops
// early wraps ErrTruncated, a damaged one ErrCorrupt.
type gzipStream struct{ z *gzip.Reader }

func (g gzipStream) Read(p []byte) (int, error) {
	n, err := g.z.Read(p)
	if err != nil && err != io.EOF {
		err = gzipError(err)
	}
	return n, err
}

func gzipError(err error) error {
	var corrupt flate.CorruptInputError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF), err == io.EOF:
		return &detailError{msg: "gzip stream ends early", sentinel: ErrTruncated, cause: err}
	case errors.Is(err, gzip.ErrChecksum), errors.Is(err, gzip.ErrHeader), errors.As(err, &corrupt):
		return &detailError{msg: "gzip stream is corrupt: " + err.Error(), sentinel: ErrCorrupt, cause: err}
	}
	return err
}
