package report

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/ixaudit/ixaudit/analyze"
	"github.com/ixaudit/ixaudit/capture"
)

// htmlOptions are the renderings of each fixture compared with golden files.
var htmlOptions = []struct {
	ext string
	opt Options
}{
	{"html", Options{}},
	{"all.html", Options{AllCalls: true, MaxExamples: 1}},
}

// renderHTML renders r with opt through New, as the command does.
func renderHTML(t testing.TB, r *analyze.Report, opt Options) []byte {
	t.Helper()
	ren, err := New("html", opt)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := ren.Render(&b, r); err != nil {
		t.Fatalf("Render: %v", err)
	}
	return b.Bytes()
}

// readHTMLFixture replays testdata/html/<name>.json.
func readHTMLFixture(t *testing.T, name string) *analyze.Report {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "html", name+".json"))
	if err != nil {
		t.Fatalf("fixture %s: %v (run go test ./report -update to write it)", name, err)
	}
	defer f.Close()
	r, err := ReadJSON(f)
	if err != nil {
		t.Fatalf("fixture %s: ReadJSON: %v", name, err)
	}
	return r
}

// allHTMLFixtures replays every fixture the HTML tests use, by name.
func allHTMLFixtures(t *testing.T) map[string]*analyze.Report {
	t.Helper()
	out := make(map[string]*analyze.Report)
	for _, name := range fixtureNames {
		out[name] = readFixture(t, name)
	}
	for _, name := range htmlFixtureNames {
		out[name] = readHTMLFixture(t, name)
	}
	return out
}

// TestHTMLFixturesJSON checks that each HTML fixture file is the JSON rendering of its Go
// value.
func TestHTMLFixturesJSON(t *testing.T) {
	for name, r := range htmlFixtures() {
		var b bytes.Buffer
		if err := (&JSON{}).Render(&b, r); err != nil {
			t.Fatalf("%s: Render: %v", name, err)
		}
		checkGolden(t, filepath.Join("testdata", "html", name+".json"), b.Bytes())
	}
}

// TestHTMLGolden renders every fixture, replayed from its JSON file, and compares the page
// with testdata/golden/<fixture>.html (and .all.html with AllCalls).
func TestHTMLGolden(t *testing.T) {
	for name, r := range allHTMLFixtures(t) {
		for _, o := range htmlOptions {
			t.Run(name+"/"+o.ext, func(t *testing.T) {
				got := renderHTML(t, r, o.opt)
				checkGolden(t, filepath.Join("testdata", "golden", name+"."+o.ext), got)
			})
		}
	}
}

// TestHTMLDeterministic renders the same reports many times: map order and the like must
// not show in the output.
func TestHTMLDeterministic(t *testing.T) {
	reports := allHTMLFixtures(t)
	reports["busy"] = busyReport(400, 9)
	for name, r := range reports {
		first := renderHTML(t, r, Options{AllCalls: true})
		for range 5 {
			if got := renderHTML(t, r, Options{AllCalls: true}); !bytes.Equal(got, first) {
				t.Fatalf("%s: two renderings of the same report differ", name)
			}
		}
	}
}

// parseHTML parses a page; the parser accepts anything, so it also checks the page opens
// with a doctype and has exactly one html, head and body.
func parseHTML(t *testing.T, page []byte) *html.Node {
	t.Helper()
	if !bytes.HasPrefix(page, []byte("<!DOCTYPE html>\n")) {
		t.Errorf("the page does not start with <!DOCTYPE html>: %.40q", page)
	}
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	for _, tag := range []string{"html", "head", "body", "main"} {
		if n := len(elements(doc, tag)); n != 1 {
			t.Errorf("%d <%s> elements, want 1", n, tag)
		}
	}
	if heads := elements(doc, "head"); len(heads) == 1 {
		for _, tag := range []string{"title", "style"} {
			if n := len(elements(heads[0], tag)); n != 1 {
				t.Errorf("%d <%s> elements in <head>, want 1", n, tag)
			}
		}
	}
	return doc
}

// elements returns the elements named tag under n, in document order ("" for all).
func elements(n *html.Node, tag string) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && (tag == "" || n.Data == tag) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key && a.Namespace == "" {
			return a.Val, true
		}
	}
	return "", false
}

func hasClass(n *html.Node, class string) bool {
	v, _ := attr(n, "class")
	return strings.Contains(" "+v+" ", " "+class+" ")
}

// textOf is the text content of n.
func textOf(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

// cssExternal matches CSS that loads something: @import, or url() of anything but a
// fragment.
var cssExternal = regexp.MustCompile(`(?i)@import|url\(\s*['"]?\s*[^#'"\s]`)

// selfContained returns what in the page could load a resource or run code.
func selfContained(doc *html.Node) []string {
	var problems []string
	for _, n := range elements(doc, "") {
		switch n.Data {
		case "script", "link", "iframe", "frame", "object", "embed", "img", "image", "use", "audio",
			"video", "source", "track", "base", "form", "meta":
			if n.Data == "meta" { // charset, viewport, color-scheme only; no refresh
				if v, ok := attr(n, "http-equiv"); ok {
					problems = append(problems, "<meta http-equiv="+v+">")
				}
				continue
			}
			problems = append(problems, "<"+n.Data+"> element")
		case "style":
			if css := textOf(n); cssExternal.MatchString(css) {
				problems = append(problems, "<style> loads: "+cssExternal.FindString(css))
			}
		}
		for _, a := range n.Attr {
			key := strings.ToLower(a.Key)
			switch {
			case strings.HasPrefix(key, "on"):
				problems = append(problems, "event handler "+a.Key+" on <"+n.Data+">")
			case key == "style" && cssExternal.MatchString(a.Val):
				problems = append(problems, "style attribute loads: "+a.Val)
			case key == "href" || key == "src" || key == "srcset" || key == "action" || key == "poster" ||
				key == "data" || key == "background" || key == "formaction" || key == "ping":
				if !strings.HasPrefix(a.Val, "#") {
					problems = append(problems, key+"="+a.Val+" on <"+n.Data+">")
				}
			case cssExternal.MatchString(a.Val): // fill="url(...)" and the like
				problems = append(problems, "attribute "+a.Key+" loads: "+a.Val)
			}
		}
	}
	return problems
}

// TestHTMLSelfContained: no page loads or runs anything: no script, link, image, frame or
// object, no event handler, no reference that is not a fragment of the page, no @import
// or url() in the CSS.
func TestHTMLSelfContained(t *testing.T) {
	reports := allHTMLFixtures(t)
	reports["hostile"] = hostileReport()
	reports["busy"] = busyReport(1000, 50)
	for name, r := range reports {
		for _, o := range htmlOptions {
			doc := parseHTML(t, renderHTML(t, r, o.opt))
			for _, p := range selfContained(doc) {
				t.Errorf("%s %s: %s", name, o.ext, p)
			}
		}
	}
}

// TestHTMLSelfContainedCheck proves the check above finds what it looks for.
func TestHTMLSelfContainedCheck(t *testing.T) {
	bad := []string{
		`<script>alert(1)</script>`,
		`<link rel="stylesheet" href="https://example.com/a.css">`,
		`<img src="//example.com/x.png">`,
		`<svg><image href="http://example.com/x.png"/></svg>`,
		`<style>@import "a.css";</style>`,
		`<style>body{background:url(https://example.com/x.png)}</style>`,
		`<div style="background:url('x.png')"></div>`,
		`<a href="https://example.com/">x</a>`,
		`<a href="javascript:alert(1)">x</a>`,
		`<svg onload="alert(1)"></svg>`,
		`<meta http-equiv="refresh" content="0;url=https://example.com/">`,
		`<rect fill="url(https://example.com/p.svg#p)"/>`,
	}
	for _, frag := range bad {
		doc, err := html.Parse(strings.NewReader("<!DOCTYPE html><html><head></head><body>" + frag + "</body></html>"))
		if err != nil {
			t.Fatal(err)
		}
		if p := selfContained(doc); len(p) == 0 {
			t.Errorf("selfContained found nothing in %s", frag)
		}
	}
	good := `<a href="#call-1">x</a><svg><rect fill="url(#tl-hatch)"/></svg><style>a{color:red}</style>`
	doc, _ := html.Parse(strings.NewReader(good))
	if p := selfContained(doc); len(p) > 0 {
		t.Errorf("selfContained flags a clean page: %v", p)
	}
}

// TestHTMLEscaping: markup, quotes and control characters in the report are shown as
// text, never interpreted.
func TestHTMLEscaping(t *testing.T) {
	for name, r := range map[string]*analyze.Report{"ladder": readHTMLFixture(t, "ladder"), "hostile": hostileReport()} {
		page := renderHTML(t, r, Options{AllCalls: true})
		for _, raw := range []string{"\x1b", "\x07", "\x00", "\u009b", "<script", "<img", "<b>"} {
			if bytes.Contains(page, []byte(raw)) {
				t.Errorf("%s: the page holds %q unescaped", name, raw)
			}
		}
		doc := parseHTML(t, page)
		for _, tag := range []string{"script", "img", "b"} {
			if n := len(elements(doc, tag)); n > 0 {
				t.Errorf("%s: %d <%s> elements came from the report", name, n, tag)
			}
		}
		text := textOf(doc)
		for _, want := range wantText(name) {
			if !strings.Contains(text, want) {
				t.Errorf("%s: the page text does not show %q", name, want)
			}
		}
	}
}

// wantText is report text that must be shown literally, as cleaned by clean.
func wantText(fixture string) []string {
	if fixture == "hostile" {
		return []string{"<script>alert(1)</script> | ``x`` ]]> \\x1b[31m", "日本語", "@呼び出し|`<b>`"}
	}
	return []string{clean(hostileCallID), `evil-<script>alert("x")</script>-\x1b[31m@203.0.113.10`,
		`"Bob \"<img src=x onerror=alert(1)>\""`, `mytrunk.pstn.twilio.com"><img src=http://evil.example/x.png>`}
}

// TestHTMLAccessible: every SVG is an image with an accessible name, a <title> first and
// a <desc>; every text colour on its background reaches WCAG AA contrast; the page prints
// on A4 without breaking a call across pages.
func TestHTMLAccessible(t *testing.T) {
	for name, r := range allHTMLFixtures(t) {
		doc := parseHTML(t, renderHTML(t, r, Options{AllCalls: true}))
		if lang, _ := attr(elements(doc, "html")[0], "lang"); lang == "" {
			t.Errorf("%s: <html> has no lang", name)
		}
		for i, svg := range elements(doc, "svg") {
			if role, _ := attr(svg, "role"); role != "img" {
				t.Errorf("%s: svg %d: role %q, want img", name, i, role)
			}
			if label, _ := attr(svg, "aria-label"); strings.TrimSpace(label) == "" {
				t.Errorf("%s: svg %d has no aria-label", name, i)
			}
			first := svg.FirstChild
			for first != nil && first.Type != html.ElementNode {
				first = first.NextSibling
			}
			if first == nil || first.Data != "title" || strings.TrimSpace(textOf(first)) == "" {
				t.Errorf("%s: svg %d does not start with a <title>", name, i)
			}
			if len(elements(svg, "desc")) == 0 {
				t.Errorf("%s: svg %d has no <desc>", name, i)
			}
			if len(elements(svg, "text")) == 0 {
				t.Errorf("%s: svg %d has no <text>: its labels must be text", name, i)
			}
		}
		for _, th := range elements(doc, "th") {
			if scope, _ := attr(th, "scope"); scope != "col" {
				t.Errorf("%s: <th>%s</th> has no scope", name, textOf(th))
			}
		}
	}
	for _, c := range htmlTextContrast {
		if ratio := contrast(c.fg, c.bg); ratio < 4.5 {
			t.Errorf("%s: %s on %s has contrast %.2f, below 4.5", c.name, c.fg, c.bg, ratio)
		}
		if !strings.Contains(htmlCSS, c.fg) || !strings.Contains(htmlCSS, c.bg) {
			t.Errorf("%s: %s or %s is not a colour of the style sheet", c.name, c.fg, c.bg)
		}
	}
	for _, want := range []string{"@media print", "@page{size:A4", ".call{", "break-inside:avoid", "print-color-adjust:exact"} {
		if !strings.Contains(htmlCSS, want) {
			t.Errorf("the style sheet lacks %q", want)
		}
	}
}

// contrast is the WCAG 2 contrast ratio of two colours #rrggbb.
func contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
}

func luminance(hex string) float64 {
	v, _ := strconv.ParseUint(strings.TrimPrefix(hex, "#"), 16, 32)
	ch := func(c uint64) float64 {
		s := float64(c) / 255
		if s <= 0.03928 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*ch(v>>16&0xff) + 0.7152*ch(v>>8&0xff) + 0.0722*ch(v&0xff)
}

func TestContrast(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want float64
	}{{"#000000", "#ffffff", 21}, {"#ffffff", "#ffffff", 1}, {"#767676", "#ffffff", 4.54}} {
		if got := contrast(tt.a, tt.b); math.Abs(got-tt.want) > 0.01 {
			t.Errorf("contrast(%s, %s) = %.3f, want %.2f", tt.a, tt.b, got, tt.want)
		}
	}
}

// byClass returns the elements under n that have class.
func byClass(n *html.Node, class string) []*html.Node {
	var out []*html.Node
	for _, e := range elements(n, "") {
		if hasClass(e, class) {
			out = append(out, e)
		}
	}
	return out
}

// article returns the section of call n (1-based), or nil.
func article(doc *html.Node, n int) *html.Node {
	for _, a := range elements(doc, "article") {
		if id, _ := attr(a, "id"); id == "call-"+strconv.Itoa(n) {
			return a
		}
	}
	return nil
}

// TestHTMLLadder checks the ladders of the ladder fixture: columns and their roles, the
// cap on arrows with the flagged messages kept, highlights with their rules, streams and
// the notes.
func TestHTMLLadder(t *testing.T) {
	r := readHTMLFixture(t, "ladder")
	doc := parseHTML(t, renderHTML(t, r, Options{}))

	// Calls 1 to 3 have findings; call 4 does not and gets no section without AllCalls.
	for n, want := range map[int]bool{1: true, 2: true, 3: true, 4: false} {
		if got := article(doc, n) != nil; got != want {
			t.Errorf("call %d has a section: %v, want %v", n, got, want)
		}
	}
	// The rule examples and the calls table link to the sections, and to nothing else.
	links := make(map[string]int)
	for _, a := range elements(doc, "a") {
		href, _ := attr(a, "href")
		links[href]++
	}
	if want := map[string]int{"#call-1": 6, "#call-2": 3, "#call-3": 2}; !reflect.DeepEqual(links, want) {
		t.Errorf("links %v, want %v", links, want)
	}
	call1 := article(doc, 1)
	if call1 == nil {
		t.Fatal("no section for call 1")
	}
	roles := textsOf(byClass(call1, "role"))
	if want := []string{"SBC", "other", "Twilio public · ashburn"}; !equal(roles, want) {
		t.Errorf("call 1 columns %q, want %q", roles, want)
	}
	addrs := textsOf(byClass(call1, "addr"))
	if want := []string{"203.0.113.10:5060", "208.78.112.64:5060", "54.172.60.0:5060"}; !equal(addrs, want) {
		t.Errorf("call 1 column addresses %q, want %q", addrs, want)
	}
	arrows := byClass(call1, "arrow")
	if len(arrows) != htmlMaxArrows {
		t.Errorf("call 1: %d arrows drawn of 83 messages, want the cap %d", len(arrows), htmlMaxArrows)
	}
	flagged := byClass(call1, "flagged")
	var flaggedArrows []string
	for _, a := range flagged {
		if a.Data == "path" && hasClass(a, "arrow") {
			c, _ := attr(a, "class")
			flaggedArrows = append(flaggedArrows, c)
		}
	}
	// The INVITE to the public gateway (2 errors) and the BYE, the last message (a warning).
	if want := []string{"arrow flagged sev-error", "arrow flagged sev-warning"}; !equal(flaggedArrows, want) {
		t.Errorf("call 1 flagged arrows %q, want %q", flaggedArrows, want)
	}
	text := textOf(call1)
	for _, want := range []string{
		"⚠ signalling-public-path (error): public signalling address 54.172.60.0:5060",
		"⚠ signalling-port (warning)",
		"⚠ media-address-outside-range (error): Twilio-side media address 54.172.61.10:12000",
		"⋯ 23 messages not drawn",
		"Not at a message or stream drawn here: media-port-outside-range at packet 4711",
		"The report keeps 83 of the call's 90 SIP messages.",
		"+4.000 s", "+46.000 s", "#900",
		"INVITE · SDP", "SBC → far end", "far end → SBC", "PCMU · 1,900 packets · lost 12 (0.6 %) · jitter 0.90 / 4.25 ms · MOS 4.20",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("call 1 does not show %q", want)
		}
	}
	if bands := byClass(call1, "band"); len(bands) != 2 {
		t.Errorf("call 1: %d stream bands, want 2", len(bands))
	} else if c, _ := attr(bands[0], "class"); c != "band flagged sev-error" {
		t.Errorf("call 1: first band class %q, want it flagged as an error", c)
	}

	call2 := article(doc, 2)
	if call2 == nil {
		t.Fatal("no section for call 2")
	}
	if roles := textsOf(byClass(call2, "role")); !equal(roles, []string{"SBC", "Twilio ashburn-ix"}) {
		t.Errorf("call 2 columns %q", roles)
	}
	if n := len(byClass(call2, "arrow")); n != 4 {
		t.Errorf("call 2: %d arrows, want 4 (one of them to itself)", n)
	}
	for _, want := range []string{"[known]", "G722 (SRTP)", "not announced in SDP", "uri-region-param (info)"} {
		if !strings.Contains(textOf(call2), want) {
			t.Errorf("call 2 does not show %q", want)
		}
	}
	if call3 := article(doc, 3); call3 != nil && !strings.Contains(textOf(call3), "no SIP messages") {
		t.Errorf("call 3 has no messages and does not say so")
	}

	// With AllCalls, call 4 is drawn with its proxy between the SBC and Twilio.
	doc = parseHTML(t, renderHTML(t, r, Options{AllCalls: true}))
	call4 := article(doc, 4)
	if call4 == nil {
		t.Fatal("AllCalls: no section for call 4")
	}
	if roles := textsOf(byClass(call4, "role")); !equal(roles, []string{"SBC", "other", "Twilio ashburn-ix"}) {
		t.Errorf("call 4 columns %q", roles)
	}
}

func textsOf(ns []*html.Node) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = textOf(n)
	}
	return out
}

func equal(a, b []string) bool { return strings.Join(a, "\x00") == strings.Join(b, "\x00") }

// TestHTMLBusy: with many calls the overview stays small: the timeline counts calls per
// interval, the calls table lists calls with findings only, ladders are bounded.
func TestHTMLBusy(t *testing.T) {
	tests := []struct {
		name                  string
		calls, leakedEvery    int
		opt                   Options
		wantBars, wantBins    bool
		wantRows, wantLadders int
		wantNote              string
		maxBytes              int
	}{
		{"few calls: one bar each, every call listed", 150, 10, Options{}, true, false, 150, 15, "", 300_000},
		{"300 calls: still one bar each", 300, 100, Options{}, true, false, 3, 3, "297 calls without findings not listed", 250_000},
		{"301 calls: bins", 301, 100, Options{}, false, true, 3, 3, "298 calls without findings not listed", 250_000},
		{"5000 calls, 50 leaked", 5000, 100, Options{}, false, true, 50, 50, "4,950 calls without findings not listed", 600_000},
		{"5000 calls, 500 leaked: ladders capped", 5000, 10, Options{}, false, true, 500, htmlMaxLadders, "400 more calls not drawn", 2_500_000},
		{"AllCalls lists and draws every call", 400, 100, Options{AllCalls: true}, false, true, 400, 400, "", 10_000_000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page := renderHTML(t, busyReport(tt.calls, tt.leakedEvery), tt.opt)
			if len(page) > tt.maxBytes {
				t.Errorf("the page is %d bytes, more than %d", len(page), tt.maxBytes)
			}
			doc := parseHTML(t, page)
			bars, bins := len(byClass(doc, "call-bar")), len(byClass(doc, "bin"))
			if tt.wantBars && bars != tt.calls || !tt.wantBars && bars != 0 {
				t.Errorf("%d call bars in the timeline, want one per call: %v", bars, tt.wantBars)
			}
			if tt.wantBins != (bins > 0) {
				t.Errorf("%d bins in the timeline, want bins: %v", bins, tt.wantBins)
			}
			var rows int
			for _, tbl := range elements(doc, "table") {
				if hasClass(tbl, "calls") {
					rows = len(elements(tbl, "tr")) - 1
				}
			}
			if rows != tt.wantRows {
				t.Errorf("the calls table has %d rows, want %d", rows, tt.wantRows)
			}
			if n := len(elements(doc, "article")); n != tt.wantLadders {
				t.Errorf("%d call sections, want %d", n, tt.wantLadders)
			}
			if !strings.Contains(textOf(doc), tt.wantNote) {
				t.Errorf("the page does not say %q", tt.wantNote)
			}
		})
	}
}

// TestHTMLNoCalls: an empty report and reports with odd values render without a panic and
// say what is missing.
func TestHTMLNoCalls(t *testing.T) {
	r := readFixture(t, "empty")
	text := textOf(parseHTML(t, renderHTML(t, r, Options{})))
	for _, want := range []string{"PASS", "no calls found in 1,234 packets", "No findings.", "No call (no Call-ID that carried an INVITE)"} {
		if !strings.Contains(text, want) {
			t.Errorf("empty report: the page does not say %q", want)
		}
	}
	odd := &analyze.Report{Calls: []analyze.Call{
		{CallID: "no-time", Start: "yesterday", Findings: 1, Messages: []analyze.Message{{Packet: 1, Time: "?", Src: "a", Dst: "a"}}},
		{CallID: "backwards", Start: htmlAt(5000), End: htmlAt(1000)},
	}}
	text = textOf(parseHTML(t, renderHTML(t, odd, Options{AllCalls: true})))
	if !strings.Contains(text, "1 call without a time not drawn") {
		t.Errorf("odd report: the timeline does not say a call was not drawn")
	}
	odd.Calls = odd.Calls[:1]
	text = textOf(parseHTML(t, renderHTML(t, odd, Options{AllCalls: true})))
	if !strings.Contains(text, "No call has a start time that can be read") {
		t.Errorf("report without times: the page does not say why there is no timeline")
	}
	if err := (&HTML{}).Render(&bytes.Buffer{}, nil); err == nil {
		t.Errorf("Render(nil): no error")
	}
	if err := (&HTML{}).Render(failingWriter{}, r); err == nil {
		t.Errorf("Render to a failing writer: no error")
	}
}

func TestEndpointRoles(t *testing.T) {
	msgs := func(pairs ...string) []analyze.Message {
		var out []analyze.Message
		for i := 0; i+1 < len(pairs); i += 2 {
			out = append(out, analyze.Message{Src: pairs[i], Dst: pairs[i+1]})
		}
		return out
	}
	tests := []struct {
		name string
		call analyze.Call
		msgs []analyze.Message
		fs   []*analyze.Finding
		want map[string]string
	}{
		{"interconnect termination, SBC without port",
			analyze.Call{SBC: "203.0.113.10", Gateway: "208.78.112.64", Path: analyze.PathInterconnect, Edge: "ashburn-ix"},
			msgs("203.0.113.10:5060", "208.78.112.64:5060"), nil,
			map[string]string{"203.0.113.10:5060": "SBC", "208.78.112.64:5060": "Twilio ashburn-ix"}},
		{"public origination, SBC unknown: the destination of the first message",
			analyze.Call{Direction: analyze.DirOrigination, Gateway: "54.172.60.2", Path: analyze.PathPublic, Edge: "ashburn"},
			msgs("54.172.60.2:5060", "198.51.100.20:5060", "192.0.2.1:5060", "198.51.100.20:5060"), nil,
			map[string]string{"54.172.60.2:5060": "Twilio public · ashburn", "198.51.100.20:5060": "SBC", "192.0.2.1:5060": "other"}},
		{"IPv6, unknown path",
			analyze.Call{SBC: "[2001:db8::1]:5060", Gateway: "2001:db8::2", Path: analyze.PathUnknown},
			msgs("[2001:db8::1]:5060", "[2001:db8::2]:5060"), nil,
			map[string]string{"[2001:db8::1]:5060": "SBC", "[2001:db8::2]:5060": "Twilio gateway"}},
		{"a public peer named by a finding",
			analyze.Call{Direction: analyze.DirTermination, Gateway: "208.78.112.64", Path: analyze.PathPublic, Edge: "ashburn-ix"},
			msgs("203.0.113.10:5060", "208.78.112.64:5060", "203.0.113.10:5060", "54.172.60.0:5060"),
			[]*analyze.Finding{{Rule: "signalling-public-path", Src: "203.0.113.10:5060", Dst: "54.172.60.0:5060"}},
			map[string]string{"203.0.113.10:5060": "SBC", "208.78.112.64:5060": "Twilio public · ashburn-ix", "54.172.60.0:5060": "Twilio public"}},
		{"nothing known", analyze.Call{}, msgs("a", "b"), nil, map[string]string{"a": "other", "b": "other"}},
	}
	for _, tt := range tests {
		got := make(map[string]string)
		for addr, e := range endpointRoles(&tt.call, tt.msgs, tt.fs) {
			got[addr] = e.role
		}
		if len(got) != len(tt.want) {
			t.Errorf("%s: roles %v, want %v", tt.name, got, tt.want)
			continue
		}
		for addr, role := range tt.want {
			if got[addr] != role {
				t.Errorf("%s: %s is %q, want %q", tt.name, addr, got[addr], role)
			}
		}
	}
}

func TestFitText(t *testing.T) {
	long := "public signalling address 2001:db8:85a3:8d3:1319:8a2e:370:7348 port 5060 over udp"
	for _, maxW := range []float64{40, 120, 300, 2000} {
		for _, mono := range []bool{false, true} {
			got := fitText(long, maxW, 12, mono)
			if w := textWidth(got, 12, mono); w > maxW && got != ellipsis && got != "" {
				t.Errorf("fitText(%.0f, mono %v) = %q, %.1f px wide", maxW, mono, got, w)
			}
			if textWidth(long, 12, mono) <= maxW && got != long {
				t.Errorf("fitText(%.0f, mono %v) cut text that fits: %q", maxW, mono, got)
			}
			if got != long && (!strings.HasPrefix(long, strings.Split(got, ellipsis)[0]) || !strings.HasSuffix(long, strings.SplitN(got, ellipsis, 2)[1])) {
				t.Errorf("fitText(%.0f) = %q does not keep the head and tail", maxW, got)
			}
		}
	}
}

func TestPx(t *testing.T) {
	for _, tt := range []struct {
		in   float64
		want string
	}{{0, "0"}, {-0.01, "0"}, {12.34, "12.3"}, {12.35, "12.4"}, {100, "100"}, {-3.26, "-3.3"}} {
		if got := px(tt.in).String(); got != tt.want {
			t.Errorf("px(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTimeTicks(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 14, 0, 0, 300e6, time.UTC)
	tests := []struct {
		span  time.Duration
		first string
		n     int
	}{
		{50 * time.Second, "14:00:10", 5},
		{900 * time.Millisecond, "14:00:00.4", 5},
		{3 * time.Hour, "14:30:00", 6},
		{50 * time.Hour, "03-02 18:00", 8},
	}
	for _, tt := range tests {
		ax := &timeAxis{t0: t0, span: tt.span, x0: 0, x1: 800}
		ticks := ax.ticks(0, 8)
		if len(ticks) != tt.n || ticks[0].Text != tt.first {
			t.Errorf("span %v: %d ticks from %q, want %d from %q", tt.span, len(ticks), ticks[0].Text, tt.n, tt.first)
		}
		for _, tk := range ticks {
			if tk.X < 0 || tk.X > 800 {
				t.Errorf("span %v: tick %q at x %v, outside the axis", tt.span, tk.Text, tk.X)
			}
		}
	}
}

func BenchmarkHTML(b *testing.B) {
	for _, n := range []int{300, 5000} {
		r := busyReport(n, 100)
		b.Run(strconv.Itoa(n)+"-calls", func(b *testing.B) {
			b.ReportAllocs()
			var buf bytes.Buffer
			for b.Loop() {
				buf.Reset()
				if err := (&HTML{opt: Options{}.withDefaults()}).Render(&buf, r); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(int64(buf.Len()))
		})
	}
}

// chromiumPath is Debian's chromium; the browser test needs it.
const chromiumPath = "/usr/bin/chromium"

// chromium runs the headless browser with the flags that keep it from doing anything but
// loading the page, plus args, and returns its standard output.
func chromium(t *testing.T, dir string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + filepath.Join(dir, "profile")}
	cmd := exec.CommandContext(ctx, chromiumPath, append(base, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %s: %v\n%s", strings.Join(args, " "), err, tail(stderr.String(), 2000))
	}
	return stdout.Bytes()
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// pageRequests reads a Chromium net log and returns the URLs of the requests a page made
// (initiated by a document: the browser's own update and account checks have the
// initiator "not an origin").
func pageRequests(t *testing.T, file string) []string {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("net log: %v", err)
	}
	var log struct {
		Constants struct {
			EventTypes map[string]int `json:"logEventTypes"`
		} `json:"constants"`
		Events []struct {
			Type   int `json:"type"`
			Params struct {
				URL       string `json:"url"`
				Initiator string `json:"initiator"`
			} `json:"params"`
		} `json:"events"`
	}
	// Chromium may leave the log without its closing brackets when it exits.
	if err := json.Unmarshal(data, &log); err != nil {
		trimmed := strings.TrimRight(string(data), " \n\r\t,")
		if err2 := json.Unmarshal([]byte(trimmed+"]}"), &log); err2 != nil {
			t.Fatalf("net log: %v", err)
		}
	}
	start, ok := log.Constants.EventTypes["URL_REQUEST_START_JOB"]
	if !ok || len(log.Events) == 0 {
		t.Fatalf("net log %s has no URL_REQUEST_START_JOB type or no events", file)
	}
	var urls []string
	for _, e := range log.Events {
		if e.Type == start && e.Params.URL != "" && e.Params.Initiator != "not an origin" {
			urls = append(urls, e.Params.URL)
		}
	}
	return urls
}

// external returns the URLs that are neither file: nor data:.
func external(urls []string) []string {
	var out []string
	for _, u := range urls {
		if !strings.HasPrefix(u, "file:") && !strings.HasPrefix(u, "data:") {
			out = append(out, u)
		}
	}
	return out
}

// demoReport audits testdata/captures/demo.pcapng from the module root (so that the input
// is named as `ixaudit audit testdata/captures/demo.pcapng` names it) and replays the
// report through JSON, as `ixaudit report --format html saved.json` does.
func demoReport(t *testing.T) *analyze.Report {
	t.Helper()
	const demo = "testdata/captures/demo.pcapng"
	if _, err := os.Stat(filepath.Join("..", demo)); errors.Is(err, os.ErrNotExist) {
		t.Skipf("%s is missing (go run ./testdata/gen -out testdata/captures writes it)", demo)
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir("..")
	defer t.Chdir(wd) // back to the package for the rest of the test
	a := analyze.New(analyze.Config{})
	src, err := capture.Open(demo)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	res, err := a.Audit(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	r := a.Report(analyze.Tool{Name: "ixaudit", Version: "test"}, []*analyze.InputResult{res})
	analyze.Decide(r, analyze.SeverityError)
	var b bytes.Buffer
	if err := (&JSON{}).Render(&b, r); err != nil {
		t.Fatal(err)
	}
	r, err = ReadJSON(&b)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestHTMLChromium opens the report of the demo capture in headless Chromium: the DOM the
// browser built shows the calls with findings, their rules and ladder arrows; the page
// loads nothing from the network (its net log holds no request but file: and data:, and a
// control page with one external image shows that the log would catch it); the hostile
// report's layout fits the window; a screenshot is saved as
// testdata/artefacts/demo-report.png.
func TestHTMLChromium(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("%s is absent: install Debian's chromium package to run the browser test", chromiumPath)
	}
	if testing.Short() {
		t.Skip("the browser test takes seconds; skipped with -short")
	}
	r := demoReport(t)
	if !r.Summary.Failed || len(r.Findings) == 0 {
		t.Fatalf("the demo capture should fail with findings: failed %v, %d findings", r.Summary.Failed, len(r.Findings))
	}
	artefacts := filepath.Join("..", "testdata", "artefacts")
	if err := os.MkdirAll(artefacts, 0o755); err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(artefacts, "demo-report.html")
	if err := os.WriteFile(page, renderHTML(t, r, Options{}), 0o644); err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs(page)
	if err != nil {
		t.Fatal(err)
	}
	url := "file://" + filepath.ToSlash(abs)
	dir := t.TempDir()

	// The DOM, and the net log of the same load.
	netLog := filepath.Join(dir, "net.json")
	dom := chromium(t, dir, "--log-net-log="+netLog, "--dump-dom", url)
	doc, err := html.Parse(bytes.NewReader(dom))
	if err != nil {
		t.Fatalf("parse the DOM: %v", err)
	}
	text := textOf(doc)
	wantArrows := 0
	for i := range r.Calls {
		c := &r.Calls[i]
		if c.Findings == 0 {
			continue
		}
		wantArrows += min(len(c.Messages), htmlMaxArrows)
		if !strings.Contains(text, c.CallID) {
			t.Errorf("the DOM does not show the Call-ID %s", c.CallID)
		}
		if article(doc, i+1) == nil {
			t.Errorf("the DOM has no section for call %d, %s", i+1, c.CallID)
		}
	}
	for i := range r.Findings {
		if rule := r.Findings[i].Rule; !strings.Contains(text, rule) {
			t.Errorf("the DOM does not show the rule %s", rule)
		}
	}
	if got := len(byClass(doc, "arrow")); got != wantArrows || got == 0 {
		t.Errorf("the DOM has %d ladder arrows, want %d", got, wantArrows)
	}
	if v := verdictOf(r); !strings.Contains(text, v.Status) || !strings.Contains(text, v.Detail) {
		t.Errorf("the DOM does not show the verdict %q", v)
	}
	urls := pageRequests(t, netLog)
	if ext := external(urls); len(ext) > 0 {
		t.Errorf("the page requested %q", ext)
	}

	// The control: a page with one external image is caught by the same check.
	control := filepath.Join(dir, "control.html")
	if err := os.WriteFile(control, []byte(`<!DOCTYPE html><title>control</title><img src="http://127.0.0.1:9/ixaudit-control.png" alt="">`), 0o644); err != nil {
		t.Fatal(err)
	}
	controlLog := filepath.Join(dir, "control.json")
	chromium(t, dir, "--log-net-log="+controlLog, "--dump-dom", "file://"+filepath.ToSlash(control))
	if ext := external(pageRequests(t, controlLog)); len(ext) != 1 || !strings.Contains(ext[0], "ixaudit-control.png") {
		t.Errorf("the net log check does not see the control page's image: %q", ext)
	}

	// The layout holds with hostile values: nothing but a table's scroll box is wider than
	// the window. The script is added to a copy for the test; the page itself has none.
	const measure = `<script>
const W = document.documentElement.clientWidth, wide = [];
for (const e of document.querySelectorAll("main *")) {
  if (e.closest(".table-wrap")) continue;
  const r = e.getBoundingClientRect();
  if (r.right > W + 1) wide.push(e.tagName + "." + (e.getAttribute("class") || ""));
}
document.body.setAttribute("data-layout", JSON.stringify({width: W, scroll: document.documentElement.scrollWidth, wide: wide.slice(0, 10)}));
</script></body>`
	for _, width := range []string{"1280", "700"} {
		hostile := filepath.Join(dir, "hostile.html")
		page := strings.Replace(string(renderHTML(t, hostileReport(), Options{AllCalls: true})), "</body>", measure, 1)
		if err := os.WriteFile(hostile, []byte(page), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := html.Parse(bytes.NewReader(chromium(t, dir, "--window-size="+width+",1000", "--dump-dom", "file://"+filepath.ToSlash(hostile))))
		if err != nil {
			t.Fatal(err)
		}
		var layout struct {
			Width, Scroll int
			Wide          []string
		}
		v, _ := attr(elements(out, "body")[0], "data-layout")
		if err := json.Unmarshal([]byte(v), &layout); err != nil || layout.Width == 0 {
			t.Fatalf("window %s: no layout measured (%q): %v", width, v, err)
		}
		if layout.Scroll > layout.Width || len(layout.Wide) > 0 {
			t.Errorf("window %s: the hostile report is %d px wide in a %d px window; too wide: %q",
				width, layout.Scroll, layout.Width, layout.Wide)
		}
	}

	// The screenshot.
	shot := filepath.Join(artefacts, "demo-report.png")
	_ = os.Remove(shot)
	chromium(t, dir, "--screenshot="+shot, "--window-size=1280,2000", "--hide-scrollbars", url)
	f, err := os.Open(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("the screenshot is no PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 1280 || b.Dy() != 2000 {
		t.Errorf("the screenshot is %v, want 1280×2000", b.Size())
	}
	// A blank page is one colour: the report has text, bars and a red banner.
	colours := make(map[uint32]bool)
	for y := 0; y < img.Bounds().Dy(); y += 7 {
		for x := 0; x < img.Bounds().Dx(); x += 7 {
			r, g, b, _ := img.At(x, y).RGBA()
			colours[r>>8<<16|g>>8<<8|b>>8] = true
		}
	}
	if len(colours) < 50 {
		t.Errorf("the screenshot has %d colours: the page did not render", len(colours))
	}
	t.Logf("screenshot: %s", shot)
}

// The HTML fixtures: hand-built reports for what only the HTML format draws (ladders with
// many messages, several endpoints, findings on messages and streams, hostile strings).
// They are saved as testdata/html/<name>.json (rewritten by -update) and replayed from
// there, like the fixtures of the other formats.

// htmlFixtureNames are the HTML fixtures, in test order.
var htmlFixtureNames = []string{"ladder"}

func htmlFixtures() map[string]*analyze.Report {
	return map[string]*analyze.Report{"ladder": ladderReport()}
}

// hostileCallID is a Call-ID that tries to inject markup and drive a terminal.
const hostileCallID = "evil-<script>alert(\"x\")</script>-\x1b[31m@203.0.113.10"

// htmlAt is the RFC 3339 time ms milliseconds after 2026-03-02T14:00:00Z.
func htmlAt(ms int) string {
	return time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC).Add(time.Duration(ms) * time.Millisecond).Format("2006-01-02T15:04:05.000000Z")
}

// ladderReport: three inputs (one truncated, one unreadable) and four calls:
//  1. a termination that failed over from the ashburn-ix gateway to a public one, with a
//     hostile Call-ID and display name, 83 SIP messages kept of 90 (more than a ladder
//     draws; its last message is flagged), findings on messages, on a stream and on a
//     packet that is neither;
//  2. an IPv6 call on Interconnect with a message to itself, an SRTP stream, an info
//     finding and a known warning;
//  3. an origination on an unknown path whose messages were not kept;
//  4. a clean call through a proxy, drawn only with AllCalls.
func ladderReport() *analyze.Report {
	const (
		inA     = "sbc-a.pcapng"
		inB     = "sbc-b.pcap"
		sbc     = "203.0.113.10:5060"
		ixGw    = "208.78.112.64:5060"
		pubGw   = "54.172.60.0:5060"
		sbc6    = "[2001:db8:1::10]:5060"
		gw6     = "[2001:db8:2::64]:5060"
		proxy   = "192.0.2.99:5060"
		pubHost = "sip:+14155550101@mytrunk.pstn.twilio.com"
	)
	msg := func(pkt, ms int, src, dst, label, cseq string, sdp bool) analyze.Message {
		return analyze.Message{Packet: pkt, Time: htmlAt(ms), Src: src, Dst: dst, Transport: "udp", Label: label, CSeq: cseq, SDP: sdp}
	}
	find := func(rule string, sev analyze.Severity, call, input string, pkt, ms int, src, dst, msg, ev string) analyze.Finding {
		return analyze.Finding{Rule: rule, Severity: sev, CallID: call, Input: input, Packet: pkt, Time: htmlAt(ms),
			Src: src, Dst: dst, Transport: "udp", Message: msg, Evidence: ev, Key: rule + "|" + ev}
	}

	// Call 1: three unanswered INVITEs to Interconnect, then the public gateway, then 37
	// session refreshes (UPDATE, 200) and a BYE.
	var failover []analyze.Message
	for i := range 3 {
		failover = append(failover, msg(10+i, 500*(1<<i)-500, sbc, ixGw, "INVITE", "1 INVITE", true))
	}
	failover = append(failover,
		msg(20, 4000, sbc, pubGw, "INVITE", "2 INVITE", true),
		msg(21, 4020, pubGw, sbc, "100 Trying", "2 INVITE", false),
		msg(22, 4300, pubGw, sbc, "180 Ringing", "2 INVITE", false),
		msg(25, 6100, pubGw, sbc, "200 OK", "2 INVITE", true),
		msg(26, 6130, sbc, pubGw, "ACK", "2 ACK", false),
	)
	for i := range 37 {
		pkt, ms := 100+20*i, 8000+1000*i
		cseq := fmt.Sprintf("%d UPDATE", 3+i)
		failover = append(failover, msg(pkt, ms, sbc, pubGw, "UPDATE", cseq, false), msg(pkt+1, ms+25, pubGw, sbc, "200 OK", cseq, false))
	}
	failover = append(failover, msg(900, 46000, sbc, pubGw, "BYE", "40 BYE", false))

	calls := []analyze.Call{
		{
			CallID: hostileCallID, Direction: analyze.DirTermination, Path: analyze.PathPublic,
			Edge: "ashburn", Gateway: "54.172.60.0", Input: inA, FirstPacket: 10,
			Start: htmlAt(0), End: htmlAt(46030), FinalStatus: 200, SIPMessages: 90,
			From:       `"Bob \"<img src=x onerror=alert(1)>\"" <sip:+14155550100@203.0.113.10>;tag=1`,
			To:         "<" + pubHost + ">",
			RequestURI: pubHost, SBC: sbc, Transport: "udp", MediaStreams: 2,
			Findings: 6, Rules: []string{"media-address-outside-range", "media-port-outside-range", "signalling-port", "signalling-public-path", "uri-public-host"},
			Messages: failover,
		},
		{
			CallID: "v6-call@2001:db8:1::10", Direction: analyze.DirTermination, Path: analyze.PathInterconnect,
			Edge: "ashburn-ix", Gateway: "2001:db8:2::64", Input: inA, FirstPacket: 2000,
			Start: htmlAt(20000), End: htmlAt(31000), FinalStatus: 200, SIPMessages: 4,
			RequestURI: "sip:+14155550102@mytrunk.pstn.ashburn-ix.twilio.com;region=us1-ix", SBC: sbc6,
			Transport: "udp", MediaStreams: 1, Findings: 2, Rules: []string{"uri-region-param", "uri-tnx-deprecated"},
			Messages: []analyze.Message{
				msg(2000, 20000, sbc6, gw6, "INVITE", "1 INVITE", true),
				msg(2001, 20900, gw6, sbc6, "200 OK", "1 INVITE", true),
				msg(2002, 20950, sbc6, sbc6, "ACK", "1 ACK", false),
				msg(2003, 31000, gw6, sbc6, "BYE", "2 BYE", false),
			},
		},
		{
			CallID: "no-messages@198.51.100.20", Direction: analyze.DirOrigination, Path: analyze.PathUnknown,
			Input: inB, FirstPacket: 7, Start: htmlAt(35000), SIPMessages: 3, Findings: 1,
			Rules: []string{"signalling-unknown-peer"},
		},
		{
			CallID: "via-proxy@203.0.113.10", Direction: analyze.DirTermination, Path: analyze.PathInterconnect,
			Edge: "ashburn-ix", Gateway: "208.78.112.65", Input: inB, FirstPacket: 40,
			Start: htmlAt(36000), End: htmlAt(39000), FinalStatus: 486, SIPMessages: 4, SBC: "203.0.113.10",
			Messages: []analyze.Message{
				msg(40, 36000, sbc, proxy, "INVITE", "1 INVITE", true),
				msg(41, 36010, proxy, "208.78.112.65:5060", "INVITE", "1 INVITE", true),
				msg(42, 38990, "208.78.112.65:5060", proxy, "486 Busy Here", "1 INVITE", false),
				msg(43, 39000, proxy, sbc, "486 Busy Here", "1 INVITE", false),
			},
		},
	}
	streams := []analyze.Stream{
		{Src: "203.0.113.10:20000", Dst: "54.172.61.10:12000", SSRC: "0x11111111", CallID: hostileCallID, Input: inA,
			Packets: 1900, Lost: 12, JitterMeanMs: 0.9, JitterMaxMs: 4.25, Codec: "PCMU", MOS: 4.2, FirstPacket: 27, Announced: true},
		{Src: "54.172.61.10:12000", Dst: "203.0.113.10:20000", SSRC: "0x22222222", CallID: hostileCallID, Input: inA,
			Packets: 1890, Lost: 0, JitterMeanMs: 1.4, JitterMaxMs: 9.8, Codec: "PCMU", MOS: 4.35, FirstPacket: 28, Announced: true},
		{Src: "[2001:db8:2::77]:30000", Dst: "[2001:db8:1::10]:40000", SSRC: "0x33333333", CallID: "v6-call@2001:db8:1::10", Input: inA,
			Packets: 500, Lost: 3, JitterMeanMs: 0.5, JitterMaxMs: 1.5, Codec: "G722", MOS: 4.1, FirstPacket: 2005, SRTP: true,
			Announced: false, RTCPLost: intp(3), RTCPJitterMs: f64(0.6)},
		{Src: "203.0.113.10:22000", Dst: "168.86.130.2:14000", SSRC: "0x44444444", Input: inB, Packets: 50, Codec: "PCMU", Announced: false},
	}
	findings := []analyze.Finding{
		find("signalling-public-path", analyze.SeverityError, hostileCallID, inA, 20, 4000, sbc, pubGw,
			"SIP was exchanged with Twilio's public gateway 54.172.60.0 (edge ashburn): the internet, not Interconnect",
			"public signalling address 54.172.60.0:5060"),
		find("uri-public-host", analyze.SeverityError, hostileCallID, inA, 20, 4000, sbc, pubGw,
			"the termination host mytrunk.pstn.twilio.com is a Twilio public host: the call is routed over the internet",
			"Request-URI host mytrunk.pstn.twilio.com\"><img src=http://evil.example/x.png>"),
		find("media-address-outside-range", analyze.SeverityError, hostileCallID, inA, 27, 6150, "203.0.113.10:20000", "54.172.61.10:12000",
			"media was exchanged with an address outside Twilio's Interconnect media range", "Twilio-side media address 54.172.61.10:12000"),
		find("media-port-outside-range", analyze.SeverityError, hostileCallID, inA, 4711, 9000, "54.172.61.10:12001", "203.0.113.10:20001",
			"RTCP was exchanged with a port outside Twilio's media port range", "Twilio-side media port 54.172.61.10:12001"),
		find("signalling-port", analyze.SeverityWarning, hostileCallID, inA, 900, 46000, sbc, pubGw,
			"SIP was sent to a port Twilio does not use for this transport", "udp/5060 "+string(rune(0x9b))+"2J"),
		find("uri-region-param", analyze.SeverityInfo, "v6-call@2001:db8:1::10", inA, 2000, 20000, sbc6, gw6,
			"the Request-URI carries a region parameter, which Interconnect ignores", "region=us1-ix"),
		{Rule: "uri-tnx-deprecated", Severity: analyze.SeverityWarning, CallID: "v6-call@2001:db8:1::10", Input: inA,
			Packet: 2000, Time: htmlAt(20000), Src: sbc6, Dst: gw6, Transport: "udp",
			Message: "the tnx parameter is deprecated", Evidence: "tnx=1", Key: "uri-tnx-deprecated|tnx", Known: true},
		find("signalling-unknown-peer", analyze.SeverityWarning, "no-messages@198.51.100.20", inB, 7, 35000, "192.0.2.50:5060", "198.51.100.20:5060",
			"SIP was exchanged with a peer that is no Twilio gateway", "peer 192.0.2.50:5060"),
		{Rule: "capture-truncated", Severity: analyze.SeverityError, Input: inA, Packet: 5000, Time: htmlAt(60000),
			Message: "the capture ends in the middle of a record", Evidence: inA + ": record 5001 at byte offset 812345: capture ends after 60 of 394 packet bytes",
			Key: "capture-truncated"},
	}
	return &analyze.Report{
		Version: 1, Tool: tool(), Rules: rulesInfo(),
		Inputs: []analyze.Input{
			{Name: inA, Packets: 5000, LinkTypes: []string{"ethernet"}, Truncated: true},
			{Name: inB, Packets: 200, LinkTypes: []string{"linux-sll"}},
			{Name: "notes.txt", Error: "notes.txt: not a capture file (no pcap or pcapng magic)"},
		},
		Summary: analyze.Summary{
			Packets: 5200, SIPMessages: 101, Calls: 4, RTPStreams: 4,
			Errors: 5, Warnings: 3, Infos: 1, Known: 1,
			CallsByPath:  map[analyze.Path]int{analyze.PathInterconnect: 2, analyze.PathPublic: 1, analyze.PathUnknown: 1},
			CallsByEdge:  map[string]int{"ashburn-ix": 2, "ashburn": 1, "": 1},
			EvidenceGaps: map[string]int{"tcp-gap": 12, "kernel-drops": 40, "cut-by-snaplen": 3},
			PacketUse:    map[string]int{"sip": 101, "rtp": 4340, "rtcp": 40, "other": 704},
			FailOn:       analyze.SeverityError, Failed: true,
		},
		Calls:    calls,
		Streams:  streams,
		Findings: findings,
	}
}

// busyReport is a capture of n calls, one starting every 700 ms and lasting 20 s, every
// leakedEvery-th of them on the public path with a finding. Each call has the 7 messages
// of a basic call and two streams.
func busyReport(n, leakedEvery int) *analyze.Report {
	r := &analyze.Report{
		Version: 1, Tool: tool(), Rules: rulesInfo(),
		Inputs: []analyze.Input{{Name: "busy.pcapng", Packets: n * 500, LinkTypes: []string{"ethernet"}}},
		Summary: analyze.Summary{
			Packets: n * 500, SIPMessages: n * 7, Calls: n, RTPStreams: 2 * n,
			CallsByPath:  map[analyze.Path]int{},
			CallsByEdge:  map[string]int{},
			EvidenceGaps: map[string]int{},
			FailOn:       analyze.SeverityError,
		},
		Findings: []analyze.Finding{},
	}
	labels := []string{"INVITE", "100 Trying", "180 Ringing", "200 OK", "ACK", "BYE", "200 OK"}
	offsets := []int{0, 20, 300, 2000, 2030, 20000, 20030}
	for i := range n {
		id := fmt.Sprintf("call-%05d@203.0.113.10", i)
		start := 700 * i
		c := analyze.Call{CallID: id, Direction: analyze.DirTermination, Path: analyze.PathInterconnect,
			Edge: "ashburn-ix", Gateway: "208.78.112.64", FirstPacket: 500*i + 1, Start: htmlAt(start), End: htmlAt(start + 20030),
			FinalStatus: 200, SIPMessages: 7, SBC: "203.0.113.10:5060", Transport: "udp", MediaStreams: 2}
		gw := "208.78.112.64:5060"
		if leakedEvery > 0 && i%leakedEvery == leakedEvery-1 {
			c.Path, c.Edge, c.Gateway, gw = analyze.PathPublic, "ashburn", "54.172.60.1", "54.172.60.1:5060"
			c.Findings, c.Rules = 1, []string{"signalling-public-path"}
			r.Findings = append(r.Findings, analyze.Finding{Rule: "signalling-public-path", Severity: analyze.SeverityError,
				CallID: id, Input: "busy.pcapng", Packet: c.FirstPacket, Time: c.Start, Src: c.SBC, Dst: gw, Transport: "udp",
				Message: "SIP was exchanged with Twilio's public gateway", Evidence: "public signalling address " + gw,
				Key: "signalling-public-path|54.172.60.1"})
			r.Summary.Errors++
			r.Summary.Failed = true
		}
		for j, l := range labels {
			src, dst := c.SBC, gw
			if j == 1 || j == 2 || j == 3 || j == 6 {
				src, dst = dst, src
			}
			c.Messages = append(c.Messages, analyze.Message{Packet: c.FirstPacket + j, Time: htmlAt(start + offsets[j]),
				Src: src, Dst: dst, Transport: "udp", Label: l, SDP: j == 0 || j == 3})
		}
		r.Calls = append(r.Calls, c)
		r.Summary.CallsByPath[c.Path]++
		r.Summary.CallsByEdge[c.Edge]++
		for k := range 2 {
			r.Streams = append(r.Streams, analyze.Stream{Src: fmt.Sprintf("203.0.113.10:%d", 20000+2*i), Dst: "168.86.130.17:14562",
				SSRC: fmt.Sprintf("0x%08x", 2*i+k), CallID: id, Packets: 2250, JitterMeanMs: 0.4, JitterMaxMs: 1.2,
				Codec: "PCMU", MOS: 4.41, Announced: true})
		}
	}
	return r
}
