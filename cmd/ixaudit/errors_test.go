package main

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/ixaudit/ixaudit/analyze"
)

// damagedGood is the capture the damaged inputs are made from: one Interconnect call of 110
// packets and no finding.
const (
	damagedGood    = "eth.pcap"
	damagedCallID  = "basic-92ac8a06d00b@203.0.113.10"
	damagedPackets = 110
)

// damagedRecords returns the packet records of testdata/captures/eth.pcap (what follows its
// 24-byte file header), split into records.
func damagedRecords(t *testing.T) (header []byte, records [][]byte) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "captures", damagedGood))
	if err != nil {
		t.Fatalf("the generated captures are missing (make testdata): %v", err)
	}
	header, rest := data[:24], data[24:]
	for len(rest) >= 16 {
		n := 16 + int(binary.LittleEndian.Uint32(rest[8:12]))
		records = append(records, rest[:n])
		rest = rest[n:]
	}
	if len(records) != damagedPackets || len(rest) != 0 {
		t.Fatalf("%s: %d records and %d bytes left, want %d records", damagedGood, len(records), len(rest), damagedPackets)
	}
	return header, records
}

// damagedGzip compresses data. When corruptAfter >= 0, the deflate stream is flushed after
// that many bytes and followed by a block of the reserved type 3, so that decompression fails
// there with flate's "corrupt input" error.
func damagedGzip(t *testing.T, data []byte, corruptAfter int) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if corruptAfter < 0 {
		zw.Write(data)
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	zw.Write(data[:corruptAfter])
	if err := zw.Flush(); err != nil { // a sync flush ends on a byte boundary
		t.Fatal(err)
	}
	return append(buf.Bytes(), 0x07, 0xde, 0xad, 0xbe, 0xef) // BFINAL=1, BTYPE=11 (reserved)
}

// damagedPcapng rewrites pcap records as a little-endian pcapng (one Ethernet interface),
// with blockLen, when not 0, as the total length of one more packet block at the end.
func damagedPcapng(records [][]byte, shbLen, blockLen uint32) []byte {
	le := binary.LittleEndian
	var b []byte
	if shbLen == 0 {
		shbLen = 28
	}
	b = le.AppendUint32(b, 0x0a0d0d0a)
	b = le.AppendUint32(b, shbLen)
	b = le.AppendUint32(b, 0x1a2b3c4d)
	b = le.AppendUint16(b, 1)
	b = le.AppendUint16(b, 0)
	b = le.AppendUint64(b, ^uint64(0))
	b = le.AppendUint32(b, 28)
	b = le.AppendUint32(b, 1) // interface description block
	b = le.AppendUint32(b, 20)
	b = le.AppendUint16(b, 1)
	b = le.AppendUint16(b, 0)
	b = le.AppendUint32(b, 262144)
	b = le.AppendUint32(b, 20)
	epb := func(rec []byte, total uint32) {
		sec, usec := le.Uint32(rec[0:4]), le.Uint32(rec[4:8])
		data := rec[16:]
		pad := (4 - len(data)%4) % 4
		if total == 0 {
			total = uint32(32 + len(data) + pad)
		}
		ts := uint64(sec)*1e6 + uint64(usec)
		b = le.AppendUint32(b, 6)
		b = le.AppendUint32(b, total)
		b = le.AppendUint32(b, 0)
		b = le.AppendUint32(b, uint32(ts>>32))
		b = le.AppendUint32(b, uint32(ts))
		b = le.AppendUint32(b, uint32(len(data)))
		b = le.AppendUint32(b, le.Uint32(rec[12:16]))
		b = append(b, data...)
		b = append(b, make([]byte, pad)...)
		b = le.AppendUint32(b, total)
	}
	for _, rec := range records {
		epb(rec, 0)
	}
	if blockLen != 0 {
		epb(records[0], blockLen)
	}
	return b
}

// auditOutcome is what one run of `ixaudit audit --format json` gave.
type auditOutcome struct {
	code   int
	lines  []string // standard error, by line
	report *analyze.Report
	alloc  uint64 // bytes allocated by the run
}

func runAuditJSON(t *testing.T, stdin []byte, args ...string) auditOutcome {
	t.Helper()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	stdout, stderr, code := runCmd(t, bytes.NewReader(stdin), append([]string{"audit", "--format", "json"}, args...)...)
	runtime.ReadMemStats(&after)
	out := auditOutcome{code: code, alloc: after.TotalAlloc - before.TotalAlloc}
	if s := strings.TrimRight(stderr, "\n"); s != "" {
		out.lines = strings.Split(s, "\n")
	}
	if strings.Contains(stderr, "panic") || strings.Contains(stderr, "goroutine ") {
		t.Fatalf("stack trace on standard error:\n%s", stderr)
	}
	if stdout != "" {
		out.report = new(analyze.Report)
		if err := json.Unmarshal([]byte(stdout), out.report); err != nil {
			t.Fatalf("standard output is no JSON report: %v\n%s", err, stdout)
		}
	}
	return out
}

// TestDamagedInputs checks what a user sees for captures that are damaged, cut, or lie
// about their sizes: an input that cannot be read at all gives one line naming the file and
// exit code 2 with no report; a capture damaged in the middle is audited up to the damage,
// reported with a capture-truncated finding, and named in one line, exit code 2; a capture
// cut in the middle of a record is not an input error (PRODUCT.md, "Exit codes"): it is
// audited up to the cut, with a capture-truncated finding, and the verdict gives the exit
// code. Nothing panics, and nothing allocates what a header claims.
func TestDamagedInputs(t *testing.T) {
	header, records := damagedRecords(t)
	whole := slices.Concat(append([][]byte{header}, records...)...)
	half := len(header)
	for _, r := range records[:damagedPackets/2] {
		half += len(r)
	}
	hugeSnap := slices.Concat(append([][]byte{pcapHeader(1, 1<<31)}, records...)...)
	hugeRecord := slices.Concat(pcapHeader(1, 1<<31), records[0][:8],
		[]byte{0, 0, 0, 0x80, 0, 0, 0, 0x80}, records[0][16:]) // captured and wire length 2 GiB
	gz := damagedGzip(t, whole, -1)
	badCRC := bytes.Clone(gz)
	badCRC[len(badCRC)-8] ^= 0xff

	type want struct {
		code      int
		line      []string // substrings of the one line on standard error; nil: no line
		report    bool
		packets   int  // packets audited (with report)
		truncated bool // input marked truncated, with a capture-truncated finding
		call      bool // the call of the good capture is in the report
		maxAlloc  uint64
	}
	tests := []struct {
		name  string
		file  string
		data  []byte
		stdin bool
		args  []string
		want  want
	}{
		{name: "gzip corrupt mid-stream", file: "corrupt.pcap.gz", data: damagedGzip(t, whole, half),
			want: want{code: exitUsage, line: []string{"corrupt.pcap.gz: record 56", "gzip stream is corrupt", "audited up to the damage"},
				report: true, packets: damagedPackets / 2, truncated: true, call: true}},
		{name: "gzip bad checksum", file: "crc.pcap.gz", data: badCRC,
			want: want{code: exitUsage, line: []string{"crc.pcap.gz: ", "gzip stream is corrupt", "checksum", "audited up to the damage"},
				report: true, packets: damagedPackets, truncated: true, call: true}},
		// Cut, not damaged: the verdict decides, and --fail-on warning makes the
		// capture-truncated warning fail the run.
		{name: "gzip cut", file: "cut.pcap.gz", data: gz[:len(gz)/2],
			want: want{code: exitOK, report: true, truncated: true, call: true}},
		{name: "gzip cut, fail on warning", file: "cut.pcap.gz", data: gz[:len(gz)/2], args: []string{"--fail-on", "warning"},
			want: want{code: exitFindings, report: true, truncated: true, call: true}},
		{name: "gzip header only", file: "head.pcap.gz", data: gz[:10],
			want: want{code: exitUsage, line: []string{"head.pcap.gz", "gzip"}}},
		{name: "gzip of nothing", file: "nothing.pcap.gz", data: damagedGzip(t, nil, -1),
			want: want{code: exitUsage, line: []string{"nothing.pcap.gz", "empty", "gzip stream holds no data"}}},
		{name: "pcapng bogus section length", file: "shb.pcapng", data: damagedPcapng(records, 0xfffffff0, 0),
			want: want{code: exitUsage, line: []string{"shb.pcapng", "section header block"}, maxAlloc: 64 << 20}},
		{name: "pcapng bogus block length", file: "block.pcapng", data: damagedPcapng(records, 0, 0xfffffff0),
			want: want{code: exitUsage, line: []string{"block.pcapng: record 111", "audited up to the damage"},
				report: true, packets: damagedPackets, truncated: true, call: true, maxAlloc: 64 << 20}},
		{name: "pcapng block length not a multiple of 4", file: "odd.pcapng", data: damagedPcapng(records, 0, 33),
			want: want{code: exitUsage, line: []string{"odd.pcapng: record 111", "audited up to the damage"},
				report: true, packets: damagedPackets, truncated: true, call: true}},
		// A snap length is a promise about records, not a size to allocate: 2 GiB is
		// clamped, and the capture is read as usual.
		{name: "pcap 2 GiB snap length", file: "snap.pcap", data: hugeSnap,
			want: want{code: exitOK, report: true, packets: damagedPackets, call: true, maxAlloc: 64 << 20}},
		{name: "pcap record of 2 GiB", file: "record.pcap", data: hugeRecord,
			want: want{code: exitUsage, line: []string{"record.pcap: record 1", "audited up to the damage"},
				report: true, truncated: true, maxAlloc: 64 << 20}},
		{name: "empty stdin", stdin: true, data: nil,
			want: want{code: exitUsage, line: []string{"-: ", "empty"}}},
		{name: "stdin cut inside the file header", stdin: true, data: header[:10],
			want: want{code: exitUsage, line: []string{"-: ", "file header"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out auditOutcome
			if tc.stdin {
				out = runAuditJSON(t, tc.data, append(tc.args, "-")...)
			} else {
				path := writeFile(t, tc.file, tc.data)
				out = runAuditJSON(t, nil, append(tc.args, path)...)
			}
			w := tc.want
			t.Logf("exit %d, stderr %q", out.code, out.lines)
			if out.code != w.code {
				t.Errorf("exit code %d, want %d (stderr %q)", out.code, w.code, out.lines)
			}
			switch {
			case w.line == nil && len(out.lines) != 0:
				t.Errorf("standard error %q, want nothing", out.lines)
			case w.line != nil && len(out.lines) != 1:
				t.Errorf("standard error %q, want one line", out.lines)
			case w.line != nil:
				for _, s := range w.line {
					if !strings.Contains(out.lines[0], s) {
						t.Errorf("error line %q does not contain %q", out.lines[0], s)
					}
				}
				if name := tc.file; name != "" && strings.Count(out.lines[0], name) != 1 {
					t.Errorf("error line %q does not name %s exactly once", out.lines[0], name)
				}
			}
			if w.maxAlloc > 0 && out.alloc > w.maxAlloc {
				t.Errorf("the run allocated %d MiB", out.alloc>>20)
			}
			if (out.report != nil) != w.report {
				t.Fatalf("report written: %v, want %v", out.report != nil, w.report)
			}
			if out.report == nil {
				return
			}
			checkDamagedReport(t, out.report, tc.file, w.packets, w.truncated, w.call)
		})
	}
}

// checkDamagedReport checks the report of one damaged input: its packets, whether it is
// marked truncated with a capture-truncated finding whose evidence names the file, and
// whether the good capture's call is listed. packets < 0 skips the packet count.
func checkDamagedReport(t *testing.T, r *analyze.Report, file string, packets int, truncated, call bool) {
	t.Helper()
	if len(r.Inputs) != 1 {
		t.Fatalf("inputs %+v, want one", r.Inputs)
	}
	in := r.Inputs[0]
	if packets > 0 && in.Packets != packets {
		t.Errorf("%d packets audited, want %d", in.Packets, packets)
	}
	var cut *analyze.Finding
	for i := range r.Findings {
		if f := &r.Findings[i]; f.Rule == "capture-truncated" {
			cut = f
		}
	}
	switch {
	case in.Truncated != truncated || (cut != nil) != truncated:
		t.Errorf("input truncated %v, capture-truncated finding %+v; want %v", in.Truncated, cut, truncated)
	case cut != nil:
		if cut.Packet != in.Packets {
			t.Errorf("capture-truncated names packet %d, want the last one audited, %d", cut.Packet, in.Packets)
		}
		if file != "" && !strings.Contains(cut.Evidence, file) {
			t.Errorf("capture-truncated evidence %q does not name %s", cut.Evidence, file)
		}
	}
	found := false
	for _, c := range r.Calls {
		found = found || c.CallID == damagedCallID
	}
	if found != call {
		t.Errorf("call %s in the report: %v, want %v", damagedCallID, found, call)
	}
}

// TestOneBadInputDoesNotStopOthers audits a good capture beside inputs that are unusable or
// damaged: each bad input gets its own line naming it, the exit code is 2, and the report
// still holds the good capture's call (and what was read of the damaged one).
func TestOneBadInputDoesNotStopOthers(t *testing.T) {
	header, records := damagedRecords(t)
	whole := slices.Concat(append([][]byte{header}, records...)...)
	good := writeFile(t, "good.pcap", whole)
	notCapture := writeFile(t, "notes.txt.pcap", []byte("these are not packets\n"))
	corrupt := writeFile(t, "corrupt.pcap.gz", damagedGzip(t, whole, len(whole)/3))
	missing := filepath.Join(t.TempDir(), "missing.pcap")
	for _, jobs := range []string{"1", "4"} {
		t.Run("jobs="+jobs, func(t *testing.T) {
			out := runAuditJSON(t, nil, "--jobs", jobs, notCapture, good, missing, corrupt)
			if out.code != exitUsage {
				t.Errorf("exit code %d, want %d", out.code, exitUsage)
			}
			// One line per bad input, in the order given.
			wantLines := []string{"notes.txt.pcap", "missing.pcap", "corrupt.pcap.gz"}
			if len(out.lines) != len(wantLines) {
				t.Fatalf("standard error %q, want one line for each of %v", out.lines, wantLines)
			}
			for i, name := range wantLines {
				if !strings.Contains(out.lines[i], name) {
					t.Errorf("line %d %q does not name %s", i+1, out.lines[i], name)
				}
			}
			r := out.report
			if r == nil {
				t.Fatal("no report for the inputs that could be read")
			}
			var names []string
			for _, in := range r.Inputs {
				names = append(names, filepath.Base(in.Name))
			}
			if !slices.Equal(names, []string{"good.pcap", "corrupt.pcap.gz"}) {
				t.Errorf("inputs %v, want good.pcap and corrupt.pcap.gz", names)
			}
			found := false
			for _, c := range r.Calls {
				found = found || c.CallID == damagedCallID && filepath.Base(c.Input) == "good.pcap"
			}
			if !found || r.Inputs[0].Packets != damagedPackets || r.Inputs[0].Truncated {
				t.Errorf("the good capture: call found %v, inputs %+v", found, r.Inputs)
			}
			if len(r.Inputs) == 2 && (!r.Inputs[1].Truncated || r.Inputs[1].Packets == 0) {
				t.Errorf("the damaged capture: %+v, want what was read before the damage, truncated", r.Inputs[1])
			}
		})
	}
}
