package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
)

// Exit codes of the contract (../shared/spec/PRODUCT.md).
const (
	exitOK       = 0 // audit completed; no finding at or above --fail-on
	exitFindings = 1 // audit completed; at least one finding at or above --fail-on
	exitUsage    = 2 // usage error, or an input that could not be read as a capture
)

// errUsage marks errors that are the user's words being off; run prints them with a hint.
var errUsage = errors.New("usage")

// env is what a command may touch of the outside world. Tests give their own.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	// isTerminal reports whether w is an interactive terminal.
	isTerminal func(w io.Writer) bool
	getenv     func(string) string
}

// run is the whole program: it parses args, runs one command and returns the exit code.
// It never calls os.Exit and never panics on bad input.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, isTerminal: isTerminal, getenv: os.Getenv}
	return e.run(ctx, args)
}

func (e *env) run(ctx context.Context, args []string) int {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, shortUsage)
		return exitUsage
	}
	cmd, rest := args[0], args[1:]
	var code int
	var err error
	switch cmd {
	case "audit":
		code, err = e.audit(ctx, rest)
	case "live":
		code, err = e.live(ctx, rest)
	case "rules":
		code, err = e.rules(rest)
	case "report":
		code, err = e.report(rest)
	case "version", "--version":
		code, err = e.version(rest)
	case "help", "-h", "--help":
		code, err = e.help(rest)
	default:
		err = fmt.Errorf("%w: unknown command %q", errUsage, cmd)
	}
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), errUsage.Error()+": ")
		fmt.Fprintf(e.stderr, "ixaudit: %s\n", msg)
		if errors.Is(err, errUsage) {
			fmt.Fprintf(e.stderr, "Run 'ixaudit help' for usage.\n")
		}
		if code == 0 {
			code = exitUsage
		}
	}
	return code
}

const shortUsage = `ixaudit audits the SIP and RTP traffic of an SBC connected to Twilio over Interconnect.

Usage:
  ixaudit audit [flags] CAPTURE...     audit pcap/pcapng files ("-" for standard input)
  ixaudit live -i IFACE [flags]        capture on interfaces and audit continuously (Linux)
  ixaudit rules [--rules FILE]         print the rule set in force
  ixaudit report --format F [FILE|-]   re-render a saved JSON report
  ixaudit version                      print versions
  ixaudit help [TOPIC]                 the manual (topics: audit, live, rules, report, formats, exit-codes, limits)

Run 'ixaudit help' for the whole manual.
`

// toolVersion is the module version from the build information ("(devel)" in a work tree).
func toolVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	if v == "" || v == "(devel)" {
		v = "devel"
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += "+" + s.Value[:12]
			}
		}
	}
	return v
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	if err != nil {
		return false
	}
	return st.Mode()&os.ModeCharDevice != 0
}
