package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ixaudit/ixaudit/analyze"
)

// TestSeveralOutputsOnePass checks that several FORMAT=FILE outputs of one run each hold
// what a run with that format alone writes.
func TestSeveralOutputsOnePass(t *testing.T) {
	_, dir := readManifest(t)
	capPath := filepath.Join(dir, "public-termination.pcap")
	tmp := t.TempDir()
	formats := []string{"json", "junit", "markdown", "html", "table"}
	args := []string{"audit"}
	for _, f := range formats {
		args = append(args, "--format", f+"="+filepath.Join(tmp, f))
	}
	stdout, stderr, code := runCmd(t, nil, append(args, capPath)...)
	if code != exitFindings || stdout != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	for _, f := range formats {
		got, err := os.ReadFile(filepath.Join(tmp, f))
		if err != nil {
			t.Fatal(err)
		}
		alone, _, _ := runCmd(t, nil, "audit", "--format", f, capPath)
		if string(got) != alone {
			t.Errorf("--format %s=FILE differs from --format %s alone", f, f)
		}
	}
}

// TestSeparateInputs checks --separate: unrelated captures audited independently (and in
// parallel) give the same calls and findings as audited one after the other.
func TestSeparateInputs(t *testing.T) {
	_, dir := readManifest(t)
	files := []string{filepath.Join(dir, "compliant.pcap"), filepath.Join(dir, "public-termination.pcap"), filepath.Join(dir, "media.pcap")}
	view := func(args ...string) ([]string, int) {
		stdout, stderr, code := runCmd(t, nil, append(append([]string{"audit", "--format", "json"}, args...), files...)...)
		var r analyze.Report
		if err := json.Unmarshal([]byte(stdout), &r); err != nil {
			t.Fatalf("%v: %v (%s)", args, err, stderr)
		}
		var out []string
		for _, c := range r.Calls {
			out = append(out, c.Input+" "+c.CallID+" "+string(c.Path))
		}
		for _, f := range r.Findings {
			out = append(out, f.Input+" "+f.Rule+" "+f.CallID+" "+f.Evidence)
		}
		sort.Strings(out)
		return out, code
	}
	series, code1 := view()
	separate, code2 := view("--separate", "-j", "2")
	if code1 != code2 {
		t.Errorf("exit %d one after the other, %d with --separate", code1, code2)
	}
	if diff := cmp.Diff(series, separate); diff != "" {
		t.Errorf("--separate differs for unrelated captures (-series +separate):\n%s", diff)
	}
}
