package report

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/ixaudit/ixaudit/analyze"
)

// Markdown renders a compact GitHub-flavoured Markdown report, fit for a pull-request
// comment: a verdict heading, calls by path, findings by rule with one example each, and
// collapsed <details> with more examples and the calls with findings.
type Markdown struct{ opt Options }

// maxMarkdownCalls bounds the calls listed in the Markdown report; a PR comment has a size
// limit, and the JSON report has them all.
const maxMarkdownCalls = 50

// Render writes the Markdown report of r.
func (m *Markdown) Render(w io.Writer, r *analyze.Report) error {
	if r == nil {
		return fmt.Errorf("report: nil report")
	}
	var b bytes.Buffer
	v := verdictOf(r)
	fmt.Fprintf(&b, "### **%s**: %s\n\n", mdText(v.Status), mdText(v.Detail))
	m.paths(&b, r)
	m.findings(&b, r)
	m.calls(&b, r)
	m.footer(&b, r)
	_, err := w.Write(b.Bytes())
	return err
}

func (m *Markdown) paths(b *bytes.Buffer, r *analyze.Report) {
	s := &r.Summary
	if max(s.Calls, len(r.Calls)) == 0 {
		return
	}
	b.WriteString("| path | calls |\n|---|--:|\n")
	for _, p := range []analyze.Path{analyze.PathInterconnect, analyze.PathPublic, analyze.PathUnknown} {
		if n, ok := s.CallsByPath[p]; ok || p == analyze.PathInterconnect {
			fmt.Fprintf(b, "| %s | %s |\n", p, thousands(n))
		}
	}
	b.WriteByte('\n')
}

func (m *Markdown) findings(b *bytes.Buffer, r *analyze.Report) {
	if len(r.Findings) == 0 {
		return
	}
	groups := groupByRule(r.Findings)
	known := r.Summary.Known > 0
	b.WriteString("| rule | severity | count |")
	if known {
		b.WriteString(" known |")
	}
	b.WriteString(" example |\n|---|---|--:|")
	if known {
		b.WriteString("--:|")
	}
	b.WriteString("---|\n")
	for _, g := range groups {
		f := g.Findings[0]
		fmt.Fprintf(b, "| %s | %s | %s |", codeSpan(g.Rule, true), mdCell(string(g.Severity)), thousands(len(g.Findings)))
		if known {
			fmt.Fprintf(b, " %s |", thousands(g.Known))
		}
		fmt.Fprintf(b, " packet %d: %s |\n", f.Packet, codeSpan(f.Evidence, true))
	}
	b.WriteByte('\n')

	fmt.Fprintf(b, "<details>\n<summary>Examples (up to %d per rule)</summary>\n\n", m.opt.MaxExamples)
	multiInput := len(r.Inputs) > 1
	for _, g := range groups {
		fmt.Fprintf(b, "#### %s (%s, %s)\n\n", codeSpan(g.Rule, false), mdText(string(g.Severity)), plural(len(g.Findings), "finding"))
		if msg := g.Findings[0].Message; msg != "" {
			b.WriteString(mdText(msg) + "\n\n")
		}
		n := min(len(g.Findings), m.opt.MaxExamples)
		examples := g.Findings[:n]
		known := false
		for _, f := range examples {
			known = known || f.Known
		}
		b.WriteString("| packet | time |")
		if multiInput {
			b.WriteString(" input |")
		}
		b.WriteString(" Call-ID | evidence |")
		if known {
			b.WriteString(" baseline |")
		}
		b.WriteString("\n|--:|---|")
		if multiInput {
			b.WriteString("---|")
		}
		b.WriteString("---|---|")
		if known {
			b.WriteString("---|")
		}
		b.WriteByte('\n')
		for _, f := range examples {
			fmt.Fprintf(b, "| %d | %s |", f.Packet, mdCell(clockTime(f.Time)))
			if multiInput {
				fmt.Fprintf(b, " %s |", codeSpan(f.Input, true))
			}
			fmt.Fprintf(b, " %s | %s |", codeSpan(f.CallID, true), codeSpan(f.Evidence, true))
			if known {
				note := "-"
				if f.Known {
					note = "known"
				}
				fmt.Fprintf(b, " %s |", note)
			}
			b.WriteByte('\n')
		}
		if more := len(g.Findings) - n; more > 0 {
			fmt.Fprintf(b, "\n… and %s more.\n", thousands(more))
		}
		b.WriteByte('\n')
	}
	b.WriteString("</details>\n\n")
}

func (m *Markdown) calls(b *bytes.Buffer, r *analyze.Report) {
	calls := callsShown(r, m.opt.AllCalls)
	if len(calls) == 0 {
		return
	}
	title := "Calls with findings"
	if m.opt.AllCalls {
		title = "Calls"
	}
	fmt.Fprintf(b, "<details>\n<summary>%s (%s)</summary>\n\n", title, thousands(len(calls)))
	b.WriteString("| Call-ID | direction | path | edge | gateway | status | RTP | worst loss | MOS | rules |\n")
	b.WriteString("|---|---|---|---|---|--:|--:|--:|--:|---|\n")
	med := mediaByCall(r.Streams)
	n := min(len(calls), maxMarkdownCalls)
	for _, c := range calls[:n] {
		md := med[c.CallID]
		status, loss, mos := "-", "-", "-"
		if c.FinalStatus > 0 {
			status = strconv.Itoa(c.FinalStatus)
		}
		if md.Streams > 0 {
			loss = strconv.FormatFloat(md.WorstLoss, 'f', 1, 64) + "%"
		}
		if md.MOS > 0 {
			mos = strconv.FormatFloat(md.MOS, 'f', 2, 64)
		}
		rules := make([]string, len(c.Rules))
		for i, id := range c.Rules {
			rules[i] = codeSpan(id, true)
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %d | %s | %s | %s |\n",
			codeSpan(c.CallID, true), mdCell(orDash(string(c.Direction))), mdCell(string(c.Path)),
			mdCell(orDash(c.Edge)), codeSpan(c.Gateway, true), status, md.Streams, loss, mos,
			orDash(strings.Join(rules, " ")))
	}
	if more := len(calls) - n; more > 0 {
		fmt.Fprintf(b, "\n%s (the JSON report lists them all).\n", andMore(more, "call"))
	}
	b.WriteString("\n</details>\n\n")
}

// footer names the tool, the rule set and the inputs, so a comment can be traced.
func (m *Markdown) footer(b *bytes.Buffer, r *analyze.Report) {
	sha := r.Rules.SHA256
	if len(sha) > 12 {
		sha = sha[:12]
	}
	fmt.Fprintf(b, "<sub>%s %s · rules %s %s · %s in %s</sub>\n",
		mdText(orDash(r.Tool.Name)), mdText(r.Tool.Version), mdText(orDash(r.Rules.Source)), mdText(sha),
		plural(r.Summary.Packets, "packet"), plural(len(r.Inputs), "input"))
}

// mdSpecial are the characters that Markdown (or GitHub's HTML) would interpret in text.
const mdSpecial = "\\`*_[]<>|~&#!"

// mdText escapes s for Markdown text outside tables.
func mdText(s string) string {
	s = clean(s)
	if !strings.ContainsAny(s, mdSpecial) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if r < 0x80 && strings.ContainsRune(mdSpecial, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// mdCell escapes s for a table cell: text escaping, and an empty cell shows "-".
func mdCell(s string) string { return mdText(orDash(s)) }

// codeSpan shows s verbatim in a code span, with a fence longer than any run of backticks
// in s. In a table cell, pipes are escaped as GFM requires (the escape is removed before
// the span is parsed). An empty s shows "-".
func codeSpan(s string, inTable bool) string {
	s = clean(s)
	if s == "" {
		return "-"
	}
	longest, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	if inTable {
		s = strings.ReplaceAll(s, "|", `\|`)
	}
	if s[0] == '`' || s[len(s)-1] == '`' || (s[0] == ' ' && s[len(s)-1] == ' ') {
		s = " " + s + " "
	}
	return fence + s + fence
}
