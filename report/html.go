package report

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"math"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ixaudit/ixaudit/analyze"
)

// HTML renders a report as one self-contained page for people who do not read terminals:
// inline CSS and inline SVG, no script, no font, image or link that leaves the file, so it
// works offline, as an e-mail attachment and on paper (A4).
//
// The page opens with the verdict, the summary counts, calls by path and edge, a timeline
// of the calls over the capture, findings by rule, evidence gaps and inputs. Then each call
// with findings (every call with Options.AllCalls) gets a SIP ladder diagram whose flagged
// messages carry their rule and evidence, with the call's RTP streams drawn below it.
//
// The output depends only on the report: no clock, no map order, so it is golden-testable.
// Every string from the report is cleaned of control characters and escaped by
// html/template; redaction is the caller's job (Redact), before Render.
type HTML struct{ opt Options }

// Limits that keep the page readable, and small, with thousands of calls.
const (
	// htmlTimelineMaxCalls is the most calls the timeline draws one bar each for; above
	// it (or when the bars would need more than htmlTimelineMaxLanes rows) it draws the
	// number of calls active per interval instead.
	htmlTimelineMaxCalls = 300
	htmlTimelineMaxLanes = 60
	htmlTimelineBins     = 60
	// htmlMaxCallRows is the most calls listed in the calls table when they are not all
	// asked for; above it only calls with findings are listed, at most htmlMaxFlaggedRows.
	htmlMaxCallRows    = 200
	htmlMaxFlaggedRows = 500
	// htmlMaxLadders bounds the ladder diagrams drawn without Options.AllCalls.
	htmlMaxLadders = 100
	// htmlMaxArrows is the most SIP messages one ladder draws; flagged messages are
	// always among them.
	htmlMaxArrows = 60
	// htmlMaxColumns is the most endpoints one ladder draws as columns; the rest share one.
	htmlMaxColumns = 6
	// htmlMaxLooseFindings bounds the table of findings that belong to no call.
	htmlMaxLooseFindings = 100
	// htmlMaxEdges bounds the edges drawn in the path chart; the rest are summed.
	htmlMaxEdges = 12
)

// Render writes the HTML page of r.
func (h *HTML) Render(w io.Writer, r *analyze.Report) error {
	if r == nil {
		return fmt.Errorf("report: nil report")
	}
	var b bytes.Buffer
	if err := htmlPage.Execute(&b, h.page(r)); err != nil {
		return fmt.Errorf("report: html: %w", err)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// px is an SVG coordinate or length, written with at most one decimal.
type px float64

func (p px) String() string {
	v := math.Round(float64(p)*10) / 10
	if v == 0 {
		v = 0 // no "-0"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// The view model: everything the template shows, already cleaned, formatted and laid out.

type htmlView struct {
	Title      string
	CSS        template.CSS
	Failed     bool
	Status     string
	Detail     string
	Meta       []string
	Stats      []htmlStat
	Paths      *barChart
	Gaps       []htmlGap
	GapNote    string
	Use        string
	Timeline   *timeline
	NoCalls    string
	Rules      []htmlRule
	AnyKnown   bool
	Loose      []htmlFinding
	LooseMsg   string
	Inputs     []htmlInput
	Calls      htmlCallTable
	Ladders    []*htmlCall
	LadderNote string
	Footer     string
}

type htmlStat struct{ Label, Value, Note string }

type htmlGap struct{ Reason, Packets, Share, Meaning string }

type htmlInput struct {
	Name, Packets, LinkTypes, Truncated, Error string
	Flag                                       bool
}

type htmlRule struct {
	Rule, Severity, Message string
	Count, Known, Calls     string
	Examples                []htmlExample
	More                    string
}

type htmlExample struct {
	Evidence, Where, Anchor string
	Known                   bool
}

type htmlFinding struct {
	Rule, Severity, Packet, Time, Input, Endpoints, Evidence, Message, Anchor string
	Known                                                                     bool
}

type htmlCallTable struct {
	Title string
	Rows  []htmlCallRow
	Note  string
}

type htmlCallRow struct {
	N, Anchor, CallID, Direction, Path, Class, Edge, Gateway, Start, Duration string
	Status, Messages, Streams, Loss, MOS, Findings, ClassTip                  string
	Rules                                                                     []string
}

// htmlCall is one call's section: its facts, its findings and its ladder.
type htmlCall struct {
	Anchor, N, CallID, Path, Class, ClassTip, Direction string
	Facts                                               []htmlFact
	Findings                                            []htmlFinding
	Ladder                                              *ladder
	NoLadder                                            string
}

type htmlFact struct {
	Name, Value string
	Mono        bool
}

// page builds the view of r.
func (h *HTML) page(r *analyze.Report) *htmlView {
	v := verdictOf(r)
	s := &r.Summary
	ix := newCallIndex(r)
	view := &htmlView{
		CSS:    template.CSS(htmlCSS),
		Failed: v.Failed,
		Status: htmlText(v.Status),
		Detail: htmlText(v.Detail),
	}
	view.Title = htmlText(r.Tool.Name)
	if view.Title == "" {
		view.Title = "ixaudit"
	}
	view.Title += " report: " + view.Status + ", " + view.Detail
	// The ladders first: they decide which calls have a section the tables can link to.
	view.Ladders, view.LadderNote = h.ladders(r, ix)
	view.Meta = htmlMeta(r, h.opt)
	view.Stats = htmlStats(r)
	view.Paths = pathChart(r, ix)
	view.Gaps, view.GapNote = htmlGaps(s)
	view.Use = packetUse(s.PacketUse)
	view.Timeline = newTimeline(r, ix)
	switch {
	case len(r.Calls) == 0:
		view.NoCalls = "No call (no Call-ID that carried an INVITE) was found in the capture."
	case view.Timeline == nil:
		view.NoCalls = "No call has a start time that can be read, so there is no timeline to draw."
	}
	view.Rules, view.AnyKnown = htmlRules(r, ix, h.opt)
	view.Loose, view.LooseMsg = looseFindings(r)
	view.Inputs = htmlInputs(r)
	view.Calls = h.callTable(r, ix)
	view.Footer = htmlFooter(r)
	return view
}

// callIndex relates findings and streams to calls.
type callIndex struct {
	n        map[string]int // 1-based position of the call in r.Calls, by Call-ID
	worst    map[string]analyze.Severity
	laddered map[string]bool // calls that get a ladder section (for links)
	media    map[string]media
}

func newCallIndex(r *analyze.Report) *callIndex {
	ix := &callIndex{
		n:        make(map[string]int, len(r.Calls)),
		worst:    make(map[string]analyze.Severity),
		laddered: make(map[string]bool),
		media:    mediaByCall(r.Streams),
	}
	for i := range r.Calls {
		if _, dup := ix.n[r.Calls[i].CallID]; !dup {
			ix.n[r.Calls[i].CallID] = i + 1
		}
	}
	for i := range r.Findings {
		f := &r.Findings[i]
		if f.CallID != "" && f.Severity.Rank() > ix.worst[f.CallID].Rank() {
			ix.worst[f.CallID] = f.Severity
		}
	}
	return ix
}

// flagged reports whether c has findings.
func (ix *callIndex) flagged(c *analyze.Call) bool {
	return c.Findings > 0 || ix.worst[c.CallID] != ""
}

// anchor is the fragment of the call's section, or "" when it has none.
func (ix *callIndex) anchor(callID string) string {
	if !ix.laddered[callID] {
		return ""
	}
	return "#call-" + strconv.Itoa(ix.n[callID])
}

// callClass sorts calls for the overview: leaked calls went over the public path or broke
// an error rule; calls that need attention are on an unknown path or broke a warning rule.
type callClass int

const (
	classClean callClass = iota
	classAttention
	classLeaked
)

func (ix *callIndex) class(c *analyze.Call) callClass {
	switch worst := ix.worst[c.CallID]; {
	case c.Path == analyze.PathPublic || worst == analyze.SeverityError:
		return classLeaked
	case c.Path == analyze.PathUnknown || worst == analyze.SeverityWarning:
		return classAttention
	}
	return classClean
}

// classNames are the CSS classes and legend words of the call classes.
var classNames = [...]struct{ css, legend string }{
	classClean:     {"clean", "on Interconnect"},
	classAttention: {"attention", "unknown path or warning"},
	classLeaked:    {"leaked", "leaked: public path or error"},
}

func htmlMeta(r *analyze.Report, opt Options) []string {
	var meta []string
	tool := strings.TrimSpace(htmlText(r.Tool.Name + " " + r.Tool.Version))
	if tool != "" {
		meta = append(meta, tool)
	}
	rules := "rules " + orDash(htmlText(r.Rules.Source))
	if r.Rules.Version != "" {
		rules += " " + htmlText(r.Rules.Version)
	}
	if r.Rules.Date != "" {
		rules += " (facts of " + htmlText(r.Rules.Date) + ")"
	}
	meta = append(meta, rules)
	meta = append(meta, "fails on "+htmlText(string(opt.failOn(r))))
	if span, ok := captureSpan(r); ok {
		meta = append(meta, "calls from "+span)
	}
	return meta
}

// captureSpan describes the time from the first call's start to the last call's end.
func captureSpan(r *analyze.Report) (string, bool) {
	t0, t1, ok := callSpan(r.Calls)
	if !ok {
		return "", false
	}
	day := t0.Format("2006-01-02")
	end := t1.Format("15:04:05")
	if t1.Format("2006-01-02") != day {
		end = t1.Format("2006-01-02 15:04:05")
	}
	return fmt.Sprintf("%s %s to %s %s (%s)", day, t0.Format("15:04:05"), end, zoneName(t0),
		seconds(t1.Sub(t0))), true
}

// zoneName names the zone of t: "UTC", or its offset.
func zoneName(t time.Time) string {
	if _, off := t.Zone(); off == 0 {
		return "UTC"
	}
	return "UTC" + t.Format("-07:00")
}

// seconds shows a duration as "12.3 s", "4 min 05 s" or "2 h 03 min".
func seconds(d time.Duration) string {
	switch {
	case d < time.Minute:
		return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + " s"
	case d < time.Hour:
		return fmt.Sprintf("%d min %02d s", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%d h %02d min", int(d.Hours()), int(d.Minutes())%60)
}

func htmlStats(r *analyze.Report) []htmlStat {
	s := &r.Summary
	calls := max(s.Calls, len(r.Calls))
	truncated := 0
	for i := range r.Inputs {
		if r.Inputs[i].Truncated {
			truncated++
		}
	}
	inputNote := "none truncated"
	if truncated > 0 {
		inputNote = thousands(truncated) + " truncated"
	}
	if n := unreadableInputs(r); n > 0 {
		inputNote += ", " + thousands(n) + " unreadable"
	}
	gaps, drops := gapTotals(s.EvidenceGaps)
	gapNote := "every packet judged"
	if gaps > 0 {
		gapNote = percent(gaps, s.Packets) + " of packets"
	}
	if drops > 0 {
		gapNote += "; kernel dropped " + thousands(drops)
	}
	findings := severityLine(s.Errors, s.Warnings, s.Infos)
	if s.Known > 0 {
		findings += " · " + thousands(s.Known) + " known"
	}
	return []htmlStat{
		{"Packets", thousands(s.Packets), plural(len(r.Inputs), "input")},
		{"SIP messages", thousands(s.SIPMessages), ""},
		{"Calls", thousands(calls), pathLine(s.CallsByPath)},
		{"RTP streams", thousands(s.RTPStreams), ""},
		{"Findings", thousands(s.Errors + s.Warnings + s.Infos), findings},
		{"Inputs", thousands(len(r.Inputs)), inputNote},
		{"Not judged", thousands(gaps), gapNote},
	}
}

// severityLine says "3 errors · 1 warning · 0 infos".
func severityLine(e, w, i int) string {
	return plural(e, "error") + " · " + plural(w, "warning") + " · " + plural(i, "info")
}

// pathLine says "18 interconnect · 2 public".
func pathLine(byPath map[analyze.Path]int) string {
	var parts []string
	for _, p := range pathOrder(byPath) {
		if n := byPath[p]; n > 0 {
			parts = append(parts, thousands(n)+" "+htmlText(string(p)))
		}
	}
	return strings.Join(parts, " · ")
}

// pathOrder lists the paths of m: interconnect, public, unknown, then any other in order.
func pathOrder(m map[analyze.Path]int) []analyze.Path {
	out := []analyze.Path{analyze.PathInterconnect, analyze.PathPublic, analyze.PathUnknown}
	var extra []string
	for p := range m {
		if p != analyze.PathInterconnect && p != analyze.PathPublic && p != analyze.PathUnknown {
			extra = append(extra, string(p))
		}
	}
	sort.Strings(extra)
	for _, p := range extra {
		out = append(out, analyze.Path(p))
	}
	return out
}

// percent says what share of total n is: "0.5 %", "< 0.1 %".
func percent(n, total int) string {
	if total <= 0 {
		return "-"
	}
	p := 100 * float64(n) / float64(total)
	if p > 0 && p < 0.1 {
		return "< 0.1 %"
	}
	return strconv.FormatFloat(p, 'f', 1, 64) + " %"
}

func htmlGaps(s *analyze.Summary) ([]htmlGap, string) {
	if len(s.EvidenceGaps) == 0 {
		return nil, "No evidence gaps: every packet could be judged."
	}
	rows := make([]htmlGap, 0, len(s.EvidenceGaps))
	for _, reason := range sortedKeys(s.EvidenceGaps) {
		n := s.EvidenceGaps[reason]
		share := percent(n, s.Packets)
		switch {
		case reason == kernelDrops:
			share = "not in capture"
		case !analyze.GapCountsPackets(reason):
			share = "not packets" // dialogs ended by a memory limit
		}
		rows = append(rows, htmlGap{htmlText(reason), thousands(n), share, gapMeaning(reason)})
	}
	return rows, ""
}

// packetUse says "sip 130 · rtp 1,106 · rtcp 15", largest first.
func packetUse(use map[string]int) string {
	keys := sortedKeys(use)
	sort.SliceStable(keys, func(i, j int) bool { return use[keys[i]] > use[keys[j]] })
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, htmlText(k)+" "+thousands(use[k]))
	}
	return strings.Join(parts, " · ")
}

func htmlRules(r *analyze.Report, ix *callIndex, opt Options) ([]htmlRule, bool) {
	groups := groupByRule(r.Findings)
	anyKnown := false
	rows := make([]htmlRule, 0, len(groups))
	for _, g := range groups {
		calls := make(map[string]bool)
		for _, f := range g.Findings {
			if f.CallID != "" {
				calls[f.CallID] = true
			}
		}
		row := htmlRule{
			Rule: htmlText(g.Rule), Severity: htmlText(string(g.Severity)),
			Message: htmlText(g.Findings[0].Message),
			Count:   thousands(len(g.Findings)), Known: thousands(g.Known),
			Calls: thousands(len(calls)),
		}
		anyKnown = anyKnown || g.Known > 0
		seen := make(map[string]bool)
		for _, f := range g.Findings {
			if len(row.Examples) == opt.MaxExamples {
				break
			}
			if seen[f.Evidence] {
				continue
			}
			seen[f.Evidence] = true
			where := "packet " + strconv.Itoa(f.Packet)
			if len(r.Inputs) > 1 && f.Input != "" {
				where += " of " + htmlText(f.Input)
			}
			if n := ix.n[f.CallID]; n > 0 {
				where += ", call " + strconv.Itoa(n)
			}
			row.Examples = append(row.Examples, htmlExample{
				Evidence: htmlText(orDash(f.Evidence)), Where: where,
				Anchor: ix.anchor(f.CallID), Known: f.Known,
			})
		}
		if len(calls) > 0 && len(row.Examples) < len(g.Findings) {
			row.More = "… " + plural(len(g.Findings)-len(row.Examples), "more finding")
		}
		rows = append(rows, row)
	}
	return rows, anyKnown
}

// htmlFindingOf shows f.
func htmlFindingOf(f *analyze.Finding, anchor string, multiInput bool) htmlFinding {
	ends := ""
	if f.Src != "" || f.Dst != "" {
		ends = htmlText(orDash(f.Src)) + " → " + htmlText(orDash(f.Dst))
		if f.Transport != "" {
			ends += " " + htmlText(f.Transport)
		}
	}
	input := ""
	if multiInput {
		input = htmlText(f.Input)
	}
	return htmlFinding{
		Rule: htmlText(f.Rule), Severity: htmlText(string(f.Severity)), Packet: strconv.Itoa(f.Packet),
		Time: htmlText(clockTime(f.Time)), Input: input, Endpoints: ends,
		Evidence: htmlText(f.Evidence), Message: htmlText(f.Message), Anchor: anchor, Known: f.Known,
	}
}

// looseFindings are the findings that belong to no call (capture-truncated, evidence gaps,
// signalling outside dialogs).
func looseFindings(r *analyze.Report) ([]htmlFinding, string) {
	var rows []htmlFinding
	n := 0
	for i := range r.Findings {
		f := &r.Findings[i]
		if f.CallID != "" {
			continue
		}
		n++
		if len(rows) < htmlMaxLooseFindings {
			rows = append(rows, htmlFindingOf(f, "", len(r.Inputs) > 1))
		}
	}
	if n > len(rows) {
		return rows, andMore(n-len(rows), "finding") + " (the JSON report lists them all)"
	}
	return rows, ""
}

func htmlInputs(r *analyze.Report) []htmlInput {
	rows := make([]htmlInput, 0, len(r.Inputs))
	for i := range r.Inputs {
		in := &r.Inputs[i]
		rows = append(rows, htmlInput{
			Name: htmlText(in.Name), Packets: thousands(in.Packets),
			LinkTypes: htmlText(orDash(strings.Join(in.LinkTypes, ", "))),
			Truncated: yesNo(in.Truncated), Error: htmlText(in.Error),
			Flag: in.Truncated || in.Error != "",
		})
	}
	return rows
}

func htmlFooter(r *analyze.Report) string {
	parts := []string{"Written by " + orDash(strings.TrimSpace(htmlText(r.Tool.Name+" "+r.Tool.Version)))}
	if r.Rules.SHA256 != "" {
		parts = append(parts, "rule set sha256 "+htmlText(r.Rules.SHA256))
	}
	parts = append(parts, "report format version "+strconv.Itoa(r.Version))
	return strings.Join(parts, " · ") + ". This page is self-contained: no script, nothing loaded from the network."
}

// callTable lists every call when they are few or all are asked for, else calls with
// findings.
func (h *HTML) callTable(r *analyze.Report, ix *callIndex) htmlCallTable {
	var t htmlCallTable
	all := h.opt.AllCalls || len(r.Calls) <= htmlMaxCallRows
	calls := callsShown(r, all)
	flagged := 0
	for i := range r.Calls {
		if ix.flagged(&r.Calls[i]) {
			flagged++
		}
	}
	if !all {
		calls = calls[:0]
		for i := range r.Calls {
			if ix.flagged(&r.Calls[i]) {
				calls = append(calls, &r.Calls[i])
			}
		}
	}
	t.Title = "Calls"
	if !all {
		t.Title = "Calls with findings"
	}
	cut := 0
	if !h.opt.AllCalls && len(calls) > htmlMaxFlaggedRows {
		cut = len(calls) - htmlMaxFlaggedRows
		calls = calls[:htmlMaxFlaggedRows]
	}
	for _, c := range calls {
		m := ix.media[c.CallID]
		row := htmlCallRow{
			N: strconv.Itoa(ix.n[c.CallID]), Anchor: ix.anchor(c.CallID), CallID: htmlText(c.CallID),
			Direction: htmlText(orDash(string(c.Direction))), Path: htmlText(orDash(string(c.Path))),
			Class: classNames[ix.class(c)].css, Edge: htmlText(orDash(c.Edge)),
			Gateway: htmlText(orDash(c.Gateway)), Start: htmlText(orDash(clockTime(c.Start))),
			Duration: "-", Status: "-", Messages: thousands(c.SIPMessages),
			Streams: strconv.Itoa(m.Streams), Loss: "-", MOS: "-", Findings: "-",
		}
		if d, ok := callDuration(c); ok {
			row.Duration = seconds(d)
		}
		if c.FinalStatus > 0 {
			row.Status = strconv.Itoa(c.FinalStatus)
		}
		if m.Streams > 0 {
			row.Loss = strconv.FormatFloat(m.WorstLoss, 'f', 1, 64) + " %"
		}
		if m.MOS > 0 {
			row.MOS = strconv.FormatFloat(m.MOS, 'f', 2, 64)
		}
		if c.Findings > 0 || len(c.Rules) > 0 {
			row.Findings = thousands(c.Findings)
			for _, rule := range c.Rules {
				row.Rules = append(row.Rules, htmlText(rule))
			}
		}
		row.ClassTip = classNames[ix.class(c)].legend
		t.Rows = append(t.Rows, row)
	}
	var notes []string
	if cut > 0 {
		notes = append(notes, andMore(cut, "call")+" with findings (the JSON report lists them all).")
	}
	if hidden := len(r.Calls) - len(calls) - cut; hidden > 0 && !all {
		notes = append(notes, fmt.Sprintf("%s without findings not listed (use --all-calls, or the JSON report).",
			plural(hidden, "call")))
	}
	if len(r.Calls) == 0 {
		notes = append(notes, "No calls.")
	}
	t.Note = strings.Join(notes, " ")
	return t
}

// callDuration is the time from a call's start to its end.
func callDuration(c *analyze.Call) (time.Duration, bool) {
	t0, err0 := time.Parse(time.RFC3339Nano, c.Start)
	t1, err1 := time.Parse(time.RFC3339Nano, c.End)
	if err0 != nil || err1 != nil || t1.Before(t0) {
		return 0, false
	}
	return t1.Sub(t0), true
}

// ladders builds the sections of the calls that get a ladder.
func (h *HTML) ladders(r *analyze.Report, ix *callIndex) ([]*htmlCall, string) {
	var picked []*analyze.Call
	flagged := 0
	for i := range r.Calls {
		c := &r.Calls[i]
		if !ix.flagged(c) && !h.opt.AllCalls {
			continue
		}
		if ix.n[c.CallID] != i+1 {
			continue // a repeated Call-ID: its section is the first one's
		}
		flagged++
		if h.opt.AllCalls || len(picked) < htmlMaxLadders {
			picked = append(picked, c)
			ix.laddered[c.CallID] = true
		}
	}
	note := ""
	if n := flagged - len(picked); n > 0 {
		note = fmt.Sprintf("Ladders are drawn for the first %s with findings; %s not drawn (use --all-calls, or the JSON report).",
			plural(len(picked), "call"), plural(n, "more call"))
	}
	findings := make(map[string][]*analyze.Finding)
	for i := range r.Findings {
		if f := &r.Findings[i]; f.CallID != "" && ix.laddered[f.CallID] {
			findings[f.CallID] = append(findings[f.CallID], f)
		}
	}
	streams := make(map[string][]*analyze.Stream)
	for i := range r.Streams {
		if s := &r.Streams[i]; ix.laddered[s.CallID] {
			streams[s.CallID] = append(streams[s.CallID], s)
		}
	}
	out := make([]*htmlCall, 0, len(picked))
	for _, c := range picked {
		out = append(out, callSection(c, ix, findings[c.CallID], streams[c.CallID], len(r.Inputs) > 1))
	}
	return out, note
}

func callSection(c *analyze.Call, ix *callIndex, fs []*analyze.Finding, ss []*analyze.Stream, multiInput bool) *htmlCall {
	n := ix.n[c.CallID]
	hc := &htmlCall{
		Anchor: "call-" + strconv.Itoa(n), N: strconv.Itoa(n), CallID: htmlText(c.CallID),
		Path: htmlText(orDash(string(c.Path))), Class: classNames[ix.class(c)].css,
		ClassTip: classNames[ix.class(c)].legend, Direction: htmlText(orDash(string(c.Direction))),
	}
	fact := func(name, value string, mono bool) {
		if value != "" {
			hc.Facts = append(hc.Facts, htmlFact{name, htmlText(value), mono})
		}
	}
	fact("Edge", c.Edge, false)
	fact("Gateway", c.Gateway, true)
	fact("SBC", c.SBC, true)
	fact("Transport", c.Transport, false)
	if c.FinalStatus > 0 {
		fact("Final status", strconv.Itoa(c.FinalStatus), false)
	}
	fact("Request-URI", c.RequestURI, true)
	fact("From", c.From, true)
	fact("To", c.To, true)
	fact("Start", c.Start, true)
	fact("End", c.End, true)
	if d, ok := callDuration(c); ok {
		fact("Duration", seconds(d), false)
	}
	if multiInput {
		fact("Input", c.Input, true)
	}
	fact("SIP messages", thousands(c.SIPMessages), false)
	for _, f := range fs {
		hc.Findings = append(hc.Findings, htmlFindingOf(f, "", multiInput))
	}
	if len(c.Messages) == 0 {
		hc.NoLadder = "The report holds no SIP messages of this call, so there is no ladder to draw."
	} else {
		hc.Ladder = newLadder(c, fs, ss)
	}
	return hc
}

// htmlMaxText is the most columns of one value the page shows; longer values (a crafted
// capture's) are cut in the middle. The JSON report holds them whole.
const htmlMaxText = 300

// htmlText makes a value of the report fit to show: cleaned of control characters, and
// cut in the middle when longer than htmlMaxText.
func htmlText(s string) string { return truncateMiddle(clean(s), htmlMaxText) }

// hostOf is the host of an address "host:port", "[v6]:port", or a bare host.
func hostOf(addr string) string {
	if h, _, err := net.SplitHostPort(addr); err == nil {
		return h
	}
	return strings.TrimSuffix(strings.TrimPrefix(addr, "["), "]")
}

// Text measurement. SVG text cannot be measured without a script, so widths are estimated
// from the character classes, a little generously, and long text is cut to fit.

// textWidth estimates the width in pixels of s set in the page's fonts at size.
func textWidth(s string, size float64, mono bool) float64 {
	w := 0.0
	for _, r := range s {
		cols := float64(width(string(r)))
		switch {
		case mono:
			w += 0.61 * cols
		case strings.ContainsRune("ijl.,:;'|!I ", r):
			w += 0.32
		case strings.ContainsRune("frt()[]-/", r):
			w += 0.42
		case strings.ContainsRune("mwMW@%", r):
			w += 0.92
		case r >= 'A' && r <= 'Z':
			w += 0.7
		default:
			w += 0.6 * cols
		}
	}
	return w * size
}

// fitText cuts the middle of s so that it fits in maxW pixels.
func fitText(s string, maxW, size float64, mono bool) string {
	if textWidth(s, size, mono) <= maxW {
		return s
	}
	lo, hi := 0, width(s)
	for lo < hi { // the widest cut that fits
		mid := (lo + hi + 1) / 2
		if textWidth(truncateMiddle(s, mid), size, mono) <= maxW {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return truncateMiddle(s, lo)
}

// Bar chart of calls by path and by edge.

type barChart struct {
	ID       string
	W, H     px
	Label    string
	Sections []barSection
	Legend   []legendItem
}

type barSection struct {
	Title string
	Y     px
	Bars  []bar
}

type bar struct {
	Label      string
	LabelX, Y  px // Y is the text baseline
	BarY, BarH px
	Segs       []barSeg
	Value      string
	ValueX     px
	Tip        string
}

type barSeg struct {
	X, W  px
	Fill  string
	Class string
}

type legendItem struct {
	X, Y  px
	Fill  string
	Class string
	Text  string
}

// Fills, by call path. Patterns make the meaning visible without colour.
func pathFill(id string, p analyze.Path) (fill, class string) {
	switch p {
	case analyze.PathInterconnect:
		return "#1f5fa8", "seg-ix"
	case analyze.PathPublic:
		return "url(#" + id + "-hatch)", "seg-public"
	case analyze.PathUnknown:
		return "url(#" + id + "-dots)", "seg-unknown"
	}
	return "#6b7480", "seg-other"
}

// pathChart draws the calls by path, and by edge split by path, as horizontal bars.
func pathChart(r *analyze.Report, ix *callIndex) *barChart {
	s := &r.Summary
	if len(s.CallsByPath) == 0 && len(s.CallsByEdge) == 0 {
		return nil
	}
	const (
		id     = "paths"
		rowH   = 24.0
		barH   = 15.0
		titleH = 24.0
		valueW = 96.0
		chartW = 560.0
	)
	// Edges, most calls first, the rest summed.
	edges := sortedKeys(s.CallsByEdge)
	sort.SliceStable(edges, func(i, j int) bool { return s.CallsByEdge[edges[i]] > s.CallsByEdge[edges[j]] })
	others := 0
	if len(edges) > htmlMaxEdges {
		for _, e := range edges[htmlMaxEdges-1:] {
			others += s.CallsByEdge[e]
		}
		edges = edges[:htmlMaxEdges-1]
	}
	edgePaths := make(map[string]map[analyze.Path]int)
	for i := range r.Calls {
		c := &r.Calls[i]
		if edgePaths[c.Edge] == nil {
			edgePaths[c.Edge] = make(map[analyze.Path]int)
		}
		edgePaths[c.Edge][c.Path]++
	}

	labelW := 90.0
	for _, e := range edges {
		labelW = max(labelW, textWidth(edgeName(e), 12, false)+16)
	}
	for p := range s.CallsByPath {
		labelW = max(labelW, textWidth(string(p), 12, false)+16)
	}
	labelW = min(labelW, 200)
	scaleMax := 1
	for _, n := range s.CallsByPath {
		scaleMax = max(scaleMax, n)
	}
	for _, e := range edges {
		scaleMax = max(scaleMax, s.CallsByEdge[e])
	}
	scaleMax = max(scaleMax, others)
	barMax := chartW - labelW - valueW
	total := max(s.Calls, len(r.Calls))
	ch := &barChart{ID: id, W: chartW}
	var aria []string
	used := make(map[string]bool)

	y := 4.0
	mkBar := func(label string, n int, parts map[analyze.Path]int) bar {
		b := bar{Label: fitText(htmlText(label), labelW-14, 12, false), LabelX: px(labelW - 10), Y: px(y + barH/2 + 4),
			BarY: px(y), BarH: barH, Value: thousands(n)}
		if total > 0 {
			b.Value += " (" + percent(n, total) + ")"
		}
		x := labelW
		listed := 0
		var tip []string
		for _, p := range pathOrder(parts) {
			k := parts[p]
			if k <= 0 {
				continue
			}
			listed += k
			w := barMax * float64(k) / float64(scaleMax)
			fill, class := pathFill(id, p)
			used[class] = true
			b.Segs = append(b.Segs, barSeg{X: px(x), W: px(w), Fill: fill, Class: class})
			tip = append(tip, thousands(k)+" "+htmlText(string(p)))
			x += w
		}
		if rest := n - listed; rest > 0 {
			w := barMax * float64(rest) / float64(scaleMax)
			b.Segs = append(b.Segs, barSeg{X: px(x), W: px(w), Fill: "#8a939e", Class: "seg-unlisted"})
			used["seg-unlisted"] = true
			tip = append(tip, thousands(rest)+" not listed")
			x += w
		}
		b.ValueX = px(x + 6)
		b.Tip = b.Label + ": " + plural(n, "call")
		if len(tip) > 0 {
			b.Tip += " (" + strings.Join(tip, ", ") + ")"
		}
		y += rowH
		return b
	}

	sec := barSection{Title: "By path", Y: px(y + 12)}
	y += titleH
	var ariaPaths []string
	for _, p := range pathOrder(s.CallsByPath) {
		n, ok := s.CallsByPath[p]
		if !ok && p != analyze.PathInterconnect && p != analyze.PathPublic {
			continue
		}
		sec.Bars = append(sec.Bars, mkBar(string(p), n, map[analyze.Path]int{p: n}))
		ariaPaths = append(ariaPaths, htmlText(string(p))+" "+thousands(n))
	}
	ch.Sections = append(ch.Sections, sec)
	aria = append(aria, "Calls by path: "+strings.Join(ariaPaths, ", "))
	if len(s.CallsByEdge) > 0 {
		y += 8
		sec = barSection{Title: "By edge", Y: px(y + 12)}
		y += titleH
		var ariaEdges []string
		for _, e := range edges {
			b := mkBar(edgeName(e), s.CallsByEdge[e], edgePaths[e])
			sec.Bars = append(sec.Bars, b)
			ariaEdges = append(ariaEdges, b.Tip)
		}
		if others > 0 {
			b := mkBar(plural(len(s.CallsByEdge)-len(edges), "other edge"), others, nil)
			sec.Bars = append(sec.Bars, b)
			ariaEdges = append(ariaEdges, b.Tip)
		}
		ch.Sections = append(ch.Sections, sec)
		aria = append(aria, "Calls by edge: "+strings.Join(ariaEdges, "; "))
	}
	// Legend.
	y += 10
	x := labelW
	for _, it := range []struct {
		class string
		p     analyze.Path
		text  string
	}{
		{"seg-ix", analyze.PathInterconnect, "Interconnect"},
		{"seg-public", analyze.PathPublic, "public (internet)"},
		{"seg-unknown", analyze.PathUnknown, "unknown"},
		{"seg-other", "other", "other path"},
		{"seg-unlisted", "", "calls not listed"},
	} {
		if !used[it.class] && it.class != "seg-ix" && it.class != "seg-public" {
			continue
		}
		fill, _ := pathFill(id, it.p)
		if it.class == "seg-unlisted" {
			fill = "#8a939e"
		}
		ch.Legend = append(ch.Legend, legendItem{X: px(x), Y: px(y), Fill: fill, Class: it.class, Text: it.text})
		x += 18 + textWidth(it.text, 11.5, false) + 18
	}
	ch.H = px(y + 20)
	ch.Label = strings.Join(aria, ". ") + "."
	return ch
}

// edgeName shows an edge; calls whose edge is not known have none.
func edgeName(e string) string {
	if e == "" {
		return "(no edge)"
	}
	return e
}

// Timeline of the calls over the capture.

type timeline struct {
	ID       string
	W, H     px
	Label    string
	Desc     string
	Binned   bool
	Bars     []tlBar
	Bins     []tlBin
	Strips   []tlTick // the labels of the strips above binned bars
	Ticks    []tlTick
	AxisY    px
	X0, X1   px
	YTicks   []tlTick
	Legend   []legendItem
	Caption  string
	CaptionY px
}

type tlBar struct {
	X, Y, W, H px
	Fill       string
	Class      string
	Tip        string
}

type tlBin struct {
	X, W px
	Segs []tlBar
	Tip  string
}

type tlTick struct {
	X, Y px
	Text string
}

// callSpan is the time from the first call's start to the last call's end.
func callSpan(calls []analyze.Call) (t0, t1 time.Time, ok bool) {
	for i := range calls {
		s, e, good := callTimes(&calls[i])
		if !good {
			continue
		}
		if !ok || s.Before(t0) {
			t0 = s
		}
		if !ok || e.After(t1) {
			t1 = e
		}
		ok = true
	}
	return t0, t1, ok
}

// callTimes is when a call started and ended; a call without an end ends at its last
// message, or at its start.
func callTimes(c *analyze.Call) (start, end time.Time, ok bool) {
	start, err := time.Parse(time.RFC3339Nano, c.Start)
	if err != nil {
		return start, end, false
	}
	end = start
	if e, err := time.Parse(time.RFC3339Nano, c.End); err == nil {
		if e.After(end) {
			end = e
		}
		return start, end, true
	}
	for i := range c.Messages {
		if t, err := time.Parse(time.RFC3339Nano, c.Messages[i].Time); err == nil && t.After(end) {
			end = t
		}
	}
	return start, end, true
}

// timeAxis maps times to x between x0 and x1.
type timeAxis struct {
	t0     time.Time
	span   time.Duration
	x0, x1 float64
}

func (a *timeAxis) x(t time.Time) float64 {
	return a.x0 + (a.x1-a.x0)*float64(t.Sub(a.t0))/float64(a.span)
}

// tickSteps are the intervals a time axis may be ticked at.
var tickSteps = []time.Duration{
	100 * time.Millisecond, 200 * time.Millisecond, 500 * time.Millisecond,
	time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second, 30 * time.Second,
	time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour,
}

// ticks places at most max ticks on the axis at a round interval.
func (a *timeAxis) ticks(y float64, most int) []tlTick {
	step := tickSteps[len(tickSteps)-1]
	for _, s := range tickSteps {
		if a.span/s <= time.Duration(most) {
			step = s
			break
		}
	}
	for a.span/step > time.Duration(most) {
		step *= 2
	}
	layout := "15:04:05"
	if step < time.Second {
		layout = "15:04:05.0"
	}
	if a.span > 24*time.Hour {
		layout = "01-02 15:04"
	}
	_, off := a.t0.Zone()
	offset := time.Duration(off) * time.Second
	first := a.t0.Add(offset).Truncate(step).Add(-offset)
	if first.Before(a.t0) {
		first = first.Add(step)
	}
	var out []tlTick
	for t := first; !t.After(a.t0.Add(a.span)); t = t.Add(step) {
		out = append(out, tlTick{X: px(a.x(t)), Y: px(y), Text: t.Format(layout)})
	}
	return out
}

// timedCall is a call placed in time, for the timeline.
type timedCall struct {
	c          *analyze.Call
	start, end time.Time
	class      callClass
}

// newTimeline draws each call as a bar from its start to its end, packed into rows, or,
// with many calls, the number of calls active in each of htmlTimelineBins intervals, with
// a strip above that marks every interval holding a leaked call, however few.
func newTimeline(r *analyze.Report, ix *callIndex) *timeline {
	var calls []timedCall
	untimed := 0
	for i := range r.Calls {
		c := &r.Calls[i]
		if s, e, ok := callTimes(c); ok {
			calls = append(calls, timedCall{c, s, e, ix.class(c)})
		} else {
			untimed++
		}
	}
	if len(calls) == 0 {
		return nil
	}
	sort.SliceStable(calls, func(i, j int) bool { return calls[i].start.Before(calls[j].start) })
	t0, t1 := calls[0].start, calls[0].end
	for _, tc := range calls {
		if tc.end.After(t1) {
			t1 = tc.end
		}
	}
	d := max(t1.Sub(t0), time.Second)
	// A margin of 1 % each side, so that the first and last calls do not touch the frame
	// (none when the span is so long that it would overflow).
	pad := d / 100
	if d+2*pad < d {
		pad = 0
	}
	ax := &timeAxis{t0: t0.Add(-pad), span: d + 2*pad, x0: 64, x1: 876}
	tl := &timeline{ID: "tl", W: 900, X0: px(ax.x0), X1: px(ax.x1)}
	const top = 34.0 // below the legend

	lanes, laneOf := packLanes(calls, ax)
	tl.Binned = len(calls) > htmlTimelineMaxCalls || lanes > htmlTimelineMaxLanes
	var plotH float64
	if tl.Binned {
		plotH = tl.binCalls(calls, ax, top)
	} else {
		plotH = tl.barCalls(calls, ix, ax, top, lanes, laneOf)
	}
	tl.AxisY = px(top + plotH + 6)
	tl.Ticks = ax.ticks(top+plotH+22, 8)
	tl.CaptionY = px(top + plotH + 42)
	tl.H = px(top + plotH + 50)

	var counts [3]int
	for _, tc := range calls {
		counts[tc.class]++
	}
	x := ax.x0
	for _, class := range []callClass{classLeaked, classAttention, classClean} {
		fill, css := classFill(tl.ID, class)
		text := classNames[class].legend + " (" + thousands(counts[class]) + ")"
		tl.Legend = append(tl.Legend, legendItem{X: px(x), Y: 10, Fill: fill, Class: css, Text: text})
		x += 18 + textWidth(text, 11.5, false) + 22
	}

	what := "one bar per call, from its start to its end"
	if tl.Binned {
		what = fmt.Sprintf("calls active in each of %d intervals of %s", htmlTimelineBins,
			seconds(ax.span/time.Duration(htmlTimelineBins)))
	}
	tl.Caption = fmt.Sprintf("%s; %s %s to %s %s", what, t0.Format("2006-01-02"), t0.Format("15:04:05"),
		t1.Format("15:04:05"), zoneName(t0))
	if untimed > 0 {
		tl.Caption += "; " + plural(untimed, "call") + " without a time not drawn"
	}
	tl.Label = fmt.Sprintf("Timeline of %s from %s to %s %s: %s leaked (public path or error finding), %s need attention, %s on Interconnect.",
		plural(len(calls), "call"), t0.Format("15:04:05"), t1.Format("15:04:05"), zoneName(t0),
		thousands(counts[classLeaked]), thousands(counts[classAttention]), thousands(counts[classClean]))
	tl.Desc = tl.Caption
	return tl
}

// packLanes puts each call (sorted by start) in the first row that is free at its start,
// 3 px after the previous bar; it returns the number of rows and each call's row.
func packLanes(calls []timedCall, ax *timeAxis) (int, []int) {
	var ends []float64
	laneOf := make([]int, len(calls))
	for i, tc := range calls {
		x0 := ax.x(tc.start)
		x1 := max(ax.x(tc.end), x0+2)
		lane := len(ends)
		for l, end := range ends {
			if end+3 <= x0 {
				lane = l
				break
			}
		}
		if lane == len(ends) {
			ends = append(ends, 0)
		}
		ends[lane], laneOf[i] = x1, lane
	}
	return len(ends), laneOf
}

// barCalls draws one bar per call in its row; it returns the height of the plot.
func (tl *timeline) barCalls(calls []timedCall, ix *callIndex, ax *timeAxis, top float64, lanes int, laneOf []int) float64 {
	pitch := min(14, 240/float64(lanes))
	barH := max(2, pitch*0.72)
	for i, tc := range calls {
		x := ax.x(tc.start)
		fill, class := classFill(tl.ID, tc.class)
		tl.Bars = append(tl.Bars, tlBar{
			X: px(x), Y: px(top + pitch*float64(laneOf[i]) + (pitch-barH)/2), W: px(max(2, ax.x(tc.end)-x)), H: px(barH),
			Fill: fill, Class: "call-bar " + class,
			Tip: fmt.Sprintf("call %d, %s: %s, %s to %s", ix.n[tc.c.CallID], htmlText(tc.c.CallID),
				classNames[tc.class].legend, tc.start.Format("15:04:05.000"), tc.end.Format("15:04:05.000")),
		})
	}
	return pitch * float64(lanes)
}

// binCalls draws the calls active in each interval as stacked bars, under a strip per
// class of calls that need attention marking the intervals that hold any; it returns the
// height of the plot.
func (tl *timeline) binCalls(calls []timedCall, ax *timeAxis, top float64) float64 {
	const (
		nb     = htmlTimelineBins
		stripH = 12.0
		barsH  = 150.0
	)
	binD := max(ax.span/time.Duration(nb), 1)
	bins := make([][3]int, nb)
	var any [3]bool
	for _, tc := range calls {
		first, last := int(tc.start.Sub(ax.t0)/binD), int(tc.end.Sub(ax.t0)/binD)
		for b := max(0, first); b <= min(nb-1, last); b++ {
			bins[b][tc.class]++
		}
		any[tc.class] = true
	}
	// The strips: leaked calls first, then calls that need attention.
	y := top
	for _, class := range []callClass{classLeaked, classAttention} {
		if !any[class] {
			continue
		}
		tl.Strips = append(tl.Strips, tlTick{X: px(ax.x0 - 4), Y: px(y + stripH - 2), Text: classNames[class].css})
		y += stripH + 3
	}
	barsTop := y + 4
	peak := 1
	for _, b := range bins {
		peak = max(peak, b[0]+b[1]+b[2])
	}
	binW := (ax.x1 - ax.x0) / float64(nb)
	for i, b := range bins {
		x := ax.x0 + binW*float64(i)
		bin := tlBin{X: px(x), W: px(binW)}
		sy := top
		for _, class := range []callClass{classLeaked, classAttention} {
			if !any[class] {
				continue
			}
			if b[class] > 0 {
				fill, css := classFill(tl.ID, class)
				bin.Segs = append(bin.Segs, tlBar{X: px(x + 0.5), Y: px(sy), W: px(max(1, binW-1)), H: stripH,
					Fill: fill, Class: "strip " + css})
			}
			sy += stripH + 3
		}
		by := barsTop + barsH
		for _, class := range []callClass{classLeaked, classAttention, classClean} {
			if n := b[class]; n > 0 {
				h := barsH * float64(n) / float64(peak)
				by -= h
				fill, css := classFill(tl.ID, class)
				bin.Segs = append(bin.Segs, tlBar{X: px(x + 0.5), Y: px(by), W: px(max(1, binW-1)), H: px(h),
					Fill: fill, Class: "bin " + css})
			}
		}
		from := ax.t0.Add(binD * time.Duration(i))
		bin.Tip = fmt.Sprintf("%s to %s: %s active, %s leaked, %s need attention",
			from.Format("15:04:05"), from.Add(binD).Format("15:04:05"),
			plural(b[0]+b[1]+b[2], "call"), thousands(b[classLeaked]), thousands(b[classAttention]))
		tl.Bins = append(tl.Bins, bin)
	}
	tl.YTicks = []tlTick{
		{X: px(ax.x0 - 4), Y: px(barsTop + 4), Text: thousands(peak)},
		{X: px(ax.x0 - 4), Y: px(barsTop + barsH + 4), Text: "0"},
	}
	return barsTop + barsH - top
}

// classFill is the fill of a call class: solid blue, dotted amber or hatched red.
func classFill(id string, c callClass) (fill, class string) {
	switch c {
	case classLeaked:
		return "url(#" + id + "-hatch)", classNames[c].css
	case classAttention:
		return "url(#" + id + "-dots)", classNames[c].css
	}
	return "#1f5fa8", classNames[c].css
}

// The ladder diagram of one call.

type ladder struct {
	Title, Desc, Label  string
	W, H                px
	Cols                []ladderCol
	LifeTop, LifeBottom px
	TimeX, PacketX      px
	HeadY               px
	Rows                []ladderRow
	MediaY              px
	Bands               []mediaBand
	Notes               []svgText
}

type ladderCol struct {
	X, BoxX, BoxW px
	Role, Addr    string
	Class         string
}

type ladderRow struct {
	Gap      bool
	Y        px
	Text     string // the gap's text
	Line     string // path d of the arrow's line
	Head     string // path d of its head
	LabelX   px
	LabelY   px
	Anchor   string
	Label    string
	Time     string
	TimeY    px
	Packet   string
	Class    string
	Flag     string // severity of the worst finding at this message, or ""
	BgY, BgH px
	MarkX    px
	Notes    []svgText
	Tip      string
}

type svgText struct {
	X, Y  px
	Text  string
	Class string
	Tip   string
}

type mediaBand struct {
	X, Y, W, H px
	Flag       string
	Class      string
	Dir        string
	Line1      string
	Line2      string
	TextX      px
	Y1, Y2     px
	MarkX      px
	MarkY      px
	Notes      []svgText
	Tip        string
}

// Ladder geometry.
const (
	ladTimeW    = 100.0 // left gutter: time offsets and markers
	ladPacketW  = 72.0  // right gutter: packet numbers
	ladHeadTop  = 20.0
	ladHeadH    = 40.0
	ladRowH     = 32.0
	ladNoteH    = 16.0
	ladGapH     = 24.0
	ladMinColW  = 220.0
	ladMaxColW  = 330.0
	ladMinInner = 640.0
	ladMaxInner = 1000.0
	ladFont     = 12.0
	ladSmall    = 11.0
)

// endpoint roles.
const (
	roleSBC    = "SBC"
	roleOther  = "other"
	rolePublic = "Twilio public"
)

// ladderEndpoint is an address of the call and its role.
type ladderEndpoint struct {
	addr, role, class string
	sbc               bool
}

// endpointRoles names the role of each address of msgs: the SBC (Call.SBC, or the first
// message's sender or receiver by direction), the call's Twilio gateway (by its path and
// edge), a public gateway named by a signalling-public-path finding, or another peer.
func endpointRoles(c *analyze.Call, msgs []analyze.Message, fs []*analyze.Finding) map[string]*ladderEndpoint {
	sbc := hostOf(c.SBC)
	if sbc == "" && len(msgs) > 0 {
		first := &msgs[0]
		switch {
		case c.Direction == analyze.DirOrigination:
			sbc = hostOf(first.Dst)
		case c.Direction == analyze.DirTermination:
			sbc = hostOf(first.Src)
		case hostOf(first.Dst) == hostOf(c.Gateway):
			sbc = hostOf(first.Src)
		}
	}
	gw := hostOf(c.Gateway)
	public := make(map[string]bool)
	for _, f := range fs {
		if f.Rule == "signalling-public-path" {
			public[hostOf(f.Src)] = true
			public[hostOf(f.Dst)] = true
		}
	}
	out := make(map[string]*ladderEndpoint)
	add := func(addr string) {
		if _, ok := out[addr]; ok {
			return
		}
		h := hostOf(addr)
		e := &ladderEndpoint{addr: addr}
		switch {
		case h != "" && h == sbc:
			e.role, e.class, e.sbc = roleSBC, "col-sbc", true
		case h != "" && h == gw:
			e.role, e.class = gatewayRole(c)
		case public[h]:
			e.role, e.class = rolePublic, "col-public"
		default:
			e.role, e.class = roleOther, "col-other"
		}
		out[addr] = e
	}
	for i := range msgs {
		add(msgs[i].Src)
		add(msgs[i].Dst)
	}
	return out
}

// gatewayRole names the call's Twilio gateway: "Twilio ashburn-ix", "Twilio public ·
// ashburn", or "Twilio gateway" when the path is not known.
func gatewayRole(c *analyze.Call) (role, class string) {
	switch c.Path {
	case analyze.PathInterconnect:
		if c.Edge == "" {
			return "Twilio Interconnect", "col-ix"
		}
		return "Twilio " + c.Edge, "col-ix"
	case analyze.PathPublic:
		role, class = rolePublic, "col-public"
	default:
		role, class = "Twilio gateway", "col-other"
	}
	if c.Edge != "" {
		role += " · " + c.Edge
	}
	return role, class
}

// worse returns the more severe of a and b.
func worse(a, b analyze.Severity) analyze.Severity {
	if b.Rank() > a.Rank() {
		return b
	}
	return a
}

// ladderPlan is what a ladder shows, before it is laid out.
type ladderPlan struct {
	msgs     []analyze.Message // in time order
	times    []time.Time       // of msgs; zero when not a time
	t0       time.Time         // the first time
	findings [][]*analyze.Finding
	drawn    []bool
	ndrawn   int
	placed   map[*analyze.Finding]bool // findings shown at a message or stream
}

// planLadder sorts c's messages by time, attaches each finding to the message of its
// packet, and chooses the messages drawn: every flagged one, then the earliest others, up
// to htmlMaxArrows.
func planLadder(c *analyze.Call, fs []*analyze.Finding) *ladderPlan {
	p := &ladderPlan{placed: make(map[*analyze.Finding]bool)}
	p.msgs, p.times = messagesByTime(c.Messages)
	for _, t := range p.times {
		if !t.IsZero() {
			p.t0 = t
			break
		}
	}
	atPacket := make(map[int][]*analyze.Finding)
	for _, f := range fs {
		if f.Input == "" || c.Input == "" || f.Input == c.Input { // packet numbers are per input
			atPacket[f.Packet] = append(atPacket[f.Packet], f)
		}
	}
	p.findings = make([][]*analyze.Finding, len(p.msgs))
	for i := range p.msgs {
		for _, f := range atPacket[p.msgs[i].Packet] {
			if !p.placed[f] {
				p.findings[i] = append(p.findings[i], f)
				p.placed[f] = true
			}
		}
	}
	p.drawn = make([]bool, len(p.msgs))
	for pass := range 2 {
		for i := range p.msgs {
			flagged := len(p.findings[i]) > 0
			if p.ndrawn < htmlMaxArrows && !p.drawn[i] && (flagged || pass == 1) {
				p.drawn[i] = true
				p.ndrawn++
			}
		}
	}
	return p
}

// messagesByTime returns a copy of msgs sorted by time, and their times; messages whose
// time cannot be read keep their order, after the others.
func messagesByTime(msgs []analyze.Message) ([]analyze.Message, []time.Time) {
	type timed struct {
		m analyze.Message
		t time.Time
	}
	ts := make([]timed, len(msgs))
	for i := range msgs {
		ts[i].m = msgs[i]
		ts[i].t, _ = time.Parse(time.RFC3339Nano, msgs[i].Time)
	}
	sort.SliceStable(ts, func(a, b int) bool {
		ta, tb := ts[a].t, ts[b].t
		if ta.IsZero() != tb.IsZero() {
			return tb.IsZero()
		}
		return ta.Before(tb)
	})
	out := make([]analyze.Message, len(ts))
	times := make([]time.Time, len(ts))
	for i := range ts {
		out[i], times[i] = ts[i].m, ts[i].t
	}
	return out, times
}

// ladderColumns chooses the columns: the endpoints of the drawn messages, the SBC first,
// then in order of appearance so that a call through a proxy reads left to right. Beyond
// htmlMaxColumns, the last column stands for the rest.
func ladderColumns(c *analyze.Call, p *ladderPlan, fs []*analyze.Finding) ([]ladderCol, map[string]int) {
	roles := endpointRoles(c, p.msgs, fs)
	var eps []*ladderEndpoint
	seen := make(map[string]bool)
	for i := range p.msgs {
		if !p.drawn[i] {
			continue
		}
		for _, a := range []string{p.msgs[i].Src, p.msgs[i].Dst} {
			if !seen[a] {
				seen[a] = true
				eps = append(eps, roles[a])
			}
		}
	}
	sort.SliceStable(eps, func(i, j int) bool { return eps[i].sbc && !eps[j].sbc })
	colOf := make(map[string]int, len(eps))
	var cols []ladderCol
	for i, e := range eps {
		if i == htmlMaxColumns-1 && len(eps) > htmlMaxColumns {
			cols = append(cols, ladderCol{Role: "others", Addr: plural(len(eps)-i, "endpoint"), Class: "col-other"})
			for _, e := range eps[i:] {
				colOf[e.addr] = i
			}
			break
		}
		colOf[e.addr] = i
		cols = append(cols, ladderCol{Role: htmlText(e.role), Addr: htmlText(e.addr), Class: e.class})
	}
	return cols, colOf
}

// streamBands prepares a band per stream of the call, and attaches to it the findings
// not yet placed that are about it: at its first packet, or between its two addresses.
// It returns the bands, their findings, and the width their text needs.
func streamBands(ss []*analyze.Stream, fs []*analyze.Finding, p *ladderPlan, sbcHost string) ([]mediaBand, [][]*analyze.Finding, float64) {
	bands := make([]mediaBand, len(ss))
	found := make([][]*analyze.Finding, len(ss))
	need := 0.0
	for i, s := range ss {
		b := &bands[i]
		switch {
		case sbcHost != "" && hostOf(s.Src) == sbcHost:
			b.Dir = "SBC → far end"
		case sbcHost != "" && hostOf(s.Dst) == sbcHost:
			b.Dir = "far end → SBC"
		default:
			b.Dir = "media"
		}
		b.Line1 = htmlText(s.Src + " → " + s.Dst)
		b.Line2 = streamLine(s)
		b.Tip = "SSRC " + htmlText(orDash(s.SSRC))
		need = max(need, textWidth(b.Dir, ladFont, false)+textWidth(b.Line1, ladSmall, true)+48,
			textWidth(b.Line2, ladSmall, false)+40)
		for _, f := range fs {
			if !p.placed[f] && ((s.FirstPacket > 0 && f.Packet == s.FirstPacket) || (f.Src == s.Src && f.Dst == s.Dst)) {
				found[i] = append(found[i], f)
				p.placed[f] = true
			}
		}
	}
	return bands, found, need
}

// newLadder lays out the ladder of c: one column per endpoint (the SBC first), one arrow
// per SIP message in time order, flagged messages in the colour of their worst finding
// with the findings written under them, and the call's RTP streams as bands below.
func newLadder(c *analyze.Call, fs []*analyze.Finding, ss []*analyze.Stream) *ladder {
	p := planLadder(c, fs)
	cols, colOf := ladderColumns(c, p, fs)
	sbcHost := ""
	for addr, i := range colOf {
		if cols[i].Role == roleSBC && (sbcHost == "" || addr < sbcHost) {
			sbcHost = hostOf(addr)
		}
	}
	bands, bandFindings, need := streamBands(ss, fs, p, sbcHost)

	// Widths: the widest header or arrow label sets the columns, within limits; the
	// stream text may widen the whole.
	colW := ladMinColW
	for _, col := range cols {
		colW = max(colW, textWidth(col.Addr, ladSmall, true)+24, textWidth(col.Role, ladFont, false)+24)
	}
	for i := range p.msgs {
		if p.drawn[i] {
			colW = max(colW, textWidth(msgLabel(&p.msgs[i]), ladFont, true)+40)
		}
	}
	colW = min(colW, ladMaxColW)
	inner := max(float64(len(cols))*colW, ladMinInner, min(need, ladMaxInner))
	colW = inner / float64(len(cols))
	w := ladTimeW + inner + ladPacketW

	l := &ladder{W: px(w), TimeX: px(ladTimeW - 24), PacketX: px(w - 10), HeadY: px(ladHeadTop - 6),
		LifeTop: px(ladHeadTop + ladHeadH)}
	for i := range cols {
		x := ladTimeW + colW*(float64(i)+0.5)
		boxW := min(colW-16, max(textWidth(cols[i].Addr, ladSmall, true), textWidth(cols[i].Role, ladFont, false))+24)
		cols[i].X, cols[i].BoxX, cols[i].BoxW = px(x), px(x-boxW/2), px(boxW)
		cols[i].Addr = fitText(cols[i].Addr, boxW-8, ladSmall, true)
		cols[i].Role = fitText(cols[i].Role, boxW-8, ladFont, false)
	}
	l.Cols = cols

	y := l.drawMessages(p, colOf, colW, inner)
	y = l.drawBands(bands, bandFindings, y, inner)
	y = l.drawNotes(c, fs, p.placed, y, inner)
	l.H = px(y + 6)
	l.describe(c, p, ss, fs)
	return l
}

// drawMessages lays out the arrows from the top; it returns the y below them.
func (l *ladder) drawMessages(p *ladderPlan, colOf map[string]int, colW, inner float64) float64 {
	y := ladHeadTop + ladHeadH + 28
	skipped := 0
	gap := func() {
		if skipped > 0 {
			l.Rows = append(l.Rows, ladderRow{Gap: true, Y: px(y - 8), LabelX: px(ladTimeW + inner/2),
				Text: "⋯ " + plural(skipped, "message") + " not drawn ⋯"})
			y += ladGapH
			skipped = 0
		}
	}
	for i := range p.msgs {
		if !p.drawn[i] {
			skipped++
			continue
		}
		gap()
		m := &p.msgs[i]
		row := ladderRow{Y: px(y), TimeY: px(y + 4), Packet: "#" + strconv.Itoa(m.Packet), Class: "arrow",
			Time: htmlText(orDash(m.Time))}
		if t := p.times[i]; !t.IsZero() {
			row.Time = "+" + strconv.FormatFloat(t.Sub(p.t0).Seconds(), 'f', 3, 64) + " s"
		}
		x1, x2 := float64(l.Cols[colOf[m.Src]].X), float64(l.Cols[colOf[m.Dst]].X)
		label := msgLabel(m)
		if x1 == x2 { // to itself: a loop right of the column
			row.Line = fmt.Sprintf("M%v %v h30 v14 h-22", px(x1), px(y-7))
			row.Head = fmt.Sprintf("M%v %v l9 -4.5 v9 z", px(x1), px(y+7))
			row.LabelX, row.LabelY, row.Anchor = px(x1+36), px(y+4), "start"
			row.Label = fitText(label, colW/2-40, ladFont, true)
		} else {
			dir := math.Copysign(1, x2-x1)
			row.Line = fmt.Sprintf("M%v %v H%v", px(x1), px(y), px(x2-dir*8))
			row.Head = fmt.Sprintf("M%v %v l%v -4.5 v9 z", px(x2), px(y), px(-dir*10))
			row.LabelX, row.LabelY, row.Anchor = px((x1+x2)/2), px(y-6), "middle"
			row.Label = fitText(label, math.Abs(x2-x1)-24, ladFont, true)
		}
		row.Tip = fmt.Sprintf("packet %d, %s: %s → %s %s", m.Packet, htmlText(m.Time), htmlText(m.Src), htmlText(m.Dst), htmlText(m.Transport))
		if m.CSeq != "" {
			row.Tip += ", CSeq " + htmlText(m.CSeq)
		}
		if fs := p.findings[i]; len(fs) > 0 {
			var sev analyze.Severity
			for _, f := range fs {
				sev = worse(sev, f.Severity)
			}
			row.Flag = severityClass(sev)
			row.Class = "arrow flagged " + row.Flag
			row.MarkX = px(ladTimeW - 12)
			for k, f := range fs {
				row.Notes = append(row.Notes, findingNote(f, ladTimeW+10, y+20+ladNoteH*float64(k), inner-20))
			}
			row.BgY = px(y - 22)
			row.BgH = px(30 + ladNoteH*float64(len(fs)))
			y += ladNoteH * float64(len(fs))
		}
		l.Rows = append(l.Rows, row)
		y += ladRowH
	}
	gap()
	l.LifeBottom = px(y - ladRowH + 10)
	return y
}

// drawBands lays out the stream bands from y; it returns the y below them.
func (l *ladder) drawBands(bands []mediaBand, found [][]*analyze.Finding, y, inner float64) float64 {
	if len(bands) == 0 {
		return y
	}
	y += 6
	l.MediaY = px(y)
	y += 12
	for i := range bands {
		b := &bands[i]
		b.X, b.Y, b.W = px(ladTimeW), px(y), px(inner)
		b.TextX, b.Y1, b.Y2 = px(ladTimeW+12), px(y+17), px(y+34)
		b.Class = "band"
		var sev analyze.Severity
		for k, f := range found[i] {
			sev = worse(sev, f.Severity)
			b.Notes = append(b.Notes, findingNote(f, ladTimeW+12, y+52+ladNoteH*float64(k), inner-20))
		}
		if sev != "" {
			b.Flag = severityClass(sev)
			b.Class = "band flagged " + b.Flag
			b.MarkX, b.MarkY = px(ladTimeW-12), px(y+22)
		}
		h := 44 + ladNoteH*float64(len(found[i]))
		b.H = px(h)
		y += h + 8
	}
	l.Bands = bands
	return y
}

// drawNotes writes what the ladder could not show: findings at no drawn message or
// stream, and messages the analysis did not keep. It returns the y below them.
func (l *ladder) drawNotes(c *analyze.Call, fs []*analyze.Finding, placed map[*analyze.Finding]bool, y, inner float64) float64 {
	var notes, loose []string
	for _, f := range fs {
		if !placed[f] {
			loose = append(loose, htmlText(f.Rule)+" at packet "+strconv.Itoa(f.Packet))
		}
	}
	if len(loose) > 0 {
		notes = append(notes, "Not at a message or stream drawn here: "+strings.Join(loose, ", ")+" (see the table above).")
	}
	if c.SIPMessages > len(c.Messages) {
		notes = append(notes, fmt.Sprintf("The report keeps %s of the call's %s.", thousands(len(c.Messages)),
			plural(c.SIPMessages, "SIP message")))
	}
	y += 4
	for _, n := range notes {
		l.Notes = append(l.Notes, svgText{X: px(ladTimeW), Y: px(y + 10), Text: fitText(n, inner+ladPacketW-10, ladSmall, false), Class: "note", Tip: n})
		y += 18
	}
	return y
}

// describe gives the ladder its accessible name and description.
func (l *ladder) describe(c *analyze.Call, p *ladderPlan, ss []*analyze.Stream, fs []*analyze.Finding) {
	names := make([]string, len(l.Cols))
	for i, col := range l.Cols {
		names[i] = col.Role + " " + col.Addr
	}
	l.Title = "SIP ladder of call " + htmlText(c.CallID)
	l.Desc = plural(p.ndrawn, "SIP message") + " between " + strings.Join(names, ", ")
	if p.ndrawn < len(p.msgs) {
		l.Desc += fmt.Sprintf(" (%d of %d drawn)", p.ndrawn, len(p.msgs))
	}
	if len(ss) > 0 {
		l.Desc += "; " + plural(len(ss), "RTP stream")
	}
	var rules []string
	for _, f := range fs {
		if p.placed[f] {
			rules = append(rules, htmlText(f.Rule))
		}
	}
	if len(rules) > 0 {
		l.Desc += "; flagged: " + strings.Join(uniq(rules), ", ")
	}
	l.Label = l.Title + ": " + l.Desc + "."
}

// msgLabel is the text on a message's arrow.
func msgLabel(m *analyze.Message) string {
	label := htmlText(orDash(m.Label))
	if m.SDP {
		label += " · SDP"
	}
	return label
}

// streamLine summarises a stream's quality in one line.
func streamLine(s *analyze.Stream) string {
	parts := []string{htmlText(orDash(s.Codec))}
	if s.SRTP {
		parts[0] += " (SRTP)"
	}
	parts = append(parts, plural(s.Packets, "packet"),
		fmt.Sprintf("lost %s (%s)", thousands(s.Lost), strconv.FormatFloat(lossPercent(s), 'f', 1, 64)+" %"),
		fmt.Sprintf("jitter %s / %s ms", strconv.FormatFloat(s.JitterMeanMs, 'f', 2, 64), strconv.FormatFloat(s.JitterMaxMs, 'f', 2, 64)))
	if s.MOS > 0 {
		parts = append(parts, "MOS "+strconv.FormatFloat(s.MOS, 'f', 2, 64))
	}
	if !s.Announced {
		parts = append(parts, "not announced in SDP")
	}
	return strings.Join(parts, " · ")
}

// findingNote is the line written under a flagged message or stream.
func findingNote(f *analyze.Finding, x, y, maxW float64) svgText {
	text := htmlText(f.Rule) + " (" + htmlText(string(f.Severity)) + ")"
	if f.Evidence != "" {
		text += ": " + htmlText(f.Evidence)
	}
	if f.Known {
		text += " [known]"
	}
	tip := text
	if f.Message != "" {
		tip += ". " + htmlText(f.Message)
	}
	return svgText{X: px(x), Y: px(y), Text: fitText("⚠ "+text, maxW, 11.5, false), Class: "note-" + severityClass(f.Severity), Tip: tip}
}

// severityClass is the CSS class of a severity.
func severityClass(s analyze.Severity) string {
	switch s {
	case analyze.SeverityError:
		return "sev-error"
	case analyze.SeverityWarning:
		return "sev-warning"
	case analyze.SeverityInfo:
		return "sev-info"
	}
	return "sev-other"
}

// uniq returns the distinct strings of ss in their first order.
func uniq(ss []string) []string {
	seen := make(map[string]bool, len(ss))
	var out []string
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// Colours of text on the page, and the backgrounds they are set on. Every pair must reach
// WCAG AA contrast (4.5:1); the test computes it.
var htmlTextContrast = []struct{ name, fg, bg string }{
	{"body", "#1b1f24", "#ffffff"},
	{"muted", "#57606a", "#ffffff"},
	{"muted on panel", "#57606a", "#f6f8fa"},
	{"fail banner", "#7a1212", "#fdecea"},
	{"pass banner", "#14532d", "#e7f5ea"},
	{"error badge", "#ffffff", "#b3261e"},
	{"warning badge", "#ffffff", "#8a5300"},
	{"info badge", "#ffffff", "#1f5fa8"},
	{"error note", "#a3201a", "#fdecea"},
	{"warning note", "#7a4a00", "#fff4e0"},
	{"info note", "#174a85", "#e8f0fe"},
	{"link", "#0b5cad", "#ffffff"},
	{"column sbc", "#1b1f24", "#eef1f4"},
	{"column ix", "#123f73", "#e3edf9"},
	{"column public", "#7a1212", "#fde8e8"},
	{"leaked path", "#a3201a", "#ffffff"},
	{"attention path", "#7a4a00", "#ffffff"},
	{"clean path", "#14532d", "#ffffff"},
}

const htmlCSS = `
:root{color-scheme:light}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:#ffffff;color:#1b1f24;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Liberation Sans","DejaVu Sans",sans-serif}
main{max-width:1180px;margin:0 auto;padding:20px 24px 40px}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono","DejaVu Sans Mono",monospace;font-size:.92em}
h1{font-size:22px;line-height:1.25;margin:0}
h2{font-size:17px;margin:28px 0 10px;padding-bottom:4px;border-bottom:1px solid #d0d7de}
h3{font-size:15px;margin:0 0 8px;overflow-wrap:anywhere}
a{color:#0b5cad}
.muted{color:#57606a}
.small{font-size:12.5px}
.verdict{border-radius:8px;padding:16px 20px;border:1px solid;border-left-width:8px}
.verdict.fail{background:#fdecea;border-color:#b3261e;color:#7a1212}
.verdict.pass{background:#e7f5ea;border-color:#2e7d4f;color:#14532d}
.verdict .status{display:inline-block;font-weight:800;font-size:13px;letter-spacing:.08em;padding:2px 10px;border-radius:4px;margin-bottom:6px;color:#ffffff}
.verdict.fail .status{background:#b3261e}
.verdict.pass .status{background:#1e6b3f}
.meta{margin:8px 0 0;padding:0;list-style:none;display:flex;flex-wrap:wrap;gap:4px 18px;font-size:12.5px;color:#1b1f24}
.stats{display:grid;grid-template-columns:repeat(auto-fit,minmax(140px,1fr));gap:10px;margin:18px 0 4px;padding:0;list-style:none}
.stats li{border:1px solid #d0d7de;border-radius:8px;padding:10px 12px;background:#f6f8fa}
.stats .label{font-size:12px;color:#57606a;text-transform:uppercase;letter-spacing:.04em}
.stats .value{font-size:22px;font-weight:700;font-variant-numeric:tabular-nums}
.stats .note{font-size:12px;color:#57606a}
.grid2{display:grid;grid-template-columns:minmax(0,1.1fr) minmax(0,1fr);gap:28px}
figure{margin:0}
figcaption{font-size:12.5px;color:#57606a;margin-top:4px}
svg.chart{display:block;width:100%;height:auto;max-width:100%}
svg text{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Liberation Sans","DejaVu Sans",sans-serif;font-size:12px;fill:#1b1f24}
svg .mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono","DejaVu Sans Mono",monospace}
svg .t-title{font-weight:700;font-size:12.5px}
svg .t-muted{fill:#57606a;font-size:11px}
svg .t-legend{font-size:11.5px}
svg .axis{stroke:#8c959f;stroke-width:1}
svg .grid{stroke:#d8dee4;stroke-width:1}
svg .seg-public,svg .leaked{stroke:#8e1b14;stroke-width:1}
svg .seg-unknown,svg .attention{stroke:#6b4000;stroke-width:1}
svg .seg-ix,svg .clean{stroke:#174a85;stroke-width:.6}
svg .seg-unlisted,svg .seg-other{stroke:#4d5561;stroke-width:.6}
table{border-collapse:collapse;width:100%;font-size:13px;margin:4px 0}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #d8dee4;vertical-align:top}
td{overflow-wrap:anywhere}
th{background:#f6f8fa;font-weight:600;font-size:12.5px;color:#1b1f24;border-bottom:1px solid #afb8c1;white-space:nowrap}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.id{overflow-wrap:anywhere;min-width:14em}
td.nw{white-space:nowrap}
td.key{min-width:9.5em;overflow-wrap:anywhere}
td.rule{min-width:15em;overflow-wrap:anywhere}
table.calls{font-size:12.5px}
table.calls td.id{min-width:16em}
td .msg{display:block;color:#57606a;font-size:12px;margin-top:2px}
.table-wrap{overflow-x:auto}
.badge{display:inline-block;padding:0 7px;border-radius:10px;font-size:12px;font-weight:600;line-height:18px;white-space:nowrap;color:#ffffff}
.badge.sev-error{background:#b3261e}
.badge.sev-warning{background:#8a5300}
.badge.sev-info{background:#1f5fa8}
.badge.sev-other{background:#57606a}
.badge.known{background:#ffffff;color:#57606a;border:1px solid #8c959f}
.path{font-weight:600;white-space:nowrap}
.path.leaked{color:#a3201a}
.path.leaked::before{content:"▲ "}
.path.attention{color:#7a4a00}
.path.attention::before{content:"◆ "}
.path.clean{color:#14532d}
.path.clean::before{content:"● "}
tr.flag td{background:#fff8f7}
ul.examples{margin:0;padding-left:16px}
ul.examples li{margin:1px 0}
.call{border:1px solid #d0d7de;border-radius:8px;padding:14px 16px 12px;margin:16px 0;break-inside:avoid;page-break-inside:avoid}
.call.leaked{border-left:6px solid #b3261e}
.call.attention{border-left:6px solid #8a5300}
.call.clean{border-left:6px solid #1f5fa8}
td.rules{min-width:14em;overflow-wrap:anywhere}
.call h3 .id{overflow-wrap:anywhere;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono","DejaVu Sans Mono",monospace;font-size:14px;font-weight:600}
.facts{display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:2px 18px;margin:6px 0 10px;font-size:12.5px}
.facts div{display:flex;gap:8px;min-width:0}
.facts dt{color:#57606a;flex:0 0 88px}
.facts dd{margin:0;overflow-wrap:anywhere;min-width:0}
.ladder{overflow-x:auto;margin-top:8px}
svg.ladder-svg{display:block;max-width:100%;height:auto}
svg .lifeline{stroke:#8c959f;stroke-width:1;stroke-dasharray:4 4}
svg .colbox{stroke:#8c959f;stroke-width:1}
svg .col-sbc .colbox{fill:#eef1f4}
svg .col-ix .colbox{fill:#e3edf9;stroke:#1f5fa8}
svg .col-public .colbox{fill:#fde8e8;stroke:#b3261e;stroke-dasharray:5 3;stroke-width:1.5}
svg .col-other .colbox{fill:#f6f8fa}
svg .col-ix .role{fill:#123f73}
svg .col-public .role{fill:#7a1212}
svg .role{font-weight:700}
svg .addr{font-size:11px}
svg .arrow{stroke:#3d444d;stroke-width:1.5;fill:none}
svg .head{fill:#3d444d}
svg .label{font-size:12px}
svg .label,svg .gap{paint-order:stroke;stroke:#ffffff;stroke-width:4px;stroke-linejoin:round}
svg .sev-error .label{stroke:#fdecea}
svg .sev-warning .label{stroke:#fff4e0}
svg .sev-info .label{stroke:#e8f0fe}
svg .time,svg .packet{font-size:11px;fill:#57606a}
svg .flagged.arrow{stroke-width:3}
svg .sev-error.arrow{stroke:#b3261e}
svg .sev-error.head,svg .sev-error .mark{fill:#b3261e}
svg .sev-warning.arrow{stroke:#8a5300}
svg .sev-warning.head,svg .sev-warning .mark{fill:#8a5300}
svg .sev-info.arrow{stroke:#1f5fa8}
svg .sev-info.head,svg .sev-info .mark{fill:#1f5fa8}
svg .flagbg.sev-error{fill:#fdecea}
svg .flagbg.sev-warning{fill:#fff4e0}
svg .flagbg.sev-info{fill:#e8f0fe}
svg .sev-error .label,svg .sev-warning .label,svg .sev-info .label{font-weight:700}
svg .mark-text{fill:#ffffff;font-weight:800;font-size:11px}
svg .note-sev-error{fill:#a3201a;font-size:11.5px}
svg .note-sev-warning{fill:#7a4a00;font-size:11.5px}
svg .note-sev-info{fill:#174a85;font-size:11.5px}
svg .note-sev-other{fill:#1b1f24;font-size:11.5px}
svg .gap{fill:#57606a;font-style:italic;font-size:11.5px}
svg .band rect.bandbox{fill:#f3f7fc;stroke:#9fb6d1;stroke-width:1}
svg .band.flagged rect.bandbox{stroke-width:2.5}
svg .band.sev-error rect.bandbox{fill:#fdecea;stroke:#b3261e}
svg .band.sev-warning rect.bandbox{fill:#fff4e0;stroke:#8a5300}
svg .band.sev-info rect.bandbox{fill:#e8f0fe;stroke:#1f5fa8}
svg .dir{font-weight:700}
svg .note{fill:#57606a;font-size:11px}
footer{margin-top:32px;padding-top:8px;border-top:1px solid #d0d7de;font-size:12px;color:#57606a;overflow-wrap:anywhere}
.empty{color:#57606a;font-style:italic}
@media (max-width:820px){.grid2{grid-template-columns:1fr}}
@page{size:A4;margin:12mm 11mm 14mm}
@media print{
 html,body{-webkit-print-color-adjust:exact;print-color-adjust:exact}
 body{font-size:10pt}
 main{max-width:none;padding:0}
 h2{break-after:avoid;page-break-after:avoid}
 .grid2{grid-template-columns:1fr 1fr;gap:16px}
 .stats{grid-template-columns:repeat(7,1fr);gap:6px}
 .stats .value{font-size:16px}
 .table-wrap,.ladder{overflow:visible}
 figure,.call,tr,.verdict{break-inside:avoid;page-break-inside:avoid}
 thead{display:table-header-group}
 a{color:inherit;text-decoration:none}
 .call{margin:10px 0}
}
`

// htmlPage is the page template. Geometry is computed in Go; the template only writes it
// out, and html/template escapes every string in its context.
var htmlPage = template.Must(template.New("page").Funcs(template.FuncMap{
	"sevClass": func(s string) string { return severityClass(analyze.Severity(s)) },
	"add":      func(a px, b float64) px { return a + px(b) },
	"mark":     func(flag string, x, y px) svgMark { return svgMark{flag, x, y} },
}).Parse(htmlTemplate))

// svgMark is the "!" marker beside a flagged message or stream.
type svgMark struct {
	Flag string
	X, Y px
}

const htmlTemplate = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>{{.Title}}</title>
<style>{{.CSS}}</style>
</head>
<body>
<main>
<header class="verdict {{if .Failed}}fail{{else}}pass{{end}}">
<div class="status">{{.Status}}</div>
<h1>{{.Detail}}</h1>
<ul class="meta">{{range .Meta}}<li>{{.}}</li>{{end}}</ul>
</header>

<section aria-label="Summary">
<ul class="stats">{{range .Stats}}
<li><div class="label">{{.Label}}</div><div class="value">{{.Value}}</div>{{if .Note}}<div class="note">{{.Note}}</div>{{end}}</li>{{end}}
</ul>
</section>

<div class="grid2">
<section id="paths">
<h2>Calls by path and edge</h2>
{{with .Paths}}{{template "bars" .}}{{else}}<p class="empty">No calls.</p>{{end}}
</section>
<section id="gaps">
<h2>Evidence gaps</h2>
{{if .Gaps}}<div class="table-wrap"><table>
<thead><tr><th scope="col">reason</th><th scope="col" class="num">packets</th><th scope="col" class="num">share</th><th scope="col">meaning</th></tr></thead>
<tbody>{{range .Gaps}}
<tr><td class="key"><code>{{.Reason}}</code></td><td class="num">{{.Packets}}</td><td class="num">{{.Share}}</td><td>{{.Meaning}}</td></tr>{{end}}
</tbody></table></div>{{else}}<p class="empty">{{.GapNote}}</p>{{end}}
{{if .Use}}<p class="small muted">Packets judged, by what they carried: {{.Use}}</p>{{end}}
<h2>Inputs</h2>
{{if .Inputs}}<div class="table-wrap"><table>
<thead><tr><th scope="col">capture</th><th scope="col" class="num">packets</th><th scope="col">link types</th><th scope="col">truncated</th></tr></thead>
<tbody>{{range .Inputs}}
<tr{{if .Flag}} class="flag"{{end}}><td class="id"><code>{{.Name}}</code>{{if .Error}}<span class="msg">could not be read: {{.Error}}</span>{{end}}</td><td class="num">{{.Packets}}</td><td>{{.LinkTypes}}</td><td>{{.Truncated}}</td></tr>{{end}}
</tbody></table></div>{{else}}<p class="empty">No inputs.</p>{{end}}
</section>
</div>

<section id="timeline">
<h2>Timeline of calls</h2>
{{with .Timeline}}{{template "timeline" .}}{{else}}<p class="empty">{{.NoCalls}}</p>{{end}}
</section>

<section id="findings">
<h2>Findings by rule</h2>
{{if .Rules}}<div class="table-wrap"><table>
<thead><tr><th scope="col">rule</th><th scope="col">severity</th><th scope="col" class="num">findings</th>{{if .AnyKnown}}<th scope="col" class="num">known</th>{{end}}<th scope="col" class="num">calls</th><th scope="col">evidence (examples)</th></tr></thead>
<tbody>{{range .Rules}}
<tr><td><code>{{.Rule}}</code>{{if .Message}}<span class="msg">{{.Message}}</span>{{end}}</td><td><span class="badge {{sevClass .Severity}}">{{.Severity}}</span></td><td class="num">{{.Count}}</td>{{if $.AnyKnown}}<td class="num">{{.Known}}</td>{{end}}<td class="num">{{.Calls}}</td>
<td><ul class="examples">{{range .Examples}}<li><code>{{.Evidence}}</code> <span class="muted small">({{if .Anchor}}<a href="{{.Anchor}}">{{.Where}}</a>{{else}}{{.Where}}{{end}})</span>{{if .Known}} <span class="badge known">known</span>{{end}}</li>{{end}}{{if .More}}<li class="muted small">{{.More}}</li>{{end}}</ul></td></tr>{{end}}
</tbody></table></div>{{else}}<p class="empty">No findings.</p>{{end}}
{{if .Loose}}<h3>Findings outside calls</h3>
{{template "findings" .Loose}}{{end}}{{if .LooseMsg}}<p class="small muted">{{.LooseMsg}}</p>{{end}}
</section>


{{if .Ladders}}<section id="ladders">
<h2>Call details</h2>
<p class="small muted">Each ladder reads top to bottom in time; columns are the call's endpoints, the SBC first. A flagged message is drawn thick, in the colour of its worst finding, with a <strong>!</strong> marker and the rule and evidence under it. The call's RTP streams are listed below its ladder.</p>
{{range .Ladders}}{{template "call" .}}{{end}}
{{if .LadderNote}}<p class="small muted">{{.LadderNote}}</p>{{end}}
</section>{{else}}{{if .LadderNote}}<p class="small muted">{{.LadderNote}}</p>{{end}}{{end}}

<section id="calls">
<h2>{{.Calls.Title}}</h2>
{{if .Calls.Rows}}<div class="table-wrap"><table class="calls">
<thead><tr><th scope="col" class="num">#</th><th scope="col">Call-ID</th><th scope="col">path</th><th scope="col">edge, gateway</th><th scope="col">start</th><th scope="col" class="num">status</th><th scope="col" class="num">SIP</th><th scope="col" class="num">RTP</th><th scope="col" class="num">worst loss</th><th scope="col" class="num">MOS</th><th scope="col">findings</th></tr></thead>
<tbody>{{range .Calls.Rows}}
<tr><td class="num">{{.N}}</td><td class="id"><code>{{if .Anchor}}<a href="{{.Anchor}}">{{.CallID}}</a>{{else}}{{.CallID}}{{end}}</code></td><td class="nw"><span class="path {{.Class}}" title="{{.ClassTip}}">{{.Path}}</span><span class="msg">{{.Direction}}</span></td><td class="nw">{{.Edge}}<span class="msg"><code>{{.Gateway}}</code></span></td><td class="nw"><code>{{.Start}}</code><span class="msg">{{.Duration}}</span></td><td class="num">{{.Status}}</td><td class="num">{{.Messages}}</td><td class="num">{{.Streams}}</td><td class="num">{{.Loss}}</td><td class="num">{{.MOS}}</td><td class="rules">{{if .Rules}}{{.Findings}}: {{range $i, $r := .Rules}}{{if $i}}, {{end}}<code>{{$r}}</code>{{end}}{{else}}{{.Findings}}{{end}}</td></tr>{{end}}
</tbody></table></div>{{end}}
{{if .Calls.Note}}<p class="small muted">{{.Calls.Note}}</p>{{end}}
</section>

<footer>{{.Footer}}</footer>
</main>
</body>
</html>
{{define "findings"}}<div class="table-wrap"><table>
<thead><tr><th scope="col">severity</th><th scope="col">rule</th><th scope="col" class="num">packet</th><th scope="col">time</th><th scope="col">endpoints</th><th scope="col">evidence</th></tr></thead>
<tbody>{{range .}}
<tr><td><span class="badge {{sevClass .Severity}}">{{.Severity}}</span>{{if .Known}} <span class="badge known">known</span>{{end}}</td><td class="rule"><code>{{.Rule}}</code></td><td class="num">{{.Packet}}</td><td class="nw"><code>{{.Time}}</code></td><td class="id"><code>{{.Endpoints}}</code>{{if .Input}}<span class="msg">{{.Input}}</span>{{end}}</td><td class="id"><code>{{.Evidence}}</code>{{if .Message}}<span class="msg">{{.Message}}</span>{{end}}</td></tr>{{end}}
</tbody></table></div>{{end}}
{{define "defs"}}<defs>
<pattern id="{{.}}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#c62828"/><rect width="2.2" height="6" fill="#ffffff" fill-opacity="0.7"/></pattern>
<pattern id="{{.}}-dots" width="5" height="5" patternUnits="userSpaceOnUse"><rect width="5" height="5" fill="#b26a00"/><circle cx="2.5" cy="2.5" r="1.2" fill="#ffffff" fill-opacity="0.8"/></pattern>
</defs>{{end}}
{{define "legend"}}{{range .}}<g class="legend-item"><rect class="{{.Class}}" x="{{.X}}" y="{{.Y}}" width="14" height="12" fill="{{.Fill}}"/><text class="t-legend" x="{{add .X 19}}" y="{{add .Y 10.5}}">{{.Text}}</text></g>{{end}}{{end}}
{{define "bars"}}<figure>
<svg class="chart" role="img" aria-label="{{.Label}}" viewBox="0 0 {{.W}} {{.H}}" width="{{.W}}" height="{{.H}}" xmlns="http://www.w3.org/2000/svg">
<title>Calls by path and by edge</title>
<desc>{{.Label}}</desc>
{{template "defs" .ID}}
{{range .Sections}}<text class="t-title" x="0" y="{{.Y}}">{{.Title}}</text>
{{range .Bars}}{{$bar := .}}<g class="bar"><title>{{.Tip}}</title><text x="{{.LabelX}}" y="{{.Y}}" text-anchor="end">{{.Label}}</text>{{range .Segs}}<rect class="{{.Class}}" x="{{.X}}" y="{{$bar.BarY}}" width="{{.W}}" height="{{$bar.BarH}}" fill="{{.Fill}}"/>{{end}}<text x="{{.ValueX}}" y="{{.Y}}">{{.Value}}</text></g>
{{end}}{{end}}{{template "legend" .Legend}}
</svg>
</figure>{{end}}
{{define "timeline"}}<figure>
<svg class="chart" role="img" aria-label="{{.Label}}" viewBox="0 0 {{.W}} {{.H}}" width="{{.W}}" height="{{.H}}" xmlns="http://www.w3.org/2000/svg">
<title>Timeline of calls over the capture</title>
<desc>{{.Desc}}</desc>
{{template "defs" .ID}}
{{template "legend" .Legend}}
{{range .Ticks}}<line class="grid" x1="{{.X}}" y1="30" x2="{{.X}}" y2="{{$.AxisY}}"/>{{end}}
{{range .Bars}}<rect class="{{.Class}}" x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}" rx="1.5" fill="{{.Fill}}"><title>{{.Tip}}</title></rect>
{{end}}{{range .Bins}}<g class="bin-col"><title>{{.Tip}}</title>{{range .Segs}}<rect class="{{.Class}}" x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}" fill="{{.Fill}}"/>{{end}}</g>
{{end}}{{range .YTicks}}<text class="t-muted" x="{{.X}}" y="{{.Y}}" text-anchor="end">{{.Text}}</text>{{end}}{{range .Strips}}<text class="t-muted" x="{{.X}}" y="{{.Y}}" text-anchor="end">{{.Text}}</text>{{end}}
<line class="axis" x1="{{.X0}}" y1="{{.AxisY}}" x2="{{.X1}}" y2="{{.AxisY}}"/>
{{range .Ticks}}<line class="axis" x1="{{.X}}" y1="{{$.AxisY}}" x2="{{.X}}" y2="{{add $.AxisY 4}}"/><text class="t-muted mono" x="{{.X}}" y="{{.Y}}" text-anchor="middle">{{.Text}}</text>{{end}}
<text class="t-muted" x="{{.X0}}" y="{{.CaptionY}}">{{.Caption}}</text>
</svg>
</figure>{{end}}
{{define "call"}}<article class="call {{.Class}}" id="{{.Anchor}}">
<h3>Call {{.N}} · <span class="path {{.Class}}" title="{{.ClassTip}}">{{.Path}}</span> · {{.Direction}}<br><span class="id">{{.CallID}}</span></h3>
<dl class="facts">{{range .Facts}}<div><dt>{{.Name}}</dt><dd>{{if .Mono}}<code>{{.Value}}</code>{{else}}{{.Value}}{{end}}</dd></div>{{end}}</dl>
{{if .Findings}}{{template "findings" .Findings}}{{end}}
{{with .Ladder}}<div class="ladder">{{template "ladder" .}}</div>{{end}}{{if .NoLadder}}<p class="empty">{{.NoLadder}}</p>{{end}}
</article>
{{end}}
{{define "mark"}}<g class="{{.Flag}}"><circle class="mark" cx="{{.X}}" cy="{{.Y}}" r="8"/><text class="mark-text" x="{{.X}}" y="{{add .Y 4}}" text-anchor="middle">!</text></g>{{end}}
{{define "ladder"}}<svg class="ladder-svg" role="img" aria-label="{{.Label}}" viewBox="0 0 {{.W}} {{.H}}" width="{{.W}}" height="{{.H}}" xmlns="http://www.w3.org/2000/svg">
<title>{{.Title}}</title>
<desc>{{.Desc}}</desc>
<text class="t-muted" x="{{.TimeX}}" y="{{.HeadY}}" text-anchor="end">time</text><text class="t-muted" x="{{.PacketX}}" y="{{.HeadY}}" text-anchor="end">packet</text>
{{range .Cols}}<g class="col {{.Class}}"><line class="lifeline" x1="{{.X}}" y1="{{$.LifeTop}}" x2="{{.X}}" y2="{{$.LifeBottom}}"/><rect class="colbox" x="{{.BoxX}}" y="20" width="{{.BoxW}}" height="40" rx="5"/><text class="role" x="{{.X}}" y="36" text-anchor="middle">{{.Role}}</text><text class="addr mono" x="{{.X}}" y="52" text-anchor="middle">{{.Addr}}</text></g>
{{end}}{{range .Rows}}{{if .Gap}}<text class="gap" x="{{.LabelX}}" y="{{.Y}}" text-anchor="middle">{{.Text}}</text>
{{else}}<g class="msg{{if .Flag}} {{.Flag}}{{end}}"><title>{{.Tip}}</title>{{if .Flag}}<rect class="flagbg {{.Flag}}" x="4" y="{{.BgY}}" width="{{add $.W -8}}" height="{{.BgH}}" rx="4"/>{{template "mark" (mark .Flag .MarkX .Y)}}{{end}}<text class="time mono" x="{{$.TimeX}}" y="{{.TimeY}}" text-anchor="end">{{.Time}}</text><path class="{{.Class}}" d="{{.Line}}"/><path class="head{{if .Flag}} {{.Flag}}{{end}}" d="{{.Head}}"/><text class="label mono" x="{{.LabelX}}" y="{{.LabelY}}" text-anchor="{{.Anchor}}">{{.Label}}</text><text class="packet mono" x="{{$.PacketX}}" y="{{.TimeY}}" text-anchor="end">{{.Packet}}</text>{{range .Notes}}<text class="{{.Class}}" x="{{.X}}" y="{{.Y}}"><title>{{.Tip}}</title>{{.Text}}</text>{{end}}</g>
{{end}}{{end}}{{if .Bands}}<text class="t-title" x="{{$.TimeX}}" y="{{.MediaY}}" text-anchor="end">RTP</text>
{{range .Bands}}<g class="{{.Class}}"><title>{{.Tip}}</title><rect class="bandbox" x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}" rx="5"/>{{if .Flag}}{{template "mark" (mark .Flag .MarkX .MarkY)}}{{end}}<text x="{{.TextX}}" y="{{.Y1}}"><tspan class="dir">{{.Dir}}</tspan><tspan class="mono" dx="10">{{.Line1}}</tspan></text><text x="{{.TextX}}" y="{{.Y2}}">{{.Line2}}</text>{{range .Notes}}<text class="{{.Class}}" x="{{.X}}" y="{{.Y}}"><title>{{.Tip}}</title>{{.Text}}</text>{{end}}</g>
{{end}}{{end}}{{range .Notes}}<text class="{{.Class}}" x="{{.X}}" y="{{.Y}}"><title>{{.Tip}}</title>{{.Text}}</text>
{{end}}</svg>{{end}}
`
