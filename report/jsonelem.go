package report

import (
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/ixaudit/ixaudit/analyze"
)

// The elements of the report's three lists (calls, streams, findings) are written by hand
// rather than by encoding/json and re-indenting: they are most of a large report, and
// reflection plus a second pass over the bytes cost 2.5 to 4 µs an element (15 to 20 ms of
// the benchmark capture's 6,000). The bytes are exactly those encoding/json's Encoder
// (SetEscapeHTML(false)) followed by appendIndent gives: TestElementsAsEncodingJSON and
// FuzzElementsAsEncodingJSON compare the two on every field, so a field added to
// analyze.Call, Message, Stream or Finding without its line here fails them.
//
// A value encoding/json refuses (a NaN or infinite float, which only a stream holds) is
// left to it, so that the error is its own: appendStreamJSON reports false then, and the
// element is encoded by encoding/json.

// elementIndent is the indentation of a top-level list's elements, the prefix their
// lines start with; each level below adds two spaces.
const elementIndent = "    "

// spaces is indentation to slice from: enough for the deepest level written here.
const spaces = "                                "

// jsonObject appends one indented JSON object's members, each on a line of its own.
type jsonObject struct {
	b     []byte
	level int // of the members: the object's own level + 1
	n     int // members written
}

// openObject appends '{' and returns the writer of an object at level (0 for a list
// element; its members are at level + 1).
func openObject(b []byte, level int) jsonObject {
	return jsonObject{b: append(b, '{'), level: level + 1}
}

// newline appends a line break and the indentation of level.
func newline(b []byte, level int) []byte {
	b = append(b, '\n')
	return append(b, spaces[:len(elementIndent)+2*level]...)
}

// key appends the separator before a member, its name and the colon.
func (o *jsonObject) key(name string) {
	if o.n > 0 {
		o.b = append(o.b, ',')
	}
	o.n++
	o.b = newline(o.b, o.level)
	o.b = append(o.b, '"')
	o.b = append(o.b, name...) // the names are plain ASCII
	o.b = append(o.b, `": `...)
}

func (o *jsonObject) str(name, v string) {
	o.key(name)
	o.b = appendJSONString(o.b, v)
}

func (o *jsonObject) int(name string, v int) {
	o.key(name)
	o.b = strconv.AppendInt(o.b, int64(v), 10)
}

func (o *jsonObject) float(name string, v float64) {
	o.key(name)
	o.b = appendJSONFloat(o.b, v)
}

func (o *jsonObject) bool(name string, v bool) {
	o.key(name)
	o.b = strconv.AppendBool(o.b, v)
}

// close appends the object's closing brace and returns the bytes. Every object written
// here has a member that is never omitted, so none is empty ("{}").
func (o *jsonObject) close() []byte {
	return append(newline(o.b, o.level-1), '}')
}

// array appends a member holding a non-empty array, elem appending its i-th element at
// the array's element level.
func (o *jsonObject) array(name string, n int, elem func(b []byte, i, level int) []byte) {
	o.key(name)
	o.b = append(o.b, '[')
	for i := range n {
		if i > 0 {
			o.b = append(o.b, ',')
		}
		o.b = newline(o.b, o.level+1)
		o.b = elem(o.b, i, o.level+1)
	}
	o.b = newline(o.b, o.level)
	o.b = append(o.b, ']')
}

// appendCallJSON appends c as Render writes a call (a call holds no float: encoding/json
// never refuses one).
func appendCallJSON(b []byte, c *analyze.Call) []byte {
	o := openObject(b, 0)
	o.str("call_id", c.CallID)
	o.str("direction", string(c.Direction))
	o.str("path", string(c.Path))
	o.str("edge", c.Edge)
	o.str("gateway", c.Gateway)
	if c.Input != "" {
		o.str("input", c.Input)
	}
	o.int("first_packet", c.FirstPacket)
	o.str("start", c.Start)
	if c.End != "" {
		o.str("end", c.End)
	}
	o.int("final_status", c.FinalStatus)
	o.int("sip_messages", c.SIPMessages)
	if c.From != "" {
		o.str("from", c.From)
	}
	if c.To != "" {
		o.str("to", c.To)
	}
	if c.RequestURI != "" {
		o.str("request_uri", c.RequestURI)
	}
	if c.SBC != "" {
		o.str("sbc", c.SBC)
	}
	if c.Transport != "" {
		o.str("transport", c.Transport)
	}
	o.int("findings", c.Findings)
	if len(c.Rules) > 0 {
		o.array("rules", len(c.Rules), func(b []byte, i, _ int) []byte {
			return appendJSONString(b, c.Rules[i])
		})
	}
	if len(c.Messages) > 0 {
		o.array("messages", len(c.Messages), func(b []byte, i, level int) []byte {
			return appendMessageJSON(b, &c.Messages[i], level)
		})
	}
	if c.MediaStreams != 0 {
		o.int("media_streams", c.MediaStreams)
	}
	return o.close()
}

// appendMessageJSON appends m, an element of a call's messages at level.
func appendMessageJSON(b []byte, m *analyze.Message, level int) []byte {
	o := openObject(b, level)
	o.int("packet", m.Packet)
	o.str("time", m.Time)
	o.str("src", m.Src)
	o.str("dst", m.Dst)
	o.str("transport", m.Transport)
	o.str("label", m.Label)
	if m.CSeq != "" {
		o.str("cseq", m.CSeq)
	}
	if m.SDP {
		o.bool("sdp", m.SDP)
	}
	return o.close()
}

// appendStreamJSON appends s as Render writes a stream, or reports false, having
// appended nothing, when one of its numbers is NaN or infinite.
func appendStreamJSON(b []byte, s *analyze.Stream) ([]byte, bool) {
	if !finite(s.JitterMeanMs) || !finite(s.JitterMaxMs) || !finite(s.MaxDeltaMs) || !finite(s.MOS) ||
		s.RTCPJitterMs != nil && !finite(*s.RTCPJitterMs) {
		return b, false
	}
	o := openObject(b, 0)
	o.str("src", s.Src)
	o.str("dst", s.Dst)
	o.str("ssrc", s.SSRC)
	o.str("call_id", s.CallID)
	if s.Input != "" {
		o.str("input", s.Input)
	}
	o.int("packets", s.Packets)
	if s.Bytes != 0 {
		o.int("bytes", s.Bytes)
	}
	o.int("lost", s.Lost)
	if s.Duplicates != 0 {
		o.int("duplicates", s.Duplicates)
	}
	if s.OutOfOrder != 0 {
		o.int("out_of_order", s.OutOfOrder)
	}
	o.float("jitter_mean_ms", s.JitterMeanMs)
	o.float("jitter_max_ms", s.JitterMaxMs)
	if s.MaxDeltaMs != 0 {
		o.float("max_delta_ms", s.MaxDeltaMs)
	}
	o.str("codec", s.Codec)
	if len(s.PayloadTypes) > 0 {
		o.array("payload_types", len(s.PayloadTypes), func(b []byte, i, _ int) []byte {
			return strconv.AppendInt(b, int64(s.PayloadTypes[i]), 10)
		})
	}
	o.float("mos", s.MOS)
	if s.FirstPacket != 0 {
		o.int("first_packet", s.FirstPacket)
	}
	if s.Start != "" {
		o.str("start", s.Start)
	}
	if s.End != "" {
		o.str("end", s.End)
	}
	if s.SRTP {
		o.bool("srtp", s.SRTP)
	}
	o.bool("announced", s.Announced)
	if s.RTCPLost != nil {
		o.int("rtcp_lost", *s.RTCPLost)
	}
	if s.RTCPJitterMs != nil {
		o.float("rtcp_jitter_ms", *s.RTCPJitterMs)
	}
	return o.close(), true
}

// appendFindingJSON appends f as Render writes a finding (a finding holds no float:
// encoding/json never refuses one).
func appendFindingJSON(b []byte, f *analyze.Finding) []byte {
	o := openObject(b, 0)
	o.str("rule", f.Rule)
	o.str("severity", string(f.Severity))
	o.str("call_id", f.CallID)
	o.str("input", f.Input)
	o.int("packet", f.Packet)
	o.str("time", f.Time)
	o.str("src", f.Src)
	o.str("dst", f.Dst)
	o.str("transport", f.Transport)
	o.str("message", f.Message)
	o.str("evidence", f.Evidence)
	if f.Key != "" {
		o.str("key", f.Key)
	}
	if f.Known {
		o.bool("known", f.Known)
	}
	return o.close()
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// appendJSONFloat appends f as encoding/json writes a float64 (f is finite): like %g in
// the shortest form that reads back the same, but with 'f' notation from 1e-6 to 1e21
// and exponents not padded to two digits.
func appendJSONFloat(b []byte, f float64) []byte {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// e-09 to e-9
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s quoted as encoding/json writes a string without HTML
// escaping: quote, backslash and control characters escaped (\b \f \n \r \t, others as
// \u00XX), invalid UTF-8 as \ufffd, U+2028 and U+2029 as \u2028 and \u2029.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
