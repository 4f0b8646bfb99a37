package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden transcripts in testdata/transcripts")

// runCmd runs the command as a user would, with a fake terminal setting, and returns its
// standard output, standard error and exit code.
func runCmd(t *testing.T, stdin io.Reader, args ...string) (string, string, int) {
	t.Helper()
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	var stdout, stderr bytes.Buffer
	e := &env{stdin: stdin, stdout: &stdout, stderr: &stderr,
		isTerminal: func(io.Writer) bool { return false },
		getenv:     func(string) string { return "" }}
	code := e.run(context.Background(), args)
	return stdout.String(), stderr.String(), code
}

// writeFile writes a file in a fresh temporary directory and returns its path.
func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestInputErrors checks that every kind of unusable input gives one clear line that names
// the file, exit code 2, and no report.
func TestInputErrors(t *testing.T) {
	dir := t.TempDir()
	empty := writeFile(t, "empty.pcap", nil)
	html := writeFile(t, "page.pcap", []byte("<html><body>not a capture</body></html>\n"))
	unreadable := writeFile(t, "secret.pcap", []byte("x"))
	if err := os.Chmod(unreadable, 0); err != nil {
		t.Fatal(err)
	}
	// A pcap whose link type no decoder knows (147, a user DLT).
	badLink := writeFile(t, "dlt147.pcap", pcapHeader(147, 65535))
	tests := []struct {
		name  string
		args  []string
		stdin string
		want  []string // substrings of the one error line
	}{
		{"missing", []string{"audit", filepath.Join(dir, "nope.pcap")}, "", []string{"nope.pcap", "no such file"}},
		{"directory", []string{"audit", dir}, "", []string{dir, "is a directory"}},
		{"empty", []string{"audit", empty}, "", []string{"empty.pcap", "empty"}},
		{"not a capture", []string{"audit", html}, "", []string{"page.pcap", "not a pcap or pcapng"}},
		{"unsupported link type", []string{"audit", badLink}, "", []string{"dlt147.pcap", "147"}},
		{"stdin not a capture", []string{"audit", "-"}, "hello, world\n", []string{"-", "not a pcap or pcapng"}},
		{"no input", []string{"audit"}, "", []string{"no capture given"}},
		{"bad fail-on", []string{"audit", "--fail-on", "sometimes", empty}, "", []string{"--fail-on", "sometimes"}},
		{"bad sbc-net", []string{"audit", "--sbc-net", "10.0.0.0/40", empty}, "", []string{"--sbc-net", "10.0.0.0/40"}},
		{"bad format", []string{"audit", "--format", "pdf", empty}, "", []string{"--format", "pdf"}},
		{"unknown command", []string{"frobnicate"}, "", []string{"unknown command", "frobnicate"}},
		{"unknown flag", []string{"audit", "--frob", empty}, "", []string{"unknown flag", "--frob"}},
	}
	if os.Geteuid() != 0 {
		tests = append(tests, struct {
			name  string
			args  []string
			stdin string
			want  []string
		}{"permission", []string{"audit", unreadable}, "", []string{"secret.pcap", "permission denied"}})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := runCmd(t, strings.NewReader(tc.stdin), tc.args...)
			if code != exitUsage {
				t.Errorf("exit code %d, want %d (stderr %q)", code, exitUsage, stderr)
			}
			if stdout != "" {
				t.Errorf("a report was written for an unusable input:\n%s", stdout)
			}
			first, _, _ := strings.Cut(stderr, "\n")
			for _, w := range tc.want {
				if !strings.Contains(first, w) {
					t.Errorf("error line %q does not contain %q", first, w)
				}
			}
			if strings.Contains(stderr, "panic") || strings.Contains(stderr, "goroutine ") {
				t.Errorf("stack trace on standard error:\n%s", stderr)
			}
		})
	}
}

// pcapHeader returns a little-endian classic pcap file header.
func pcapHeader(linkType uint32, snap uint32) []byte {
	b := []byte{0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	b = append(b, byte(snap), byte(snap>>8), byte(snap>>16), byte(snap>>24))
	b = append(b, byte(linkType), byte(linkType>>8), byte(linkType>>16), byte(linkType>>24))
	return b
}

// TestRulesRoundTrip checks that the rule set printed by "ixaudit rules" is accepted back
// by --rules, and that an edited, broken file is refused with its line number.
func TestRulesRoundTrip(t *testing.T) {
	out, stderr, code := runCmd(t, nil, "rules")
	if code != 0 {
		t.Fatalf("ixaudit rules: exit %d: %s", code, stderr)
	}
	saved := writeFile(t, "twilio.rules", []byte(out))
	again, stderr, code := runCmd(t, nil, "rules", "--rules", saved)
	if code != 0 {
		t.Fatalf("ixaudit rules --rules saved: exit %d: %s", code, stderr)
	}
	if diff := cmp.Diff(out, again); diff != "" {
		t.Errorf("printed rule set does not round-trip (-first +second):\n%s", diff)
	}
	// Break one gateway address.
	broken := strings.Replace(out, "208.78.112.64", "208.78.112.300", 1)
	if broken == out {
		t.Fatal("the printed rule set does not hold 208.78.112.64")
	}
	lineNo := 1 + strings.Count(out[:strings.Index(out, "208.78.112.64")], "\n")
	bad := writeFile(t, "broken.rules", []byte(broken))
	_, stderr, code = runCmd(t, nil, "rules", "--rules", bad)
	if code != exitUsage {
		t.Errorf("broken rule set: exit %d, want 2", code)
	}
	if want := fmt.Sprintf("broken.rules:%d", lineNo); !strings.Contains(stderr, want) {
		t.Errorf("error %q does not name %s", stderr, want)
	}
}

// TestHelpCoversEverything checks that the manual names every command, flag, format,
// exit code and rule.
func TestHelpCoversEverything(t *testing.T) {
	out, _, code := runCmd(t, nil, "help")
	if code != 0 {
		t.Fatalf("help: exit %d", code)
	}
	for _, w := range []string{"audit", "rules", "report", "version",
		"--format", "--output", "--rules", "--sbc-net", "--require-secure", "--fail-on", "--baseline", "--redact", "--quiet", "--jobs",
		"table", "json", "junit", "markdown", "html", "Exit codes", "capture-truncated", "signalling-public-path", "media-one-way", "uri-edge-mismatch"} {
		if !strings.Contains(out, w) {
			t.Errorf("the manual does not mention %q", w)
		}
	}
	for _, topic := range manualTopics() {
		if manual(topic) == "" {
			t.Errorf("help topic %q is empty", topic)
		}
	}
}

// TestVersion checks the version line names the rule set and its checksum.
func TestVersion(t *testing.T) {
	out, _, code := runCmd(t, nil, "version")
	if code != 0 || !regexp.MustCompile(`(?m)^ixaudit \S+\nrules \S+ \(embedded\), facts read \d{4}-\d\d-\d\d, sha256 [0-9a-f]{64}$`).MatchString(strings.TrimSpace(out)) {
		t.Errorf("version output %q (exit %d)", out, code)
	}
}
