package capture

import (
	"fmt"
	"io"
	"math/bits"
	"slices"
	"strings"
	"time"
)

// pcapng block types (draft-ietf-opsawg-pcapng).
const (
	ngSectionHeader  = 0x0a0d0d0a
	ngInterface      = 0x00000001
	ngPacket         = 0x00000002 // obsolete Packet Block
	ngSimplePacket   = 0x00000003
	ngNameResolution = 0x00000004
	ngInterfaceStats = 0x00000005
	ngEnhancedPacket = 0x00000006
	ngJournalExport  = 0x00000009
	ngDecryption     = 0x0000000a
	ngCustomCopy     = 0x00000bad
	ngCustomNoCopy   = 0x40000bad
	ngSysdigEvent    = 0x00000204
	ngSysdigEventV2  = 0x00000216
	ngSysdigEventV2L = 0x00000221
)

// ngOtherRecord reports whether tshark shows a block of this type as a frame, though
// it holds no packet: systemd journal entries, Sysdig events and custom blocks (as
// measured with TShark 4.0.17). The reader skips them but counts them, so that
// Packet.Number stays the frame number tshark shows.
func ngOtherRecord(typ uint32) bool {
	switch typ {
	case ngJournalExport, ngCustomCopy, ngCustomNoCopy, ngSysdigEvent, ngSysdigEventV2, ngSysdigEventV2L:
		return true
	}
	return false
}

// Option codes used by the reader.
const (
	ngOptEnd      = 0
	ngOptIfName   = 2  // if_name, in an interface description block
	ngOptTSResol  = 9  // if_tsresol
	ngOptTSOffset = 14 // if_tsoffset
	ngOptIfDrop   = 5  // isb_ifdrop, in an interface statistics block
	ngOptOSDrop   = 7  // isb_osdrop
)

// maxInterfaces bounds the interfaces a file may declare (over all its sections), so
// that a stream of interface description blocks cannot take unbounded memory.
const maxInterfaces = 1 << 16

// Interface describes one interface of a pcapng capture, as declared by its interface
// description block, with what the reader counted for it so far.
type Interface struct {
	// Index is the interface's number over the whole file, as Packet.Interface gives
	// it: interfaces of earlier sections count before those of later ones. (TShark
	// 4.0's frame.interface_id is the number within the section instead.)
	Index    int
	Section  int // 0-based number of the section that declared it
	LinkType LinkType
	SnapLen  uint32 // 0 when the interface has no snap length
	Name     string // the if_name option, "" when absent
	Packets  int    // packet records read so far
	// IfDrop and OSDrop are the last isb_ifdrop (dropped by the interface) and
	// isb_osdrop (dropped by the operating system) values of its interface statistics
	// blocks; the pcapng counters are totals since the capture started.
	IfDrop, OSDrop uint64
	// PacketBlockDrops sums the drop counts of the obsolete Packet Blocks.
	PacketBlockDrops uint64
}

// ngInterfaceState is an Interface with what the reader needs to decode its packets.
type ngInterfaceState struct {
	Interface
	unitsPerSec uint64 // timestamp units per second (if_tsresol)
	tsOffset    int64  // seconds added to every timestamp (if_tsoffset)
	used        bool   // it carried a packet: its link type is in LinkTypes
	stats       bool   // an interface statistics block gave drop counts
}

// PcapngReader reads a pcapng capture: any number of sections in either byte order,
// each with its own interfaces, which may have different link types. Open and
// NewReader return one for pcapng input.
//
// It returns the records of Enhanced, Simple and (obsolete) Packet Blocks, numbered
// from 1 over the whole file as tshark numbers its frames: the systemd journal, Sysdig
// event and custom blocks that tshark also shows as frames are skipped but counted, so
// the numbers of the returned packets have gaps where they were. It reads Interface
// Description Blocks (link type, snap length, if_name, if_tsresol in both its
// power-of-10 and power-of-2 forms, if_tsoffset) and Interface Statistics Blocks (drop
// counts), and skips every other block. Packets of interfaces whose link type the
// decoder does not handle are returned like any other: Packet.LinkType tells.
//
// The Data of a returned Packet aliases the reader's buffer and is valid only until
// the next call to ReadPacket; reading an Enhanced Packet Block allocates nothing.
type PcapngReader struct {
	in        *input
	order     fileByteOrder // of the current section
	section   int           // number of the current section, from 0
	base      int           // index in ifaces of the current section's first interface
	ifaces    []ngInterfaceState
	linkTypes []LinkType
	n         int   // packet records returned
	err       error // sticky: io.EOF or the error that stopped reading
}

var _ interface {
	Source
	Progress
	DropCounter
} = (*PcapngReader)(nil)

// newPcapngReader reads the first section header block. The buffer holds at least its
// 4-byte block type.
func newPcapngReader(in *input) (*PcapngReader, error) {
	r := &PcapngReader{in: in, section: -1}
	h, err := in.buf.next(8)
	if err != nil {
		return nil, in.readError(err, 0, "section header block", 0, "section header block", in.buf.buffered(), 28)
	}
	if err := r.readSectionHeader(0, littleEndian.uint32(h[4:8])); err != nil {
		return nil, err
	}
	return r, nil
}

// ReadPacket returns the next packet record. At the end of the file it returns io.EOF.
// A file that ends inside a block returns, after every complete record, a *ReadError
// wrapping ErrTruncated that names the block and its byte offset (and the record
// number, for a packet block). A block whose length is below 12, not a multiple of 4,
// above 16 MiB or not repeated at its end, a packet of an undeclared interface, and a
// captured length beyond its block are ErrCorrupt. After an error every call returns
// the same error.
//
// Packet.Data aliases the reader's buffer and is valid only until the next call.
func (r *PcapngReader) ReadPacket() (Packet, error) {
	if r.err != nil {
		return Packet{}, r.err
	}
	b := r.in.buf
	for {
		off := b.offset()
		h, err := b.next(8)
		if err != nil {
			if err == io.EOF && b.buffered() == 0 {
				r.err = io.EOF
			} else {
				r.err = r.in.readError(err, 0, "block", off, "block header", b.buffered(), 8)
			}
			return Packet{}, r.err
		}
		typ := r.order.uint32(h[0:4])
		if typ == ngSectionHeader {
			if r.err = r.readSectionHeader(off, littleEndian.uint32(h[4:8])); r.err != nil {
				return Packet{}, r.err
			}
			continue
		}
		blockLen := r.order.uint32(h[4:8])
		record := 0
		if typ == ngEnhancedPacket || typ == ngSimplePacket || typ == ngPacket {
			record = r.n + 1
		}
		if blockLen < 12 || blockLen%4 != 0 || blockLen > maxBlockLen {
			r.err = r.in.corrupt(record, ngBlockName(typ), off, "block length %d is not a multiple of 4 between 12 and %d", blockLen, maxBlockLen)
			return Packet{}, r.err
		}
		switch typ {
		case ngEnhancedPacket, ngSimplePacket, ngPacket, ngInterface, ngInterfaceStats:
		default:
			if r.err = r.skipBlock(typ, off, blockLen); r.err != nil {
				return Packet{}, r.err
			}
			if ngOtherRecord(typ) {
				r.n++
			}
			continue
		}
		body, err := b.next(int(blockLen) - 8)
		if err != nil {
			r.err = r.in.readError(err, record, ngBlockName(typ), off, "block", 8+b.buffered(), int(blockLen))
			return Packet{}, r.err
		}
		if trailer := r.order.uint32(body[len(body)-4:]); trailer != blockLen {
			r.err = r.in.corrupt(record, ngBlockName(typ), off, "block length %d at the start but %d at the end", blockLen, trailer)
			return Packet{}, r.err
		}
		body = body[:len(body)-4]
		switch typ {
		case ngEnhancedPacket:
			if len(body) < 20 {
				r.err = r.in.corrupt(record, ngBlockName(typ), off, "block length %d is below the minimum of 32", blockLen)
				return Packet{}, r.err
			}
			caplen := r.order.uint32(body[12:16])
			if caplen > uint32(len(body)-20) {
				r.err = r.in.corrupt(record, ngBlockName(typ), off, "captured length %d exceeds the block's %d bytes of packet data", caplen, len(body)-20)
				return Packet{}, r.err
			}
			return r.packet(record, typ, off, r.order.uint32(body[0:4]),
				uint64(r.order.uint32(body[4:8]))<<32|uint64(r.order.uint32(body[8:12])),
				caplen, r.order.uint32(body[16:20]), body[20:20+caplen:20+caplen])
		case ngSimplePacket:
			return r.simplePacket(record, off, body)
		case ngPacket:
			if len(body) < 20 {
				r.err = r.in.corrupt(record, ngBlockName(typ), off, "block length %d is below the minimum of 32", blockLen)
				return Packet{}, r.err
			}
			caplen := r.order.uint32(body[12:16])
			if caplen > uint32(len(body)-20) {
				r.err = r.in.corrupt(record, ngBlockName(typ), off, "captured length %d exceeds the block's %d bytes of packet data", caplen, len(body)-20)
				return Packet{}, r.err
			}
			id := uint32(r.order.uint16(body[0:2]))
			p, err := r.packet(record, typ, off, id,
				uint64(r.order.uint32(body[4:8]))<<32|uint64(r.order.uint32(body[8:12])),
				caplen, r.order.uint32(body[16:20]), body[20:20+caplen:20+caplen])
			// The drops count is the number of packets lost since the previous
			// packet block; 0xffff means unknown.
			if drops := r.order.uint16(body[2:4]); err == nil && drops != 0xffff {
				r.ifaces[r.base+int(id)].PacketBlockDrops += uint64(drops)
			}
			return p, err
		case ngInterface:
			if r.err = r.readInterface(off, body); r.err != nil {
				return Packet{}, r.err
			}
		case ngInterfaceStats:
			r.readInterfaceStats(body)
		}
	}
}

// packet returns the Packet of a packet block, or ErrCorrupt for an undeclared
// interface.
func (r *PcapngReader) packet(record int, typ uint32, off int64, id uint32, ts uint64, caplen, length uint32, data []byte) (Packet, error) {
	if id >= uint32(len(r.ifaces)-r.base) {
		r.err = r.in.corrupt(record, ngBlockName(typ), off, "packet of interface %d, but the section declares %d interfaces", id, len(r.ifaces)-r.base)
		return Packet{}, r.err
	}
	index := r.base + int(id)
	ifc := &r.ifaces[index]
	if !ifc.used {
		r.use(ifc)
	}
	ifc.Packets++
	r.n++
	sec, nsec := splitTimestamp(ts, ifc.unitsPerSec)
	return Packet{
		Number:    r.n,
		Time:      time.Unix(int64(sec)+ifc.tsOffset, int64(nsec)).UTC(),
		LinkType:  ifc.LinkType,
		Interface: index,
		Length:    int(max(caplen, length)),
		Data:      data,
	}, nil
}

// simplePacket returns the packet of a Simple Packet Block: interface 0 of the
// section, no timestamp (Time is the zero time.Time), captured length the smallest of
// the original length, the interface's snap length and the block's data.
func (r *PcapngReader) simplePacket(record int, off int64, body []byte) (Packet, error) {
	if len(body) < 4 {
		r.err = r.in.corrupt(record, ngBlockName(ngSimplePacket), off, "block length %d is below the minimum of 16", len(body)+12)
		return Packet{}, r.err
	}
	if len(r.ifaces) == r.base {
		r.err = r.in.corrupt(record, ngBlockName(ngSimplePacket), off, "simple packet block before any interface description block")
		return Packet{}, r.err
	}
	ifc := &r.ifaces[r.base]
	length := r.order.uint32(body[0:4])
	caplen := min(length, uint32(len(body)-4))
	if ifc.SnapLen != 0 {
		caplen = min(caplen, ifc.SnapLen)
	}
	if !ifc.used {
		r.use(ifc)
	}
	ifc.Packets++
	r.n++
	return Packet{
		Number:    r.n,
		LinkType:  ifc.LinkType,
		Interface: r.base,
		Length:    int(max(caplen, length)),
		Data:      body[4 : 4+caplen : 4+caplen],
	}, nil
}

// use records the first packet of an interface: its link type joins LinkTypes.
func (r *PcapngReader) use(ifc *ngInterfaceState) {
	ifc.used = true
	if !slices.Contains(r.linkTypes, ifc.LinkType) {
		r.linkTypes = append(r.linkTypes, ifc.LinkType)
	}
}

// readSectionHeader reads a section header block whose type and (not yet decoded)
// length have been read, and starts a new section: its byte order, no interfaces.
func (r *PcapngReader) readSectionHeader(off int64, rawLen uint32) error {
	const block = "section header block"
	b := r.in.buf
	bom, err := b.next(4)
	if err != nil {
		return r.in.readError(err, 0, block, off, block, 8+b.buffered(), 28)
	}
	var order fileByteOrder
	switch magic := littleEndian.uint32(bom); magic {
	case magicPcapngOrder:
		order = littleEndian
	case magicPcapngSwapped:
		order = bigEndian
	default:
		return r.in.corrupt(0, block, off, "byte-order magic %08x is neither 1a2b3c4d nor 4d3c2b1a", magic)
	}
	blockLen := rawLen
	if order == bigEndian {
		blockLen = bits.ReverseBytes32(rawLen)
	}
	if blockLen < 28 || blockLen%4 != 0 || blockLen > maxBlockLen {
		return r.in.corrupt(0, block, off, "block length %d is not a multiple of 4 between 28 and %d", blockLen, maxBlockLen)
	}
	body, err := b.next(int(blockLen) - 12)
	if err != nil {
		return r.in.readError(err, 0, block, off, block, 12+b.buffered(), int(blockLen))
	}
	if trailer := order.uint32(body[len(body)-4:]); trailer != blockLen {
		return r.in.corrupt(0, block, off, "block length %d at the start but %d at the end", blockLen, trailer)
	}
	if major, minor := order.uint16(body[0:2]), order.uint16(body[2:4]); major != 1 {
		return r.in.corrupt(0, block, off, "unsupported pcapng version %d.%d", major, minor)
	}
	r.order = order
	r.section++
	r.base = len(r.ifaces)
	return nil
}

// readInterface reads the body of an interface description block.
func (r *PcapngReader) readInterface(off int64, body []byte) error {
	const block = "interface description block"
	if len(body) < 8 {
		return r.in.corrupt(0, block, off, "block length %d is below the minimum of 20", len(body)+12)
	}
	if len(r.ifaces) >= maxInterfaces {
		return r.in.corrupt(0, block, off, "more than %d interfaces", maxInterfaces)
	}
	ifc := ngInterfaceState{
		Interface: Interface{
			Index:    len(r.ifaces),
			Section:  r.section,
			LinkType: LinkType(r.order.uint16(body[0:2])),
			SnapLen:  r.order.uint32(body[4:8]),
		},
		unitsPerSec: 1e6,
	}
	var err error
	r.options(body[8:], func(code uint16, v []byte) {
		switch {
		case code == ngOptIfName:
			ifc.Name = strings.ToValidUTF8(string(v), "\uFFFD")
		case code == ngOptTSResol && len(v) == 1:
			var ok bool
			if ifc.unitsPerSec, ok = unitsPerSecond(v[0]); !ok {
				err = r.in.corrupt(0, block, off, "if_tsresol %#02x is out of range", v[0])
			}
		case code == ngOptTSOffset && len(v) == 8:
			ifc.tsOffset = int64(r.order.uint64(v))
		}
	})
	if err != nil {
		return err
	}
	r.ifaces = append(r.ifaces, ifc)
	return nil
}

// readInterfaceStats reads the body of an interface statistics block. Statistics of an
// undeclared interface, or too short to hold their fixed fields, are ignored: they
// change no packet.
func (r *PcapngReader) readInterfaceStats(body []byte) {
	if len(body) < 12 {
		return
	}
	id := r.order.uint32(body[0:4])
	if id >= uint32(len(r.ifaces)-r.base) {
		return
	}
	ifc := &r.ifaces[r.base+int(id)]
	r.options(body[12:], func(code uint16, v []byte) {
		if len(v) != 8 {
			return
		}
		switch code {
		case ngOptIfDrop:
			ifc.IfDrop, ifc.stats = r.order.uint64(v), true
		case ngOptOSDrop:
			ifc.OSDrop, ifc.stats = r.order.uint64(v), true
		}
	})
}

// options calls fn for each option in b, up to opt_endofopt. An option whose length
// runs past the block ends the list.
func (r *PcapngReader) options(b []byte, fn func(code uint16, value []byte)) {
	for len(b) >= 4 {
		code, n := r.order.uint16(b[0:2]), int(r.order.uint16(b[2:4]))
		b = b[4:]
		if code == ngOptEnd || n > len(b) {
			return
		}
		fn(code, b[:n])
		b = b[min(len(b), (n+3)&^3):]
	}
}

// skipBlock moves past a block the reader does not use, checking its trailing length.
func (r *PcapngReader) skipBlock(typ uint32, off int64, blockLen uint32) error {
	b := r.in.buf
	if err := b.skip(int64(blockLen) - 12); err != nil {
		return r.in.readError(err, 0, ngBlockName(typ), off, "block", int(b.offset()-off), int(blockLen))
	}
	t, err := b.next(4)
	if err != nil {
		return r.in.readError(err, 0, ngBlockName(typ), off, "block", int(blockLen)-4+b.buffered(), int(blockLen))
	}
	if trailer := r.order.uint32(t); trailer != blockLen {
		return r.in.corrupt(0, ngBlockName(typ), off, "block length %d at the start but %d at the end", blockLen, trailer)
	}
	return nil
}

// unitsPerSecond decodes if_tsresol: 10^-v seconds, or 2^-v when the top bit is set.
// It reports false for a resolution whose units per second do not fit in 64 bits.
func unitsPerSecond(v byte) (uint64, bool) {
	exp := uint(v & 0x7f)
	if v&0x80 != 0 {
		if exp > 63 {
			return 0, false
		}
		return 1 << exp, true
	}
	if exp > 19 {
		return 0, false
	}
	u := uint64(1)
	for range exp {
		u *= 10
	}
	return u, true
}

// splitTimestamp turns a timestamp in units of 1/unitsPerSec seconds into seconds and
// nanoseconds, the nanoseconds rounded down.
func splitTimestamp(ts, unitsPerSec uint64) (sec, nsec uint64) {
	switch unitsPerSec {
	case 1e6:
		return ts / 1e6, ts % 1e6 * 1e3
	case 1e9:
		return ts / 1e9, ts % 1e9
	}
	sec, frac := ts/unitsPerSec, ts%unitsPerSec
	// frac*1e9/unitsPerSec in 128 bits: frac < unitsPerSec, so the quotient is below
	// 1e9 and the high word below unitsPerSec, as bits.Div64 requires.
	hi, lo := bits.Mul64(frac, 1e9)
	nsec, _ = bits.Div64(hi, lo, unitsPerSec)
	return sec, nsec
}

// ngBlockName names a block type for error messages.
func ngBlockName(typ uint32) string {
	switch typ {
	case ngSectionHeader:
		return "section header block"
	case ngInterface:
		return "interface description block"
	case ngPacket:
		return "packet block"
	case ngSimplePacket:
		return "simple packet block"
	case ngNameResolution:
		return "name resolution block"
	case ngInterfaceStats:
		return "interface statistics block"
	case ngEnhancedPacket:
		return "enhanced packet block"
	case ngJournalExport:
		return "systemd journal export block"
	case ngDecryption:
		return "decryption secrets block"
	case ngCustomCopy, ngCustomNoCopy:
		return "custom block"
	case ngSysdigEvent, ngSysdigEventV2, ngSysdigEventV2L:
		return "sysdig event block"
	}
	return fmt.Sprintf("block of type %#08x", typ)
}

// Name returns the input's name as given to Open or NewReader.
func (r *PcapngReader) Name() string { return r.in.name }

// LinkTypes returns the link types of the interfaces that have carried a packet so
// far, in the order of their first packet. Interfaces that are declared but carry no
// packet do not count.
func (r *PcapngReader) LinkTypes() []LinkType { return slices.Clone(r.linkTypes) }

// Interfaces returns the interfaces declared so far, in all sections, indexed as
// Packet.Interface.
func (r *PcapngReader) Interfaces() []Interface {
	out := make([]Interface, len(r.ifaces))
	for i := range r.ifaces {
		out[i] = r.ifaces[i].Interface
	}
	return out
}

// Drops implements DropCounter: over all interfaces read so far, the sum of the last
// isb_ifdrop and isb_osdrop values of their interface statistics blocks, or, for an
// interface without such counts, of the drop counts of its obsolete Packet Blocks.
// Drops counted in Enhanced Packet Block options (epb_dropcount) are not read.
func (r *PcapngReader) Drops() uint64 {
	var n uint64
	for i := range r.ifaces {
		if ifc := &r.ifaces[i]; ifc.stats {
			n += ifc.IfDrop + ifc.OSDrop
		} else {
			n += ifc.PacketBlockDrops
		}
	}
	return n
}

// BytesRead implements Progress: bytes consumed from the file, before decompression.
func (r *PcapngReader) BytesRead() int64 { return r.in.bytesRead() }

// SetRenew implements BufferRenewer.
func (r *PcapngReader) SetRenew(renew func(n int) []byte) { r.in.buf.setRenew(renew) }

// Renew implements BufferRenewer.
func (r *PcapngReader) Renew() { r.in.buf.renewNow() }

// Close releases the file (not standard input, nor a reader given to NewReader).
func (r *PcapngReader) Close() error {
	if r.err == nil {
		r.err = closedError(r.in.name)
	}
	return r.in.close()
}
