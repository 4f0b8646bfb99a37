package capture

import "net/netip"

// Encap is the set of encapsulations a frame was found inside.
type Encap uint16

// Encapsulation bits.
const (
	EncapVLAN       Encap = 1 << iota // one or more 802.1Q tags
	EncapQinQ                         // an 802.1ad (0x88a8) or 0x9100 outer tag
	EncapMPLS                         // an MPLS label stack
	EncapGRE                          // GRE (IP protocol 47)
	EncapERSPAN                       // ERSPAN type I, II or III inside GRE
	EncapVXLAN                        // VXLAN (UDP 4789)
	EncapIPinIP                       // IPv4 or IPv6 inside IPv4 or IPv6 (protocols 4 and 41)
	EncapFragmented                   // the IP datagram was reassembled from fragments
)

// Gap is why a packet could not be judged. The zero value means it could.
type Gap uint8

// Reasons a packet could not be judged. Their String forms are the keys of the JSON
// report's summary.evidence_gaps.
const (
	GapNone                Gap = iota
	GapUnknownLinkType         // the interface's link type is not decoded
	GapUnknownEtherType        // an EtherType (or SLL protocol, or loopback family) that is not IP
	GapNotIP                   // a known non-IP protocol: ARP, LLDP, STP, ...
	GapUnknownEncap            // a tunnel or encapsulation that is not decoded
	GapMalformed               // headers that contradict themselves (bad IHL, lengths, version)
	GapSnapLen                 // the snap length cut the packet before its transport payload
	GapFragmentsIncomplete     // an IP fragment whose datagram never completed
	GapFragmentsEvicted        // an IP fragment dropped by the reassembly memory limit
	GapTCPGap                  // TCP data that could not be placed in its stream (missing bytes)
	GapTCPEvicted              // TCP data dropped by the reassembly memory limit
	gapCount
)

var gapNames = [gapCount]string{
	GapNone:                "",
	GapUnknownLinkType:     "unknown-link-type",
	GapUnknownEtherType:    "unknown-ethertype",
	GapNotIP:               "not-ip",
	GapUnknownEncap:        "unknown-encapsulation",
	GapMalformed:           "malformed-header",
	GapSnapLen:             "cut-by-snaplen",
	GapFragmentsIncomplete: "fragments-incomplete",
	GapFragmentsEvicted:    "fragments-evicted",
	GapTCPGap:              "tcp-gap",
	GapTCPEvicted:          "tcp-evicted",
}

// String returns the reason's name as it appears in reports.
func (g Gap) String() string {
	if int(g) < len(gapNames) {
		return gapNames[g]
	}
	return "unknown"
}

// Frame is a packet decoded in place. Decoding a packet into a Frame overwrites every field.
// Payload aliases the packet's data (or the defragmenter's buffer after reassembly), so a
// Frame is valid only as long as that data.
type Frame struct {
	Encap     Encap
	VLAN      uint16     // innermost 802.1Q VLAN ID, 0 when untagged
	IPVersion uint8      // 4 or 6
	Src, Dst  netip.Addr // innermost IP addresses
	Proto     uint8      // IP protocol of Payload: 6 TCP, 17 UDP, 132 SCTP, ...
	SrcPort   uint16     // UDP/TCP ports; 0 for other protocols
	DstPort   uint16

	// TCP fields, valid when Proto == 6.
	Seq, Ack uint32
	TCPFlags uint8 // FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10

	// Payload is the transport payload for UDP and TCP, or the IP payload for other
	// protocols. It is cut to the length the IP/UDP headers claim.
	Payload []byte
	// Cut is true when the snap length removed bytes that the IP/UDP headers say exist:
	// Payload holds only what was captured.
	Cut bool

	// Fragment is set when the innermost IP datagram is a fragment that still has to go
	// through a Defragmenter; Payload then holds the fragment's data.
	Fragment FragmentInfo
}

// FragmentInfo describes an IP fragment.
type FragmentInfo struct {
	Is     bool   // the datagram is a fragment
	ID     uint32 // IPv4 identification or IPv6 fragment header identification
	Offset int    // byte offset of this fragment's data in the original datagram's payload
	More   bool   // more fragments follow
}

// TCP flag bits of Frame.TCPFlags.
const (
	TCPFin = 0x01
	TCPSyn = 0x02
	TCPRst = 0x04
	TCPPsh = 0x08
	TCPAck = 0x10
)

// IP protocol numbers used by the decoder.
const (
	ProtoTCP  = 6
	ProtoUDP  = 17
	ProtoSCTP = 132
)
