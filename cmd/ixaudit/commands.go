package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"

	"github.com/ixaudit/ixaudit/analyze/ruleset"
)

// rules prints the rule set in force in the format --rules reads.
func (e *env) rules(args []string) (int, error) {
	fs := pflag.NewFlagSet("rules", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	path := fs.String("rules", "", "validate and print this rule-set `FILE` instead of the embedded one")
	list := fs.Bool("list", false, "list the rules of the catalogue with their severity and meaning")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			fmt.Fprint(e.stdout, manual("rules"))
			return exitOK, nil
		}
		return exitUsage, fmt.Errorf("%w: rules: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return exitUsage, fmt.Errorf("%w: rules: unexpected argument %q (use --rules FILE)", errUsage, fs.Arg(0))
	}
	rs := ruleset.Default()
	if *path != "" {
		var err error
		if rs, err = ruleset.Load(*path); err != nil {
			return exitUsage, err
		}
	}
	if *list {
		for _, r := range rs.Rules() {
			fmt.Fprintf(e.stdout, "%-28s %-8s %s\n", r.ID, r.Severity, r.Meaning)
		}
		return exitOK, nil
	}
	if _, err := rs.WriteTo(e.stdout); err != nil {
		return exitUsage, err
	}
	return exitOK, nil
}

// report re-renders a saved JSON report in another format, with the same exit code.
func (e *env) report(args []string) (int, error) {
	fs := pflag.NewFlagSet("report", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var c commonFlags
	fs.StringArrayVar(&c.formats, "format", nil, "output format (FORMAT or FORMAT=FILE, repeatable)")
	fs.StringVarP(&c.output, "output", "o", "", "write to `FILE`")
	fs.StringVar(&c.failOn, "fail-on", "", "error, warning or never (default: as the report was made)")
	fs.StringVar(&c.baseline, "baseline", "", "a previous JSON report (`FILE`)")
	fs.BoolVar(&c.redact, "redact", false, "replace telephone numbers and URI user parts")
	fs.BoolVar(&c.allCalls, "all-calls", false, "list every call")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			fmt.Fprint(e.stdout, manual("report"))
			return exitOK, nil
		}
		return exitUsage, fmt.Errorf("%w: report: %v", errUsage, err)
	}
	if fs.NArg() > 1 {
		return exitUsage, fmt.Errorf("%w: report: one saved report at a time", errUsage)
	}
	path := "-"
	if fs.NArg() == 1 {
		path = fs.Arg(0)
	}
	rep, err := readReportFile(path, e.stdin)
	if err != nil {
		return exitUsage, err
	}
	if c.failOn == "" {
		c.failOn = string(rep.Summary.FailOn)
		if c.failOn == "" {
			c.failOn = "error"
		}
	}
	cfg, err := e.validate(&c)
	if err != nil {
		return exitUsage, err
	}
	return e.finish(rep, cfg)
}

// version prints the tool's version and the rule set's.
func (e *env) version(args []string) (int, error) {
	fs := pflag.NewFlagSet("version", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	path := fs.String("rules", "", "describe this rule-set `FILE`")
	if err := fs.Parse(args); err != nil {
		return exitUsage, fmt.Errorf("%w: version: %v", errUsage, err)
	}
	rs := ruleset.Default()
	if *path != "" {
		var err error
		if rs, err = ruleset.Load(*path); err != nil {
			return exitUsage, err
		}
	}
	fmt.Fprintf(e.stdout, "ixaudit %s\nrules %s (%s), facts read %s, sha256 %s\n",
		toolVersion(), rs.Version(), rs.Source(), rs.FactsRead(), rs.SHA256())
	return exitOK, nil
}

// help prints the manual, or one topic of it.
func (e *env) help(args []string) (int, error) {
	topic := ""
	if len(args) > 0 {
		topic = args[0]
	}
	text := manual(topic)
	if text == "" {
		return exitUsage, fmt.Errorf("%w: help: no topic %q (topics: %s)", errUsage, topic, strings.Join(manualTopics(), ", "))
	}
	fmt.Fprint(e.stdout, text)
	if topic == "" || topic == "rules" {
		fmt.Fprint(e.stdout, ruleCatalogue(ruleset.Default()))
	}
	return exitOK, nil
}

// ruleCatalogue renders every rule with its severity, meaning and the facts behind it.
func ruleCatalogue(rs *ruleset.RuleSet) string {
	var b strings.Builder
	b.WriteString("\nRULE CATALOGUE (rule set " + rs.Version() + ", facts read " + rs.FactsRead() + ")\n\n")
	urls := map[string]string{}
	for _, s := range rs.Sources() {
		urls[s.Key] = s.URL
	}
	for _, r := range rs.Rules() {
		fmt.Fprintf(&b, "  %s (%s)\n      %s\n", r.ID, r.Severity, r.Meaning)
		for _, k := range r.Sources {
			fmt.Fprintf(&b, "      fact: %s %s\n", k, urls[k])
		}
	}
	return b.String()
}
