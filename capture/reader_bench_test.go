package capture

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"testing"

	"github.com/gopacket/gopacket/pcapgo"
)

// The benchmarks read an endless repetition of a generated in-memory capture of 100,000
// packets of 200 bytes (about 21 MB, more than any CPU cache), so that each operation
// is one packet in steady state. They report packets per second; -benchmem shows the
// allocations per packet, which must be 0.

const (
	benchPackets = 100_000
	benchSize    = 200
)

func reportPacketRate(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds()/1e6, "Mpkt/s")
}

func benchPcapFile() []byte {
	var records []pcapRecord
	for i := range benchPackets {
		records = append(records, pcapRecord{sec: 1_700_000_000 + uint32(i/1000), frac: uint32(i%1000) * 1000, data: payload(i, benchSize)})
	}
	b, _ := pcapFile{order: le, magic: magicPcapMicro, minor: 4, snapLen: 262144, linkType: 1, records: records}.bytes()
	return b
}

func benchPcapngFile() ([]byte, int) {
	f := newNgFile(le)
	f.idb(1, 0)
	f.idb(113, 0, ngOption{ngOptTSResol, []byte{9}})
	head := len(f.b)
	for i := range benchPackets {
		f.epb(uint32(i%2), uint64(1_700_000_000_000_000+i), benchSize, payload(i, benchSize))
	}
	return f.b, head
}

// BenchmarkReadPcap reads the records of an endless pcap file; /to reads them through
// ReadPacketTo, into one Packet, as the read-ahead goroutine of cmd/ixaudit does.
func BenchmarkReadPcap(b *testing.B) {
	file := benchPcapFile()
	for _, into := range []bool{false, true} {
		name := "ReadPacket"
		if into {
			name = "to"
		}
		b.Run(name, func(b *testing.B) {
			src, err := NewReader("bench.pcap", &cyclicReader{head: file[:pcapFileHeaderLen], body: file[pcapFileHeaderLen:]})
			if err != nil {
				b.Fatal(err)
			}
			to := src.(PacketReaderTo)
			var p Packet
			b.SetBytes(16 + benchSize)
			b.ReportAllocs()
			for b.Loop() {
				if into {
					err = to.ReadPacketTo(&p)
				} else {
					p, err = src.ReadPacket()
				}
				if err != nil {
					b.Fatal(err)
				}
			}
			reportPacketRate(b)
		})
	}
}

func BenchmarkReadPcapng(b *testing.B) {
	file, head := benchPcapngFile()
	src, err := NewReader("bench.pcapng", &cyclicReader{head: file[:head], body: file[head:]})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(32 + benchSize)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := src.ReadPacket(); err != nil {
			b.Fatal(err)
		}
	}
	reportPacketRate(b)
}

// BenchmarkReadPcapGzip reads the same packets from a gzip-compressed file: the cost
// is inflating.
func BenchmarkReadPcapGzip(b *testing.B) {
	var buf bytes.Buffer
	z := gzip.NewWriter(&buf)
	if _, err := z.Write(benchPcapFile()); err != nil {
		b.Fatal(err)
	}
	if err := z.Close(); err != nil {
		b.Fatal(err)
	}
	gz := buf.Bytes()
	var src Source
	b.SetBytes(16 + benchSize)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if i%benchPackets == 0 {
			if src, _ = NewReader("bench.pcap.gz", bytes.NewReader(gz)); src == nil {
				b.Fatal("NewReader failed")
			}
		}
		if _, err := src.ReadPacket(); err != nil {
			b.Fatal(err)
		}
	}
	reportPacketRate(b)
}

// BenchmarkPcapgoZeroCopy is the reference: gopacket's pcapgo zero-copy reader behind
// a 1 MiB bufio.Reader, on the same data.
func BenchmarkPcapgoZeroCopy(b *testing.B) {
	file := benchPcapFile()
	r, err := pcapgo.NewReader(bufio.NewReaderSize(&cyclicReader{head: file[:pcapFileHeaderLen], body: file[pcapFileHeaderLen:]}, 1<<20))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(16 + benchSize)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := r.ZeroCopyReadPacketData(); err != nil {
			b.Fatal(err)
		}
	}
	reportPacketRate(b)
}

// BenchmarkPcapgoNgZeroCopy is the pcapng reference: gopacket's NgReader, zero-copy,
// behind a 1 MiB bufio.Reader.
func BenchmarkPcapgoNgZeroCopy(b *testing.B) {
	file, head := benchPcapngFile()
	r, err := pcapgo.NewNgReader(bufio.NewReaderSize(&cyclicReader{head: file[:head], body: file[head:]}, 1<<20),
		pcapgo.NgReaderOptions{WantMixedLinkType: true})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(32 + benchSize)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := r.ZeroCopyReadPacketData(); err != nil {
			b.Fatal(err)
		}
	}
	reportPacketRate(b)
}
