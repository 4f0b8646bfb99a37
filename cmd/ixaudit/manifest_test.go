package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ixaudit/ixaudit/analyze"
)

// manifest is testdata/captures/MANIFEST.json: what the generator wrote into each capture,
// and so what a correct audit reports.
type manifest struct {
	Captures []struct {
		File       string   `json:"file"`
		Shows      string   `json:"shows"`
		Flags      []string `json:"flags"`
		Packets    int      `json:"packets"`
		SIP        int      `json:"sip_messages"`
		Calls      int      `json:"calls"`
		RTPStreams int      `json:"rtp_streams"`
		Truncated  bool     `json:"truncated"`
		ExitCode   int      `json:"exit_code"`
		PerCall    []struct {
			CallID      string `json:"call_id"`
			Direction   string `json:"direction"`
			Path        string `json:"path"`
			Edge        string `json:"edge"`
			FinalStatus int    `json:"final_status"`
		} `json:"per_call"`
		Findings []struct {
			Rule   string `json:"rule"`
			CallID string `json:"call_id"`
		} `json:"findings"`
	} `json:"captures"`
}

func readManifest(t *testing.T) (*manifest, string) {
	t.Helper()
	dir := filepath.Join("..", "..", "testdata", "captures")
	b, err := os.ReadFile(filepath.Join(dir, "MANIFEST.json"))
	if err != nil {
		t.Fatalf("the generated captures are missing (make testdata): %v", err)
	}
	var m manifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Captures) == 0 {
		t.Fatal("MANIFEST.json lists no capture")
	}
	return &m, dir
}

// TestManifest audits every generated capture with the flags its manifest entry gives and
// checks what the generator knows to be true: counts, each call's direction, path, edge and
// final status, the exact set of (rule, Call-ID) findings, and the exit code.
func TestManifest(t *testing.T) {
	m, dir := readManifest(t)
	for _, c := range m.Captures {
		t.Run(c.File, func(t *testing.T) {
			args := append([]string{"audit", "--format", "json"}, c.Flags...)
			args = append(args, filepath.Join(dir, c.File))
			stdout, stderr, code := runCmd(t, nil, args...)
			var r analyze.Report
			if err := json.Unmarshal([]byte(stdout), &r); err != nil {
				t.Fatalf("%s: no JSON report (exit %d, stderr %q): %v", c.Shows, code, stderr, err)
			}
			if code != c.ExitCode {
				t.Errorf("exit code %d, want %d (%s)", code, c.ExitCode, c.Shows)
			}
			s := r.Summary
			got := [4]int{s.Packets, s.SIPMessages, s.Calls, s.RTPStreams}
			want := [4]int{c.Packets, c.SIP, c.Calls, c.RTPStreams}
			if got != want {
				t.Errorf("packets, sip_messages, calls, rtp_streams = %v, want %v", got, want)
			}
			if len(r.Inputs) != 1 || r.Inputs[0].Truncated != c.Truncated {
				t.Errorf("inputs %+v, want truncated=%v", r.Inputs, c.Truncated)
			}
			calls := map[string]analyze.Call{}
			for _, cl := range r.Calls {
				calls[cl.CallID] = cl
			}
			for _, wc := range c.PerCall {
				cl, ok := calls[wc.CallID]
				if !ok {
					t.Errorf("call %s missing", wc.CallID)
					continue
				}
				g := fmt.Sprint(cl.Direction, " ", cl.Path, " ", cl.Edge, " ", cl.FinalStatus)
				w := fmt.Sprint(wc.Direction, " ", wc.Path, " ", wc.Edge, " ", wc.FinalStatus)
				if g != w {
					t.Errorf("call %s: direction path edge status = %q, want %q", wc.CallID, g, w)
				}
			}
			gotF := findingSet(&r) // each rule and Call-ID once, sorted
			var wantF []string
			for _, f := range c.Findings {
				wantF = append(wantF, f.Rule+" "+f.CallID)
			}
			sort.Strings(wantF)
			if diff := cmp.Diff(wantF, gotF); diff != "" {
				t.Errorf("findings (rule Call-ID) differ (-want +got):\n%s", diff)
			}
			sum := 0
			for _, v := range s.PacketUse {
				sum += v
			}
			for k, v := range s.EvidenceGaps {
				if analyze.GapCountsPackets(k) {
					sum += v
				}
			}
			if sum != s.Packets {
				t.Errorf("accounting: packet_use %v + evidence_gaps %v = %d, want %d", s.PacketUse, s.EvidenceGaps, sum, s.Packets)
			}
		})
	}
}

// TestSameTrafficSameSummary checks that the same traffic stored as pcap (µs, ns, big
// endian), pcapng, gzip and in every link type and encapsulation gives identical calls,
// findings and counts (packet counts aside, which differ by design only for truncation).
func TestSameTrafficSameSummary(t *testing.T) {
	_, dir := readManifest(t)
	var base *analyze.Report
	for _, f := range []string{"eth.pcap", "eth-ns.pcap", "eth-be.pcap", "eth.pcapng", "eth.pcap.gz", "sll.pcap", "sll2.pcap",
		"raw.pcap", "null.pcap", "loop.pcap", "vlan.pcap", "qinq-88a8.pcap", "qinq-9100.pcap", "mpls.pcap",
		"gre.pcap", "erspan2.pcap", "erspan3.pcap", "vxlan.pcap", "ipip.pcap", "two-interfaces.pcapng"} {
		stdout, stderr, code := runCmd(t, nil, "audit", "--format", "json", filepath.Join(dir, f))
		var r analyze.Report
		if err := json.Unmarshal([]byte(stdout), &r); err != nil {
			t.Fatalf("%s: exit %d %s: %v", f, code, stderr, err)
		}
		if base == nil {
			base = &r
			continue
		}
		type view struct {
			SIP, Calls, Streams int
			Paths               map[analyze.Path]int
			Calls2              []string
			Findings            []string
		}
		v := func(r *analyze.Report) view {
			out := view{SIP: r.Summary.SIPMessages, Calls: r.Summary.Calls, Streams: r.Summary.RTPStreams, Paths: r.Summary.CallsByPath}
			for _, c := range r.Calls {
				out.Calls2 = append(out.Calls2, fmt.Sprint(c.CallID, c.Direction, c.Path, c.Edge, c.Gateway, c.FinalStatus, c.SIPMessages))
			}
			for _, f := range r.Findings {
				out.Findings = append(out.Findings, f.Rule+" "+f.CallID+" "+f.Evidence)
			}
			return out
		}
		if diff := cmp.Diff(v(base), v(&r)); diff != "" {
			t.Errorf("%s differs from eth.pcap (-eth +%s):\n%s", f, f, diff)
		}
	}
}
