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
//	ixaudit live -i IFACE [flags]        capture on the SBC's interfaces and audit continuously (Linux)
//	ixaudit rules [--rules FILE] [--list] print the rule set in force, in the format --rules reads
//	ixaudit report --format F [FILE|-]   re-render a saved JSON report (same exit code)
//	ixaudit version [--rules FILE]       version, and the rule set's version and checksum
//	ixaudit help [TOPIC]                 this manual; topics: audit, live, rules, report, formats, exit-codes, limits
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
//	--separate        audit each input on its own (unrelated captures), several at once
//	-j, --jobs N      with --separate, inputs audited at once (default: the number of CPUs)
//	-q, --quiet       no progress line on standard error
//
// Several inputs are the pieces of one capture (files rotated by tcpdump -C or -G, or the
// captures of two interfaces of one SBC): they are read one after the other with one state,
// so a call whose INVITE is in one file and whose BYE and media are in the next is one call,
// judged with all its SIP and media; packet numbers stay those of each file. With --separate
// each input is audited on its own, several at once. One unreadable input does not stop the
// others, but makes the exit code 2.
//
// # Live
//
// ixaudit live captures on one or more interfaces of the SBC and runs the same analysis as
// audit, continuously, driven by packet time:
//
//	ixaudit live -i eth1 -i eth2 -o /var/lib/ixaudit/report.json -w /var/lib/ixaudit/sbc --metrics :9464
//
// It needs Linux (an AF_PACKET socket with a TPACKET_V3 ring; no libpcap) and only the
// CAP_NET_RAW capability: run it as root, or once "setcap cap_net_raw+ep ixaudit". Without
// it, or for an interface that does not exist, it prints one line and exits 2.
//
// Findings are printed as they are found: one line each on standard error (time,
// severity, rule, endpoints, transport, packet, Call-ID, message, [evidence]), or, with
// --format jsonl, one JSON object per line on standard output:
// {"event":"finding","finding":{...}}. A full report is written every --interval, on
// SIGHUP, and at the end, in every --format to standard output or to -o / FORMAT=FILE
// (a file is replaced atomically: FILE.tmp is written, then renamed); with --format jsonl
// the report is a line {"event":"report","report":{...}} holding the JSON report. SIGINT
// and SIGTERM stop the capture cleanly: what the kernel still holds is read (for at most
// 0.5 s), the final report is written, and the exit code follows the verdict as for audit
// (0 or 1; 2 for usage, permission and output errors). --duration and --count stop it the
// same way.
//
// Flags (besides --format, -o, --rules, --sbc-net, --require-secure, --fail-on,
// --baseline, --redact, --all-calls and -q, as for audit; -q also silences the finding
// lines and the start and end lines on standard error, but not errors):
//
//	-i, --interface IFACE  capture on IFACE; repeat for several (each is read by its own
//	                       goroutine, and their packets are merged in time order before the
//	                       analysis, which stays single-threaded); "any" captures on every
//	                       interface without link-layer headers
//	--filter EXPR          a tcpdump filter expression (pcap-filter(7)) instead of the default,
//	                       compiled by "tcpdump -ddd" (tcpdump must be installed), so it means
//	                       exactly what it means to tcpdump; --filter '' keeps every packet
//	--interval D           write the report every D (default 5m; 0: at the end and on SIGHUP)
//	--duration D           stop after D of wall-clock time
//	-c, --count N          stop after N packets (counted after duplicates are dropped)
//	-w, --write FILE       keep the audited packets as pcapng: FILE.0001.pcapng, FILE.0002...
//	                       (an existing file is never overwritten), one interface block per
//	                       captured interface, and at each file's end the kernel's received and
//	                       dropped counts while it was open; packet N of the report is the Nth
//	                       packet of the files taken in order
//	--rotate-size SIZE     start a new -w file after SIZE (default 100MB; 0: never)
//	--rotate-every D       start a new -w file every D of packet time (default: never)
//	--metrics ADDR         serve Prometheus metrics on http://ADDR/metrics; ":9464" binds
//	                       127.0.0.1:9464, "0.0.0.0:9464" binds every address
//	--dedup-window D       a packet whose IP datagram repeats one seen less than D before
//	                       (default 5ms; 0: off) is a duplicate (the same packet on a mirror
//	                       port and its interface, on "any", or both directions of lo): it is
//	                       counted once, under summary.packet_use "duplicate", and neither
//	                       audited again nor written; a sender that repeats a datagram byte for
//	                       byte within D is counted once too
//	-s, --snaplen N        bytes kept of each packet (default 65535)
//	--ring-size SIZE       kernel ring per interface (default 32MB); when the analysis falls
//	                       behind by more, the kernel drops packets and counts them
//	--promisc              promiscuous mode, for a mirror (SPAN) port
//	--list-calls N         list the first N calls without findings (default 1000) and 2N
//	                       RTP streams in the reports; later ones are only counted
//	                       (summary.calls_not_listed, streams_not_listed), so that memory does
//	                       not grow with the length of the run. Calls with findings are listed
//	                       up to 2N calls in all; every call is in every count
//
// The default filter keeps what the rules can judge: TCP and UDP on the SIP ports 5060,
// 5061, 5062 and 5080; any traffic with a Twilio signalling address of the rule set
// (gateways and public signalling ranges); UDP with the rule set's media ranges; DNS;
// UDP whose payload starts like RTP/RTCP version 2 (media that left Twilio's range is
// what the media-*-outside-range rules look for); IPv4 and IPv6 fragments (later
// fragments carry no ports); and the same behind a VLAN tag still in the frame.
// "ixaudit live --help" prints this section; the exact expression is written in each -w
// file's interface blocks.
//
// Packets the kernel dropped (the ring was full) are never seen: they are read from the
// socket's statistics and reported as the evidence gap "kernel-drops", and the verdict line
// says so: a report never claims "no leak" for traffic it did not see. Memory stays
// bounded over days: the analysis expires calls and streams in packet time, the reports
// list a bounded number of calls and streams (--list-calls), the readers
// hold at most 8 MiB of packets per interface, the dedup table is a fixed 1 MiB, and the
// -w files are rotated (delete old ones with a timer or logrotate).
//
// Metrics: ixaudit_kernel_packets_total, ixaudit_kernel_drops_total and
// ixaudit_packets_read_total by interface; ixaudit_packets_duplicate_total;
// ixaudit_findings_total by rule and severity; ixaudit_calls by path and
// ixaudit_calls_by_edge by edge (since the start, refreshed every 15 s and at each report);
// ixaudit_verdict_failed; the histograms ixaudit_rtp_stream_loss_ratio and
// ixaudit_rtp_stream_jitter_mean_seconds over ended RTP streams; ixaudit_build_info.
//
// # Rules
//
// Every finding names its rule, severity, the packet (the 1-based frame number Wireshark
// shows for that file), time, endpoints, transport, Call-ID when it belongs to a call, and the
// evidence. In a pcapng file, as in Wireshark, blocks that hold no packet (a systemd journal
// entry, a custom block) take a frame number too, so a packet number may exceed the
// input's "packets", which counts packets only. "ixaudit help rules" lists the catalogue with the Twilio fact behind each rule.
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
// # Environment
//
//	NO_COLOR             no colour in the table, even on a terminal
//	GOGC, GOMEMLIMIT     the Go runtime's own memory pacing instead of ixaudit's (collect at
//	                     32 MiB, or 1.5 times the live heap when that is larger)
//	IXAUDIT_CPUPROFILE   write a CPU profile of the run to this file (go tool pprof), for a
//	                     report of a slow audit
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
