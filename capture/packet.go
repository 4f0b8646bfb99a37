// Package capture reads packet captures and decodes them, in place, down to the transport
// payload that analysis needs.
//
// A Source is a pull reader in the manner of pcapgo.Reader.ReadPacketData or
// encoding/csv.Reader.Read: ReadPacket returns one Packet at a time and io.EOF at the end.
// The packet's Data is only valid until the next call to ReadPacket. Nothing in this package
// starts a goroutine.
package capture

import (
	"fmt"
	"time"
)

// LinkType is a LINKTYPE_ value from the pcap and pcapng file formats
// (https://www.tcpdump.org/linktypes.html).
type LinkType uint32

// The link types ixaudit decodes. LinkRaw has the aliases LinkRawBSD12 and LinkRawOpenBSD14
// that some systems wrote as their DLT_RAW.
const (
	LinkNull         LinkType = 0   // BSD loopback: 4-byte address family in host byte order
	LinkEthernet     LinkType = 1   // IEEE 802.3
	LinkRawBSD12     LinkType = 12  // DLT_RAW as written by some BSDs
	LinkRawOpenBSD14 LinkType = 14  // DLT_RAW as written by OpenBSD
	LinkRaw          LinkType = 101 // raw IPv4 or IPv6, version from the first nibble
	LinkLoop         LinkType = 108 // OpenBSD loopback: 4-byte address family in network byte order
	LinkLinuxSLL     LinkType = 113 // Linux cooked capture v1
	LinkIPv4         LinkType = 228 // raw IPv4
	LinkIPv6         LinkType = 229 // raw IPv6
	LinkLinuxSLL2    LinkType = 276 // Linux cooked capture v2
)

var linkTypeNames = map[LinkType]string{
	LinkNull:         "null",
	LinkEthernet:     "ethernet",
	LinkRawBSD12:     "raw",
	LinkRawOpenBSD14: "raw",
	LinkRaw:          "raw",
	LinkLoop:         "loop",
	LinkLinuxSLL:     "linux-sll",
	LinkIPv4:         "ipv4",
	LinkIPv6:         "ipv6",
	LinkLinuxSLL2:    "linux-sll2",
}

// String returns the short name used in reports ("ethernet", "linux-sll", ...), or
// "linktype-N" for a type ixaudit does not decode.
func (l LinkType) String() string {
	if s, ok := linkTypeNames[l]; ok {
		return s
	}
	return fmt.Sprintf("linktype-%d", uint32(l))
}

// Supported reports whether the decoder understands this link type.
func (l LinkType) Supported() bool {
	_, ok := linkTypeNames[l]
	return ok
}

// Packet is one record of a capture.
//
// Data aliases the reader's buffer: it is valid only until the next call to ReadPacket on
// the same Source. Copy it to keep it.
type Packet struct {
	Number    int       // 1-based record number within its input: the frame number tshark shows
	Time      time.Time // capture timestamp
	LinkType  LinkType  // link type of the interface the packet was captured on
	Interface int       // pcapng interface index (0 for pcap)
	Length    int       // length of the packet on the wire
	Data      []byte    // captured bytes; len(Data) < Length when the snap length cut the packet
}

// PacketReaderTo is a Source that can also read its next packet into a Packet the
// caller holds: ReadPacketTo(p) is ReadPacket with the packet stored in *p (the zero
// Packet with an error). A loop that reads every packet of a capture spares the copy of
// the Packet that ReadPacket returns through the stack, which the processor must wait
// for when the copy reads what the reader has only just written (cmd/ixaudit's
// read-ahead goroutine: 5 % less time on the benchmark capture). The pcap reader has
// it.
type PacketReaderTo interface {
	Source
	ReadPacketTo(p *Packet) error
}

// Source is a capture that yields packets in file order.
type Source interface {
	// ReadPacket returns the next packet. At the end of the capture it returns io.EOF.
	// A capture that ends inside a record returns an error wrapping ErrTruncated, after
	// every complete record before it has been returned.
	ReadPacket() (Packet, error)
	// Name is the name of the input as the user gave it ("-" for standard input).
	Name() string
	// LinkTypes lists the link types of the interfaces seen so far, in order of first use.
	LinkTypes() []LinkType
	// Close releases the underlying file.
	Close() error
}
