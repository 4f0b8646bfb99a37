// Ixaudit audits the SIP and RTP traffic of an SBC (session border controller) connected to
// Twilio Elastic SIP Trunking over Twilio Interconnect (cross-connect, IPsec VPN, MPLS), and
// reports, call by call, traffic that left the private path.
//
// It reads pcap and pcapng captures (or standard input), decodes SIP, SDP, RTP and RTCP,
// classifies every peer against Twilio's Interconnect gateways, public gateways and media
// range, checks termination host names and edge=/tnx= parameters, follows each call's
// media, and gives a verdict with an exit code that CI pipelines can gate on.
//
// # Usage
//
//	ixaudit audit [flags] CAPTURE...     audit pcap/pcapng files ("-" reads standard input)
//	ixaudit rules [--rules FILE] [--list] print the rule set in force, in the format --rules reads
//	ixaudit report --format F [FILE|-]   re-render a saved JSON report (same exit code)
//	ixaudit version [--rules FILE]       version, and the rule set's version and checksum
//	ixaudit help [TOPIC]                 this manual; topics: audit, rules, report, formats, exit-codes, limits
//
// # Audit
//
// ixaudit audit reads each CAPTURE: classic pcap (microsecond or nanosecond timestamps,
// either byte order), pcapng (any number of sections and interfaces, each with its own link
// type), either one gzip-compressed, or "-" for standard input, so that
//
//	tcpdump -i eth1 -w - | ixaudit audit -
//
// audits as the capture streams. Link types: Ethernet, Linux cooked capture v1 and v2 (what
// "tcpdump -i any" writes), raw IPv4/IPv6, BSD loopback. Inside: 802.1Q VLAN, QinQ, MPLS,
// IPv4, IPv6 with extension headers, GRE, ERSPAN I-III, VXLAN, IP-in-IP; IP fragments are
// reassembled and SIP over TCP is reassembled per stream.
//
// Flags:
//
//	--format F        table, json, junit, markdown or html (default: table on a terminal, json
//	                  otherwise). FORMAT=FILE writes that format to FILE; repeat the flag to
//	                  write several formats in one pass over the capture.
//	-o, --output FILE write the report to FILE (format guessed from .json/.xml/.md/.html)
//	--rules FILE      a rule-set file that replaces the embedded one (see RULES)
//	--sbc-net CIDR    the SBC's own addresses on the Interconnect link (repeatable); enables
//	                  signalling-off-interconnect and media-off-interconnect
//	--require-secure  the trunk uses Secure Trunking (TLS + SRTP); enables the *-insecure rules
//	--fail-on S       exit 1 when a finding is at or above S: error (default), warning, never
//	--baseline FILE   a previous JSON report: findings already in it are shown as known and do
//	                  not fail the run; only new ones do
//	--redact          replace telephone numbers and URI user parts with stable pseudonyms in
//	                  every output
//	--all-calls       list every call, not only calls with findings
//	-j, --jobs N      inputs audited at once (default: the number of CPUs)
//	-q, --quiet       no progress line on standard error
//
// Several inputs are audited side by side and reported together, in the order given; a call
// that spans two rotated files is merged by Call-ID. One unreadable input does not stop the
// others, but makes the exit code 2.
//
// # Rules
//
// Every finding names its rule, severity, the packet (the 1-based frame number Wireshark
// shows for that file), time, endpoints, transport, Call-ID when it belongs to a call, and the
// evidence. "ixaudit help rules" lists the catalogue with the Twilio fact behind each rule.
//
// The Twilio facts (Interconnect gateways per edge, public signalling ranges, the media range
// 168.86.128.0/18 and ports 10000-60000, host-name patterns, SRTP suites, rule severities) are
// a data file embedded in the binary, with a version and the date the facts were read. Twilio
// changes them: print the file with "ixaudit rules > twilio.rules", edit it, and pass
// "--rules twilio.rules". A broken file is refused with its line number and the reason.
//
// # Report
//
// "ixaudit audit --format json" writes the canonical report; "ixaudit report --format F FILE"
// renders it again in any format without the capture, with the same exit code (--fail-on
// defaults to the one the report was made with).
//
// # Formats
//
//	table     a verdict line, calls by path and edge, findings by rule with examples, calls
//	          with findings, media streams, evidence gaps; colour only on a terminal and never
//	          with NO_COLOR set
//	json      the contract of the JSON report (version 1): inputs, summary, calls, streams,
//	          findings, in a deterministic order
//	junit     one testsuite per input, one testcase per rule and per call with findings,
//	          failures at or above --fail-on (for CI test views)
//	markdown  a compact summary for a pull-request comment
//	html      a self-contained page with the verdict, a path overview and call ladders
//
// # Exit codes
//
//	0  the audit completed; no finding at or above --fail-on (baseline findings excepted)
//	1  the audit completed; at least one finding at or above --fail-on
//	2  a usage error, or an input that could not be read as a capture (the message names the
//	   file); a capture cut in the middle of a record is audited up to the cut and reported
//	   with a capture-truncated finding instead
//
// Every format gives the same exit code: the verdict is computed by the analysis.
//
// # Limits
//
// SIP over TLS cannot be read: its peer, port and the server name in the ClientHello are
// judged, and its packets are counted as the "tls-content" evidence gap. SRTP payloads are not
// decrypted; their headers are measured. A packet that could not be judged (unknown link
// type or encapsulation, a fragment that never completed, a TCP gap, kernel drops) is counted
// by reason in summary.evidence_gaps: a "no leak" verdict covers only what was judged, and
// the table says how much was not.
package main
