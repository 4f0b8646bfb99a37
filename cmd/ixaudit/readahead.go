package main

import (
	"sync"

	"github.com/ixaudit/ixaudit/analyze"
	"github.com/ixaudit/ixaudit/capture"
)

// readAhead is a capture.Source that reads its packets from another Source in a goroutine
// of its own, one batch ahead of its caller, and decodes and prepares them there
// (analyze.PreparedSource), so that reading and decoding the capture
// (system calls, record parsing, time stamps, link to transport headers, RTP headers, and
// SIP messages while the analysis has a batch waiting: parseWhenAhead) run on one core
// while the analysis runs on another.
//
// The packets are read into, or copied into, a small ring of reused batches: memory is
// bounded by the ring, whatever the length of the capture, and no packet is allocated.
// The caller sees exactly the packets, in exactly the order, that the inner Source gives,
// followed by its error, so that the audit is the same as without it: only the
// scheduling differs.
//
// Like every Source, it is used by one goroutine; a Packet's Data is valid until the next
// call to ReadPacket. Close stops the reader goroutine before it closes the inner Source.
type readAhead struct {
	src  capture.Source
	full chan *aheadBatch // batches read, in capture order
	free chan *aheadBatch // batches the caller is done with
	stop chan struct{}    // closed by Close: the reader goroutine returns
	wg   sync.WaitGroup
	once sync.Once

	cur *aheadBatch // the batch ReadPacket returns packets from
	i   int         // the next packet of cur

	// parse says which SIP messages the reader parses ahead; set before the reader
	// starts (tests), parseWhenAhead otherwise.
	parse parseAhead
}

// parseAhead says which SIP messages the reader goroutine parses for the analysis.
type parseAhead uint8

const (
	// parseWhenAhead parses a message when the analysis has a batch waiting, and leaves
	// it to the analysis otherwise: when the reader is the slower of the two, the
	// analysis, which would wait for the batch, parses the message itself, and the batch
	// reaches it sooner. The work moves to whichever goroutine has time for it. On the
	// benchmark capture, five series of 16 to 20 paired runs against parsing every
	// message ahead gave wall-time ratios of 0.93, 0.94, 0.96, 1.02 and 1.02: a few
	// per cent at best, within this machine's noise. Whoever parses a message, the
	// audit is the same.
	parseWhenAhead parseAhead = iota
	parseAlways
	parseNever
)

// aheadBatch is consecutive packets of a capture, their data in one buffer (data, or for
// the first batch of a file the reader's own first buffer).
type aheadBatch struct {
	pkts   []capture.Packet
	frames []capture.Frame // pkts[i] decoded, unless preps[i] is Fast
	gaps   []capture.Gap   // what decoding pkts[i] gave
	preps  []analyze.Prepared
	msgs   []analyze.PreparedSIP // SIP messages parsed by preparing, referred to by preps
	data   []byte
	// The inner Source's link types and drop count once the batch was read, for
	// LinkTypes and Drops: the inner Source may only be asked from the reading goroutine.
	linkTypes []capture.LinkType
	drops     uint64
	err       error // the error that ended the capture after these packets (io.EOF at its end)
}

// Ring and batch sizes: four batches of up to 256 KiB or 1,280 packets each (a 256 KiB
// buffer holds about 1,100 G.711 RTP packets; a batch of smaller ones ends on the
// count). A batch is handed over whole, so the cost of the hand-over is spread over its
// packets. The ring is memory that every audit holds (about 0.7 MB a batch), and the
// memory pacing (memory.go) counts it in the live heap, so it is no larger than it must
// be: on the benchmark capture (11 interleaved runs each) three batches took 0.83 s, four
// 0.64 s, six 0.63 s, eight 0.67 s.
const (
	readAheadBatches    = 4
	readAheadBatchBytes = 256 << 10
	readAheadBatchPkts  = 1280
	// SIP messages parsed ahead per batch; the analysis parses any more itself.
	readAheadBatchMsgs = 64
)

// useReadAhead reports whether inputs should be read ahead (newReadAhead): when the
// inputs audited at once, at most jobs of them, leave one of procs cores idle, that core
// reads while the other analyses. With as many inputs at once as cores, each core is
// already busy auditing one, and a reader goroutine would only take turns with them.
func useReadAhead(jobs, inputs, procs int) bool {
	return min(jobs, inputs) < procs
}

// newReadAhead starts reading src in a goroutine.
func newReadAhead(src capture.Source) *readAhead {
	return startReadAhead(src, parseWhenAhead)
}

// startReadAhead is newReadAhead, parsing the SIP messages parse says.
func startReadAhead(src capture.Source, parse parseAhead) *readAhead {
	r := &readAhead{
		parse: parse,
		src:   src,
		full:  make(chan *aheadBatch, readAheadBatches),
		free:  make(chan *aheadBatch, readAheadBatches),
		stop:  make(chan struct{}),
	}
	for range readAheadBatches {
		r.free <- &aheadBatch{
			pkts:   make([]capture.Packet, 0, readAheadBatchPkts),
			frames: make([]capture.Frame, readAheadBatchPkts),
			gaps:   make([]capture.Gap, readAheadBatchPkts),
			preps:  make([]analyze.Prepared, readAheadBatchPkts),
			msgs:   make([]analyze.PreparedSIP, readAheadBatchMsgs),
			data:   make([]byte, 0, readAheadBatchBytes),
		}
	}
	r.wg.Add(1)
	go r.read()
	return r
}

// read is the reader goroutine: it fills free batches and passes them on until the inner
// Source returns an error (io.EOF at the end) or Close is called.
//
// When the inner Source reads through buffers it can be given (capture.BufferRenewer,
// as files are), each batch's buffer is one of them: the Source reads the capture into
// it and the batch's packets are slices of it, with no copy. Otherwise each packet is
// copied into the batch's buffer.
func (r *readAhead) read() {
	defer r.wg.Done()
	var (
		b       *aheadBatch // the batch being filled
		stopped bool        // Close was called while the Source was reading
		dec     capture.Decoder
		pre     analyze.Preparer
		msgs    int              // messages of b.msgs used
		ahead   bool             // parse the next SIP messages ahead, as of the last look
		frame   capture.Frame    // the packet being read, decoded
		prep    analyze.Prepared // and prepared
	)
	take := func() *aheadBatch { // a free batch, emptied; nil once Close is called
		select {
		case nb := <-r.free:
			nb.pkts, nb.data, nb.err = nb.pkts[:0], nb.data[:0], nil
			return nb
		case <-r.stop:
			return nil
		}
	}
	send := func() bool { // passes b on
		b.linkTypes = append(b.linkTypes[:0], r.src.LinkTypes()...)
		if d, ok := r.src.(capture.DropCounter); ok {
			b.drops = d.Drops()
		}
		select {
		case r.full <- b:
			b = nil
			return true
		case <-r.stop:
			return false
		}
	}
	next := func() bool { // passes b on and takes the next batch into b
		if !send() {
			return false
		}
		b, msgs = take(), 0
		return b != nil
	}
	rn, renewing := r.src.(capture.BufferRenewer)
	if renewing {
		// Called from within ReadPacket or Renew when the Source needs a new buffer: the
		// packets it returns from now on lie in the buffer returned. The batch holding
		// the packets of the old one is passed on first, so that the analysis has it while
		// the Source reads on (the Source moves the bytes it has read but not returned,
		// as it would within one buffer). An empty batch gives its own buffer.
		rn.SetRenew(func(n int) []byte {
			if stopped || len(b.pkts) > 0 && !next() {
				stopped = true
				return make([]byte, n) // Close was called: the reader stops after this call
			}
			// The Source reads as much as the buffer holds: readAheadBatchBytes, or n when
			// it must move or read more at once (a long record, or the unread bytes of
			// its own first buffer, 1 MiB). A buffer that grew for that is not lent whole
			// again: a batch that took more bytes than its 1,280 packets need would end
			// on the count, and every such end moves the unread rest to the next batch.
			size := max(n, readAheadBatchBytes)
			if cap(b.data) < size {
				b.data = make([]byte, 0, size)
			}
			return b.data[:size]
		})
	}
	if b = take(); b == nil {
		return
	}
	// The packet is read into p (capture.PacketReaderTo when the Source has it, as
	// files in pcap do), decoded and prepared there, in this goroutine's cache, and
	// copied into the batch last.
	to, _ := r.src.(capture.PacketReaderTo)
	var p capture.Packet
	for {
		var err error
		if to != nil {
			err = to.ReadPacketTo(&p)
		} else {
			p, err = r.src.ReadPacket()
		}
		if stopped {
			return
		}
		if err != nil {
			b.err = err
			send()
			return
		}
		if !renewing {
			if len(b.pkts) == cap(b.pkts) || len(b.data)+len(p.Data) > cap(b.data) {
				if len(b.pkts) > 0 && !next() {
					return
				}
				if len(p.Data) > cap(b.data) {
					// Longer than a batch (the readers bound a record to a few hundred
					// KiB): this batch grows to hold it.
					b.data = make([]byte, 0, len(p.Data))
				}
			}
			n := len(b.data)
			b.data = append(b.data, p.Data...)
			p.Data = b.data[n:len(b.data):len(b.data)]
		}
		i := len(b.pkts)
		gap := dec.Decode(&p, &frame)
		if i%64 == 0 {
			// Looked at each batch's start and every 64 packets: the queue changes a
			// batch (1,280 packets) at a time, and len of a channel is a call.
			ahead = r.parse == parseAlways || r.parse == parseWhenAhead && len(r.full) > 0
		}
		var msg *analyze.PreparedSIP
		if ahead && msgs < len(b.msgs) {
			msg = &b.msgs[msgs]
		}
		if pre.Prepare(&p, &frame, gap, &prep, msg) {
			msgs++
		}
		// The batch stores the Packet (ReadPacket returns it), the Prepared, and the
		// Frame unless the Prepared is Fast: the analysis does not read it then (on the
		// benchmark capture, 7 % less CPU in this goroutine than decoding and preparing
		// into the batch's arrays).
		b.pkts = append(b.pkts, p)
		b.gaps[i] = gap
		b.preps[i] = prep
		if !prep.Fast() {
			b.frames[i] = frame
		}
		if renewing && len(b.pkts) == cap(b.pkts) {
			// The batch is full of packets before its buffer is full of bytes: the
			// Source moves to the next batch's buffer now (Renew always does, after a
			// packet: the renew function above passes b on).
			rn.Renew()
			if stopped {
				return
			}
		}
	}
}

// ReadPacket returns the next packet of the inner Source, or its error once its packets
// are all returned.
func (r *readAhead) ReadPacket() (capture.Packet, error) {
	if err := r.advance(); err != nil {
		return capture.Packet{}, err
	}
	r.i++
	return r.cur.pkts[r.i-1], nil
}

// ReadPrepared is ReadPacket with the packet's decoding and analyze.Prepared
// (analyze.PreparedSource); the decoding is nil when the Prepared is Fast.
func (r *readAhead) ReadPrepared() (*capture.Packet, *capture.Frame, capture.Gap, *analyze.Prepared, error) {
	if err := r.advance(); err != nil {
		return nil, nil, capture.GapNone, nil, err
	}
	i := r.i
	r.i++
	pr := &r.cur.preps[i]
	if pr.Fast() {
		return &r.cur.pkts[i], nil, r.cur.gaps[i], pr, nil
	}
	return &r.cur.pkts[i], &r.cur.frames[i], r.cur.gaps[i], pr, nil
}

// advance makes r.cur.pkts[r.i] the next packet, taking the next batch when the current
// one is used up, or returns the error that ended the capture.
func (r *readAhead) advance() error {
	for r.cur == nil || r.i == len(r.cur.pkts) {
		if r.cur != nil {
			if r.cur.err != nil {
				return r.cur.err
			}
			r.free <- r.cur // never blocks: the ring has room for every batch
		}
		r.cur, r.i = <-r.full, 0
	}
	return nil
}

// Name returns the inner Source's name.
func (r *readAhead) Name() string { return r.src.Name() }

// LinkTypes returns the link types the inner Source had seen when it had read the packets
// returned so far (and a batch more).
func (r *readAhead) LinkTypes() []capture.LinkType {
	if r.cur == nil {
		return nil
	}
	return r.cur.linkTypes
}

// Drops returns the inner Source's drop count, as of the current batch (0 when it does not
// count drops).
func (r *readAhead) Drops() uint64 {
	if r.cur == nil {
		return 0
	}
	return r.cur.drops
}

// BytesRead forwards capture.Progress (safe from any goroutine, as the inner one is).
func (r *readAhead) BytesRead() int64 {
	if p, ok := r.src.(capture.Progress); ok {
		return p.BytesRead()
	}
	return 0
}

// Close stops the reader goroutine, waits for it, and closes the inner Source.
func (r *readAhead) Close() error {
	r.once.Do(func() { close(r.stop) })
	r.wg.Wait()
	return r.src.Close()
}
