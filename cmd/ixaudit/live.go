package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/spf13/pflag"

	"github.com/ixaudit/ixaudit/analyze"
	"github.com/ixaudit/ixaudit/analyze/ruleset"
	"github.com/ixaudit/ixaudit/capture"
	"github.com/ixaudit/ixaudit/report"
)

// Defaults of the live command.
const (
	liveDefaultInterval    = 5 * time.Minute
	liveDefaultRotateSize  = 100 << 20
	liveDefaultDedupWindow = 5 * time.Millisecond
	// liveDefaultListCalls is how many calls without findings a live report lists (and
	// twice as many streams): a run of weeks sees millions of calls, and listing each one
	// would make memory grow with the run rather than with the calls in progress. Calls
	// with findings are listed up to twice as many; every call is in the counts.
	liveDefaultListCalls = 1000
	// liveMetricsEvery is how often, in wall-clock time, the analysis is snapshotted for the
	// metrics of calls, verdict and RTP streams.
	liveMetricsEvery = 15 * time.Second
	// liveDrainLimit bounds how long a reader keeps reading after it was told to stop.
	liveDrainLimit = 500 * time.Millisecond
	// liveReopenEvery is how often a reader tries to reopen an interface that went away.
	liveReopenEvery = time.Second
)

// Bounds of the buffers between the readers and the analysis.
const (
	liveBatchBytes   = 1 << 20 // packet bytes in one batch
	liveBatchPackets = 2048    // packets in one batch
	// liveBatchAge is how much packet time one batch spans at most before it is handed over.
	liveBatchAge = 20 * time.Millisecond
	// liveBatchesPerInterface is how many batches one interface may have in flight; a reader
	// that has none free waits, the kernel ring fills, and the kernel counts its drops.
	liveBatchesPerInterface = 8
)

// liveConfig is what the live command was asked to do, besides the common config.
type liveConfig struct {
	*config
	ifaces      []string
	filter      capture.Filter // nil: every packet
	filterText  string         // for messages: the expression, or what the default is
	interval    time.Duration
	duration    time.Duration
	count       int
	write       string
	rotateSize  int64
	rotateEvery time.Duration
	metrics     string // listen address, "" when off
	dedupWindow time.Duration
	snapLen     int
	ringSize    int
	promisc     bool
	jsonl       bool // --format jsonl: findings and reports as JSON lines on stdout
	listCalls   int  // --list-calls: calls without findings listed in the reports
}

// live is the live command: capture on interfaces and audit until stopped (see the
// manual's LIVE section).
func (e *env) live(ctx context.Context, args []string) (int, error) {
	fs := pflag.NewFlagSet("live", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var c commonFlags
	c.register(fs)
	ifaces := fs.StringArrayP("interface", "i", nil, "capture on `IFACE` (repeatable; \"any\" for every interface)")
	filter := fs.String("filter", "", "tcpdump filter `EXPR` instead of the default (\"\" keeps every packet)")
	interval := fs.Duration("interval", liveDefaultInterval, "write the report every `D` (0: only at the end and on SIGHUP)")
	duration := fs.Duration("duration", 0, "stop after `D` (default: run until interrupted)")
	count := fs.IntP("count", "c", 0, "stop after `N` packets")
	write := fs.StringP("write", "w", "", "keep the packets in pcapng files `FILE`.0001.pcapng, ...")
	rotateSize := fs.String("rotate-size", "100MB", "start a new -w file after `SIZE` bytes (0: never)")
	rotateEvery := fs.Duration("rotate-every", 0, "start a new -w file every `D` of packet time (0: never)")
	metrics := fs.String("metrics", "", "serve Prometheus metrics on `ADDR`/metrics (\":9464\" binds 127.0.0.1)")
	dedup := fs.Duration("dedup-window", liveDefaultDedupWindow, "count a packet seen again within `D` once (0: keep duplicates)")
	snapLen := fs.IntP("snaplen", "s", capture.DefaultLiveSnapLen, "keep `N` bytes of each packet")
	ringSize := fs.String("ring-size", "32MB", "kernel ring of `SIZE` bytes per interface")
	promisc := fs.Bool("promisc", false, "put the interfaces in promiscuous mode (a mirror port)")
	listCalls := fs.Int("list-calls", liveDefaultListCalls, "list `N` calls without findings (and 2N streams) in the reports; the rest are counted")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			fmt.Fprint(e.stdout, manual("live"))
			return exitOK, nil
		}
		return exitUsage, fmt.Errorf("%w: live: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return exitUsage, fmt.Errorf("%w: live: unexpected argument %q (capture files go to ixaudit audit)", errUsage, fs.Arg(0))
	}
	lc := &liveConfig{ifaces: *ifaces, interval: *interval, duration: *duration, count: *count,
		write: *write, rotateEvery: *rotateEvery, dedupWindow: *dedup, snapLen: *snapLen, promisc: *promisc,
		listCalls: *listCalls}
	if lc.listCalls < 1 {
		return exitUsage, fmt.Errorf("%w: live: --list-calls %d: want at least 1", errUsage, lc.listCalls)
	}
	if err := e.validateLive(lc, &c, fs.Changed("filter"), *filter, *rotateSize, *ringSize, *metrics); err != nil {
		return exitUsage, err
	}
	return e.runLive(ctx, lc)
}

// validateLive checks the live flags and fills lc.
func (e *env) validateLive(lc *liveConfig, c *commonFlags, filterGiven bool, filter, rotateSize, ringSize, metrics string) error {
	if len(lc.ifaces) == 0 {
		return fmt.Errorf("%w: live: no interface given (-i IFACE)", errUsage)
	}
	seen := map[string]bool{}
	for _, i := range lc.ifaces {
		if i == "" || seen[i] {
			return fmt.Errorf("%w: live: interface %q given twice or empty", errUsage, i)
		}
		seen[i] = true
	}
	// --format jsonl is the live stream on standard output; the other formats are reports.
	var formats []string
	for _, f := range c.formats {
		if strings.EqualFold(strings.TrimSpace(f), "jsonl") {
			lc.jsonl = true
			continue
		}
		if name, _, _ := strings.Cut(f, "="); strings.EqualFold(strings.TrimSpace(name), "jsonl") {
			return fmt.Errorf("%w: --format jsonl writes to standard output only", errUsage)
		}
		formats = append(formats, f)
	}
	c.formats = formats
	cfg, err := e.validate(c)
	if err != nil {
		return err
	}
	lc.config = cfg
	if lc.jsonl {
		if len(formats) == 0 && c.output == "" {
			cfg.outputs = nil
		}
		for _, o := range cfg.outputs {
			if o.path == "" {
				return fmt.Errorf("%w: --format jsonl already writes to standard output; give %s=FILE", errUsage, o.format)
			}
		}
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"--interval", lc.interval}, {"--duration", lc.duration}, {"--rotate-every", lc.rotateEvery}, {"--dedup-window", lc.dedupWindow}} {
		if d.v < 0 {
			return fmt.Errorf("%w: %s %v: want a positive duration", errUsage, d.name, d.v)
		}
	}
	if lc.interval > 0 && lc.interval < time.Second {
		return fmt.Errorf("%w: --interval %v: want at least 1s", errUsage, lc.interval)
	}
	if lc.dedupWindow > time.Second {
		return fmt.Errorf("%w: --dedup-window %v: want at most 1s (duplicates arrive within microseconds)", errUsage, lc.dedupWindow)
	}
	if lc.count < 0 {
		return fmt.Errorf("%w: --count %d: want a positive number", errUsage, lc.count)
	}
	if lc.rotateSize, err = parseByteSize(rotateSize); err != nil {
		return fmt.Errorf("%w: --rotate-size: %v", errUsage, err)
	}
	if lc.rotateSize > 0 && lc.rotateSize < 1<<20 {
		return fmt.Errorf("%w: --rotate-size %s: want at least 1MB", errUsage, rotateSize)
	}
	rs, err := parseByteSize(ringSize)
	if err != nil {
		return fmt.Errorf("%w: --ring-size: %v", errUsage, err)
	}
	lc.ringSize = int(min(rs, 1<<40))
	if lc.metrics, err = metricsListenAddr(metrics); err != nil {
		return fmt.Errorf("%w: --metrics: %v", errUsage, err)
	}
	if filterGiven {
		if strings.TrimSpace(filter) != "" {
			lc.filter = capture.FilterExpr(filter)
		}
		lc.filterText = strconv.Quote(filter)
	} else {
		lc.filter = liveDefaultFilter(cfg.rules)
		lc.filterText = "default (SIP ports, Twilio signalling and media addresses, DNS, RTP, IP fragments)"
	}
	return nil
}

// liveDefaultFilter is the capture filter for the rule set in force.
func liveDefaultFilter(rs *ruleset.RuleSet) capture.DefaultFilter {
	var d capture.DefaultFilter
	for _, e := range rs.Edges() {
		for _, g := range e.Gateways {
			d.Signalling = append(d.Signalling, netip.PrefixFrom(g, g.BitLen()))
		}
		d.Signalling = append(d.Signalling, e.Signalling...)
	}
	d.Media = append(d.Media, rs.MediaRanges()...)
	return d
}

// parseByteSize reads a byte count: a number with an optional unit K, M, G (KB, MB, GB, KiB,
// MiB, GiB: all powers of 1024).
func parseByteSize(s string) (int64, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		m      int64
	}{{"KIB", 1 << 10}, {"MIB", 1 << 20}, {"GIB", 1 << 30}, {"KB", 1 << 10}, {"MB", 1 << 20}, {"GB", 1 << 30},
		{"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"B", 1}} {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.m
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 || n > (1<<50)/mult {
		return 0, fmt.Errorf("%q: want a size such as 100MB", s)
	}
	return n * mult, nil
}

// metricsListenAddr completes a --metrics address: a missing host is 127.0.0.1, so that the
// metrics are not served to the network unless an address says so. Port 0 takes a free
// port (the startup line says which).
func metricsListenAddr(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	if _, err := strconv.ParseUint(s, 10, 16); err == nil {
		s = ":" + s
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return "", fmt.Errorf("%q: want HOST:PORT or :PORT", s)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return "", fmt.Errorf("%q: bad port", s)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port), nil
}

// liveRun is one run of the live command: the sources, the readers, the analysis and its
// outputs. Everything but the readers and the metrics server runs on the goroutine that
// called runLive.
type liveRun struct {
	e       *env
	lc      *liveConfig
	sources []*capture.LiveSource
	links   []capture.LinkType // of each source
	kinds   []capture.LinkType // the distinct link types, for the report
	name    string             // the input's name in reports: the interfaces, comma-separated

	aud  *analyze.Auditor
	sess *analyze.Session

	items   chan liveItem
	free    []chan *liveBatch
	stop    chan struct{}
	readers sync.WaitGroup

	merge   *liveMerger
	dedup   *liveDedup
	writer  *pcapngRotator
	metrics *liveMetrics

	packets    int // packets given to the analysis (their numbers)
	duplicates int
	discarded  int       // read after --count was reached
	lastTime   time.Time // latest packet time
	failed     error     // an output that failed (exit code 2 at the end)
	baseline   *analyze.Report
}

// runLive opens the interfaces and audits until stopped.
func (e *env) runLive(ctx context.Context, lc *liveConfig) (int, error) {
	lr := &liveRun{e: e, lc: lc, name: strings.Join(lc.ifaces, ","), baseline: lc.baseline}
	for _, iface := range lc.ifaces {
		src, err := capture.OpenLive(iface, capture.LiveConfig{Filter: lc.filter, SnapLen: lc.snapLen,
			RingSize: lc.ringSize, Promiscuous: lc.promisc})
		if err != nil {
			for _, s := range lr.sources {
				s.Close()
			}
			fmt.Fprintf(e.stderr, "ixaudit live: %s\n", liveError(err))
			return exitUsage, nil
		}
		lr.sources = append(lr.sources, src)
		lt := src.LinkTypes()[0]
		lr.links = append(lr.links, lt)
		if !slices.Contains(lr.kinds, lt) {
			lr.kinds = append(lr.kinds, lt)
		}
	}
	// From here on the sources are closed by their readers.
	if err := lr.start(); err != nil {
		for _, s := range lr.sources {
			s.Close()
		}
		fmt.Fprintf(e.stderr, "ixaudit live: %v\n", err)
		return exitUsage, nil
	}
	return lr.loop(ctx)
}

// liveError is the message for an interface that could not be opened.
func liveError(err error) string {
	msg := err.Error()
	if errors.Is(err, capture.ErrNeedCapNetRaw) {
		msg += " (run as root or setcap cap_net_raw+ep ixaudit)"
	}
	return msg
}

// start prepares the analysis and the outputs and starts one reader per interface.
func (lr *liveRun) start() error {
	lc := lr.lc
	cfg := analyze.Config{Rules: lc.rules, SBCNets: lc.sbcNets, RequireSecure: lc.requireSecure,
		AllLadders: lc.allCalls, OnFinding: lr.onFinding,
		MaxListedCalls: lc.listCalls, MaxListedStreams: 2 * lc.listCalls}
	for _, o := range lc.outputs {
		if o.path == "" {
			continue
		}
		f, err := os.OpenFile(o.path+".tmp", os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
		if err != nil {
			return fmt.Errorf("report: %w", err)
		}
		f.Close()
		os.Remove(o.path + ".tmp")
	}
	lr.aud = analyze.New(cfg)
	lr.sess = lr.aud.NewSession(lr.name)
	lr.merge = newLiveMerger(len(lr.sources))
	lr.dedup = newLiveDedup(lc.dedupWindow)
	if lc.write != "" {
		var ifs []pcapgo.NgInterface
		for i, s := range lr.sources {
			ifs = append(ifs, pcapgo.NgInterface{Name: lc.ifaces[i], LinkType: layers.LinkType(lr.links[i]),
				SnapLength: uint32(s.SnapLen()), Filter: s.Filter(), OS: "Linux", TimestampResolution: 9})
		}
		w, err := newPcapngRotator(lc.write, ifs, lc.rotateSize, lc.rotateEvery, lr.sources)
		if err != nil {
			return fmt.Errorf("-w: %w", err)
		}
		lr.writer = w
	}
	if lc.metrics != "" {
		m, err := startMetrics(lc.metrics, lr.sources, lc.ifaces, lc.rules)
		if err != nil {
			if lr.writer != nil {
				lr.writer.Close()
			}
			return fmt.Errorf("--metrics: %w", err)
		}
		lr.metrics = m
	}
	lr.items = make(chan liveItem, len(lr.sources)*(liveBatchesPerInterface+4))
	lr.stop = make(chan struct{})
	for i, src := range lr.sources {
		free := make(chan *liveBatch, liveBatchesPerInterface)
		for range liveBatchesPerInterface {
			free <- &liveBatch{iface: i, buf: make([]byte, 0, liveBatchBytes+lc.snapLen+4)}
		}
		lr.free = append(lr.free, free)
		lr.readers.Add(1)
		go func() {
			defer lr.readers.Done()
			r := liveReader{src: src, iface: i, free: free, out: lr.items, stop: lr.stop}
			r.run()
		}()
	}
	if !lc.quiet {
		var ifs []string
		for i, s := range lr.sources {
			ifs = append(ifs, fmt.Sprintf("%s (%v)", lc.ifaces[i], s.LinkTypes()[0]))
		}
		var dests []string
		for _, o := range lc.outputs {
			where := "standard output"
			if o.path != "" {
				where = o.path
			}
			dests = append(dests, o.format+" to "+where)
		}
		if lc.jsonl {
			dests = append(dests, "jsonl to standard output")
		}
		where := strings.Join(dests, ", ")
		every := "at the end and on SIGHUP"
		if lc.interval > 0 {
			every = "every " + lc.interval.String() + ", on SIGHUP and at the end"
		}
		fmt.Fprintf(lr.e.stderr, "ixaudit live: capturing on %s; filter: %s; reports (%s) %s\n",
			strings.Join(ifs, ", "), lc.filterText, where, every)
		if lr.metrics != nil {
			fmt.Fprintf(lr.e.stderr, "ixaudit live: metrics on http://%s/metrics\n", lr.metrics.addr)
		}
	}
	return nil
}

// loop is the analysis goroutine: it merges the readers' packets in time order, drops
// duplicates, keeps and audits the rest, and writes reports, until told to stop.
func (lr *liveRun) loop(ctx context.Context) (int, error) {
	lc := lr.lc
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	var tick, metricsTick <-chan time.Time
	if lc.interval > 0 {
		t := time.NewTicker(lc.interval)
		defer t.Stop()
		tick = t.C
	}
	if lr.metrics != nil {
		t := time.NewTicker(liveMetricsEvery)
		defer t.Stop()
		metricsTick = t.C
	}
	var deadline <-chan time.Time
	if lc.duration > 0 {
		t := time.NewTimer(lc.duration)
		defer t.Stop()
		deadline = t.C
	}
	running := len(lr.sources)
	countReached := false
	stopping := false
	stopAll := func() {
		if !stopping {
			stopping = true
			close(lr.stop)
		}
	}
	done := ctx.Done()
	for running > 0 {
		select {
		case it := <-lr.items:
			if it.err != nil {
				if !lc.quiet {
					fmt.Fprintf(lr.e.stderr, "ixaudit live: %v\n", it.err)
				}
				continue
			}
			if it.done {
				running--
			}
			lr.merge.add(it)
			if !countReached && lr.process() {
				countReached = true
				stopAll()
			}
			if countReached {
				lr.discarded += lr.merge.discard()
			}
			lr.recycle()
		case <-tick:
			lr.emitReport(false)
		case <-hup:
			lr.emitReport(false)
		case <-metricsTick:
			lr.updateMetrics()
		case <-deadline:
			stopAll()
		case <-done:
			done = nil
			stopAll()
		}
	}
	lr.readers.Wait()
	if !countReached {
		lr.process() // every reader is done: nothing is waited for
	}
	code := lr.emitReport(true)
	if !lc.quiet {
		for i, s := range lr.sources {
			st := s.Stats()
			fmt.Fprintf(lr.e.stderr, "ixaudit live: %s: %d packets read, %d dropped by the kernel (%d accepted by the filter",
				lc.ifaces[i], st.Read, st.Dropped, st.Received)
			if u := st.Unread(); u > 0 {
				fmt.Fprintf(lr.e.stderr, ", %d arrived after the stop and were not read", u)
			}
			if st.Reopened > 0 {
				fmt.Fprintf(lr.e.stderr, ", socket reopened %d times", st.Reopened)
			}
			fmt.Fprintf(lr.e.stderr, ")\n")
		}
		if lr.duplicates > 0 {
			fmt.Fprintf(lr.e.stderr, "ixaudit live: %d duplicate packets counted once\n", lr.duplicates)
		}
		if lr.discarded > 0 {
			fmt.Fprintf(lr.e.stderr, "ixaudit live: %d packets read after --count were not audited\n", lr.discarded)
		}
	}
	if lr.writer != nil {
		if err := lr.writer.Close(); err != nil && lr.failed == nil {
			lr.failed = err
		}
	}
	if lr.metrics != nil {
		lr.metrics.stop()
	}
	if lr.failed != nil {
		fmt.Fprintf(lr.e.stderr, "ixaudit live: exit code 2: %v\n", lr.failed)
		return exitUsage, nil
	}
	return code, nil
}

// process audits every packet the liveMerger can release in time order. It returns true when
// --count is reached.
func (lr *liveRun) process() bool {
	for {
		p, iface, ok := lr.merge.next()
		if !ok {
			return false
		}
		if lr.dedup.seen(p) {
			lr.duplicates++
			if lr.metrics != nil {
				lr.metrics.duplicates.Inc()
			}
			continue
		}
		lr.packets++
		p.Number = lr.packets
		p.Interface = iface
		if p.Time.After(lr.lastTime) {
			lr.lastTime = p.Time
		}
		if lr.writer != nil && lr.failed == nil {
			if err := lr.writer.write(&p); err != nil {
				lr.failed = fmt.Errorf("-w: %w (no longer writing packets)", err)
				fmt.Fprintf(lr.e.stderr, "ixaudit live: %v\n", lr.failed)
			}
		}
		lr.sess.Packet(&p)
		if lr.lc.count > 0 && lr.packets >= lr.lc.count {
			return true
		}
	}
}

// recycle gives the batches the liveMerger is done with back to their readers.
func (lr *liveRun) recycle() {
	for _, b := range lr.merge.takeDone() {
		b.reset()
		lr.free[b.iface] <- b
	}
}

// drops sums the kernel's drops over the interfaces.
func (lr *liveRun) drops() uint64 {
	var n uint64
	for _, s := range lr.sources {
		n += s.Stats().Dropped
	}
	return n
}

// result returns what the analysis holds now (final: the session is closed), with the
// duplicates the analysis never saw added to its packet counts.
func (lr *liveRun) result(final bool) *analyze.InputResult {
	var res *analyze.InputResult
	if final {
		res = lr.sess.Close(lr.kinds, lr.drops())
	} else {
		res = lr.sess.Snapshot(lr.kinds, lr.drops())
	}
	// A snapshot shares the session's call records; the report and redaction below must
	// not write into them.
	for i, c := range res.Calls {
		cp := *c
		cp.Messages = slices.Clone(c.Messages)
		cp.Rules = slices.Clone(c.Rules)
		res.Calls[i] = &cp
	}
	if lr.duplicates > 0 {
		res.Inputs[len(res.Inputs)-1].Packets += lr.duplicates
		if res.PacketUse == nil {
			res.PacketUse = map[string]int{}
		}
		res.PacketUse["duplicate"] += lr.duplicates
	}
	return res
}

// buildReport merges res into a report, applies the baseline and decides the verdict.
func (lr *liveRun) buildReport(res *analyze.InputResult) *analyze.Report {
	rep := lr.aud.Report(analyze.Tool{Name: "ixaudit", Version: toolVersion()}, []*analyze.InputResult{res})
	if lr.lc.rulesPath != "" {
		rep.Rules.Source = lr.lc.rulesPath
	}
	return rep
}

// emitReport writes a full report to every output (files atomically: FILE.tmp, then a
// rename), and as a JSON line with --format jsonl. It returns the exit code of the
// verdict.
func (lr *liveRun) emitReport(final bool) int {
	rep := lr.buildReport(lr.result(final))
	// finish applies the baseline, decides, redacts and renders; point it at temporary
	// files and rename them once complete.
	cfg := *lr.lc.config
	cfg.outputs = nil
	var renames [][2]string
	for _, o := range lr.lc.outputs {
		if o.path != "" {
			tmp := o.path + ".tmp"
			renames = append(renames, [2]string{tmp, o.path})
			o.path = tmp
		}
		cfg.outputs = append(cfg.outputs, o)
	}
	code, err := lr.e.finish(rep, &cfg)
	if err == nil {
		for _, r := range renames {
			if err = os.Rename(r[0], r[1]); err != nil {
				break
			}
		}
	}
	if err != nil {
		lr.failed = fmt.Errorf("report: %w", err)
		fmt.Fprintf(lr.e.stderr, "ixaudit live: %v\n", lr.failed)
	}
	if lr.lc.jsonl {
		lr.jsonLine("report", rep)
	}
	if lr.metrics != nil {
		lr.metrics.fromReport(rep, lr.lastTime, final)
	}
	return code
}

// updateMetrics refreshes the metrics that come from the analysis' state.
func (lr *liveRun) updateMetrics() {
	rep := lr.buildReport(lr.result(false))
	if lr.baseline != nil {
		analyze.ApplyBaseline(rep, lr.baseline)
	}
	analyze.Decide(rep, lr.lc.failOn)
	lr.metrics.fromReport(rep, lr.lastTime, false)
}

// onFinding prints each finding as it is found: one line on standard error, or with
// --format jsonl one JSON object on standard output.
func (lr *liveRun) onFinding(f analyze.Finding) {
	rep := &analyze.Report{Findings: []analyze.Finding{f}}
	if lr.baseline != nil {
		analyze.ApplyBaseline(rep, lr.baseline)
	}
	if lr.lc.redact {
		report.Redact(rep) // pseudonyms are numbered within the line
	}
	f = rep.Findings[0]
	if lr.metrics != nil {
		lr.metrics.findings.WithLabelValues(f.Rule, string(f.Severity)).Inc()
	}
	if lr.lc.jsonl {
		lr.jsonLine("finding", f)
		return
	}
	if !lr.lc.quiet {
		fmt.Fprintln(lr.e.stderr, liveFindingLine(f))
	}
}

// liveFindingLine renders a finding on one line: time, severity, rule, endpoints, Call-ID,
// message and evidence.
func liveFindingLine(f analyze.Finding) string {
	var b strings.Builder
	b.WriteString(f.Time)
	b.WriteString(" " + strings.ToUpper(string(f.Severity)) + " " + f.Rule)
	if f.Known {
		b.WriteString(" (known)")
	}
	if f.Src != "" || f.Dst != "" {
		b.WriteString(" " + f.Src + " > " + f.Dst)
	}
	if f.Transport != "" {
		b.WriteString(" " + f.Transport)
	}
	fmt.Fprintf(&b, " packet %d", f.Packet)
	if f.CallID != "" {
		b.WriteString(" call " + f.CallID)
	}
	b.WriteString(": " + f.Message)
	if f.Evidence != "" {
		b.WriteString(" [" + f.Evidence + "]")
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, b.String())
}

// jsonLine writes {"event": event, event: v} on one line of standard output. A report is
// written in the canonical JSON form, compacted.
func (lr *liveRun) jsonLine(event string, v any) {
	var body []byte
	var err error
	if rep, ok := v.(*analyze.Report); ok {
		var indented, compact bytes.Buffer
		if err = (&report.JSON{}).Render(&indented, rep); err == nil {
			err = json.Compact(&compact, indented.Bytes())
		}
		body = compact.Bytes()
	} else {
		body, err = json.Marshal(v)
	}
	if err != nil {
		lr.failed = fmt.Errorf("jsonl: %w", err)
		return
	}
	line := make([]byte, 0, len(body)+len(event)*2+24)
	line = fmt.Appendf(line, `{"event":%q,%q:`, event, event)
	line = append(line, body...)
	line = append(line, "}\n"...)
	if _, err := lr.e.stdout.Write(line); err != nil && lr.failed == nil {
		lr.failed = fmt.Errorf("standard output: %w", err)
	}
}

// liveItem is what a reader sends to the analysis: a batch of packets, or only news of
// its clock (a quiet interface), or an error, or the end.
type liveItem struct {
	iface int
	b     *liveBatch // nil for a watermark only
	// wm says the interface will deliver no packet stamped before it.
	wm   time.Time
	done bool
	err  error
}

// liveBatch holds packets of one interface, copied out of the kernel ring.
type liveBatch struct {
	iface int
	buf   []byte
	pkts  []liveBatchPacket
	next  int // the first packet not yet given to the analysis
}

type liveBatchPacket struct {
	off, n int
	length int
	time   time.Time
	link   capture.LinkType
}

func (b *liveBatch) reset() {
	*b = liveBatch{iface: b.iface, buf: b.buf[:0], pkts: b.pkts[:0]}
}

// add copies p into the batch.
func (b *liveBatch) add(p *capture.Packet) {
	off := len(b.buf)
	b.buf = append(b.buf, p.Data...)
	b.pkts = append(b.pkts, liveBatchPacket{off: off, n: len(p.Data), length: p.Length, time: p.Time, link: p.LinkType})
}

// full reports whether the batch may not take another packet of snapLen bytes, or spans
// liveBatchAge of packet time.
func (b *liveBatch) full(snapLen int) bool {
	n := len(b.pkts)
	return n >= liveBatchPackets || len(b.buf)+snapLen > cap(b.buf) ||
		(n > 1 && b.pkts[n-1].time.Sub(b.pkts[0].time) >= liveBatchAge)
}

// liveReader reads one interface on its own goroutine, copying packets into batches.
type liveReader struct {
	src   *capture.LiveSource
	iface int
	free  chan *liveBatch
	out   chan<- liveItem
	stop  <-chan struct{}
}

// run reads until stop is closed, then drains what the kernel holds (for at most
// liveDrainLimit), sends its last batch and done, and closes the source: it is the only
// goroutine that touches the socket's ring.
func (r *liveReader) run() {
	defer r.src.Close()
	snap := r.src.SnapLen()
	var b *liveBatch
	send := func(wm time.Time, done bool) {
		it := liveItem{iface: r.iface, wm: wm, done: done}
		if b != nil && len(b.pkts) > 0 {
			it.b = b
			if last := b.pkts[len(b.pkts)-1].time; last.After(wm) {
				it.wm = last
			}
			b = nil
		}
		r.out <- it
	}
	var drainUntil time.Time
	lastErr := ""
	for {
		if drainUntil.IsZero() {
			select {
			case <-r.stop:
				drainUntil = time.Now().Add(liveDrainLimit)
			default:
			}
		} else if time.Now().After(drainUntil) {
			send(time.Time{}, true)
			return
		}
		if b == nil {
			b = <-r.free
		}
		p, err := r.src.ReadPacket()
		switch {
		case err == nil:
			lastErr = ""
			b.add(&p)
			if b.full(snap) {
				send(time.Time{}, false)
			}
		case errors.Is(err, capture.ErrNoPacket):
			if !drainUntil.IsZero() {
				send(time.Time{}, true)
				return
			}
			// Nothing arrived for a poll timeout: every packet stamped before a kernel
			// block timeout ago (plus a margin) has been read.
			send(time.Now().Add(-3*capture.LiveBlockTimeout), false)
		default:
			if err.Error() != lastErr {
				lastErr = err.Error()
				r.out <- liveItem{iface: r.iface, err: fmt.Errorf("%w; capturing again when it is back", err)}
			}
			send(time.Now().Add(-3*capture.LiveBlockTimeout), false)
			if !r.reopen() {
				send(time.Time{}, true)
				return
			}
		}
	}
}

// reopen waits and reopens the socket until it works (true) or the reader is told to
// stop (false). Meanwhile it tells the analysis that nothing is coming from this
// interface, so that the others are not held back.
func (r *liveReader) reopen() bool {
	t := time.NewTicker(liveReopenEvery)
	defer t.Stop()
	for {
		select {
		case <-r.stop:
			return false
		case <-t.C:
		}
		r.out <- liveItem{iface: r.iface, wm: time.Now().Add(-3 * capture.LiveBlockTimeout)}
		if r.src.Reopen() == nil {
			return true
		}
	}
}

// liveMerger orders the packets of several interfaces by time. It releases a packet only
// when every other interface has either a later packet waiting or has said (by its
// watermark) that it holds none earlier, so the analysis sees time go forward as it
// would in one capture of all the interfaces. With one interface it releases packets in
// the order they were read.
type liveMerger struct {
	queues [][]*liveBatch
	wm     []time.Time
	done   []bool
	spent  []*liveBatch
}

func newLiveMerger(n int) *liveMerger {
	return &liveMerger{queues: make([][]*liveBatch, n), wm: make([]time.Time, n), done: make([]bool, n)}
}

// add takes an item from a liveReader.
func (m *liveMerger) add(it liveItem) {
	if it.b != nil {
		m.queues[it.iface] = append(m.queues[it.iface], it.b)
	}
	if it.wm.After(m.wm[it.iface]) {
		m.wm[it.iface] = it.wm
	}
	if it.done {
		m.done[it.iface] = true
	}
}

// next returns the earliest packet that may be released, and its interface. The packet's
// data aliases its batch, which stays out of the free list until takeDone.
func (m *liveMerger) next() (capture.Packet, int, bool) {
	best := -1
	var bt time.Time
	for i, q := range m.queues {
		if len(q) == 0 {
			continue
		}
		t := q[0].pkts[q[0].next].time
		if best < 0 || t.Before(bt) {
			best, bt = i, t
		}
	}
	if best < 0 {
		return capture.Packet{}, 0, false
	}
	for i := range m.queues {
		if i != best && len(m.queues[i]) == 0 && !m.done[i] && m.wm[i].Before(bt) {
			return capture.Packet{}, 0, false // interface i may still deliver earlier packets
		}
	}
	b := m.queues[best][0]
	bp := b.pkts[b.next]
	b.next++
	if b.next == len(b.pkts) {
		m.queues[best] = m.queues[best][1:]
		m.spent = append(m.spent, b)
	}
	return capture.Packet{Time: bp.time, LinkType: bp.link, Length: bp.length, Data: b.buf[bp.off : bp.off+bp.n : bp.off+bp.n]}, best, true
}

// takeDone returns the batches whose packets have all been released.
func (m *liveMerger) takeDone() []*liveBatch {
	d := m.spent
	m.spent = m.spent[:0:0]
	return d
}

// discard drops every packet still waiting and returns how many there were.
func (m *liveMerger) discard() int {
	n := 0
	for i := range m.queues {
		for _, b := range m.queues[i] {
			n += len(b.pkts) - b.next
		}
		m.spent = append(m.spent, m.queues[i]...)
		m.queues[i] = nil
	}
	return n
}

// liveDedup recognises a packet seen again within a short window of packet time: the
// same IP datagram captured on two interfaces (a mirror port and the interface itself,
// "any", both directions of the loopback). Two packets are the same when the bytes after
// their link-layer header (MAC addresses and VLAN tags; the whole datagram, IP header
// included) hash the same. The table is a fixed array of 2^16 slots indexed by the hash:
// its memory does not grow, and a slot overwritten before its duplicate arrived only
// means that duplicate is kept.
type liveDedup struct {
	window time.Duration
	seed   maphash.Seed
	slots  []liveDedupSlot
}

type liveDedupSlot struct {
	hash uint64
	time int64
}

const liveDedupSlots = 1 << 16

func newLiveDedup(window time.Duration) *liveDedup {
	if window <= 0 {
		return &liveDedup{}
	}
	return &liveDedup{window: window, seed: maphash.MakeSeed(), slots: make([]liveDedupSlot, liveDedupSlots)}
}

// seen reports whether p repeats a packet seen within the window, and remembers p.
func (d *liveDedup) seen(p capture.Packet) bool {
	if d.slots == nil {
		return false
	}
	body := liveNetworkBytes(p.Data, p.LinkType)
	if len(body) == 0 {
		return false
	}
	h := maphash.Bytes(d.seed, body)
	s := &d.slots[h&(liveDedupSlots-1)]
	t := p.Time.UnixNano()
	if s.hash == h && s.time != 0 && liveAbs(time.Duration(t-s.time)) <= d.window {
		return true
	}
	*s = liveDedupSlot{hash: h, time: t}
	return false
}

func liveAbs(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// liveNetworkBytes returns what follows the link-layer header of an Ethernet frame (after
// any 802.1Q/802.1ad tags), or the whole packet for raw IP.
func liveNetworkBytes(data []byte, lt capture.LinkType) []byte {
	if lt != capture.LinkEthernet {
		return data
	}
	off := 12
	for off+4 <= len(data) {
		switch binary.BigEndian.Uint16(data[off:]) {
		case 0x8100, 0x88a8, 0x9100:
			off += 4
			continue
		}
		break
	}
	if off+2 > len(data) {
		return nil
	}
	return data[off+2:]
}

// pcapngRotator keeps the audited packets in pcapng files named BASE.0001.pcapng,
// BASE.0002.pcapng, ... (BASE is -w without a .pcapng suffix), one interface block per
// captured interface, and starts a new file after rotateSize bytes or rotateEvery of
// packet time. A file is never overwritten: numbers already taken are skipped. When a
// file is closed it gets an interface statistics block per interface with the packets the
// kernel received and dropped while it was open, so that auditing the files reports the
// same kernel drops.
type pcapngRotator struct {
	base        string
	ifs         []pcapgo.NgInterface
	rotateSize  int64
	rotateEvery time.Duration
	stats       []*capture.LiveSource // nil entries in tests

	seq     int
	f       *os.File
	cw      *liveCountWriter
	w       *pcapgo.NgWriter
	size    int64     // bytes of the file, written or buffered
	started time.Time // packet time of the file's first packet
	opened  time.Time // wall-clock time the file was opened
	atOpen  []capture.LiveStats
	names   []string // files written, in order
}

func newPcapngRotator(path string, ifs []pcapgo.NgInterface, size int64, every time.Duration, stats []*capture.LiveSource) (*pcapngRotator, error) {
	w := &pcapngRotator{base: strings.TrimSuffix(path, ".pcapng"), ifs: ifs, rotateSize: size, rotateEvery: every, stats: stats}
	if err := w.open(); err != nil {
		return nil, err
	}
	return w, nil
}

// open starts the next file.
func (w *pcapngRotator) open() error {
	for tries := 0; ; tries++ {
		w.seq++
		name := fmt.Sprintf("%s.%04d.pcapng", w.base, w.seq)
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
		if errors.Is(err, os.ErrExist) && tries < 100000 {
			continue
		}
		if err != nil {
			return err
		}
		w.f, w.cw = f, &liveCountWriter{w: f}
		break
	}
	opts := pcapgo.NgWriterOptions{SectionInfo: pcapgo.NgSectionInfo{OS: "Linux", Application: "ixaudit " + toolVersion()}}
	ng, err := pcapgo.NewNgWriterInterface(w.cw, w.ifs[0], opts)
	if err == nil {
		for _, i := range w.ifs[1:] {
			if _, err = ng.AddInterface(i); err != nil {
				break
			}
		}
	}
	if err == nil {
		err = ng.Flush() // so that the headers count in the file's size
	}
	if err != nil {
		w.f.Close()
		return fmt.Errorf("%s: %w", w.f.Name(), err)
	}
	w.w = ng
	w.size = w.cw.n
	w.names = append(w.names, w.f.Name())
	w.started = time.Time{}
	w.opened = time.Now()
	w.atOpen = w.atOpen[:0]
	for _, s := range w.stats {
		var st capture.LiveStats
		if s != nil {
			st = s.Stats()
		}
		w.atOpen = append(w.atOpen, st)
	}
	return nil
}

// write appends one packet, starting a new file first when the current one is full.
func (w *pcapngRotator) write(p *capture.Packet) error {
	if w.started.IsZero() {
		w.started = p.Time
	} else if (w.rotateSize > 0 && w.size >= w.rotateSize) || (w.rotateEvery > 0 && p.Time.Sub(w.started) >= w.rotateEvery) {
		if err := w.closeFile(); err != nil {
			return err
		}
		if err := w.open(); err != nil {
			return err
		}
		w.started = p.Time
	}
	ci := gopacket.CaptureInfo{Timestamp: p.Time, CaptureLength: len(p.Data), Length: max(p.Length, len(p.Data)), InterfaceIndex: p.Interface}
	if err := w.w.WritePacket(ci, p.Data); err != nil {
		return fmt.Errorf("%s: %w", w.f.Name(), err)
	}
	w.size += int64(32 + (len(p.Data)+3)&^3) // an enhanced packet block without options
	return nil
}

// closeFile writes the statistics blocks, flushes and closes the current file.
func (w *pcapngRotator) closeFile() error {
	name := w.f.Name()
	now := time.Now()
	var err error
	for i, s := range w.stats {
		if s == nil {
			continue
		}
		st := s.Stats()
		err = errors.Join(err, w.w.WriteInterfaceStats(i, pcapgo.NgInterfaceStatistics{
			LastUpdate: now, StartTime: w.opened, EndTime: now,
			PacketsReceived: st.Received - w.atOpen[i].Received,
			PacketsDropped:  st.Dropped - w.atOpen[i].Dropped,
		}))
	}
	err = errors.Join(err, w.w.Flush(), w.f.Close())
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// Close finishes the last file.
func (w *pcapngRotator) Close() error { return w.closeFile() }

// liveCountWriter counts the bytes written through it.
type liveCountWriter struct {
	w io.Writer
	n int64
}

func (c *liveCountWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
