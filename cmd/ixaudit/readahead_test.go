package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/ixaudit/ixaudit/analyze"
	"github.com/ixaudit/ixaudit/capture"
	"github.com/ixaudit/ixaudit/report"
)

// fakeSource yields n packets whose sizes follow sizes (cyclically), each filled with a
// pattern of its number, then err. It counts drops and link types as it goes, and records
// whether it was closed. With n < 0 it never ends.
type fakeSource struct {
	n, i   int
	sizes  []int
	err    error
	buf    []byte
	closed bool
	links  []capture.LinkType
}

func (s *fakeSource) ReadPacket() (capture.Packet, error) {
	if s.n >= 0 && s.i == s.n {
		return capture.Packet{}, s.err
	}
	s.i++
	size := s.sizes[s.i%len(s.sizes)]
	if cap(s.buf) < size {
		s.buf = make([]byte, size)
	}
	// The same buffer every time, overwritten: as the real readers do.
	b := s.buf[:size]
	for k := range b {
		b[k] = byte(s.i + k)
	}
	if s.i == 3 {
		s.links = append(s.links, capture.LinkLinuxSLL)
	}
	return capture.Packet{Number: s.i, Time: time.Unix(int64(s.i), 0), LinkType: capture.LinkEthernet, Length: size + 1, Data: b}, nil
}

func (s *fakeSource) Name() string                  { return "fake" }
func (s *fakeSource) LinkTypes() []capture.LinkType { return s.links }
func (s *fakeSource) Drops() uint64                 { return uint64(s.i / 10) }
func (s *fakeSource) Close() error                  { s.closed = true; return nil }

// TestReadAheadSamePackets reads sources through readAhead and checks that every packet,
// the final error, the link types and the drop count are those of the inner source: small
// packets (batches end on the packet count), large ones (batches end on bytes), a packet
// larger than a batch, and a damaged end.
func TestReadAheadSamePackets(t *testing.T) {
	damaged := errors.New("record 9000: truncated")
	for _, tc := range []struct {
		name  string
		n     int
		sizes []int
		err   error
	}{
		{"empty", 0, []int{60}, io.EOF},
		{"small", 10000, []int{60, 0, 214}, io.EOF},
		{"large", 3000, []int{1514, 9000, 65535}, io.EOF},
		{"larger than a batch", 20, []int{100, readAheadBatchBytes + 12345, 7}, io.EOF},
		{"damaged", 9000, []int{214}, damaged},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inner := &fakeSource{n: tc.n, sizes: tc.sizes, err: tc.err}
			ref := &fakeSource{n: tc.n, sizes: tc.sizes, err: tc.err}
			r := newReadAhead(inner)
			for i := 1; ; i++ {
				got, gerr := r.ReadPacket()
				want, werr := ref.ReadPacket()
				if gerr != werr {
					t.Fatalf("packet %d: error %v, want %v", i, gerr, werr)
				}
				if werr != nil {
					break
				}
				if got.Number != want.Number || !got.Time.Equal(want.Time) || got.LinkType != want.LinkType ||
					got.Length != want.Length || !bytes.Equal(got.Data, want.Data) {
					t.Fatalf("packet %d: got number %d, %d bytes; want number %d, %d bytes", i, got.Number, len(got.Data), want.Number, len(want.Data))
				}
			}
			if _, err := r.ReadPacket(); err != tc.err {
				t.Errorf("ReadPacket after the end: %v, want %v again", err, tc.err)
			}
			if got, want := fmt.Sprint(r.LinkTypes()), fmt.Sprint(ref.LinkTypes()); got != want {
				t.Errorf("link types %s, want %s", got, want)
			}
			if r.Drops() != ref.Drops() {
				t.Errorf("drops %d, want %d", r.Drops(), ref.Drops())
			}
			if err := r.Close(); err != nil || !inner.closed {
				t.Errorf("Close: %v, inner closed %v", err, inner.closed)
			}
		})
	}
}

// eachCapture opens every test capture twice and calls fn with one opened directly and
// one read through readAhead; it closes them afterwards.
func eachCapture(t *testing.T, fn func(name string, direct capture.Source, via *readAhead)) {
	eachCaptureParsing(t, parseWhenAhead, fn)
}

// eachCaptureParsing is eachCapture with readAhead parsing the SIP messages parse says.
func eachCaptureParsing(t *testing.T, parse parseAhead, fn func(name string, direct capture.Source, via *readAhead)) {
	files, err := filepath.Glob(filepath.Join("..", "..", "testdata", "captures", "*.pcap*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no test captures: %v", err)
	}
	for _, name := range files {
		direct, err := capture.Open(name)
		if err != nil {
			continue // a capture that is meant not to open
		}
		viaSrc, err := capture.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		via := startReadAhead(viaSrc, parse)
		fn(name, direct, via)
		direct.Close()
		if err := via.Close(); err != nil {
			t.Errorf("%s: Close: %v", name, err)
		}
	}
}

// TestReadAheadCaptures reads real captures with and without readAhead.
func TestReadAheadCaptures(t *testing.T) {
	eachCapture(t, func(name string, direct capture.Source, via *readAhead) {
		n := 0
		for {
			p, perr := direct.ReadPacket()
			q, qerr := via.ReadPacket()
			if (perr == nil) != (qerr == nil) || (perr != nil && perr.Error() != qerr.Error()) {
				t.Fatalf("%s: packet %d: error %v through readAhead, %v directly", name, n+1, qerr, perr)
			}
			if perr != nil {
				break
			}
			if p.Number != q.Number || !p.Time.Equal(q.Time) || p.LinkType != q.LinkType || p.Interface != q.Interface ||
				p.Length != q.Length || !bytes.Equal(p.Data, q.Data) {
				t.Fatalf("%s: packet %d differs through readAhead", name, n+1)
			}
			n++
		}
		if fmt.Sprint(direct.LinkTypes()) != fmt.Sprint(via.LinkTypes()) {
			t.Errorf("%s: link types %v through readAhead, %v directly", name, via.LinkTypes(), direct.LinkTypes())
		}
	})
}

// renderAudit audits src with aud and returns the JSON report.
func renderAudit(t *testing.T, aud *analyze.Auditor, src capture.Source) []byte {
	t.Helper()
	res, err := aud.Audit(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := (&report.JSON{}).Render(&buf, aud.Report(analyze.Tool{Name: "ixaudit"}, []*analyze.InputResult{res})); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestReadAheadFrames checks the decoding and preparing readAhead does in its goroutine:
// on every test capture, ReadPrepared gives the packet, the Frame, the Gap and the
// analyze.Prepared that decoding and preparing the packet read directly gives, and the
// whole audit (every field of the JSON report) is the same through readAhead as without
// it, whether the reader parses every SIP message ahead, none, or those it has time for.
func TestReadAheadFrames(t *testing.T) {
	for _, mode := range []struct {
		name  string
		parse parseAhead
	}{{"always", parseAlways}, {"never", parseNever}, {"when ahead", parseWhenAhead}} {
		t.Run(mode.name, func(t *testing.T) {
			frames, fast, parsed, notParsed := readAheadFrames(t, mode.parse)
			t.Logf("%d frames, %d prepared fast, %d SIP messages parsed ahead, %d not", frames, fast, parsed, notParsed)
			if frames < 10000 || fast < 5000 {
				t.Errorf("only %d frames compared, %d prepared fast", frames, fast)
			}
			switch {
			case mode.parse == parseAlways && (parsed < 500 || notParsed > parsed/2):
				t.Errorf("parsing always, %d SIP messages were parsed ahead and %d were not", parsed, notParsed)
			case mode.parse == parseNever && (parsed > 0 || notParsed < 500):
				t.Errorf("parsing never, %d SIP messages were parsed ahead and %d were not", parsed, notParsed)
			}
		})
	}
}

// readAheadFrames is TestReadAheadFrames with readAhead parsing the SIP messages parse
// says. It returns the number of frames compared, of them the number prepared fast, and
// the number of SIP messages that were parsed ahead and that were not.
func readAheadFrames(t *testing.T, parse parseAhead) (frames, fast, sipParsed, sipNotParsed int) {
	aud := analyze.New(analyze.Config{})
	audit := func(src capture.Source) []byte { return renderAudit(t, aud, src) }
	var (
		dec     capture.Decoder
		pre     analyze.Preparer
		wantMsg analyze.PreparedSIP
	)
	// Prepared is compared field by field, unexported ones too, and the SIP message it may
	// refer to likewise: a message parsed into a reused one holds empty lists where a
	// fresh one holds nil, and errors are new values that say the same.
	sameErr := func(a, b error) bool { return (a == nil) == (b == nil) && (a == nil || a.Error() == b.Error()) }
	sameParsed := cmp.Options{cmp.Exporter(func(reflect.Type) bool { return true }), cmpopts.EquateEmpty(), cmp.Comparer(sameErr)}
	// A parsed message is compared by what it gives: a reused one keeps the SDP of an
	// earlier message when the new one has none.
	samePrepared := append(cmp.Options{cmp.Comparer(func(a, b *analyze.PreparedSIP) bool {
		if a == nil || b == nil {
			return a == b
		}
		as, aok, aerr := a.SDP()
		bs, bok, berr := b.SDP()
		return cmp.Equal(a.Message, b.Message, sameParsed) && sameErr(a.Err(), b.Err()) &&
			aok == bok && sameErr(aerr, berr) && (!aok || cmp.Equal(as, bs, sameParsed))
	})}, sameParsed...)
	eachCaptureParsing(t, parse, func(name string, direct capture.Source, via *readAhead) {
		var (
			want     capture.Frame
			wantPr   analyze.Prepared
			wantBare analyze.Prepared
		)
		for n := 1; ; n++ {
			p, perr := direct.ReadPacket()
			q, f, g, pr, qerr := via.ReadPrepared()
			if (perr == nil) != (qerr == nil) {
				t.Fatalf("%s: packet %d: error %v through readAhead, %v directly", name, n, qerr, perr)
			}
			if perr != nil {
				break
			}
			wg := dec.Decode(&p, &want)
			parsed := pre.Prepare(&p, &want, wg, &wantPr, &wantMsg)
			pre.Prepare(&p, &want, wg, &wantBare, nil)
			if pr.Fast() != (f == nil) {
				t.Fatalf("%s: packet %d: frame %v for a prepared fast %v", name, n, f, pr.Fast())
			}
			if f == nil {
				f, fast = &want, fast+1 // not read by the analysis, not given
			}
			if q.Number != p.Number || !bytes.Equal(q.Data, p.Data) || g != wg || !reflect.DeepEqual(*f, want) {
				t.Fatalf("%s: packet %d: frame %+v, gap %v through readAhead; want %+v, %v", name, n, *f, g, want, wg)
			}
			// A batch parses a few dozen SIP messages ahead; the analysis parses any more.
			switch {
			case reflect.DeepEqual(wantPr, *pr) || cmp.Equal(wantPr, *pr, samePrepared):
				if parsed {
					sipParsed++
				}
			case parsed && cmp.Equal(wantBare, *pr, samePrepared):
				sipNotParsed++
			default:
				t.Fatalf("%s: packet %d: prepared through readAhead differs (-want +got):\n%s", name, n, cmp.Diff(wantPr, *pr, samePrepared))
			}
			frames++
		}
	})
	eachCaptureParsing(t, parse, func(name string, direct capture.Source, via *readAhead) {
		if a, b := audit(direct), audit(via); !bytes.Equal(a, b) {
			t.Errorf("%s: the audit through readAhead differs from the audit without it", name)
		}
	})
	return frames, fast, sipParsed, sipNotParsed
}

// TestReadAheadCloseEarly stops reading a source that never ends: Close returns, the
// reader goroutine is gone, and the inner source is closed.
func TestReadAheadCloseEarly(t *testing.T) {
	before := runtime.NumGoroutine()
	for range 20 {
		inner := &fakeSource{n: -1, sizes: []int{200}}
		r := newReadAhead(inner)
		for range 5000 {
			if _, err := r.ReadPacket(); err != nil {
				t.Fatal(err)
			}
		}
		if err := r.Close(); err != nil || !inner.closed {
			t.Fatalf("Close: %v, inner closed %v", err, inner.closed)
		}
		if err := r.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
	}
	// Close waits for the reader goroutine, so none is left over (a goroutine that has
	// signalled its end may take a moment to be gone).
	after := runtime.NumGoroutine()
	for deadline := time.Now().Add(2 * time.Second); after > before && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
		after = runtime.NumGoroutine()
	}
	if after > before {
		t.Errorf("%d goroutines after 20 early Closes, %d before", after, before)
	}
}

// TestUseReadAhead: a reader goroutine only when a core would otherwise stay idle.
func TestUseReadAhead(t *testing.T) {
	for _, tc := range []struct {
		jobs, inputs, procs int
		want                bool
	}{
		{2, 1, 2, true},  // one file on two cores: read on one, analyse on the other
		{2, 2, 2, false}, // two files at once on two cores: each core audits one
		{1, 5, 2, true},  // -j 1
		{8, 3, 4, true},
		{1, 1, 1, false}, // one core
	} {
		if got := useReadAhead(tc.jobs, tc.inputs, tc.procs); got != tc.want {
			t.Errorf("useReadAhead(jobs %d, inputs %d, procs %d) = %v, want %v", tc.jobs, tc.inputs, tc.procs, got, tc.want)
		}
	}
}

// TestReadAheadRenewedBuffers reads a capture larger than the reader's first buffer, with
// small packets and large ones, through readAhead: the reader then reads into the
// batches' buffers (capture.BufferRenewer), moving to the next batch's when a buffer is
// full of bytes or a batch full of packets. Packets, frames and the whole audit must be
// those of the capture read directly, and every packet of a batch must still hold its
// bytes when the analysis reaches the end of the batch.
func TestReadAheadRenewedBuffers(t *testing.T) {
	name := filepath.Join(t.TempDir(), "big.pcap")
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	w := pcapgo.NewWriterNanos(f)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	// The calls of edge-params.pcap and the media of media.pcap, again and again, one
	// minute apart, then a burst of small packets (batches full of packets first).
	var written int
	for round := range 12 {
		for _, part := range []string{"edge-params.pcap", "media.pcap"} {
			src, err := capture.Open(filepath.Join("..", "..", "testdata", "captures", part))
			if err != nil {
				t.Fatal(err)
			}
			for {
				p, err := src.ReadPacket()
				if err != nil {
					break
				}
				ci := gopacket.CaptureInfo{Timestamp: p.Time.Add(time.Duration(round) * time.Minute), CaptureLength: len(p.Data), Length: p.Length}
				if err := w.WritePacket(ci, p.Data); err != nil {
					t.Fatal(err)
				}
				written++
			}
			src.Close()
		}
	}
	small := make([]byte, 60)
	for i := range 5000 {
		small[59] = byte(i)
		ci := gopacket.CaptureInfo{Timestamp: time.Unix(1700000000, int64(i)), CaptureLength: len(small), Length: len(small)}
		if err := w.WritePacket(ci, small); err != nil {
			t.Fatal(err)
		}
		written++
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(name); fi.Size() < 3<<20 {
		t.Fatalf("the capture has %d bytes: too small to move through several buffers", fi.Size())
	}

	open := func() capture.Source {
		src, err := capture.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := src.(capture.BufferRenewer); !ok {
			t.Fatalf("%T is not a capture.BufferRenewer: readAhead copies", src)
		}
		if _, ok := src.(capture.PacketReaderTo); !ok {
			t.Fatalf("%T is not a capture.PacketReaderTo: readAhead's other path", src)
		}
		return src
	}
	direct, via := open(), newReadAhead(open())
	defer direct.Close()
	defer via.Close()
	var (
		dec       capture.Decoder
		want      capture.Frame
		batch     []capture.Packet // the packets of via's current batch, and copies of their data
		saved     [][]byte
		n         int
		batches   int
		oversized int // batches with more bytes than a batch's buffer
	)
	for {
		p, perr := direct.ReadPacket()
		q, fr, g, pr, qerr := via.ReadPrepared()
		if (perr == nil) != (qerr == nil) {
			t.Fatalf("packet %d: error %v through readAhead, %v directly", n+1, qerr, perr)
		}
		if perr != nil {
			break
		}
		n++
		wg := dec.Decode(&p, &want)
		if fr == nil && pr.Fast() {
			fr = &want // not given: the analysis judges the packet from pr alone
		}
		if q.Number != p.Number || !q.Time.Equal(p.Time) || !bytes.Equal(q.Data, p.Data) || g != wg || !reflect.DeepEqual(*fr, want) {
			t.Fatalf("packet %d differs through readAhead", n)
		}
		batch = append(batch, *q)
		saved = append(saved, bytes.Clone(q.Data))
		if via.i == len(via.cur.pkts) { // the batch's last packet: are all its packets whole?
			size := 0
			for k := range batch {
				if !bytes.Equal(batch[k].Data, saved[k]) {
					t.Fatalf("packet %d changed before the analysis was done with its batch", batch[k].Number)
				}
				size += 16 + len(batch[k].Data) // with its record header
			}
			if size > readAheadBatchBytes {
				oversized++
			}
			batches++
			batch, saved = batch[:0], saved[:0]
		}
	}
	if batches < 10 {
		t.Errorf("only %d batches", batches)
	}
	// Batches hold what one buffer does, but for the first few: the reader's own first
	// buffer is 1 MiB, whose unread rest is moved on as it is. A batch that took more
	// would end on its packet count, and move the unread rest of its buffer each time.
	if oversized > 3 {
		t.Errorf("%d of %d batches hold more than %d bytes of records", oversized, batches, readAheadBatchBytes)
	}
	if n != written {
		t.Fatalf("%d packets read, %d written", n, written)
	}

	aud := analyze.New(analyze.Config{})
	render := func(src capture.Source) []byte {
		defer src.Close()
		return renderAudit(t, aud, src)
	}
	if a, b := render(open()), render(newReadAhead(open())); !bytes.Equal(a, b) {
		t.Error("the audit through readAhead differs from the audit without it")
	}
}
