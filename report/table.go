package report

import (
	"bytes"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/ixaudit/ixaudit/analyze"
)

// Table renders a report for a person at a terminal: a verdict line, then the inputs,
// calls by path and edge, findings by rule with examples, the calls with findings and
// their RTP streams, and the evidence gaps. Every line fits in Options.Width columns (long
// Call-IDs and evidence are cut in the middle); colour is used only with Options.Color.
type Table struct{ opt Options }

// Render writes the table report of r.
func (t *Table) Render(w io.Writer, r *analyze.Report) error {
	if r == nil {
		return fmt.Errorf("report: nil report")
	}
	var b bytes.Buffer
	t.verdict(&b, r)
	t.inputs(&b, r)
	t.paths(&b, r)
	t.findings(&b, r)
	t.calls(&b, r)
	t.gaps(&b, r)
	_, err := w.Write(b.Bytes())
	return err
}

// ANSI SGR sequences.
const (
	sgrReset  = "\x1b[0m"
	sgrBold   = "\x1b[1m"
	sgrRed    = "\x1b[31m"
	sgrGreen  = "\x1b[32m"
	sgrYellow = "\x1b[33m"
	sgrCyan   = "\x1b[36m"
)

// paint wraps s in an SGR sequence when colour is on.
func (t *Table) paint(sgr, s string) string {
	if !t.opt.Color || sgr == "" || s == "" {
		return s
	}
	return sgr + s + sgrReset
}

// valueColor is the colour of a severity or path shown in a cell.
func valueColor(s string) string {
	switch s {
	case string(analyze.SeverityError), string(analyze.PathPublic):
		return sgrRed
	case string(analyze.SeverityWarning), string(analyze.PathUnknown):
		return sgrYellow
	case string(analyze.SeverityInfo):
		return sgrCyan
	case string(analyze.PathInterconnect):
		return sgrGreen
	}
	return ""
}

func (t *Table) verdict(b *bytes.Buffer, r *analyze.Report) {
	v := verdictOf(r)
	colour := sgrGreen
	if v.Failed {
		colour = sgrRed
	}
	status := t.paint(sgrBold+colour, v.Status)
	// The detail is wrapped, not cut: it is the one line everybody reads.
	t.para(b, status+": ", clean(v.Detail))
}

// para writes prefix and text, wrapped at word boundaries to the width, continuation lines
// indented by two spaces.
func (t *Table) para(b *bytes.Buffer, prefix, text string) {
	line := prefix
	lineW := width(prefix)
	fresh := true
	for _, word := range strings.Fields(text) {
		ww := width(word)
		if !fresh && lineW+1+ww > t.opt.Width {
			b.WriteString(line)
			b.WriteByte('\n')
			line, lineW, fresh = "  ", 2, true
		}
		if ww > t.opt.Width-lineW {
			word = truncateMiddle(word, t.opt.Width-lineW)
			ww = width(word)
		}
		if !fresh {
			line += " "
			lineW++
		}
		line += word
		lineW += ww
		fresh = false
	}
	b.WriteString(line)
	b.WriteByte('\n')
}

// heading writes a blank line and a section title, which must fit the width.
func (t *Table) heading(b *bytes.Buffer, title string) {
	b.WriteByte('\n')
	b.WriteString(t.paint(sgrBold, title))
	b.WriteByte('\n')
}

// line writes one line of text, cut to the width.
func (t *Table) line(b *bytes.Buffer, s string) {
	b.WriteString(truncateMiddle(clean(s), t.opt.Width))
	b.WriteByte('\n')
}

func (t *Table) inputs(b *bytes.Buffer, r *analyze.Report) {
	if len(r.Inputs) == 0 {
		return
	}
	t.heading(b, "Inputs")
	cols := []column{
		{Header: "name", Min: 16},
		{Header: "packets", Right: true},
		{Header: "link types", Min: 10},
		{Header: "truncated"},
	}
	withErr := unreadableInputs(r) > 0
	if withErr {
		cols = append(cols, column{Header: "error", Min: 16})
	}
	rows := make([][]string, 0, len(r.Inputs))
	for i := range r.Inputs {
		in := &r.Inputs[i]
		row := []string{in.Name, thousands(in.Packets), orDash(strings.Join(in.LinkTypes, ", ")), yesNo(in.Truncated)}
		if withErr {
			row = append(row, orDash(in.Error))
		}
		rows = append(rows, row)
	}
	t.table(b, cols, rows)
}

func (t *Table) paths(b *bytes.Buffer, r *analyze.Report) {
	s := &r.Summary
	if len(s.CallsByPath) == 0 && len(s.CallsByEdge) == 0 {
		return
	}
	t.heading(b, "Calls by path")
	var rows [][]string
	for _, p := range []analyze.Path{analyze.PathInterconnect, analyze.PathPublic, analyze.PathUnknown} {
		if n, ok := s.CallsByPath[p]; ok || p == analyze.PathInterconnect {
			rows = append(rows, []string{string(p), thousands(n)})
		}
	}
	t.table(b, []column{{Header: "path", Paint: true}, {Header: "calls", Right: true}}, rows)
	if len(s.CallsByEdge) == 0 {
		return
	}
	t.heading(b, "Calls by edge")
	rows = rows[:0]
	for _, e := range sortedKeys(s.CallsByEdge) {
		name := e
		if name == "" {
			name = "(none)"
		}
		rows = append(rows, []string{name, thousands(s.CallsByEdge[e])})
	}
	t.table(b, []column{{Header: "edge", Min: 12}, {Header: "calls", Right: true}}, rows)
}

func (t *Table) findings(b *bytes.Buffer, r *analyze.Report) {
	if len(r.Findings) == 0 {
		return
	}
	groups := groupByRule(r.Findings)
	anyKnown := r.Summary.Known > 0
	t.heading(b, "Findings by rule")
	cols := []column{{Header: "rule", Min: 20}, {Header: "severity", Paint: true}, {Header: "count", Right: true}}
	if anyKnown {
		cols = append(cols, column{Header: "known", Right: true})
	}
	rows := make([][]string, 0, len(groups))
	for _, g := range groups {
		row := []string{g.Rule, string(g.Severity), thousands(len(g.Findings))}
		if anyKnown {
			row = append(row, thousands(g.Known))
		}
		rows = append(rows, row)
	}
	t.table(b, cols, rows)

	multiInput := len(r.Inputs) > 1
	for _, g := range groups {
		first := g.Findings[0]
		suffix := fmt.Sprintf(" (%s, %s)", g.Severity, plural(len(g.Findings), "finding"))
		rule := truncateMiddle(clean(g.Rule), t.opt.Width-width(suffix))
		sev := clean(string(g.Severity))
		t.heading(b, rule+strings.Replace(suffix, sev, t.paint(valueColor(sev), sev), 1))
		if msg := clean(first.Message); msg != "" {
			t.para(b, "", truncateMiddle(msg, maxMessageLines*t.opt.Width))
		}
		cols := []column{{Header: "packet", Right: true}, {Header: "time"}}
		if multiInput {
			cols = append(cols, column{Header: "input", Min: 14, Cut: 2})
		}
		cols = append(cols, column{Header: "Call-ID", Min: 16, Cut: 1}, column{Header: "evidence", Min: 24, Cut: 3})
		examples := g.Findings[:min(len(g.Findings), t.opt.MaxExamples)]
		known := false
		for _, f := range examples {
			known = known || f.Known
		}
		if known {
			cols = append(cols, column{Header: "baseline"})
		}
		rows := make([][]string, 0, len(examples))
		for _, f := range examples {
			row := []string{strconv.Itoa(f.Packet), clockTime(f.Time)}
			if multiInput {
				row = append(row, f.Input)
			}
			row = append(row, orDash(f.CallID), orDash(f.Evidence))
			if known {
				note := ""
				if f.Known {
					note = "known"
				}
				row = append(row, note)
			}
			rows = append(rows, row)
		}
		t.table(b, cols, rows)
		if more := len(g.Findings) - len(examples); more > 0 {
			t.line(b, fmt.Sprintf("… and %s more", thousands(more)))
		}
	}
}

// maxMessageLines bounds the lines a rule's message takes.
const maxMessageLines = 3

// maxTableCalls bounds the calls with findings the table lists without AllCalls.
const maxTableCalls = 100

func (t *Table) calls(b *bytes.Buffer, r *analyze.Report) {
	calls := callsShown(r, t.opt.AllCalls)
	hidden := len(r.Calls) - len(calls)
	cut := 0
	if !t.opt.AllCalls && len(calls) > maxTableCalls {
		cut = len(calls) - maxTableCalls
		calls = calls[:maxTableCalls]
	}
	if len(calls) == 0 {
		if hidden > 0 {
			b.WriteByte('\n')
			t.line(b, fmt.Sprintf("(%s without findings not listed)", plural(hidden, "call")))
		}
		return
	}
	title := "Calls with findings"
	if t.opt.AllCalls {
		title = "Calls"
	}
	t.heading(b, title)
	med := mediaByCall(r.Streams)
	index := make(map[string]int, len(calls))
	cols := []column{
		{Header: "#", Right: true},
		{Header: "Call-ID", Min: 14},
		{Header: "direction"},
		{Header: "path", Paint: true},
		{Header: "edge", Min: 6},
		{Header: "gateway", Min: 9},
		{Header: "status", Right: true},
		{Header: "RTP", Right: true},
		{Header: "loss", Right: true},
		{Header: "MOS", Right: true},
	}
	rows := make([][]string, 0, len(calls))
	for i, c := range calls {
		index[c.CallID] = i + 1
		m := med[c.CallID]
		status := "-"
		if c.FinalStatus > 0 {
			status = strconv.Itoa(c.FinalStatus)
		}
		loss, mos := "-", "-"
		if m.Streams > 0 {
			loss = strconv.FormatFloat(m.WorstLoss, 'f', 1, 64) + "%"
		}
		if m.MOS > 0 {
			mos = strconv.FormatFloat(m.MOS, 'f', 2, 64)
		}
		rows = append(rows, []string{strconv.Itoa(i + 1), c.CallID, orDash(string(c.Direction)),
			string(c.Path), orDash(c.Edge), orDash(c.Gateway), status, strconv.Itoa(m.Streams), loss, mos})
	}
	t.table(b, cols, rows)
	if cut > 0 {
		t.line(b, andMore(cut, "call")+" with findings (the JSON report lists them all)")
	}
	if hidden > 0 {
		t.line(b, fmt.Sprintf("(%s without findings not listed)", plural(hidden, "call")))
	}

	streams := streamsShown(r, calls, t.opt.AllCalls)
	if len(streams) == 0 {
		return
	}
	t.heading(b, "RTP streams")
	cols = []column{
		{Header: "call", Right: true},
		{Header: "src → dst", Min: 24},
		{Header: "SSRC"},
		{Header: "codec", Min: 5},
		{Header: "packets", Right: true},
		{Header: "lost", Right: true},
		{Header: "jitter ms", Right: true},
		{Header: "MOS", Right: true},
	}
	rows = rows[:0]
	for _, s := range streams {
		call := "-"
		if n := index[s.CallID]; n > 0 {
			call = "#" + strconv.Itoa(n)
		}
		mos := "-"
		if s.MOS > 0 {
			mos = strconv.FormatFloat(s.MOS, 'f', 2, 64)
		}
		jitter := strconv.FormatFloat(s.JitterMeanMs, 'f', 1, 64) + "/" + strconv.FormatFloat(s.JitterMaxMs, 'f', 1, 64)
		rows = append(rows, []string{call, s.Src + " → " + s.Dst, orDash(s.SSRC), orDash(s.Codec),
			thousands(s.Packets), thousands(s.Lost), jitter, mos})
	}
	t.table(b, cols, rows)
	t.line(b, "jitter: mean/max, RFC 3550 interarrival")
}

func (t *Table) gaps(b *bytes.Buffer, r *analyze.Report) {
	gaps := r.Summary.EvidenceGaps
	if len(gaps) == 0 {
		return
	}
	t.heading(b, "Evidence gaps")
	rows := make([][]string, 0, len(gaps))
	for _, reason := range sortedKeys(gaps) {
		rows = append(rows, []string{reason, thousands(gaps[reason]), gapMeaning(reason)})
	}
	t.table(b, []column{{Header: "reason", Min: 12}, {Header: "packets", Right: true}, {Header: "meaning", Min: 20}}, rows)
}

// column describes one column of a table.
type column struct {
	Header string
	// Min is the narrowest the column may be cut to when the table is too wide; 0 means the
	// column is cut only when the table cannot fit otherwise. Cut orders the cutting:
	// lowest first, then left to right.
	Min   int
	Cut   int
	Right bool // right-aligned (numbers)
	Paint bool // cells are severities or paths, coloured when colour is on
}

// columnGap is the space between two columns.
const columnGap = "  "

// table writes rows under cols with tablewriter: borderless, a rule under the header,
// cells cleaned of control characters and cut in the middle so that the table fits the
// width when its fixed columns allow it.
func (t *Table) table(b *bytes.Buffer, cols []column, rows [][]string) {
	widths := make([]int, len(cols))
	for i, c := range cols {
		widths[i] = width(c.Header)
	}
	cells := make([][]string, len(rows))
	for i, row := range rows {
		cells[i] = make([]string, len(cols))
		for j := range cols {
			if j < len(row) {
				cells[i][j] = clean(row[j])
			}
			widths[j] = max(widths[j], width(cells[i][j]))
		}
	}
	t.fit(cols, widths)

	aligns := make([]tw.Align, len(cols))
	header := make([]string, len(cols))
	padding := make([]tw.Padding, len(cols))
	for j, c := range cols {
		aligns[j] = tw.AlignLeft
		if c.Right {
			aligns[j] = tw.AlignRight
		}
		header[j] = c.Header
		padding[j] = tw.Padding{Right: columnGap, Overwrite: true}
	}
	padding[len(cols)-1] = tw.PaddingNone
	for i := range cells {
		for j, c := range cols {
			s := truncateMiddle(cells[i][j], widths[j])
			if c.Paint {
				s = t.paint(valueColor(s), s)
			}
			cells[i][j] = s
		}
	}

	var out bytes.Buffer
	tbl := tablewriter.NewTable(&out,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
			Borders: tw.BorderNone,
			Settings: tw.Settings{
				Separators: tw.Separators{BetweenColumns: tw.Off, BetweenRows: tw.Off},
				Lines:      tw.Lines{ShowHeaderLine: tw.On},
			},
		})),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithTrimSpace(tw.Off),
		tablewriter.WithHeaderAlignmentConfig(tw.CellAlignment{PerColumn: aligns}),
		tablewriter.WithRowAlignmentConfig(tw.CellAlignment{PerColumn: aligns}),
		tablewriter.WithHeaderPaddingPerColumn(padding),
		tablewriter.WithRowPaddingPerColumn(padding),
	)
	tbl.Header(header)
	for _, row := range cells {
		if err := tbl.Append(row); err != nil {
			// Append fails only on a row of the wrong shape, which cells never is.
			fmt.Fprintf(b, "(table row: %v)\n", err)
		}
	}
	if err := tbl.Render(); err != nil {
		fmt.Fprintf(b, "(table: %v)\n", err)
		return
	}
	for _, line := range strings.SplitAfter(out.String(), "\n") {
		if line == "" {
			continue
		}
		b.WriteString(strings.TrimRight(line, " \n"))
		b.WriteByte('\n')
	}
}

// fit narrows columns until the table fits the width: first the columns with a Min, in
// Cut order, down to their Min; then, when the other columns are too wide (values from a
// hostile report), the widest column, one at a time, down to its header or minCell.
func (t *Table) fit(cols []column, widths []int) {
	total := width(columnGap) * (len(cols) - 1)
	for j := range widths {
		widths[j] = min(widths[j], max(t.opt.Width, width(cols[j].Header))) // bounds the loop below
		total += widths[j]
	}
	order := make([]int, 0, len(cols))
	for j := range cols {
		if cols[j].Min > 0 {
			order = append(order, j)
		}
	}
	sort.SliceStable(order, func(a, b int) bool { return cols[order[a]].Cut < cols[order[b]].Cut })
	for _, j := range order {
		floor := max(cols[j].Min, width(cols[j].Header))
		if total > t.opt.Width && widths[j] > floor {
			cut := min(widths[j]-floor, total-t.opt.Width)
			widths[j] -= cut
			total -= cut
		}
	}
	for total > t.opt.Width {
		widest := 0
		for j := range widths {
			if widths[j] > widths[widest] {
				widest = j
			}
		}
		if widths[widest] <= max(minCell, width(cols[widest].Header)) {
			return // every column is as narrow as it can be
		}
		widths[widest]--
		total--
	}
}

// minCell is the narrowest a column is cut to when nothing else helps.
const minCell = 6
