package main

import (
	"encoding/binary"
	"math"
	"net/netip"
	"time"

	"github.com/pion/rtcp"
)

// G.711 framing: 20 ms of 8 kHz audio per packet.
const (
	ptime        = 20 * time.Millisecond
	samplesPerPk = 160
)

// segEnd are the upper ends of the eight µ-law segments, in 14-bit magnitude.
var segEnd = [8]int{0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff, 0x1fff}

// mulaw encodes one 16-bit linear sample as G.711 µ-law, as Sun's reference g711.c
// (linear2ulaw) does: on the 14 most significant bits, biased by 33, clipped at 8159.
func mulaw(sample int16) byte {
	const bias, clip = 0x84 >> 2, 8159
	v := int(sample) >> 2
	mask := 0xff
	if v < 0 {
		v, mask = -v, 0x7f
	}
	v = min(v, clip) + bias
	seg := 0
	for seg < len(segEnd) && v > segEnd[seg] {
		seg++
	}
	if seg == len(segEnd) {
		return byte(0x7f ^ mask)
	}
	return byte((seg<<4 | (v>>(seg+1))&0xf) ^ mask)
}

// tone writes n µ-law samples of a sine of freq Hz, starting at sample index first.
func tone(dst []byte, freq float64, first int) {
	for i := range dst {
		v := 6000 * math.Sin(2*math.Pi*freq*float64(first+i)/8000)
		dst[i] = mulaw(int16(v))
	}
}

// rtpHeader writes a 12-byte RTP header.
func rtpHeader(dst []byte, marker bool, pt uint8, seq uint16, ts, ssrc uint32) {
	dst[0] = 0x80
	dst[1] = pt
	if marker {
		dst[1] |= 0x80
	}
	binary.BigEndian.PutUint16(dst[2:], seq)
	binary.BigEndian.PutUint32(dst[4:], ts)
	binary.BigEndian.PutUint32(dst[8:], ssrc)
}

// stream is one RTP stream being written.
type stream struct {
	key    streamKey
	pt     uint8
	seq    uint16
	ts     uint32
	sent   int
	octets int
	freq   float64
	srtp   bool
}

func (s *scenario) newStream(src, dst netip.AddrPort, pt uint8, srtp bool) *stream {
	return &stream{
		key: streamKey{src, dst, s.rng.Uint32()},
		pt:  pt, seq: uint16(s.rng.Uint32()), ts: s.rng.Uint32(),
		freq: 300 + float64(s.rng.IntN(500)), srtp: srtp,
	}
}

// tagStream records that st belongs to the call callID.
func (s *scenario) tagStream(st *stream, callID string) {
	if s.streamCall == nil {
		s.streamCall = map[streamKey]string{}
	}
	s.streamCall[st.key] = callID
}

// packet writes the next RTP packet of st at time t.
func (s *scenario) rtpPacket(t time.Time, st *stream) {
	size := 12 + samplesPerPk
	if st.srtp {
		size += 10 // HMAC-SHA1-80 authentication tag
	}
	p := make([]byte, size)
	rtpHeader(p, st.sent == 0, st.pt, st.seq, st.ts, st.key.ssrc)
	if st.srtp {
		for i := 12; i < size; i++ {
			p[i] = byte(s.rng.Uint32())
		}
	} else {
		tone(p[12:], st.freq, st.sent*samplesPerPk)
	}
	key := st.key
	s.add(frame{t: t, data: s.udpDatagram(key.src, key.dst, tosRTP, p), rtp: &key})
	st.seq++
	st.ts += samplesPerPk
	st.sent++
	st.octets += samplesPerPk
}

// ntp converts a time to a 64-bit NTP timestamp.
func ntp(t time.Time) uint64 {
	secs := uint64(t.Unix() + 2208988800)
	frac := uint64(t.Nanosecond()) << 32 / 1e9
	return secs<<32 | frac
}

// rtcpReport writes a compound RTCP packet from the sender of st (an SR) or, when st has sent
// nothing, a receiver report about rx; both carry an SDES CNAME.
func (s *scenario) rtcpReport(t time.Time, src, dst netip.AddrPort, st, rx *stream, cname string) {
	var blocks []rtcp.ReceptionReport
	if rx != nil && rx.sent > 0 {
		blocks = append(blocks, rtcp.ReceptionReport{
			SSRC: rx.key.ssrc, LastSequenceNumber: uint32(rx.seq - 1), Jitter: uint32(s.rng.IntN(40)),
		})
	}
	var first rtcp.Packet
	var ssrc uint32
	if st != nil && st.sent > 0 {
		ssrc = st.key.ssrc
		first = &rtcp.SenderReport{
			SSRC: ssrc, NTPTime: ntp(t), RTPTime: st.ts, PacketCount: uint32(st.sent),
			OctetCount: uint32(st.octets), Reports: blocks,
		}
	} else {
		ssrc = s.rng.Uint32()
		if st != nil {
			ssrc = st.key.ssrc
		}
		first = &rtcp.ReceiverReport{SSRC: ssrc, Reports: blocks}
	}
	sdes := &rtcp.SourceDescription{Chunks: []rtcp.SourceDescriptionChunk{{
		Source: ssrc, Items: []rtcp.SourceDescriptionItem{{Type: rtcp.SDESCNAME, Text: cname}},
	}}}
	b, err := rtcp.Marshal([]rtcp.Packet{first, sdes})
	if err != nil {
		s.fail(err)
		return
	}
	s.udp(t, src, dst, tosRTP, b)
}

// mediaOpts changes how a call's media flows.
type mediaOpts struct {
	only       int            // 0: both ways; 1: only the caller sends; 2: only the callee sends
	rtcp       bool           // RTCP: the callee's receiver report at the start, a sender report per side half-way
	callerFrom netip.AddrPort // the caller's RTP really leaves from here (zero: as announced)
	calleeFrom netip.AddrPort // the callee's RTP really leaves from here (zero: as announced)
	srtp       bool           // payloads are SRTP (random bytes and an authentication tag)
}

func ap(a netip.Addr, port uint16) netip.AddrPort { return netip.AddrPortFrom(a, port) }

// media writes the RTP (and RTCP) of a dialog for dur, starting at start, between the
// addresses the two SDPs announced. It returns the time after the last packet.
func (d *dialog) media(start time.Time, dur time.Duration, o mediaOpts) time.Time {
	s := d.s
	a, b := d.uac.media, d.uas.media
	aAddr, bAddr := ap(a.addr, a.port), ap(b.addr, b.port)
	aFrom, bFrom := aAddr, bAddr
	if o.callerFrom.IsValid() {
		aFrom = o.callerFrom
	}
	if o.calleeFrom.IsValid() {
		bFrom = o.calleeFrom
	}
	var up, down *stream
	if o.only != 2 {
		up = s.newStream(aFrom, bAddr, 0, o.srtp)
		s.tagStream(up, d.callID)
	}
	if o.only != 1 {
		down = s.newStream(bFrom, aAddr, 0, o.srtp)
		s.tagStream(down, d.callID)
	}
	n := int(dur / ptime)
	// The callee's first packet follows the caller's by a few milliseconds.
	offset := time.Duration(3+s.rng.IntN(7)) * time.Millisecond
	for i := range n {
		t := start.Add(time.Duration(i) * ptime)
		if up != nil {
			s.rtpPacket(t.Add(jitter(s)), up)
		}
		if o.rtcp && i == 0 && up != nil && down != nil {
			// The callee's first RTCP report comes before its first RTP packet: a receiver
			// report about the caller's stream.
			rt := t.Add(offset / 2)
			s.rtcpReport(rt, ap(b.addr, b.port+1), ap(a.addr, a.port+1), down, up, d.uas.user+"@"+b.addr.String())
		}
		if down != nil {
			s.rtpPacket(t.Add(offset+jitter(s)), down)
		}
		if o.rtcp && i == n/2 {
			rt := t.Add(7 * time.Millisecond)
			aRTCP, bRTCP := ap(a.addr, a.port+1), ap(b.addr, b.port+1)
			if o.only != 2 {
				s.rtcpReport(rt, aRTCP, bRTCP, up, down, d.uac.user+"@"+a.addr.String())
			}
			if o.only != 1 {
				s.rtcpReport(rt.Add(offset), bRTCP, aRTCP, down, up, d.uas.user+"@"+b.addr.String())
			}
		}
	}
	return start.Add(time.Duration(n)*ptime + offset + 2*time.Millisecond)
}

// jitter returns a random network jitter below 1.5 ms, with nanosecond resolution.
func jitter(s *scenario) time.Duration {
	return time.Duration(s.rng.IntN(1_500_000))
}
