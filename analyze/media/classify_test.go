package media

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// rtcpPacket builds one RTCP packet of type pt with count rc and a body of n 32-bit words
// after the header (the length field is n).
func rtcpPacket(pt uint8, rc int, words int) []byte {
	b := make([]byte, 4+4*words)
	b[0] = 0x80 | byte(rc)
	b[1] = pt
	binary.BigEndian.PutUint16(b[2:], uint16(words))
	return b
}

func cat(bs ...[]byte) []byte { return bytes.Join(bs, nil) }

func TestClassify(t *testing.T) {
	rtpPkt := synth{ssrc: 1, seq: 1, pt: 0, payload: 20}.rtpBytes()
	withExt := cat([]byte{0x90, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1}, []byte{0xbe, 0xde, 0, 1, 0x10, 0xaa, 0, 0}, make([]byte, 10))
	padded := cat([]byte{0xa0, 8, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1}, make([]byte, 10), []byte{0, 0, 3})
	stun := cat([]byte{0x00, 0x01, 0x00, 0x08, 0x21, 0x12, 0xa4, 0x42}, make([]byte, 12), []byte{0x80, 0x22, 0, 4, 'x', 'y', 'z', 'w'})
	dtls := cat([]byte{22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4}, []byte{1, 2, 3, 4})
	sr := rtcpPacket(rtcpSR, 1, 6+6)
	rr := rtcpPacket(rtcpRR, 0, 1)
	sdes := rtcpPacket(rtcpSDES, 1, 3)
	tests := []struct {
		name string
		b    []byte
		want Kind
	}{
		{"empty", nil, KindUnknown},
		{"rtp", rtpPkt, KindRTP},
		{"rtp header only", rtpPkt[:12], KindRTP},
		{"rtp 11 bytes", rtpPkt[:11], KindUnknown},
		{"rtp version 3", append([]byte{0xc0}, rtpPkt[1:]...), KindUnknown},
		{"rtp extension", withExt, KindRTP},
		{"rtp extension past end", withExt[:17], KindUnknown},
		{"rtp extension length a lie", cat([]byte{0x90, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1}, []byte{0xbe, 0xde, 0xff, 0xff}), KindUnknown},
		{"rtp 15 CSRCs past end", cat([]byte{0x8f, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1}, make([]byte, 20)), KindUnknown},
		{"rtp 2 CSRCs", cat([]byte{0x82, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1}, make([]byte, 8)), KindRTP},
		{"rtp padding", padded, KindRTP},
		{"rtp padding zero", cat(padded[:len(padded)-1], []byte{0}), KindUnknown},
		{"rtp padding longer than payload", cat(padded[:len(padded)-1], []byte{14}), KindUnknown},
		{"rtp padding bit, nothing after header", cat([]byte{0xa0, 8, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1}), KindUnknown},
		{"rtp PT 72 (marker set looks like SR)", cat([]byte{0x80, 0xc8, 0, 1}, make([]byte, 30)), KindUnknown},
		{"rtp PT 77 without RTCP structure", cat([]byte{0x80, 77, 0, 1}, make([]byte, 30)), KindRTP},
		{"rtcp SR", sr, KindRTCP},
		{"rtcp RR empty", rr, KindRTCP},
		{"rtcp compound SR+SDES", cat(sr, sdes), KindRTCP},
		{"rtcp compound RR+SDES+BYE", cat(rr, sdes, rtcpPacket(rtcpBYE, 1, 1)), KindRTCP},
		{"rtcp reduced-size PSFB", rtcpPacket(rtcpPSFB, 1, 2), KindRTCP},
		{"rtcp XR", rtcpPacket(rtcpXR, 0, 3), KindRTCP},
		{"srtcp: RR + encrypted rest + E|index + 10-byte tag", cat(rr, []byte{0x5a, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77}, []byte{0x80, 0, 0, 1}, make([]byte, 10)), KindRTCP},
		{"rtcp SR too short for its blocks", rtcpPacket(rtcpSR, 2, 6+6), KindUnknown},
		{"rtcp length past end", sr[:len(sr)-4], KindUnknown},
		{"rtcp padding bit on first", append([]byte{0xa0}, rr[1:]...), KindUnknown},
		{"rtcp 2 stray bytes (seen in the wild)", cat(rr, []byte{0, 0}), KindRTCP},
		{"rtcp PT 199", rtcpPacket(199, 0, 1), KindUnknown},
		{"stun", stun, KindSTUN},
		{"stun bad cookie", cat(stun[:4], []byte{0x21, 0x12, 0xa4, 0x43}, stun[8:]), KindUnknown},
		{"stun length not multiple of 4", cat([]byte{0, 1, 0, 6}, stun[4:20], make([]byte, 6)), KindUnknown},
		{"stun length a lie", cat([]byte{0, 1, 0, 0x40}, stun[4:]), KindUnknown},
		{"dtls handshake", dtls, KindDTLS},
		{"dtls record length a lie", cat(dtls[:11], []byte{0x10, 0}, dtls[13:]), KindUnknown},
		{"dtls not version FE", cat([]byte{22, 0x03}, dtls[2:]), KindUnknown},
		{"dtls 1.0 alert", cat([]byte{21, 0xfe, 0xff, 0, 1, 0, 0, 0, 0, 0, 2, 0, 2}, []byte{2, 40}), KindDTLS},
		{"dtls 1.3 unified header not recognised", []byte{0x2c, 0x01, 0x02, 0x03, 0x04}, KindUnknown},
		{"snmp (0x30) is not dtls", []byte{0x30, 0x29, 0x02, 0x01, 0x00, 0x04, 0x06, 'p', 'u', 'b', 'l', 'i', 'c', 0xa0}, KindUnknown},
		{"zrtp", cat([]byte{0x10, 0, 0, 1, 'Z', 'R', 'T', 'P'}, make([]byte, 8)), KindZRTP},
		{"turn channel data", cat([]byte{0x40, 0x00, 0, 4}, []byte{1, 2, 3, 4}), KindTURN},
		{"sip", []byte("INVITE sip:bob@example.com SIP/2.0\r\n"), KindUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Classify(tt.b); got != tt.want {
				t.Errorf("Classify(% x) = %v, want %v", head(tt.b), got, tt.want)
			}
			checkClassifierConsistency(t, tt.b)
		})
	}
}

func head(b []byte) []byte {
	if len(b) > 24 {
		return b[:24]
	}
	return b
}

// checkClassifierConsistency asserts the relations between the classifiers that must hold
// for any input.
func checkClassifierConsistency(t testing.TB, b []byte) {
	t.Helper()
	k := Classify(b)
	isRTP, isRTCP, isSTUN, isDTLS := IsRTP(b), IsRTCP(b), IsSTUN(b), IsDTLS(b)
	n := 0
	for _, v := range []bool{isSTUN, isDTLS, isRTP || isRTCP} {
		if v {
			n++
		}
	}
	if n > 1 {
		t.Fatalf("% x: several classifiers accept it (rtp %v rtcp %v stun %v dtls %v)", head(b), isRTP, isRTCP, isSTUN, isDTLS)
	}
	want := KindUnknown
	switch {
	case isRTCP:
		want = KindRTCP
	case isRTP:
		want = KindRTP
	case isSTUN:
		want = KindSTUN
	case isDTLS:
		want = KindDTLS
	}
	if k == KindZRTP || k == KindTURN {
		if want != KindUnknown {
			t.Fatalf("% x: Classify %v but %v accepts it", head(b), k, want)
		}
		return
	}
	if k != want {
		t.Fatalf("% x: Classify says %v, the Is functions say %v", head(b), k, want)
	}
	if !isRTCP && ParseRTCP(b, func(Report) {}) == nil {
		t.Fatalf("% x: ParseRTCP accepts what IsRTCP rejects", head(b))
	}
}

// TestClassifyAgreesWithTshark classifies every UDP payload of the shared captures that
// carry media and compares with what tshark 4.0.17 (RTP and RTCP heuristics on) decodes.
func TestClassifyAgreesWithTshark(t *testing.T) {
	if testing.Short() {
		t.Skip("runs tshark on the shared captures")
	}
	bin := needTshark(t)
	dir := capturesDir(t)
	files := append(rtpCaptures(t, dir), "nDPI/rtcp_multiple_pkts_in_the_same_datagram.pcap", "nDPI/webex.pcap")
	for _, rel := range files {
		t.Run(rel, func(t *testing.T) {
			cmd := exec.Command(bin, "-n", "-r", filepath.Join(dir, rel), "-o", "rtp.heuristic_rtp:TRUE",
				"-o", "rtcp.heuristic_rtcp:TRUE", "-Y", "udp && !icmp && !icmpv6 && !gtp", "-T", "fields",
				"-e", "frame.number", "-e", "frame.protocols", "-e", "udp.payload")
			cmd.Env = append(os.Environ(), "LC_ALL=C")
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("tshark: %v", err)
			}
			confusion := map[string]int{}
			for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
				f := strings.Split(line, "\t")
				if len(f) != 3 || strings.Contains(f[2], ",") {
					continue
				}
				payload, err := hex.DecodeString(f[2])
				if err != nil {
					t.Fatalf("frame %s: %v", f[0], err)
				}
				theirs := tsharkKind(f[1])
				ours := Classify(payload)
				checkClassifierConsistency(t, payload)
				confusion[fmt.Sprintf("tshark %-7v ours %v", theirs, ours)]++
				if theirs == KindRTP && ours == KindUnknown && rtpPaddingInsane(payload) {
					t.Logf("frame %s: tshark decodes RTP whose padding count is longer than the packet; IsRTP rejects it", f[0])
					continue
				}
				if theirs != KindUnknown && ours != theirs {
					t.Errorf("frame %s (%s): tshark decodes %v, we classify %v", f[0], f[1], theirs, ours)
				}
			}
			keys := make([]string, 0, len(confusion))
			for k := range confusion {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				t.Logf("%s: %d", k, confusion[k])
			}
		})
	}
}

// rtpPaddingInsane reports a packet that would be RTP but for its padding count, which the
// RTP heuristic of Wireshark does not check (nDPI/fuzz-2006-06-26-2594.pcap frame 630).
func rtpPaddingInsane(b []byte) bool {
	n := rtpHeaderLen(b)
	return n >= 0 && b[0]&0x20 != 0 && (len(b) == n || b[len(b)-1] == 0 || n+int(b[len(b)-1]) > len(b))
}

// tsharkKind maps what tshark decodes right above UDP to a Kind; KindUnknown for anything
// else (SIP, DNS, data, ...).
func tsharkKind(protocols string) Kind {
	_, above, ok := strings.Cut(protocols, ":udp:")
	if !ok {
		return KindUnknown
	}
	switch {
	case above == "rtp:rtcp" || strings.HasPrefix(above, "rtcp"):
		return KindRTCP
	case strings.HasPrefix(above, "rtp"):
		return KindRTP
	case strings.HasPrefix(above, "stun"):
		return KindSTUN
	case strings.HasPrefix(above, "dtls"):
		return KindDTLS
	}
	return KindUnknown
}
