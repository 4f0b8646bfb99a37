package capture

import "errors"

// Sentinel errors. Errors returned by this package wrap them with the input's name and the
// position (record number, byte offset), so callers test them with errors.Is.
var (
	// ErrNotCapture means the input is not a pcap or pcapng file (or a gzip of one).
	ErrNotCapture = errors.New("not a pcap or pcapng capture")
	// ErrEmpty means the input holds no bytes at all.
	ErrEmpty = errors.New("empty file")
	// ErrTruncated means the capture ends in the middle of a record or block. Every record
	// before the cut has been returned.
	ErrTruncated = errors.New("capture ends inside a record")
	// ErrCorrupt means a header or block is impossible (absurd lengths, bad magic inside a
	// pcapng section, ...). Records before it have been returned.
	ErrCorrupt = errors.New("corrupt capture")
	// ErrUnsupportedLinkType means an interface uses a link type the decoder does not know.
	ErrUnsupportedLinkType = errors.New("unsupported link type")
)
