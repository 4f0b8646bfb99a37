package analyze

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"time"

	"github.com/ixaudit/ixaudit/analyze/ruleset"
	"github.com/ixaudit/ixaudit/analyze/sip"
	"github.com/ixaudit/ixaudit/capture"
)

// CallState is a dialog being followed: the report's Call record and what the analysis
// needs to judge it.
type CallState struct {
	// Written by every RTP packet of the call, so kept together in the first cache line
	// (the struct's size class is a multiple of 64 bytes): a packet costs one miss on its
	// call rather than two or three.
	lastActive    time.Time // last SIP message or RTP packet, in packet time
	rtpToTwilio   int       // RTP packets sent towards the Twilio side
	rtpFromTwilio int       // RTP packets from the Twilio side

	Call
	start, end time.Time

	hasInvite  bool
	ended      bool // finalized: no longer followed
	answered   bool // a 2xx to an INVITE was seen
	twilio     netip.Addr
	twilioKind ruleset.PeerKind
	sbc        netip.Addr
	usedPublic bool
	usedIX     bool
	usedOther  bool

	rules map[string]bool
	seen  map[string]bool // finding dedup within the call: rule + key
	// listed counts the call's findings by rule, against maxCallFindingsPerRule.
	listed map[string]int

	// Lifecycle, in packet time.
	doneAt     time.Time        // when the dialog ended (BYE answered, INVITE failed); zero while up
	endpoints  []netip.AddrPort // media endpoints its SDP announced
	mediaFlows []flowSeen       // media flows tied to it, for media-unannounced

	// Media bookkeeping.
	rtpMaps []rtpMap
	flows   []*flowInfo   // media flows attributed to the call (forgetFlows)
	ladder  []ladderEntry // its SIP messages, made into Messages when it is listed with them
}

func (c *CallState) addRule(rule string) {
	c.Findings++
	if c.rules == nil {
		c.rules = map[string]bool{}
	}
	c.rules[rule] = true
}

// sipEnd describes the two ends of a SIP message as the rule set sees them.
type sipEnd struct {
	src, dst   netip.AddrPort
	transport  string // "udp", "tcp", "tls"
	ps, pd     ruleset.Peer
	fromTwilio bool // the sender is a Twilio signalling address
	toTwilio   bool // the receiver is a Twilio signalling address
}

// twilioPeer returns the Twilio end of the message, if any.
func (e *sipEnd) twilioPeer() (netip.AddrPort, ruleset.Peer, bool) {
	switch {
	case e.toTwilio:
		return e.dst, e.pd, true
	case e.fromTwilio:
		return e.src, e.ps, true
	}
	return netip.AddrPort{}, ruleset.Peer{}, false
}

// otherEnd returns the non-Twilio end of a message exchanged with Twilio.
func (e *sipEnd) otherEnd() netip.AddrPort {
	if e.toTwilio {
		return e.src
	}
	return e.dst
}

func (in *inputAuditor) ends(src, dst netip.AddrPort, transport string) sipEnd {
	e := sipEnd{src: src, dst: dst, transport: transport, ps: in.rs.Peer(src.Addr()), pd: in.rs.Peer(dst.Addr())}
	e.fromTwilio = isSignalling(e.ps.Kind)
	e.toTwilio = isSignalling(e.pd.Kind)
	return e
}

// sipDatagram handles a UDP datagram on a SIP port. It returns false when the datagram
// could not be judged because the snap length cut it before it could be parsed.
func (in *inputAuditor) sipDatagram(f *capture.Frame, b []byte, transport string, pr *Prepared) bool {
	src := netip.AddrPortFrom(f.Src, f.SrcPort)
	dst := netip.AddrPortFrom(f.Dst, f.DstPort)
	if pr != nil && pr.msg != nil {
		return in.judgeSIP(pr.msg, b, src, dst, transport, f.Cut)
	}
	return in.sipMessage(b, src, dst, transport, f.Cut)
}

// tcpSIP adapts the input auditor to tcpstream.Handler.
type tcpSIP inputAuditor

// sipMessage parses and judges one SIP message. cut is true when the snap length removed
// part of it. It returns false when a cut message could not be parsed at all.
func (in *inputAuditor) sipMessage(b []byte, src, dst netip.AddrPort, transport string, cut bool) bool {
	ps := &in.msg
	ps.parseMessage(b) // its SDP, if judged, is parsed then
	return in.judgeSIP(ps, b, src, dst, transport, cut)
}

// judgeSIP is sipMessage for the message b parsed into ps.
func (in *inputAuditor) judgeSIP(ps *PreparedSIP, b []byte, src, dst netip.AddrPort, transport string, cut bool) bool {
	m, err := &ps.Message, ps.err
	end := in.ends(src, dst, transport)
	if cut {
		in.finding(nil, ruleset.RuleCaptureTruncated, in.at(src, dst, transport),
			"a SIP packet was cut by the capture's snap length; what was cut could not be judged",
			fmt.Sprintf("%d of %d bytes captured", len(in.cur.Data), in.cur.Length), "snaplen")
	}
	if err != nil {
		if errors.Is(err, sip.ErrKeepAlive) {
			return true
		}
		if cut {
			return false // not malformed: cut short by the capture, and reported as such
		}
		in.malformed(end, b, err)
		return true
	}
	if in.holdOrphan(m, b, src, dst, transport) {
		return true // judged when its INVITE comes, or when it has waited long enough
	}
	in.res.SIPMessages++

	_, existed := in.calls[string(m.CallID())]
	c := in.callFor(m, &end)
	in.judgeSignalling(c, m, &end)
	in.judgeURIs(c, m, &end)
	if c != nil {
		in.ladder(c, m, &end)
	}
	in.judgeSDP(c, ps, &end)
	if c != nil && !existed && in.orphans != nil {
		in.replayOrphans(c.CallID)
	}
	return true
}

// malformed reports data on a SIP port that is not SIP.
func (in *inputAuditor) malformed(e sipEnd, b []byte, err error) {
	ev := printable(b, 60)
	in.finding(nil, ruleset.RuleSIPMalformed, in.at(e.src, e.dst, e.transport),
		"data on a SIP port is not a parseable SIP message: "+err.Error(), ev,
		e.src.Addr().String()+">"+e.dst.String())
}

// printable returns up to n bytes of b with non-printable bytes replaced by '.'.
func printable(b []byte, n int) string {
	if len(b) > n {
		b = b[:n]
	}
	out := make([]byte, len(b))
	for i, c := range b {
		if c < 0x20 || c > 0x7e {
			c = '.'
		}
		out[i] = c
	}
	return string(out)
}

// callFor finds or creates the call of message m. A call exists once an INVITE of its
// Call-ID was seen; messages of other Call-IDs are judged outside calls.
func (in *inputAuditor) callFor(m *sip.Message, e *sipEnd) *CallState {
	id := m.CallID()
	if len(id) == 0 {
		return nil
	}
	c := in.calls[string(id)]
	if c == nil {
		if !m.IsRequest() || !bytes.Equal(m.Method(), []byte("INVITE")) {
			return nil
		}
		if len(in.calls) >= in.a.cfg.maxActiveCalls() {
			in.evictOldestCall()
		}
		c = &CallState{Call: Call{CallID: string(id), Input: in.name, FirstPacket: in.cur.Number,
			Direction: "unknown", Path: PathUnknown}, start: in.cur.Time}
		c.Start = formatTime(in.cur.Time)
		in.calls[c.CallID] = c
		in.active = append(in.active, c)
	}
	c.SIPMessages++
	c.end = in.cur.Time
	c.lastActive = in.cur.Time
	// Path bookkeeping.
	switch {
	case e.ps.Kind == ruleset.PeerPublic || e.pd.Kind == ruleset.PeerPublic:
		c.usedPublic = true
	case e.ps.Kind == ruleset.PeerInterconnect || e.pd.Kind == ruleset.PeerInterconnect:
		c.usedIX = true
	default:
		c.usedOther = true
	}
	if tp, peer, ok := e.twilioPeer(); ok {
		// The gateway shown for the call: a public peer wins, since it is the leak.
		if !c.twilio.IsValid() || (peer.Kind == ruleset.PeerPublic && c.twilioKind != ruleset.PeerPublic) {
			c.twilio = tp.Addr()
			c.twilioKind = peer.Kind
			c.Gateway = tp.Addr().String()
			if peer.Edge != nil {
				c.Edge = peer.Edge.Name
			}
		}
	}
	if m.IsRequest() && bytes.Equal(m.Method(), []byte("INVITE")) && !c.hasInvite {
		c.hasInvite = true
		c.Transport = e.transport
		c.RequestURI = string(m.RawRequestURI())
		c.From = string(m.From().AddrSpec)
		c.To = string(m.To().AddrSpec)
		switch {
		case e.toTwilio:
			c.Direction = DirTermination
			c.sbc = e.src.Addr()
		case e.fromTwilio:
			c.Direction = DirOrigination
			c.sbc = e.dst.Addr()
		case in.rs.Host(requestHost(m)).Kind != ruleset.HostNotTwilio:
			c.Direction = DirTermination
			c.sbc = e.src.Addr()
		}
		if c.sbc.IsValid() {
			c.SBC = c.sbc.String()
		}
	}
	if !m.IsRequest() {
		method := m.CSeq().Method
		code := m.StatusCode()
		if bytes.Equal(method, []byte("INVITE")) && code >= 200 && !c.answered {
			c.FinalStatus = code
			if code < 300 {
				c.answered = true
				c.doneAt = time.Time{}
			} else {
				c.doneAt = in.cur.Time
			}
		}
		if bytes.Equal(method, []byte("BYE")) && code >= 200 {
			c.doneAt = in.cur.Time
		}
	}
	return c
}

// ladder keeps the message for the call's ladder diagram.
func (in *inputAuditor) ladder(c *CallState, m *sip.Message, e *sipEnd) {
	if len(c.ladder) >= in.a.cfg.MaxLadder {
		return
	}
	le := ladderEntry{
		packet:    in.cur.Number,
		time:      in.cur.Time,
		src:       e.src,
		dst:       e.dst,
		transport: e.transport,
		sdp:       len(m.SDP()) > 0,
	}
	if m.IsRequest() {
		le.method = token(m.Method())
	} else {
		le.status = m.StatusCode()
		le.reason = token(m.Reason())
	}
	if cs := m.CSeq(); len(cs.Method) > 0 {
		le.cseq, le.cseqMethod = cs.Num, token(cs.Method)
	}
	if c.ladder == nil {
		c.ladder = make([]ladderEntry, 0, 8) // INVITE to the BYE's answer, with a provisional
	}
	c.ladder = append(c.ladder, le)
}

// ladderEntry is a SIP message of a call's ladder as the analysis keeps it: the call is
// listed with its ladder only when it has a finding (or with --all-calls), so the
// report's strings (Message) are made only then (messages).
type ladderEntry struct {
	packet     int
	time       time.Time
	src, dst   netip.AddrPort
	transport  string
	method     string // a request's method, "" for a response
	status     int    // a response's status code
	reason     string // a response's reason phrase
	cseq       uint32
	cseqMethod string // "" when the message has no CSeq
	sdp        bool
}

// messages returns the ladder in its report form, in the order the messages were judged.
func (c *CallState) messages() []Message {
	if len(c.ladder) == 0 {
		return nil
	}
	out := make([]Message, len(c.ladder))
	for i := range c.ladder {
		le := &c.ladder[i]
		msg := &out[i]
		*msg = Message{
			Packet:    le.packet,
			Time:      formatTime(le.time),
			Src:       le.src.String(),
			Dst:       le.dst.String(),
			Transport: le.transport,
			SDP:       le.sdp,
		}
		if le.method != "" {
			msg.Label = le.method
		} else {
			msg.Label = strconv.Itoa(le.status)
			if le.reason != "" {
				msg.Label += " " + le.reason
			}
		}
		if le.cseqMethod != "" {
			msg.CSeq = strconv.FormatUint(uint64(le.cseq), 10) + " " + le.cseqMethod
		}
	}
	return out
}

// token returns b as a string, without allocating for the methods and reason phrases
// nearly every ladder is made of.
func token(b []byte) string {
	switch string(b) {
	case "INVITE":
		return "INVITE"
	case "ACK":
		return "ACK"
	case "BYE":
		return "BYE"
	case "CANCEL":
		return "CANCEL"
	case "OPTIONS":
		return "OPTIONS"
	case "UPDATE":
		return "UPDATE"
	case "PRACK":
		return "PRACK"
	case "INFO":
		return "INFO"
	case "OK":
		return "OK"
	case "Trying":
		return "Trying"
	case "Ringing":
		return "Ringing"
	case "Session Progress":
		return "Session Progress"
	}
	return string(b)
}

// Call lifecycle limits, in packet time.
const (
	// callLinger is how long an ended dialog is kept for late retransmissions and media
	// (RFC 3261 Timer J and H are 32 s).
	callLinger = 32 * time.Second
	// callIdle ends a dialog that has had no SIP message and no media for this long.
	callIdle = 10 * time.Minute
	// DefaultMaxActiveCalls is how many dialogs are followed at once; a new INVITE beyond
	// it ends the oldest (counted as the "evicted-calls" evidence gap).
	DefaultMaxActiveCalls = 50000
	// DefaultMaxListedCalls is how many calls the report lists one by one; beyond it only
	// calls with findings are listed, and Summary.CallsNotListed counts the rest (they are
	// still in every count).
	DefaultMaxListedCalls = 100000
)

func (c Config) maxActiveCalls() int {
	if c.MaxActiveCalls > 0 {
		return c.MaxActiveCalls
	}
	return DefaultMaxActiveCalls
}

func (c Config) maxListedCalls() int {
	if c.MaxListedCalls > 0 {
		return c.MaxListedCalls
	}
	return DefaultMaxListedCalls
}

// expireCalls ends the dialogs that are over or idle.
func (in *inputAuditor) expireCalls() {
	kept := in.active[:0]
	for _, c := range in.active {
		if c.ended {
			continue
		}
		if (!c.doneAt.IsZero() && in.now.Sub(c.doneAt) > callLinger) || in.now.Sub(c.lastActive) > callIdle {
			in.finalize(c)
			continue
		}
		kept = append(kept, c)
	}
	clear(in.active[len(kept):])
	in.active = kept
}

// evictOldestCall ends the oldest dialog still followed, to make room.
func (in *inputAuditor) evictOldestCall() {
	for len(in.active) > 0 {
		c := in.active[0]
		in.active[0] = nil
		in.active = in.active[1:]
		if !c.ended {
			in.res.Gaps[gapCallsEvicted]++
			in.finalize(c)
			return
		}
	}
}

// finalize ends a dialog: it applies the rules that need the whole call, decides its
// path, frees what only a live dialog needs, and hands the call to the result.
func (in *inputAuditor) finalize(c *CallState) {
	c.ended = true
	delete(in.calls, c.CallID)
	changed := in.changedEPs[:0]
	for _, ep := range c.endpoints {
		if r, ok := in.media[ep]; ok && r.call == c {
			delete(in.media, ep)
			changed = append(changed, ep)
		}
	}
	// The call's flows leave the flow cache first: an endpoint that only they used
	// changes no cached attribution then, and the flows of every other call keep theirs
	// (mediaChanged would otherwise have them all resolved again at every call's end).
	in.forgetFlows(c)
	for _, ep := range changed {
		in.mediaChanged(ep)
	}
	in.changedEPs = changed[:0]
	in.judgeOneWay(c)
	in.judgeUnannounced(c)
	c.Path = pathOf(c)
	if !c.end.IsZero() {
		c.End = formatTime(c.end)
	}
	c.Rules = sortedRules(c.rules)
	if c.Findings > 0 || in.a.cfg.AllLadders {
		c.Messages = c.messages()
	}
	c.ladder = nil
	// Messages held until their INVITE came join the ladder in capture order.
	sort.SliceStable(c.Messages, func(i, j int) bool { return c.Messages[i].Packet < c.Messages[j].Packet })
	in.res.countCall(c, in.a.cfg.maxListedCalls())
	// The call stays listed in the result: what only a live dialog needs goes. The media
	// flows kept for media-unannounced were two fifths of the memory a listed call held.
	c.rules, c.seen, c.listed, c.rtpMaps, c.endpoints, c.mediaFlows = nil, nil, nil, nil, nil, nil
}

// pathOf is the path verdict on a call: public when any of its SIP was exchanged with a
// Twilio public address, interconnect when the rest was with Interconnect gateways (legs
// of the same Call-ID with non-Twilio hosts — the SBC's own side, when a proxy keeps the
// Call-ID — do not make its Twilio path unknown), unknown when no Twilio gateway took part.
func pathOf(c *CallState) Path {
	switch {
	case c.usedPublic:
		return PathPublic
	case c.usedIX:
		return PathInterconnect
	}
	return PathUnknown
}

// sortedRules lists the rules of a set in order.
func sortedRules(set map[string]bool) []string {
	var out []string
	for r := range set {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

// finishCalls ends every dialog still followed at the end of the input, and orders the
// result's calls by their first packet.
func (in *inputAuditor) finishCalls() {
	for _, c := range in.active {
		if !c.ended {
			in.finalize(c)
		}
	}
	in.active = nil
	sort.SliceStable(in.res.Calls, func(i, j int) bool { return in.res.Calls[i].FirstPacket < in.res.Calls[j].FirstPacket })
}

// countCall adds a finished call to the result, listing it while there is room (and
// always when it has findings).
func (r *InputResult) countCall(c *CallState, maxListed int) {
	r.CallsByPath[c.Path]++
	if c.Edge != "" {
		r.CallsByEdge[c.Edge]++
	}
	// Calls with findings are listed past the limit, up to twice it, so that a capture (or a
	// live run of days) where every call breaks a rule still has bounded memory.
	if (len(r.Calls) >= maxListed && c.Findings == 0) || len(r.Calls) >= 2*maxListed {
		r.CallsNotListed++
		return
	}
	r.Calls = append(r.Calls, c)
}

// requestHost returns the host of a request's Request-URI, or nil.
func requestHost(m *sip.Message) []byte {
	u, err := m.RequestURI()
	if err != nil {
		return nil
	}
	return u.Host
}

// eachURI calls fn with every URI of the message: Request-URI, To, From, Contact, Route,
// Record-Route and P-Asserted-Identity.
func eachURI(m *sip.Message, fn func(where string, u sip.URI)) {
	if m.IsRequest() {
		if u, err := m.RequestURI(); err == nil {
			fn("Request-URI", u)
		}
	}
	if na := m.To(); !na.IsZero() {
		fn("To", na.URI)
	}
	if na := m.From(); !na.IsZero() {
		fn("From", na.URI)
	}
	for _, na := range m.Contacts() {
		fn("Contact", na.URI)
	}
	for _, na := range m.Routes() {
		fn("Route", na.URI)
	}
	for _, na := range m.RecordRoutes() {
		fn("Record-Route", na.URI)
	}
}

// isSignalling reports whether a peer kind is a Twilio signalling address (an Interconnect
// gateway or a public signalling /30).
func isSignalling(k ruleset.PeerKind) bool {
	return k == ruleset.PeerInterconnect || k == ruleset.PeerPublic
}
