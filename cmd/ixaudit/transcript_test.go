package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// transcripts are golden tests of whole command runs: the command line, its standard
// output, its standard error and its exit code, in one file each under
// testdata/transcripts, rewritten by "go test ./cmd/ixaudit -update".
var transcripts = []struct {
	name  string
	args  string // split on spaces; CAP/ is testdata/captures/
	stdin string // a file whose content is standard input
}{
	{"audit-table-demo", "audit --format table CAP/demo.pcapng", ""},
	{"audit-json-compliant", "audit --format json CAP/compliant.pcap", ""},
	{"audit-json-public", "audit --format json CAP/public-termination.pcap", ""},
	{"audit-junit-public", "audit --format junit CAP/public-termination.pcap", ""},
	{"audit-markdown-media", "audit --format markdown CAP/media.pcap", ""},
	{"audit-table-hosts-fail-on-warning", "audit --format table --fail-on warning CAP/interconnect-hosts.pcap", ""},
	{"audit-table-hosts-fail-on-never", "audit --format table --fail-on never CAP/edge-params.pcap", ""},
	{"audit-json-sbc-net", "audit --format json --sbc-net 203.0.113.0/24 CAP/sbc-net.pcap", ""},
	{"audit-table-require-secure", "audit --format table --require-secure CAP/require-secure.pcap", ""},
	{"audit-json-redact", "audit --format json --redact CAP/public-termination.pcap", ""},
	{"audit-table-truncated", "audit --format table CAP/truncated.pcap", ""},
	{"audit-table-two-inputs", "audit --format table CAP/compliant.pcap CAP/origination-failover.pcap", ""},
	{"audit-table-stdin", "audit --format table -", "CAP/eth.pcap"},
	{"audit-not-a-capture", "audit --format table CAP/README.md", ""},
	{"report-replay-table", "report --format table -", "testdata/transcripts/input-public.json"},
	{"rules-list", "rules --list", ""},
	{"help-exit-codes", "help exit-codes", ""},
}

// normalize replaces what depends on the build (the tool's version) in an output.
func normalize(s string) string {
	s = strings.ReplaceAll(s, toolVersion(), "VERSION")
	return s
}

func TestTranscripts(t *testing.T) {
	capDir := filepath.Join("..", "..", "testdata", "captures")
	if _, err := os.Stat(filepath.Join(capDir, "MANIFEST.json")); err != nil {
		t.Fatalf("generated captures missing (make testdata): %v", err)
	}
	// The replay input is the JSON report of a capture, made by the tool itself.
	replay := filepath.Join("testdata", "transcripts", "input-public.json")
	if *update {
		out, _, _ := runCmd(t, nil, "audit", "--format", "json", filepath.Join(capDir, "public-termination.pcap"))
		if err := os.MkdirAll(filepath.Dir(replay), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(replay, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range transcripts {
		t.Run(tc.name, func(t *testing.T) {
			args := strings.Fields(strings.ReplaceAll(tc.args, "CAP/", capDir+"/"))
			var stdin *os.File
			if tc.stdin != "" {
				f, err := os.Open(strings.ReplaceAll(tc.stdin, "CAP/", capDir+"/"))
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				stdin = f
			}
			var stdout, stderr string
			var code int
			if stdin != nil {
				stdout, stderr, code = runCmd(t, stdin, args...)
			} else {
				stdout, stderr, code = runCmd(t, nil, args...)
			}
			got := normalize(fmt.Sprintf("$ ixaudit %s\n%s--- stderr\n%s--- exit %d\n", tc.args, stdout, stderr, code))
			path := filepath.Join("testdata", "transcripts", tc.name+".txt")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./cmd/ixaudit -update)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("%s differs (-want +got); if intended, run go test ./cmd/ixaudit -update:\n%s", path, diff)
			}
		})
	}
}
