package main

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ixaudit/ixaudit/analyze"
	"github.com/ixaudit/ixaudit/analyze/ruleset"
	"github.com/ixaudit/ixaudit/capture"
)

// Metric names of `ixaudit live --metrics`. Their meaning is in the manual (LIVE) and in
// docs/live.md.
const (
	metricKernelPackets = "ixaudit_kernel_packets_total"
	metricKernelDrops   = "ixaudit_kernel_drops_total"
	metricPacketsRead   = "ixaudit_packets_read_total"
	metricDuplicates    = "ixaudit_packets_duplicate_total"
	metricFindings      = "ixaudit_findings_total"
	metricCalls         = "ixaudit_calls"
	metricCallsByEdge   = "ixaudit_calls_by_edge"
	metricVerdict       = "ixaudit_verdict_failed"
	metricLastReport    = "ixaudit_last_report_timestamp_seconds"
	metricRTPLoss       = "ixaudit_rtp_stream_loss_ratio"
	metricRTPJitter     = "ixaudit_rtp_stream_jitter_mean_seconds"
	metricBuildInfo     = "ixaudit_build_info"
)

// streamDone is how long, in packet time, an RTP stream must have been silent before it
// counts as ended and goes into the loss and jitter histograms.
const streamDone = time.Minute

// liveMetrics are the Prometheus metrics of one live run, in a registry of their own,
// served on ADDR/metrics.
type liveMetrics struct {
	addr string
	srv  *http.Server
	done chan struct{}

	duplicates prometheus.Counter
	findings   *prometheus.CounterVec
	calls      *prometheus.GaugeVec
	callsEdge  *prometheus.GaugeVec
	verdict    prometheus.Gauge
	lastReport prometheus.Gauge
	rtpLoss    prometheus.Histogram
	rtpJitter  prometheus.Histogram

	// observed holds the streams already in the histograms (each is observed once, when
	// it has ended), among those of the last report: its size is bounded by the report's.
	observed map[streamKey]bool
}

type streamKey struct{ src, dst, ssrc, start string }

// newLiveMetrics registers the metrics. sources and names give the per-interface
// counters, read from the sockets at each scrape.
func newLiveMetrics(sources []*capture.LiveSource, names []string, rs *ruleset.RuleSet) (*liveMetrics, *prometheus.Registry) {
	reg := prometheus.NewRegistry()
	m := &liveMetrics{
		observed: map[streamKey]bool{},
		duplicates: prometheus.NewCounter(prometheus.CounterOpts{Name: metricDuplicates,
			Help: "Packets seen a second time within the dedup window (another interface, both directions of lo) and counted once."}),
		findings: prometheus.NewCounterVec(prometheus.CounterOpts{Name: metricFindings,
			Help: "Findings as they are found, by rule and severity."}, []string{"rule", "severity"}),
		calls: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: metricCalls,
			Help: "Calls seen since the start, by signalling path (interconnect, public, unknown); a call may move from one path to a worse one."}, []string{"path"}),
		callsEdge: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: metricCallsByEdge,
			Help: "Calls seen since the start, by Twilio edge."}, []string{"edge"}),
		verdict: prometheus.NewGauge(prometheus.GaugeOpts{Name: metricVerdict,
			Help: "1 when the last report fails (a finding at or above --fail-on that the baseline does not know), else 0."}),
		lastReport: prometheus.NewGauge(prometheus.GaugeOpts{Name: metricLastReport,
			Help: "Wall-clock time of the last report or metrics refresh."}),
		rtpLoss: prometheus.NewHistogram(prometheus.HistogramOpts{Name: metricRTPLoss,
			Help:    "Ended RTP streams by the fraction of their packets lost (lost / expected).",
			Buckets: []float64{0, 0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1}}),
		rtpJitter: prometheus.NewHistogram(prometheus.HistogramOpts{Name: metricRTPJitter,
			Help:    "Ended RTP streams by their mean RFC 3550 interarrival jitter.",
			Buckets: []float64{0.001, 0.002, 0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.2}}),
	}
	for _, p := range []analyze.Path{analyze.PathInterconnect, analyze.PathPublic, analyze.PathUnknown} {
		m.calls.WithLabelValues(string(p)) // present from the start, at 0
	}
	info := prometheus.NewGauge(prometheus.GaugeOpts{Name: metricBuildInfo,
		Help:        "Always 1; the labels say the version and the rule set in force.",
		ConstLabels: prometheus.Labels{"version": toolVersion(), "rules_version": rs.Version(), "rules_sha256": rs.SHA256()}})
	info.Set(1)
	reg.MustRegister(m.duplicates, m.findings, m.calls, m.callsEdge, m.verdict, m.lastReport, m.rtpLoss, m.rtpJitter, info,
		&socketCollector{sources: sources, names: names},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m, reg
}

// startMetrics registers the metrics and serves them on addr.
func startMetrics(addr string, sources []*capture.LiveSource, names []string, rs *ruleset.RuleSet) (*liveMetrics, error) {
	m, reg := newLiveMetrics(sources, names, rs)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	m.addr = ln.Addr().String()
	m.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	m.done = make(chan struct{})
	go func() {
		defer close(m.done)
		m.srv.Serve(ln)
	}()
	return m, nil
}

// stop shuts the server down, letting a scrape in progress finish.
func (m *liveMetrics) stop() {
	if m.srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := m.srv.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		m.srv.Close()
	}
	<-m.done
}

// fromReport sets the metrics that come from a report of the analysis: calls by path and
// edge, the verdict, and the RTP streams that have ended by packet time now (all of them
// when final).
func (m *liveMetrics) fromReport(rep *analyze.Report, now time.Time, final bool) {
	s := &rep.Summary
	for p, n := range s.CallsByPath {
		m.calls.WithLabelValues(string(p)).Set(float64(n))
	}
	m.callsEdge.Reset()
	for e, n := range s.CallsByEdge {
		m.callsEdge.WithLabelValues(e).Set(float64(n))
	}
	if s.Failed {
		m.verdict.Set(1)
	} else {
		m.verdict.Set(0)
	}
	m.lastReport.SetToCurrentTime()
	present := make(map[streamKey]bool, len(rep.Streams))
	for i := range rep.Streams {
		st := &rep.Streams[i]
		k := streamKey{st.Src, st.Dst, st.SSRC, st.Start}
		present[k] = true
		if m.observed[k] {
			continue
		}
		if !final {
			end, err := time.Parse(time.RFC3339Nano, st.End)
			if err != nil || now.Sub(end) < streamDone {
				continue
			}
		}
		m.observed[k] = true
		expected := st.Packets + max(st.Lost, 0)
		if expected > 0 {
			m.rtpLoss.Observe(float64(max(st.Lost, 0)) / float64(expected))
		}
		m.rtpJitter.Observe(st.JitterMeanMs / 1000)
	}
	for k := range m.observed {
		if !present[k] {
			delete(m.observed, k)
		}
	}
}

// socketCollector reports each interface's socket counts at scrape time.
type socketCollector struct {
	sources []*capture.LiveSource
	names   []string
}

var (
	descKernelPackets = prometheus.NewDesc(metricKernelPackets,
		"Packets the kernel's capture filter accepted on the interface, including those it then dropped.", []string{"interface"}, nil)
	descKernelDrops = prometheus.NewDesc(metricKernelDrops,
		"Packets accepted by the filter that the kernel dropped because the capture ring was full: never seen, never judged.", []string{"interface"}, nil)
	descPacketsRead = prometheus.NewDesc(metricPacketsRead,
		"Packets read from the interface's capture ring.", []string{"interface"}, nil)
)

func (c *socketCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descKernelPackets
	ch <- descKernelDrops
	ch <- descPacketsRead
}

func (c *socketCollector) Collect(ch chan<- prometheus.Metric) {
	for i, s := range c.sources {
		st := s.Stats()
		ch <- prometheus.MustNewConstMetric(descKernelPackets, prometheus.CounterValue, float64(st.Received), c.names[i])
		ch <- prometheus.MustNewConstMetric(descKernelDrops, prometheus.CounterValue, float64(st.Dropped), c.names[i])
		ch <- prometheus.MustNewConstMetric(descPacketsRead, prometheus.CounterValue, float64(st.Read), c.names[i])
	}
}
