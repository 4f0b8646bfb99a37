package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ixaudit/ixaudit/analyze"
	"github.com/ixaudit/ixaudit/report"
)

// TestExitCodeSameInEveryFormat checks that the verdict is the analysis's: every format
// gives the exit code the manifest expects, for every generated capture.
func TestExitCodeSameInEveryFormat(t *testing.T) {
	m, dir := readManifest(t)
	out := t.TempDir()
	for _, c := range m.Captures {
		for _, f := range report.Formats {
			args := append([]string{"audit", "--format", f, "-o", filepath.Join(out, c.File+"."+f)}, c.Flags...)
			args = append(args, filepath.Join(dir, c.File))
			_, stderr, code := runCmd(t, nil, args...)
			if code != c.ExitCode {
				t.Errorf("%s --format %s: exit %d, want %d (%s)", c.File, f, code, c.ExitCode, stderr)
			}
		}
	}
}

// TestBaselineOfSameCapture checks the CI gate: with its own report as the baseline, a
// capture full of findings exits 0, and its findings are shown as known; a different
// capture's new findings still fail.
func TestBaselineOfSameCapture(t *testing.T) {
	_, dir := readManifest(t)
	tmp := t.TempDir()
	for _, name := range []string{"public-termination.pcap", "edge-params.pcap", "media.pcap", "demo.pcapng"} {
		capPath := filepath.Join(dir, name)
		base := filepath.Join(tmp, name+".json")
		_, _, code := runCmd(t, nil, "audit", "--format", "json", "-o", base, capPath)
		if code != exitFindings {
			t.Fatalf("%s: exit %d without baseline, want 1", name, code)
		}
		stdout, stderr, code := runCmd(t, nil, "audit", "--format", "json", "--baseline", base, capPath)
		if code != exitOK {
			t.Errorf("%s with its own report as baseline: exit %d, want 0 (%s)", name, code, stderr)
		}
		var r analyze.Report
		if err := json.Unmarshal([]byte(stdout), &r); err != nil {
			t.Fatal(err)
		}
		if r.Summary.Known != len(r.Findings) || len(r.Findings) == 0 {
			t.Errorf("%s: %d of %d findings known from the baseline", name, r.Summary.Known, len(r.Findings))
		}
	}
	// A baseline from another capture does not excuse these findings.
	other := filepath.Join(tmp, "public-termination.pcap.json")
	_, _, code := runCmd(t, nil, "audit", "--format", "json", "--baseline", other, filepath.Join(dir, "edge-params.pcap"))
	if code != exitFindings {
		t.Errorf("edge-params.pcap with another capture's baseline: exit %d, want 1", code)
	}
}

// TestRedactEveryFormat audits captures full of telephone numbers with --redact in every
// format and checks that no number's digits survive, while the same outputs without
// --redact do hold them (so the test can fail).
func TestRedactEveryFormat(t *testing.T) {
	_, dir := readManifest(t)
	// Telephone numbers are the user parts of the calls' URIs.
	userPart := regexp.MustCompile(`(?:sips?|tel):\+?(\d{7,15})`)
	for _, name := range []string{"public-termination.pcap", "compact-folded.pcap", "demo.pcapng", "edge-params.pcap"} {
		capPath := filepath.Join(dir, name)
		plain, _, _ := runCmd(t, nil, "audit", "--format", "json", "--all-calls", capPath)
		var r analyze.Report
		if err := json.Unmarshal([]byte(plain), &r); err != nil {
			t.Fatal(err)
		}
		numbers := map[string]bool{}
		for _, c := range r.Calls {
			for _, s := range []string{c.From, c.To, c.RequestURI} {
				for _, m := range userPart.FindAllStringSubmatch(s, -1) {
					numbers[m[1]] = true
				}
			}
		}
		if len(numbers) == 0 {
			t.Fatalf("%s: no telephone number found to redact", name)
		}
		for _, f := range report.Formats {
			out, _, _ := runCmd(t, nil, "audit", "--format", f, "--all-calls", capPath)
			red, _, _ := runCmd(t, nil, "audit", "--format", f, "--all-calls", "--redact", capPath)
			found := false
			for n := range numbers {
				if strings.Contains(out, n) {
					found = true
				}
				// No run of 7 digits of the number (its subscriber part) survives.
				for i := 0; i+7 <= len(n); i++ {
					if strings.Contains(red, n[i:i+7]) {
						t.Errorf("%s --format %s --redact: %q of %s is still in the output", name, f, n[i:i+7], n)
						break
					}
				}
			}
			if !found && f == "json" {
				t.Errorf("%s --format %s without --redact shows none of the numbers: the check cannot fail", name, f)
			}
		}
	}
}

// TestReplaySameExitCode checks that "ixaudit report" re-renders a saved JSON report in
// every format with the exit code of the audit that made it.
func TestReplaySameExitCode(t *testing.T) {
	m, dir := readManifest(t)
	tmp := t.TempDir()
	for _, c := range m.Captures {
		saved := filepath.Join(tmp, c.File+".json")
		args := append([]string{"audit", "--format", "json", "-o", saved}, c.Flags...)
		_, _, code := runCmd(t, nil, append(args, filepath.Join(dir, c.File))...)
		for _, f := range report.Formats {
			_, stderr, rcode := runCmd(t, nil, "report", "--format", f, saved)
			if rcode != code {
				t.Errorf("%s: report --format %s exit %d, audit exit %d (%s)", c.File, f, rcode, code, stderr)
			}
		}
		b, err := os.ReadFile(saved)
		if err != nil {
			t.Fatal(err)
		}
		again, _, _ := runCmd(t, strings.NewReader(string(b)), "report", "--format", "json", "-")
		if again != string(b) {
			t.Errorf("%s: report --format json of the saved report is not the saved report", c.File)
		}
	}
}
