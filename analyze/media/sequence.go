package media

// Constants of RFC 3550 Appendix A.1.
const (
	maxDropout  = 3000 // a forward jump larger than this is suspect
	maxMisorder = 100  // a backward step up to this is a late (reordered or duplicate) packet
	seqMod      = 1 << 16
)

// sequence follows a stream's sequence numbers as RFC 3550 Appendix A.1 (update_seq) does,
// without the initial probation (a capture audit counts a stream from its first packet), and
// with the restart rule: after a jump of more than maxDropout forward or maxMisorder back,
// the packet is set aside, and if the next one follows it the source is taken to have
// restarted its numbering. It also keeps a bitmap of the last 128 sequence numbers below the
// highest, to tell duplicates from reordered packets.
type sequence struct {
	started  bool
	baseSeq  uint16
	maxSeq   uint16
	cycles   int // 65536 per wrap of maxSeq
	badSeq   int // the sequence number that would confirm a restart; > 0xffff for none
	received int

	lostBefore int // loss counted in the numbering epochs before the last restart
	restarts   int
	// validated is set once a packet has followed its predecessor's sequence number:
	// RFC 3550 A.1's MIN_SEQUENTIAL of 2 in-order packets.
	validated bool

	// seen holds one bit per sequence number from maxSeq (bit 0) down to maxSeq-127.
	seen [2]uint64
	dups int
	late int
}

func (q *sequence) init(seq uint16) {
	q.baseSeq, q.maxSeq = seq, seq
	q.cycles = 0
	q.badSeq = seqMod + 1
	q.received = 0
	q.seen = [2]uint64{1, 0}
}

func (q *sequence) add(seq uint16) {
	if !q.started {
		q.started = true
		q.init(seq)
		q.received = 1
		return
	}
	udelta := seq - q.maxSeq
	switch {
	case udelta == 0:
		q.dups++
	case udelta < maxDropout:
		if udelta == 1 {
			q.validated = true
		}
		if seq < q.maxSeq {
			q.cycles += seqMod
		}
		q.shift(int(udelta))
		q.maxSeq = seq
	case int(udelta) <= seqMod-maxMisorder:
		if int(seq) != q.badSeq {
			q.badSeq = int(seq+1) & (seqMod - 1)
			return
		}
		q.lostBefore += q.epochLost()
		q.restarts++
		q.init(seq)
		q.validated = true // the restart is two consecutive packets
	default: // up to maxMisorder behind the highest
		back := seqMod - int(udelta)
		w, bit := back/64, uint64(1)<<(back%64)
		if q.seen[w]&bit != 0 {
			q.dups++
		} else {
			q.seen[w] |= bit
			q.late++
		}
	}
	q.received++
}

// shift moves the window forward by n sequence numbers and marks the new highest as seen.
func (q *sequence) shift(n int) {
	switch {
	case n >= 128:
		q.seen = [2]uint64{}
	case n >= 64:
		q.seen[1] = q.seen[0] << (n - 64)
		q.seen[0] = 0
	default:
		q.seen[1] = q.seen[1]<<n | q.seen[0]>>(64-n)
		q.seen[0] <<= n
	}
	q.seen[0] |= 1
}

// epochLost is RFC 3550 A.3's cumulative loss since the last (re)start of the numbering.
func (q *sequence) epochLost() int {
	expected := q.cycles + int(q.maxSeq) - int(q.baseSeq) + 1
	return expected - q.received
}

// lost is the cumulative loss over the whole stream, restarts included.
func (q *sequence) lost() int { return q.lostBefore + q.epochLost() }
