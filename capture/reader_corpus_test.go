package capture

import (
	"bufio"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/pcapgo"
)

// corpusLinkTypes maps capinfos' encapsulation names in INDEX.tsv to link types.
var corpusLinkTypes = map[string]LinkType{
	"ether":     LinkEthernet,
	"linux-sll": LinkLinuxSLL,
	"rawip":     LinkRaw,
	"rawip4":    LinkIPv4,
	"null":      LinkNull,
}

// TestSharedCorpus reads every capture of the shared corpus and compares the packet
// count with capinfos -c, the file type and link type with capinfos, and every
// packet with gopacket's pcapgo readers.
func TestSharedCorpus(t *testing.T) {
	dir := sharedCapturesDir(t)
	index, err := os.Open(filepath.Join(dir, "INDEX.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer index.Close()
	sc := bufio.NewScanner(index)
	sc.Scan()
	header := strings.Split(sc.Text(), "\t")
	col := func(name string) int {
		for i, h := range header {
			if h == name {
				return i
			}
		}
		t.Fatalf("INDEX.tsv has no column %q", name)
		return -1
	}
	relCol, packetsCol, linkCol := col("relpath"), col("packets"), col("link_type")
	seen := 0
	for sc.Scan() {
		row := strings.Split(sc.Text(), "\t")
		rel := row[relCol]
		wantCount, err := strconv.Atoi(row[packetsCol])
		if err != nil {
			t.Fatalf("%s: packets column %q: %v", rel, row[packetsCol], err)
		}
		// link_type is "ether [pcap]": capinfos' encapsulation, then the file type.
		linkName, fileType, _ := strings.Cut(row[linkCol], " [")
		fileType = strings.TrimSuffix(fileType, "]")
		seen++
		t.Run(rel, func(t *testing.T) {
			path := filepath.Join(dir, rel)
			src, err := Open(path)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer src.Close()
			switch src.(type) {
			case *PcapReader:
				if fileType != "pcap" {
					t.Errorf("read as pcap, capinfos says %s", fileType)
				}
			case *PcapngReader:
				if fileType != "pcapng" {
					t.Errorf("read as pcapng, capinfos says %s", fileType)
				}
			}
			got, err := readAll(t, src)
			if err != io.EOF {
				t.Errorf("final error = %v, want io.EOF", err)
			}
			if len(got) != wantCount {
				t.Errorf("%d packets, capinfos -c says %d", len(got), wantCount)
			}
			if lt, ok := corpusLinkTypes[linkName]; !ok {
				t.Errorf("INDEX.tsv link type %q is not mapped", linkName)
			} else if lts := src.LinkTypes(); len(lts) != 1 || lts[0] != lt {
				t.Errorf("LinkTypes = %v, capinfos says %s", lts, linkName)
			}
			if n := src.(Progress).BytesRead(); n != fileSize(t, path) {
				t.Errorf("BytesRead = %d, want the file size %d", n, fileSize(t, path))
			}
			want, err := readWithPcapgo(path)
			if err != nil {
				t.Fatalf("pcapgo: %v", err)
			}
			if diff := diffPackets(want, got); diff != "" {
				t.Errorf("packets differ from pcapgo's (-pcapgo +ours):\n%s", diff)
			}
			// Read again through buffers given to the reader (BufferRenewer), as the
			// read-ahead of cmd/ixaudit does: the same packets, none copied.
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			held, err := readRenewing(t, f, 4096)
			if err != io.EOF {
				t.Errorf("renewed buffers: final error = %v, want io.EOF", err)
			}
			if diff := diffPackets(want, held); diff != "" {
				t.Errorf("renewed buffers: packets differ from pcapgo's (-pcapgo +ours):\n%s", diff)
			}
		})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if seen == 0 {
		t.Fatal("INDEX.tsv lists no captures")
	}
}

func fileSize(t *testing.T, path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// readWithPcapgo reads a capture with gopacket's readers, as an independent reference.
func readWithPcapgo(path string) ([]Packet, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	br := bufio.NewReader(f)
	magic, err := br.Peek(4)
	if err != nil {
		return nil, err
	}
	var (
		next func() ([]byte, gopacket.CaptureInfo, error)
		link func(int) LinkType
	)
	if string(magic) == "\x0a\x0d\x0d\x0a" {
		r, err := pcapgo.NewNgReader(br, pcapgo.NgReaderOptions{WantMixedLinkType: true})
		if err != nil {
			return nil, err
		}
		next = r.ReadPacketData
		link = func(i int) LinkType {
			ifc, err := r.Interface(i)
			if err != nil {
				return 0
			}
			return LinkType(ifc.LinkType)
		}
	} else {
		r, err := pcapgo.NewReader(br)
		if err != nil {
			return nil, err
		}
		next = r.ReadPacketData
		link = func(int) LinkType { return LinkType(r.LinkType()) }
	}
	var pkts []Packet
	for {
		data, ci, err := next()
		if errors.Is(err, io.EOF) {
			return pkts, nil
		}
		if err != nil {
			return pkts, err
		}
		tm := ci.Timestamp.UTC()
		if tm.Equal(time.Unix(0, 0)) {
			tm = time.Time{} // pcapgo gives simple packet blocks the epoch
		}
		pkts = append(pkts, Packet{Number: len(pkts) + 1, Time: tm, LinkType: link(ci.InterfaceIndex),
			Interface: ci.InterfaceIndex, Length: ci.Length, Data: data})
	}
}
