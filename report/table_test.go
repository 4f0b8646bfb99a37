package report

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/ixaudit/ixaudit/analyze"
	"github.com/ixaudit/ixaudit/capture"
)

// hostileReport holds what a crafted capture could put in a report: very long values,
// control characters and escape sequences, wide characters, and Markdown/XML syntax.
func hostileReport() *analyze.Report {
	long := strings.Repeat("x", 5000)
	r := failReport()
	r.Inputs = append(r.Inputs, analyze.Input{Name: "in\x1b]0;pwned\x07put" + long, Packets: 1 << 40,
		LinkTypes: []string{long, "日本語"}, Error: "read\nerror " + long})
	r.Calls[0].CallID = "\x1b[2J" + long + "@呼び出し|`<b>`"
	r.Calls[1].Direction = analyze.Direction(long)
	r.Calls[1].Edge = "edge|" + long
	r.Calls[2].Gateway = "2001:db8:85a3:8d3:1319:8a2e:370:7348:" + long
	r.Summary.CallsByEdge[long] = 1
	r.Summary.EvidenceGaps["reason-"+long] = 7
	r.Streams[0].Src = long + ":1"
	r.Streams[0].Codec = "PCMU\x00" + long
	r.Streams[0].CallID = r.Calls[0].CallID
	for i := range r.Findings {
		f := &r.Findings[i]
		f.Evidence = "<script>alert(1)</script> | ``x`` ]]> \x1b[31m" + long
		f.Message = "msg\r\n" + long
		f.Time = "not a time " + long
	}
	r.Findings[0].Rule = "rule-" + long
	r.Findings[0].CallID = r.Calls[0].CallID
	return r
}

// ansi matches SGR escape sequences.
var ansi = regexp.MustCompile("\x1b\\[[0-9;]*m")

// TestTableWidth: every line of the table format fits the width, colour codes aside, for
// every fixture and a hostile report.
func TestTableWidth(t *testing.T) {
	reports := fixtures()
	reports["hostile"] = hostileReport()
	for name, r := range reports {
		for _, opt := range []Options{{}, {Color: true, AllCalls: true}, {Width: 120, AllCalls: true}, {Width: 90}} {
			ren, _ := New("table", opt)
			var b bytes.Buffer
			if err := ren.Render(&b, r); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			limit := max(opt.Width, DefaultWidth*boolInt(opt.Width == 0))
			for i, line := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
				if w := width(ansi.ReplaceAllString(line, "")); w > limit {
					t.Errorf("%s %+v: line %d is %d columns wide, more than %d:\n%.300s", name, opt, i+1, w, limit, line)
				}
			}
		}
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestTableNoEscapes: without colour the output holds no escape character at all, even
// when the report is full of them; with colour, only SGR sequences.
func TestTableNoEscapes(t *testing.T) {
	r := hostileReport()
	var b bytes.Buffer
	if err := (&Table{opt: Options{}.withDefaults()}).Render(&b, r); err != nil {
		t.Fatal(err)
	}
	if i := strings.IndexAny(b.String(), "\x1b\x07\x00\r"); i >= 0 {
		t.Errorf("table without colour holds control character %q at %d", b.String()[i], i)
	}
	b.Reset()
	if err := (&Table{opt: Options{Color: true}.withDefaults()}).Render(&b, r); err != nil {
		t.Fatal(err)
	}
	if i := strings.IndexAny(ansi.ReplaceAllString(b.String(), ""), "\x1b\x07\x00\r"); i >= 0 {
		t.Errorf("table with colour holds a control character besides SGR sequences at %d", i)
	}
}

// TestTableColor: the verdict and severities are coloured only with Options.Color.
func TestTableColor(t *testing.T) {
	tests := []struct {
		fixture string
		color   bool
		want    []string
	}{
		{"fail", true, []string{sgrBold + sgrRed + "FAIL" + sgrReset, sgrRed + "error" + sgrReset, sgrYellow + "warning" + sgrReset, sgrCyan + "info" + sgrReset, sgrRed + "public" + sgrReset}},
		{"pass", true, []string{sgrBold + sgrGreen + "PASS" + sgrReset, sgrGreen + "interconnect" + sgrReset}},
	}
	for _, tt := range tests {
		for _, color := range []bool{true, false} {
			ren, _ := New("table", Options{Color: color})
			var b bytes.Buffer
			if err := ren.Render(&b, fixtures()[tt.fixture]); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			if !color {
				if strings.Contains(out, "\x1b") {
					t.Errorf("%s: escape sequences without Color", tt.fixture)
				}
				continue
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("%s: coloured output lacks %q", tt.fixture, w)
				}
			}
		}
	}
}

// TestTableSections checks what each section shows, beyond the golden files: examples
// are limited to MaxExamples, known findings are marked, calls without findings appear
// only with AllCalls, and the header is not rewritten by tablewriter ("CALL - ID").
func TestTableSections(t *testing.T) {
	render := func(r *analyze.Report, opt Options) string {
		ren, _ := New("table", opt)
		var b bytes.Buffer
		if err := ren.Render(&b, r); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	fail := render(failReport(), Options{})
	for _, want := range []string{"Call-ID", "… and 1 more", "Evidence gaps", "dropped by the kernel before capture",
		"RTP streams", "54.172.61.20:10004 → 203.0.113.7:31000", "0xdeadbeef", "5.0%", "3.62", "edge-b.pcap.gz", "yes"} {
		if !strings.Contains(fail, want) {
			t.Errorf("fail report lacks %q", want)
		}
	}
	if strings.Contains(fail, "CALL - ID") || strings.Contains(fail, "CALL-ID") {
		t.Error("tablewriter rewrote the Call-ID header")
	}
	if one := render(failReport(), Options{MaxExamples: 1}); !strings.Contains(one, "… and 3 more") {
		t.Error("MaxExamples 1 does not leave 3 more examples of signalling-public-path")
	}
	if known := render(knownReport(), Options{}); !strings.Contains(known, "known") || !strings.Contains(known, "baseline") {
		t.Error("known findings are not marked")
	}
	pass := render(passReport(), Options{})
	if strings.Contains(pass, "5a1c8e3f7b2d4e6a") || !strings.Contains(pass, "(2 calls without findings not listed)") {
		t.Error("calls without findings are listed without AllCalls, or not counted")
	}
	all := render(passReport(), Options{AllCalls: true})
	for _, want := range []string{"5a1c8e3f7", "b7e1@208.78.112.65", "0x7fe0a001", "4.38"} {
		if !strings.Contains(all, want) {
			t.Errorf("AllCalls output lacks %q", want)
		}
	}
}

// TestGapMeanings: every evidence-gap reason the capture package defines is explained.
func TestGapMeanings(t *testing.T) {
	n := 0
	for g := capture.Gap(1); g.String() != "unknown"; g++ {
		n++
		if _, ok := gapMeanings[g.String()]; !ok {
			t.Errorf("evidence-gap reason %q (capture.Gap %d) has no explanation in gapMeanings", g, g)
		}
	}
	if n == 0 {
		t.Fatal("no capture.Gap reasons found")
	}
	if !strings.Contains(gapMeaning("something-new"), "no description") {
		t.Error("an unknown reason is not said to be undocumented")
	}
}

// TestTableCallsCapped: without AllCalls, at most maxTableCalls calls with findings are
// listed, and the rest are counted; with AllCalls, all are.
func TestTableCallsCapped(t *testing.T) {
	r := bigReport(maxTableCalls + 5)
	for _, all := range []bool{false, true} {
		ren, _ := New("table", Options{AllCalls: all})
		var b bytes.Buffer
		if err := ren.Render(&b, r); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		last := fmt.Sprintf("\n%d ", maxTableCalls+5)
		if all != strings.Contains(out, last) {
			t.Errorf("AllCalls %v: row %d listed = %v", all, maxTableCalls+5, !all)
		}
		if cut := strings.Contains(out, "… and 5 more calls with findings"); cut == all {
			t.Errorf("AllCalls %v: the calls left out are counted = %v", all, cut)
		}
	}
}
