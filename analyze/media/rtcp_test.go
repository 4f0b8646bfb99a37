package media

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pion/rtcp"
)

// pionCompound marshals packets with pion/rtcp, an implementation independent of ours.
func pionCompound(t testing.TB, pkts ...rtcp.Packet) []byte {
	t.Helper()
	b, err := rtcp.Marshal(pkts)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func collect(t testing.TB, b []byte) ([]Report, error) {
	t.Helper()
	var out []Report
	err := ParseRTCP(b, func(r Report) { out = append(out, r) })
	return out, err
}

func TestParseRTCP(t *testing.T) {
	blockA := rtcp.ReceptionReport{SSRC: 0xaaaa, FractionLost: 64, TotalLost: 17, LastSequenceNumber: 0x0001_0203, Jitter: 80, LastSenderReport: 0x1234_5678, Delay: 65536}
	blockB := rtcp.ReceptionReport{SSRC: 0xbbbb, FractionLost: 0, TotalLost: 0xffffff, LastSequenceNumber: 9, Jitter: 0}
	sr := &rtcp.SenderReport{SSRC: 0x1111, NTPTime: 0xdead_beef_0000_0001, RTPTime: 160000, PacketCount: 1000, OctetCount: 160000, Reports: []rtcp.ReceptionReport{blockA, blockB}}
	rr := &rtcp.ReceiverReport{SSRC: 0x2222, Reports: []rtcp.ReceptionReport{blockA}}
	sdes := rtcp.NewCNAMESourceDescription(0x1111, "alice@example.com")
	bye := &rtcp.Goodbye{Sources: []uint32{0x1111}}

	wantA := ReportBlock{SSRC: 0xaaaa, FractionLost: 64, CumLost: 17, HighestSeq: 0x0001_0203, Jitter: 80, LSR: 0x1234_5678, DLSR: 65536}
	wantB := ReportBlock{SSRC: 0xbbbb, CumLost: -1, HighestSeq: 9} // 0xffffff is −1 in 24-bit two's complement
	wantSR := Report{Type: 200, SSRC: 0x1111, NTPTime: 0xdead_beef_0000_0001, RTPTime: 160000, PacketCount: 1000, OctetCount: 160000, Blocks: []ReportBlock{wantA, wantB}}
	wantRR := Report{Type: 201, SSRC: 0x2222, Blocks: []ReportBlock{wantA}}

	tests := []struct {
		name    string
		b       []byte
		want    []Report
		wantErr error
	}{
		{"SR", pionCompound(t, sr), []Report{wantSR}, nil},
		{"RR", pionCompound(t, rr), []Report{wantRR}, nil},
		{"empty RR", pionCompound(t, &rtcp.ReceiverReport{SSRC: 5}), []Report{{Type: 201, SSRC: 5}}, nil},
		{"SR+SDES+BYE", pionCompound(t, sr, sdes, bye), []Report{wantSR}, nil},
		{"RR+SDES+SR+RR", pionCompound(t, rr, sdes, sr, rr), []Report{wantRR, wantSR, wantRR}, nil},
		{"reduced-size PLI alone", pionCompound(t, &rtcp.PictureLossIndication{SenderSSRC: 1, MediaSSRC: 2}), nil, nil},
		// AES-CM keeps lengths: the clear header still says 32 bytes for the RR, and the
		// encrypted bytes after the first 8 walk nowhere.
		{"SRTCP: RR, encrypted rest, trailer", cat(pionCompound(t, rr)[:8], bytes.Repeat([]byte{0x13}, 24), []byte{0x80, 0, 0, 7}, make([]byte, 10)),
			[]Report{{Type: 201, SSRC: 0x2222, Partial: true}}, nil},
		{"stray bytes", cat(pionCompound(t, rr), []byte{0, 0}), []Report{wantRR}, ErrMalformedRTCP},
		{"second packet claims 3 blocks, holds 1", cat(pionCompound(t, rr), withCount(pionCompound(t, rr), 3)), []Report{wantRR, wantRR}, ErrMalformedRTCP},
		{"SR after the first without room for sender info", cat(pionCompound(t, rr), rtcpPacket(rtcpSR, 0, 1)), []Report{wantRR, {Type: 200, Partial: true}}, ErrMalformedRTCP},
		{"not RTCP", []byte("INVITE sip:x SIP/2.0\r\n"), nil, ErrNotRTCP},
		{"empty", nil, nil, ErrNotRTCP},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := collect(t, tt.b)
			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Errorf("error = %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("reports (-want +got):\n%s", diff)
			}
		})
	}
}

// withCount rewrites the report count of the first packet of b.
func withCount(b []byte, rc int) []byte {
	b = bytes.Clone(b)
	b[0] = b[0]&^0x1f | byte(rc)
	return b
}

func TestParseSRTCP(t *testing.T) {
	rr := pionCompound(t, &rtcp.ReceiverReport{SSRC: 0x2222, Reports: []rtcp.ReceptionReport{{SSRC: 7, TotalLost: 3, Jitter: 8}}})
	tag := bytes.Repeat([]byte{0xee}, 10)
	clear := cat(rr, []byte{0x00, 0, 0, 1}, tag)     // E = 0: the packets are in clear
	encrypted := cat(rr, []byte{0x80, 0, 0, 1}, tag) // E = 1 (the bytes stand for ciphertext)
	var got []Report
	if err := ParseSRTCP(clear, 10, func(r Report) { got = append(got, r) }); err != nil {
		t.Fatal(err)
	}
	want := []Report{{Type: 201, SSRC: 0x2222, Blocks: []ReportBlock{{SSRC: 7, CumLost: 3, Jitter: 8}}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("SRTCP with E=0 (-want +got):\n%s", diff)
	}
	got = nil
	if err := ParseSRTCP(encrypted, 10, func(r Report) { got = append(got, r) }); err != nil {
		t.Fatal(err)
	}
	want = []Report{{Type: 201, SSRC: 0x2222, Partial: true}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("SRTCP with E=1 (-want +got):\n%s", diff)
	}
	for _, bad := range [][]byte{nil, encrypted[:12], cat([]byte("hello world!"), []byte{0x80, 0, 0, 1}, tag)} {
		if err := ParseSRTCP(bad, 10, func(Report) { t.Error("callback on bad input") }); !errors.Is(err, ErrNotRTCP) {
			t.Errorf("ParseSRTCP(% x) error %v, want ErrNotRTCP", head(bad), err)
		}
	}
	if err := ParseSRTCP(encrypted, -1, func(Report) {}); !errors.Is(err, ErrNotRTCP) {
		t.Errorf("negative tag length: error %v", err)
	}
}

func TestReportBlockConversions(t *testing.T) {
	b := ReportBlock{FractionLost: 64, Jitter: 80}
	if got := b.FractionLostRatio(); got != 0.25 {
		t.Errorf("fraction lost 64/256 = %v, want 0.25", got)
	}
	if got := b.JitterMs(8000); got != 10 {
		t.Errorf("jitter 80 ticks at 8 kHz = %v ms, want 10", got)
	}
	if got := b.JitterMs(0); got != 0 {
		t.Errorf("jitter with unknown clock = %v, want 0", got)
	}
}

// pdml is the part of tshark's PDML output that holds RTCP.
type pdml struct {
	Packets []struct {
		Protos []pdmlField `xml:"proto"`
	} `xml:"packet"`
}

type pdmlField struct {
	Name   string      `xml:"name,attr"`
	Show   string      `xml:"show,attr"`
	Value  string      `xml:"value,attr"`
	Fields []pdmlField `xml:"field"`
}

// walk calls fn for f's fields in document order, depth first.
func (f pdmlField) walk(fn func(pdmlField)) {
	for _, c := range f.Fields {
		fn(c)
		c.walk(fn)
	}
}

// TestParseRTCPAgreesWithTshark parses the RTCP of the shared captures and compares every
// SR and RR, field by field, with tshark 4.0.17's decode (PDML).
func TestParseRTCPAgreesWithTshark(t *testing.T) {
	if testing.Short() {
		t.Skip("runs tshark on the shared captures")
	}
	bin := needTshark(t)
	dir := capturesDir(t)
	for _, rel := range []string{"nDPI/rtcp_multiple_pkts_in_the_same_datagram.pcap", "heplify/rtp_rtcp_sip_ipv4_udp.pcap", "nDPI/sip.pcap", "sngrep/aaa.pcap"} {
		t.Run(rel, func(t *testing.T) {
			path := filepath.Join(dir, rel)
			run := func(args ...string) []byte {
				cmd := exec.Command(bin, append([]string{"-n", "-r", path, "-o", "rtcp.heuristic_rtcp:TRUE", "-Y", "rtcp && !icmp && !gtp"}, args...)...)
				cmd.Env = append(os.Environ(), "LC_ALL=C")
				out, err := cmd.Output()
				if err != nil {
					t.Fatalf("tshark: %v", err)
				}
				return out
			}
			var doc pdml
			if err := xml.Unmarshal(run("-T", "pdml"), &doc); err != nil {
				t.Fatal(err)
			}
			payloads := strings.Split(strings.TrimSpace(string(run("-T", "fields", "-e", "udp.payload"))), "\n")
			if len(payloads) != len(doc.Packets) {
				t.Fatalf("%d payloads for %d packets", len(payloads), len(doc.Packets))
			}
			n := 0
			for i, p := range doc.Packets {
				var want []Report
				for _, proto := range p.Protos {
					if proto.Name == "rtcp" {
						if r, ok := reportFromPDML(t, proto); ok {
							want = append(want, r)
						}
					}
				}
				b, err := hex.DecodeString(payloads[i])
				if err != nil {
					t.Fatal(err)
				}
				got, err := collect(t, b)
				if err != nil && !errors.Is(err, ErrMalformedRTCP) {
					t.Errorf("packet %d: %v", i, err)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("packet %d reports (-tshark +ours):\n%s", i, diff)
				}
				n += len(got)
			}
			t.Logf("%d SR/RR compared", n)
		})
	}
}

// reportFromPDML builds the Report tshark decoded in one rtcp proto element; ok is false
// for packet types other than SR and RR.
func reportFromPDML(t testing.TB, proto pdmlField) (r Report, ok bool) {
	num := func(f pdmlField) uint64 {
		v, err := strconv.ParseUint(f.Show, 0, 64)
		if err != nil {
			t.Fatalf("%s=%q: %v", f.Name, f.Show, err)
		}
		return v
	}
	var msw, lsw uint64
	var blk *ReportBlock
	proto.walk(func(f pdmlField) {
		switch f.Name {
		case "rtcp.pt":
			r.Type = uint8(num(f))
		case "rtcp.senderssrc":
			r.SSRC = uint32(num(f))
		case "rtcp.timestamp.ntp.msw":
			msw = num(f)
		case "rtcp.timestamp.ntp.lsw":
			lsw = num(f)
		case "rtcp.timestamp.rtp":
			r.RTPTime = uint32(num(f))
		case "rtcp.sender.packetcount":
			r.PacketCount = uint32(num(f))
		case "rtcp.sender.octetcount":
			r.OctetCount = uint32(num(f))
		case "rtcp.ssrc.identifier":
			r.Blocks = append(r.Blocks, ReportBlock{SSRC: uint32(num(f))})
			blk = &r.Blocks[len(r.Blocks)-1]
		case "rtcp.ssrc.fraction":
			blk.FractionLost = uint8(num(f))
		case "rtcp.ssrc.cum_nr":
			v, err := hex.DecodeString(f.Value) // the raw 24 bits: tshark shows them unsigned
			if err != nil || len(v) != 3 {
				t.Fatalf("cum_nr value %q", f.Value)
			}
			blk.CumLost = int32(binary.BigEndian.Uint32(append([]byte{0}, v...))) << 8 >> 8
		case "rtcp.ssrc.ext_high":
			blk.HighestSeq = uint32(num(f))
		case "rtcp.ssrc.jitter":
			blk.Jitter = uint32(num(f))
		case "rtcp.ssrc.lsr":
			blk.LSR = uint32(num(f))
		case "rtcp.ssrc.dlsr":
			blk.DLSR = uint32(num(f))
		}
	})
	r.NTPTime = msw<<32 | lsw
	return r, r.Type == rtcpSR || r.Type == rtcpRR
}
