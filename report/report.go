// Package report renders an analyze.Report in the formats ixaudit offers: a terminal table,
// the canonical JSON contract, JUnit XML for CI, and Markdown for pull-request comments.
//
// A renderer only presents the analysis: the verdict (Summary.Failed, and so the exit code) is
// decided by package analyze, never here. JSON is the canonical form; ReadJSON replays a saved
// JSON report so that any other format can be rendered without the capture.
package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/ixaudit/ixaudit/analyze"
)

// Options tune the renderers. The zero value is usable: Width and MaxExamples fall back to
// their defaults, FailOn to the report's own threshold, Rules to RuleIDs.
type Options struct {
	// Color enables ANSI colour in the table format. The caller decides (a terminal, and
	// NO_COLOR unset); renderers never look at the environment.
	Color bool
	// Width is the number of columns the table format must fit in (default 100).
	Width int
	// MaxExamples is the number of example findings shown per rule (default 3).
	MaxExamples int
	// AllCalls lists every call and stream in the table and Markdown formats, not only the
	// calls with findings (of which the table lists at most 100) and their streams.
	AllCalls bool
	// FailOn is the lowest severity that fails a JUnit test case: "error", "warning",
	// "info", or "never" (nothing fails). When empty, the report's own Summary.FailOn is
	// used, and when that is empty too, "error". Known (baseline) findings never fail.
	FailOn analyze.Severity
	// Rules is the rule catalogue: JUnit writes one test case per rule id, in this order.
	// When empty, RuleIDs is used. Rules found in the report but not in the catalogue are
	// added after it.
	Rules []string
}

// Defaults of Options.
const (
	DefaultWidth       = 100
	DefaultMaxExamples = 3
)

// withDefaults returns opt with zero fields replaced by their defaults.
func (opt Options) withDefaults() Options {
	if opt.Width <= 0 {
		opt.Width = DefaultWidth
	}
	if opt.MaxExamples <= 0 {
		opt.MaxExamples = DefaultMaxExamples
	}
	return opt
}

// failOn is the threshold in force for r: Options.FailOn, else the report's, else error.
func (opt Options) failOn(r *analyze.Report) analyze.Severity {
	switch {
	case opt.FailOn != "":
		return opt.FailOn
	case r.Summary.FailOn != "":
		return r.Summary.FailOn
	}
	return analyze.SeverityError
}

// fails reports whether f fails at threshold failOn: it is at or above it and not known
// from the baseline. "never", or any other value that is no severity, fails nothing.
func fails(f *analyze.Finding, failOn analyze.Severity) bool {
	return !f.Known && failOn.Rank() > 0 && f.Severity.Rank() >= failOn.Rank()
}

// RuleIDs is the rule catalogue of PRODUCT.md, in its order: what Options.Rules falls back
// to. The rule set in force is the authority (cmd passes its ids in Options.Rules); a test
// keeps this list equal to the embedded rule set's.
var RuleIDs = []string{
	"signalling-public-path",
	"signalling-unknown-peer",
	"signalling-port",
	"signalling-off-interconnect",
	"signalling-insecure",
	"uri-public-host",
	"uri-legacy-host",
	"uri-host-ip",
	"uri-region-mismatch",
	"uri-edge-public",
	"uri-edge-unknown",
	"uri-edge-mismatch",
	"uri-tnx-deprecated",
	"uri-region-param",
	"sdp-address-outside-range",
	"sdp-port-outside-range",
	"media-address-outside-range",
	"media-port-outside-range",
	"media-off-interconnect",
	"media-insecure",
	"media-one-way",
	"media-unannounced",
	"capture-truncated",
	"sip-malformed",
	"evidence-gap",
}

// Renderer writes a report in one format.
type Renderer interface {
	Render(w io.Writer, r *analyze.Report) error
}

// Formats lists the format names New accepts, in the order they are documented.
var Formats = []string{"table", "json", "junit", "markdown", "html"}

// New returns the renderer for format: "table", "json", "junit" or "markdown" (alias "md"),
// with the zero fields of opt set to their defaults. This is the one place a format is
// chosen; an unknown name is an error that lists the formats.
func New(format string, opt Options) (Renderer, error) {
	opt = opt.withDefaults()
	// A new format (HTML is next) is one more case here and one more name in Formats.
	switch strings.ToLower(format) {
	case "table":
		return &Table{opt: opt}, nil
	case "json":
		return &JSON{}, nil
	case "junit":
		return &JUnit{opt: opt}, nil
	case "markdown", "md":
		return &Markdown{opt: opt}, nil
	case "html":
		return &HTML{opt: opt}, nil
	}
	return nil, fmt.Errorf("unknown report format %q (formats: %s)", format, strings.Join(Formats, ", "))
}
