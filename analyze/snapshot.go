package analyze

import (
	"maps"
	"sort"

	"github.com/ixaudit/ixaudit/capture"
)

// usePending counts, in a snapshot, packets still held for reassembly.
const usePending = "pending"

// snapshot builds a result of what has been judged so far without changing any state.
func (in *inputAuditor) snapshot(linkTypes []capture.LinkType, drops uint64) *InputResult {
	r := &InputResult{
		Inputs:           append([]Input(nil), in.res.Inputs...),
		SIPMessages:      in.res.SIPMessages,
		PacketUse:        maps.Clone(in.res.PacketUse),
		Gaps:             maps.Clone(in.res.Gaps),
		CallsByPath:      maps.Clone(in.res.CallsByPath),
		CallsByEdge:      maps.Clone(in.res.CallsByEdge),
		CallsNotListed:   in.res.CallsNotListed,
		Suppressed:       maps.Clone(in.res.Suppressed),
		StreamsSeen:      in.res.StreamsSeen,
		StreamsNotListed: in.res.StreamsNotListed,
		Findings:         append([]Finding(nil), in.res.Findings...),
		Calls:            append([]*CallState(nil), in.res.Calls...),
	}
	if n := len(r.Inputs); n > 0 {
		r.Inputs[n-1].LinkTypes = nil
		for _, lt := range linkTypes {
			r.Inputs[n-1].LinkTypes = append(r.Inputs[n-1].LinkTypes, lt.String())
		}
	}
	if drops > 0 {
		r.Gaps[gapKernelDrops] += int(drops)
	}
	ds := in.defrag.Stats()
	r.PacketUse[useFragment] += ds.FragmentsUsed + ds.FragmentsDuplicate
	addGap(r.Gaps, capture.GapFragmentsIncomplete.String(), ds.FragmentsIncomplete)
	addGap(r.Gaps, capture.GapFragmentsEvicted.String(), ds.FragmentsEvicted)
	addGap(r.Gaps, capture.GapMalformed.String(), ds.FragmentsDropped)
	ts := in.tcp.Stats()
	r.PacketUse[useSIP] += ts.Used + ts.Retransmitted
	r.PacketUse[useNotSIP] += ts.Unframed
	addGap(r.Gaps, capture.GapTCPGap.String(), ts.Gap)
	addGap(r.Gaps, capture.GapTCPEvicted.String(), ts.Evicted)
	r.PacketUse[usePending] += ds.Pending + ts.Pending()
	r.PacketUse[useRTP] += in.rtpPackets
	for k, v := range r.PacketUse {
		if v == 0 {
			delete(r.PacketUse, k)
		}
	}
	// Calls in progress, as they stand.
	for _, c := range in.active {
		if c.ended {
			continue
		}
		cp := *c
		cp.Path = pathOf(c)
		if !c.end.IsZero() {
			cp.End = formatTime(c.end)
		}
		cp.Rules = sortedRules(c.rules)
		cp.Messages = c.messages()
		cp.ladder = nil
		r.CallsByPath[cp.Path]++
		if cp.Edge != "" {
			r.CallsByEdge[cp.Edge]++
		}
		r.Calls = append(r.Calls, &cp)
	}
	sort.SliceStable(r.Calls, func(i, j int) bool { return r.Calls[i].FirstPacket < r.Calls[j].FirstPacket })
	// Streams: those let go, and those held now.
	r.Streams = append([]Stream(nil), in.evicted...)
	for _, st := range in.tracker.Streams() {
		sr := streamRecord{stats: st.Stats(), call: in.streamCall[st], input: in.streamInput[st]}
		r.Streams = append(r.Streams, streamOf(&sr))
		r.StreamsSeen++
	}
	sortStreams(r.Streams)
	return r
}
