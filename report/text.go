package report

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/olekukonko/tablewriter/pkg/twwidth"

	"github.com/ixaudit/ixaudit/analyze"
)

// This file holds what the human-facing formats share: the verdict line, grouping of
// findings, per-call media summaries, and text hygiene (control characters, widths).

// verdict is the one-line summary that opens the table and Markdown formats. The PASS/FAIL
// status is Summary.Failed, decided by the analysis; the rest only describes the report.
type verdict struct {
	Failed bool
	Status string // "PASS", "PASS (warnings)", "FAIL", ...
	Detail string // "2 of 120 calls left Interconnect (public: 2)"
}

func (v verdict) String() string { return v.Status + ": " + v.Detail }

// largeGapPercent is the share of a report's packets that could not be judged above which
// the verdict line names the gap.
const largeGapPercent = 1

// verdictOf describes r in one line.
func verdictOf(r *analyze.Report) verdict {
	s := &r.Summary
	v := verdict{Failed: s.Failed}
	calls := max(s.Calls, len(r.Calls))
	public := s.CallsByPath[analyze.PathPublic]
	unknown := s.CallsByPath[analyze.PathUnknown]
	open := openCounts(r) // findings not known from the baseline

	var parts []string
	switch {
	case calls == 0:
		parts = append(parts, "no calls found in "+plural(s.Packets, "packet"))
		if c := severityCounts(open); c != "" {
			parts = append(parts, c)
		}
	case public > 0:
		parts = append(parts, fmt.Sprintf("%s of %s left Interconnect (public: %s%s)",
			thousands(public), plural(calls, "call"), thousands(public), publicDetail(r)))
		if unknown > 0 {
			parts = append(parts, plural(unknown, "call")+" on an unknown path")
		}
	case open.errors+open.warnings > 0:
		parts = append(parts, severityCounts(open)+" in "+plural(calls, "call"))
	case unknown > 0 || s.CallsByPath[analyze.PathInterconnect] != calls:
		parts = append(parts, fmt.Sprintf("%s, %s on Interconnect", plural(calls, "call"),
			thousands(s.CallsByPath[analyze.PathInterconnect])))
		if unknown > 0 {
			parts = append(parts, plural(unknown, "call")+" on an unknown path")
		}
	default:
		parts = append(parts, plural(calls, "call")+", all on Interconnect")
	}
	if calls > 0 && open.infos > 0 && open.errors+open.warnings == 0 {
		parts = append(parts, plural(open.infos, "info"))
	}
	if s.Known > 0 {
		parts = append(parts, thousands(s.Known)+" known from the baseline")
	}
	gaps, drops := gapTotals(s.EvidenceGaps)
	if gaps > 0 && gaps*100 >= s.Packets*largeGapPercent {
		parts = append(parts, plural(gaps, "packet")+" could not be judged")
	}
	if drops > 0 {
		parts = append(parts, "the kernel dropped "+plural(drops, "packet"))
	}
	if n := unreadableInputs(r); n > 0 {
		parts = append(parts, plural(n, "input")+" could not be read")
	}
	v.Detail = strings.Join(parts, "; ")

	switch {
	case s.Failed:
		v.Status = "FAIL"
	case open.errors > 0:
		v.Status = "PASS (errors)"
	case open.warnings > 0:
		v.Status = "PASS (warnings)"
	default:
		v.Status = "PASS"
	}
	return v
}

// counts of findings by severity.
type counts struct{ errors, warnings, infos int }

// openCounts counts the findings of r that are not known from the baseline.
func openCounts(r *analyze.Report) counts {
	var c counts
	for i := range r.Findings {
		f := &r.Findings[i]
		if f.Known {
			continue
		}
		switch f.Severity {
		case analyze.SeverityError:
			c.errors++
		case analyze.SeverityWarning:
			c.warnings++
		case analyze.SeverityInfo:
			c.infos++
		}
	}
	return c
}

// severityCounts says "3 errors, 1 warning"; infos are named only when nothing worse is.
func severityCounts(c counts) string {
	var parts []string
	if c.errors > 0 {
		parts = append(parts, plural(c.errors, "error"))
	}
	if c.warnings > 0 {
		parts = append(parts, plural(c.warnings, "warning"))
	}
	if len(parts) == 0 && c.infos > 0 {
		parts = append(parts, plural(c.infos, "info"))
	}
	return strings.Join(parts, ", ")
}

// kernelDrops is the evidence-gap reason for packets the kernel dropped before capture:
// they are not in the capture, so they are not part of Summary.Packets.
const kernelDrops = "kernel-drops"

// gapTotals sums the evidence gaps: packets in the capture that could not be judged, and
// packets the kernel dropped.
func gapTotals(gaps map[string]int) (packets, drops int) {
	for reason, n := range gaps {
		switch {
		case reason == kernelDrops:
			drops += n
		case analyze.GapCountsPackets(reason):
			packets += n
		}
	}
	return packets, drops
}

func unreadableInputs(r *analyze.Report) int {
	n := 0
	for i := range r.Inputs {
		if r.Inputs[i].Error != "" {
			n++
		}
	}
	return n
}

// gapMeanings explains each evidence-gap reason in one line. The keys are the String forms
// of capture.Gap, plus the reasons the analysis adds; a test keeps them in step.
var gapMeanings = map[string]string{
	"unknown-link-type":     "the interface's link type is not decoded",
	"unknown-ethertype":     "an EtherType (or SLL protocol, loopback family) that is not IP",
	"not-ip":                "a known non-IP protocol (ARP, LLDP, STP, ...)",
	"unknown-encapsulation": "a tunnel or encapsulation that is not decoded",
	"malformed-header":      "headers that contradict themselves (lengths, version)",
	"cut-by-snaplen":        "the snap length cut the packet before its payload",
	"fragments-incomplete":  "an IP fragment whose datagram never completed",
	"fragments-evicted":     "an IP fragment dropped by the reassembly memory limit",
	"tcp-gap":               "TCP data missing bytes before it, so it could not be placed",
	"tcp-evicted":           "TCP data dropped by the reassembly memory limit",
	kernelDrops:             "dropped by the kernel before capture (not in the file)",
	// Reasons the analysis adds (analyze/engine.go).
	"tls-content":   "TLS-encrypted SIP: the messages cannot be read",
	"sctp":          "SCTP, which is not decoded (SIP over SCTP)",
	"evicted-calls": "dialogs ended early by the call-table limit (a count of calls, not packets)",
}

// gapMeaning explains reason, or says that it is not documented.
func gapMeaning(reason string) string {
	if m, ok := gapMeanings[reason]; ok {
		return m
	}
	return "(no description for this reason)"
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ruleGroup is the findings of one rule, in report order.
type ruleGroup struct {
	Rule     string
	Severity analyze.Severity // the most severe of the group
	Findings []*analyze.Finding
	Known    int
}

// groupByRule groups findings by rule: most severe first, then most frequent, then by id.
func groupByRule(fs []analyze.Finding) []*ruleGroup {
	byRule := make(map[string]*ruleGroup)
	var groups []*ruleGroup
	for i := range fs {
		f := &fs[i]
		g := byRule[f.Rule]
		if g == nil {
			g = &ruleGroup{Rule: f.Rule, Severity: f.Severity}
			byRule[f.Rule] = g
			groups = append(groups, g)
		}
		if f.Severity.Rank() > g.Severity.Rank() {
			g.Severity = f.Severity
		}
		if f.Known {
			g.Known++
		}
		g.Findings = append(g.Findings, f)
	}
	sort.SliceStable(groups, func(i, j int) bool {
		a, b := groups[i], groups[j]
		if a.Severity.Rank() != b.Severity.Rank() {
			return a.Severity.Rank() > b.Severity.Rank()
		}
		if len(a.Findings) != len(b.Findings) {
			return len(a.Findings) > len(b.Findings)
		}
		return a.Rule < b.Rule
	})
	return groups
}

// media summarises the RTP streams of one call.
type media struct {
	Streams   int
	WorstLoss float64 // percent of expected packets, the worst stream
	MOS       float64 // the lowest MOS of a stream that has one; 0 when none
}

// mediaByCall summarises the streams of every call, by Call-ID.
func mediaByCall(streams []analyze.Stream) map[string]media {
	m := make(map[string]media)
	for i := range streams {
		s := &streams[i]
		if s.CallID == "" {
			continue
		}
		md := m[s.CallID]
		md.Streams++
		md.WorstLoss = max(md.WorstLoss, lossPercent(s))
		if s.MOS > 0 && (md.MOS == 0 || s.MOS < md.MOS) {
			md.MOS = s.MOS
		}
		m[s.CallID] = md
	}
	return m
}

// lossPercent is the share of a stream's expected packets that were lost.
func lossPercent(s *analyze.Stream) float64 {
	expected := s.Packets + s.Lost
	if s.Lost <= 0 || expected <= 0 {
		return 0
	}
	return 100 * float64(s.Lost) / float64(expected)
}

// callsShown returns the calls a per-call table lists: those with findings, or all.
func callsShown(r *analyze.Report, all bool) []*analyze.Call {
	var out []*analyze.Call
	for i := range r.Calls {
		if c := &r.Calls[i]; all || c.Findings > 0 {
			out = append(out, c)
		}
	}
	return out
}

// streamsShown returns the streams of the calls shown; with all, every stream.
func streamsShown(r *analyze.Report, calls []*analyze.Call, all bool) []*analyze.Stream {
	ids := make(map[string]bool, len(calls))
	for _, c := range calls {
		ids[c.CallID] = true
	}
	var out []*analyze.Stream
	for i := range r.Streams {
		if s := &r.Streams[i]; all || ids[s.CallID] {
			out = append(out, s)
		}
	}
	return out
}

// thousands formats n with comma separators: 1234567 -> "1,234,567".
func thousands(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	if len(s) <= 3 {
		if neg {
			return "-" + s
		}
		return s
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	head := len(s) % 3
	if head > 0 {
		b.WriteString(s[:head])
	}
	for i := head; i < len(s); i += 3 {
		if b.Len() > 0 && !(neg && b.Len() == 1) {
			b.WriteByte(',')
		}
		b.WriteString(s[i : i+3])
	}
	return b.String()
}

// plural says "1 call", "2 calls", "1,234 packets".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return thousands(n) + " " + noun + "s"
}

// andMore says "… and 1 more call", "… and 5 more calls".
func andMore(n int, noun string) string {
	if n != 1 {
		noun += "s"
	}
	return "… and " + thousands(n) + " more " + noun
}

// clockTime shows an RFC 3339 time as a time of day with milliseconds, in its own zone;
// anything else is shown as it is.
func clockTime(s string) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return s
	}
	return t.Format("15:04:05.000")
}

// yesNo shows a bool.
func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// orDash shows an empty string as "-".
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// clean makes s safe to print on a terminal or in a document: invalid UTF-8 and the
// noncharacters U+FFFE and U+FFFF become U+FFFD, line breaks and tabs become spaces, and
// other control characters (ESC above all: a capture must not drive the reader's terminal)
// are shown as \xNN. The result holds only characters that XML allows.
func clean(s string) string {
	ok := utf8.ValidString(s)
	for i := 0; ok && i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f {
			ok = false
		}
	}
	if ok && !hasUnprintable(s) {
		return s
	}
	var b strings.Builder
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			b.WriteByte(' ')
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			fmt.Fprintf(&b, `\x%02x`, r)
		case r == 0xfffe || r == 0xffff:
			b.WriteRune(utf8.RuneError) // not characters, and not allowed in XML
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// hasUnprintable reports whether s holds a C1 control character (U+0080 to U+009F) or
// one of the noncharacters U+FFFE and U+FFFF.
func hasUnprintable(s string) bool {
	for _, r := range s {
		if r >= 0x80 && r < 0xa0 || r == 0xfffe || r == 0xffff {
			return true
		}
	}
	return false
}

// width is the number of terminal columns s takes, ANSI escapes excluded, measured as
// tablewriter measures it. Long strings bypass tablewriter's global cache, which would
// otherwise keep hostile megabyte values alive.
func width(s string) int {
	if len(s) > 256 {
		return twwidth.WidthNoCache(s)
	}
	return twwidth.Width(s)
}

// ellipsis marks text cut out of the middle of a value.
const ellipsis = "…"

// truncateMiddle shortens s to at most w columns by cutting its middle, keeping its head
// and tail (a Call-ID's host, an evidence's end) readable. s has been through clean: it
// holds no tab, the one character wider than its bytes.
func truncateMiddle(s string, w int) string {
	if len(s) <= w || width(s) <= w { // no character is wider than its UTF-8 bytes
		return s
	}
	if w <= 0 {
		return ""
	}
	if w == 1 {
		return ellipsis
	}
	runes := []rune(s)
	keep := w - width(ellipsis)
	headW := (keep + 1) / 2
	var head, tail []rune
	used := 0
	for _, r := range runes {
		rw := width(string(r))
		if used+rw > headW {
			break
		}
		head = append(head, r)
		used += rw
	}
	tailW := keep - used // the columns a wide character left unused go to the tail
	used = 0
	for i := len(runes) - 1; i >= len(head); i-- {
		rw := width(string(runes[i]))
		if used+rw > tailW {
			break
		}
		tail = append(tail, runes[i])
		used += rw
	}
	for i, j := 0, len(tail)-1; i < j; i, j = i+1, j-1 {
		tail[i], tail[j] = tail[j], tail[i]
	}
	return string(head) + ellipsis + string(tail)
}

// publicDetail names the public edges the calls that left Interconnect used, and when the
// first of them started: ", edge ashburn, first at 14:02:11".
func publicDetail(r *analyze.Report) string {
	edges := map[string]bool{}
	first := ""
	for _, c := range r.Calls {
		if c.Path != analyze.PathPublic {
			continue
		}
		if c.Edge != "" {
			edges[c.Edge] = true
		}
		if c.Start != "" && (first == "" || c.Start < first) {
			first = c.Start
		}
	}
	if len(edges) == 0 && first == "" {
		return ""
	}
	var b strings.Builder
	if len(edges) > 0 {
		names := make([]string, 0, len(edges))
		for e := range edges {
			names = append(names, e)
		}
		sort.Strings(names)
		if len(names) == 1 {
			b.WriteString(", edge " + names[0])
		} else {
			b.WriteString(", edges " + strings.Join(names, ", "))
		}
	}
	if t, err := time.Parse(time.RFC3339Nano, first); err == nil {
		b.WriteString(", first at " + t.UTC().Format("15:04:05"))
	}
	return b.String()
}
