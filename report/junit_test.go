package report

import (
	"bytes"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ixaudit/ixaudit/analyze"
)

// xmllint validates file against testdata/junit.xsd; the test is skipped without xmllint.
func xmllint(t *testing.T, file string) (string, error) {
	t.Helper()
	path, err := exec.LookPath("xmllint")
	if err != nil {
		t.Skip("xmllint not installed (apt-get install libxml2-utils): JUnit schema validation skipped")
	}
	out, err := exec.Command(path, "--noout", "--schema", filepath.Join("testdata", "junit.xsd"), file).CombinedOutput()
	return string(out), err
}

// TestJUnitSchema validates the JUnit output of every fixture, at several thresholds, and
// of a hostile report, against the junit-10 schema.
func TestJUnitSchema(t *testing.T) {
	// The schema must reject what it should, or validating against it proves nothing.
	bad := filepath.Join(t.TempDir(), "bad.xml")
	if err := os.WriteFile(bad, []byte(`<testsuites><testsuite name="x" failures="0" errors="0"><testcase/></testsuite></testsuites>`), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := xmllint(t, bad); err == nil {
		t.Fatalf("the schema accepts a testsuite without tests and a testcase without name:\n%s", out)
	}

	reports := fixtures()
	reports["hostile"] = hostileReport()
	unreadable := passReport()
	unreadable.Inputs = append(unreadable.Inputs, analyze.Input{Name: "broken.pcap", Error: "not a pcap or pcapng file"})
	reports["unreadable"] = unreadable
	dir := t.TempDir()
	for name, r := range reports {
		for _, failOn := range []analyze.Severity{"", analyze.SeverityWarning, analyze.SeverityInfo, "never"} {
			var b bytes.Buffer
			if err := (&JUnit{opt: Options{FailOn: failOn}.withDefaults()}).Render(&b, r); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			file := filepath.Join(dir, name+"-"+string(failOn)+".xml")
			if err := os.WriteFile(file, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			if out, err := xmllint(t, file); err != nil {
				t.Errorf("%s fail-on %q: xmllint: %v\n%s", name, failOn, err, out)
			}
		}
	}
}

// parseJUnit renders r and decodes the result.
func parseJUnit(t *testing.T, r *analyze.Report, opt Options) junitSuites {
	t.Helper()
	var b bytes.Buffer
	if err := (&JUnit{opt: opt.withDefaults()}).Render(&b, r); err != nil {
		t.Fatal(err)
	}
	var doc junitSuites
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("JUnit output does not parse: %v\n%s", err, b.String())
	}
	return doc
}

// failing lists "classname/name" of the failing test cases of a suite.
func failing(s junitSuite) []string {
	var out []string
	for _, c := range s.Cases {
		if c.Failure != nil {
			out = append(out, c.Classname+"/"+c.Name)
		}
	}
	return out
}

// TestJUnitVerdicts checks which test cases fail for each threshold, and that the counts
// in the attributes agree with the test cases.
func TestJUnitVerdicts(t *testing.T) {
	const (
		public = "ixaudit.calls/8f14e45fceea167a5a36dedd4bea2543-very-long-call-identifier-from-a-b2bua@203.0.113.7"
		legacy = "ixaudit.calls/c4ca4238a0b923820dcc509a6f75849b@203.0.113.7"
		media  = "ixaudit.calls/eccbc87e4b5ce2fe28308fd9f2a7baf3@54.172.60.2"
	)
	tests := []struct {
		name    string
		r       *analyze.Report
		opt     Options
		failing map[string][]string // by suite
	}{
		{"fail at error", failReport(), Options{}, map[string][]string{
			"edge-a.pcapng":  {"ixaudit.rules/signalling-public-path", "ixaudit.rules/uri-public-host", public},
			"edge-b.pcap.gz": {"ixaudit.rules/sdp-address-outside-range", "ixaudit.rules/media-address-outside-range", media},
		}},
		{"fail at warning", failReport(), Options{FailOn: analyze.SeverityWarning}, map[string][]string{
			"edge-a.pcapng": {"ixaudit.rules/signalling-public-path", "ixaudit.rules/uri-public-host",
				"ixaudit.rules/uri-legacy-host", "ixaudit.rules/uri-tnx-deprecated", public, legacy},
			"edge-b.pcap.gz": {"ixaudit.rules/sdp-address-outside-range", "ixaudit.rules/media-address-outside-range",
				"ixaudit.rules/capture-truncated", media},
		}},
		{"fail at never", failReport(), Options{FailOn: "never"}, map[string][]string{"edge-a.pcapng": nil, "edge-b.pcap.gz": nil}},
		{"known at error", knownReport(), Options{}, map[string][]string{"edge-a.pcapng": nil}},
		{"known at info: known findings never fail", knownReport(), Options{FailOn: analyze.SeverityInfo}, map[string][]string{
			"edge-a.pcapng": {"ixaudit.rules/uri-tnx-deprecated", legacy},
		}},
		{"pass", passReport(), Options{FailOn: analyze.SeverityInfo}, map[string][]string{"sbc-ix.pcapng": nil}},
		{"empty", emptyReport(), Options{}, map[string][]string{"quiet.pcap": nil}},
	}
	for _, tt := range tests {
		doc := parseJUnit(t, tt.r, tt.opt)
		if len(doc.Suites) != len(tt.failing) {
			t.Errorf("%s: %d suites, want %d", tt.name, len(doc.Suites), len(tt.failing))
		}
		total := junitSuites{}
		for _, s := range doc.Suites {
			want, ok := tt.failing[s.Name]
			if !ok {
				t.Errorf("%s: unexpected suite %q", tt.name, s.Name)
				continue
			}
			got := failing(s)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("%s: suite %s fails\n  %s\nwant\n  %s", tt.name, s.Name, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
			}
			if s.Tests != len(s.Cases) || s.Failures != len(got) || s.Errors != 0 || s.Skipped != 0 {
				t.Errorf("%s: suite %s counts tests=%d failures=%d errors=%d skipped=%d, want %d %d 0 0",
					tt.name, s.Name, s.Tests, s.Failures, s.Errors, s.Skipped, len(s.Cases), len(got))
			}
			// One test case per rule of the catalogue, in its order, before the calls.
			for i, id := range RuleIDs {
				if i >= len(s.Cases) || s.Cases[i].Name != id || s.Cases[i].Classname != junitRules {
					t.Errorf("%s: suite %s: test case %d is not rule %s", tt.name, s.Name, i, id)
					break
				}
			}
			total.Tests += s.Tests
			total.Failures += s.Failures
		}
		if doc.Tests != total.Tests || doc.Failures != total.Failures || doc.Errors != 0 {
			t.Errorf("%s: testsuites counts %d/%d/%d, want the sums %d/%d/0", tt.name, doc.Tests, doc.Failures, doc.Errors, total.Tests, total.Failures)
		}
	}
}

// TestJUnitContent checks the failure message and body, the listing of findings below the
// threshold, the timestamp, and the threshold taken from the report.
func TestJUnitContent(t *testing.T) {
	doc := parseJUnit(t, failReport(), Options{MaxExamples: 2})
	a := doc.Suites[0]
	if a.Timestamp != "2024-05-14T10:02:11" {
		t.Errorf("timestamp %q, want the first time of the input, 2024-05-14T10:02:11", a.Timestamp)
	}
	spp := a.Cases[0]
	if spp.Failure == nil || spp.Failure.Message != "4 findings: 54.172.60.1:5060" || spp.Failure.Type != "error" {
		t.Fatalf("signalling-public-path failure = %+v", spp.Failure)
	}
	if n := strings.Count(spp.Failure.Body, "\n"); n != 3 || !strings.Contains(spp.Failure.Body, "... and 2 more") ||
		!strings.Contains(spp.Failure.Body, "packet 12 at 2024-05-14T10:02:11.250000Z 203.0.113.7:5060 -> 54.172.60.1:5060/udp") {
		t.Errorf("failure body lists 2 examples and the rest:\n%s", spp.Failure.Body)
	}
	var legacy junitCase
	for _, c := range a.Cases {
		if c.Name == "uri-legacy-host" {
			legacy = c
		}
	}
	if legacy.Failure != nil || legacy.SystemOut == nil || !strings.Contains(legacy.SystemOut.Text, "warning uri-legacy-host packet 260") {
		t.Errorf("a warning below fail-on error is listed in system-out, not failed: %+v", legacy)
	}

	// Without Options.FailOn, the report's own threshold applies.
	r := failReport()
	r.Summary.FailOn = analyze.SeverityWarning
	if got := parseJUnit(t, r, Options{}); got.Failures != 10 {
		t.Errorf("with the report's fail_on warning: %d failures, want 10", got.Failures)
	}
}

// TestJUnitCatalogue: Options.Rules replaces the catalogue; rules found in the report but
// not in it are added, sorted.
func TestJUnitCatalogue(t *testing.T) {
	doc := parseJUnit(t, failReport(), Options{Rules: []string{"uri-public-host", "media-one-way", "uri-public-host"}})
	var names []string
	for _, c := range doc.Suites[1].Cases {
		if c.Classname == junitRules {
			names = append(names, c.Name)
		}
	}
	want := []string{"uri-public-host", "media-one-way", "capture-truncated", "evidence-gap", "media-address-outside-range",
		"sdp-address-outside-range", "signalling-public-path", "uri-legacy-host", "uri-tnx-deprecated"}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("rule test cases\n %v\nwant\n %v", names, want)
	}
}

// TestJUnitUnreadableInput: an input that could not be read is a test case in error.
func TestJUnitUnreadableInput(t *testing.T) {
	r := passReport()
	r.Inputs = append(r.Inputs, analyze.Input{Name: "broken.pcap", Error: "not a pcap or pcapng file"})
	doc := parseJUnit(t, r, Options{})
	if len(doc.Suites) != 2 || doc.Errors != 1 {
		t.Fatalf("%d suites, %d errors; want 2 and 1", len(doc.Suites), doc.Errors)
	}
	s := doc.Suites[1]
	if s.Errors != 1 || s.Tests != 1 || s.Cases[0].Error == nil || s.Cases[0].Error.Message != "not a pcap or pcapng file" {
		t.Errorf("unreadable input suite: %+v", s)
	}
}
