package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// header is one SIP header line.
type header struct{ name, value string }

// style changes how a message is written without changing what it means.
type style struct {
	compact bool // compact header names (v, f, t, i, m, l, c, k) where RFC 3261 has one
	fold    bool // fold Via, From and Allow onto continuation lines (RFC 3261 §7.3.1)
}

// sipMsg is one SIP message and where it travels.
type sipMsg struct {
	src, dst   netip.AddrPort
	transport  string // "udp", "tcp" or "tls"
	method     string // request method; "" for a response
	ruri       string
	status     int
	reason     string
	callID     string
	cseq       int
	cseqMethod string
	hdrs       []header
	body       []byte
	style      style
	raw        []byte // the rendered message
}

var compactNames = map[string]string{
	"Via": "v", "From": "f", "To": "t", "Call-ID": "i", "Contact": "m",
	"Content-Type": "c", "Content-Length": "l", "Supported": "k", "Subject": "s",
}

// fold breaks a header value onto continuation lines: before the first ';' of a Via or
// From (whitespace before ';' is legal and trips some parsers), after every third item
// of an Allow list.
func fold(name, value string) string {
	switch name {
	case "Via", "From":
		if i := strings.IndexByte(value, ';'); i > 0 {
			return value[:i] + "\r\n    " + value[i:]
		}
	case "Allow":
		items := strings.Split(value, ", ")
		var b strings.Builder
		for i, it := range items {
			if i > 0 {
				b.WriteString(",")
				if i%3 == 0 {
					b.WriteString("\r\n\t")
				} else {
					b.WriteString(" ")
				}
			}
			b.WriteString(it)
		}
		return b.String()
	}
	return value
}

// render writes the message in wire form with a correct Content-Length.
func (m *sipMsg) render() []byte {
	var b bytes.Buffer
	if m.method != "" {
		fmt.Fprintf(&b, "%s %s SIP/2.0\r\n", m.method, m.ruri)
	} else {
		fmt.Fprintf(&b, "SIP/2.0 %d %s\r\n", m.status, m.reason)
	}
	hdrs := append(m.hdrs, header{"Content-Length", strconv.Itoa(len(m.body))})
	for _, h := range hdrs {
		name, value := h.name, h.value
		if m.style.fold {
			value = fold(name, value)
		}
		if c, ok := compactNames[name]; ok && m.style.compact {
			name = c
		}
		b.WriteString(name)
		b.WriteString(": ")
		b.WriteString(value)
		b.WriteString("\r\n")
	}
	b.WriteString("\r\n")
	b.Write(m.body)
	return b.Bytes()
}

// get returns the value of the first header with this (full) name.
func (m *sipMsg) get(name string) string {
	for _, h := range m.hdrs {
		if h.name == name {
			return h.value
		}
	}
	return ""
}

// sdpSpec says what one side's SDP announces.
type sdpSpec struct {
	addr     netip.Addr // c= address; the zero Addr means no SDP at all
	port     uint16     // m=audio port
	user     string     // o= user name
	session  string     // s= line
	profile  string     // m= protocol, "RTP/AVP" by default
	crypto   string     // a=crypto suite, none when empty
	rtcpAttr bool       // write a=rtcp with port+1
	codecs   []int      // payload types of the audio line (0 PCMU, 8 PCMA, 9 G722, 18 G729, 101 events)
	video    bool       // offer a video stream
	declined bool       // answer a video offer with m=video 0
	big      bool       // many codecs and attributes: an SDP large enough to need IP fragments
	dir      string     // the audio direction attribute (sendonly, recvonly...): sendrecv, or inactive on hold, when empty
}

var rtpmaps = map[int]string{
	0: "PCMU/8000", 8: "PCMA/8000", 9: "G722/8000", 18: "G729/8000", 101: "telephone-event/8000",
	96: "opus/48000/2", 97: "AMR-WB/16000", 98: "iLBC/8000", 99: "speex/16000", 100: "H264/90000",
}

// sdp returns the SDP body for spec. hold writes an old-style hold (c=0.0.0.0,
// a=inactive); version is the o= version.
func (d *dialog) sdp(spec sdpSpec, version int, hold bool) []byte {
	ipv := "IP4"
	if spec.addr.Is6() {
		ipv = "IP6"
	}
	conn := spec.addr.String()
	if hold {
		conn = "0.0.0.0"
	}
	profile := spec.profile
	if profile == "" {
		profile = "RTP/AVP"
	}
	codecs := spec.codecs
	if len(codecs) == 0 {
		codecs = []int{0, 101}
	}
	if spec.big {
		codecs = []int{0, 8, 9, 18, 96, 97, 98, 99, 101}
	}
	sessID := d.sessID[spec.user]
	if sessID == 0 {
		sessID = 1000000 + d.s.rng.Uint64N(8999999)
		d.sessID[spec.user] = sessID
	}
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\r\n", args...) }
	w("v=0")
	w("o=%s %d %d IN %s %s", spec.user, sessID, sessID+uint64(version), ipv, spec.addr)
	w("s=%s", spec.session)
	w("c=IN %s %s", ipv, conn)
	w("t=0 0")
	pts := make([]string, len(codecs))
	for i, pt := range codecs {
		pts[i] = strconv.Itoa(pt)
	}
	w("m=audio %d %s %s", spec.port, profile, strings.Join(pts, " "))
	for _, pt := range codecs {
		w("a=rtpmap:%d %s", pt, rtpmaps[pt])
		switch pt {
		case 101:
			w("a=fmtp:101 0-16")
		case 18:
			w("a=fmtp:18 annexb=no")
		case 96:
			w("a=fmtp:96 maxplaybackrate=16000;sprop-maxcapturerate=16000;maxaveragebitrate=20000;useinbandfec=1;usedtx=0")
		case 97:
			w("a=fmtp:97 octet-align=1;mode-set=0,1,2;mode-change-period=2;mode-change-capability=2;max-red=0")
		case 98:
			w("a=fmtp:98 mode=30")
		}
	}
	if spec.crypto != "" {
		key := make([]byte, 30)
		for i := range key {
			key[i] = byte(d.s.rng.Uint32())
		}
		w("a=crypto:1 %s inline:%s", spec.crypto, base64.StdEncoding.EncodeToString(key))
	}
	if spec.rtcpAttr {
		w("a=rtcp:%d", spec.port+1)
	}
	w("a=ptime:20")
	if spec.big {
		w("a=maxptime:60")
		w("a=silenceSupp:off - - - -")
		w("a=label:main-audio")
		w("a=mid:audio")
		w("a=record:off")
		for i := 1; i <= 4; i++ {
			w("a=extmap:%d urn:ietf:params:rtp-hdrext:ssrc-audio-level", i)
		}
	}
	switch {
	case spec.dir != "":
		w("a=%s", spec.dir)
	case hold:
		w("a=inactive")
	default:
		w("a=sendrecv")
	}
	if spec.video || spec.big {
		w("m=video %d %s 100", spec.port+2, profile)
		w("b=AS:2048")
		w("a=rtpmap:100 H264/90000")
		w("a=fmtp:100 profile-level-id=42e01f;packetization-mode=1;max-mbps=245760;max-fs=8192;max-br=20000")
		if spec.big {
			w("a=rtcp-fb:100 nack")
			w("a=rtcp-fb:100 nack pli")
			w("a=rtcp-fb:100 ccm fir")
			w("a=rtcp-fb:100 ccm tmmbr")
			w("a=imageattr:100 send [x=[320:16:1920],y=[240:16:1080]] recv [x=[320:16:1920],y=[240:16:1080]]")
			w("a=content:main")
			w("a=label:main-video")
			w("a=mid:video")
		}
		w("a=sendrecv")
	} else if spec.declined {
		w("m=video 0 %s 100", profile)
	}
	return []byte(b.String())
}

// party is one end of a dialog.
type party struct {
	sig     netip.AddrPort // signalling address
	user    string         // telephone number in the party's URI
	host    string         // host of the party's URI in From/To when it is the caller
	ua      string         // User-Agent / Server
	contact string         // Contact URI
	media   sdpSpec        // what the party's SDP announces
	twilio  bool           // the party is Twilio (writes Twilio-style headers)
}

// dialog writes the SIP messages of one call, between a caller (uac) and a callee (uas).
type dialog struct {
	s         *scenario
	callID    string
	uac, uas  *party
	transport string // "udp" (default), "tcp" or "tls"
	ruri      string // Request-URI of the initial INVITE
	fromURI   string // From URI (the caller)
	toURI     string // To URI of the initial INVITE
	style     style
	extra     []header // more headers for the initial INVITE
	conn      *tcpConn // the connection for "tcp"; nil for UDP

	fromTag, toTag string
	cseq, uasCSeq  int
	inviteVia      string
	invite         *sipMsg
	sdpVersion     map[string]int
	sessID         map[string]uint64
}

// newDialog returns a dialog between uac and uas whose initial INVITE asks for ruri.
func (s *scenario) newDialog(callID string, uac, uas *party, ruri, toURI string) *dialog {
	d := &dialog{
		s: s, callID: callID, uac: uac, uas: uas, transport: "udp", ruri: ruri, toURI: toURI,
		fromURI: "sip:" + uac.user + "@" + uac.host, sdpVersion: map[string]int{}, sessID: map[string]uint64{},
	}
	d.fromTag = s.hex(4)
	d.toTag = s.hex(4)
	d.cseq = 1 + s.rng.IntN(200)
	d.uasCSeq = 1 + s.rng.IntN(200)
	return d
}

// hex returns n random bytes in hexadecimal.
func (s *scenario) hex(n int) string {
	var b strings.Builder
	for range n {
		fmt.Fprintf(&b, "%02x", byte(s.rng.Uint32()))
	}
	return b.String()
}

// callID returns a Call-ID whose readable prefix says which case it belongs to.
func (s *scenario) callID(label, host string) string {
	return label + "-" + s.hex(6) + "@" + host
}

// viaFor returns a Via header value for a request sent by p, with a new branch.
func (d *dialog) viaFor(p *party) string {
	return fmt.Sprintf("SIP/2.0/%s %s;branch=z9hG4bK%s", strings.ToUpper(d.transport), p.sig, d.s.hex(8))
}

// contactParam returns the transport parameter of Contact and in-dialog Request-URIs.
func (d *dialog) contactParam() string {
	if d.transport == "udp" {
		return ""
	}
	return ";transport=" + d.transport
}

// request builds a request from the caller (fromUAC) or from the callee.
func (d *dialog) request(method, ruri string, fromUAC bool, cseq int, via string, body []byte) *sipMsg {
	src, dst := d.uac, d.uas
	fromHdr := "<" + d.fromURI + ">;tag=" + d.fromTag
	toHdr := "<" + d.toURI + ">"
	// Requests before the INVITE is answered (the INVITE itself, an OPTIONS outside any
	// dialog) and CANCEL carry no To tag.
	if d.invite != nil && method != "CANCEL" {
		toHdr += ";tag=" + d.toTag
	}
	if !fromUAC {
		src, dst = d.uas, d.uac
		fromHdr, toHdr = "<"+d.toURI+">;tag="+d.toTag, "<"+d.fromURI+">;tag="+d.fromTag
	}
	m := &sipMsg{
		src: src.sig, dst: dst.sig, transport: d.transport, method: method, ruri: ruri,
		callID: d.callID, cseq: cseq, cseqMethod: method, body: body, style: d.style,
	}
	h := []header{
		{"Via", via},
		{"Max-Forwards", "70"},
		{"From", fromHdr},
		{"To", toHdr},
		{"Call-ID", d.callID},
		{"CSeq", fmt.Sprintf("%d %s", cseq, method)},
	}
	if method == "INVITE" || method == "OPTIONS" {
		h = append(h, header{"Contact", "<" + src.contact + d.contactParam() + ">"})
	}
	if method == "INVITE" && d.invite == nil {
		h = append(h, d.extra...)
	}
	if method == "INVITE" || method == "OPTIONS" {
		h = append(h, header{"Allow", allowFor(src)})
		h = append(h, header{"Supported", "timer, replaces"})
	}
	h = append(h, header{"User-Agent", src.ua})
	if len(body) > 0 {
		h = append(h, header{"Content-Type", "application/sdp"})
	}
	m.hdrs = h
	return m
}

// allowFor returns the Allow header value of a party.
func allowFor(p *party) string {
	if p.twilio {
		return "INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO, REFER, NOTIFY"
	}
	return "INVITE, ACK, CANCEL, BYE, OPTIONS, PRACK, UPDATE, INFO, REFER, NOTIFY, SUBSCRIBE"
}

// Invite builds the initial INVITE with the caller's SDP offer.
func (d *dialog) Invite() *sipMsg {
	via := d.viaFor(d.uac)
	d.inviteVia = via
	var body []byte
	if d.uac.media.addr.IsValid() {
		body = d.sdp(d.uac.media, d.bump(d.uac), false)
	}
	m := d.request("INVITE", d.ruri, true, d.cseq, via, body)
	d.invite = m
	return m
}

var reasons = map[int]string{
	100: "Trying", 180: "Ringing", 183: "Session Progress", 200: "OK", 403: "Forbidden",
	404: "Not Found", 407: "Proxy Authentication Required", 408: "Request Timeout", 480: "Temporarily Unavailable", 486: "Busy Here",
	487: "Request Terminated", 503: "Service Unavailable",
}

// Reply builds the response `code` to req. A 200 to an INVITE carries the answerer's SDP,
// an old-style hold (c=0.0.0.0, a=inactive) when hold is set.
func (d *dialog) Reply(req *sipMsg, code int, hold bool) *sipMsg {
	answerer := d.uas
	if req.dst == d.uac.sig {
		answerer = d.uac
	}
	m := &sipMsg{
		src: answerer.sig, dst: req.src, transport: d.transport, status: code, reason: reasons[code],
		callID: d.callID, cseq: req.cseq, cseqMethod: req.cseqMethod, style: d.style,
	}
	to := req.get("To")
	if code > 100 && !strings.Contains(to, ";tag=") {
		to += ";tag=" + d.toTag
	}
	h := []header{
		{"Via", req.get("Via")},
		{"From", req.get("From")},
		{"To", to},
		{"Call-ID", d.callID},
		{"CSeq", req.get("CSeq")},
	}
	if req.method == "INVITE" && code > 100 && code < 300 {
		h = append(h, header{"Contact", "<" + answerer.contact + d.contactParam() + ">"})
	}
	if req.method == "INVITE" && code >= 180 && code < 300 {
		h = append(h, header{"Allow", allowFor(answerer)})
	}
	h = append(h, header{"Server", answerer.ua})
	if req.method == "INVITE" && code == 200 && answerer.media.addr.IsValid() {
		m.body = d.sdp(answerer.media, d.bump(answerer), hold)
		h = append(h, header{"Content-Type", "application/sdp"})
	}
	m.hdrs = h
	return m
}

// bump returns the next o= version of a party's SDP.
func (d *dialog) bump(p *party) int {
	v := d.sdpVersion[p.media.user]
	d.sdpVersion[p.media.user] = v + 1
	return v
}

// Ack builds the ACK for a 2xx (a new transaction to the callee's Contact) or for a final
// error response (same branch and Request-URI as the INVITE).
func (d *dialog) Ack(to2xx bool) *sipMsg {
	if !to2xx {
		return d.request("ACK", d.ruri, true, d.cseq, d.inviteVia, nil)
	}
	return d.request("ACK", d.uas.contact+d.contactParam(), true, d.cseq, d.viaFor(d.uac), nil)
}

// Bye builds a BYE from the caller (fromUAC) or from the callee.
func (d *dialog) Bye(fromUAC bool) *sipMsg {
	if fromUAC {
		d.cseq++
		return d.request("BYE", d.uas.contact+d.contactParam(), true, d.cseq, d.viaFor(d.uac), nil)
	}
	d.uasCSeq++
	return d.request("BYE", d.uac.contact+d.contactParam(), false, d.uasCSeq, d.viaFor(d.uas), nil)
}

// HoldReinvite builds an in-dialog INVITE from the callee that puts the call on hold.
func (d *dialog) HoldReinvite() *sipMsg {
	d.uasCSeq++
	body := d.sdp(d.uas.media, d.bump(d.uas), true)
	return d.request("INVITE", d.uac.contact+d.contactParam(), false, d.uasCSeq, d.viaFor(d.uas), body)
}

// AckFromCallee builds the callee's ACK for the 2xx to its own re-INVITE.
func (d *dialog) AckFromCallee() *sipMsg {
	return d.request("ACK", d.uac.contact+d.contactParam(), false, d.uasCSeq, d.viaFor(d.uas), nil)
}

// send writes m on the dialog's transport at time t.
func (d *dialog) send(t time.Time, m *sipMsg) {
	if m.raw == nil {
		m.raw = m.render()
	}
	if d.conn != nil {
		from := 0
		if m.src != d.conn.end[0] {
			from = 1
		}
		d.conn.send(t, from, m.raw, m)
		return
	}
	d.s.udp(t, m.src, m.dst, tosSIP, m.raw, m)
}
