package report

import "github.com/ixaudit/ixaudit/analyze"

// The fixtures: hand-built reports covering each verdict the renderers must present. They
// are saved as testdata/<name>.json (rewritten by -update) and every golden test replays
// those files, so the renderers are tested through ReadJSON, as `ixaudit report` uses them.

// fixture names, in the order the golden tests run them.
var fixtureNames = []string{"pass", "fail", "known", "empty"}

// fixtures returns the reports by name.
func fixtures() map[string]*analyze.Report {
	return map[string]*analyze.Report{
		"pass":  passReport(),
		"fail":  failReport(),
		"known": knownReport(),
		"empty": emptyReport(),
	}
}

func tool() analyze.Tool { return analyze.Tool{Name: "ixaudit", Version: "v0.1.0"} }

func rulesInfo() analyze.RulesInfo {
	return analyze.RulesInfo{
		Source:  "embedded",
		SHA256:  "9f2c4e1ab7d35c08e6f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7",
		Version: "2025.1",
		Date:    "2025-01-15",
	}
}

func f64(v float64) *float64 { return &v }
func intp(v int) *int        { return &v }

// passReport: two Interconnect calls with media, no findings, a few non-IP packets.
func passReport() *analyze.Report {
	return &analyze.Report{
		Version: 1, Tool: tool(), Rules: rulesInfo(),
		Inputs: []analyze.Input{{Name: "sbc-ix.pcapng", Packets: 1840, LinkTypes: []string{"ethernet"}}},
		Summary: analyze.Summary{
			Packets: 1840, SIPMessages: 14, Calls: 2, RTPStreams: 4,
			CallsByPath:  map[analyze.Path]int{analyze.PathInterconnect: 2},
			CallsByEdge:  map[string]int{"ashburn-ix": 2},
			EvidenceGaps: map[string]int{"not-ip": 6},
			PacketUse:    map[string]int{"sip": 14, "rtp": 1808, "rtcp": 12},
			FailOn:       analyze.SeverityError,
		},
		Calls: []analyze.Call{
			{
				CallID: "5a1c8e3f7b2d4e6a@198.51.100.10", Direction: analyze.DirTermination,
				Path: analyze.PathInterconnect, Edge: "ashburn-ix", Gateway: "208.78.112.64",
				Input: "sbc-ix.pcapng", FirstPacket: 1, Start: "2024-05-14T09:30:01.100000Z",
				End: "2024-05-14T09:30:19.400000Z", FinalStatus: 200, SIPMessages: 7,
				From:       "<sip:alice@198.51.100.10>;tag=a1",
				To:         "<sip:bob@acme.pstn.ashburn-ix.twilio.com>",
				RequestURI: "sip:bob@acme.pstn.ashburn-ix.twilio.com",
				SBC:        "198.51.100.10:5060", Transport: "udp", MediaStreams: 2,
				Messages: []analyze.Message{
					{Packet: 1, Time: "2024-05-14T09:30:01.100000Z", Src: "198.51.100.10:5060", Dst: "208.78.112.64:5060", Transport: "udp", Label: "INVITE", CSeq: "1 INVITE", SDP: true},
					{Packet: 3, Time: "2024-05-14T09:30:03.900000Z", Src: "208.78.112.64:5060", Dst: "198.51.100.10:5060", Transport: "udp", Label: "200 OK", CSeq: "1 INVITE", SDP: true},
				},
			},
			{
				CallID: "b7e1@208.78.112.65", Direction: analyze.DirOrigination,
				Path: analyze.PathInterconnect, Edge: "ashburn-ix", Gateway: "208.78.112.65",
				Input: "sbc-ix.pcapng", FirstPacket: 40, Start: "2024-05-14T09:31:00.000000Z",
				FinalStatus: 200, SIPMessages: 7, Transport: "udp", MediaStreams: 2,
			},
		},
		Streams: []analyze.Stream{
			{Src: "198.51.100.10:20000", Dst: "168.86.130.17:14562", SSRC: "0x1a2b3c4d", CallID: "5a1c8e3f7b2d4e6a@198.51.100.10", Packets: 452, Lost: 0, JitterMeanMs: 0.41, JitterMaxMs: 1.9, Codec: "PCMU", MOS: 4.41, Announced: true},
			{Src: "168.86.130.17:14562", Dst: "198.51.100.10:20000", SSRC: "0x5e6f7081", CallID: "5a1c8e3f7b2d4e6a@198.51.100.10", Packets: 450, Lost: 2, JitterMeanMs: 0.77, JitterMaxMs: 3.2, Codec: "PCMU", MOS: 4.38, Announced: true, RTCPLost: intp(2), RTCPJitterMs: f64(0.8)},
			{Src: "198.51.100.10:20002", Dst: "168.86.131.3:18870", SSRC: "0x0badcafe", CallID: "b7e1@208.78.112.65", Packets: 453, Lost: 0, JitterMeanMs: 0.38, JitterMaxMs: 1.4, Codec: "PCMU", MOS: 4.41, Announced: true},
			{Src: "168.86.131.3:18870", Dst: "198.51.100.10:20002", SSRC: "0x7fe0a001", CallID: "b7e1@208.78.112.65", Packets: 453, Lost: 0, JitterMeanMs: 0.52, JitterMaxMs: 2.0, Codec: "PCMU", MOS: 4.41, Announced: true},
		},
		Findings: []analyze.Finding{},
	}
}

// failReport: two inputs; calls that left Interconnect, legacy hosts, media out of range,
// a truncated capture, and a large evidence gap.
func failReport() *analyze.Report {
	const (
		a       = "edge-a.pcapng"
		b       = "edge-b.pcap.gz"
		public  = "8f14e45fceea167a5a36dedd4bea2543-very-long-call-identifier-from-a-b2bua@203.0.113.7"
		legacy  = "c4ca4238a0b923820dcc509a6f75849b@203.0.113.7"
		media   = "eccbc87e4b5ce2fe28308fd9f2a7baf3@54.172.60.2"
		gwPub   = "54.172.60.1:5060"
		sbc     = "203.0.113.7:5060"
		pubHost = "sip:+14155550123@acme.pstn.twilio.com"
	)
	find := func(rule string, sev analyze.Severity, call, input string, pkt int, tm, src, dst, tr, msg, ev string) analyze.Finding {
		return analyze.Finding{Rule: rule, Severity: sev, CallID: call, Input: input, Packet: pkt,
			Time: tm, Src: src, Dst: dst, Transport: tr, Message: msg, Evidence: ev, Key: rule + "|" + ev}
	}
	return &analyze.Report{
		Version: 1, Tool: tool(), Rules: rulesInfo(),
		Inputs: []analyze.Input{
			{Name: a, Packets: 4210, LinkTypes: []string{"ethernet", "linux-sll"}},
			{Name: b, Packets: 790, LinkTypes: []string{"ethernet"}, Truncated: true},
		},
		Summary: analyze.Summary{
			Packets: 5000, SIPMessages: 31, Calls: 3, RTPStreams: 2,
			Errors: 6, Warnings: 3, Infos: 1,
			CallsByPath:  map[analyze.Path]int{analyze.PathInterconnect: 2, analyze.PathPublic: 1},
			CallsByEdge:  map[string]int{"ashburn-ix": 1, "ashburn": 1, "": 1},
			EvidenceGaps: map[string]int{"tcp-gap": 120, "unknown-encapsulation": 30, "kernel-drops": 12},
			PacketUse:    map[string]int{"sip": 31, "rtp": 4819},
			FailOn:       analyze.SeverityError, Failed: true,
		},
		Calls: []analyze.Call{
			{
				CallID: public, Direction: analyze.DirTermination, Path: analyze.PathPublic, Edge: "ashburn",
				Gateway: "54.172.60.1", Input: a, FirstPacket: 12, Start: "2024-05-14T10:02:11.250000Z",
				FinalStatus: 200, SIPMessages: 11, From: "<sip:+12065550188@203.0.113.7>;tag=9",
				To: "<" + pubHost + ">", RequestURI: pubHost, SBC: sbc, Transport: "udp",
				Findings: 5, Rules: []string{"signalling-public-path", "uri-public-host"},
			},
			{
				CallID: legacy, Direction: analyze.DirTermination, Path: analyze.PathInterconnect, Edge: "ashburn-ix",
				Gateway: "208.78.112.66", Input: a, FirstPacket: 260, Start: "2024-05-14T10:05:40.000000Z",
				FinalStatus: 486, SIPMessages: 9, RequestURI: "sip:+14155550199@acme.pstn.us1-ix.twilio.com;tnx=TN0123456789abcdef0123456789abcdef",
				Transport: "tcp", Findings: 2, Rules: []string{"uri-legacy-host", "uri-tnx-deprecated"},
			},
			{
				CallID: media, Direction: analyze.DirOrigination, Path: analyze.PathInterconnect, Edge: "",
				Gateway: "208.78.112.64", Input: b, FirstPacket: 3, Start: "2024-05-14T11:00:00.500000Z",
				FinalStatus: 200, SIPMessages: 11, Transport: "udp", Findings: 2, MediaStreams: 2,
				Rules: []string{"media-address-outside-range", "sdp-address-outside-range"},
			},
		},
		Streams: []analyze.Stream{
			{Src: "203.0.113.7:31000", Dst: "54.172.61.20:10004", SSRC: "0xdeadbeef", CallID: media, Input: b, Packets: 380, Lost: 20, JitterMeanMs: 2.25, JitterMaxMs: 14.5, Codec: "PCMU", MOS: 3.62, Announced: true},
			{Src: "54.172.61.20:10004", Dst: "203.0.113.7:31000", SSRC: "0x01020304", CallID: media, Input: b, Packets: 399, Lost: 1, JitterMeanMs: 1.1, JitterMaxMs: 6.75, Codec: "G722", MOS: 4.05, Announced: true},
		},
		Findings: []analyze.Finding{
			find("signalling-public-path", analyze.SeverityError, public, a, 12, "2024-05-14T10:02:11.250000Z", sbc, gwPub, "udp", "INVITE sent to Twilio public signalling address 54.172.60.1 (ashburn)", "54.172.60.1:5060"),
			find("uri-public-host", analyze.SeverityError, public, a, 12, "2024-05-14T10:02:11.250000Z", sbc, gwPub, "udp", "termination Request-URI names a public Twilio host", pubHost),
			find("signalling-public-path", analyze.SeverityError, public, a, 14, "2024-05-14T10:02:11.390000Z", gwPub, sbc, "udp", "100 Trying from Twilio public signalling address 54.172.60.1 (ashburn)", "54.172.60.1:5060"),
			find("signalling-public-path", analyze.SeverityError, public, a, 19, "2024-05-14T10:02:13.020000Z", gwPub, sbc, "udp", "200 OK from Twilio public signalling address 54.172.60.1 (ashburn)", "54.172.60.1:5060"),
			find("signalling-public-path", analyze.SeverityError, public, a, 22, "2024-05-14T10:02:13.100000Z", sbc, gwPub, "udp", "ACK sent to Twilio public signalling address 54.172.60.1 (ashburn)", "54.172.60.1:5060"),
			find("uri-legacy-host", analyze.SeverityWarning, legacy, a, 260, "2024-05-14T10:05:40.000000Z", sbc, "208.78.112.66:5060", "tcp", "termination host uses legacy Interconnect code us1-ix (use ashburn-ix)", "acme.pstn.us1-ix.twilio.com"),
			find("uri-tnx-deprecated", analyze.SeverityWarning, legacy, a, 260, "2024-05-14T10:05:40.000000Z", sbc, "208.78.112.66:5060", "tcp", "tnx= is deprecated in favour of edge=", "tnx=TN0123456789abcdef0123456789abcdef"),
			find("evidence-gap", analyze.SeverityInfo, "", a, 3301, "2024-05-14T10:09:00.000000Z", "203.0.113.7:5060", "208.78.112.64:5060", "tcp", "150 packets could not be judged (tcp-gap 120, unknown-encapsulation 30)", "tcp-gap"),
			find("sdp-address-outside-range", analyze.SeverityError, media, b, 3, "2024-05-14T11:00:00.500000Z", "208.78.112.64:5060", sbc, "udp", "SDP from Twilio announces 54.172.61.20, outside 168.86.128.0/18", "c=IN IP4 54.172.61.20"),
			find("media-address-outside-range", analyze.SeverityError, media, b, 7, "2024-05-14T11:00:01.020000Z", "203.0.113.7:31000", "54.172.61.20:10004", "udp", "RTP to a Twilio-side address outside 168.86.128.0/18", "54.172.61.20:10004"),
			find("capture-truncated", analyze.SeverityWarning, "", b, 790, "2024-05-14T11:00:09.870000Z", "", "", "", "the capture ends inside a record", "record 790: 1514 bytes announced, 212 present"),
		},
	}
}

// knownReport: the errors are all known from the baseline, one warning is new.
func knownReport() *analyze.Report {
	r := failReport()
	r.Inputs = r.Inputs[:1]
	r.Inputs[0].Packets = 5000
	r.Calls = r.Calls[:2]
	r.Streams = nil
	var fs []analyze.Finding
	for _, f := range r.Findings {
		if f.Input != r.Inputs[0].Name {
			continue
		}
		f.Known = f.Rule != "uri-tnx-deprecated"
		fs = append(fs, f)
	}
	r.Findings = fs
	r.Summary = analyze.Summary{
		Packets: 5000, SIPMessages: 20, Calls: 2, RTPStreams: 0,
		Errors: 5, Warnings: 2, Infos: 1, Known: 7,
		CallsByPath:  map[analyze.Path]int{analyze.PathInterconnect: 1, analyze.PathPublic: 1},
		CallsByEdge:  map[string]int{"ashburn-ix": 1, "ashburn": 1},
		EvidenceGaps: map[string]int{"tcp-gap": 20},
		FailOn:       analyze.SeverityError, Failed: false,
	}
	return r
}

// emptyReport: a capture without calls.
func emptyReport() *analyze.Report {
	return &analyze.Report{
		Version: 1, Tool: tool(), Rules: analyze.RulesInfo{Source: "embedded", SHA256: rulesInfo().SHA256},
		Inputs:  []analyze.Input{{Name: "quiet.pcap", Packets: 1234, LinkTypes: []string{"ethernet"}}},
		Summary: analyze.Summary{Packets: 1234, EvidenceGaps: map[string]int{}, CallsByPath: map[analyze.Path]int{}, FailOn: analyze.SeverityError},
	}
}
