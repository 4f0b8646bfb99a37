package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/ixaudit/ixaudit/analyze"
)

func renderJSON(t testing.TB, r *analyze.Report) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := (&JSON{}).Render(&b, r); err != nil {
		t.Fatalf("JSON.Render: %v", err)
	}
	return b.Bytes()
}

// TestJSONRoundTrip: ReadJSON(JSON(r)) equals r (nil and empty slices and maps being the
// same thing), and rendering the result again gives the same bytes.
func TestJSONRoundTrip(t *testing.T) {
	for name, r := range fixtures() {
		first := renderJSON(t, r)
		back, err := ReadJSON(bytes.NewReader(first))
		if err != nil {
			t.Fatalf("%s: ReadJSON: %v", name, err)
		}
		if diff := cmp.Diff(r, back, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s: ReadJSON(JSON(r)) differs from r (-want +got):\n%s", name, diff)
		}
		if second := renderJSON(t, back); !bytes.Equal(first, second) {
			t.Errorf("%s: JSON is not stable across a round trip:\n%s", name, cmp.Diff(string(first), string(second)))
		}
	}
}

// TestJSONNoNull: nil slices and maps of the contract render as [] and {}, and the
// caller's report keeps its nil fields.
func TestJSONNoNull(t *testing.T) {
	r := &analyze.Report{Version: 1, Tool: tool(), Inputs: []analyze.Input{{Name: "x.pcap"}}}
	out := string(renderJSON(t, r))
	if strings.Contains(out, "null") {
		t.Errorf("JSON holds null:\n%s", out)
	}
	for _, want := range []string{`"calls": []`, `"streams": []`, `"findings": []`, `"link_types": []`,
		`"calls_by_path": {}`, `"evidence_gaps": {}`} {
		if !strings.Contains(out, want) {
			t.Errorf("JSON lacks %s:\n%s", want, out)
		}
	}
	if r.Calls != nil || r.Inputs[0].LinkTypes != nil || r.Summary.CallsByPath != nil {
		t.Error("Render modified the report")
	}
	if _, err := ReadJSON(strings.NewReader(out)); err != nil {
		t.Errorf("ReadJSON of a minimal report: %v", err)
	}
}

// TestJSONIndent: two-space indentation, a final newline, and no HTML escaping of the
// angle brackets that SIP headers are full of.
func TestJSONIndent(t *testing.T) {
	out := string(renderJSON(t, failReport()))
	if !strings.HasPrefix(out, "{\n  \"version\": 1,\n") || !strings.HasSuffix(out, "}\n") {
		t.Errorf("JSON is not 2-space indented with a final newline:\n%.200s", out)
	}
	if !strings.Contains(out, `"from": "<sip:`) {
		t.Errorf("JSON escapes < in SIP headers")
	}
}

func TestReadJSONErrors(t *testing.T) {
	valid := string(renderJSON(t, passReport()))
	replace := func(old, new string) string {
		if !strings.Contains(valid, old) {
			t.Fatalf("fixture lacks %q", old)
		}
		return strings.Replace(valid, old, new, 1)
	}
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", "unexpected end"},
		{"not an object", "PK\x03\x04", "not a JSON object"},
		{"syntax", "{\n  \"version\": 1,\n  oops\n}", "line 3, column 3: invalid character 'o'"},
		{"array", " [1]", "not a JSON object"},
		{"version 2", replace(`"version": 1`, `"version": 2`), "version 2, want 1"},
		{"version string", replace(`"version": 1`, `"version": "1"`), `version "1", want 1`},
		{"no version", replace(`"version": 1,`, ``), `missing "version"`},
		{"no findings", replace(`,
  "findings": []`, ``), `missing "findings"`},
		{"null calls", replace(`"calls": [`, `"calls": null, "x": [`), `missing "calls"`},
		{"no evidence gaps", replace(`"evidence_gaps": {`, `"gaps": {`), `summary: missing "evidence_gaps"`},
		{"bad type", replace(`"packets": 1840,`, `"packets": "many",`), "inputs.packets holds a JSON string, want int"},
		{"bad path", replace(`"path": "interconnect"`, `"path": "internet"`), `path "internet"`},
		{"bad severity", strings.Replace(string(renderJSON(t, failReport())), `"severity": "error"`, `"severity": "fatal"`, 1), `severity "fatal"`},
		{"trailing data", valid + "{}", "after top-level value"},
		{"empty call id", replace(`"call_id": "5a1c8e3f7b2d4e6a@198.51.100.10",
      "direction"`, `"call_id": "",
      "direction"`), "call_id is empty"},
		{"no tool name", replace(`"name": "ixaudit"`, `"name": ""`), "tool.name is empty"},
	}
	for _, tt := range tests {
		r, err := ReadJSON(strings.NewReader(tt.in))
		if err == nil {
			t.Errorf("%s: ReadJSON gave a report and no error", tt.name)
			continue
		}
		if r != nil {
			t.Errorf("%s: ReadJSON gave a report with its error", tt.name)
		}
		if !errors.Is(err, ErrNotReport) {
			t.Errorf("%s: error %q does not wrap ErrNotReport", tt.name, err)
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %q does not say %q", tt.name, err, tt.want)
		}
	}
}

func TestReadJSONTooLarge(t *testing.T) {
	defer func(n int64) { maxJSONSize = n }(maxJSONSize)
	valid := renderJSON(t, passReport())
	maxJSONSize = int64(len(valid))
	if _, err := ReadJSON(bytes.NewReader(valid)); err != nil {
		t.Errorf("a report of exactly the limit: %v", err)
	}
	maxJSONSize = int64(len(valid)) - 1
	if _, err := ReadJSON(bytes.NewReader(valid)); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("a report over the limit: err = %v, want larger than", err)
	}
}

// TestReadJSONUnknownFields: fields added by later versions are ignored.
func TestReadJSONUnknownFields(t *testing.T) {
	in := strings.Replace(string(renderJSON(t, passReport())), `"version": 1,`, `"version": 1, "future": {"x": [1, 2]},`, 1)
	if _, err := ReadJSON(strings.NewReader(in)); err != nil {
		t.Errorf("ReadJSON with an unknown field: %v", err)
	}
}

// FuzzReadJSON: whatever ReadJSON accepts renders in every format, and its JSON is a fixed
// point (render, read, render gives the same bytes).
func FuzzReadJSON(f *testing.F) {
	// Small compact seeds: the fuzzer minimises every interesting input, and minimising the
	// indented fixtures takes longer than a fuzz run.
	small := failReport()
	small.Inputs = small.Inputs[1:]
	small.Calls = small.Calls[2:]
	small.Findings = small.Findings[len(small.Findings)-3:]
	small.Summary.CallsByEdge = map[string]int{"": 1}
	for _, r := range []*analyze.Report{emptyReport(), small} {
		var b bytes.Buffer
		if err := json.Compact(&b, renderJSON(f, r)); err != nil {
			f.Fatal(err)
		}
		f.Add(b.Bytes())
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ReadJSON(bytes.NewReader(data))
		if err != nil {
			if r != nil || !errors.Is(err, ErrNotReport) {
				t.Fatalf("ReadJSON error %v (report %v) does not wrap ErrNotReport", err, r != nil)
			}
			return
		}
		first := renderJSON(t, r)
		back, err := ReadJSON(bytes.NewReader(first))
		if err != nil {
			t.Fatalf("ReadJSON of rendered JSON: %v\n%s", err, first)
		}
		if second := renderJSON(t, back); !bytes.Equal(first, second) {
			t.Fatalf("JSON not stable:\n%s", cmp.Diff(string(first), string(second)))
		}
		for _, format := range []string{"table", "junit", "markdown"} {
			ren, _ := New(format, Options{AllCalls: true, Color: true})
			if err := ren.Render(&bytes.Buffer{}, r); err != nil {
				t.Fatalf("%s: %v", format, err)
			}
		}
		Redact(r)
		for _, format := range []string{"table", "json"} {
			ren, _ := New(format, Options{})
			if err := ren.Render(&bytes.Buffer{}, r); err != nil {
				t.Fatalf("%s after Redact: %v", format, err)
			}
		}
	})
}

// TestJSONAsWholeReport: Render, which writes the lists' elements one at a time and by
// hand, gives the bytes of encoding/json encoding the whole (normalized) report at once
// with 2-space indentation, on reports with long lists, findings and ladders, and empty
// ones; an element encoding/json cannot encode (a NaN jitter) gives its error, naming the
// element.
func TestJSONAsWholeReport(t *testing.T) {
	for name, r := range map[string]*analyze.Report{
		"big": bigReport(300), "fail": failReport(), "empty": {},
	} {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		n := normalized(r)
		if err := enc.Encode(&n); err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		if err := (&JSON{}).Render(&got, r); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Fatalf("%s: Render's %d bytes differ from encoding/json's %d", name, got.Len(), want.Len())
		}
	}
	r := bigReport(300)
	r.Streams[450].JitterMaxMs = math.NaN()
	err := (&JSON{}).Render(io.Discard, r)
	if err == nil || !strings.Contains(err.Error(), "streams 450") {
		t.Fatalf("error %v, want one about streams 450", err)
	}
}
