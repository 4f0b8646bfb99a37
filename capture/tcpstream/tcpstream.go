// Package tcpstream turns the TCP segments of a capture into the byte stream of each
// direction and cuts that stream into messages (SIP over TCP, TLS records, ...).
//
// An Assembler takes segments in capture order through Segment. For each direction of a
// connection (a Flow) it keeps the bytes in sequence order: retransmitted and overlapping
// bytes are taken once (the first copy captured wins), out-of-order segments wait for the
// hole before them to fill, and the contiguous bytes are handed to a Framer, which says
// where each message ends. Each complete message goes to the Handler with the number of the
// packet that completed it, which is the frame in which Wireshark shows the reassembled
// message.
//
// Missing bytes are given up on when the hole has waited Config.HoleTimeout of packet time,
// when the direction holds more than Config.MaxBufferPerStream bytes, when the connection
// closes, and at Flush. The Handler then hears Gap(Missing), the incomplete message before
// the hole is dropped (Gap(Truncated)), and the Framer resynchronises on the bytes after the
// hole by skipping what is not the start of a message (Gap(Resync)).
//
// A direction's first byte is the one after its SYN, or, when the capture starts after the
// SYN, the first byte of the first segment with data; that segment may start inside a
// message, which the Framer then skips. Bytes before it that arrive later (reordered at the
// very start of the capture) are taken for retransmissions. A segment more than 64 MiB away
// from the expected sequence number starts the direction afresh in the same way: it belongs
// to a new connection whose SYN was not captured.
//
// # Accounting
//
// Every segment passed to Segment ends in exactly one of the Stats dispositions Used,
// Retransmitted, Unframed, Gap or Evicted. Until Flush some segments may still be pending
// (their bytes are buffered); after Flush none are: Stats.Pending is 0.
//
// # Inputs
//
// An Assembler follows one input: packet numbers are those of one capture, and a Flow has
// no notion of the input it came from. Run one Assembler per input, each with its own
// Handler (or a Handler that knows its input), and call Flush at the end of each input.
//
// Nothing in this package starts a goroutine, and an Assembler must not be used from
// several goroutines at once. Time is packet time only: the same capture always gives the
// same messages, in the same order.
package tcpstream

import (
	"fmt"
	"net/netip"
	"time"
)

// Framer finds the end of the first message in buf, which holds contiguous bytes of one
// direction of a stream starting where the previous message (or skipped run) ended.
//
// It returns n > 0 when buf[:n] is a complete message, 0 when it needs more bytes, and n < 0
// when buf[:-n] is to be skipped: keep-alives (a run of CR and LF) or bytes that cannot start
// a message. A Framer that skips garbage should skip up to the next plausible start of a
// message, which is how the stream resynchronises after missing bytes. Values beyond
// len(buf) are clamped.
//
// After missing bytes, or when the capture starts mid-stream, buf may start anywhere, even
// inside a start line ("YE sip:..." after a hole that ends inside "BYE"); the Framer cannot
// tell, so a strict test of the start line is the only defence.
//
// atEOF reports that no byte will follow buf: the stream ended, a hole after buf is being
// given up on, or buf has reached Config.MaxBufferPerStream. With atEOF the Framer may
// return n > 0 to accept a truncated message; if it returns 0 the bytes are dropped and
// reported as Gap(Truncated), or Gap(Overflow) when the buffer limit was hit, or
// Gap(Evicted).
//
// The Framer is called again on the whole unframed buffer each time a segment adds bytes to
// it, so it should be cheap on a buffer whose first message is still incomplete (find the
// end of the headers, then compare the body length with len(buf)). It must not keep buf.
type Framer func(buf []byte, atEOF bool) (n int)

// Handler receives what an Assembler finds. Its methods are called from within Segment,
// Expire and Flush, and must not call back into the Assembler.
type Handler interface {
	// Message is called for each complete message. data is only valid during the call.
	// packet and t are those of the packet whose processing completed the message: the
	// segment that supplied its last missing bytes, or, when the message is completed by
	// Expire, Flush or the limits rather than by a segment of its own stream, the last
	// packet that carried some of its bytes.
	Message(flow Flow, data []byte, packet int, t time.Time)
	// Gap is called when bytes of the stream will not be delivered in a message. bytes is
	// the number of bytes concerned. packet and t are those of the packet that carried the
	// first byte concerned; for Missing bytes, of the first packet after the hole.
	Gap(flow Flow, packet int, t time.Time, bytes int, reason Reason)
}

// Flow is one direction of a TCP connection. It is comparable.
//
// It holds no VLAN or interface: the same segment captured at two points (or on two VLANs)
// is one segment seen twice, and the second copy counts as a retransmission, as in tshark.
type Flow struct {
	Src, Dst netip.AddrPort
}

// Reverse returns the other direction of the connection.
func (f Flow) Reverse() Flow { return Flow{Src: f.Dst, Dst: f.Src} }

// String returns "src -> dst".
func (f Flow) String() string { return f.Src.String() + " -> " + f.Dst.String() }

// Reason says why bytes were not delivered in a message.
type Reason uint8

// Reasons reported to Handler.Gap.
const (
	// Missing bytes were never captured: a hole in the sequence space that was given up on.
	Missing Reason = iota + 1
	// Resync bytes were skipped by the Framer while looking for the start of a message after
	// missing bytes, after a dropped message, or when the capture started mid-stream.
	Resync
	// Unframed bytes were skipped by the Framer as no message although the stream was in
	// step: data that is not the protocol. Keep-alives (runs of CR and LF) are not reported.
	Unframed
	// Truncated bytes were the start of a message that could not be completed: the bytes
	// after them are missing, or the stream ended.
	Truncated
	// Overflow bytes were dropped because one message outgrew Config.MaxBufferPerStream.
	Overflow
	// Evicted bytes were dropped because their stream was evicted (Config.MaxStreams) or its
	// buffers flushed (Config.MaxBufferTotal).
	Evicted
)

var reasonNames = [...]string{
	Missing:   "missing",
	Resync:    "resync",
	Unframed:  "unframed",
	Truncated: "truncated",
	Overflow:  "overflow",
	Evicted:   "evicted",
}

// String returns the reason's lower-case name.
func (r Reason) String() string {
	if int(r) < len(reasonNames) && reasonNames[r] != "" {
		return reasonNames[r]
	}
	return fmt.Sprintf("reason-%d", uint8(r))
}

// Defaults for the zero fields of Config.
const (
	DefaultMaxStreams         = 65536
	DefaultMaxBufferPerStream = 256 << 10
	DefaultMaxBufferTotal     = 64 << 20
	DefaultHoleTimeout        = 10 * time.Second
	DefaultIdleTimeout        = 5 * time.Minute
)

// SegmentOverhead is what each buffered segment costs toward MaxBufferPerStream and
// MaxBufferTotal beside its bytes: the bookkeeping kept for it. It bounds the memory and the
// work that a flood of tiny segments can cause.
const SegmentOverhead = 64

// Config bounds an Assembler. A zero or negative field takes its default.
type Config struct {
	// MaxStreams is the number of directions tracked at once. A new one beyond it evicts a
	// closed direction, or else the one idle the longest, which is then finished as at Flush
	// except that an incomplete message is dropped as Evicted; Stats.StreamsEvicted counts
	// those.
	MaxStreams int
	// MaxBufferPerStream bounds the bytes held for one direction: an incomplete message plus
	// out-of-order data, each segment counting SegmentOverhead more. Beyond it holes are given
	// up on, oldest first; if that is not enough the message being assembled is offered to the
	// Framer with atEOF and dropped as Overflow unless the Framer takes it. A direction may
	// exceed the limit by one segment while that segment is handled.
	MaxBufferPerStream int
	// MaxBufferTotal bounds the memory held over all directions (buffer capacities, so a
	// direction that has emptied its buffer may still hold a few KiB). Beyond it, directions
	// holding memory are flushed, the least recently active first: holes are given up on and
	// an incomplete message is dropped as Evicted (Stats.StreamsFlushed).
	MaxBufferTotal int
	// HoleTimeout is how long, in packet time, missing bytes are waited for after the first
	// segment beyond them was captured.
	HoleTimeout time.Duration
	// IdleTimeout is how long, in packet time, a direction is kept without a segment. An open
	// one is then finished as at Flush; one closed by FIN or RST is kept as long, so that late
	// retransmissions are recognised.
	IdleTimeout time.Duration
}

func (c Config) withDefaults() Config {
	if c.MaxStreams <= 0 {
		c.MaxStreams = DefaultMaxStreams
	}
	if c.MaxBufferPerStream <= 0 {
		c.MaxBufferPerStream = DefaultMaxBufferPerStream
	}
	if c.MaxBufferTotal <= 0 {
		c.MaxBufferTotal = DefaultMaxBufferTotal
	}
	if c.HoleTimeout <= 0 {
		c.HoleTimeout = DefaultHoleTimeout
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	return c
}

// Stats counts what an Assembler did.
//
// The segment counters give each segment passed to Segment one final disposition. A segment
// whose bytes met several fates takes the first of Used, Unframed, Gap, Evicted that applies
// to any of its bytes.
type Stats struct {
	Segments int // TCP segments passed to Segment
	// Used segments had bytes delivered in a message or skipped as keep-alives, or carried no
	// payload (SYN, FIN, ACK), or were RSTs (whose payload is ignored).
	Used int
	// Retransmitted segments carried only bytes that had been captured before.
	Retransmitted int
	// Unframed segments had their bytes skipped by the Framer as no message while the stream
	// was in step (Reason Unframed).
	Unframed int
	// Gap segments had their bytes skipped after missing bytes or a mid-stream start, or cut
	// as part of a truncated message (Reasons Resync and Truncated), or brought bytes of a
	// hole that had been given up on (one of the last four of their direction; bytes of
	// older holes count as Retransmitted): capture.GapTCPGap.
	Gap int
	// Evicted segments had their bytes dropped by a limit (Reasons Overflow and Evicted):
	// capture.GapTCPEvicted.
	Evicted int

	Messages       int   // messages delivered to Handler.Message
	Gaps           int   // holes given up on (Handler.Gap with Missing)
	Bytes          int64 // payload bytes taken into streams, each stream byte once
	BytesDelivered int64 // bytes delivered in messages
	BytesSkipped   int64 // bytes not delivered: keep-alives, skipped, truncated or dropped
	BytesMissing   int64 // bytes in the holes given up on
	Streams        int   // directions created
	StreamsEvicted int   // open directions evicted to respect MaxStreams
	StreamsFlushed int   // directions whose buffers were flushed to respect MaxBufferTotal
	PeakMemory     int   // the most memory held at once, as MaxBufferTotal counts it
}

// Pending returns the number of segments whose disposition is not final yet because their
// bytes are still buffered. It is 0 after Flush.
func (s Stats) Pending() int {
	return s.Segments - s.Used - s.Retransmitted - s.Unframed - s.Gap - s.Evicted
}

// Buffered returns the number of bytes taken into streams and not yet delivered or
// skipped. It is 0 after Flush.
func (s Stats) Buffered() int64 {
	return s.Bytes - s.BytesDelivered - s.BytesSkipped
}
