package main

import (
	"bytes"
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// severity of each rule, as in the contract (/work/shared/spec/PRODUCT.md).
var severity = map[string]string{
	"signalling-public-path":      "error",
	"signalling-unknown-peer":     "error",
	"signalling-port":             "error",
	"signalling-off-interconnect": "error",
	"signalling-insecure":         "error",
	"uri-public-host":             "error",
	"uri-legacy-host":             "warning",
	"uri-host-ip":                 "warning",
	"uri-region-mismatch":         "warning",
	"uri-edge-public":             "error",
	"uri-edge-unknown":            "error",
	"uri-edge-mismatch":           "warning",
	"uri-tnx-deprecated":          "warning",
	"uri-region-param":            "warning",
	"sdp-address-outside-range":   "error",
	"sdp-port-outside-range":      "error",
	"media-address-outside-range": "error",
	"media-port-outside-range":    "error",
	"media-off-interconnect":      "error",
	"media-insecure":              "error",
	"media-one-way":               "warning",
	"media-unannounced":           "warning",
	"capture-truncated":           "warning",
	"sip-malformed":               "warning",
	"evidence-gap":                "info",
}

// Manifest is MANIFEST.json: what each generated capture holds and what a correct
// `ixaudit audit` reports for it.
type Manifest struct {
	Generator string   `json:"generator"`
	BaseTime  string   `json:"base_time"`
	Notes     []string `json:"notes"`
	Captures  []Entry  `json:"captures"`
}

// Entry is the truth about one capture.
type Entry struct {
	File      string   `json:"file"`
	Group     string   `json:"group"` // "decoding", "rules" or "demo"
	Shows     string   `json:"shows"`
	Format    string   `json:"format"`
	LinkTypes []string `json:"link_types"`
	Encap     string   `json:"encapsulation,omitempty"`
	Flags     []string `json:"flags"`

	Packets     int        `json:"packets"`
	SIPMessages int        `json:"sip_messages"`
	Calls       int        `json:"calls"`
	RTPStreams  int        `json:"rtp_streams"`
	PerCall     []CallInfo `json:"per_call"`
	Findings    []Finding  `json:"findings"`
	ExitCode    int        `json:"exit_code"`
	Truncated   bool       `json:"truncated"`
	// EvidenceGaps are the summary.evidence_gaps counts a correct audit reports; absent when
	// the generator does not pin them down.
	EvidenceGaps map[string]int `json:"evidence_gaps,omitempty"`
	Tshark       Tshark         `json:"tshark"`
	// Streams lists each RTP stream and the call a correct audit ties it to; present only
	// for the captures whose point is that attribution.
	Streams []StreamInfo `json:"streams,omitempty"`
	Note    string       `json:"note,omitempty"`
}

// StreamInfo is one RTP stream (source, destination, SSRC as the report writes them) and
// the Call-ID a correct audit ties it to: empty when no call of the audit announced it.
type StreamInfo struct {
	Src    string `json:"src"`
	Dst    string `json:"dst"`
	SSRC   string `json:"ssrc"`
	CallID string `json:"call_id"`
}

// CallInfo is what a correct audit says about one call.
type CallInfo struct {
	CallID      string `json:"call_id"`
	Direction   string `json:"direction"`
	Path        string `json:"path"`
	Edge        string `json:"edge"`
	Gateway     string `json:"gateway"`
	Transport   string `json:"transport"` // of the initial INVITE: "udp" or "tcp"
	FinalStatus int    `json:"final_status"`
	SIPMessages int    `json:"sip_messages"`
}

// Finding is one expected (rule, call_id) pair; tests compare the set, not multiplicity.
type Finding struct {
	Rule     string `json:"rule"`
	CallID   string `json:"call_id"`
	Severity string `json:"severity"`
}

// Tshark is what `tshark -o tcp.reassemble_out_of_order:TRUE -r FILE` (plus DecodeAs)
// counts: every record, and every SIP message it dissects.
type Tshark struct {
	DecodeAs    []string `json:"decode_as,omitempty"` // -d arguments
	Packets     int      `json:"packets"`
	SIPMessages int      `json:"sip_messages"`
}

// truth counts what the frames of a capture hold: the SIP messages they complete, the
// calls (Call-IDs with an INVITE) and the RTP streams.
type truth struct {
	packets, sipMessages, rtpStreams int
	calls                            []CallInfo
	streams                          []StreamInfo // in order of first packet
}

type callAcc struct {
	info    CallInfo
	invite  *sipMsg
	msgs    []*sipMsg
	kinds   []peerKind
	gateway netip.Addr
	gwKind  peerKind
	edge    string
}

// deriveTruth counts what frames hold. streamCall names the call of each RTP stream; a
// stream is tied to it only when that call (its INVITE) is among the frames.
func deriveTruth(frames []frame, streamCall map[streamKey]string) truth {
	var t truth
	t.packets = len(frames)
	streams := map[streamKey]bool{}
	var streamOrder []streamKey
	byID := map[string]*callAcc{}
	var order []string
	for _, f := range frames {
		if f.rtp != nil && !streams[*f.rtp] {
			streams[*f.rtp] = true
			streamOrder = append(streamOrder, *f.rtp)
		}
		for _, m := range f.sip {
			if f.sipCut > 0 {
				// A message cut by the snap length counts when its start line survived, as
				// tshark counts it; without its headers it belongs to no call.
				if i := bytes.Index(m.raw, []byte("\r\n")); i >= 0 && i+2 <= f.sipCut {
					t.sipMessages++
				}
				continue
			}
			t.sipMessages++
			c := byID[m.callID]
			if c == nil {
				c = &callAcc{info: CallInfo{CallID: m.callID}}
				byID[m.callID] = c
				order = append(order, m.callID)
			}
			c.info.SIPMessages++
			c.msgs = append(c.msgs, m)
			if m.method == "INVITE" && c.invite == nil {
				c.invite = m
			}
			// Which Twilio peer, if any, this message was exchanged with.
			kind, edge, gw := peerKind(peerOther), "", netip.Addr{}
			for _, a := range []netip.Addr{m.src.Addr(), m.dst.Addr()} {
				if k, e := classify(a); k != peerOther {
					kind, edge, gw = k, e, a
				}
			}
			c.kinds = append(c.kinds, kind)
			// The call's gateway is the first public peer or, failing one, the first gateway.
			switch {
			case kind == peerPublic && c.gwKind != peerPublic,
				kind == peerInterconnect && c.gwKind == peerOther:
				c.gateway, c.edge, c.gwKind = gw, edge, kind
			}
		}
	}
	t.rtpStreams = len(streams)
	inAudit := map[string]bool{}
	for _, id := range order {
		c := byID[id]
		if c.invite == nil {
			continue // OPTIONS and other messages outside calls
		}
		inAudit[id] = true
		inv := c.invite
		c.info.FinalStatus = finalStatus(c.msgs)
		c.info.Transport = inv.transport
		switch {
		case isTwilioPeer(inv.dst.Addr()):
			c.info.Direction = "termination"
		case isTwilioPeer(inv.src.Addr()):
			c.info.Direction = "origination"
		case strings.HasSuffix(ruriHost(inv.ruri), ".twilio.com"):
			c.info.Direction = "termination"
		default:
			c.info.Direction = "unknown"
		}
		c.info.Path = "interconnect"
		for _, k := range c.kinds {
			if k == peerOther && c.info.Path == "interconnect" {
				c.info.Path = "unknown"
			}
		}
		if slices.Contains(c.kinds, peerPublic) {
			c.info.Path = "public"
		}
		if c.info.Path != "unknown" {
			c.info.Edge, c.info.Gateway = c.edge, c.gateway.String()
		}
		t.calls = append(t.calls, c.info)
	}
	for _, k := range streamOrder {
		id := streamCall[k]
		if !inAudit[id] {
			id = ""
		}
		t.streams = append(t.streams, StreamInfo{Src: k.src.String(), Dst: k.dst.String(), SSRC: fmt.Sprintf("0x%08X", k.ssrc), CallID: id})
	}
	return t
}

// finalStatus is a call's final status: the first 2xx to one of its initial INVITEs (an
// INVITE without To tag: the first one, its retry with credentials after a 401/407, a
// failover attempt that keeps the Call-ID); failing one, the first final response to the
// latest initial INVITE that got one; else 0. Responses count wherever they sit in the
// file: clock skew between merged interfaces can put a 200 OK before its INVITE.
func finalStatus(msgs []*sipMsg) int {
	var inits []*sipMsg
	for _, m := range msgs {
		if m.method == "INVITE" && !strings.Contains(m.get("To"), ";tag=") {
			inits = append(inits, m)
		}
	}
	status, latest := 0, -1
	for _, m := range msgs {
		if m.method != "" || m.cseqMethod != "INVITE" || m.status < 200 || (status >= 200 && status < 300) {
			continue
		}
		// The INVITE this response answers: same CSeq, sent from where the response goes.
		i := slices.IndexFunc(inits, func(inv *sipMsg) bool { return inv.cseq == m.cseq && inv.src == m.dst })
		switch {
		case i < 0:
		case m.status < 300:
			status = m.status
		case i > latest:
			status, latest = m.status, i
		}
	}
	return status
}

// ruriHost returns the host of a SIP URI.
func ruriHost(u string) string {
	b := bareURI(u)
	if i := strings.LastIndexByte(b, '@'); i >= 0 {
		return b[i+1:]
	}
	return b[strings.IndexByte(b, ':')+1:]
}

// findings turns the expectations into the sorted, de-duplicated set and the exit code.
func findings(exp []expectation) ([]Finding, int, error) {
	var out []Finding
	exit := 0
	for _, e := range exp {
		f := Finding{Rule: e.rule, CallID: e.callID, Severity: severity[e.rule]}
		if f.Severity == "" {
			return nil, 0, fmt.Errorf("no rule %q", e.rule)
		}
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
		if f.Severity == "error" {
			exit = 1
		}
	}
	slices.SortFunc(out, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(a.Rule, b.Rule), cmp.Compare(a.CallID, b.CallID))
	})
	if out == nil {
		out = []Finding{}
	}
	return out, exit, nil
}
