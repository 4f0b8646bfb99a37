package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/ixaudit/ixaudit/analyze"
)

// JSON renders the canonical report of PRODUCT.md: one 2-space indented object. The output is
// deterministic: map keys are sorted by encoding/json, slices keep the analysis' order, and
// nil slices and maps are written as [] and {} so that consumers never see null.
type JSON struct{}

// Render writes r as JSON followed by a newline. It does not modify r.
//
// The calls, streams and findings are written one at a time through a buffer, so that the
// memory Render needs does not grow with their number; the bytes are those of encoding
// the whole report at once.
func (j *JSON) Render(w io.Writer, r *analyze.Report) error {
	if r == nil {
		return errors.New("report: nil report")
	}
	n := normalized(r)
	// The envelope: the report with the three lists empty, each "[]" then replaced by
	// its elements.
	env := n
	env.Calls, env.Streams, env.Findings = []analyze.Call{}, []analyze.Stream{}, []analyze.Finding{}
	var compact bytes.Buffer
	enc := newJSONEncoder(&compact)
	if err := enc.Encode(&env); err != nil {
		return fmt.Errorf("report: encoding JSON: %w", err)
	}
	doc := appendIndent(nil, bytes.TrimSuffix(compact.Bytes(), []byte("\n")), "", "  ")
	bw := bufio.NewWriterSize(w, 64<<10)
	lists := []jsonList{
		{"calls", len(n.Calls), func(i int) any { return &n.Calls[i] },
			func(b []byte, i int) ([]byte, bool) { return appendCallJSON(b, &n.Calls[i]), true }},
		{"streams", len(n.Streams), func(i int) any { return &n.Streams[i] },
			func(b []byte, i int) ([]byte, bool) { return appendStreamJSON(b, &n.Streams[i]) }},
		{"findings", len(n.Findings), func(i int) any { return &n.Findings[i] },
			func(b []byte, i int) ([]byte, bool) { return appendFindingJSON(b, &n.Findings[i]), true }},
	}
	for _, l := range lists {
		// Top-level keys, and only they, follow a line break and two spaces: line breaks
		// inside strings are escaped, and deeper keys are indented further.
		mark := []byte("\n  \"" + l.key + "\": []")
		k := bytes.Index(doc, mark)
		if k < 0 {
			return fmt.Errorf("report: encoding JSON: no top-level %q in the envelope", l.key)
		}
		bw.Write(doc[:k+len(mark)-2])
		doc = doc[k+len(mark):]
		if l.n == 0 {
			bw.WriteString("[]")
			continue
		}
		bw.WriteString("[\n")
		if err := encodeElements(bw, &l); err != nil {
			return err
		}
		bw.WriteString("\n  ]")
	}
	bw.Write(doc)
	bw.WriteString("\n")
	return bw.Flush()
}

// jsonList is one of the report's top-level lists, as encodeElements writes it.
type jsonList struct {
	key string
	n   int
	at  func(i int) any // the i-th element, for encoding/json
	// appendTo appends the i-th element indented as an element of a top-level list, or
	// reports false, having appended nothing, when encoding/json must encode it
	// (jsonelem.go).
	appendTo func(b []byte, i int) ([]byte, bool)
}

// encodeElements writes the elements of a top-level list, each indented to its depth,
// separated by commas. Each is written by hand (jsonelem.go) unless encoding/json must
// encode it. (Until the elements were written by hand, they were encoded on every core in
// chunks: now one goroutine is faster, 6.3 against 8.0 ms for BenchmarkJSON's report.)
func encodeElements(w io.Writer, l *jsonList) error {
	var (
		c elementEncoder
		b []byte
	)
	for i := range l.n {
		b = b[:0]
		if i > 0 {
			b = append(b, ",\n"...)
		}
		// An element of a top-level list is 2 levels deep.
		b = append(b, elementIndent...)
		var ok bool
		if b, ok = l.appendTo(b, i); !ok {
			var err error
			if b, err = c.encode(b, l.at(i)); err != nil {
				return fmt.Errorf("report: encoding JSON: %s %d: %w", l.key, i, err)
			}
		}
		w.Write(b)
	}
	return nil
}

// elementEncoder encodes list elements with encoding/json, reusing its buffer.
type elementEncoder struct {
	compact bytes.Buffer
	enc     *json.Encoder
}

// encode appends v, an element of a top-level list, as encoding/json encodes it,
// indented to its depth.
func (c *elementEncoder) encode(dst []byte, v any) ([]byte, error) {
	if c.enc == nil {
		c.enc = newJSONEncoder(&c.compact)
	}
	c.compact.Reset()
	if err := c.enc.Encode(v); err != nil {
		return dst, err
	}
	return appendIndent(dst, bytes.TrimSuffix(c.compact.Bytes(), []byte("\n")), elementIndent, "  "), nil
}

// newJSONEncoder returns the encoder of the canonical report, compact and without HTML
// escaping; Render indents what it writes with 2 spaces (appendIndent).
func newJSONEncoder(w io.Writer) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // SIP URIs hold < > & often; the output is not HTML
	return enc
}

// normalized returns a shallow copy of r in which the slices and maps that PRODUCT.md
// requires are non-nil, so that they encode as [] and {}.
func normalized(r *analyze.Report) analyze.Report {
	n := *r
	n.Inputs = nonNil(n.Inputs)
	if n.Inputs != nil {
		inputs := make([]analyze.Input, len(n.Inputs))
		copy(inputs, n.Inputs)
		for i := range inputs {
			inputs[i].LinkTypes = nonNil(inputs[i].LinkTypes)
		}
		n.Inputs = inputs
	}
	n.Calls = nonNil(n.Calls)
	n.Streams = nonNil(n.Streams)
	n.Findings = nonNil(n.Findings)
	if n.Summary.CallsByPath == nil {
		n.Summary.CallsByPath = map[analyze.Path]int{}
	}
	if n.Summary.EvidenceGaps == nil {
		n.Summary.EvidenceGaps = map[string]int{}
	}
	return n
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// ReportVersion is the version of the JSON report this package writes and reads.
const ReportVersion = 1

// MaxJSONSize bounds what ReadJSON reads: a saved report larger than this is refused rather
// than held in memory.
const MaxJSONSize = 256 << 20

// maxJSONSize is MaxJSONSize; tests lower it.
var maxJSONSize int64 = MaxJSONSize

// ErrNotReport is wrapped by every error ReadJSON returns for input that is not a usable
// ixaudit JSON report.
var ErrNotReport = errors.New("not an ixaudit JSON report")

// ReadJSON decodes a report written by JSON.Render (or `ixaudit audit --format json`), so
// that it can be rendered again in another format without the capture. It checks that the
// version is 1, that the required fields of PRODUCT.md are present, and that severities
// and paths hold known values. Unknown fields are ignored: the contract may grow.
func ReadJSON(rd io.Reader) (*analyze.Report, error) {
	data, err := io.ReadAll(io.LimitReader(rd, maxJSONSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading JSON report: %w", err)
	}
	if int64(len(data)) > maxJSONSize {
		return nil, fmt.Errorf("JSON report larger than %d bytes: %w", maxJSONSize, ErrNotReport)
	}

	// First the shape: an object whose required members are there, whatever their values.
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) > 0 && t[0] != '{' {
		return nil, fmt.Errorf("JSON report: not a JSON object: %w", ErrNotReport)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, jsonError(data, err)
	}
	for _, name := range []string{"version", "tool", "rules", "inputs", "summary", "calls", "streams", "findings"} {
		if raw, ok := top[name]; !ok || string(raw) == "null" {
			return nil, fmt.Errorf("JSON report: missing %q: %w", name, ErrNotReport)
		}
	}
	var version int
	if err := json.Unmarshal(top["version"], &version); err != nil || version != ReportVersion {
		return nil, fmt.Errorf("JSON report: version %s, want %d: %w", top["version"], ReportVersion, ErrNotReport)
	}
	var summary map[string]json.RawMessage
	if err := json.Unmarshal(top["summary"], &summary); err != nil {
		return nil, jsonError(data, err)
	}
	for _, name := range []string{"packets", "calls", "errors", "warnings", "infos", "calls_by_path", "evidence_gaps", "failed"} {
		if _, ok := summary[name]; !ok {
			return nil, fmt.Errorf("JSON report: summary: missing %q: %w", name, ErrNotReport)
		}
	}

	r := new(analyze.Report)
	if err := json.Unmarshal(data, r); err != nil {
		return nil, jsonError(data, err)
	}
	if err := checkReport(r); err != nil {
		return nil, err
	}
	return r, nil
}

// checkReport checks the values a renderer relies on.
func checkReport(r *analyze.Report) error {
	if r.Tool.Name == "" {
		return fmt.Errorf("JSON report: tool.name is empty: %w", ErrNotReport)
	}
	for i := range r.Inputs {
		if r.Inputs[i].Name == "" {
			return fmt.Errorf("JSON report: inputs[%d]: name is empty: %w", i, ErrNotReport)
		}
	}
	for i := range r.Calls {
		c := &r.Calls[i]
		if c.CallID == "" {
			return fmt.Errorf("JSON report: calls[%d]: call_id is empty: %w", i, ErrNotReport)
		}
		if !validPath(c.Path) {
			return fmt.Errorf("JSON report: calls[%d]: path %q is not interconnect, public or unknown: %w", i, c.Path, ErrNotReport)
		}
	}
	for p := range r.Summary.CallsByPath {
		if !validPath(p) {
			return fmt.Errorf("JSON report: summary.calls_by_path: path %q is not interconnect, public or unknown: %w", p, ErrNotReport)
		}
	}
	for i := range r.Findings {
		f := &r.Findings[i]
		if f.Rule == "" {
			return fmt.Errorf("JSON report: findings[%d]: rule is empty: %w", i, ErrNotReport)
		}
		if f.Severity.Rank() == 0 {
			return fmt.Errorf("JSON report: findings[%d]: severity %q is not error, warning or info: %w", i, f.Severity, ErrNotReport)
		}
	}
	if fo := r.Summary.FailOn; fo != "" && fo != "never" && fo.Rank() == 0 {
		return fmt.Errorf("JSON report: summary.fail_on %q is not error, warning, info or never: %w", fo, ErrNotReport)
	}
	return nil
}

func validPath(p analyze.Path) bool {
	switch p {
	case analyze.PathInterconnect, analyze.PathPublic, analyze.PathUnknown:
		return true
	}
	return false
}

// jsonError positions a decoding error: line and column, and the offending field.
func jsonError(data []byte, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		line, col := lineCol(data, syn.Offset)
		return fmt.Errorf("JSON report: line %d, column %d: %v: %w", line, col, syn, ErrNotReport)
	case errors.As(err, &typ):
		line, col := lineCol(data, typ.Offset)
		return fmt.Errorf("JSON report: line %d, column %d: %s holds a JSON %s, want %s: %w",
			line, col, orDash(typ.Field), typ.Value, typ.Type, ErrNotReport)
	}
	return fmt.Errorf("JSON report: %v: %w", err, ErrNotReport)
}

// lineCol gives the 1-based line and column of the last byte the decoder read, the one
// an error offset ("after reading off bytes") points at.
func lineCol(data []byte, off int64) (line, col int) {
	i := int(min(max(off-1, 0), int64(len(data))))
	line = 1 + bytes.Count(data[:i], []byte("\n"))
	col = i - bytes.LastIndexByte(data[:i], '\n')
	return line, col
}
