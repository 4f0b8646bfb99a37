package analyze

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"time"

	"github.com/ixaudit/ixaudit/analyze/media"
	"github.com/ixaudit/ixaudit/analyze/ruleset"
	"github.com/ixaudit/ixaudit/analyze/sip"
	"github.com/ixaudit/ixaudit/capture"
	"github.com/ixaudit/ixaudit/capture/tcpstream"
)

// Config is what an audit needs besides the captures.
type Config struct {
	Rules         *ruleset.RuleSet // the Twilio facts; ruleset.Default() when nil
	SBCNets       []netip.Prefix   // --sbc-net: enables the *-off-interconnect rules
	RequireSecure bool             // --require-secure: enables the *-insecure rules
	// MaxLadder is how many SIP messages of a call are kept for ladder diagrams
	// (default 200).
	MaxLadder int
	// OnFinding, when set, is called with each finding as it is found (live mode). It is
	// called from the goroutine running Audit.
	OnFinding func(Finding)
	// AllLadders keeps the SIP messages of every call for ladder diagrams; by default only
	// calls with findings keep them.
	AllLadders bool
	// MaxActiveCalls, MaxListedCalls and MaxListedStreams override
	// DefaultMaxActiveCalls, DefaultMaxListedCalls and DefaultMaxListedStreams.
	MaxActiveCalls, MaxListedCalls, MaxListedStreams int
}

// Auditor audits captures with one configuration. Its Audit method may run concurrently
// on different sources.
type Auditor struct {
	cfg Config
}

// New returns an Auditor for cfg.
func New(cfg Config) *Auditor {
	if cfg.Rules == nil {
		cfg.Rules = ruleset.Default()
	}
	if cfg.MaxLadder <= 0 {
		cfg.MaxLadder = 200
	}
	return &Auditor{cfg: cfg}
}

// Config returns the auditor's configuration.
func (a *Auditor) Config() Config { return a.cfg }

// InputResult is what one capture yielded. Merge results with Report.
type InputResult struct {
	Inputs      []Input // the inputs read, in order (one, except for a Series)
	SIPMessages int
	Calls       []*CallState
	// CallsByPath and CallsByEdge count every call, listed or not.
	CallsByPath    map[Path]int
	CallsByEdge    map[string]int
	CallsNotListed int
	// Suppressed counts findings outside calls beyond the listing limit, by rule.
	Suppressed map[string]int
	// SuppressedBySeverity counts the same findings by severity, for the verdict.
	SuppressedBySeverity map[Severity]int
	// StreamsSeen counts every RTP stream; StreamsNotListed those beyond the list's limit.
	StreamsSeen, StreamsNotListed int
	Streams                       []Stream
	Findings                      []Finding
	PacketUse                     map[string]int
	Gaps                          map[string]int
}

// Packet uses: the keys of Summary.PacketUse.
const (
	useSIP      = "sip"
	useRTP      = "rtp"
	useRTCP     = "rtcp"
	useSTUN     = "stun"
	useDTLS     = "dtls"
	useDNS      = "dns"
	useFragment = "fragment"
	useOther    = "other"
	useHEP      = "hep"     // HEP packets whose SIP was judged
	useT38      = "t38"     // T.38 fax (udptl) on ports an SDP announced for it, not RTP
	useNotSIP   = "not-sip" // data on a SIP port that is no SIP (reported as sip-malformed)
)

// Evidence-gap reasons that the analysis adds to capture.Gap's.
const (
	gapTLS         = "tls-content"
	gapKernelDrops = "kernel-drops"
	gapSCTP        = "sctp"
	// gapCallsEvicted counts dialogs, not packets: a dialog ended early to respect
	// MaxActiveCalls (its packets were judged and are counted by their use). Reasons that
	// start with "evicted-" count no packets and stay out of the accounting invariant.
	gapCallsEvicted = "evicted-calls"
)

// expireEvery is how far packet time advances between sweeps of expiring state.
const expireEvery = time.Second

// Audit reads src to its end (or until ctx is done) and returns what it held. A capture
// that ends inside a record, or is damaged, is audited up to the damage, which is reported
// as a capture-truncated finding; the error is also kept in the input's record (Input.Err). Audit returns
// an error only when ctx was cancelled.
func (a *Auditor) Audit(ctx context.Context, src capture.Source) (*InputResult, error) {
	in := newInputAuditor(a, src.Name())
	err := in.read(ctx, src)
	in.finish()
	return in.res, err
}

// Series audits several inputs one after the other with one state, as the pieces of one
// capture (files rotated by tcpdump -C/-G, or captures of two interfaces of one SBC): a
// call whose INVITE is in one file and whose BYE and media are in the next is one call,
// and its media is judged against SDP from the earlier file. Packet numbers stay those of
// each input; packet time restarts with each input, so inputs need not be in time order.
type Series struct {
	in *inputAuditor
}

// NewSeries starts a series of inputs.
func (a *Auditor) NewSeries() *Series {
	in := newInputAuditor(a, "")
	in.res.Inputs = in.res.Inputs[:0]
	return &Series{in: in}
}

// Read audits src to its end (or until ctx is done) as the next input of the series. A
// damaged capture is audited up to the damage, reported as a capture-truncated finding,
// and its error kept in the input's record (Input.Err). Read returns an error only when
// ctx was cancelled.
func (s *Series) Read(ctx context.Context, src capture.Source) error {
	s.in.beginInput(src.Name())
	return s.in.read(ctx, src)
}

// Close ends the series: it flushes reassembly, ends every call and returns the result.
func (s *Series) Close() *InputResult {
	s.in.finish()
	return s.in.res
}

// read judges the packets of src, the current input, to its end.
func (in *inputAuditor) read(ctx context.Context, src capture.Source) error {
	if ps, ok := src.(PreparedSource); ok {
		return in.readPrepared(ctx, ps)
	}
	var err error
	// One Packet for the whole loop: the auditor points at it while it judges it, and
	// declaring it inside the loop would allocate it once per packet.
	var p capture.Packet
	for n := 0; ; n++ {
		if n&0xfff == 0 && ctx.Err() != nil {
			err = ctx.Err()
			break
		}
		var rerr error
		p, rerr = src.ReadPacket()
		if rerr != nil {
			if rerr != io.EOF {
				in.damaged(rerr)
			}
			break
		}
		in.packet(&p)
	}
	in.endInput(src)
	return err
}

// readPrepared is read for a source that decodes and prepares its packets itself.
func (in *inputAuditor) readPrepared(ctx context.Context, src PreparedSource) error {
	var err error
	for n := 0; ; n++ {
		if n&0xfff == 0 && ctx.Err() != nil {
			err = ctx.Err()
			break
		}
		p, f, g, pr, rerr := src.ReadPrepared()
		if rerr != nil {
			if rerr != io.EOF {
				in.damaged(rerr)
			}
			break
		}
		if pr != nil && pr.fast {
			in.fastRTP(pr)
			continue
		}
		in.decoded(p, f, g, pr)
	}
	in.endInput(src)
	return err
}

// beginInput starts the next input of a series. Packet time restarts with it.
func (in *inputAuditor) beginInput(name string) {
	in.res.Inputs = append(in.res.Inputs, Input{Name: name})
	in.name = name
	in.setNow(time.Time{})
	in.setSweep(time.Time{})
	in.lastPacket = 0
}

// input is the record of the input being read.
func (in *inputAuditor) input() *Input { return &in.res.Inputs[len(in.res.Inputs)-1] }

// endInput records what the source knows once it has been read: its link types and the
// packets its capturing system dropped.
func (in *inputAuditor) endInput(src capture.Source) {
	inp := in.input()
	for _, lt := range src.LinkTypes() {
		inp.LinkTypes = append(inp.LinkTypes, lt.String())
	}
	if d, ok := src.(capture.DropCounter); ok && d.Drops() > 0 {
		in.res.Gaps[gapKernelDrops] += int(d.Drops())
	}
}

// Session audits packets handed to it one at a time, for sources that do not end (live
// capture). It is not safe for concurrent use: one goroutine calls Packet, Snapshot and
// Close.
type Session struct {
	in *inputAuditor
}

// NewSession starts auditing an input called name.
func (a *Auditor) NewSession(name string) *Session {
	return &Session{in: newInputAuditor(a, name)}
}

// Packet judges one packet. Its data is not kept after Packet returns.
func (s *Session) Packet(p *capture.Packet) { s.in.packet(p) }

// Snapshot returns what the session has judged so far, as if the input ended now, without
// ending anything: calls in progress are reported as they stand, and packets still held
// for reassembly are counted under the packet use "pending".
func (s *Session) Snapshot(linkTypes []capture.LinkType, drops uint64) *InputResult {
	return s.in.snapshot(linkTypes, drops)
}

// Close ends the input: it flushes reassembly, ends every call and returns the result.
func (s *Session) Close(linkTypes []capture.LinkType, drops uint64) *InputResult {
	s.in.endInput(staticSource{linkTypes: linkTypes, drops: drops})
	s.in.finish()
	return s.in.res
}

// staticSource gives finish the link types and drop count of a source that was not read
// through the capture.Source interface.
type staticSource struct {
	capture.Source
	linkTypes []capture.LinkType
	drops     uint64
}

func (s staticSource) LinkTypes() []capture.LinkType { return s.linkTypes }
func (s staticSource) Drops() uint64                 { return s.drops }

// inputAuditor is the state of one input's audit. It is used by one goroutine.
type inputAuditor struct {
	a    *Auditor
	rs   *ruleset.RuleSet
	name string
	res  *InputResult

	dec      capture.Decoder
	frame    capture.Frame
	preparer Preparer
	prepared Prepared // what preparer gave for the packet being judged
	defrag   *capture.Defragmenter
	tcp      *tcpstream.Assembler
	tls      map[flowPair]bool // TCP flows on SIP ports seen to carry TLS
	// sipFlows are TCP flows on other ports found to carry SIP by their content.
	sipFlows map[flowPair]bool

	msg     PreparedSIP        // a SIP message the analysis parses itself
	wsBuf   []byte             // unmasked WebSocket payload
	sctp    map[sctpKey][]byte // SCTP user messages being reassembled
	tracker *media.Tracker

	calls    map[string]*CallState       // dialogs followed now, by Call-ID
	active   []*CallState                // the same, oldest first (ended ones are skipped)
	media    map[netip.AddrPort]mediaRef // announced media endpoints
	flowCall map[flowPair]*flowInfo      // cache: media flow → call
	// flowRecent is a direct-mapped cache in front of flowCall, by ports; it holds only
	// entries of flowCall.
	flowRecent [flowSlots]*flowInfo
	// flowEnds counts the flows of flowCall by endpoint (src and dst).
	flowEnds map[netip.AddrPort]int
	mediaGen uint32 // bumped when media changes for an endpoint in flowEnds
	// changedEPs is finalize's scratch list of the endpoints an ended call forgets.
	changedEPs []netip.AddrPort

	curFlow *flowInfo // the media flow being added to the tracker
	evicted []Stream  // streams the tracker has let go, in their report form
	// streamCall ties each stream the tracker holds to the call it was attributed to.
	streamCall map[*media.Stream]*CallState
	// streamInput names the input of each held stream's first packet.
	streamInput map[*media.Stream]string

	// Messages held until the INVITE of their Call-ID comes (orphans.go).
	orphans     map[string][]orphan
	orphanCount int
	orphanBytes int
	replaying   bool

	lastPacket int
	rtpPackets int            // packets of use "rtp", not yet in res.PacketUse
	fastPacket capture.Packet // the packet fastRTP judges: cur points to it then
	now        time.Time      // latest packet time
	sweepAt    time.Time      // packet time of the next expiry sweep (expireEvery after the last)
	// now and sweepAt as Unix seconds and nanoseconds (setNow, setSweep), which begin
	// compares for each packet.
	nowSec, sweepSec   int64
	nowNsec, sweepNsec int32
	cur                *capture.Packet
	seen               map[string]bool // finding dedup outside calls: rule + key
}

// flowPair is an ordered pair of transport endpoints.
type flowPair struct{ src, dst netip.AddrPort }

// same is p == q, ports first, inlined where == calls the generated equality function
// (it runs for every media packet).
func (p flowPair) same(q flowPair) bool {
	return p.src.Port() == q.src.Port() && p.dst.Port() == q.dst.Port() &&
		p.src.Addr() == q.src.Addr() && p.dst.Addr() == q.dst.Addr()
}

func newInputAuditor(a *Auditor, name string) *inputAuditor {
	in := &inputAuditor{
		a:    a,
		rs:   a.cfg.Rules,
		name: name,
		res: &InputResult{Inputs: []Input{{Name: name}}, PacketUse: map[string]int{}, Gaps: map[string]int{},
			CallsByPath: map[Path]int{}, CallsByEdge: map[string]int{}, Suppressed: map[string]int{}},
		tls:         map[flowPair]bool{},
		sipFlows:    map[flowPair]bool{},
		calls:       map[string]*CallState{},
		media:       map[netip.AddrPort]mediaRef{},
		flowCall:    map[flowPair]*flowInfo{},
		flowEnds:    map[netip.AddrPort]int{},
		seen:        map[string]bool{},
		streamCall:  map[*media.Stream]*CallState{},
		streamInput: map[*media.Stream]string{},
	}
	in.tracker = media.NewTracker(media.TrackerConfig{
		OnNew:   in.newStream,
		OnEvict: in.keepStream,
	})
	in.defrag = capture.NewDefragmenter(capture.DefragConfig{})
	in.tcp = tcpstream.New(tcpstream.Config{}, streamFrame, (*tcpSIP)(in))
	in.setNow(time.Time{})
	in.setSweep(time.Time{})
	return in
}

// packet judges one packet.
func (in *inputAuditor) packet(p *capture.Packet) {
	f := &in.frame
	in.decoded(p, f, in.dec.Decode(p, f), nil)
}

// decoded judges one packet, given its decoding: f and g are what Decoder.Decode gave,
// and pr, when not nil, what Preparer.Prepare gave. f is changed when the packet is a
// fragment.
func (in *inputAuditor) decoded(p *capture.Packet, f *capture.Frame, g capture.Gap, pr *Prepared) {
	in.begin(p)
	if g != capture.GapNone {
		in.res.Gaps[g.String()]++
		return
	}
	if f.Fragment.Is {
		// Counted by the defragmenter's statistics at the end, whatever becomes of it.
		// A reassembled tunnel may hold a fragment of its own: give it back.
		for f.Fragment.Is {
			if !in.defrag.Add(f, p.Time) {
				return
			}
		}
		in.transport(f, true, nil)
		return
	}
	in.transport(f, false, pr)
}

// begin makes p the packet being judged and moves packet time on.
func (in *inputAuditor) begin(p *capture.Packet) {
	in.beginAt(p, p.Time.Unix(), int32(p.Time.Nanosecond()))
}

// beginAt is begin, given p's time as Unix seconds and nanoseconds.
func (in *inputAuditor) beginAt(p *capture.Packet, sec int64, nsec int32) {
	in.cur = p
	in.input().Packets++
	in.lastPacket = p.Number
	if sec > in.nowSec || sec == in.nowSec && nsec > in.nowNsec { // p.Time.After(in.now)
		in.now, in.nowSec, in.nowNsec = p.Time, sec, nsec
		if sec > in.sweepSec || sec == in.sweepSec && nsec >= in.sweepNsec { // !in.now.Before(in.sweepAt)
			in.expire()
		}
	}
}

// setNow sets the packet time.
func (in *inputAuditor) setNow(t time.Time) {
	in.now, in.nowSec, in.nowNsec = t, t.Unix(), int32(t.Nanosecond())
}

// setSweep sets the packet time of the next sweep.
func (in *inputAuditor) setSweep(t time.Time) {
	in.sweepAt, in.sweepSec, in.sweepNsec = t, t.Unix(), int32(t.Nanosecond())
}

// fastRTP is decoded for a packet that Prepare marked fast (an RTP datagram over IPv4
// that udp hands to mediaPacket), judged from pr alone: the packet and its frame are
// not read.
func (in *inputAuditor) fastRTP(pr *Prepared) {
	in.fastPacket = capture.Packet{Number: pr.number, Time: time.Unix(pr.sec, int64(pr.nsec)).UTC()}
	in.beginAt(&in.fastPacket, pr.sec, pr.nsec)
	src := netip.AddrPortFrom(netip.AddrFrom4(pr.src), pr.srcPort)
	dst := netip.AddrPortFrom(netip.AddrFrom4(pr.dst), pr.dstPort)
	in.count(in.mediaFlowPacketOf(in.fastFlow(pr, src, dst), src, dst, nil, pr), "", false)
}

// transport dispatches a decoded datagram by protocol and counts its packet in one
// bucket: a packet use or, when it could not be judged, an evidence gap. reassembled is
// true when the packet is the last fragment of a datagram; the defragmenter's statistics
// count it then ("fragment").
//
// pr is what Preparer.Prepare gave for f, or nil.
func (in *inputAuditor) transport(f *capture.Frame, reassembled bool, pr *Prepared) {
	var use, gap string
	switch f.Proto {
	case capture.ProtoUDP:
		if pr == nil || !pr.ok {
			pr = &in.prepared
			in.preparer.prepare(f.Payload, pr)
		}
		use, gap = in.udp(f, pr)
	case capture.ProtoTCP:
		// A fragmented TCP segment is rare; it is still fed to the stream, but the
		// segment accounting of the assembler would count it a second time.
		in.tcpSegment(f, !reassembled)
		return
	case capture.ProtoSCTP:
		if in.sctpPacket(f) {
			use = useSIP
		} else {
			gap = gapSCTP
		}
	default:
		use = useOther
	}
	in.count(use, gap, reassembled)
}

// count counts a packet in one bucket, as transport says.
func (in *inputAuditor) count(use, gap string, reassembled bool) {
	switch {
	case reassembled:
	case gap != "":
		in.res.Gaps[gap]++
	case use == useRTP:
		in.rtpPackets++ // the common case, kept out of the map until finish and snapshot
	default:
		in.res.PacketUse[use]++
	}
}

// isDNSPort reports whether port is DNS's or multicast DNS's.
func isDNSPort(port uint16) bool { return port == 53 || port == 5353 }

// isSIPPort reports whether port is one SIP is usually carried on.
func isSIPPort(port uint16) bool {
	return port == 5060 || port == 5061 || port == 5080 || port == 5062
}

// udp judges a UDP datagram and returns its packet use, or the evidence gap that kept it
// from being judged.
func (in *inputAuditor) udp(f *capture.Frame, pr *Prepared) (use, gap string) {
	b := f.Payload
	switch pr.route(f) {
	case routeHEP: // on port 9060 or any other: HEP is told by its "HEP3" magic
		if in.hepPacket(b) {
			return useHEP, ""
		}
		return useOther, ""
	case routeDNS:
		if in.dnsPacket(f) {
			return useDNS, ""
		}
		return useOther, ""
	case routeSIP:
		if pr.keepAlive {
			return useSIP, ""
		}
		if pr.stun {
			return useSTUN, ""
		}
		if !in.sipDatagram(f, b, "udp", pr) {
			return "", capture.GapSnapLen.String()
		}
		return useSIP, ""
	}
	if pr.keepAlive && in.twilioSignalling(f) {
		// A keep-alive to or from a Twilio signalling address on another port is SIP.
		// Anything else there is judged as media would be (STUN included), so the rule
		// set is not consulted for every RTP packet.
		return useSIP, ""
	}
	return in.mediaPacket(f, pr), ""
}

// twilioSignalling reports whether either end of f is a Twilio signalling address (SIP
// on a port other than the usual ones is still SIP when it goes to Twilio).
func (in *inputAuditor) twilioSignalling(f *capture.Frame) bool {
	return isSignalling(in.rs.Peer(f.Src).Kind) || isSignalling(in.rs.Peer(f.Dst).Kind)
}

// isKeepAlive reports whether b is a SIP keep-alive (CRLF or double CRLF, RFC 5626).
func isKeepAlive(b []byte) bool {
	if len(b) == 0 || len(b) > 4 {
		return false
	}
	for _, c := range b {
		if c != '\r' && c != '\n' && c != 0 {
			return false
		}
	}
	return true
}

// tcpSegment judges a TCP segment. count is false when the packet has already been
// counted (a reassembled IP datagram).
func (in *inputAuditor) tcpSegment(f *capture.Frame, count bool) {
	key := flowPair{netip.AddrPortFrom(f.Src, f.SrcPort), netip.AddrPortFrom(f.Dst, f.DstPort)}
	rev := flowPair{key.dst, key.src}
	if in.tls[key] || in.tls[rev] || (len(f.Payload) > 0 && (isSIPPort(f.DstPort) || isSIPPort(f.SrcPort)) && isTLSRecord(f.Payload)) {
		in.tlsSegment(f, key)
		if count {
			in.res.Gaps[gapTLS]++
		}
		if f.TCPFlags&(capture.TCPFin|capture.TCPRst) != 0 {
			delete(in.tls, key)
			delete(in.tls, rev)
		}
		return
	}
	sipFlow := isSIPPort(f.SrcPort) || isSIPPort(f.DstPort) || in.twilioSignalling(f) || in.sipFlows[key] || in.sipFlows[rev]
	if !sipFlow && len(f.Payload) > 0 && (sip.LooksLikeSIP(f.Payload) || isWebSocketUpgrade(f.Payload) || isHEP3(f.Payload)) {
		// SIP on an unusual port, found by its content: follow the connection from here.
		if len(in.sipFlows) >= maxTLSFlows {
			clear(in.sipFlows)
		}
		in.sipFlows[key] = true
		sipFlow = true
	}
	if sipFlow {
		if count {
			in.tcp.Segment(in.cur.Number, in.cur.Time, f)
		}
		return
	}
	if count {
		in.res.PacketUse[useOther]++
	}
}

// damaged records that reading stopped early.
func (in *inputAuditor) damaged(err error) {
	inp := in.input()
	inp.Err = err
	inp.Truncated = true
	what := "the capture is damaged"
	if errors.Is(err, capture.ErrTruncated) {
		what = "the capture ends inside a record"
	}
	in.finding(nil, "capture-truncated", findingAt{packet: in.lastPacket, time: in.now},
		fmt.Sprintf("%s after packet %d; everything before it was audited", what, in.lastPacket),
		err.Error(), what)
}

// expire sweeps state that has timed out in packet time.
func (in *inputAuditor) expire() {
	in.setSweep(in.now.Add(expireEvery))
	in.defrag.Expire(in.now)
	in.tcp.Expire(in.now)
	in.expireOrphans(false)
	in.expireCalls()
}

// finish flushes all state at the end of the input and fills in the result.
func (in *inputAuditor) finish() {
	in.defrag.Flush()
	in.tcp.Flush()
	in.expireOrphans(true)
	ds := in.defrag.Stats()
	in.res.PacketUse[useFragment] += ds.FragmentsUsed + ds.FragmentsDuplicate
	addGap(in.res.Gaps, capture.GapFragmentsIncomplete.String(), ds.FragmentsIncomplete)
	addGap(in.res.Gaps, capture.GapFragmentsEvicted.String(), ds.FragmentsEvicted)
	addGap(in.res.Gaps, capture.GapMalformed.String(), ds.FragmentsDropped)
	ts := in.tcp.Stats()
	in.res.PacketUse[useSIP] += ts.Used + ts.Retransmitted
	in.res.PacketUse[useNotSIP] += ts.Unframed
	addGap(in.res.Gaps, capture.GapTCPGap.String(), ts.Gap)
	addGap(in.res.Gaps, capture.GapTCPEvicted.String(), ts.Evicted)
	in.finishCalls()
	in.finishMedia()
	in.res.PacketUse[useRTP] += in.rtpPackets
	in.rtpPackets = 0
	for k, v := range in.res.PacketUse {
		if v == 0 {
			delete(in.res.PacketUse, k)
		}
	}
}

func addGap(m map[string]int, reason string, n int) {
	if n > 0 {
		m[reason] += n
	}
}
