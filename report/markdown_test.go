package report

import (
	"bytes"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/ixaudit/ixaudit/analyze"
)

// gfm renders Markdown to HTML with cmark-gfm and its table extension; the test is
// skipped without it. Raw HTML passes through (as GitHub lets <details> through).
func gfm(t *testing.T, md []byte) string {
	t.Helper()
	path, err := exec.LookPath("cmark-gfm")
	if err != nil {
		t.Skip("cmark-gfm not installed (apt-get install cmark-gfm): Markdown rendering test skipped")
	}
	cmd := exec.Command(path, "--extension", "table", "--unsafe")
	cmd.Stdin = bytes.NewReader(md)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("cmark-gfm: %v", err)
	}
	return string(out)
}

func renderMarkdown(t *testing.T, r *analyze.Report, opt Options) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := (&Markdown{opt: opt.withDefaults()}).Render(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

var (
	tableRE  = regexp.MustCompile(`(?s)<table>.*?</table>`)
	rowRE    = regexp.MustCompile(`(?s)<tr>.*?</tr>`)
	cellRE   = regexp.MustCompile(`<t[hd][ >]`)
	delimRow = regexp.MustCompile(`(?m)^\|(-+:?|:?-+:?)\|`)
)

// checkTables checks that every Markdown table became an HTML table and that every row
// has as many cells as the header: no value broke the table apart.
func checkTables(t *testing.T, name string, md []byte, html string) {
	t.Helper()
	want := len(delimRow.FindAll(md, -1))
	tables := tableRE.FindAllString(html, -1)
	if len(tables) != want {
		t.Errorf("%s: %d Markdown tables became %d HTML tables", name, want, len(tables))
	}
	for i, tbl := range tables {
		rows := rowRE.FindAllString(tbl, -1)
		header := len(cellRE.FindAllString(rows[0], -1))
		for j, row := range rows[1:] {
			if n := len(cellRE.FindAllString(row, -1)); n != header {
				t.Errorf("%s: table %d row %d has %d cells, header %d:\n%s", name, i, j+1, n, header, row)
			}
		}
	}
}

// TestMarkdownRenders renders each fixture with cmark-gfm: the tables are tables, the
// details are collapsed, and the verdict is bold.
func TestMarkdownRenders(t *testing.T) {
	for name, r := range fixtures() {
		md := renderMarkdown(t, r, Options{})
		html := gfm(t, md)
		checkTables(t, name, md, html)
		if !strings.Contains(html, "<h3><strong>") {
			t.Errorf("%s: the verdict is not a heading with a bold status:\n%.200s", name, html)
		}
		if len(r.Findings) > 0 && !strings.Contains(html, "<details>") {
			t.Errorf("%s: no <details> for the examples", name)
		}
	}
}

// TestMarkdownHostile: values full of Markdown and HTML syntax stay inside their cells and
// never become markup.
func TestMarkdownHostile(t *testing.T) {
	r := hostileReport()
	md := renderMarkdown(t, r, Options{AllCalls: true})
	html := gfm(t, md)
	checkTables(t, "hostile", md, html)
	for _, bad := range []string{"<script>", "<b>", "\x1b"} {
		if strings.Contains(html, bad) {
			t.Errorf("rendered HTML holds %q", bad)
		}
	}
	if !strings.Contains(html, "&lt;script&gt;alert(1)&lt;/script&gt; | ``x``") {
		t.Errorf("evidence is not shown verbatim in its code span")
	}
}

func TestCodeSpan(t *testing.T) {
	tests := []struct {
		in      string
		inTable bool
		want    string
	}{
		{"plain", true, "`plain`"},
		{"", true, "-"},
		{"a|b", true, "`a\\|b`"},
		{"a|b", false, "`a|b`"},
		{"x`y", false, "``x`y``"},
		{"``x", false, "``` ``x ```"},
		{"line\nbreak", false, "`line break`"},
	}
	for _, tt := range tests {
		if got := codeSpan(tt.in, tt.inTable); got != tt.want {
			t.Errorf("codeSpan(%q, %v) = %q, want %q", tt.in, tt.inTable, got, tt.want)
		}
	}
}

func TestMdText(t *testing.T) {
	for in, want := range map[string]string{
		"plain text":         "plain text",
		"a|b <i>*c*</i> [d]": `a\|b \<i\>\*c\*\</i\> \[d\]`,
		"&amp; #1 _x_ ~y~ !": `\&amp; \#1 \_x\_ \~y\~ \!`,
	} {
		if got := mdText(in); got != want {
			t.Errorf("mdText(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestMarkdownCallsCapped: a PR comment lists at most maxMarkdownCalls calls.
func TestMarkdownCallsCapped(t *testing.T) {
	r := passReport()
	call := r.Calls[0]
	r.Calls = nil
	for i := 0; i < maxMarkdownCalls+7; i++ {
		r.Calls = append(r.Calls, call)
	}
	md := string(renderMarkdown(t, r, Options{AllCalls: true}))
	if n := strings.Count(md, "| `5a1c8e3f7b2d4e6a@198.51.100.10` |"); n != maxMarkdownCalls {
		t.Errorf("%d calls listed, want %d", n, maxMarkdownCalls)
	}
	if !strings.Contains(md, "… and 7 more calls (the JSON report lists them all)") {
		t.Error("the calls left out are not counted")
	}
}
