package report

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// TestAppendIndent compares appendIndent with encoding/json's Indent on hand-made
// documents and on every JSON file of the repository's test data, compacted.
func TestAppendIndent(t *testing.T) {
	docs := []string{
		`{}`, `[]`, `{"a":[]}`, `{"a":{}}`, `[1,2,[3,{"b":null}],[]]`, `"x"`, `12.5e-3`, `true`,
		`{"s":"a\"b\\","t":"{[,:]}","u":"\u00e9\n"}`, `{"":""}`, `[[[[]]]]`, `[{},{}]`,
		`{"k":"\\"}`, `{"k":"\\\\\""}`,
	}
	var files []string
	for _, pattern := range []string{"testdata/*.json", "testdata/*/*.json", "../testdata/captures/*.json", "../cmd/ixaudit/testdata/*/*.json"} {
		m, _ := filepath.Glob(pattern)
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Fatal("no JSON test data found")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var c bytes.Buffer
		if json.Compact(&c, b) == nil {
			docs = append(docs, c.String())
		}
	}
	for _, doc := range docs {
		for _, pi := range [][2]string{{"", "  "}, {"    ", "  "}, {">", "\t"}} {
			var want bytes.Buffer
			if err := json.Indent(&want, []byte(doc), pi[0], pi[1]); err != nil {
				t.Fatalf("json.Indent(%.60q): %v", doc, err)
			}
			if got := appendIndent(nil, []byte(doc), pi[0], pi[1]); !bytes.Equal(got, want.Bytes()) {
				t.Errorf("appendIndent(%.60q, %q, %q):\n got %.200q\nwant %.200q", doc, pi[0], pi[1], got, want.Bytes())
			}
		}
	}
	t.Logf("%d documents compared", len(docs))
}
