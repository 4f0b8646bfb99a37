package capture

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"testing/iotest"
	"time"
)

// smallPcap returns a pcap file of n records and its packets.
func smallPcap(t *testing.T, n int) ([]byte, []Packet) {
	t.Helper()
	var recs []pcapRecord
	for i := range n {
		recs = append(recs, pcapRecord{sec: 1_700_000_000 + uint32(i), frac: uint32(i), data: payload(i, 50+i*13)})
	}
	b, _ := pcapFile{order: le, magic: magicPcapNano, minor: 4, snapLen: 65535, linkType: 1, records: recs}.bytes()
	pkts, err := readBytes(t, "small.pcap", b)
	if err != io.EOF || len(pkts) != n {
		t.Fatalf("small pcap: %d packets, %v", len(pkts), err)
	}
	return b, pkts
}

func gzipBytes(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	z := gzip.NewWriter(&buf)
	if _, err := z.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestOpenNotACapture checks the one-line errors for inputs that are not captures.
func TestOpenNotACapture(t *testing.T) {
	pcap, _ := smallPcap(t, 1)
	ng := newNgFile(le).b
	tests := []struct {
		name    string
		content []byte
		want    error
		wantMsg string
	}{
		{"empty", nil, ErrEmpty, "F: empty file"},
		{"html", []byte("<html><body>404</body></html>\n"), ErrNotCapture,
			"F: not a pcap or pcapng capture (starts with 3c 68 74 6d)"},
		{"two bytes of text", []byte("hi"), ErrNotCapture, "F: not a pcap or pcapng capture (starts with 68 69)"},
		{"the start of a pcap magic", pcap[:3], ErrTruncated,
			"F: file header at byte offset 0: capture ends after 3 of 24 file header bytes"},
		{"the start of a pcapng magic", ng[:2], ErrTruncated,
			"F: file header at byte offset 0: capture ends after 2 of 28 file header bytes"},
		{"pcapng block type without the byte-order magic", append(bytes.Clone(ng[:8]), 1, 2, 3, 4), ErrNotCapture,
			"F: not a pcap or pcapng capture (starts with 0a 0d 0d 0a)"},
		{"gzip of nothing", gzipBytes(t, nil), ErrEmpty, "F: empty file (the gzip stream holds no data)"},
		{"gzip of html", gzipBytes(t, []byte("<html>")), ErrNotCapture,
			"F: not a pcap or pcapng capture (starts with 3c 68 74 6d)"},
		{"gzip of gzip", gzipBytes(t, gzipBytes(t, pcap)), ErrNotCapture,
			"F: not a pcap or pcapng capture (a gzip stream inside a gzip stream)"},
		{"gzip magic alone", []byte{0x1f, 0x8b}, ErrTruncated,
			"F: gzip header at byte offset 0: gzip stream ends early"},
		{"one gzip byte", []byte{0x1f}, ErrTruncated,
			"F: gzip header at byte offset 0: capture ends after 1 byte"},
		{"bad gzip header", []byte{0x1f, 0x8b, 99, 0, 0, 0, 0, 0, 0, 0, 0, 0}, ErrCorrupt,
			"F: gzip header at byte offset 0: gzip stream is corrupt: gzip: invalid header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeTemp(t, "F", tt.content)
			for _, open := range []struct {
				how string
				fn  func() (Source, error)
			}{
				{"Open", func() (Source, error) { return Open(path) }},
				{"NewReader", func() (Source, error) { return NewReader(path, bytes.NewReader(tt.content)) }},
			} {
				src, err := open.fn()
				if err == nil {
					src.Close()
					t.Fatalf("%s succeeded, want an error wrapping %v", open.how, tt.want)
				}
				if !errors.Is(err, tt.want) {
					t.Errorf("%s: error %v, want one wrapping %v", open.how, err, tt.want)
				}
				if want := strings.Replace(tt.wantMsg, "F", path, 1); err.Error() != want {
					t.Errorf("%s: message\n got %q\nwant %q", open.how, err.Error(), want)
				}
			}
		})
	}
}

// TestOpenFileErrors checks the errors for paths that cannot be read as files.
func TestOpenFileErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.pcap")
	unreadable := writeTemp(t, "unreadable.pcap", []byte{0xd4, 0xc3, 0xb2, 0xa1})
	if err := os.Chmod(unreadable, 0); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		path    string
		want    error
		wantMsg string
		skip    string
	}{
		{name: "missing file", path: missing, want: fs.ErrNotExist, wantMsg: missing + ": cannot open: no such file or directory"},
		{name: "directory", path: dir, want: syscall.EISDIR, wantMsg: dir + ": is a directory"},
		{name: "permission denied", path: unreadable, want: fs.ErrPermission, wantMsg: unreadable + ": cannot open: permission denied",
			skip: map[bool]string{true: "running as root, who may read any file"}[os.Geteuid() == 0]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.skip != "" {
				t.Skip(tt.skip)
			}
			src, err := Open(tt.path)
			if err == nil {
				src.Close()
				t.Fatalf("Open(%q) succeeded", tt.path)
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("error %v, want one wrapping %v", err, tt.want)
			}
			if err.Error() != tt.wantMsg {
				t.Errorf("message\n got %q\nwant %q", err.Error(), tt.wantMsg)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("message %q is not one line", err)
			}
		})
	}
}

// TestGzip reads gzip-compressed pcap and pcapng files, whole and damaged.
func TestGzip(t *testing.T) {
	pcap, want := smallPcap(t, 40)
	ng := newNgFile(be)
	ng.idb(1, 0)
	for i := range 40 {
		ng.epb(0, uint64(i), 70, payload(i, 70))
	}
	ngWant, err := readBytes(t, "ng", ng.b)
	if err != io.EOF {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		raw  []byte
		want []Packet
	}{{"pcap", pcap, want}, {"pcapng", ng.b, ngWant}} {
		gz := gzipBytes(t, tc.raw)
		t.Run(tc.name+" whole", func(t *testing.T) {
			src, err := Open(writeTemp(t, "c.gz", gz))
			if err != nil {
				t.Fatal(err)
			}
			got, err := readAll(t, src)
			if err != io.EOF {
				t.Errorf("final error = %v, want io.EOF", err)
			}
			if diff := diffPackets(tc.want, got); diff != "" {
				t.Errorf("packets (-want +got):\n%s", diff)
			}
			if n := src.(Progress).BytesRead(); n != int64(len(gz)) {
				t.Errorf("BytesRead = %d, want the compressed size %d", n, len(gz))
			}
			if err := src.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
		t.Run(tc.name+" two gzip members", func(t *testing.T) {
			half := len(tc.raw) / 2
			two := append(gzipBytes(t, tc.raw[:half]), gzipBytes(t, tc.raw[half:])...)
			got, err := readBytes(t, "two.gz", two)
			if err != io.EOF {
				t.Errorf("final error = %v, want io.EOF", err)
			}
			if diff := diffPackets(tc.want, got); diff != "" {
				t.Errorf("packets (-want +got):\n%s", diff)
			}
		})
		t.Run(tc.name+" cut", func(t *testing.T) {
			// Every cut of the compressed stream past its header returns a prefix
			// of the packets, then an error wrapping ErrTruncated that names the
			// input. Cuts in the 10-byte header fail in NewReader.
			for cut := 10; cut < len(gz); cut++ {
				got, err := readBytes(t, "cut.gz", gz[:cut])
				if !errors.Is(err, ErrTruncated) {
					t.Fatalf("cut at %d of %d: error %v, want one wrapping ErrTruncated", cut, len(gz), err)
				}
				if !strings.HasPrefix(err.Error(), "cut.gz: ") {
					t.Errorf("cut at %d: message %q does not start with the name", cut, err)
				}
				if diff := diffPackets(tc.want[:len(got)], got); diff != "" {
					t.Fatalf("cut at %d: packets are not a prefix of the whole file's (-want +got):\n%s", cut, diff)
				}
			}
		})
	}
	t.Run("bad checksum", func(t *testing.T) {
		gz := gzipBytes(t, pcap)
		gz[len(gz)-8] ^= 0xff // the CRC-32 of the trailer
		got, err := readBytes(t, "crc.gz", gz)
		if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("error %v, want one wrapping ErrCorrupt", err)
		}
		if !errors.Is(err, gzip.ErrChecksum) {
			t.Errorf("error %v does not wrap gzip.ErrChecksum", err)
		}
		if len(got) != len(want) {
			t.Errorf("%d packets before the error, want all %d", len(got), len(want))
		}
		wantMsg := "crc.gz: record 41 at byte offset " + strconv.Itoa(len(pcap)) + ": gzip stream is corrupt: gzip: invalid checksum"
		if err.Error() != wantMsg {
			t.Errorf("message\n got %q\nwant %q", err.Error(), wantMsg)
		}
	})
	t.Run("corrupt deflate data", func(t *testing.T) {
		gz := gzipBytes(t, pcap)
		gz[10] = 0xff // block type 3 does not exist
		_, err := readBytes(t, "bad.gz", gz)
		if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("error %v, want one wrapping ErrCorrupt", err)
		}
	})
}

// TestStreams reads captures from readers that cannot seek and deliver few bytes at a
// time, and from standard input through a pipe.
func TestStreams(t *testing.T) {
	pcap, want := smallPcap(t, 30)
	readers := []struct {
		name string
		r    func() io.Reader
	}{
		{"one byte at a time", func() io.Reader { return iotest.OneByteReader(bytes.NewReader(pcap)) }},
		{"half reads", func() io.Reader { return iotest.HalfReader(bytes.NewReader(pcap)) }},
		{"data with EOF", func() io.Reader { return iotest.DataErrReader(bytes.NewReader(pcap)) }},
		{"gzip one byte at a time", func() io.Reader { return iotest.OneByteReader(bytes.NewReader(gzipBytes(t, pcap))) }},
		{"empty reads in between", func() io.Reader { return &stutterReader{r: bytes.NewReader(pcap)} }},
	}
	for _, tc := range readers {
		t.Run(tc.name, func(t *testing.T) {
			src, err := NewReader("stream", tc.r())
			if err != nil {
				t.Fatal(err)
			}
			got, err := readAll(t, src)
			if err != io.EOF {
				t.Errorf("final error = %v, want io.EOF", err)
			}
			if diff := diffPackets(want, got); diff != "" {
				t.Errorf("packets (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("read error", func(t *testing.T) {
		boom := errors.New("device on fire")
		src, err := NewReader("stream", io.MultiReader(bytes.NewReader(pcap[:200]), iotest.ErrReader(boom)))
		if err != nil {
			t.Fatal(err)
		}
		got, err := readAll(t, src)
		if !errors.Is(err, boom) {
			t.Fatalf("error %v, want one wrapping the reader's", err)
		}
		var re *ReadError
		if !errors.As(err, &re) || re.Name != "stream" || re.Record != len(got)+1 {
			t.Errorf("error %#v, want a *ReadError for record %d of stream", err, len(got)+1)
		}
	})
	t.Run("a reader that never delivers", func(t *testing.T) {
		_, err := NewReader("stream", &stutterReader{r: bytes.NewReader(pcap), every: 1})
		if !errors.Is(err, io.ErrNoProgress) {
			t.Errorf("error %v, want io.ErrNoProgress", err)
		}
	})
	t.Run("standard input", func(t *testing.T) {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		stdin := os.Stdin
		os.Stdin = r
		defer func() { os.Stdin = stdin }()
		go func() {
			w.Write(pcap)
			w.Close()
		}()
		src, err := Open("-")
		if err != nil {
			t.Fatal(err)
		}
		if src.Name() != "-" {
			t.Errorf("Name = %q, want -", src.Name())
		}
		got, err := readAll(t, src)
		if err != io.EOF {
			t.Errorf("final error = %v, want io.EOF", err)
		}
		if diff := diffPackets(want, got); diff != "" {
			t.Errorf("packets (-want +got):\n%s", diff)
		}
		if err := src.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if _, err := r.Stat(); err != nil {
			t.Errorf("standard input was closed: %v", err)
		}
	})
}

// TestClose checks that Close closes the file and that reading after it fails.
func TestClose(t *testing.T) {
	pcap, _ := smallPcap(t, 3)
	ng := newNgFile(le)
	ng.idb(1, 0)
	ng.epb(0, 0, 10, payload(0, 10))
	for _, b := range [][]byte{pcap, ng.b} {
		src, err := Open(writeTemp(t, "c", b))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := src.ReadPacket(); err != nil {
			t.Fatal(err)
		}
		if err := src.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if _, err := src.ReadPacket(); !errors.Is(err, fs.ErrClosed) {
			t.Errorf("ReadPacket after Close = %v, want fs.ErrClosed", err)
		}
		if err := src.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
	}
}

// TestBytesReadIsSafeConcurrently reads BytesRead from another goroutine while the
// capture is read; run with -race to check.
func TestBytesReadIsSafeConcurrently(t *testing.T) {
	pcap, _ := smallPcap(t, 200)
	src, err := NewReader("c", iotest.HalfReader(bytes.NewReader(pcap)))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var last int64
	go func() {
		defer close(done)
		for range 1000 {
			last = src.(Progress).BytesRead()
			time.Sleep(time.Microsecond)
		}
	}()
	if _, err := readAll(t, src); err != io.EOF {
		t.Fatal(err)
	}
	<-done
	if last < 0 || last > int64(len(pcap)) {
		t.Errorf("BytesRead = %d, outside 0..%d", last, len(pcap))
	}
}

// stutterReader returns (0, nil) before every few reads, as some network readers do.
// With every == 1 it never returns data.
type stutterReader struct {
	r     io.Reader
	every int
	n     int
}

func (s *stutterReader) Read(p []byte) (int, error) {
	s.n++
	if s.every == 1 || s.n%3 == 0 {
		return 0, nil
	}
	return s.r.Read(p)
}
