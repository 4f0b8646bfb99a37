package media

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Sentinel errors of ParseRTCP and ParseSRTCP; returned errors wrap them with an offset.
var (
	// ErrNotRTCP means the datagram is not RTCP (see IsRTCP).
	ErrNotRTCP = errors.New("not RTCP")
	// ErrMalformedRTCP means a packet inside the compound contradicts its own length.
	ErrMalformedRTCP = errors.New("malformed RTCP")
)

// ReportBlock is one reception report block of an SR or RR (RFC 3550 §6.4.1): what the
// reporter received from one source.
type ReportBlock struct {
	SSRC         uint32 // source the block reports on
	FractionLost uint8  // fraction lost since the previous report, in 1/256
	CumLost      int32  // cumulative packets lost (24-bit signed; negative with duplicates)
	HighestSeq   uint32 // extended highest sequence number received
	Jitter       uint32 // interarrival jitter, in timestamp units
	LSR          uint32 // middle 32 bits of the NTP time of the last SR received
	DLSR         uint32 // delay since that SR, in 1/65536 s
}

// FractionLostRatio returns FractionLost as a number between 0 and 1.
func (b ReportBlock) FractionLostRatio() float64 { return float64(b.FractionLost) / 256 }

// JitterMs converts Jitter to milliseconds with the reported stream's clock rate; it returns
// 0 when the rate is unknown (hz ≤ 0).
func (b ReportBlock) JitterMs(hz int) float64 {
	if hz <= 0 {
		return 0
	}
	return float64(b.Jitter) * 1000 / float64(hz)
}

// Report is one sender report (SR, packet type 200) or receiver report (RR, 201).
type Report struct {
	Type uint8  // 200 SR or 201 RR
	SSRC uint32 // SSRC of the reporter

	// Sender information, set for SR.
	NTPTime     uint64 // NTP timestamp of the report
	RTPTime     uint32 // the same instant in the sender's RTP timestamp units
	PacketCount uint32 // packets the reporter has sent
	OctetCount  uint32 // payload octets the reporter has sent

	Blocks []ReportBlock

	// Partial is set when only the header and the reporter's SSRC could be read: the
	// compound did not add up, as in SRTCP, where everything after the first 8 bytes is
	// encrypted and a trailer (E flag, index, authentication tag) follows.
	Partial bool
}

// rtcpHeaderOK reports whether b starts with an RTCP packet header whose length fits in b,
// and returns that length in bytes.
func rtcpHeaderOK(b []byte) (int, bool) {
	if len(b) < 4 || b[0]>>6 != 2 {
		return 0, false
	}
	n := 4 * (int(binary.BigEndian.Uint16(b[2:])) + 1)
	return n, n <= len(b)
}

// ParseRTCP walks a compound RTCP datagram and calls fn for every SR and RR in it, in
// order; other packet types (SDES, BYE, APP, feedback, XR) are skipped. The Blocks slice
// passed to fn is fresh for each call and may be kept.
//
// A datagram whose packets do not add up to its length, with 4 bytes or more left over
// (SRTCP, or a damaged datagram), is not an error as long as its first header is
// readable: fn receives one Partial Report with the first packet's type and the reporter's
// SSRC (when the first packet is an SR or RR), and ParseRTCP returns nil. Use ParseSRTCP
// when the stream is known to be SRTCP. One to three stray bytes after whole packets are
// ignored, after the packets are parsed, and reported by an error wrapping
// ErrMalformedRTCP.
//
// An SR or RR whose report count claims more blocks than its length holds yields the
// blocks that fit, and the error returned at the end wraps ErrMalformedRTCP. A
// datagram that IsRTCP rejects returns an error wrapping ErrNotRTCP without calling fn.
func ParseRTCP(b []byte, fn func(Report)) error {
	if !IsRTCP(b) {
		return fmt.Errorf("media: rtcp of %d bytes: %w", len(b), ErrNotRTCP)
	}
	end := 0
	for end < len(b) {
		n, ok := rtcpHeaderOK(b[end:])
		if !ok {
			break
		}
		end += n
	}
	switch rest := len(b) - end; {
	case rest == 0:
		return parseCompound(b, fn)
	case rest < srtcpTrailerMin:
		err := parseCompound(b[:end], fn)
		if err == nil {
			err = fmt.Errorf("media: rtcp: %d stray bytes after %d: %w", rest, end, ErrMalformedRTCP)
		}
		return err
	}
	if pt := b[1]; pt == rtcpSR || pt == rtcpRR {
		fn(Report{Type: pt, SSRC: binary.BigEndian.Uint32(b[4:]), Partial: true})
	}
	return nil
}

// srtcpTrailerMin is the shortest SRTCP trailer: the E flag and 31-bit SRTCP index. The
// authentication tag (and MKI) after it have lengths that only the key exchange knows.
const srtcpTrailerMin = 4

// ParseSRTCP parses an SRTCP datagram (RFC 3711 §3.4) whose authentication tag is tagLen
// bytes long (10 for AES_CM_128_HMAC_SHA1_80, 4 for _32; 0 for AEAD suites, whose tag sits
// inside the encrypted part) and that carries no MKI. When the E flag says the packets are
// encrypted, fn receives one Partial Report built from the clear first 8 bytes; otherwise
// the packets are parsed as ParseRTCP does.
func ParseSRTCP(b []byte, tagLen int, fn func(Report)) error {
	if tagLen < 0 || len(b) < 8+4+tagLen {
		return fmt.Errorf("media: srtcp of %d bytes with a %d-byte tag: %w", len(b), tagLen, ErrNotRTCP)
	}
	trailer := len(b) - tagLen - 4
	body := b[:trailer]
	if b[trailer]&0x80 == 0 { // E flag clear: the packets are in clear
		return ParseRTCP(body, fn)
	}
	if n, ok := rtcpHeaderOK(body); !ok || n < 8 || body[0]&0x20 != 0 || body[1] < rtcpSR || body[1] > rtcpXR {
		return fmt.Errorf("media: srtcp of %d bytes: %w", len(b), ErrNotRTCP)
	}
	if pt := body[1]; pt == rtcpSR || pt == rtcpRR {
		fn(Report{Type: pt, SSRC: binary.BigEndian.Uint32(body[4:]), Partial: true})
	}
	return nil
}

// parseCompound parses the packets of a compound whose headers are known to add up to b.
func parseCompound(b []byte, fn func(Report)) error {
	var bad error
	for off := 0; off < len(b); {
		n := 4 * (int(binary.BigEndian.Uint16(b[off+2:])) + 1)
		p := b[off : off+n]
		pt, rc := p[1], int(p[0]&0x1f)
		if pt == rtcpSR || pt == rtcpRR {
			if len(p) < 8 {
				bad = fmt.Errorf("media: rtcp %d at offset %d: %d bytes: %w", pt, off, len(p), ErrMalformedRTCP)
				off += n
				continue
			}
			r := Report{Type: pt, SSRC: binary.BigEndian.Uint32(p[4:])}
			body := p[8:]
			if pt == rtcpSR {
				if len(body) < 20 {
					bad = fmt.Errorf("media: rtcp SR at offset %d: no room for sender info: %w", off, ErrMalformedRTCP)
					fn(Report{Type: pt, SSRC: r.SSRC, Partial: true})
					off += n
					continue
				}
				r.NTPTime = binary.BigEndian.Uint64(body)
				r.RTPTime = binary.BigEndian.Uint32(body[8:])
				r.PacketCount = binary.BigEndian.Uint32(body[12:])
				r.OctetCount = binary.BigEndian.Uint32(body[16:])
				body = body[20:]
			}
			if fit := len(body) / 24; rc > fit {
				bad = fmt.Errorf("media: rtcp %d at offset %d: %d report blocks, room for %d: %w", pt, off, rc, fit, ErrMalformedRTCP)
				rc = fit
			}
			if rc > 0 {
				r.Blocks = make([]ReportBlock, rc)
				for i := range r.Blocks {
					r.Blocks[i] = parseReportBlock(body[24*i:])
				}
			}
			fn(r)
		}
		off += n
	}
	return bad
}

func parseReportBlock(b []byte) ReportBlock {
	lost := int32(binary.BigEndian.Uint32(b[4:])&0xffffff) << 8 >> 8 // sign-extend 24 bits
	return ReportBlock{
		SSRC:         binary.BigEndian.Uint32(b),
		FractionLost: b[4],
		CumLost:      lost,
		HighestSeq:   binary.BigEndian.Uint32(b[8:]),
		Jitter:       binary.BigEndian.Uint32(b[12:]),
		LSR:          binary.BigEndian.Uint32(b[16:]),
		DLSR:         binary.BigEndian.Uint32(b[20:]),
	}
}
