package analyze

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/ixaudit/ixaudit/analyze/ruleset"
	"github.com/ixaudit/ixaudit/analyze/sdp"
	"github.com/ixaudit/ixaudit/analyze/sip"
	"github.com/ixaudit/ixaudit/capture"
	"github.com/ixaudit/ixaudit/capture/tcpstream"
)

type sdpMedia = sdp.Media

// maxTLSFlows bounds the set of TCP flows known to carry TLS.
const maxTLSFlows = 1 << 14

// tlsSegment judges a TCP segment of SIP over TLS: its content cannot be read, but its
// peer can be judged (public gateway, wrong port, SBC address) and the server name of a
// ClientHello is a termination host.
func (in *inputAuditor) tlsSegment(f *capture.Frame, key flowPair) {
	if !in.tls[key] {
		if len(in.tls) >= maxTLSFlows {
			clear(in.tls)
		}
		in.tls[key] = true
		in.tls[flowPair{key.dst, key.src}] = true
		e := in.ends(key.src, key.dst, "tls")
		if tp, peer, ok := e.twilioPeer(); ok {
			in.judgePeer(nil, in.at(key.src, key.dst, "tls"), &e, tp, peer)
		}
	}
	if sni := clientHelloSNI(f.Payload); sni != nil {
		e := in.ends(key.src, key.dst, "tls")
		in.judgeHost(nil, in.at(key.src, key.dst, "tls"), sni, "TLS server name", &e)
	}
}

// dnsPacket judges a DNS message: a query for a Twilio public termination host shows the
// SBC is about to use the public path; an answer giving an -ix name addresses that are no
// Interconnect gateway shows its DNS points it the wrong way.
func (in *inputAuditor) dnsPacket(f *capture.Frame) bool {
	m, ok := parseDNS(f.Payload)
	if !ok {
		return false
	}
	src := netip.AddrPortFrom(f.Src, f.SrcPort)
	dst := netip.AddrPortFrom(f.Dst, f.DstPort)
	at := in.at(src, dst, "udp")
	e := sipEnd{src: src, dst: dst, transport: "udp"}
	for _, q := range m.questions {
		if !strings.HasSuffix(q, "twilio.com") {
			continue
		}
		in.judgeHost(nil, at, []byte(q), "DNS query", &e)
	}
	for _, a := range m.answers {
		h := in.rs.Host([]byte(a.name))
		if h.Kind != ruleset.HostIXTermination || h.Edge == nil || h.Unknown {
			continue
		}
		if p := in.rs.Peer(a.addr); p.Kind != ruleset.PeerInterconnect {
			in.finding(nil, ruleset.RuleSignallingUnknownPeer, at,
				fmt.Sprintf("DNS answers the Interconnect host %s with %s, which is no Interconnect gateway", a.name, a.addr),
				"DNS answer "+a.name+" A "+a.addr.String(), a.name+"|"+a.addr.String())
		}
	}
	return true
}

// Message implements tcpstream.Handler: a SIP message framed from a TCP stream.
func (t *tcpSIP) Message(flow tcpstream.Flow, data []byte, packet int, tm time.Time) {
	in := (*inputAuditor)(t)
	cur := in.cur
	if cur == nil || cur.Number != packet {
		// Flushed at the end of the input: the message belongs to an earlier packet.
		in.cur = &capture.Packet{Number: packet, Time: tm}
	}
	switch {
	case len(data) > 0 && data[0] >= 0x80 && wsFrameLen(data) == len(data):
		// A WebSocket frame (RFC 7118): text or binary frames carry one SIP message each.
		op, payload := wsPayload(data, in.wsBuf)
		in.wsBuf = payload[:0]
		if (op == 1 || op == 2) && len(payload) > 0 {
			in.sipMessage(payload, flow.Src, flow.Dst, "ws", false)
		}
	case isWebSocketUpgrade(data):
		// The HTTP handshake that opens a SIP WebSocket.
	case isHEP3(data):
		in.hepPacket(data)
	default:
		in.sipMessage(data, flow.Src, flow.Dst, "tcp", false)
	}
	in.cur = cur
}

// streamFrame cuts the byte stream of a SIP TCP connection into messages: SIP (framed by
// Content-Length), and on connections that carry them, the HTTP handshake and frames of a
// SIP WebSocket, or HEP3 packets.
func streamFrame(buf []byte, atEOF bool) int {
	switch {
	case len(buf) > 0 && buf[0] >= 0x80:
		if n := wsFrameLen(buf); n >= 0 {
			return n
		}
	case bytes.HasPrefix(buf, []byte("GET ")) || bytes.HasPrefix(buf, []byte("HTTP/1.1 101")):
		if n := httpHeadLen(buf); n > 0 {
			return n
		}
		if len(buf) > sip.MaxFrameHeader {
			return -len(buf)
		}
		return 0
	case isHEP3(buf):
		n := int(binary.BigEndian.Uint16(buf[4:6]))
		if n < 6 {
			return -4
		}
		if n > len(buf) {
			return 0
		}
		return n
	}
	return sip.Frame(buf, atEOF)
}

// Gap implements tcpstream.Handler. TCP gaps are counted by the assembler's statistics;
// bytes of a SIP stream that are no SIP message while the stream is in step are reported
// as sip-malformed.
func (t *tcpSIP) Gap(flow tcpstream.Flow, packet int, tm time.Time, bytes int, why tcpstream.Reason) {
	if why != tcpstream.Unframed {
		return
	}
	in := (*inputAuditor)(t)
	e := in.ends(flow.Src, flow.Dst, "tcp")
	at := findingAt{packet: packet, time: tm, src: flow.Src, dst: flow.Dst, transport: "tcp"}
	in.finding(nil, ruleset.RuleSIPMalformed, at,
		fmt.Sprintf("%d bytes of a SIP TCP stream are not a SIP message", bytes),
		fmt.Sprintf("%d bytes skipped", bytes), e.src.Addr().String()+">"+e.dst.String())
}
