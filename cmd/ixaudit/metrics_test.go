package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/ixaudit/ixaudit/analyze"
	"github.com/ixaudit/ixaudit/analyze/ruleset"
)

// TestMetricsFromReport checks the metrics taken from reports: calls by path and edge,
// the verdict, and each RTP stream observed once, when it has ended.
func TestMetricsFromReport(t *testing.T) {
	m, reg := newLiveMetrics(nil, nil, ruleset.Default())
	now := time.Date(2026, 3, 2, 14, 10, 0, 0, time.UTC)
	rep := &analyze.Report{
		Summary: analyze.Summary{
			CallsByPath: map[analyze.Path]int{analyze.PathInterconnect: 5, analyze.PathPublic: 1, analyze.PathUnknown: 0},
			CallsByEdge: map[string]int{"ashburn-ix": 4, "london-ix": 1, "ashburn": 1},
			Failed:      true,
		},
		Streams: []analyze.Stream{
			// ended 5 minutes ago: 10 lost of 1000 expected, 4 ms of mean jitter
			{Src: "a:1", Dst: "b:2", SSRC: "0x1", Packets: 990, Lost: 10, JitterMeanMs: 4, Start: "2026-03-02T14:00:00Z", End: "2026-03-02T14:05:00Z"},
			// still flowing
			{Src: "a:3", Dst: "b:4", SSRC: "0x2", Packets: 500, Lost: 0, JitterMeanMs: 1, Start: "2026-03-02T14:09:00Z", End: "2026-03-02T14:09:59Z"},
		},
	}
	m.fromReport(rep, now, false)
	m.fromReport(rep, now, false) // the same report again: nothing observed twice
	if got := value(t, reg, metricCalls, "public"); got != 1 {
		t.Errorf("ixaudit_calls{path=public} = %v, want 1", got)
	}
	if got := value(t, reg, metricCallsByEdge, "ashburn-ix"); got != 4 {
		t.Errorf("ixaudit_calls_by_edge{edge=ashburn-ix} = %v, want 4", got)
	}
	if got := value(t, reg, metricVerdict, ""); got != 1 {
		t.Errorf("ixaudit_verdict_failed = %v, want 1", got)
	}
	count, sum := histogram(t, reg, metricRTPLoss)
	if count != 1 || sum != 0.01 {
		t.Errorf("loss histogram: %v streams, sum %v; want the ended stream only, with 0.01", count, sum)
	}
	// The end: every stream is observed, each once.
	rep.Summary.Failed = false
	rep.Summary.CallsByEdge = map[string]int{"ashburn-ix": 4}
	m.fromReport(rep, now, true)
	count, sum = histogram(t, reg, metricRTPJitter)
	if count != 2 || sum != 0.005 {
		t.Errorf("jitter histogram: %v streams, sum %v s; want 2 streams, 0.005 s", count, sum)
	}
	if got := value(t, reg, metricVerdict, ""); got != 0 {
		t.Errorf("ixaudit_verdict_failed = %v, want 0", got)
	}
	if n := series(t, reg, metricCallsByEdge); n != 1 {
		t.Errorf("%d edge series, want 1: edges that are gone must go", n)
	}
	// A stream no longer in the report is forgotten: the set stays bounded.
	m.fromReport(&analyze.Report{}, now, true)
	if len(m.observed) != 0 {
		t.Errorf("%d streams remembered after a report without streams", len(m.observed))
	}
}

// gather returns the metric family of the given name, or nil.
func gather(t *testing.T, reg *prometheus.Registry, name string) []*dto.Metric {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()
		}
	}
	return nil
}

// value returns the value of the gauge series of the named metric whose (only) label has
// the given value ("" for a metric without labels).
func value(t *testing.T, reg *prometheus.Registry, name, label string) float64 {
	t.Helper()
	for _, m := range gather(t, reg, name) {
		if l := m.GetLabel(); (label == "" && len(l) == 0) || (len(l) == 1 && l[0].GetValue() == label) {
			return m.GetGauge().GetValue()
		}
	}
	t.Fatalf("no series %s{%s}", name, label)
	return 0
}

// series counts the series of the named metric.
func series(t *testing.T, reg *prometheus.Registry, name string) int {
	return len(gather(t, reg, name))
}

// histogram returns the sample count and sum of the named histogram.
func histogram(t *testing.T, reg *prometheus.Registry, name string) (uint64, float64) {
	t.Helper()
	ms := gather(t, reg, name)
	if len(ms) != 1 {
		t.Fatalf("%d series of %s, want 1", len(ms), name)
	}
	h := ms[0].GetHistogram()
	return h.GetSampleCount(), h.GetSampleSum()
}

// TestMetricsServer serves the metrics on a loopback port and scrapes them.
func TestMetricsServer(t *testing.T) {
	m, err := startMetrics("127.0.0.1:0", nil, nil, ruleset.Default())
	if err != nil {
		t.Fatal(err)
	}
	m.findings.WithLabelValues("signalling-public-path", "error").Inc()
	m.duplicates.Add(3)
	resp, err := http.Get("http://" + m.addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m.stop()
	for _, want := range []string{
		`ixaudit_findings_total{rule="signalling-public-path",severity="error"} 1`,
		`ixaudit_packets_duplicate_total 3`,
		`ixaudit_calls{path="public"} 0`,
		`ixaudit_build_info{rules_sha256="` + ruleset.Default().SHA256(),
		`process_resident_memory_bytes`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics does not hold %q", want)
		}
	}
	if _, err := http.Get("http://" + m.addr + "/metrics"); err == nil {
		t.Errorf("the server still answers after stop")
	}
}
