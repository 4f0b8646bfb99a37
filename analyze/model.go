package analyze

import "strings"

// The report model. Its JSON form is the contract of ../shared/spec/PRODUCT.md: field names
// and meanings may be added to, never renamed or dropped. Every renderer in package report
// reads these types, and a saved JSON report decodes back into them.

// Severity of a finding.
type Severity string

// Severities, from most to least severe.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
	SeverityInfo    Severity = "info"
)

// Rank orders severities: error 3, warning 2, info 1, anything else 0.
func (s Severity) Rank() int {
	switch s {
	case SeverityError:
		return 3
	case SeverityWarning:
		return 2
	case SeverityInfo:
		return 1
	}
	return 0
}

// Path is the verdict on a call's signalling path.
type Path string

// Paths.
const (
	PathInterconnect Path = "interconnect"
	PathPublic       Path = "public"
	PathUnknown      Path = "unknown"
)

// Direction of a call.
type Direction string

// Directions: termination is SBC to Twilio, origination is Twilio to SBC.
const (
	DirTermination Direction = "termination"
	DirOrigination Direction = "origination"
)

// Report is the whole result of an audit.
type Report struct {
	Version  int       `json:"version"`
	Tool     Tool      `json:"tool"`
	Rules    RulesInfo `json:"rules"`
	Inputs   []Input   `json:"inputs"`
	Summary  Summary   `json:"summary"`
	Calls    []Call    `json:"calls"`
	Streams  []Stream  `json:"streams"`
	Findings []Finding `json:"findings"`
}

// Tool names the program that wrote the report.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// RulesInfo names the rule set in force.
type RulesInfo struct {
	Source  string `json:"source"` // "embedded" or the path given to --rules
	SHA256  string `json:"sha256"`
	Version string `json:"version,omitempty"`
	Date    string `json:"date,omitempty"` // the date the rule set's facts were read
}

// Input describes one capture that was read.
type Input struct {
	Name      string   `json:"name"`
	Packets   int      `json:"packets"`
	LinkTypes []string `json:"link_types"`
	Truncated bool     `json:"truncated"`
	// Error is set when the input could not be read as a capture at all.
	Error string `json:"error,omitempty"`
	// Err is the error that ended reading early (a damaged capture, audited up to the
	// damage and reported as capture-truncated); not part of the JSON report.
	Err error `json:"-"`
}

// Summary holds the counts and the verdict.
type Summary struct {
	Packets     int            `json:"packets"`
	SIPMessages int            `json:"sip_messages"`
	Calls       int            `json:"calls"`
	RTPStreams  int            `json:"rtp_streams"`
	Errors      int            `json:"errors"`
	Warnings    int            `json:"warnings"`
	Infos       int            `json:"infos"`
	CallsByPath map[Path]int   `json:"calls_by_path"`
	CallsByEdge map[string]int `json:"calls_by_edge,omitempty"`
	// EvidenceGaps counts packets (and, for "kernel-drops", packets the kernel dropped
	// before they were captured) by the reason they could not be judged. Reasons that
	// start with "evicted-" count state ended by a memory limit ("evicted-calls": dialogs),
	// not packets.
	EvidenceGaps map[string]int `json:"evidence_gaps"`
	// PacketUse counts the packets that were judged, by what they carried. For every
	// input, the sum of PacketUse and of EvidenceGaps (less "kernel-drops" and the
	// "evicted-" reasons) is Packets.
	PacketUse map[string]int `json:"packet_use,omitempty"`
	// CallsNotListed counts calls without findings that are in every count but not in
	// the calls list, because the list reached its limit (a flood of Call-IDs).
	CallsNotListed int `json:"calls_not_listed,omitempty"`
	// StreamsNotListed likewise counts RTP streams beyond the streams list's limit.
	StreamsNotListed int `json:"streams_not_listed,omitempty"`
	// FindingsNotListed counts, by rule, findings outside calls beyond the limit of
	// distinct findings one input lists, and findings of a call beyond the limit of
	// distinct findings of one rule that one call lists.
	FindingsNotListed map[string]int `json:"findings_not_listed,omitempty"`
	// FindingsNotListedBySeverity counts the same findings by severity; they are in the
	// errors/warnings/infos counts and decide the verdict like listed ones.
	FindingsNotListedBySeverity map[Severity]int `json:"findings_not_listed_by_severity,omitempty"`
	// Known counts findings that were matched in the --baseline report.
	Known int `json:"known,omitempty"`
	// FailOn and Failed record the verdict: Failed is true when a finding at or above FailOn
	// is not in the baseline. The exit code is 1 exactly when Failed is true.
	FailOn Severity `json:"fail_on,omitempty"`
	Failed bool     `json:"failed"`
}

// Call is one dialog (a Call-ID that carried an INVITE).
type Call struct {
	CallID       string    `json:"call_id"`
	Direction    Direction `json:"direction"`
	Path         Path      `json:"path"`
	Edge         string    `json:"edge"`
	Gateway      string    `json:"gateway"`
	Input        string    `json:"input,omitempty"`
	FirstPacket  int       `json:"first_packet"`
	Start        string    `json:"start"`
	End          string    `json:"end,omitempty"`
	FinalStatus  int       `json:"final_status"`
	SIPMessages  int       `json:"sip_messages"`
	From         string    `json:"from,omitempty"`
	To           string    `json:"to,omitempty"`
	RequestURI   string    `json:"request_uri,omitempty"`
	SBC          string    `json:"sbc,omitempty"`
	Transport    string    `json:"transport,omitempty"`
	Findings     int       `json:"findings"`
	Rules        []string  `json:"rules,omitempty"`
	Messages     []Message `json:"messages,omitempty"`
	MediaStreams int       `json:"media_streams,omitempty"`
}

// Message is one SIP message of a call, kept for ladder diagrams.
type Message struct {
	Packet    int    `json:"packet"`
	Time      string `json:"time"`
	Src       string `json:"src"`
	Dst       string `json:"dst"`
	Transport string `json:"transport"`
	Label     string `json:"label"` // "INVITE", "200 OK", ...
	CSeq      string `json:"cseq,omitempty"`
	SDP       bool   `json:"sdp,omitempty"`
}

// Stream is one RTP stream: a distinct (source, destination, SSRC).
type Stream struct {
	Src          string  `json:"src"`
	Dst          string  `json:"dst"`
	SSRC         string  `json:"ssrc"`
	CallID       string  `json:"call_id"`
	Input        string  `json:"input,omitempty"`
	Packets      int     `json:"packets"`
	Bytes        int     `json:"bytes,omitempty"`
	Lost         int     `json:"lost"`
	Duplicates   int     `json:"duplicates,omitempty"`
	OutOfOrder   int     `json:"out_of_order,omitempty"`
	JitterMeanMs float64 `json:"jitter_mean_ms"`
	JitterMaxMs  float64 `json:"jitter_max_ms"`
	MaxDeltaMs   float64 `json:"max_delta_ms,omitempty"`
	Codec        string  `json:"codec"`
	PayloadTypes []int   `json:"payload_types,omitempty"`
	MOS          float64 `json:"mos"`
	FirstPacket  int     `json:"first_packet,omitempty"`
	Start        string  `json:"start,omitempty"`
	End          string  `json:"end,omitempty"`
	SRTP         bool    `json:"srtp,omitempty"`
	Announced    bool    `json:"announced"`
	// What the far end reported in RTCP about this stream, beside what was measured here.
	RTCPLost     *int     `json:"rtcp_lost,omitempty"`
	RTCPJitterMs *float64 `json:"rtcp_jitter_ms,omitempty"`
}

// Finding is one broken rule.
type Finding struct {
	Rule      string   `json:"rule"`
	Severity  Severity `json:"severity"`
	CallID    string   `json:"call_id"`
	Input     string   `json:"input"`
	Packet    int      `json:"packet"`
	Time      string   `json:"time"`
	Src       string   `json:"src"`
	Dst       string   `json:"dst"`
	Transport string   `json:"transport"`
	Message   string   `json:"message"`
	Evidence  string   `json:"evidence"`
	// Key identifies the finding across captures and calls for --baseline: the rule and the
	// parts of the evidence that do not depend on the call (peer, host, parameter). It never
	// holds a Call-ID, a packet number or a telephone number.
	Key string `json:"key,omitempty"`
	// Known is true when --baseline holds the same finding; it then does not fail the run.
	Known bool `json:"known,omitempty"`
}

// GapCountsPackets reports whether an evidence-gap reason counts packets that were read
// (and so enters the accounting: packet_use plus these gaps is summary.packets). The
// exceptions are "kernel-drops", packets the capturing system never delivered, and the
// "evicted-" reasons, which count state (dialogs) ended by a memory limit.
func GapCountsPackets(reason string) bool {
	return reason != gapKernelDrops && !strings.HasPrefix(reason, "evicted-")
}
