package analyze

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"io"
	"net/netip"

	"github.com/ixaudit/ixaudit/capture"
)

// SIP carried inside other protocols that SBC captures hold: HEP (the Homer capture
// protocol, when the capture is of a mirror feed), SCTP (RFC 4168) and WebSocket (RFC 7118).

// HEP3 chunk types (vendor 0).
const (
	hepIPFamily   = 1
	hepIPProto    = 2
	hepSrcIPv4    = 3
	hepDstIPv4    = 4
	hepSrcIPv6    = 5
	hepDstIPv6    = 6
	hepSrcPort    = 7
	hepDstPort    = 8
	hepProtoType  = 11
	hepPayload    = 15
	hepCompressed = 16
)

// hepProtoSIP is the HEP protocol type of SIP payloads.
const hepProtoSIP = 1

// maxHEPInflate bounds a decompressed HEP payload.
const maxHEPInflate = 64 << 10

// isHEP3 reports whether b starts a HEP version 3 packet.
func isHEP3(b []byte) bool {
	return len(b) >= 6 && string(b[:4]) == "HEP3"
}

// hepPacket decapsulates one or more HEP3 packets in b (a UDP datagram, or a TCP segment
// holding whole HEP packets) and judges the SIP they carry, as if it had been captured
// between the addresses the HEP header names. It returns false when b holds no valid HEP3.
func (in *inputAuditor) hepPacket(b []byte) bool {
	ok := false
	for isHEP3(b) {
		n := int(binary.BigEndian.Uint16(b[4:6]))
		if n < 6 || n > len(b) {
			return ok
		}
		in.hepOne(b[6:n])
		ok = true
		b = b[n:]
	}
	return ok
}

func (in *inputAuditor) hepOne(chunks []byte) {
	var src, dst [16]byte
	var srcLen, dstLen int
	var sport, dport uint16
	var ipProto, protoType uint8
	var payload []byte
	compressed := false
	for len(chunks) >= 6 {
		vendor := binary.BigEndian.Uint16(chunks[0:2])
		typ := binary.BigEndian.Uint16(chunks[2:4])
		l := int(binary.BigEndian.Uint16(chunks[4:6]))
		if l < 6 || l > len(chunks) {
			return
		}
		v := chunks[6:l]
		chunks = chunks[l:]
		if vendor != 0 {
			continue
		}
		switch typ {
		case hepIPProto:
			if len(v) == 1 {
				ipProto = v[0]
			}
		case hepSrcIPv4:
			if len(v) == 4 {
				srcLen = copy(src[:], v)
			}
		case hepDstIPv4:
			if len(v) == 4 {
				dstLen = copy(dst[:], v)
			}
		case hepSrcIPv6:
			if len(v) == 16 {
				srcLen = copy(src[:], v)
			}
		case hepDstIPv6:
			if len(v) == 16 {
				dstLen = copy(dst[:], v)
			}
		case hepSrcPort:
			if len(v) == 2 {
				sport = binary.BigEndian.Uint16(v)
			}
		case hepDstPort:
			if len(v) == 2 {
				dport = binary.BigEndian.Uint16(v)
			}
		case hepProtoType:
			if len(v) == 1 {
				protoType = v[0]
			}
		case hepPayload:
			payload = v
		case hepCompressed:
			payload, compressed = v, true
		}
	}
	if protoType != hepProtoSIP || payload == nil || srcLen == 0 || dstLen == 0 {
		return
	}
	if compressed {
		zr, err := zlib.NewReader(bytes.NewReader(payload))
		if err != nil {
			return
		}
		inflated, err := io.ReadAll(io.LimitReader(zr, maxHEPInflate))
		if err != nil && len(inflated) == 0 {
			return
		}
		payload = inflated
	}
	sa := addrFrom(src[:srcLen])
	da := addrFrom(dst[:dstLen])
	transport := "udp"
	switch ipProto {
	case capture.ProtoTCP:
		transport = "tcp"
	case capture.ProtoSCTP:
		transport = "sctp"
	}
	if (sport == 5061 || dport == 5061) && transport == "tcp" {
		transport = "tls" // HEP agents export SIP over TLS decrypted
	}
	in.sipMessage(payload, netip.AddrPortFrom(sa, sport), netip.AddrPortFrom(da, dport), transport, false)
}

func addrFrom(b []byte) netip.Addr {
	if len(b) == 4 {
		return netip.AddrFrom4([4]byte(b))
	}
	return netip.AddrFrom16([16]byte(b)).Unmap()
}

// sctpPacket judges an SCTP packet: the DATA chunks of a SIP association carry whole SIP
// messages (RFC 4168). It returns false when no chunk could be judged.
func (in *inputAuditor) sctpPacket(f *capture.Frame) bool {
	b := f.Payload
	if len(b) < 12 {
		return false
	}
	sport := binary.BigEndian.Uint16(b[0:2])
	dport := binary.BigEndian.Uint16(b[2:4])
	if !isSIPPort(sport) && !isSIPPort(dport) {
		return false
	}
	src := netip.AddrPortFrom(f.Src, sport)
	dst := netip.AddrPortFrom(f.Dst, dport)
	judged := false
	for c := b[12:]; len(c) >= 4; {
		typ, flags := c[0], c[1]
		l := int(binary.BigEndian.Uint16(c[2:4]))
		if l < 4 || l > len(c) {
			break
		}
		chunk := c[:l]
		if pad := (l + 3) &^ 3; pad <= len(c) {
			c = c[pad:]
		} else {
			c = c[l:]
		}
		switch {
		case typ == 0 && len(chunk) > 16:
			// DATA: B (0x2) and E (0x1) mark the first and last fragment of a user message.
			sid := binary.BigEndian.Uint16(chunk[8:10])
			if msg, ok := in.sctpData(src, dst, sid, flags&2 != 0, flags&1 != 0, chunk[16:]); ok {
				in.sipMessage(msg, src, dst, "sctp", f.Cut)
			}
			judged = true
		case typ != 0:
			judged = true // INIT, SACK, HEARTBEAT... of the SIP association
		}
	}
	return judged
}

// WebSocket (RFC 6455) carrying SIP (RFC 7118).

// isWebSocketUpgrade reports whether b starts an HTTP request or response that upgrades
// the connection to WebSocket for SIP.
func isWebSocketUpgrade(b []byte) bool {
	if !(bytes.HasPrefix(b, []byte("GET ")) || bytes.HasPrefix(b, []byte("HTTP/1.1 101"))) {
		return false
	}
	head := b
	if i := bytes.Index(b, []byte("\r\n\r\n")); i >= 0 {
		head = b[:i]
	}
	return containsFold(head, "upgrade: websocket") || containsFold(head, "sec-websocket-protocol: sip")
}

// containsFold reports whether s holds sub, ASCII case-insensitively.
func containsFold(s []byte, sub string) bool {
	n := len(sub)
	for i := 0; i+n <= len(s); i++ {
		if bytes.EqualFold(s[i:i+n], []byte(sub)) {
			return true
		}
	}
	return false
}

// wsFrameLen returns the length of the WebSocket frame at the start of b, 0 when more
// data is needed, or -1 when b does not start with a frame.
func wsFrameLen(b []byte) int {
	if len(b) < 2 {
		return 0
	}
	if b[0]&0x70 != 0 { // reserved bits
		return -1
	}
	switch b[0] & 0x0f {
	case 0, 1, 2, 8, 9, 10:
	default:
		return -1
	}
	n := 2
	l := int(b[1] & 0x7f)
	switch l {
	case 126:
		if len(b) < 4 {
			return 0
		}
		l = int(binary.BigEndian.Uint16(b[2:4]))
		n = 4
	case 127:
		if len(b) < 10 {
			return 0
		}
		l64 := binary.BigEndian.Uint64(b[2:10])
		if l64 > 1<<20 {
			return -1
		}
		l = int(l64)
		n = 10
	}
	if b[1]&0x80 != 0 {
		n += 4
	}
	if n+l > len(b) {
		return 0
	}
	return n + l
}

// wsPayload returns the unmasked payload of a complete WebSocket frame, using buf.
func wsPayload(frame []byte, buf []byte) (opcode byte, payload []byte) {
	opcode = frame[0] & 0x0f
	n := 2
	switch frame[1] & 0x7f {
	case 126:
		n = 4
	case 127:
		n = 10
	}
	masked := frame[1]&0x80 != 0
	var key []byte
	if masked {
		key = frame[n : n+4]
		n += 4
	}
	p := frame[n:]
	if !masked {
		return opcode, p
	}
	buf = append(buf[:0], p...)
	for i := range buf {
		buf[i] ^= key[i&3]
	}
	return opcode, buf
}

// httpHeadLen returns the length of an HTTP header block at the start of b, 0 when it is
// not complete yet.
func httpHeadLen(b []byte) int {
	if i := bytes.Index(b, []byte("\r\n\r\n")); i >= 0 {
		return i + 4
	}
	return 0
}

// sctpKey names one SCTP stream in one direction.
type sctpKey struct {
	src, dst netip.AddrPort
	sid      uint16
}

// Limits of SCTP user-message reassembly.
const (
	maxSCTPPending = 1024     // partial messages held at once
	maxSCTPMessage = 64 << 10 // bytes of one partial message
)

// sctpData reassembles a user message from DATA chunk fragments (RFC 9260 §6.9), in order
// of arrival. It returns the message when the fragment completes one.
func (in *inputAuditor) sctpData(src, dst netip.AddrPort, sid uint16, begin, end bool, data []byte) ([]byte, bool) {
	if begin && end {
		return data, true
	}
	if in.sctp == nil {
		in.sctp = map[sctpKey][]byte{}
	}
	k := sctpKey{src, dst, sid}
	buf, ok := in.sctp[k]
	switch {
	case begin:
		if len(in.sctp) >= maxSCTPPending {
			clear(in.sctp)
		}
		buf = append(buf[:0], data...)
	case !ok:
		return nil, false // a middle or last fragment whose first was not seen
	default:
		buf = append(buf, data...)
	}
	if len(buf) > maxSCTPMessage {
		delete(in.sctp, k)
		return nil, false
	}
	if end {
		delete(in.sctp, k)
		return buf, true
	}
	in.sctp[k] = buf
	return nil, false
}
