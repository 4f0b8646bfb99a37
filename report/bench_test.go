package report

import (
	"fmt"
	"io"
	"testing"

	"github.com/ixaudit/ixaudit/analyze"
)

// bigReport is a report of n calls, each with two streams and a finding.
func bigReport(n int) *analyze.Report {
	r := failReport()
	base := r.Calls[0]
	stream := r.Streams[0]
	finding := r.Findings[0]
	r.Calls, r.Streams, r.Findings = nil, nil, nil
	for i := 0; i < n; i++ {
		c := base
		c.CallID = fmt.Sprintf("%08x-%d@203.0.113.7", i*2654435761, i)
		c.From = fmt.Sprintf("<sip:+1415555%04d@203.0.113.7>;tag=%d", i%10000, i)
		r.Calls = append(r.Calls, c)
		for j := 0; j < 2; j++ {
			s := stream
			s.CallID = c.CallID
			r.Streams = append(r.Streams, s)
		}
		f := finding
		f.CallID = c.CallID
		f.Packet = i * 10
		f.Evidence = c.From
		r.Findings = append(r.Findings, f)
	}
	return r
}

func BenchmarkRender(b *testing.B) {
	r := bigReport(1000)
	for _, format := range []string{"table", "json", "junit", "markdown"} {
		b.Run(format, func(b *testing.B) {
			ren, _ := New(format, Options{AllCalls: true})
			b.ReportAllocs()
			for b.Loop() {
				if err := ren.Render(io.Discard, r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkJSON renders the JSON of 2,000 calls, 4,000 streams and 2,000 findings: the
// report after an audit like make bench's (which has no findings).
func BenchmarkJSON(b *testing.B) {
	r := bigReport(2000)
	ren := &JSON{}
	b.ReportAllocs()
	for b.Loop() {
		if err := ren.Render(io.Discard, r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRedact(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		r := bigReport(1000)
		b.StartTimer()
		Redact(r)
	}
}
