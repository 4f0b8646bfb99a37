package main

import (
	"bytes"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ixaudit/ixaudit/capture"
)

// TestProgressOnlyOnATerminal checks that the progress line is shown only when standard
// error is a terminal and -q is not given.
func TestProgressOnlyOnATerminal(t *testing.T) {
	for _, tc := range []struct {
		terminal, quiet, want bool
	}{{true, false, true}, {true, true, false}, {false, false, false}} {
		e := &env{stderr: io.Discard, isTerminal: func(io.Writer) bool { return tc.terminal }}
		p := newProgress(e, &config{quiet: tc.quiet})
		if p.enabled != tc.want {
			t.Errorf("terminal %v, quiet %v: progress enabled %v, want %v", tc.terminal, tc.quiet, p.enabled, tc.want)
		}
		p.stop()
	}
}

// TestProgressLine checks what the line says after a capture was read through it.
func TestProgressLine(t *testing.T) {
	path := filepath.Join("..", "..", "testdata", "captures", "demo.pcapng")
	var stderr bytes.Buffer
	e := &env{stderr: &stderr, isTerminal: func(io.Writer) bool { return true }}
	p := newProgress(e, &config{inputs: []string{path}})
	defer p.stop()
	src, err := capture.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	w := p.wrap(src)
	n := 0
	for {
		if _, err := w.ReadPacket(); err != nil {
			break
		}
		n++
	}
	line := p.line(2 * time.Second)
	for _, want := range []string{thousands(int64(n)) + " packets", "packets/s", "MB of", "%)"} {
		if !strings.Contains(line, want) {
			t.Errorf("progress line %q does not say %q", line, want)
		}
	}
}
