package report

import (
	"bytes"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/ixaudit/ixaudit/analyze"
)

// Strings that encoding/json escapes, or must not: quotes, backslashes, every kind of
// control character, HTML's < > & (not escaped: SetEscapeHTML(false)), invalid and
// truncated UTF-8, U+2028 and U+2029, and characters of every UTF-8 length.
var jsonTestStrings = []string{
	"", "a", "INVITE", "sip:+15551234567@example.pstn.twilio.com;edge=ashburn",
	`"quoted"`, `back\slash`, `\"`, "\x00", "\x01\x1f", "\b\f\n\r\t", "\x7f",
	"<script>&amp;</script>", "caf\u00e9", "\u20ac", "\U0001F600", "\xff", "\xe2\x82",
	"a\u2028b\u2029c", "\xed\xa0\x80", "\xc0\xaf", strings.Repeat("x", 300),
	"2026-11-27T21:04:41.123456Z", "10.0.0.1:5060", "[2001:db8::1]:5061", "0x0000ABCD",
}

var jsonTestFloats = []float64{
	0, math.Copysign(0, -1), 1, -1, 0.5, 4.41, 123.456, 1e-6, 9.99e-7, 1e-7, -1e-7,
	1e20, 1e21, -1e21, 1.5e300, math.SmallestNonzeroFloat64, math.MaxFloat64, 1.0 / 3,
}

var jsonTestInts = []int{0, 1, -1, 7, 65535, 1 << 40, math.MaxInt, math.MinInt}

// fillRandom sets every field of the struct v points to (recursively into slices of
// structs, and pointers) to a value drawn from the pools above, zero values included,
// so that omitempty and every escape are exercised. A field of a kind it does not know
// fails the test: the hand-written encoders would not know it either.
func fillRandom(t testing.TB, rng *rand.Rand, v reflect.Value) {
	for i := range v.NumField() {
		fillValue(t, rng, v.Field(i), v.Type().Field(i).Name)
	}
}

func fillValue(t testing.TB, rng *rand.Rand, f reflect.Value, name string) {
	switch f.Kind() {
	case reflect.String:
		f.SetString(jsonTestStrings[rng.IntN(len(jsonTestStrings))])
	case reflect.Int:
		f.SetInt(int64(jsonTestInts[rng.IntN(len(jsonTestInts))]))
	case reflect.Float64:
		f.SetFloat(jsonTestFloats[rng.IntN(len(jsonTestFloats))])
	case reflect.Bool:
		f.SetBool(rng.IntN(2) == 1)
	case reflect.Pointer:
		if rng.IntN(3) == 0 {
			f.SetZero()
			return
		}
		p := reflect.New(f.Type().Elem())
		fillValue(t, rng, p.Elem(), name)
		f.Set(p)
	case reflect.Slice:
		n := rng.IntN(4)
		if n == 0 && rng.IntN(2) == 0 {
			f.SetZero() // nil, and an empty slice otherwise
			return
		}
		s := reflect.MakeSlice(f.Type(), n, n)
		for i := range n {
			fillValue(t, rng, s.Index(i), name)
		}
		f.Set(s)
	case reflect.Struct:
		fillRandom(t, rng, f)
	default:
		t.Fatalf("field %s: kind %s not generated (nor written by jsonelem.go?)", name, f.Kind())
	}
}

// viaEncodingJSON is an element as Render wrote it before jsonelem.go: encoding/json,
// then appendIndent.
func viaEncodingJSON(t testing.TB, v any) string {
	var c elementEncoder
	b, err := c.encode([]byte(elementIndent), v)
	if err != nil {
		t.Fatalf("encoding/json: %v", err)
	}
	return string(b)
}

// checkElement compares what the hand-written encoder appends for v with encoding/json's
// bytes; when it declines, encoding/json must refuse v too.
func checkElement(t testing.TB, v any, appendTo func([]byte) ([]byte, bool)) {
	t.Helper()
	got, ok := appendTo([]byte(elementIndent))
	if !ok {
		var c elementEncoder
		if _, err := c.encode(nil, v); err == nil {
			t.Fatalf("hand-written encoder declined %#v, which encoding/json encodes", v)
		}
		if string(got) != elementIndent {
			t.Fatalf("declining, the encoder appended %q", got[len(elementIndent):])
		}
		return
	}
	if want := viaEncodingJSON(t, v); string(got) != want {
		t.Fatalf("element %#v:\ngot:\n%s\nwant (encoding/json):\n%s", v, got, want)
	}
}

// TestElementsAsEncodingJSON compares the hand-written encoders of calls, messages,
// streams and findings with encoding/json on values with every field set at random, so a
// field added to the model without its line in jsonelem.go fails it.
func TestElementsAsEncodingJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 3000 {
		var c analyze.Call
		fillRandom(t, rng, reflect.ValueOf(&c).Elem())
		checkElement(t, &c, func(b []byte) ([]byte, bool) { return appendCallJSON(b, &c), true })

		var s analyze.Stream
		fillRandom(t, rng, reflect.ValueOf(&s).Elem())
		checkElement(t, &s, func(b []byte) ([]byte, bool) { return appendStreamJSON(b, &s) })

		var f analyze.Finding
		fillRandom(t, rng, reflect.ValueOf(&f).Elem())
		checkElement(t, &f, func(b []byte) ([]byte, bool) { return appendFindingJSON(b, &f), true })
	}
	// The zero values: every omitempty member left out.
	checkElement(t, &analyze.Call{}, func(b []byte) ([]byte, bool) { return appendCallJSON(b, &analyze.Call{}), true })
	checkElement(t, &analyze.Stream{}, func(b []byte) ([]byte, bool) { return appendStreamJSON(b, &analyze.Stream{}) })
	checkElement(t, &analyze.Finding{}, func(b []byte) ([]byte, bool) { return appendFindingJSON(b, &analyze.Finding{}), true })
}

// TestStreamNaNLeftToEncodingJSON: a float encoding/json refuses is left to it, so that
// Render fails with its error, naming the element.
func TestStreamNaNLeftToEncodingJSON(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(-1)
	for _, s := range []analyze.Stream{
		{JitterMeanMs: nan}, {JitterMaxMs: inf}, {MaxDeltaMs: nan}, {MOS: math.Inf(1)},
		{RTCPJitterMs: &nan},
	} {
		checkElement(t, &s, func(b []byte) ([]byte, bool) { return appendStreamJSON(b, &s) })
	}
	r := &analyze.Report{Streams: []analyze.Stream{{SSRC: "0x00000001"}, {SSRC: "0x00000002", MOS: nan}}}
	var out bytes.Buffer
	err := (&JSON{}).Render(&out, r)
	if err == nil || !strings.Contains(err.Error(), "streams 1") || !strings.Contains(err.Error(), "NaN") {
		t.Fatalf("Render of a NaN MOS: error %v, want one naming streams 1 and NaN", err)
	}
}

// FuzzElementsAsEncodingJSON compares the hand-written encoders with encoding/json on
// fuzzed strings, numbers and floats.
func FuzzElementsAsEncodingJSON(f *testing.F) {
	for i, s := range jsonTestStrings {
		f.Add(s, jsonTestStrings[(i+1)%len(jsonTestStrings)], jsonTestInts[i%len(jsonTestInts)], jsonTestFloats[i%len(jsonTestFloats)], i%2 == 0)
	}
	f.Fuzz(func(t *testing.T, a, b string, n int, x float64, flag bool) {
		c := analyze.Call{
			CallID: a, Direction: analyze.Direction(b), Path: analyze.Path(a), Edge: b, Gateway: a,
			Input: b, FirstPacket: n, Start: a, End: b, FinalStatus: n, SIPMessages: -n, From: a,
			To: b, RequestURI: a, SBC: b, Transport: a, Findings: n, Rules: []string{a, b},
			Messages:     []analyze.Message{{Packet: n, Time: a, Src: b, Dst: a, Transport: b, Label: a, CSeq: b, SDP: flag}},
			MediaStreams: n,
		}
		checkElement(t, &c, func(buf []byte) ([]byte, bool) { return appendCallJSON(buf, &c), true })
		lost := -n
		s := analyze.Stream{
			Src: a, Dst: b, SSRC: a, CallID: b, Input: a, Packets: n, Bytes: n, Lost: -n,
			Duplicates: n, OutOfOrder: n, JitterMeanMs: x, JitterMaxMs: -x, MaxDeltaMs: x,
			Codec: b, PayloadTypes: []int{n, 0}, MOS: x, FirstPacket: n, Start: a, End: b,
			SRTP: flag, Announced: !flag, RTCPLost: &lost, RTCPJitterMs: &x,
		}
		checkElement(t, &s, func(buf []byte) ([]byte, bool) { return appendStreamJSON(buf, &s) })
		fd := analyze.Finding{
			Rule: a, Severity: analyze.Severity(b), CallID: a, Input: b, Packet: n, Time: a,
			Src: b, Dst: a, Transport: b, Message: a, Evidence: b, Key: a, Known: flag,
		}
		checkElement(t, &fd, func(buf []byte) ([]byte, bool) { return appendFindingJSON(buf, &fd), true })
	})
}
