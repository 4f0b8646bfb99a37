package ruleset

// Rule identifiers, as in shared/spec/PRODUCT.md. They are the contract with users: never
// rename or drop one.
const (
	RuleSignallingPublicPath      = "signalling-public-path"
	RuleSignallingUnknownPeer     = "signalling-unknown-peer"
	RuleSignallingPort            = "signalling-port"
	RuleSignallingOffInterconnect = "signalling-off-interconnect"
	RuleSignallingInsecure        = "signalling-insecure"

	RuleURIPublicHost     = "uri-public-host"
	RuleURILegacyHost     = "uri-legacy-host"
	RuleURIHostIP         = "uri-host-ip"
	RuleURIRegionMismatch = "uri-region-mismatch"
	RuleURIEdgePublic     = "uri-edge-public"
	RuleURIEdgeUnknown    = "uri-edge-unknown"
	RuleURIEdgeMismatch   = "uri-edge-mismatch"
	RuleURITnxDeprecated  = "uri-tnx-deprecated"
	RuleURIRegionParam    = "uri-region-param"

	RuleSDPAddressOutsideRange   = "sdp-address-outside-range"
	RuleSDPPortOutsideRange      = "sdp-port-outside-range"
	RuleMediaAddressOutsideRange = "media-address-outside-range"
	RuleMediaPortOutsideRange    = "media-port-outside-range"
	RuleMediaOffInterconnect     = "media-off-interconnect"
	RuleMediaInsecure            = "media-insecure"
	RuleMediaOneWay              = "media-one-way"
	RuleMediaUnannounced         = "media-unannounced"

	RuleCaptureTruncated = "capture-truncated"
	RuleSIPMalformed     = "sip-malformed"
	RuleEvidenceGap      = "evidence-gap"
)

// Severities a rule can have.
const (
	SeverityError   = "error"
	SeverityWarning = "warning"
	SeverityInfo    = "info"
)

// RuleInfo describes one rule of the catalogue.
type RuleInfo struct {
	ID       string   // "uri-legacy-host"
	Default  string   // default severity, from PRODUCT.md
	Severity string   // severity in force in the rule set
	Meaning  string   // one line: when the rule fires
	Sources  []string // keys of the FACTS.md sources the rule rests on; none for evidence rules
}

// catalogue lists every rule of PRODUCT.md, in its order, with its default severity.
var catalogue = []RuleInfo{
	{ID: RuleSignallingPublicPath, Default: SeverityError, Sources: []string{"S-IPS"},
		Meaning: "SIP exchanged with a Twilio public signalling address: the call used the internet, not Interconnect"},
	{ID: RuleSignallingUnknownPeer, Default: SeverityError, Sources: []string{"S-TIX", "S-VIX", "S-IPS"},
		Meaning: "a SIP request for a Twilio host goes to or comes from an address that is no Twilio gateway"},
	{ID: RuleSignallingPort, Default: SeverityError, Sources: []string{"S-TIX", "S-VIX"},
		Meaning: "SIP with an Interconnect gateway on anything but 5060/UDP, 5060/TCP or 5061/TLS"},
	{ID: RuleSignallingOffInterconnect, Default: SeverityError,
		Meaning: "with --sbc-net: SIP with a Twilio gateway from an SBC address outside those networks"},
	{ID: RuleSignallingInsecure, Default: SeverityError, Sources: []string{"S-TRK"},
		Meaning: "with --require-secure: SIP with Twilio that is not TLS"},

	{ID: RuleURIPublicHost, Default: SeverityError, Sources: []string{"S-LTERM", "S-TRK"},
		Meaning: "a termination host is a Twilio public host ({trunk}.pstn.twilio.com, {trunk}.pstn.{public edge}.twilio.com)"},
	{ID: RuleURILegacyHost, Default: SeverityWarning, Sources: []string{"S-ITERM", "S-LEG"},
		Meaning: "a termination host uses a legacy Interconnect code (us1-ix, ie1-ix, ...)"},
	{ID: RuleURIHostIP, Default: SeverityWarning, Sources: []string{"S-BP"},
		Meaning: "a termination Request-URI host is a bare IP address (Twilio identifies the trunk by its FQDN)"},
	{ID: RuleURIRegionMismatch, Default: SeverityWarning, Sources: []string{"S-ITERM", "S-TIX"},
		Meaning: "the -ix host names another edge than the gateway the request was sent to"},
	{ID: RuleURIEdgePublic, Default: SeverityError, Sources: []string{"S-TRK", "S-TIX"},
		Meaning: "edge= names a public edge (ashburn, dublin, ...)"},
	{ID: RuleURIEdgeUnknown, Default: SeverityError, Sources: []string{"S-TRK", "S-TIX", "S-EDGE"},
		Meaning: "edge= names no Interconnect edge (unknown names, and roaming, which trunking refuses)"},
	{ID: RuleURIEdgeMismatch, Default: SeverityWarning, Sources: []string{"S-TRK", "S-TIX"},
		Meaning: "edge= names another edge than the gateway the request came from or went to"},
	{ID: RuleURITnxDeprecated, Default: SeverityWarning, Sources: []string{"S-TIX"},
		Meaning: "a tnx= parameter is used (deprecated in favour of edge=)"},
	{ID: RuleURIRegionParam, Default: SeverityWarning, Sources: []string{"S-TRK"},
		Meaning: "a legacy region= parameter is used"},

	{ID: RuleSDPAddressOutsideRange, Default: SeverityError, Sources: []string{"S-IPS", "S-TIX", "S-VIX"},
		Meaning: "SDP from the Twilio side announces a connection address outside the media range"},
	{ID: RuleSDPPortOutsideRange, Default: SeverityError, Sources: []string{"S-IPS", "S-TIX", "S-VIX"},
		Meaning: "SDP from the Twilio side announces a media port outside the media ports"},
	{ID: RuleMediaAddressOutsideRange, Default: SeverityError, Sources: []string{"S-IPS", "S-TIX", "S-VIX"},
		Meaning: "RTP/RTCP of a Twilio call flows to or from a Twilio-side address outside the media range"},
	{ID: RuleMediaPortOutsideRange, Default: SeverityError, Sources: []string{"S-IPS", "S-TIX", "S-VIX"},
		Meaning: "RTP/RTCP of a Twilio call uses a Twilio-side port outside the media ports"},
	{ID: RuleMediaOffInterconnect, Default: SeverityError,
		Meaning: "with --sbc-net: media of a Twilio call from or to an SBC address outside those networks"},
	{ID: RuleMediaInsecure, Default: SeverityError, Sources: []string{"S-TRK"},
		Meaning: "with --require-secure: SDP offers plain RTP/AVP, or no a=crypto with a suite Twilio accepts"},
	{ID: RuleMediaOneWay, Default: SeverityWarning,
		Meaning: "an answered call whose media flowed in one direction only"},
	{ID: RuleMediaUnannounced, Default: SeverityWarning,
		Meaning: "RTP of a call arrives from an address/port that no SDP of that call announced"},

	{ID: RuleCaptureTruncated, Default: SeverityWarning,
		Meaning: "the capture ends inside a record, or a SIP packet was cut by the snap length"},
	{ID: RuleSIPMalformed, Default: SeverityWarning,
		Meaning: "data on a SIP port or in a SIP TCP stream that is not a parseable SIP message"},
	{ID: RuleEvidenceGap, Default: SeverityInfo,
		Meaning: "traffic that could not be judged (unknown encapsulation, fragments, TCP gaps, TLS content, drops)"},
}

// catalogueIndex maps a rule ID to its index in catalogue.
var catalogueIndex = func() map[string]int {
	m := make(map[string]int, len(catalogue))
	for i, r := range catalogue {
		m[r.ID] = i
	}
	return m
}()

// Rules returns every rule of the catalogue, in PRODUCT.md's order, with its default severity
// and the severity in force in this rule set. The slice is the caller's.
func (rs *RuleSet) Rules() []RuleInfo {
	out := make([]RuleInfo, len(catalogue))
	for i, r := range catalogue {
		r.Sources = append([]string(nil), r.Sources...)
		r.Severity = rs.severities[r.ID]
		out[i] = r
	}
	return out
}

// validSeverity reports whether s is a severity a rule can have.
func validSeverity(s string) bool {
	return s == SeverityError || s == SeverityWarning || s == SeverityInfo
}
