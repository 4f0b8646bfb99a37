package sdp

import (
	"encoding/hex"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ixaudit/ixaudit/analyze/sip"
	"github.com/ixaudit/ixaudit/capture/corpus"
)

// capturesDir returns the shared capture corpus, skipping the test with -short or when
// the corpus or tshark is absent.
func capturesDir(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("runs tshark over the shared captures; skipped with -short")
	}
	corpus.Tshark(t)
	return corpus.Dir(t)
}

// TestCaptures takes every SDP body carried by SIP over UDP in a selection of the shared
// captures (through the sip package), and compares origin address, connection addresses,
// media types, ports, protocols and formats with tshark's SDP dissection.
func TestCaptures(t *testing.T) {
	dir := capturesDir(t)
	fields := []string{"frame.number", "udp.payload", "sdp.owner.address", "sdp.connection_info.address",
		"sdp.media.media", "sdp.media.port", "sdp.media.proto", "sdp.media.format"}
	for _, f := range []string{
		"heplify/FAX-Call-t38-CA-TDM-SIP-FB-1.pcap",
		"heplify/erspan_sip_ipv4_udp.pcapng",
		"sngrep/ipv6frag.pcap",
		"sngrep/aaa.pcap",
		"suricata-verify/sdp.pcap",
	} {
		t.Run(f, func(t *testing.T) {
			args := []string{"-r", filepath.Join(dir, f), "-Y", "sdp && sip && udp", "-T", "fields",
				"-E", "occurrence=a", "-E", "aggregator=|", "-E", "separator=\t"}
			for _, fl := range fields {
				args = append(args, "-e", fl)
			}
			out, err := exec.Command("tshark", args...).Output()
			if err != nil {
				t.Fatalf("tshark: %v", err)
			}
			var m sip.Message
			var s Session
			n := 0
			for line := range strings.Lines(string(out)) {
				col := strings.Split(strings.TrimRight(line, "\n"), "\t")
				payload, err := hex.DecodeString(col[1])
				if err != nil || len(payload) == 0 {
					continue
				}
				if strings.Contains(col[1], ",") { // tunnelled: several payloads
					continue
				}
				if err := m.Parse(payload); err != nil {
					t.Errorf("frame %s: SIP: %v", col[0], err)
					continue
				}
				body := m.SDP()
				if body == nil {
					t.Errorf("frame %s: no SDP found in the SIP message", col[0])
					continue
				}
				if err := s.Parse(body); err != nil {
					t.Errorf("frame %s: %v", col[0], err)
					continue
				}
				n++
				got := []string{string(s.Origin.Address), strings.Join(connections(&s), "|"), mediaField(&s, func(m *Media) string { return string(m.Type) }),
					mediaField(&s, func(m *Media) string { return strconv.Itoa(int(m.Port)) }), mediaField(&s, func(m *Media) string { return string(m.Proto) })}
				want := col[2:7]
				if !slices.Equal(got, want) {
					t.Errorf("frame %s: origin, connections, media, ports, protos =\n got %q\nwant %q (tshark)", col[0], got, want)
				}
				// tshark names static payload types and adds rtpmap'd ones; every format we
				// read must appear in its list, by number or by its static name.
				for i := range s.Media {
					for _, ft := range s.Media[i].Formats {
						if !strings.Contains("|"+col[7]+"|", "|"+string(ft)+"|") && !staticNamed(ft, col[7]) {
							t.Errorf("frame %s: format %q not in tshark's %q", col[0], ft, col[7])
						}
					}
				}
			}
			if n == 0 {
				t.Error("no SDP compared")
			}
			t.Logf("%d session descriptions agree with tshark", n)
		})
	}
}

func connections(s *Session) []string {
	var c []string
	if s.Conn.Present {
		c = append(c, string(s.Conn.Address))
	}
	for i := range s.Media {
		if s.Media[i].Conn.Present {
			c = append(c, string(s.Media[i].Conn.Address))
		}
	}
	return c
}

func mediaField(s *Session, f func(*Media) string) string {
	var v []string
	for i := range s.Media {
		v = append(v, f(&s.Media[i]))
	}
	return strings.Join(v, "|")
}

// staticNamed reports whether a numeric format is a static payload type whose encoding
// name tshark shows in its place ("ITU-T G.711 PCMA" for 8).
func staticNamed(format []byte, list string) bool {
	n, err := strconv.Atoi(string(format))
	if err != nil || n > 255 {
		return false
	}
	m, ok := StaticPayload(uint8(n))
	if !ok {
		return false
	}
	name := string(m.Encoding)
	switch name {
	case "G723":
		name = "G.723"
	case "G722":
		name = "G.722"
	case "G729":
		name = "G.729"
	case "G728":
		name = "G.728"
	case "CN":
		name = "Comfort noise"
	case "H261":
		name = "H.261"
	case "H263":
		name = "H.263"
	}
	return strings.Contains(list, name)
}
