package main

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// fileFormat is how a capture file is written.
type fileFormat string

// The file formats.
const (
	fmtPcap   fileFormat = "pcap"    // classic pcap, microseconds, little-endian
	fmtPcapNs fileFormat = "pcap-ns" // classic pcap, nanoseconds
	fmtPcapBE fileFormat = "pcap-be" // classic pcap, microseconds, big-endian
	fmtPcapng fileFormat = "pcapng"  // pcapng, one interface per link
	fmtPcapGz fileFormat = "pcap.gz" // classic pcap inside gzip
	defSnap   uint32     = 262144    // the snap length tcpdump writes by default
	appName              = "ixaudit testdata/gen"
)

// linkTypeName is the name ixaudit reports for a link type (capture.LinkType.String).
func linkTypeName(lt layers.LinkType) string {
	switch lt {
	case layers.LinkTypeNull:
		return "null"
	case layers.LinkTypeEthernet:
		return "ethernet"
	case layers.LinkTypeRaw:
		return "raw"
	case layers.LinkTypeLoop:
		return "loop"
	case layers.LinkTypeLinuxSLL:
		return "linux-sll"
	case 276:
		return "linux-sll2"
	}
	return fmt.Sprintf("linktype-%d", lt)
}

// iface is one capture interface: a name (pcapng only) and the link its frames use.
type iface struct {
	name string
	link link
}

// record is one framed packet ready for a file.
type record struct {
	ci   gopacket.CaptureInfo
	data []byte
}

// frameAll frames every packet for its interface and cuts it to snaplen.
func frameAll(s *scenario, frames []frame, ifaces []iface, snaplen uint32) ([]record, error) {
	recs := make([]record, 0, len(frames))
	for i, f := range frames {
		if f.iface >= len(ifaces) {
			return nil, fmt.Errorf("frame %d: no interface %d", i+1, f.iface)
		}
		b, err := ifaces[f.iface].link.wrap(s, f, uint32(i+1))
		if err != nil {
			return nil, fmt.Errorf("frame %d: %w", i+1, err)
		}
		ci := gopacket.CaptureInfo{Timestamp: f.t, Length: len(b), CaptureLength: len(b), InterfaceIndex: f.iface}
		if uint32(len(b)) > snaplen {
			b = b[:snaplen]
			ci.CaptureLength = int(snaplen)
		}
		recs = append(recs, record{ci, b})
	}
	return recs, nil
}

// encode writes records in a file format and returns the file's bytes and the byte offset
// at which each record starts.
func encode(format fileFormat, ifaces []iface, snaplen uint32, recs []record) ([]byte, []int, error) {
	var buf bytes.Buffer
	offsets := make([]int, 0, len(recs))
	switch format {
	case fmtPcap, fmtPcapNs, fmtPcapGz:
		var w io.Writer = &buf
		var gz *gzip.Writer
		if format == fmtPcapGz {
			gz = gzip.NewWriter(&buf) // zero header: no name, no time, so the bytes are reproducible
			w = gz
		}
		pw := pcapgo.NewWriter(w)
		if format == fmtPcapNs {
			pw = pcapgo.NewWriterNanos(w)
		}
		if err := pw.WriteFileHeader(snaplen, ifaces[0].link.lt); err != nil {
			return nil, nil, err
		}
		for _, r := range recs {
			offsets = append(offsets, buf.Len())
			if err := pw.WritePacket(r.ci, r.data); err != nil {
				return nil, nil, err
			}
		}
		if gz != nil {
			if err := gz.Close(); err != nil {
				return nil, nil, err
			}
			offsets = nil // offsets into compressed data mean nothing
		}
	case fmtPcapBE:
		// pcapgo writes little-endian only; a big-endian file is what a SPARC or a
		// big-endian MIPS router's tcpdump writes.
		be := binary.BigEndian
		h := make([]byte, 24)
		be.PutUint32(h[0:], 0xa1b2c3d4)
		be.PutUint16(h[4:], 2)
		be.PutUint16(h[6:], 4)
		be.PutUint32(h[16:], snaplen)
		be.PutUint32(h[20:], uint32(ifaces[0].link.lt))
		buf.Write(h)
		for _, r := range recs {
			offsets = append(offsets, buf.Len())
			var rh [16]byte
			be.PutUint32(rh[0:], uint32(r.ci.Timestamp.Unix()))
			be.PutUint32(rh[4:], uint32(r.ci.Timestamp.Nanosecond()/1000))
			be.PutUint32(rh[8:], uint32(r.ci.CaptureLength))
			be.PutUint32(rh[12:], uint32(r.ci.Length))
			buf.Write(rh[:])
			buf.Write(r.data)
		}
	case fmtPcapng:
		opts := pcapgo.NgWriterOptions{SectionInfo: pcapgo.NgSectionInfo{Application: appName}}
		first := pcapgo.NgInterface{Name: ifaces[0].name, LinkType: ifaces[0].link.lt, SnapLength: snaplen, TimestampResolution: 9}
		nw, err := pcapgo.NewNgWriterInterface(&buf, first, opts)
		if err != nil {
			return nil, nil, err
		}
		for _, ifc := range ifaces[1:] {
			if _, err := nw.AddInterface(pcapgo.NgInterface{Name: ifc.name, LinkType: ifc.link.lt, SnapLength: snaplen, TimestampResolution: 9}); err != nil {
				return nil, nil, err
			}
		}
		for _, r := range recs {
			if err := nw.Flush(); err != nil {
				return nil, nil, err
			}
			offsets = append(offsets, buf.Len())
			if err := nw.WritePacket(r.ci, r.data); err != nil {
				return nil, nil, err
			}
		}
		if err := nw.Flush(); err != nil {
			return nil, nil, err
		}
	default:
		return nil, nil, fmt.Errorf("unknown format %q", format)
	}
	return buf.Bytes(), offsets, nil
}
