package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ixaudit/ixaudit/analyze"
)

// wantStream is one RTP stream of a generated capture and the Call-ID a correct audit ties
// it to (empty: no call).
type wantStream struct {
	Src    string `json:"src"`
	Dst    string `json:"dst"`
	SSRC   string `json:"ssrc"`
	CallID string `json:"call_id"`
}

// multiInput is testdata/captures/MULTI.json: what a correct audit of several captures
// together reports.
type multiInput struct {
	Shows       string   `json:"shows"`
	Inputs      []string `json:"inputs"`
	Flags       []string `json:"flags"`
	Packets     int      `json:"packets"`
	SIPMessages int      `json:"sip_messages"`
	Calls       int      `json:"calls"`
	RTPStreams  int      `json:"rtp_streams"`
	PerCall     []struct {
		CallID      string `json:"call_id"`
		Direction   string `json:"direction"`
		Path        string `json:"path"`
		Edge        string `json:"edge"`
		FinalStatus int    `json:"final_status"`
		SIPMessages int    `json:"sip_messages"`
	} `json:"per_call"`
	Streams  []wantStream `json:"streams"`
	Findings []struct {
		Rule   string `json:"rule"`
		CallID string `json:"call_id"`
	} `json:"findings"`
	ExitCode int `json:"exit_code"`
}

// auditJSON runs `ixaudit audit --format json` with args and decodes the report.
func auditJSON(t *testing.T, args ...string) (*analyze.Report, int) {
	t.Helper()
	stdout, stderr, code := runCmd(t, nil, append([]string{"audit", "--format", "json"}, args...)...)
	var r analyze.Report
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("no JSON report (exit %d, stderr %q): %v", code, stderr, err)
	}
	return &r, code
}

// checkStreams compares the report's streams with the streams a capture holds: each one
// listed once, tied to the expected call, and no other.
func checkStreams(t *testing.T, want []wantStream, got []analyze.Stream) {
	t.Helper()
	key := func(src, dst, ssrc string) string { return src + " > " + dst + " " + ssrc }
	gotCalls := map[string][]string{}
	for _, s := range got {
		k := key(s.Src, s.Dst, s.SSRC)
		gotCalls[k] = append(gotCalls[k], s.CallID)
	}
	for _, w := range want {
		k := key(w.Src, w.Dst, w.SSRC)
		if diff := cmp.Diff([]string{w.CallID}, gotCalls[k]); diff != "" {
			t.Errorf("stream %s: Call-IDs of its report entries (-want +got):\n%s", k, diff)
		}
		delete(gotCalls, k)
	}
	for k, ids := range gotCalls {
		t.Errorf("stream %s (Call-IDs %q) is not in the capture", k, ids)
	}
}

// TestMultiInput audits the rotated captures together, as MULTI.json describes: a call
// split across the files is one call with all its messages, and a stream whose packets are
// in both files is one stream of its call.
func TestMultiInput(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "captures")
	b, err := os.ReadFile(filepath.Join(dir, "MULTI.json"))
	if err != nil {
		t.Fatalf("the generated captures are missing (go run ./testdata/gen -out testdata/captures): %v", err)
	}
	var m multiInput
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Inputs) < 2 {
		t.Fatalf("MULTI.json names %d inputs, want several", len(m.Inputs))
	}
	args := append([]string{}, m.Flags...)
	for _, in := range m.Inputs {
		args = append(args, filepath.Join(dir, in))
	}
	r, code := auditJSON(t, args...)
	if code != m.ExitCode {
		t.Errorf("exit code %d, want %d (%s)", code, m.ExitCode, m.Shows)
	}
	if len(r.Inputs) != len(m.Inputs) {
		t.Errorf("%d inputs in the report, want %d", len(r.Inputs), len(m.Inputs))
	}
	s := r.Summary
	got := [4]int{s.Packets, s.SIPMessages, s.Calls, s.RTPStreams}
	want := [4]int{m.Packets, m.SIPMessages, m.Calls, m.RTPStreams}
	if got != want {
		t.Errorf("packets, sip_messages, calls, rtp_streams = %v, want %v", got, want)
	}
	if n := len(r.Calls); n != m.Calls {
		t.Errorf("%d calls listed, want %d", n, m.Calls)
	}
	calls := map[string][]analyze.Call{}
	for _, c := range r.Calls {
		calls[c.CallID] = append(calls[c.CallID], c)
	}
	for _, wc := range m.PerCall {
		cs := calls[wc.CallID]
		if len(cs) != 1 {
			t.Errorf("call %s listed %d times, want once", wc.CallID, len(cs))
			if len(cs) == 0 {
				continue
			}
		}
		c := cs[0]
		g := fmt.Sprint(c.Direction, " ", c.Path, " ", c.Edge, " ", c.FinalStatus, " ", c.SIPMessages)
		w := fmt.Sprint(wc.Direction, " ", wc.Path, " ", wc.Edge, " ", wc.FinalStatus, " ", wc.SIPMessages)
		if g != w {
			t.Errorf("call %s: direction path edge status sip_messages = %q, want %q", wc.CallID, g, w)
		}
	}
	gotF := findingSet(r) // each rule and Call-ID once, sorted
	var wantF []string
	for _, f := range m.Findings {
		wantF = append(wantF, f.Rule+" "+f.CallID)
	}
	sort.Strings(wantF)
	if diff := cmp.Diff(wantF, gotF); diff != "" {
		t.Errorf("findings (rule Call-ID) differ (-want +got):\n%s", diff)
	}
	checkStreams(t, m.Streams, r.Streams)
}

// TestManifestStreams checks, for the captures whose manifest entry lists its RTP streams
// (the edge cases: port reuse, reordering, re-INVITEs, stray RTP...), that every stream is
// reported once and tied to the right call: never to an earlier call that used the same
// ports, and to no call when no SDP announced it.
func TestManifestStreams(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "captures")
	b, err := os.ReadFile(filepath.Join(dir, "MANIFEST.json"))
	if err != nil {
		t.Fatalf("the generated captures are missing (go run ./testdata/gen -out testdata/captures): %v", err)
	}
	var m struct {
		Captures []struct {
			File    string       `json:"file"`
			Flags   []string     `json:"flags"`
			Streams []wantStream `json:"streams"`
		} `json:"captures"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range m.Captures {
		if c.Streams == nil {
			continue
		}
		n++
		t.Run(c.File, func(t *testing.T) {
			r, _ := auditJSON(t, append(append([]string{}, c.Flags...), filepath.Join(dir, c.File))...)
			checkStreams(t, c.Streams, r.Streams)
		})
	}
	if n == 0 {
		t.Fatal("no manifest entry lists its streams")
	}
}
