package capture

import (
	"io"
	"time"
)

const (
	pcapFileHeaderLen = 24
	// pcapMaxSnapLen is the snap length tcpdump and Wireshark read any pcap file with
	// (their MAXIMUM_SNAPLEN, 256 KiB). A record may be as long as the larger of it and
	// the file's own snap length, but never longer than maxBlockLen.
	pcapMaxSnapLen = 256 << 10
)

// How the captured and original lengths of a record are ordered. Files written by
// libpcap before version 2.3 of the format had them the other way round; version 2.3
// files may have either, and libpcap takes the smaller as the captured length.
const (
	lengthsInOrder = iota
	lengthsMaybeSwapped
	lengthsSwapped
)

// PcapReader reads a classic libpcap capture file. Open and NewReader return one for
// pcap input. Its records all have the link type of the file header.
//
// The Data of a returned Packet aliases the reader's buffer and is valid only until
// the next call to ReadPacket; reading a record allocates nothing.
type PcapReader struct {
	in        *input
	order     fileByteOrder
	nsScale   int64 // nanoseconds per timestamp unit: 1000 or 1
	headerLen int   // record header length: 16, or 24 in the modified format
	lengths   int   // lengthsInOrder, lengthsMaybeSwapped or lengthsSwapped
	snapLen   uint32
	maxLen    uint32 // the longest record accepted
	link      LinkType
	fcsLen    int
	n         int   // records returned
	err       error // sticky: io.EOF or the error that stopped reading
}

var _ interface {
	Source
	Progress
} = (*PcapReader)(nil)

// newPcapReader reads the file header. The buffer holds at least the 4-byte magic.
func newPcapReader(in *input) (*PcapReader, error) {
	h, err := in.buf.next(pcapFileHeaderLen)
	if err != nil {
		return nil, in.readError(err, 0, "file header", 0, "file header", in.buf.buffered(), pcapFileHeaderLen)
	}
	r := &PcapReader{in: in, nsScale: 1000, headerLen: 16}
	switch littleEndian.uint32(h) {
	case magicPcapMicro:
	case magicPcapNano:
		r.nsScale = 1
	case magicPcapModified:
		r.headerLen = 24
	case magicPcapMicroSwapped:
		r.order = bigEndian
	case magicPcapNanoSwapped:
		r.order, r.nsScale = bigEndian, 1
	case magicPcapModSwapped:
		r.order, r.headerLen = bigEndian, 24
	}
	major, minor := r.order.uint16(h[4:6]), r.order.uint16(h[6:8])
	if major != 2 {
		return nil, in.corrupt(0, "file header", 0, "unsupported pcap format version %d.%d", major, minor)
	}
	switch {
	case minor < 3:
		r.lengths = lengthsSwapped
	case minor == 3:
		r.lengths = lengthsMaybeSwapped
	}
	r.snapLen = r.order.uint32(h[16:20])
	r.maxLen = min(max(r.snapLen, pcapMaxSnapLen), maxBlockLen)
	// The link type field holds the link type in its low 16 bits; the top four bits
	// are the FCS length in 16-bit words, valid when bit 26 is set
	// (draft-ietf-opsawg-pcap, "LinkType and additional information").
	field := r.order.uint32(h[20:24])
	r.link = LinkType(field & 0xffff)
	if field&0x04000000 != 0 {
		r.fcsLen = 2 * int(field>>28)
	}
	if !r.link.Supported() {
		return nil, unsupportedLinkType(in.name, r.link)
	}
	return r, nil
}

// ReadPacket returns the next record. At the end of the file it returns io.EOF. A file
// that ends inside a record returns, after every complete record, a *ReadError
// wrapping ErrTruncated that names the record and its byte offset; a record longer
// than the larger of the file's snap length and 256 KiB (or than 16 MiB) is ErrCorrupt.
// A captured length larger than the original length is accepted; Length is then the
// captured length. After an error every call returns the same error.
//
// Packet.Data aliases the reader's buffer and is valid only until the next call.
func (r *PcapReader) ReadPacket() (Packet, error) {
	var p Packet
	err := r.ReadPacketTo(&p)
	return p, err
}

// ReadPacketTo is ReadPacket with the packet stored in *p (PacketReaderTo).
func (r *PcapReader) ReadPacketTo(p *Packet) error {
	if r.err != nil {
		*p = Packet{}
		return r.err
	}
	b := r.in.buf
	off := b.offset()
	h, err := b.next(r.headerLen)
	if err != nil {
		if err == io.EOF && b.buffered() == 0 {
			r.err = io.EOF
		} else {
			r.err = r.in.readError(err, r.n+1, "", off, "record header", b.buffered(), r.headerLen)
		}
		*p = Packet{}
		return r.err
	}
	sec := r.order.uint32(h[0:4])
	frac := r.order.uint32(h[4:8])
	caplen := r.order.uint32(h[8:12])
	length := r.order.uint32(h[12:16])
	if r.lengths != lengthsInOrder && (r.lengths == lengthsSwapped || caplen > length) {
		caplen, length = length, caplen
	}
	if caplen > r.maxLen {
		r.err = r.in.corrupt(r.n+1, "", off, "captured length %d is larger than the limit of %d bytes (snap length %d)", caplen, r.maxLen, r.snapLen)
		*p = Packet{}
		return r.err
	}
	data, err := b.next(int(caplen))
	if err != nil {
		r.err = r.in.readError(err, r.n+1, "", off, "packet", b.buffered(), int(caplen))
		*p = Packet{}
		return r.err
	}
	r.n++
	// Field by field: a composite literal would be built on the stack and copied into
	// *p with 16-byte loads of what was just stored in 8-byte pieces, which the
	// processor cannot forward from its store buffer.
	p.Number = r.n
	p.Time = time.Unix(int64(sec), int64(frac)*r.nsScale).UTC()
	p.LinkType = r.link
	p.Interface = 0
	p.Length = int(max(caplen, length))
	p.Data = data
	return nil
}

// Name returns the input's name as given to Open or NewReader.
func (r *PcapReader) Name() string { return r.in.name }

// LinkTypes returns the file's link type: a pcap file has one.
func (r *PcapReader) LinkTypes() []LinkType { return []LinkType{r.link} }

// SnapLen returns the snap length the file header declares (0 in files that do not
// set one). Records are accepted up to the larger of it and 256 KiB.
func (r *PcapReader) SnapLen() uint32 { return r.snapLen }

// FCSLength returns the number of frame check sequence bytes at the end of every
// record, as the file header declares it, or 0 when the header does not say.
func (r *PcapReader) FCSLength() int { return r.fcsLen }

// BytesRead implements Progress: bytes consumed from the file, before decompression.
func (r *PcapReader) BytesRead() int64 { return r.in.bytesRead() }

// SetRenew implements BufferRenewer.
func (r *PcapReader) SetRenew(renew func(n int) []byte) { r.in.buf.setRenew(renew) }

// Renew implements BufferRenewer.
func (r *PcapReader) Renew() { r.in.buf.renewNow() }

// Close releases the file (not standard input, nor a reader given to NewReader).
func (r *PcapReader) Close() error {
	if r.err == nil {
		r.err = closedError(r.in.name)
	}
	return r.in.close()
}
