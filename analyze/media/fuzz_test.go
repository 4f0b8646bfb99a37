package media

import (
	"encoding/binary"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

// FuzzRTP feeds arbitrary datagrams to the classifiers and the Tracker, and arbitrary
// header sequences to a Stream, and checks what must hold for any input.
func FuzzRTP(f *testing.F) {
	f.Add(synth{ssrc: 1, seq: 1, payload: 20}.rtpBytes(), []byte{0, 0, 0, 20, 1, 0, 0, 1, 0, 20})
	f.Add(rtpWithExtension(9), []byte{0xff, 0xff, 0, 0, 0xff, 0, 0, 0, 1, 1})
	f.Add([]byte{0xa0, 8, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 3}, []byte{13, 0x80})
	f.Add([]byte{0x8f, 0xc8, 0, 1}, []byte(nil))
	f.Add([]byte{0, 1, 0, 0, 0x21, 0x12, 0xa4, 0x42, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, []byte{1})
	f.Fuzz(func(t *testing.T, datagram, seqs []byte) {
		checkClassifierConsistency(t, datagram)

		tr := NewTracker(TrackerConfig{MaxStreams: 2})
		s := tr.AddRTP(addrA, addrB, datagram, testEpoch, 1)
		if (s != nil) != IsRTP(datagram) {
			t.Fatalf("AddRTP returned %v for IsRTP %v", s, IsRTP(datagram))
		}
		if s != nil {
			st := s.Stats()
			if st.Packets != 1 || st.Bytes < 0 || st.Bytes > len(datagram)-12 || st.SSRC != binary.BigEndian.Uint32(datagram[8:]) {
				t.Fatalf("one datagram gave %+v", st)
			}
		}

		// Each 5 bytes of seqs: sequence number, timestamp step, payload type and marker,
		// arrival step (which may go back).
		str := NewStream(addrA, addrB, 7)
		var h rtp.Header
		at := testEpoch
		ts := uint32(0)
		n := 0
		for len(seqs) >= 5 {
			h.SequenceNumber = binary.BigEndian.Uint16(seqs)
			ts += uint32(seqs[2]) * 40
			h.Timestamp = ts
			h.PayloadType = seqs[3] & 0x7f
			h.Marker = seqs[3]&0x80 != 0
			at = at.Add(time.Duration(int8(seqs[4])) * time.Millisecond)
			str.Add(&h, int(seqs[4]), at, n)
			n++
			seqs = seqs[5:]
		}
		st := str.Stats()
		if st.Packets != n || st.Duplicates+st.OutOfOrder > n {
			t.Fatalf("%d packets: %+v", n, st)
		}
		for _, v := range []float64{st.JitterMs, st.MinJitterMs, st.MeanJitterMs, st.MaxJitterMs, st.MaxDeltaMs} {
			if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("figure %v in %+v", v, st)
			}
		}
		if st.MeanJitterMs > st.MaxJitterMs+1e-9 {
			t.Fatalf("mean jitter %v above max %v", st.MeanJitterMs, st.MaxJitterMs)
		}
		if st.MOS != 0 && (st.MOS < 1 || st.MOS > 4.5) {
			t.Fatalf("MOS %v", st.MOS)
		}
		if len(st.PayloadTypes) > maxPayloadTypes {
			t.Fatalf("%d payload types kept", len(st.PayloadTypes))
		}
	})
}

// FuzzRTCP feeds arbitrary datagrams to ParseRTCP and ParseSRTCP.
func FuzzRTCP(f *testing.F) {
	sr := &rtcp.SenderReport{SSRC: 1, Reports: []rtcp.ReceptionReport{{SSRC: 2, TotalLost: 5}}}
	b, err := rtcp.Marshal([]rtcp.Packet{sr, rtcp.NewCNAMESourceDescription(1, "x"), &rtcp.Goodbye{Sources: []uint32{1}}})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b, uint8(10))
	f.Add(append(b[:8:8], 0x80, 0, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10), uint8(10))
	f.Add([]byte{0x81, 0xc9, 0, 7}, uint8(4))
	f.Fuzz(func(t *testing.T, b []byte, tagLen uint8) {
		checkClassifierConsistency(t, b)
		calls := 0
		err := ParseRTCP(b, func(r Report) {
			calls++
			if r.Type != rtcpSR && r.Type != rtcpRR {
				t.Fatalf("report of type %d", r.Type)
			}
			if len(r.Blocks) > 31 || (r.Partial && len(r.Blocks) != 0) {
				t.Fatalf("report %+v", r)
			}
			if 24*len(r.Blocks) > len(b) {
				t.Fatalf("%d blocks from %d bytes", len(r.Blocks), len(b))
			}
		})
		if IsRTCP(b) {
			if errors.Is(err, ErrNotRTCP) {
				t.Fatalf("IsRTCP but ParseRTCP says %v", err)
			}
		} else if !errors.Is(err, ErrNotRTCP) || calls != 0 {
			t.Fatalf("not RTCP, but ParseRTCP returned %v after %d reports", err, calls)
		}
		_ = ParseSRTCP(b, int(tagLen), func(r Report) {
			if r.Type != rtcpSR && r.Type != rtcpRR {
				t.Fatalf("SRTCP report of type %d", r.Type)
			}
		})
		tr := NewTracker(TrackerConfig{})
		_ = tr.AddRTCP(addrA, addrB, b, testEpoch, 1, nil)
	})
}
