// Package media measures RTP streams and reads RTCP reports, with no knowledge of calls,
// SIP or rules: package analyze ties streams to calls and judges them.
//
// It has three parts:
//
//   - classifiers for a UDP payload (IsRTP, IsRTCP, IsSTUN, IsDTLS, Classify), following the
//     first-byte demultiplexing of RFC 7983 and the RTP/RTCP split of RFC 5761 §4;
//   - Stream, the per-(source, destination, SSRC) measurement of packets, loss, duplicates,
//     reordering, maximum inter-arrival gap and RFC 3550 interarrival jitter, computed the way
//     Wireshark's RTP stream analysis computes them (ui/tap-rtp-analysis.c) so that figures can
//     be checked against `tshark -q -z rtp,streams`, and an ITU-T G.107 E-model MOS estimate;
//   - Tracker, a bounded table of Streams keyed by (source, destination, SSRC) that evicts idle
//     streams in packet time, and ParseRTCP and ParseSRTCP, which walk compound RTCP for sender
//     and receiver reports so that the far end's view (loss, jitter) can sit beside ours.
//
// The tests compare every figure with TShark 4.0.17 (`tshark -q -z rtp,streams`) on generated
// captures and on the shared public captures, and the classifiers with what tshark decodes.
//
// Time is always packet time. Nothing here starts a goroutine.
package media
