package capture

import (
	"fmt"
	"io/fs"
	"strconv"
	"strings"
)

// ReadError says where reading a capture failed, in the manner of encoding/csv's
// ParseError. The readers return it, as an error wrapping ErrTruncated, ErrCorrupt or
// the underlying I/O or decompression error, for any failure after the input was
// recognised as a capture; use errors.As to get the position. Its message is one line:
//
//	calls.pcap: record 5 at byte offset 1234: capture ends after 10 of 16 record header bytes
type ReadError struct {
	Name string // the input's name as the user gave it ("-" for standard input)
	// Record is the 1-based number the packet record being read would have had (the
	// frame number tshark would give it), or 0 when the failure is in the file header or
	// in a pcapng block that holds no packet.
	Record int
	// Block names the pcapng block ("enhanced packet block", "interface description
	// block", ...) or "file header"; it is empty for a pcap record.
	Block string
	// Offset is the byte offset of the record or block from the start of the capture;
	// for a gzip-compressed input, of the decompressed stream.
	Offset int64
	Err    error // what went wrong
}

// Error returns the one-line message: name, position, cause.
func (e *ReadError) Error() string {
	var b strings.Builder
	b.WriteString(e.Name)
	b.WriteString(": ")
	switch {
	case e.Record > 0:
		b.WriteString("record ")
		b.WriteString(strconv.Itoa(e.Record))
		if e.Block != "" {
			b.WriteString(" (")
			b.WriteString(e.Block)
			b.WriteString(")")
		}
	case e.Block != "":
		b.WriteString(e.Block)
	default:
		b.WriteString("data")
	}
	b.WriteString(" at byte offset ")
	b.WriteString(strconv.FormatInt(e.Offset, 10))
	b.WriteString(": ")
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the cause, so that errors.Is(err, ErrTruncated) and the like work.
func (e *ReadError) Unwrap() error { return e.Err }

// detailError is an error with a message of its own that still matches a sentinel
// (and, when set, the error that caused it) under errors.Is and errors.As. It lets a
// message say exactly what was wrong without repeating the sentinel's text.
type detailError struct {
	msg      string
	sentinel error
	cause    error
}

func (e *detailError) Error() string { return e.msg }

func (e *detailError) Unwrap() []error {
	errs := make([]error, 0, 2)
	for _, err := range [...]error{e.sentinel, e.cause} {
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// errorf returns an error with the formatted message that wraps sentinel.
func errorf(sentinel error, format string, args ...any) error {
	return &detailError{msg: fmt.Sprintf(format, args...), sentinel: sentinel}
}

// unsupportedLinkType is the error for a pcap file whose link type the decoder does
// not handle.
func unsupportedLinkType(name string, lt LinkType) error {
	return &detailError{
		msg:      fmt.Sprintf("%s: link type %d (%v) is not supported", name, uint32(lt), lt),
		sentinel: ErrUnsupportedLinkType,
	}
}

// closedError is what ReadPacket returns after Close.
func closedError(name string) error {
	return fmt.Errorf("%s: %w", name, fs.ErrClosed)
}
