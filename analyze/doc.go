// Package analyze owns all judgement: it turns decoded packets into SIP messages, calls,
// media streams and findings, and decides the verdict.
//
// An Auditor holds the configuration (rule set, --sbc-net, --require-secure). Audit reads one
// capture.Source to its end and returns an InputResult; results of several inputs may be
// computed concurrently and are merged by Report in input order, so the report is the same
// whatever the scheduling. All time inside the analysis is packet time: the same capture
// always gives the same report.
//
// Accounting: every packet read ends in exactly one place: Summary.PacketUse (what it
// carried: sip, rtp, rtcp, stun, dtls, dns, tls, fragment, other) or Summary.EvidenceGaps
// (why it could not be judged). For every report, the sum of both (less the "kernel-drops"
// gap, which counts packets that were never captured) equals Summary.Packets.
package analyze
