package main

import (
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ixaudit/ixaudit/analyze"
	"github.com/ixaudit/ixaudit/capture"
)

// progress prints one self-overwriting line on standard error while long audits run on
// a terminal: bytes read of the total, packets per second. It measures wall-clock time,
// which is only ever shown to the user, never used by the analysis.
type progress struct {
	e       *env
	enabled bool
	total   int64 // bytes of all input files, 0 when unknown (standard input)
	packets atomic.Int64
	mu      sync.Mutex
	sources []capture.Source
	done    chan struct{}
	once    sync.Once
	wg      sync.WaitGroup
}

func newProgress(e *env, cfg *config) *progress {
	p := &progress{e: e, done: make(chan struct{})}
	p.enabled = !cfg.quiet && e.isTerminal(e.stderr)
	if !p.enabled {
		return p
	}
	for _, name := range cfg.inputs {
		if st, err := os.Stat(name); err == nil && st.Mode().IsRegular() {
			p.total += st.Size()
		}
	}
	p.wg.Add(1)
	go p.loop()
	return p
}

// wrap counts the packets read from src.
func (p *progress) wrap(src capture.Source) capture.Source {
	if !p.enabled {
		return src
	}
	p.mu.Lock()
	p.sources = append(p.sources, src)
	p.mu.Unlock()
	c := &countingSource{Source: src, n: &p.packets}
	if ps, ok := src.(analyze.PreparedSource); ok {
		return &countingPreparedSource{countingSource: c, ps: ps}
	}
	return c
}

func (p *progress) loop() {
	defer p.wg.Done()
	start := time.Now()
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	shown := false
	for {
		select {
		case <-p.done:
			if shown {
				fmt.Fprint(p.e.stderr, "\r\033[K")
			}
			return
		case now := <-t.C:
			if now.Sub(start) < time.Second {
				continue
			}
			line := p.line(now.Sub(start))
			fmt.Fprint(p.e.stderr, "\r\033[K"+line)
			shown = true
		}
	}
}

func (p *progress) stop() {
	p.once.Do(func() { close(p.done) })
	p.wg.Wait()
}

// countingSource counts packets as they are read.
type countingSource struct {
	capture.Source
	n *atomic.Int64
}

func (c *countingSource) ReadPacket() (capture.Packet, error) {
	p, err := c.Source.ReadPacket()
	if err == nil {
		c.n.Add(1)
	}
	return p, err
}

// countingPreparedSource is a countingSource that keeps its inner Source's decoding and
// preparation.
type countingPreparedSource struct {
	*countingSource
	ps analyze.PreparedSource
}

func (c *countingPreparedSource) ReadPrepared() (*capture.Packet, *capture.Frame, capture.Gap, *analyze.Prepared, error) {
	p, f, g, pr, err := c.ps.ReadPrepared()
	if err == nil {
		c.n.Add(1)
	}
	return p, f, g, pr, err
}

// thousands formats n with comma separators.
func thousands(n int64) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// Drops forwards capture.DropCounter, so that wrapping does not hide the drop count.
func (c *countingSource) Drops() uint64 {
	if d, ok := c.Source.(capture.DropCounter); ok {
		return d.Drops()
	}
	return 0
}

// line is the progress line after elapsed wall-clock time: packets read, their rate, and
// the bytes read of the inputs' total when it is known.
func (p *progress) line(elapsed time.Duration) string {
	var read int64
	p.mu.Lock()
	for _, s := range p.sources {
		if pr, ok := s.(capture.Progress); ok {
			read += pr.BytesRead()
		}
	}
	p.mu.Unlock()
	n := p.packets.Load()
	rate := float64(n) / elapsed.Seconds()
	line := fmt.Sprintf("ixaudit: %s packets, %.0f packets/s", thousands(n), rate)
	if p.total > 0 {
		line += fmt.Sprintf(", %d MB of %d MB (%.0f%%)", read>>20, p.total>>20, 100*float64(read)/float64(p.total))
	}
	return line
}
