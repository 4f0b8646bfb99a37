package analyze

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strconv"

	"github.com/ixaudit/ixaudit/analyze/media"
	"github.com/ixaudit/ixaudit/analyze/ruleset"
	"github.com/ixaudit/ixaudit/capture"
)

// mediaSide says which end of a call announced a media endpoint.
type mediaSide uint8

const (
	sideUnknown mediaSide = iota // SDP between two non-Twilio hosts
	sideTwilio                   // SDP sent by a Twilio gateway
	sideSBC                      // SDP sent to a Twilio gateway
)

// mediaRef ties an announced media endpoint to its call.
type mediaRef struct {
	call *CallState
	side mediaSide
	// notRTP is set for media sections whose transport is not RTP (udptl: T.38 fax), whose
	// packets must not be measured as RTP streams.
	notRTP bool
}

// flowInfo is the cached attribution of a media flow (one direction, src → dst).
//
// What an RTP packet reads of it comes first, in the first 64 bytes (TestFlowInfoLayout),
// the key of an IPv4 flow included as 12 bytes (fastFlow): a packet touches one cache
// line of its flow.
type flowInfo struct {
	// An IPv4 flow's addresses and ports, when v4: source address in the high 32 bits of
	// addrs4, source port in the high 16 of ports4.
	addrs4 uint64
	ports4 uint32
	gen    uint32 // in.mediaGen when the attribution was resolved
	call   *CallState
	stream *media.Stream // the last stream added through this flow
	v4     bool
	// twilioIsSrc / twilioIsDst say which end is the Twilio side, when known.
	twilioIsSrc, twilioIsDst bool
	judged                   bool
	notRTP                   bool // an end is announced for T.38 (udptl), not RTP
	key                      flowPair
	_                        [24]byte // to 128 bytes, a size the allocator aligns on 64
}

// newFlowInfo returns the flowInfo of a new flow.
func newFlowInfo(key flowPair) *flowInfo {
	fi := &flowInfo{key: key}
	if s, d := key.src.Addr(), key.dst.Addr(); s.Is4() && d.Is4() {
		fi.v4 = true
		fi.addrs4, fi.ports4 = flowKey4(s.As4(), d.As4(), key.src.Port(), key.dst.Port())
	}
	return fi
}

// flowKey4 returns flowInfo's addrs4 and ports4 for an IPv4 flow.
func flowKey4(src, dst [4]byte, srcPort, dstPort uint16) (addrs uint64, ports uint32) {
	return uint64(binary.BigEndian.Uint32(src[:]))<<32 | uint64(binary.BigEndian.Uint32(dst[:])),
		uint32(srcPort)<<16 | uint32(dstPort)
}

// fastFlow is flow for a fast packet (Prepared.Fast), from src to dst: it finds a flow
// whose attribution is current by the 12 bytes of its IPv4 key, and asks flow otherwise.
func (in *inputAuditor) fastFlow(pr *Prepared, src, dst netip.AddrPort) *flowInfo {
	fi := in.flowRecent[flowSlot(pr.srcPort, pr.dstPort)]
	if fi != nil && fi.v4 && fi.gen == in.mediaGen {
		if addrs, ports := flowKey4(pr.src, pr.dst, pr.srcPort, pr.dstPort); fi.addrs4 == addrs && fi.ports4 == ports {
			return fi
		}
	}
	return in.flow(src, dst)
}

// maxFlowCache bounds the media flow cache; it is cleared when full.
const maxFlowCache = 1 << 16

// flowSlots is the size of inputAuditor.flowRecent, the direct-mapped cache in front of
// flowCall (a power of two).
const (
	flowSlotBits = 12
	flowSlots    = 1 << flowSlotBits
)

// flowSlot returns the index in inputAuditor.flowRecent of the flows between these ports.
func flowSlot(src, dst uint16) uint32 {
	return (uint32(src)<<16 | uint32(dst)) * 0x9e3779b1 >> (32 - flowSlotBits)
}

// judgeSDP applies the SDP rules and records the media endpoints the SDP announces.
// ps is the message, with its SDP body, which ps parses unless it has already.
func (in *inputAuditor) judgeSDP(c *CallState, ps *PreparedSIP, e *sipEnd) {
	if !ps.parseSDP() || ps.sdpErr != nil {
		return
	}
	s := &ps.sdp
	side := sideUnknown
	switch {
	case e.fromTwilio:
		side = sideTwilio
	case e.toTwilio:
		side = sideSBC
	}
	at := in.at(e.src, e.dst, e.transport)
	for i := range s.Media {
		md := &s.Media[i]
		addr := md.Addr(s)
		port := md.Port
		if port == 0 {
			continue // a declined stream
		}
		if side == sideTwilio {
			if addr.IsValid() && !addr.IsUnspecified() && !in.rs.InMediaRange(addr) {
				in.finding(c, ruleset.RuleSDPAddressOutsideRange, at,
					fmt.Sprintf("Twilio's SDP announces media address %s, outside Twilio's media range", addr),
					"c=IN IP4 "+addr.String(), addr.String())
			}
			if !in.rs.MediaPortOK(port) {
				in.finding(c, ruleset.RuleSDPPortOutsideRange, at,
					fmt.Sprintf("Twilio's SDP announces media port %d, outside Twilio's media ports", port),
					fmt.Sprintf("m=%s %d", md.Type, port), strconv.Itoa(int(port)))
			}
		}
		if in.a.cfg.RequireSecure && side != sideUnknown && c != nil && bytes.EqualFold(md.Type, []byte("audio")) {
			in.judgeCrypto(c, at, md)
		}
		if c == nil || !addr.IsValid() || addr.IsUnspecified() {
			continue
		}
		ref := mediaRef{call: c, side: side, notRTP: bytes.EqualFold(md.Proto, []byte("udptl"))}
		in.announce(c, netip.AddrPortFrom(addr, port), ref)
		if !md.RTCPMux {
			rtcp := netip.AddrPortFrom(addr, port+1)
			if md.RTCP.Present && md.RTCP.Port != 0 {
				rtcp = netip.AddrPortFrom(addr, md.RTCP.Port)
				if md.RTCP.Addr.IsValid() {
					rtcp = netip.AddrPortFrom(md.RTCP.Addr, md.RTCP.Port)
				}
			}
			in.announce(c, rtcp, ref)
		}
		c.MediaStreams++
		for _, rm := range md.RTPMaps {
			c.addRTPMap(rm.PayloadType, string(rm.Encoding), int(rm.ClockRate))
		}
	}
}

// judgeCrypto applies media-insecure to one media section.
func (in *inputAuditor) judgeCrypto(c *CallState, at findingAt, md *sdpMedia) {
	proto := string(md.Proto)
	if !bytes.Contains(bytes.ToUpper(md.Proto), []byte("SAVP")) {
		in.finding(c, ruleset.RuleMediaInsecure, at,
			"the SDP offers unencrypted RTP while the trunk requires Secure Trunking (SRTP)",
			"m=audio "+strconv.Itoa(int(md.Port))+" "+proto, "proto="+proto)
		return
	}
	for _, cr := range md.Crypto {
		if in.rs.SuiteAccepted(cr.Suite) {
			return
		}
	}
	in.finding(c, ruleset.RuleMediaInsecure, at,
		"the SDP has no a=crypto line with a suite Twilio accepts (AES_CM_128_HMAC_SHA1_80 or _32)",
		"m=audio "+strconv.Itoa(int(md.Port))+" "+proto+" without an accepted a=crypto", "no-crypto")
}

// mediaPacket judges a UDP datagram that is not SIP or DNS and returns its use.
func (in *inputAuditor) mediaPacket(f *capture.Frame, pr *Prepared) string {
	kind := pr.kind
	switch kind {
	case media.KindSTUN:
		return useSTUN
	case media.KindDTLS:
		return useDTLS
	case media.KindRTP, media.KindRTCP:
	default:
		return useOther
	}
	src := netip.AddrPortFrom(f.Src, f.SrcPort)
	dst := netip.AddrPortFrom(f.Dst, f.DstPort)
	return in.mediaFlowPacket(src, dst, f.Payload, pr)
}

// mediaFlowPacket is mediaPacket for an RTP or RTCP datagram from src to dst; payload is
// needed for RTCP only.
func (in *inputAuditor) mediaFlowPacket(src, dst netip.AddrPort, payload []byte, pr *Prepared) string {
	return in.mediaFlowPacketOf(in.flow(src, dst), src, dst, payload, pr)
}

// mediaFlowPacketOf is mediaFlowPacket, given the flow (flow or fastFlow).
func (in *inputAuditor) mediaFlowPacketOf(fi *flowInfo, src, dst netip.AddrPort, payload []byte, pr *Prepared) string {
	kind := pr.kind
	if fi.notRTP {
		return useT38 // the SDP moved these ports to T.38 fax (udptl): not an RTP stream
	}
	if fi.call == nil && !in.rs.InMediaRange(src.Addr()) && !in.rs.InMediaRange(dst.Addr()) {
		// RTP-looking UDP that no SDP announced and that does not touch Twilio's media
		// range: the RTP heuristic gives false positives, so it is not called media.
		return useOther
	}
	if !fi.judged && fi.call != nil {
		fi.judged = true
		in.judgeMediaFlow(fi, src, dst)
	}
	if kind == media.KindRTCP {
		in.tracker.AddRTCP(src, dst, payload, in.cur.Time, in.cur.Number, nil)
		return useRTCP
	}
	in.curFlow = fi
	s := in.tracker.AddRTPInfo(fi.stream, src, dst, &pr.rtp, in.cur.Time, in.cur.Number)
	if c := fi.call; c != nil {
		c.lastActive = in.cur.Time
		if s != fi.stream {
			// A stream first seen before its call's SDP is attributed once the SDP is.
			fi.stream = s
			if in.streamCall[s] == nil {
				in.streamCall[s] = c
			}
		}
		switch {
		case fi.twilioIsDst:
			c.rtpToTwilio++
		case fi.twilioIsSrc:
			c.rtpFromTwilio++
		}
	}
	return useRTP
}

// flow returns the cached attribution of a media flow, resolving it on first sight and
// again after SDP announced, or a call's end forgot, one of its ends (mediaChanged).
func (in *inputAuditor) flow(src, dst netip.AddrPort) *flowInfo {
	key := flowPair{src, dst}
	slot := &in.flowRecent[flowSlot(src.Port(), dst.Port())]
	fi := *slot
	ok := fi != nil && fi.key.same(key)
	if !ok {
		if fi, ok = in.flowCall[key]; ok {
			*slot = fi
		}
	}
	if ok && fi.gen == in.mediaGen {
		return fi
	}
	if !ok {
		if len(in.flowCall) >= maxFlowCache {
			clear(in.flowCall)
			clear(in.flowRecent[:])
			clear(in.flowEnds)
		}
		fi = newFlowInfo(key)
		in.flowCall[key] = fi
		*slot = fi
		in.flowEnds[src]++
		in.flowEnds[dst]++
	}
	fi.gen = in.mediaGen
	prev := fi.call
	fi.call, fi.twilioIsSrc, fi.twilioIsDst, fi.notRTP = nil, false, false, false
	defer func() {
		if fi.call != prev {
			fi.judged = false // the ports now belong to another call (port reuse)
			if c := fi.call; c != nil && len(c.flows) < maxFlowsPerCall {
				c.flows = append(c.flows, fi)
			}
		}
	}()
	rd, okd := in.media[dst]
	rs, oks := in.media[src]
	switch {
	case okd && oks && rd.call == rs.call:
		fi.notRTP = rd.notRTP || rs.notRTP
		fi.call = rd.call
		fi.twilioIsDst = rd.side == sideTwilio
		fi.twilioIsSrc = rs.side == sideTwilio
	case okd:
		fi.notRTP = rd.notRTP
		fi.call = rd.call
		fi.twilioIsDst = rd.side == sideTwilio
		fi.twilioIsSrc = rd.side == sideSBC
	case oks:
		fi.notRTP = rs.notRTP
		fi.call = rs.call
		fi.twilioIsSrc = rs.side == sideTwilio
		fi.twilioIsDst = rs.side == sideSBC
	}
	return fi
}

// maxFlowsPerCall bounds CallState.flows; flows past it stay cached after the call ends.
const maxFlowsPerCall = 64

// forgetFlows drops from the flow cache the flows attributed to c, which has just ended
// (finalize has forgotten its media endpoints), so that the cache holds the flows of the
// calls in progress rather than of every call of the capture. A flow is kept while one of
// its ends still names c in the media table. The
// next packet of a dropped flow resolves it afresh, exactly as the cache would have done,
// since an end of the flow changed (mediaChanged).
func (in *inputAuditor) forgetFlows(c *CallState) {
	for _, fi := range c.flows {
		if fi.call != c || in.flowCall[fi.key] != fi {
			continue // attributed to another call since, or no longer cached
		}
		if r, ok := in.media[fi.key.src]; ok && r.call == c {
			continue
		}
		if r, ok := in.media[fi.key.dst]; ok && r.call == c {
			continue
		}
		delete(in.flowCall, fi.key)
		if slot := &in.flowRecent[flowSlot(fi.key.src.Port(), fi.key.dst.Port())]; *slot == fi {
			*slot = nil
		}
		for _, ep := range [2]netip.AddrPort{fi.key.src, fi.key.dst} {
			if in.flowEnds[ep]--; in.flowEnds[ep] <= 0 {
				delete(in.flowEnds, ep)
			}
		}
	}
	c.flows = nil
}

// judgeMediaFlow applies the media-path rules to the first packet of a flow of a call.
func (in *inputAuditor) judgeMediaFlow(fi *flowInfo, src, dst netip.AddrPort) {
	c := fi.call
	at := in.at(src, dst, "udp")
	var tw, sbc netip.AddrPort
	switch {
	case fi.twilioIsSrc:
		tw, sbc = src, dst
	case fi.twilioIsDst:
		tw, sbc = dst, src
	default:
		return // not a Twilio call, or neither side known
	}
	// media-unannounced is decided when the call ends, against every SDP of the call:
	// with clocks of two capture interfaces apart, RTP can be captured before the SDP
	// that announces it.
	fl := flowSeen{src: src, dst: dst, at: at}
	if len(c.mediaFlows) < maxMediaFlowsPerCall {
		c.mediaFlows = append(c.mediaFlows, fl)
	} else {
		in.judgeFlowAnnounced(c, fl) // no room to wait: judged against the SDP seen so far
	}
	if !in.rs.InMediaRange(tw.Addr()) {
		in.finding(c, ruleset.RuleMediaAddressOutsideRange, at,
			fmt.Sprintf("media of the call flows to/from Twilio-side address %s, outside Twilio's media range", tw.Addr()),
			"Twilio-side media address "+tw.String(), tw.Addr().String())
	}
	if !in.rs.MediaPortOK(tw.Port()) {
		in.finding(c, ruleset.RuleMediaPortOutsideRange, at,
			fmt.Sprintf("media of the call uses Twilio-side port %d, outside Twilio's media ports", tw.Port()),
			"Twilio-side media port "+tw.String(), strconv.Itoa(int(tw.Port())))
	}
	if len(in.a.cfg.SBCNets) > 0 && !in.inSBCNets(sbc.Addr()) {
		in.finding(c, ruleset.RuleMediaOffInterconnect, at,
			fmt.Sprintf("media of the call uses SBC address %s, outside --sbc-net", sbc.Addr()),
			"SBC media address "+sbc.String(), sbc.Addr().String())
	}
}

// finishMedia turns the tracked streams into the result's streams and applies the
// per-call media rules that need the whole capture (media-one-way).
func (in *inputAuditor) finishMedia() {
	held := in.tracker.Streams()
	in.evicted = slices.Grow(in.evicted, max(0, min(len(held), in.a.cfg.maxListedStreams()-len(in.evicted))))
	for _, st := range held {
		in.keepStream(st)
	}
	sortStreams(in.evicted)
	in.res.Streams = in.evicted
}

// streamOf turns a stream record into the report's stream. Streams are turned into their
// report form as soon as they end, so that the measurements are not held twice.
func streamOf(sr *streamRecord) Stream {
	s := &sr.stats
	// The five strings are written into one, made once, and sliced: a stream's strings
	// live as long as each other (one allocation instead of five; streams held to the end
	// of a capture are all made at once, after its last packet).
	var buf [160]byte
	b := appendAddrPort(buf[:0], s.Src)
	src := len(b)
	b = appendAddrPort(b, s.Dst)
	dst := len(b)
	b = appendSSRC(b, s.SSRC)
	ssrc := len(b)
	b = appendTime(b, s.Start)
	start := len(b)
	b = appendTime(b, s.End)
	all := string(b)
	st := Stream{
		Src:          all[:src],
		Dst:          all[src:dst],
		SSRC:         all[dst:ssrc],
		Input:        sr.input,
		Packets:      s.Packets,
		Bytes:        s.Bytes,
		Lost:         s.Lost,
		Duplicates:   s.Duplicates,
		OutOfOrder:   s.OutOfOrder,
		JitterMeanMs: round3(s.MeanJitterMs),
		JitterMaxMs:  round3(s.MaxJitterMs),
		MaxDeltaMs:   round3(s.MaxDeltaMs),
		Codec:        s.Codec,
		MOS:          round2(s.MOS),
		FirstPacket:  s.FirstPacket,
		Start:        all[ssrc:start],
		End:          all[start:],
	}
	if len(s.PayloadTypes) > 0 {
		st.PayloadTypes = make([]int, len(s.PayloadTypes))
		for i, pt := range s.PayloadTypes {
			st.PayloadTypes[i] = int(pt)
		}
	}
	if sr.call != nil {
		st.CallID = sr.call.CallID
		st.Announced = true
	}
	if s.HasRemote {
		lost := s.Remote.CumLost
		st.RTCPLost = &lost
		if s.Remote.JitterMs > 0 {
			j := round3(s.Remote.JitterMs)
			st.RTCPJitterMs = &j
		}
	}
	return st
}

// appendAddrPort appends ap as its String method writes it.
func appendAddrPort(b []byte, ap netip.AddrPort) []byte {
	if !ap.Addr().IsValid() {
		return append(b, ap.String()...)
	}
	return ap.AppendTo(b)
}

// appendSSRC appends ssrc as fmt's "0x%08X" writes it.
func appendSSRC(b []byte, ssrc uint32) []byte {
	const digits = "0123456789ABCDEF"
	b = append(b, '0', 'x')
	for shift := 28; shift >= 0; shift -= 4 {
		b = append(b, digits[ssrc>>uint(shift)&0xf])
	}
	return b
}

// sortStreams puts streams in packet order.
func sortStreams(out []Stream) {
	sort.SliceStable(out, func(i, j int) bool {
		a, b := &out[i], &out[j]
		if a.FirstPacket != b.FirstPacket {
			return a.FirstPacket < b.FirstPacket
		}
		return a.SSRC < b.SSRC
	})
}

// judgeOneWay applies media-one-way to a call that has ended.
func (in *inputAuditor) judgeOneWay(c *CallState) {
	if !c.answered || !c.twilio.IsValid() {
		return
	}
	to, from := c.rtpToTwilio, c.rtpFromTwilio
	if (to == 0) == (from == 0) {
		return
	}
	dir := "from the SBC to Twilio"
	if to == 0 {
		dir = "from Twilio to the SBC"
	}
	in.finding(c, ruleset.RuleMediaOneWay, findingAt{packet: c.FirstPacket, time: c.start},
		"the call was answered but its media flowed "+dir+" only",
		fmt.Sprintf("%d RTP packets to Twilio, %d from Twilio", to, from), "one-way")
}

func round3(f float64) float64 { return float64(int64(f*1000+0.5)) / 1000 }
func round2(f float64) float64 { return float64(int64(f*100+0.5)) / 100 }

// streamRecord is what is kept of a stream once it ends (or the input does).
type streamRecord struct {
	stats media.Stats
	call  *CallState
	input string // the input of its first packet
}

func (in *inputAuditor) streamRecord(st *media.Stream) streamRecord {
	sr := streamRecord{stats: st.Stats(), call: in.streamCall[st], input: in.streamInput[st]}
	delete(in.streamCall, st)
	delete(in.streamInput, st)
	return sr
}

// keepStream records a stream that the tracker lets go (or holds at the end), while the
// list has room.
func (in *inputAuditor) keepStream(st *media.Stream) {
	in.res.StreamsSeen++
	if len(in.evicted) >= in.a.cfg.maxListedStreams() {
		in.res.StreamsNotListed++
		delete(in.streamCall, st)
		delete(in.streamInput, st)
		return
	}
	sr := in.streamRecord(st)
	in.evicted = append(in.evicted, streamOf(&sr))
}

// DefaultMaxListedStreams bounds the streams one input lists; the rest are counted
// (Summary.StreamsNotListed).
const DefaultMaxListedStreams = 100000

func (c Config) maxListedStreams() int {
	if c.MaxListedStreams > 0 {
		return c.MaxListedStreams
	}
	return DefaultMaxListedStreams
}

// announce records a media endpoint that the call's SDP announced. Each endpoint is listed
// once, however many SDPs (session refreshes, holds) announce it again. Past
// maxEndpointsPerCall distinct endpoints, a new one is not announced at all: its media is
// then not the call's, rather than the call's yet absent from the list that
// media-unannounced and the call's end go by.
func (in *inputAuditor) announce(c *CallState, ep netip.AddrPort, ref mediaRef) {
	if !slices.Contains(c.endpoints, ep) {
		if len(c.endpoints) >= maxEndpointsPerCall {
			return
		}
		c.endpoints = append(c.endpoints, ep)
	}
	in.media[ep] = ref
	in.mediaChanged(ep)
}

// mediaChanged is called when the media endpoint ep is announced or forgotten: the cached
// attributions of flows from or to ep are resolved again (all of them, by bumping
// mediaGen). An endpoint that no cached flow has used changes no attribution, which spares
// the flows of other calls a new resolution at every SDP.
func (in *inputAuditor) mediaChanged(ep netip.AddrPort) {
	if in.flowEnds[ep] > 0 {
		in.mediaGen++
	}
}

// maxEndpointsPerCall bounds the distinct media endpoints one call may announce (RTP and
// RTCP count one each): far above what re-INVITEs, forks and holds give a real call.
const maxEndpointsPerCall = 256

// newStream is called by the tracker for each new stream: it gives the stream the codecs
// the call's SDP mapped.
func (in *inputAuditor) newStream(st *media.Stream) {
	in.streamInput[st] = in.name
	if in.curFlow == nil || in.curFlow.call == nil {
		return
	}
	in.streamCall[st] = in.curFlow.call
	for _, rm := range in.curFlow.call.rtpMaps {
		st.SetRTPMap(rm.pt, rm.encoding, rm.hz)
	}
}

// rtpMap is an a=rtpmap of a call's SDP.
type rtpMap struct {
	pt       uint8
	encoding string
	hz       int
}

// maxRTPMaps bounds the rtpmaps kept per call.
const maxRTPMaps = 16

func (c *CallState) addRTPMap(pt uint8, encoding string, hz int) {
	for i := range c.rtpMaps {
		if c.rtpMaps[i].pt == pt {
			c.rtpMaps[i] = rtpMap{pt, encoding, hz}
			return
		}
	}
	if len(c.rtpMaps) < maxRTPMaps {
		c.rtpMaps = append(c.rtpMaps, rtpMap{pt, encoding, hz})
	}
}

// flowSeen is a media flow of a call, kept to judge media-unannounced when the call ends.
type flowSeen struct {
	src, dst netip.AddrPort
	at       findingAt // its first packet
}

// maxMediaFlowsPerCall bounds the media flows kept per call for media-unannounced.
const maxMediaFlowsPerCall = 32

// judgeUnannounced applies media-unannounced to an ended call: RTP of the call that flowed
// from or to an address and port that no SDP of the call announced.
func (in *inputAuditor) judgeUnannounced(c *CallState) {
	for _, fl := range c.mediaFlows {
		in.judgeFlowAnnounced(c, fl)
	}
}

// judgeFlowAnnounced applies media-unannounced to one flow of c.
func (in *inputAuditor) judgeFlowAnnounced(c *CallState, fl flowSeen) {
	for _, ep := range [2]netip.AddrPort{fl.src, fl.dst} {
		if slices.Contains(c.endpoints, ep) {
			continue
		}
		in.finding(c, ruleset.RuleMediaUnannounced, fl.at,
			fmt.Sprintf("RTP of the call flows from/to %s, which no SDP of the call announced", ep),
			"unannounced media endpoint "+ep.String(), ep.String())
	}
}
