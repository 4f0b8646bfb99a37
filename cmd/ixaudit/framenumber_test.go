package main

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ixaudit/ixaudit/analyze"
)

// TestFindingPacketsAreTsharkFrames checks that the packet number of every finding on a SIP
// message is the frame tshark shows that message in: the same Call-ID is in that frame.
func TestFindingPacketsAreTsharkFrames(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark is not installed: frame numbers not compared")
	}
	m, dir := readManifest(t)
	checked := 0
	for _, c := range m.Captures {
		args := append([]string{"audit", "--format", "json"}, c.Flags...)
		stdout, _, _ := runCmd(t, nil, append(args, filepath.Join(dir, c.File))...)
		var r analyze.Report
		if err := json.Unmarshal([]byte(stdout), &r); err != nil {
			t.Fatal(err)
		}
		want := map[int]string{}
		var frames []string
		for _, f := range r.Findings {
			if f.CallID == "" || !strings.HasPrefix(f.Rule, "signalling-") && !strings.HasPrefix(f.Rule, "uri-") && !strings.HasPrefix(f.Rule, "sdp-") {
				continue
			}
			if f.Transport == "tls" || f.Transport == "ws" {
				continue
			}
			if _, ok := want[f.Packet]; !ok {
				frames = append(frames, strconv.Itoa(f.Packet))
			}
			want[f.Packet] = f.CallID
		}
		if len(frames) == 0 {
			continue
		}
		tsArgs := []string{"-o", "tcp.reassemble_out_of_order:TRUE", "-r", filepath.Join(dir, c.File),
			"-Y", "frame.number in {" + strings.Join(frames, ",") + "}", "-T", "fields", "-e", "frame.number", "-e", "sip.Call-ID"}
		out, err := exec.Command(tshark, append(decodeAs(c.File), tsArgs...)...).Output()
		if err != nil {
			t.Fatalf("tshark %s: %v", c.File, err)
		}
		got := map[int]string{}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			num, id, _ := strings.Cut(line, "\t")
			n, _ := strconv.Atoi(num)
			got[n] = id
		}
		for n, id := range want {
			if !strings.Contains(got[n], id) {
				t.Errorf("%s: a finding of call %s names packet %d, where tshark shows Call-ID %q", c.File, id, n, got[n])
			}
			checked++
		}
	}
	if checked == 0 {
		t.Fatal("no finding was checked")
	}
	t.Logf("%d finding packet numbers agree with tshark's frame numbers", checked)
}

// decodeAs returns the tshark -d arguments a generated capture needs (SIP on 5080, plain
// SIP on 5061).
func decodeAs(file string) []string {
	if file == "port-transport.pcap" {
		return []string{"-d", "tcp.port==5061,sip", "-d", "udp.port==5080,sip"}
	}
	return nil
}
