package media

import (
	"encoding/binary"

	"github.com/pion/rtp"
)

// RTPInfo is what a Tracker reads of an RTP packet: the fixed header's fields and the
// length of the payload, without the header and the padding.
type RTPInfo struct {
	SSRC        uint32
	Timestamp   uint32
	Seq         uint16
	PayloadType uint8
	Marker      bool
	PayloadLen  int32 // bytes after the header, less the padding
}

// ParseRTP reads payload, a UDP payload, as RTP into info, and reports whether it is RTP
// (IsRTP). h is scratch space for headers with CSRCs or an extension, which pion/rtp
// decodes; reusing it keeps ParseRTP from allocating. It depends on payload alone.
func ParseRTP(h *rtp.Header, payload []byte, info *RTPInfo) bool {
	if !IsRTP(payload) {
		return false
	}
	ReadRTP(h, payload, info)
	return true
}

// ReadRTP is ParseRTP for a payload that IsRTP (or Classify) has accepted already.
func ReadRTP(h *rtp.Header, payload []byte, info *RTPInfo) {
	n := -1
	if payload[0]&0x1f != 0 {
		// CSRCs or an extension: pion/rtp decodes them. It rejects malformed RFC 8285
		// extension elements that IsRTP does not look into; the fixed header is sound
		// then, and read below.
		if m, err := h.Unmarshal(payload); err == nil {
			n = m
		}
	}
	if n < 0 {
		// The fixed header, the whole header of nearly every packet.
		n = rtpHeaderLen(payload)
	}
	// The fixed header's fields, read directly as pion/rtp reads them. They are stored
	// one by one: a composite literal is built on the stack and copied with 16-byte
	// loads of what was just stored in narrower pieces, which the processor cannot
	// forward from its store buffer (a fifth of the time of Prepare on an RTP packet).
	plen := int32(len(payload) - n)
	if payload[0]&0x20 != 0 {
		plen -= int32(payload[len(payload)-1])
	}
	info.SSRC = binary.BigEndian.Uint32(payload[8:])
	info.Timestamp = binary.BigEndian.Uint32(payload[4:])
	info.Seq = binary.BigEndian.Uint16(payload[2:])
	info.PayloadType = payload[1] & 0x7f
	info.Marker = payload[1]&0x80 != 0
	info.PayloadLen = plen
}
