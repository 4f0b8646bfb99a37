package capture

import (
	"encoding/binary"
	"io"
	"sync/atomic"
)

const (
	// readBufferSize is the size of the buffer a capture is read through. Records are
	// handed out as slices of it, so a record never costs an allocation or a copy of
	// its own.
	readBufferSize = 1 << 20
	// maxBlockLen bounds every length the file formats let a writer claim: a pcap
	// record's captured length, a pcapng block's total length. The buffer never grows
	// beyond it, and it only grows while the input really holds that many bytes.
	maxBlockLen = 16 << 20
	// maxNoProgress is how many empty reads in a row the buffer accepts from its
	// source before it gives up with io.ErrNoProgress, as bufio does.
	maxNoProgress = 100
)

// recordBuffer reads a byte stream through one large buffer and hands out slices of it.
// A slice returned by next or peek aliases the buffer: it is valid until the next call
// of any method. The buffer also serves as the io.Reader and io.ByteReader under a
// gzip decompressor, so compressed input is buffered once, without a bufio layer.
type recordBuffer struct {
	src  io.Reader
	buf  []byte // buf[r:w] holds bytes read from src and not yet handed out
	r, w int
	base int64 // stream offset of buf[0]
	err  error // the error that ended src; once set, src is never read again

	// renew, when set (BufferRenewer), gives the buffer to go on in whenever moving the
	// unread bytes to the front of this one would overwrite bytes that next has handed
	// out (handed): those stay where they are, for as long as the caller wants them.
	renew  func(n int) []byte
	handed bool
}

func newRecordBuffer(src io.Reader, size int) *recordBuffer {
	return &recordBuffer{src: src, buf: make([]byte, size)}
}

// offset is the stream offset of the next byte next would return.
func (b *recordBuffer) offset() int64 { return b.base + int64(b.r) }

// buffered is the number of bytes read from the source and not yet handed out.
func (b *recordBuffer) buffered() int { return b.w - b.r }

// next returns the next n bytes of the stream and moves past them. When the stream
// ends first, it returns a nil slice and the error that ended it (io.EOF at a clean
// end of input), does not move, and buffered says how many bytes there were.
// n must be at most maxBlockLen.
func (b *recordBuffer) next(n int) ([]byte, error) {
	if b.w-b.r < n {
		return b.nextSlow(n)
	}
	p := b.buf[b.r:][:n:n]
	b.r += n
	b.handed = true
	return p, nil
}

// nextSlow is next when the buffer holds fewer than n bytes; kept apart so that next
// is inlined.
func (b *recordBuffer) nextSlow(n int) ([]byte, error) {
	if err := b.fill(n); err != nil {
		return nil, err
	}
	p := b.buf[b.r:][:n:n]
	b.r += n
	b.handed = true
	return p, nil
}

// peek returns up to n bytes without moving past them, and the error that ended the
// stream when fewer than n bytes are available.
func (b *recordBuffer) peek(n int) ([]byte, error) {
	err := b.fill(n)
	m := min(n, b.w-b.r)
	return b.buf[b.r : b.r+m : b.r+m], err
}

// skip moves past n bytes without buffering them all. When the stream ends first it
// returns the error that ended it, having moved to the end of the stream.
func (b *recordBuffer) skip(n int64) error {
	for {
		avail := int64(b.w - b.r)
		if n <= avail {
			b.r += int(n)
			return nil
		}
		b.r = b.w // all consumed: fill moves on from an empty buffer
		n -= avail
		if err := b.fill(1); err != nil {
			return err
		}
	}
}

// fill reads from the source until at least n bytes are buffered. It moves the
// unread bytes to the front of the buffer first, so that reads are as large as the
// buffer, and grows the buffer (doubling, up to maxBlockLen) only when it is full of
// unread bytes: memory follows the input, never a length the input claims.
func (b *recordBuffer) fill(n int) error {
	if n > maxBlockLen {
		return errorf(ErrCorrupt, "a length of %d bytes exceeds the limit of %d", n, maxBlockLen)
	}
	if b.r > 0 && b.w-b.r < n {
		if b.handed && b.renew != nil {
			b.swap(n)
		} else {
			b.base += int64(b.r)
			b.w = copy(b.buf, b.buf[b.r:b.w])
			b.r = 0
		}
	}
	empty := 0
	for b.w-b.r < n {
		if b.err != nil {
			return b.err
		}
		if b.w == len(b.buf) && b.renew != nil {
			b.swap(n) // a buffer that can hold n bytes
		} else if b.w == len(b.buf) {
			grown := make([]byte, min(2*len(b.buf), maxBlockLen))
			b.base += int64(b.r)
			b.w = copy(grown, b.buf[b.r:b.w])
			b.r = 0
			b.buf = grown
		}
		m, err := b.src.Read(b.buf[b.w:])
		if m < 0 || m > len(b.buf)-b.w {
			m, err = 0, errorf(ErrCorrupt, "the input reader returned an invalid count %d", m)
		}
		b.w += m
		switch {
		case err != nil:
			b.err = err
		case m == 0:
			if empty++; empty >= maxNoProgress {
				b.err = io.ErrNoProgress
			}
		default:
			empty = 0
		}
	}
	return nil
}

// swap moves the unread bytes to a buffer from renew, of at least n bytes, and goes on
// there; the old buffer, and what next handed out of it, is left as it is.
func (b *recordBuffer) swap(n int) {
	nb := b.renew(n)
	if len(nb) < n || len(nb) < b.w-b.r {
		nb = make([]byte, max(n, b.w-b.r)) // a renew that does not keep its word
	}
	b.base += int64(b.r)
	b.w = copy(nb, b.buf[b.r:b.w])
	b.r, b.handed = 0, false
	b.buf = nb
}

// setRenew implements BufferRenewer.SetRenew.
func (b *recordBuffer) setRenew(renew func(n int) []byte) { b.renew = renew }

// renewNow implements BufferRenewer.Renew.
func (b *recordBuffer) renewNow() {
	if b.handed && b.renew != nil {
		b.swap(max(b.w-b.r, 1))
	}
}

// Read implements io.Reader for a decompressor reading from the buffer.
func (b *recordBuffer) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if b.r == b.w {
		if err := b.fill(1); err != nil {
			return 0, err
		}
	}
	n := copy(p, b.buf[b.r:b.w])
	b.r += n
	return n, nil
}

// ReadByte implements io.ByteReader, which keeps compress/flate from adding a bufio
// layer of its own.
func (b *recordBuffer) ReadByte() (byte, error) {
	if b.r == b.w {
		if err := b.fill(1); err != nil {
			return 0, err
		}
	}
	c := b.buf[b.r]
	b.r++
	return c, nil
}

// countingReader counts the bytes read from the file, for Progress. The count is
// atomic so that a progress display may read it from another goroutine.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if n > 0 {
		c.n.Add(int64(n))
	}
	return n, err
}

// fileByteOrder is the byte order of a pcap file or pcapng section: true for big
// endian. Its methods are small enough to be inlined, unlike binary.ByteOrder's
// interface calls.
type fileByteOrder bool

const (
	littleEndian fileByteOrder = false
	bigEndian    fileByteOrder = true
)

func (o fileByteOrder) uint16(b []byte) uint16 {
	if o {
		return binary.BigEndian.Uint16(b)
	}
	return binary.LittleEndian.Uint16(b)
}

func (o fileByteOrder) uint32(b []byte) uint32 {
	if o {
		return binary.BigEndian.Uint32(b)
	}
	return binary.LittleEndian.Uint32(b)
}

func (o fileByteOrder) uint64(b []byte) uint64 {
	if o {
		return binary.BigEndian.Uint64(b)
	}
	return binary.LittleEndian.Uint64(b)
}
