package sip

import (
	"fmt"
	"strings"
)

// dump renders everything a Message exposes as text, for golden files and for comparing
// two parses.
func dump(m *Message) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	if m.IsRequest() {
		u, err := m.RequestURI()
		p("request %q %q version=%q", m.Method(), m.RawRequestURI(), m.Version())
		p("  request-uri %s err=%v", dumpURI(u), err)
	}
	if m.IsResponse() {
		p("response %d %q version=%q", m.StatusCode(), m.Reason(), m.Version())
	}
	p("defects=%q len=%d header-len=%d", m.Defects().String(), m.Len(), m.HeaderLen())
	for i, h := range m.Headers() {
		p("header[%d] %s %q: %q", i, kindName(h.Kind), h.Name, h.Value)
	}
	p("call-id %q", m.CallID())
	p("cseq %d %q", m.CSeq().Num, m.CSeq().Method)
	p("from %s", dumpNameAddr(m.From()))
	p("to %s", dumpNameAddr(m.To()))
	for i, v := range m.Vias() {
		p("via[%d] transport=%q host=%q port=%d branch=%q received=%q rport=%d/%v params=%q",
			i, v.Transport, v.Host, v.Port, v.Branch, v.Received, v.RPort, v.HasRPort, v.Params)
	}
	for i, na := range m.Contacts() {
		p("contact[%d] %s", i, dumpNameAddr(na))
	}
	for i, na := range m.Routes() {
		p("route[%d] %s", i, dumpNameAddr(na))
	}
	for i, na := range m.RecordRoutes() {
		p("record-route[%d] %s", i, dumpNameAddr(na))
	}
	for i, na := range m.PAssertedIdentities() {
		p("p-asserted-identity[%d] %s", i, dumpNameAddr(na))
	}
	n, ok := m.ContentLength()
	p("content-type %q content-length %d/%v body-truncated=%v", m.ContentType(), n, ok, m.BodyTruncated())
	p("user-agent %q server %q", m.UserAgent(), m.Server())
	p("body %q", m.Body())
	p("sdp %q", m.SDP())
	return b.String()
}

func kindName(k HeaderKind) string {
	if k == HeaderOther {
		return "Other"
	}
	return k.String()
}

func dumpURI(u URI) string {
	if u.IsZero() {
		return "<zero>"
	}
	return fmt.Sprintf("{scheme=%q user=%q password=%q host=%q port=%d params=%q headers=%q}",
		u.Scheme, u.User, u.Password, u.Host, u.Port, u.Params, u.Headers)
}

func dumpNameAddr(na NameAddr) string {
	if na.IsZero() {
		return "<zero>"
	}
	return fmt.Sprintf("{display=%q addr-spec=%q uri=%s params=%q tag=%q}",
		na.Display, na.AddrSpec, dumpURI(na.URI), na.Params, na.Tag())
}
