package analyze_test

import (
	"bytes"
	"context"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ixaudit/ixaudit/analyze"
	"github.com/ixaudit/ixaudit/capture"
)

// preparedSource decodes and prepares the packets of a Source as cmd/ixaudit's read-ahead
// goroutine does (analyze.PreparedSource), in the caller's goroutine.
type preparedSource struct {
	capture.Source
	dec capture.Decoder
	pre analyze.Preparer
	p   capture.Packet
	f   capture.Frame
	pr  analyze.Prepared
	msg analyze.PreparedSIP
	// fast counts the packets prepared as fast (judged from the Prepared alone).
	fast int
}

func (s *preparedSource) ReadPrepared() (*capture.Packet, *capture.Frame, capture.Gap, *analyze.Prepared, error) {
	var err error
	s.p, err = s.Source.ReadPacket()
	if err != nil {
		return nil, nil, capture.GapNone, nil, err
	}
	g := s.dec.Decode(&s.p, &s.f)
	s.pre.Prepare(&s.p, &s.f, g, &s.pr, &s.msg)
	if analyze.PreparedFast(&s.pr) {
		s.fast++
	}
	return &s.p, &s.f, g, &s.pr, nil
}

// TestPreparedAuditIsTheSame audits every test capture and every capture of the shared
// corpus two ways: reading packets, and reading decoded and prepared frames
// (analyze.PreparedSource). The JSON reports must be the same bytes: decoding and
// preparing in the reading goroutine changes nothing.
func TestPreparedAuditIsTheSame(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "captures", "*.pcap*"))
	shared := sharedCapturesOrEmpty(t)
	if shared != "" {
		filepath.WalkDir(shared, func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && (strings.Contains(d.Name(), ".pcap") || strings.HasSuffix(d.Name(), ".cap")) {
				files = append(files, path)
			}
			return nil
		})
	}
	if len(files) < 40 {
		t.Fatalf("only %d captures found", len(files))
	}
	audit := func(name string, wrap func(capture.Source) capture.Source) []byte {
		src, err := capture.Open(name)
		if err != nil {
			return nil
		}
		defer src.Close()
		a := analyze.New(analyze.Config{})
		res, err := a.Audit(context.Background(), wrap(src))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		r := a.Report(analyze.Tool{Name: "ixaudit", Version: "test"}, []*analyze.InputResult{res})
		analyze.Decide(r, analyze.SeverityError)
		return renderJSON(t, r)
	}
	audited, fast := 0, 0
	for _, name := range files {
		plain := audit(name, func(s capture.Source) capture.Source { return s })
		if plain == nil {
			continue // a capture that is meant not to open
		}
		audited++
		var ps *preparedSource
		prepared := audit(name, func(s capture.Source) capture.Source {
			ps = &preparedSource{Source: s}
			return ps
		})
		fast += ps.fast
		if !bytes.Equal(prepared, plain) {
			t.Errorf("%s: the audit of prepared frames differs from the audit of packets", name)
		}
	}
	t.Logf("%d captures audited both ways, %d packets judged from their Prepared alone", audited, fast)
	if fast < 10000 {
		t.Errorf("only %d packets took the fast path", fast)
	}
}

// sharedCapturesOrEmpty is the shared corpus, or "" (with a log line) when it is absent,
// for tests that use it in addition to the project's own captures.
func sharedCapturesOrEmpty(t *testing.T) (dir string) {
	t.Run("shared corpus", func(t *testing.T) { dir = sharedCaptures(t) })
	if dir == "" {
		t.Log("shared capture corpus absent: only the project's captures are used")
	}
	return dir
}
