package media

import (
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

// BenchmarkRTPHeader decodes an RTP header with pion/rtp into a reused Header.
func BenchmarkRTPHeader(b *testing.B) {
	for name, pkt := range map[string][]byte{
		"plain":     synth{ssrc: 1, seq: 1, payload: 160}.rtpBytes(),
		"extension": rtpWithExtension(1),
	} {
		b.Run(name, func(b *testing.B) {
			var h rtp.Header
			b.ReportAllocs()
			b.SetBytes(int64(len(pkt)))
			for i := 0; i < b.N; i++ {
				if _, err := h.Unmarshal(pkt); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRTPPacket is the per-packet cost of the Tracker on an existing stream:
// classification, header decode, table lookup, sequence, loss and jitter accounting.
func BenchmarkRTPPacket(b *testing.B) {
	tr := NewTracker(TrackerConfig{})
	// Other streams in the table, so that the lookup is not in a one-entry map.
	for i := 0; i < 1000; i++ {
		p := synth{src: addrA, dst: addrB, ssrc: uint32(1000 + i)}
		tr.AddRTP(p.src, p.dst, p.rtpBytes(), testEpoch, i)
	}
	pkt := synth{src: addrA, dst: addrB, ssrc: 1, payload: 160}.rtpBytes()
	at := testEpoch
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		seq := uint16(i)
		pkt[2], pkt[3] = byte(seq>>8), byte(seq)
		ts := uint32(i) * 160
		pkt[4], pkt[5], pkt[6], pkt[7] = byte(ts>>24), byte(ts>>16), byte(ts>>8), byte(ts)
		at = at.Add(20*time.Millisecond + time.Duration(i%7)*100*time.Microsecond)
		tr.AddRTP(addrA, addrB, pkt, at, i)
	}
}

// BenchmarkClassify classifies a mix of RTP, RTCP, STUN and other payloads.
func BenchmarkClassify(b *testing.B) {
	rr, err := rtcp.Marshal([]rtcp.Packet{&rtcp.ReceiverReport{SSRC: 1, Reports: []rtcp.ReceptionReport{{SSRC: 2}}}, rtcp.NewCNAMESourceDescription(1, "a@b")})
	if err != nil {
		b.Fatal(err)
	}
	mix := [][]byte{
		synth{ssrc: 1, seq: 1, payload: 160}.rtpBytes(),
		rr,
		cat([]byte{0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42}, make([]byte, 12)),
		[]byte("SIP/2.0 200 OK\r\n"),
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		Classify(mix[i%len(mix)])
	}
}

// BenchmarkParseRTCP parses an SR+RR+SDES compound (RTCP is a small share of packets).
func BenchmarkParseRTCP(b *testing.B) {
	pkt, err := rtcp.Marshal([]rtcp.Packet{
		&rtcp.SenderReport{SSRC: 1, Reports: []rtcp.ReceptionReport{{SSRC: 2, TotalLost: 1}}},
		&rtcp.ReceiverReport{SSRC: 1, Reports: []rtcp.ReceptionReport{{SSRC: 3}}},
		rtcp.NewCNAMESourceDescription(1, "a@b"),
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if err := ParseRTCP(pkt, func(Report) {}); err != nil {
			b.Fatal(err)
		}
	}
}
