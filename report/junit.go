package report

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/ixaudit/ixaudit/analyze"
)

// JUnit renders a report as JUnit XML for CI systems (Jenkins, GitLab, GitHub actions that
// read test reports): one <testsuite> per input capture, holding one <testcase> per rule of
// the catalogue (classname "ixaudit.rules") and one per call with findings (classname
// "ixaudit.calls"). A test case fails when it has a finding at or above the fail-on
// severity that is not known from the baseline; the other findings are listed in its
// <system-out>. An input that could not be read is a test case in error. The output
// validates against the Jenkins junit-10 schema (testdata/junit.xsd).
type JUnit struct{ opt Options }

// JUnit classnames.
const (
	junitRules  = "ixaudit.rules"
	junitCalls  = "ixaudit.calls"
	junitInputs = "ixaudit.inputs"
)

// maxListed bounds the findings a test case lists in its <system-out>.
const maxListed = 100

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
	SystemOut  *junitText      `xml:"system-out,omitempty"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	SystemOut *junitText    `xml:"system-out,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Body    string `xml:",cdata"`
}

// junitText is text kept readable as CDATA; its lines have been through clean, so it
// holds only characters XML allows.
type junitText struct {
	Text string `xml:",cdata"`
}

// text wraps lines for a <system-out>; none when there are none.
func text(lines []string) *junitText {
	if len(lines) == 0 {
		return nil
	}
	return &junitText{Text: strings.Join(lines, "\n") + "\n"}
}

// Render writes the JUnit XML of r.
func (j *JUnit) Render(w io.Writer, r *analyze.Report) error {
	if r == nil {
		return fmt.Errorf("report: nil report")
	}
	doc := j.build(r)
	var b bytes.Buffer
	b.WriteString(xml.Header)
	enc := xml.NewEncoder(&b)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("report: encoding JUnit XML: %w", err)
	}
	b.WriteByte('\n')
	_, err := w.Write(b.Bytes())
	return err
}

// build turns r into the JUnit document.
func (j *JUnit) build(r *analyze.Report) *junitSuites {
	failOn := j.opt.failOn(r)
	rules := j.catalogue(r)
	v := verdictOf(r)

	// Each finding and call belongs to the suite of its input; those that name no known
	// input go to the first suite.
	names := make([]string, 0, len(r.Inputs))
	inputs := make(map[string]*analyze.Input, len(r.Inputs))
	for i := range r.Inputs {
		in := &r.Inputs[i]
		if _, dup := inputs[in.Name]; !dup {
			names = append(names, in.Name)
			inputs[in.Name] = in
		}
	}
	if len(names) == 0 {
		names = append(names, "ixaudit")
	}
	suiteOf := func(input string) string {
		if _, ok := inputs[input]; ok {
			return input
		}
		return names[0]
	}
	findings := make(map[string][]*analyze.Finding, len(names))
	for i := range r.Findings {
		f := &r.Findings[i]
		s := suiteOf(f.Input)
		findings[s] = append(findings[s], f)
	}
	times := make(map[string]string, len(names))
	earliest := func(input, t string) {
		s := suiteOf(input)
		if t != "" && (times[s] == "" || before(t, times[s])) {
			times[s] = t
		}
	}
	for i := range r.Calls {
		earliest(r.Calls[i].Input, r.Calls[i].Start)
	}
	for i := range r.Streams {
		earliest(r.Streams[i].Input, r.Streams[i].Start)
	}
	for i := range r.Findings {
		earliest(r.Findings[i].Input, r.Findings[i].Time)
	}

	doc := &junitSuites{Name: "ixaudit"}
	for _, name := range names {
		suite := junitSuite{
			Name:      clean(name),
			Timestamp: junitTime(times[name]),
			Properties: []junitProperty{
				{Name: "ixaudit.version", Value: clean(r.Tool.Version)},
				{Name: "rules.source", Value: clean(r.Rules.Source)},
				{Name: "rules.sha256", Value: clean(r.Rules.SHA256)},
				{Name: "fail_on", Value: string(failOn)},
			},
		}
		out := []string{clean(v.String())}
		if in := inputs[name]; in != nil {
			out = append(out, clean(fmt.Sprintf("%s: %s, link types %s, truncated %s", name,
				plural(in.Packets, "packet"), orDash(strings.Join(in.LinkTypes, ", ")), yesNo(in.Truncated))))
			if in.Error != "" {
				suite.Cases = append(suite.Cases, junitCase{
					Name: clean(name), Classname: junitInputs,
					Error: &junitProblem{Message: clean(in.Error), Type: "unreadable-input", Body: clean(in.Error)},
				})
			}
		}
		suite.SystemOut = text(out)
		if len(suite.Cases) == 0 {
			suite.Cases = append(suite.Cases, j.ruleCases(rules, findings[name], failOn)...)
			suite.Cases = append(suite.Cases, j.callCases(r, findings[name], failOn)...)
		}
		for _, c := range suite.Cases {
			suite.Tests++
			if c.Failure != nil {
				suite.Failures++
			}
			if c.Error != nil {
				suite.Errors++
			}
		}
		doc.Tests += suite.Tests
		doc.Failures += suite.Failures
		doc.Errors += suite.Errors
		doc.Suites = append(doc.Suites, suite)
	}
	return doc
}

// catalogue is the rule list: Options.Rules or RuleIDs, then the other rules found in r.
func (j *JUnit) catalogue(r *analyze.Report) []string {
	rules := j.opt.Rules
	if len(rules) == 0 {
		rules = RuleIDs
	}
	seen := make(map[string]bool, len(rules))
	out := make([]string, 0, len(rules))
	for _, id := range rules {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	var extra []string
	for i := range r.Findings {
		if id := r.Findings[i].Rule; !seen[id] {
			seen[id] = true
			extra = append(extra, id)
		}
	}
	sort.Strings(extra)
	return append(out, extra...)
}

// ruleCases makes one test case per rule.
func (j *JUnit) ruleCases(rules []string, fs []*analyze.Finding, failOn analyze.Severity) []junitCase {
	byRule := make(map[string][]*analyze.Finding)
	for _, f := range fs {
		byRule[f.Rule] = append(byRule[f.Rule], f)
	}
	cases := make([]junitCase, 0, len(rules))
	for _, id := range rules {
		c := junitCase{Name: clean(id), Classname: junitRules}
		failing, other := split(byRule[id], failOn)
		if len(failing) > 0 {
			c.Failure = j.problem(failing, plural(len(failing), "finding")+": "+clean(failing[0].Evidence))
		}
		c.SystemOut = j.listing(other)
		cases = append(cases, c)
	}
	return cases
}

// callCases makes one test case per call with findings, in the order of r.Calls.
func (j *JUnit) callCases(r *analyze.Report, fs []*analyze.Finding, failOn analyze.Severity) []junitCase {
	byCall := make(map[string][]*analyze.Finding)
	for _, f := range fs {
		if f.CallID != "" {
			byCall[f.CallID] = append(byCall[f.CallID], f)
		}
	}
	var cases []junitCase
	for i := range r.Calls {
		call := &r.Calls[i]
		cfs := byCall[call.CallID]
		if len(cfs) == 0 {
			continue
		}
		delete(byCall, call.CallID) // a Call-ID listed twice gets one test case
		c := junitCase{Name: clean(call.CallID), Classname: junitCalls}
		failing, other := split(cfs, failOn)
		if len(failing) > 0 {
			c.Failure = j.problem(failing, plural(len(failing), "finding")+": "+strings.Join(ruleList(failing), ", "))
		}
		c.SystemOut = j.listing(other)
		cases = append(cases, c)
	}
	return cases
}

// split separates the findings that fail at failOn from the others.
func split(fs []*analyze.Finding, failOn analyze.Severity) (failing, other []*analyze.Finding) {
	for _, f := range fs {
		if fails(f, failOn) {
			failing = append(failing, f)
		} else {
			other = append(other, f)
		}
	}
	return failing, other
}

// ruleList names the distinct rules of fs, in order of first appearance.
func ruleList(fs []*analyze.Finding) []string {
	seen := make(map[string]bool)
	var out []string
	for _, f := range fs {
		if !seen[f.Rule] {
			seen[f.Rule] = true
			out = append(out, clean(f.Rule))
		}
	}
	return out
}

// problem is the <failure> of failing findings: the message, and the first examples.
func (j *JUnit) problem(fs []*analyze.Finding, message string) *junitProblem {
	sev := fs[0].Severity
	for _, f := range fs {
		if f.Severity.Rank() > sev.Rank() {
			sev = f.Severity
		}
	}
	var b strings.Builder
	n := min(len(fs), j.opt.MaxExamples)
	for _, f := range fs[:n] {
		b.WriteString(findingLine(f))
		b.WriteByte('\n')
	}
	if more := len(fs) - n; more > 0 {
		fmt.Fprintf(&b, "... and %s more\n", thousands(more))
	}
	return &junitProblem{Message: message, Type: string(sev), Body: b.String()}
}

// listing is the <system-out> of findings that do not fail: below the threshold or known.
func (j *JUnit) listing(fs []*analyze.Finding) *junitText {
	n := min(len(fs), maxListed)
	lines := make([]string, 0, n+1)
	for _, f := range fs[:n] {
		line := findingLine(f)
		if f.Known {
			line = "known: " + line
		}
		lines = append(lines, line)
	}
	if more := len(fs) - n; more > 0 {
		lines = append(lines, fmt.Sprintf("... and %s more", thousands(more)))
	}
	return text(lines)
}

// findingLine describes one finding on one line.
func findingLine(f *analyze.Finding) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s packet %d at %s", f.Severity, f.Rule, f.Packet, orDash(f.Time))
	if f.Src != "" || f.Dst != "" {
		fmt.Fprintf(&b, " %s -> %s", orDash(f.Src), orDash(f.Dst))
		if f.Transport != "" {
			b.WriteString("/" + f.Transport)
		}
	}
	if f.CallID != "" {
		b.WriteString(" Call-ID " + f.CallID)
	}
	if f.Message != "" {
		b.WriteString(": " + f.Message)
	}
	if f.Evidence != "" {
		b.WriteString(" [evidence: " + f.Evidence + "]")
	}
	return clean(b.String())
}

// before compares two report times, as times when both parse and as strings otherwise.
func before(a, b string) bool {
	ta, ea := time.Parse(time.RFC3339Nano, a)
	tb, eb := time.Parse(time.RFC3339Nano, b)
	if ea == nil && eb == nil {
		return ta.Before(tb)
	}
	return a < b
}

// junitTime formats an RFC 3339 time the way Ant's JUnit task writes timestamps: to the
// second, in UTC, without a zone. Anything else is left out.
func junitTime(s string) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05")
}
