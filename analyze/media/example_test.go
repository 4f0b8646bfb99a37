package media_test

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"time"

	"github.com/ixaudit/ixaudit/analyze/media"
)

// pcmu builds a PCMU packet with the given sequence number and timestamp.
func pcmu(seq uint16, ts uint32) []byte {
	b := make([]byte, 12+160)
	b[0], b[1] = 0x80, 0 // version 2, payload type 0
	binary.BigEndian.PutUint16(b[2:], seq)
	binary.BigEndian.PutUint32(b[4:], ts)
	binary.BigEndian.PutUint32(b[8:], 0x5eed)
	return b
}

func Example() {
	src := netip.MustParseAddrPort("10.0.0.1:16384")
	dst := netip.MustParseAddrPort("168.86.128.10:20000")
	start := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

	tr := media.NewTracker(media.TrackerConfig{})
	for i := 0; i < 50; i++ {
		if i == 10 || i == 11 {
			continue // two packets lost on the way
		}
		wobble := time.Duration(i%3) * time.Millisecond // arrivals 0, 1, 2 ms late
		at := start.Add(time.Duration(i)*20*time.Millisecond + wobble)
		tr.AddRTP(src, dst, pcmu(uint16(1000+i), uint32(i)*160), at, i+1)
	}
	for _, s := range tr.Streams() {
		st := s.Stats()
		fmt.Printf("%v -> %v ssrc %#x %s: %d packets, %d lost, max delta %.0f ms\n",
			st.Src, st.Dst, st.SSRC, st.Codec, st.Packets, st.Lost, st.MaxDeltaMs)
		fmt.Printf("jitter mean %.3f ms, max %.3f ms, MOS %.2f\n", st.MeanJitterMs, st.MaxJitterMs, st.MOS)
	}
	// Output:
	// 10.0.0.1:16384 -> 168.86.128.10:20000 ssrc 0x5eed PCMU: 48 packets, 2 lost, max delta 60 ms
	// jitter mean 0.896 ms, max 1.277 ms, MOS 3.97
}

func ExampleParseRTCP() {
	// An RR reporting on SSRC 0x5eed: 1/4 lost since the last report, 17 in all, jitter 80.
	rr := []byte{
		0x81, 201, 0, 7, // V=2, one report block, RR, length 7
		0, 0, 0, 0x99, // reporter
		0, 0, 0x5e, 0xed, // reported source
		64, 0, 0, 17, // fraction lost, cumulative lost
		0, 0, 0x04, 0x00, // extended highest sequence number
		0, 0, 0, 80, // jitter
		0, 0, 0, 0, 0, 0, 0, 0, // LSR, DLSR
	}
	err := media.ParseRTCP(rr, func(r media.Report) {
		for _, b := range r.Blocks {
			fmt.Printf("from %#x about %#x: %.0f%% lost recently, %d in all, jitter %.0f ms at 8 kHz\n",
				r.SSRC, b.SSRC, 100*b.FractionLostRatio(), b.CumLost, b.JitterMs(8000))
		}
	})
	fmt.Println(err)
	// Output:
	// from 0x99 about 0x5eed: 25% lost recently, 17 in all, jitter 10 ms at 8 kHz
	// <nil>
}
