package media

import (
	"bufio"
	"bytes"
	"math"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/ixaudit/ixaudit/capture/corpus"
)

// capturesDir returns the shared capture corpus, or skips the test when it is absent.
func capturesDir(t testing.TB) string { return corpus.Dir(t) }

// rtpCaptures lists the captures that INDEX.tsv says carry RTP.
func rtpCaptures(t testing.TB, dir string) []string {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "INDEX.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	col := -1
	for sc.Scan() {
		fields := strings.Split(sc.Text(), "\t")
		if col < 0 {
			col = slices.Index(fields, "rtp_streams")
			if col < 0 {
				t.Fatal("INDEX.tsv has no rtp_streams column")
			}
			continue
		}
		if col < len(fields) && !strings.HasPrefix(fields[col], "sdp:0 heur:0") {
			out = append(out, fields[0])
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// tsharkPacket is one RTP packet as tshark decodes it.
type tsharkPacket struct {
	number   int
	at       time.Time
	src, dst netip.AddrPort
	ssrc     uint32
	seq      uint16
	ts       uint32
	pt       uint8
	marker   bool
}

// tsharkRTP decodes the RTP packets of a capture with tshark -T fields. Inside tunnels
// (GTP, ...) the innermost addresses and ports are the stream's, as for tshark's tap; RTP
// over TCP (RFC 4571, or STUN/TURN framing) takes the TCP ports.
func tsharkRTP(t testing.TB, path string, opts ...string) []tsharkPacket {
	t.Helper()
	bin := needTshark(t)
	args := []string{"-n", "-r", path, "-Y", "rtp && !icmp && !icmpv6", "-T", "fields", "-E", "separator=/t"}
	for _, f := range []string{"frame.number", "frame.time_epoch", "frame.protocols",
		"ip.src", "ip.dst", "ipv6.src", "ipv6.dst", "udp.srcport", "udp.dstport", "tcp.srcport", "tcp.dstport",
		"rtp.ssrc", "rtp.seq", "rtp.timestamp", "rtp.p_type", "rtp.marker"} {
		args = append(args, "-e", f)
	}
	args = append(args, opts...)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tshark %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	last := func(s string) string { return s[strings.LastIndexByte(s, ',')+1:] }
	first := func(s string) string { v, _, _ := strings.Cut(s, ","); return v }
	var pkts []tsharkPacket
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 16 {
			continue
		}
		var netw, trans string
		for _, proto := range strings.Split(f[2], ":") {
			switch proto {
			case "ip", "ipv6":
				netw = proto
			case "udp", "tcp":
				trans = proto
			}
		}
		src, dst := f[3], f[4]
		if netw == "ipv6" {
			src, dst = f[5], f[6]
		}
		sport, dport := f[7], f[8]
		if trans == "tcp" {
			sport, dport = f[9], f[10]
		}
		p := tsharkPacket{number: atoi(t, f[0]), at: parseEpoch(t, f[1])}
		p.src = netip.AddrPortFrom(netip.MustParseAddr(last(src)), uint16(atoi(t, last(sport))))
		p.dst = netip.AddrPortFrom(netip.MustParseAddr(last(dst)), uint16(atoi(t, last(dport))))
		ssrc, err := strconv.ParseUint(strings.TrimPrefix(first(f[11]), "0x"), 16, 32)
		if err != nil {
			t.Fatalf("ssrc %q: %v", f[11], err)
		}
		ts, err := strconv.ParseUint(first(f[13]), 10, 32)
		if err != nil {
			t.Fatalf("timestamp %q: %v", f[13], err)
		}
		p.ssrc, p.seq, p.ts = uint32(ssrc), uint16(atoi(t, first(f[12]))), uint32(ts)
		p.pt = uint8(atoi(t, first(f[14])))
		m := first(f[15])
		p.marker = m == "1" || m == "True"
		pkts = append(pkts, p)
	}
	return pkts
}

// parseEpoch parses tshark's frame.time_epoch ("1136073600.123456000") without going
// through a float.
func parseEpoch(t testing.TB, s string) time.Time {
	t.Helper()
	sec, frac, _ := strings.Cut(s, ".")
	frac = (frac + "000000000")[:9]
	return time.Unix(int64(atoi(t, sec)), int64(atoi(t, frac)))
}

// knownCaptureDifferences lists the streams of the shared captures where our figures do not
// match tshark 4.0.17's and cannot be made to, keyed by "capture src>dst ssrc", with why.
// It is empty: on every RTP stream of the shared captures (15 captures, 35 streams, as
// INDEX.tsv lists them, heuristic RTP on), packets and loss are equal and delta and jitter
// agree to the printed digit. A stream that starts to differ must be explained here, or
// fixed; an entry that agrees again fails the test so the table stays true.
var knownCaptureDifferences = map[string]string{}

func TestTsharkCaptures(t *testing.T) {
	if testing.Short() {
		t.Skip("runs tshark on the shared captures")
	}
	needTshark(t)
	dir := capturesDir(t)
	heur := []string{"-o", "rtp.heuristic_rtp:TRUE"}
	for _, rel := range rtpCaptures(t, dir) {
		t.Run(rel, func(t *testing.T) {
			path := filepath.Join(dir, rel)
			rows := tsharkStreams(t, path, heur...)
			pkts := tsharkRTP(t, path, heur...)
			streams := make(map[StreamKey]*Stream)
			names := make(map[StreamKey]string)
			for _, r := range rows {
				names[StreamKey{r.Src, r.Dst, r.SSRC}] = r.Payload
			}
			for _, p := range pkts {
				k := StreamKey{p.src, p.dst, p.ssrc}
				s := streams[k]
				if s == nil {
					s = NewStream(p.src, p.dst, p.ssrc)
					mapFromTsharkNames(s, names[k], pkts, k)
					streams[k] = s
				}
				h := rtp.Header{Version: 2, Marker: p.marker, PayloadType: p.pt, SequenceNumber: p.seq, Timestamp: p.ts, SSRC: p.ssrc}
				s.Add(&h, 0, p.at, p.number)
			}
			if len(rows) != len(streams) {
				t.Errorf("tshark lists %d streams, its decode gives %d", len(rows), len(streams))
			}
			for _, r := range rows {
				key := rel + " " + r.Src.String() + ">" + r.Dst.String() + " " + strconv.FormatUint(uint64(r.SSRC), 16)
				s := streams[StreamKey{r.Src, r.Dst, r.SSRC}]
				if s == nil {
					t.Errorf("%s: no packets decoded", key)
					continue
				}
				st := s.Stats()
				t.Logf("%s [%s]: tshark lost %d jitter mean %.3f max %.3f; ours %d, %.3f, %.3f",
					key, r.Payload, r.Lost, r.MeanJitter, r.MaxJitter, st.Lost, st.MeanJitterMs, st.MaxJitterMs)
				ok := st.Packets == r.Pkts && st.Lost == r.Lost &&
					jitterClose(st.MeanJitterMs, r.MeanJitter) && jitterClose(st.MaxJitterMs, r.MaxJitter) &&
					math.Abs(st.MaxDeltaMs-r.MaxDelta) < 0.01
				if why, known := knownCaptureDifferences[key]; known {
					if ok {
						t.Errorf("%s: listed as a known difference (%s) but now agrees: remove it", key, why)
					}
					continue
				}
				if !ok {
					t.Errorf("%s: tshark pkts %d lost %d maxΔ %.3f jitter mean %.3f max %.3f; ours %d, %d, %.3f, %.3f, %.3f",
						key, r.Pkts, r.Lost, r.MaxDelta, r.MeanJitter, r.MaxJitter,
						st.Packets, st.Lost, st.MaxDeltaMs, st.MeanJitterMs, st.MaxJitterMs)
				}
			}
		})
	}
}

// mapFromTsharkNames gives a stream the rtpmap that tshark learnt from SDP. tshark lists a
// stream's payload type names in numeric order of the types, so they pair with the sorted
// payload types the stream uses; a dynamic type tshark could not name ("RTPType-96") stays
// unmapped, as it is for tshark.
func mapFromTsharkNames(s *Stream, names string, pkts []tsharkPacket, k StreamKey) {
	var pts []uint8
	for _, p := range pkts {
		if (StreamKey{p.src, p.dst, p.ssrc}) == k && !slices.Contains(pts, p.pt) {
			pts = append(pts, p.pt)
		}
	}
	slices.Sort(pts)
	list := strings.Split(names, ", ")
	if len(list) != len(pts) {
		return
	}
	for i, pt := range pts {
		if pt >= 96 && !strings.HasPrefix(list[i], "RTPType-") {
			s.SetRTPMap(pt, list[i], 0)
		}
	}
}
