package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/spf13/pflag"

	"github.com/ixaudit/ixaudit/analyze"
	"github.com/ixaudit/ixaudit/analyze/ruleset"
	"github.com/ixaudit/ixaudit/capture"
	"github.com/ixaudit/ixaudit/report"
)

// output is one rendering of the report: a format and where it goes ("" = stdout).
type output struct {
	format string
	path   string
}

// config is everything the audit and live commands were asked to do.
type config struct {
	outputs       []output
	rulesPath     string
	rules         *ruleset.RuleSet
	sbcNets       []netip.Prefix
	requireSecure bool
	failOn        analyze.Severity
	baselinePath  string
	baseline      *analyze.Report
	redact        bool
	quiet         bool
	allCalls      bool
	jobs          int
	separate      bool // audit inputs independently (--separate)
	inputs        []string
}

// commonFlags are the flags shared by audit and live.
type commonFlags struct {
	formats       []string
	output        string
	rules         string
	sbcNets       []string
	requireSecure bool
	failOn        string
	baseline      string
	redact        bool
	quiet         bool
	allCalls      bool
}

func (c *commonFlags) register(fs *pflag.FlagSet) {
	fs.StringArrayVar(&c.formats, "format", nil, "output format: table, json, junit, markdown, html; FORMAT=FILE writes that format to FILE (repeatable)")
	fs.StringVarP(&c.output, "output", "o", "", "write the report to `FILE` instead of standard output")
	fs.StringVar(&c.rules, "rules", "", "rule-set `FILE` that replaces the embedded one")
	fs.StringArrayVar(&c.sbcNets, "sbc-net", nil, "the SBC's own addresses on the Interconnect link (`CIDR`, repeatable)")
	fs.BoolVar(&c.requireSecure, "require-secure", false, "the trunk uses Secure Trunking (TLS + SRTP)")
	fs.StringVar(&c.failOn, "fail-on", "error", "exit 1 on findings at or above this severity: error, warning, never")
	fs.StringVar(&c.baseline, "baseline", "", "a previous JSON report (`FILE`); only new findings decide the exit code")
	fs.BoolVar(&c.redact, "redact", false, "replace telephone numbers and URI user parts in every output")
	fs.BoolVarP(&c.quiet, "quiet", "q", false, "no progress line on standard error")
	fs.BoolVar(&c.allCalls, "all-calls", false, "list (and draw) every call, not only calls with findings")
}

// validate turns flags into a config, checking each value. Errors wrap errUsage, except
// for files that could not be read (exit code 2 either way).
func (e *env) validate(c *commonFlags) (*config, error) {
	cfg := &config{requireSecure: c.requireSecure, redact: c.redact, quiet: c.quiet, allCalls: c.allCalls}
	switch c.failOn {
	case "error", "warning", "never":
		cfg.failOn = analyze.Severity(c.failOn)
	default:
		return nil, fmt.Errorf("%w: --fail-on %q: want error, warning or never", errUsage, c.failOn)
	}
	for _, s := range c.sbcNets {
		for _, part := range strings.Split(s, ",") {
			part = strings.TrimSpace(part)
			p, err := netip.ParsePrefix(part)
			if err != nil {
				a, aerr := netip.ParseAddr(part)
				if aerr != nil {
					return nil, fmt.Errorf("%w: --sbc-net %q: not a CIDR or address", errUsage, part)
				}
				p = netip.PrefixFrom(a, a.BitLen())
			}
			cfg.sbcNets = append(cfg.sbcNets, p.Masked())
		}
	}
	outs, err := parseOutputs(c.formats, c.output, e.isTerminal(e.stdout))
	if err != nil {
		return nil, err
	}
	cfg.outputs = outs
	cfg.rules = ruleset.Default()
	if c.rules != "" {
		rs, err := ruleset.Load(c.rules)
		if err != nil {
			return nil, fmt.Errorf("--rules: %w", err)
		}
		cfg.rules = rs
		cfg.rulesPath = c.rules
	}
	if c.baseline != "" {
		b, err := readReportFile(c.baseline, e.stdin)
		if err != nil {
			return nil, fmt.Errorf("--baseline: %w", err)
		}
		cfg.baseline = b
		cfg.baselinePath = c.baseline
	}
	return cfg, nil
}

// parseOutputs reads --format and -o. Without --format the format is table on a terminal
// and json otherwise.
func parseOutputs(formats []string, out string, terminal bool) ([]output, error) {
	if len(formats) == 0 {
		f := "json"
		if terminal && out == "" {
			f = "table"
		}
		if out != "" {
			f = formatFromPath(out)
		}
		formats = []string{f}
	}
	var outs []output
	stdoutUsed := false
	for _, f := range formats {
		name, path, hasPath := strings.Cut(f, "=")
		name = strings.ToLower(strings.TrimSpace(name))
		if name == "md" {
			name = "markdown"
		}
		if !slices.Contains(report.Formats, name) {
			return nil, fmt.Errorf("%w: --format %q: want one of %s", errUsage, name, strings.Join(report.Formats, ", "))
		}
		if !hasPath {
			path = out
		}
		if path == "" || path == "-" {
			if stdoutUsed {
				return nil, fmt.Errorf("%w: more than one --format writes to standard output; give FORMAT=FILE", errUsage)
			}
			stdoutUsed = true
			path = ""
		}
		outs = append(outs, output{format: name, path: path})
	}
	return outs, nil
}

// formatFromPath guesses a format from an output file name.
func formatFromPath(p string) string {
	switch {
	case strings.HasSuffix(p, ".json"):
		return "json"
	case strings.HasSuffix(p, ".xml"):
		return "junit"
	case strings.HasSuffix(p, ".md"):
		return "markdown"
	case strings.HasSuffix(p, ".html"), strings.HasSuffix(p, ".htm"):
		return "html"
	}
	return "table"
}

func (e *env) audit(ctx context.Context, args []string) (int, error) {
	fs := pflag.NewFlagSet("audit", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var c commonFlags
	c.register(fs)
	jobs := fs.IntP("jobs", "j", 0, "with --separate, inputs audited at once (default: the number of CPUs)")
	separate := fs.Bool("separate", false, "audit each input on its own (unrelated captures), several at once, instead of as the pieces of one capture")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			fmt.Fprint(e.stdout, manual("audit"))
			return exitOK, nil
		}
		return exitUsage, fmt.Errorf("%w: audit: %v", errUsage, err)
	}
	if fs.NArg() == 0 {
		return exitUsage, fmt.Errorf("%w: audit: no capture given (a file, or - for standard input)", errUsage)
	}
	cfg, err := e.validate(&c)
	if err != nil {
		return exitUsage, err
	}
	cfg.inputs = fs.Args()
	cfg.jobs = *jobs
	cfg.separate = *separate
	if cfg.jobs <= 0 {
		cfg.jobs = runtime.NumCPU()
	}
	return e.runAudit(ctx, cfg)
}

// runAudit audits the inputs (several at once when there are several), merges their
// results in the order given, and renders the report.
func (e *env) runAudit(ctx context.Context, cfg *config) (int, error) {
	aud := analyze.New(analyze.Config{Rules: cfg.rules, SBCNets: cfg.sbcNets, RequireSecure: cfg.requireSecure, AllLadders: cfg.allCalls})
	results := make([]*analyze.InputResult, len(cfg.inputs))
	errs := make([]error, len(cfg.inputs))
	prog := newProgress(e, cfg)
	defer prog.stop()

	stdinUsed := false
	for _, name := range cfg.inputs {
		if name == "-" {
			if stdinUsed {
				return exitUsage, fmt.Errorf("%w: standard input (-) given twice", errUsage)
			}
			stdinUsed = true
		}
	}
	if !cfg.separate {
		return e.auditSeries(ctx, aud, cfg, prog)
	}
	ahead := useReadAhead(cfg.jobs, len(cfg.inputs), runtime.GOMAXPROCS(0))
	sem := make(chan struct{}, cfg.jobs)
	var wg sync.WaitGroup
	for i, name := range cfg.inputs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			results[i], errs[i] = e.auditOne(ctx, aud, name, prog, ahead)
		}()
	}
	wg.Wait()
	prog.stop()
	// What the audits held (streams, flows, dialogs, read buffers) is garbage now: collect it
	// before the report is built, so that the report reuses that memory instead of
	// growing the heap to twice what the audit left live.
	runtime.GC()
	if ctx.Err() != nil {
		return exitUsage, fmt.Errorf("interrupted")
	}

	code := exitOK
	var ok []*analyze.InputResult
	for i, err := range errs {
		if err != nil {
			fmt.Fprintf(e.stderr, "ixaudit: %v\n", err)
			code = exitUsage
			continue
		}
		ok = append(ok, results[i])
	}
	return e.reportResults(aud, cfg, ok, code)
}

// auditSeries audits the inputs one after the other as the pieces of one capture (the
// default): a call that spans two rotated files is one call, judged with all its SIP and
// media. Unreadable inputs are reported and skipped.
func (e *env) auditSeries(ctx context.Context, aud *analyze.Auditor, cfg *config, prog *progress) (int, error) {
	code := exitOK
	series := aud.NewSeries()
	ahead := useReadAhead(1, 1, runtime.GOMAXPROCS(0))
	for _, name := range cfg.inputs {
		src, err := e.open(name)
		if err != nil {
			fmt.Fprintf(e.stderr, "ixaudit: %v\n", err)
			code = exitUsage
			continue
		}
		if ahead {
			src = newReadAhead(src)
		}
		err = series.Read(ctx, prog.wrap(src))
		src.Close()
		if err != nil {
			return exitUsage, fmt.Errorf("interrupted")
		}
	}
	res := series.Close()
	prog.stop()
	runtime.GC()
	if len(res.Inputs) == 0 {
		return code, nil
	}
	return e.reportResults(aud, cfg, []*analyze.InputResult{res}, code)
}

// reportResults merges the results, says which inputs were damaged, renders every output and
// returns the exit code: code (2 when an input could not be read or was damaged) or else
// the verdict's.
func (e *env) reportResults(aud *analyze.Auditor, cfg *config, results []*analyze.InputResult, code int) (int, error) {
	for _, res := range results {
		for _, inp := range res.Inputs {
			if err := inp.Err; err != nil && !errors.Is(err, capture.ErrTruncated) {
				// The readers' errors start with the input's name; name it once.
				msg := err.Error()
				if !strings.HasPrefix(msg, inp.Name+": ") {
					msg = inp.Name + ": " + msg
				}
				fmt.Fprintf(e.stderr, "ixaudit: %s (audited up to the damage)\n", msg)
				code = exitUsage
			}
		}
	}
	if len(results) == 0 {
		return code, nil
	}
	rep := aud.Report(analyze.Tool{Name: "ixaudit", Version: toolVersion()}, results)
	if cfg.rulesPath != "" {
		rep.Rules.Source = cfg.rulesPath
	}
	rcode, err := e.finish(rep, cfg)
	if err != nil {
		return exitUsage, err
	}
	if code == exitOK {
		code = rcode
	}
	return code, nil
}

// auditOne opens and audits one input; with ahead, the input is read in a goroutine of
// its own (readAhead).
func (e *env) auditOne(ctx context.Context, aud *analyze.Auditor, name string, prog *progress, ahead bool) (*analyze.InputResult, error) {
	src, err := e.open(name)
	if err != nil {
		return nil, err
	}
	if ahead {
		src = newReadAhead(src)
	}
	defer src.Close()
	res, err := aud.Audit(ctx, prog.wrap(src))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return res, nil
}

// finish applies the baseline, decides the verdict, redacts, and renders every output.
// It returns the exit code the verdict gives.
func (e *env) finish(rep *analyze.Report, cfg *config) (int, error) {
	if cfg.baseline != nil {
		analyze.ApplyBaseline(rep, cfg.baseline)
	}
	analyze.Decide(rep, cfg.failOn)
	if cfg.redact {
		report.Redact(rep)
	}
	opt := report.Options{
		Color:    e.isTerminal(e.stdout) && e.getenv("NO_COLOR") == "",
		AllCalls: cfg.allCalls,
		FailOn:   cfg.failOn,
		Rules:    analyze.RuleIDs(cfg.rules),
	}
	for _, o := range cfg.outputs {
		if err := e.render(rep, o, opt); err != nil {
			return exitUsage, err
		}
	}
	if rep.Summary.Failed {
		return exitFindings, nil
	}
	return exitOK, nil
}

// render writes one output, checking the file's Close.
func (e *env) render(rep *analyze.Report, o output, opt report.Options) (err error) {
	if o.path != "" {
		opt.Color = false
	}
	r, err := report.New(o.format, opt)
	if err != nil {
		return err
	}
	if o.path == "" {
		return r.Render(e.stdout, rep)
	}
	f, err := os.Create(o.path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	if err := r.Render(f, rep); err != nil {
		return fmt.Errorf("%s: %w", o.path, err)
	}
	return nil
}

// readReportFile reads a saved JSON report ("-" for standard input).
func readReportFile(path string, stdin io.Reader) (*analyze.Report, error) {
	var r io.Reader = stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	rep, err := report.ReadJSON(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return rep, nil
}

// open opens an input: a file, or "-" for standard input.
func (e *env) open(name string) (capture.Source, error) {
	if name == "-" {
		return capture.NewReader("-", e.stdin)
	}
	return capture.Open(name)
}
