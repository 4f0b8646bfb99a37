package analyze

import (
	"strings"
	"unicode/utf8"

	"github.com/ixaudit/ixaudit/analyze/ruleset"
)

// ReportVersion is the version of the JSON report's shape.
const ReportVersion = 1

// Report merges the results of the inputs, in the order given, into one report. Calls
// that appear in several inputs (a call that spans rotated capture files) are merged by
// Call-ID: the first input's record is kept, counts are added, and the worst path wins.
// The verdict is not decided here: call Decide.
func (a *Auditor) Report(tool Tool, results []*InputResult) *Report {
	rs := a.cfg.Rules
	r := &Report{
		Version:  ReportVersion,
		Tool:     tool,
		Rules:    RulesInfo{Source: rs.Source(), SHA256: rs.SHA256(), Version: rs.Version(), Date: rs.FactsRead()},
		Inputs:   []Input{},
		Calls:    []Call{},
		Streams:  []Stream{},
		Findings: []Finding{},
	}
	s := &r.Summary
	s.CallsByPath = map[Path]int{PathInterconnect: 0, PathPublic: 0, PathUnknown: 0}
	s.CallsByEdge = map[string]int{}
	s.EvidenceGaps = map[string]int{}
	s.PacketUse = map[string]int{}
	// The lists are sized once: growing them by doubling would leave copies of every call
	// and stream behind as garbage, at the moment the heap is largest.
	var nCalls, nStreams, nFindings int
	for _, res := range results {
		if res != nil {
			nCalls, nStreams, nFindings = nCalls+len(res.Calls), nStreams+len(res.Streams), nFindings+len(res.Findings)
		}
	}
	r.Calls = make([]Call, 0, nCalls)
	r.Streams = make([]Stream, 0, nStreams)
	r.Findings = make([]Finding, 0, nFindings)
	order := map[string]int{}
	byID := make(map[string]int, nCalls)
	for _, res := range results {
		if res == nil {
			continue
		}
		for _, inp := range res.Inputs {
			order[inp.Name] = len(order)
			r.Inputs = append(r.Inputs, inp)
			s.Packets += inp.Packets
		}
		s.SIPMessages += res.SIPMessages
		for k, v := range res.PacketUse {
			s.PacketUse[k] += v
		}
		for k, v := range res.Gaps {
			s.EvidenceGaps[k] += v
		}
		for k, v := range res.CallsByPath {
			s.CallsByPath[k] += v
		}
		for k, v := range res.CallsByEdge {
			s.CallsByEdge[k] += v
		}
		s.CallsNotListed += res.CallsNotListed
		s.StreamsNotListed += res.StreamsNotListed
		s.RTPStreams += res.StreamsSeen
		for k, v := range res.SuppressedBySeverity {
			if s.FindingsNotListedBySeverity == nil {
				s.FindingsNotListedBySeverity = map[Severity]int{}
			}
			s.FindingsNotListedBySeverity[k] += v
		}
		for k, v := range res.Suppressed {
			if s.FindingsNotListed == nil {
				s.FindingsNotListed = map[string]int{}
			}
			s.FindingsNotListed[k] += v
		}
		for _, c := range res.Calls {
			if j, ok := byID[c.CallID]; ok {
				// The same dialog seen again (a later input, or a re-INVITE after it
				// idled out): one call, counted once.
				s.CallsByPath[c.Path]--
				if c.Edge != "" {
					s.CallsByEdge[c.Edge]--
				}
				old := r.Calls[j].Path
				if old != "" && r.Calls[j].Edge != "" {
					s.CallsByEdge[r.Calls[j].Edge]--
				}
				s.CallsByPath[old]--
				mergeCall(&r.Calls[j], &c.Call)
				s.CallsByPath[r.Calls[j].Path]++
				if r.Calls[j].Edge != "" {
					s.CallsByEdge[r.Calls[j].Edge]++
				}
				continue
			}
			byID[c.CallID] = len(r.Calls)
			r.Calls = append(r.Calls, c.Call)
		}
		r.Streams = append(r.Streams, res.Streams...)
		r.Findings = append(r.Findings, res.Findings...)
	}
	for k, v := range s.CallsByEdge {
		if v <= 0 {
			delete(s.CallsByEdge, k)
		}
	}
	s.Calls = len(r.Calls) + s.CallsNotListed
	validUTF8(r)
	sortFindings(r.Findings, order)
	return r
}

// validUTF8 replaces each byte of invalid UTF-8 in the report's strings (bytes from the
// wire: Call-IDs, URIs, reason phrases, evidence) with U+FFFD, as encoding/json writes it,
// so that the report equals its own JSON read back, every format shows what a replay
// shows, and a finding's key matches the same finding in a --baseline report.
func validUTF8(r *Report) {
	fix := func(ss ...*string) {
		for _, s := range ss {
			if utf8.ValidString(*s) {
				continue
			}
			var b strings.Builder
			for i := 0; i < len(*s); {
				c, n := utf8.DecodeRuneInString((*s)[i:])
				if c == utf8.RuneError && n == 1 {
					b.WriteRune(utf8.RuneError)
				} else {
					b.WriteString((*s)[i : i+n])
				}
				i += n
			}
			*s = b.String()
		}
	}
	for i := range r.Inputs {
		fix(&r.Inputs[i].Name, &r.Inputs[i].Error)
	}
	for i := range r.Calls {
		c := &r.Calls[i]
		fix(&c.CallID, &c.Edge, &c.Gateway, &c.Input, &c.From, &c.To, &c.RequestURI, &c.SBC, &c.Transport)
		for j := range c.Messages {
			m := &c.Messages[j]
			fix(&m.Label, &m.CSeq, &m.Transport)
		}
	}
	for i := range r.Streams {
		st := &r.Streams[i]
		fix(&st.CallID, &st.Input, &st.Codec)
	}
	for i := range r.Findings {
		f := &r.Findings[i]
		fix(&f.CallID, &f.Input, &f.Message, &f.Evidence, &f.Key)
	}
}

// mergeCall adds a later input's record of a call to the first one.
func mergeCall(dst, src *Call) {
	dst.SIPMessages += src.SIPMessages
	dst.Findings += src.Findings
	dst.MediaStreams += src.MediaStreams
	if pathRank(src.Path) > pathRank(dst.Path) {
		dst.Path, dst.Edge, dst.Gateway = src.Path, src.Edge, src.Gateway
	}
	if src.FinalStatus != 0 && (dst.FinalStatus == 0 || dst.FinalStatus >= 300) {
		dst.FinalStatus = src.FinalStatus
	}
	if src.End > dst.End {
		dst.End = src.End
	}
	seen := map[string]bool{}
	for _, r := range dst.Rules {
		seen[r] = true
	}
	for _, r := range src.Rules {
		if !seen[r] {
			dst.Rules = append(dst.Rules, r)
		}
	}
	dst.Messages = append(dst.Messages, src.Messages...)
}

// pathRank orders paths as the path rule combines them: any public signalling makes a
// call public; otherwise any Interconnect signalling makes it interconnect.
func pathRank(p Path) int {
	switch p {
	case PathPublic:
		return 2
	case PathInterconnect:
		return 1
	}
	return 0
}

// RuleIDs lists the rule catalogue of a rule set, in contract order.
func RuleIDs(rs *ruleset.RuleSet) []string {
	var ids []string
	for _, r := range rs.Rules() {
		ids = append(ids, r.ID)
	}
	return ids
}
