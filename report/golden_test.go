package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/olekukonko/tablewriter/pkg/twwidth"

	"github.com/ixaudit/ixaudit/analyze"
)

// update rewrites the fixtures and golden files: go test ./report -update
var update = flag.Bool("update", false, "rewrite testdata fixtures and golden files")

// TestMain measures text as a non-CJK terminal does, whatever the tester's locale, so that
// the golden tables do not depend on it (tablewriter counts "…" and "─" as two columns
// under a CJK locale, and so does the table renderer there).
func TestMain(m *testing.M) {
	twwidth.SetEastAsian(false)
	os.Exit(m.Run())
}

// goldenFormats are the renderings compared with golden files: a name, the New arguments,
// and the golden file's extension.
var goldenFormats = []struct {
	name, format, ext string
	opt               Options
}{
	{"table", "table", "txt", Options{}},
	{"table-color", "table", "color.txt", Options{Color: true}},
	{"table-all", "table", "all.txt", Options{AllCalls: true, MaxExamples: 1}},
	{"json", "json", "json", Options{}},
	{"junit", "junit", "xml", Options{}},
	{"junit-warning", "junit", "warning.xml", Options{FailOn: analyze.SeverityWarning}},
	{"markdown", "markdown", "md", Options{}},
}

// TestFixturesJSON checks that each fixture file is the JSON rendering of its Go value, so
// the files cannot drift from the code that documents them.
func TestFixturesJSON(t *testing.T) {
	for name, r := range fixtures() {
		var b bytes.Buffer
		if err := (&JSON{}).Render(&b, r); err != nil {
			t.Fatalf("%s: Render: %v", name, err)
		}
		checkGolden(t, filepath.Join("testdata", name+".json"), b.Bytes())
	}
}

// TestGolden replays each fixture from its JSON file into every format and compares the
// output with testdata/golden/<fixture>.<ext>.
func TestGolden(t *testing.T) {
	for _, name := range fixtureNames {
		for _, gf := range goldenFormats {
			t.Run(name+"/"+gf.name, func(t *testing.T) {
				r := readFixture(t, name)
				ren, err := New(gf.format, gf.opt)
				if err != nil {
					t.Fatal(err)
				}
				var b bytes.Buffer
				if err := ren.Render(&b, r); err != nil {
					t.Fatalf("Render: %v", err)
				}
				checkGolden(t, filepath.Join("testdata", "golden", name+"."+gf.ext), b.Bytes())
			})
		}
	}
}

// readFixture replays testdata/<name>.json.
func readFixture(t *testing.T, name string) *analyze.Report {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name+".json"))
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

// checkGolden compares got with the file at path, or rewrites it with -update.
func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./report -update to write it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs from the output (-want +got); if the change is intended, run go test ./report -update:\n%s", path, diff)
	}
}
