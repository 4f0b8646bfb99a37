package report

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ixaudit/ixaudit/analyze"
	"github.com/ixaudit/ixaudit/analyze/ruleset"
)

func TestNew(t *testing.T) {
	tests := []struct {
		format string
		want   string // the renderer's type
	}{
		{"table", "*report.Table"},
		{"json", "*report.JSON"},
		{"junit", "*report.JUnit"},
		{"markdown", "*report.Markdown"},
		{"md", "*report.Markdown"},
		{"JSON", "*report.JSON"},
	}
	for _, tt := range tests {
		r, err := New(tt.format, Options{})
		if err != nil {
			t.Errorf("New(%q): %v", tt.format, err)
			continue
		}
		if got := fmt.Sprintf("%T", r); got != tt.want {
			t.Errorf("New(%q) = %s, want %s", tt.format, got, tt.want)
		}
	}
	for _, bad := range []string{"", "html5", "xml", "tablex"} {
		_, err := New(bad, Options{})
		if err == nil {
			t.Errorf("New(%q): no error", bad)
			continue
		}
		for _, f := range Formats {
			if !strings.Contains(err.Error(), f) {
				t.Errorf("New(%q) error %q does not list format %q", bad, err, f)
			}
		}
	}
}

func TestOptionsDefaults(t *testing.T) {
	r, _ := New("table", Options{})
	if got := r.(*Table).opt; got.Width != DefaultWidth || got.MaxExamples != DefaultMaxExamples {
		t.Errorf("defaults: Width %d MaxExamples %d, want %d %d", got.Width, got.MaxExamples, DefaultWidth, DefaultMaxExamples)
	}
	r, _ = New("table", Options{Width: 80, MaxExamples: 1})
	if got := r.(*Table).opt; got.Width != 80 || got.MaxExamples != 1 {
		t.Errorf("set options changed: Width %d MaxExamples %d", got.Width, got.MaxExamples)
	}
}

// TestRenderersDoNotModify checks that rendering leaves the report as it was: the same
// report is rendered in several formats, one after the other.
func TestRenderersDoNotModify(t *testing.T) {
	for name, r := range fixtures() {
		before := fixtures()[name]
		for _, f := range []string{"table", "json", "junit", "markdown"} {
			ren, _ := New(f, Options{AllCalls: true})
			if err := ren.Render(&bytes.Buffer{}, r); err != nil {
				t.Fatalf("%s/%s: %v", name, f, err)
			}
			if diff := cmp.Diff(before, r); diff != "" {
				t.Errorf("%s: %s renderer modified the report (-before +after):\n%s", name, f, diff)
			}
		}
	}
}

func TestRenderNil(t *testing.T) {
	for _, f := range []string{"table", "json", "junit", "markdown"} {
		ren, _ := New(f, Options{})
		if err := ren.Render(&bytes.Buffer{}, nil); err == nil {
			t.Errorf("%s: Render(nil) gave no error", f)
		}
	}
}

// failingWriter fails every write.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, fmt.Errorf("disk full") }

func TestRenderWriteError(t *testing.T) {
	for _, f := range []string{"table", "json", "junit", "markdown"} {
		ren, _ := New(f, Options{})
		if err := ren.Render(failingWriter{}, passReport()); err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Errorf("%s: Render to a failing writer: err = %v, want disk full", f, err)
		}
	}
}

// TestVerdict checks the verdict line for each kind of report.
func TestVerdict(t *testing.T) {
	sum := func(calls int, paths map[analyze.Path]int, failed bool) analyze.Summary {
		return analyze.Summary{Packets: 1000, Calls: calls, CallsByPath: paths, Failed: failed}
	}
	finding := func(sev analyze.Severity, known bool) analyze.Finding {
		return analyze.Finding{Rule: "r", Severity: sev, Known: known}
	}
	tests := []struct {
		name string
		r    analyze.Report
		want string
	}{
		{"all on interconnect", analyze.Report{Summary: sum(120, map[analyze.Path]int{"interconnect": 120}, false)},
			"PASS: 120 calls, all on Interconnect"},
		{"public calls", analyze.Report{Summary: sum(120, map[analyze.Path]int{"interconnect": 118, "public": 2}, true),
			Findings: []analyze.Finding{finding("error", false)}},
			"FAIL: 2 of 120 calls left Interconnect (public: 2)"},
		{"errors without public calls", analyze.Report{Summary: sum(12, map[analyze.Path]int{"interconnect": 12}, true),
			Findings: []analyze.Finding{finding("error", false), finding("error", false), finding("error", false), finding("warning", false)}},
			"FAIL: 3 errors, 1 warning in 12 calls"},
		{"warnings only", analyze.Report{Summary: sum(12, map[analyze.Path]int{"interconnect": 12}, false),
			Findings: []analyze.Finding{finding("warning", false), finding("warning", false)}},
			"PASS (warnings): 2 warnings in 12 calls"},
		{"errors with fail-on never", analyze.Report{Summary: sum(12, map[analyze.Path]int{"interconnect": 12}, false),
			Findings: []analyze.Finding{finding("error", false)}},
			"PASS (errors): 1 error in 12 calls"},
		{"known errors", analyze.Report{Summary: analyze.Summary{Packets: 10, Calls: 3, Known: 2,
			CallsByPath: map[analyze.Path]int{"interconnect": 3}},
			Findings: []analyze.Finding{finding("error", true), finding("error", true)}},
			"PASS: 3 calls, all on Interconnect; 2 known from the baseline"},
		{"infos only", analyze.Report{Summary: sum(1, map[analyze.Path]int{"interconnect": 1}, false),
			Findings: []analyze.Finding{finding("info", false)}},
			"PASS: 1 call, all on Interconnect; 1 info"},
		{"unknown path", analyze.Report{Summary: sum(5, map[analyze.Path]int{"interconnect": 3, "unknown": 2}, false)},
			"PASS: 5 calls, 3 on Interconnect; 2 calls on an unknown path"},
		{"no calls", analyze.Report{Summary: analyze.Summary{Packets: 1234}},
			"PASS: no calls found in 1,234 packets"},
		{"no calls with findings", analyze.Report{Summary: analyze.Summary{Packets: 1234, Failed: true},
			Findings: []analyze.Finding{finding("error", false)}},
			"FAIL: no calls found in 1,234 packets; 1 error"},
		{"large gap", analyze.Report{Summary: analyze.Summary{Packets: 1000, Calls: 1,
			CallsByPath: map[analyze.Path]int{"interconnect": 1}, EvidenceGaps: map[string]int{"tcp-gap": 100, "not-ip": 20}}},
			"PASS: 1 call, all on Interconnect; 120 packets could not be judged"},
		{"small gap", analyze.Report{Summary: analyze.Summary{Packets: 100000, Calls: 1,
			CallsByPath: map[analyze.Path]int{"interconnect": 1}, EvidenceGaps: map[string]int{"not-ip": 20}}},
			"PASS: 1 call, all on Interconnect"},
		{"kernel drops", analyze.Report{Summary: analyze.Summary{Packets: 100000, Calls: 1,
			CallsByPath: map[analyze.Path]int{"interconnect": 1}, EvidenceGaps: map[string]int{"kernel-drops": 1}}},
			"PASS: 1 call, all on Interconnect; the kernel dropped 1 packet"},
		{"unreadable input", analyze.Report{Summary: analyze.Summary{Packets: 0, Failed: false},
			Inputs: []analyze.Input{{Name: "a"}, {Name: "b", Error: "not a capture"}}},
			"PASS: no calls found in 0 packets; 1 input could not be read"},
	}
	for _, tt := range tests {
		if got := verdictOf(&tt.r).String(); got != tt.want {
			t.Errorf("%s:\n got %q\nwant %q", tt.name, got, tt.want)
		}
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 7: "7", 999: "999", 1000: "1,000", 1234567: "1,234,567",
		-1: "-1", -1000: "-1,000", -123456: "-123,456", 100000: "100,000"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestClean(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"a\tb\nc\rd", "a b c d"},
		{"\x1b[2Jx", `\x1b[2Jx`},
		{"bad\xffutf8", "bad\uFFFDutf8"},
		{"c1\u0085", `c1\x85`},
		{"non\uFFFEchar", "non\uFFFDchar"},
		{"ünïcode ✓", "ünïcode ✓"},
	}
	for _, tt := range tests {
		if got := clean(tt.in); got != tt.want {
			t.Errorf("clean(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTruncateMiddle(t *testing.T) {
	tests := []struct {
		in   string
		w    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"abcdefghijkl", 7, "abc…jkl"},
		{"abcdefghijkl", 8, "abcd…jkl"},
		{"abcdef", 1, "…"},
		{"abcdef", 0, ""},
		{"日本語のコールID", 7, "日…ルID"}, // wide characters count two columns
	}
	for _, tt := range tests {
		got := truncateMiddle(tt.in, tt.w)
		if got != tt.want {
			t.Errorf("truncateMiddle(%q, %d) = %q, want %q", tt.in, tt.w, got, tt.want)
		}
		if width(got) > max(tt.w, 0) {
			t.Errorf("truncateMiddle(%q, %d) = %q is %d columns wide", tt.in, tt.w, got, width(got))
		}
	}
}

// TestRuleIDsMatchRuleSet: the fallback catalogue lists the embedded rule set's rules, in
// its order, so JUnit output is the same whether or not the caller passes Options.Rules.
func TestRuleIDsMatchRuleSet(t *testing.T) {
	var ids []string
	for _, r := range ruleset.Default().Rules() {
		ids = append(ids, r.ID)
	}
	if diff := cmp.Diff(ids, RuleIDs); diff != "" {
		t.Errorf("RuleIDs differs from ruleset.Default().Rules() (-ruleset +RuleIDs):\n%s", diff)
	}
}
