package analyze

import (
	"bytes"
	"net/netip"
	"sort"
	"time"

	"github.com/ixaudit/ixaudit/analyze/sip"
	"github.com/ixaudit/ixaudit/capture"
)

// Messages captured before the INVITE of their dialog.
//
// A capture merged from two interfaces (or a mirror port and the SBC's own capture) whose
// clocks differ by a few milliseconds can hold a 200 OK before the INVITE it answers. Such
// a message, of a Call-ID with no dialog yet, is held for orphanWait of packet time; if
// the INVITE comes, the message joins its dialog as if it had come after it (with its own
// packet number and time), otherwise it is judged outside any call.

// Limits on held messages.
const (
	orphanWait      = 2 * time.Second
	maxOrphans      = 4096
	maxOrphanBytes  = 8 << 20
	maxOrphanLength = 64 << 10
)

// orphan is a held SIP message.
type orphan struct {
	data      []byte
	src, dst  netip.AddrPort
	transport string
	packet    int
	length    int // the packet's length on the wire
	time      time.Time
}

// mayBeOrphan reports whether m belongs in an INVITE dialog: a response to INVITE, or a
// request that only exists inside one.
func mayBeOrphan(m *sip.Message) bool {
	method := m.Method()
	if m.IsResponse() {
		method = m.CSeq().Method
	}
	for _, d := range [...]string{"INVITE", "ACK", "BYE", "CANCEL", "PRACK", "UPDATE", "INFO"} {
		if bytes.Equal(method, []byte(d)) {
			return !m.IsRequest() || d != "INVITE"
		}
	}
	return false
}

// holdOrphan keeps a message of an unknown Call-ID that may belong to a dialog whose
// INVITE comes later in the capture. It returns false when the message is to be judged
// now.
func (in *inputAuditor) holdOrphan(m *sip.Message, b []byte, src, dst netip.AddrPort, transport string) bool {
	id := m.CallID()
	if len(id) == 0 || in.replaying || len(b) > maxOrphanLength || !mayBeOrphan(m) {
		return false
	}
	if _, ok := in.calls[string(id)]; ok {
		return false
	}
	if in.orphanCount >= maxOrphans || in.orphanBytes+len(b) > maxOrphanBytes {
		return false
	}
	if in.orphans == nil {
		in.orphans = map[string][]orphan{}
	}
	in.orphans[string(id)] = append(in.orphans[string(id)], orphan{
		data: bytes.Clone(b), src: src, dst: dst, transport: transport,
		packet: in.cur.Number, length: in.cur.Length, time: in.cur.Time,
	})
	in.orphanCount++
	in.orphanBytes += len(b)
	return true
}

// replayOrphans judges the held messages of Call-ID id, in capture order: inside the call
// when its INVITE has come, outside any call otherwise.
func (in *inputAuditor) replayOrphans(id string) {
	os := in.orphans[id]
	if len(os) == 0 {
		return
	}
	delete(in.orphans, id)
	cur := in.cur
	in.replaying = true
	for _, o := range os {
		in.orphanCount--
		in.orphanBytes -= len(o.data)
		in.cur = &capture.Packet{Number: o.packet, Time: o.time, Length: o.length, Data: o.data}
		in.sipMessage(o.data, o.src, o.dst, o.transport, false)
	}
	in.replaying = false
	in.cur = cur
}

// expireOrphans judges, outside any call, the held messages whose INVITE did not come in
// time; with all set, every held message.
func (in *inputAuditor) expireOrphans(all bool) {
	if len(in.orphans) == 0 {
		return
	}
	var due []string
	for id, os := range in.orphans {
		if all || in.now.Sub(os[0].time) > orphanWait {
			due = append(due, id)
		}
	}
	// Judge in capture order, so that findings and counts do not depend on map order.
	sort.Slice(due, func(i, j int) bool { return in.orphans[due[i]][0].packet < in.orphans[due[j]][0].packet })
	for _, id := range due {
		in.replayOrphans(id)
	}
}
