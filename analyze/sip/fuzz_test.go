package sip

import (
	"bytes"
	"errors"
	"path/filepath"
	"testing"
)

// seedCorpus adds every testdata message to a fuzz corpus.
func seedCorpus(f *testing.F) [][]byte {
	files, _ := filepath.Glob("testdata/*.sip")
	var seeds [][]byte
	for _, file := range files {
		data := readTestdata(f, filepath.Base(file))
		seeds = append(seeds, data)
		f.Add(data)
	}
	return seeds
}

// FuzzParse checks, for any input: Parse does not panic; it fails only with the package's
// sentinels; what it returns stays inside the input and agrees with itself; parsing the
// input after another message into the same Message equals parsing it fresh; and the
// Request-URI survives a String and ParseURI round trip.
func FuzzParse(f *testing.F) {
	seeds := seedCorpus(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		var fresh Message
		err := fresh.Parse(data)
		if err != nil {
			if !errors.Is(err, ErrNotSIP) && !errors.Is(err, ErrKeepAlive) && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooManyHeaders) {
				t.Fatalf("unexpected error %v", err)
			}
		} else {
			checkInvariants(t, &fresh, data)
		}
		for _, seed := range seeds[:3] {
			var reused Message
			_ = reused.Parse(seed)
			errReused := reused.Parse(data)
			if !sameError(err, errReused) || !equalMessages(&fresh, &reused) {
				t.Fatalf("parse after %.30q differs from a fresh parse (-fresh +reused):\n%s", seed, diffText(dump(&fresh), dump(&reused)))
			}
		}
		if u, uerr := fresh.RequestURI(); uerr == nil && !u.IsZero() {
			roundTrip(t, u)
		}
		for _, na := range fresh.Contacts() {
			if !na.URI.IsZero() {
				roundTrip(t, na.URI)
			}
		}
	})
}

// FuzzParseURI checks that ParseURI does not panic, that a parsed URI stays inside its
// input, and that it survives a String and ParseURI round trip.
func FuzzParseURI(f *testing.F) {
	for _, s := range []string{
		"sip:alice@atlanta.com", "sips:a:b@[2001:db8::1]:5061;transport=tls?x=y", "tel:+1-201-555-0123;ext=1",
		"sip:+1;isub=2@h;user=phone", "sip:fec0:0:0:0:216:d3ff:fe0d:22c:5060", "sip:h:", "sip:[::1", "x:y",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		u, err := ParseURI(data)
		if err != nil {
			if err != ErrBadURI && err != ErrUnsupportedScheme {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		for _, part := range [][]byte{u.Scheme, u.User, u.Password, u.Host, u.Params, u.Headers} {
			if len(part) > 0 && !within(part, data) {
				t.Fatalf("a part of %q lies outside the input", data)
			}
		}
		roundTrip(t, u)
	})
}

// FuzzParseNameAddr checks that ParseNameAddr and ParseVia do not panic on any input.
func FuzzParseNameAddr(f *testing.F) {
	for _, s := range []string{`"Bob" <sip:bob@x;edge=y>;tag=1`, `sip:a@h;tag=2`, `"a\"b" <tel:+1>`, `SIP / 2.0 / UDP h : 5060 ; branch = z9hG4bK`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		na, err := ParseNameAddr(data)
		if err == nil && !na.URI.IsZero() {
			roundTrip(t, na.URI)
		}
		_ = na.Tag()
		v, _ := ParseVia(data)
		_, _ = v.Param("branch")
	})
}

// FuzzFrame checks Frame's contract on any stream: the result is within the buffer, never
// 0 at EOF, a framed message is framed again the same way, and cutting the stream into two
// pieces frames it exactly as feeding it whole.
func FuzzFrame(f *testing.F) {
	seeds := seedCorpus(f)
	f.Add([]byte("\r\n\r\njunk\r\nxxINVITE sip:a@h SIP/2.0\r\nl: 3\r\n\r\nabcSIP/2.0 200 OK\r\n\r\n"))
	f.Add(append(append([]byte{}, seeds[0]...), seeds[1]...))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, atEOF := range []bool{false, true} {
			n := Frame(data, atEOF)
			if n > len(data) || -n > len(data) || (atEOF && len(data) > 0 && n == 0) || (len(data) == 0 && n != 0) {
				t.Fatalf("Frame(%d bytes, %v) = %d", len(data), atEOF, n)
			}
			if n > 0 {
				if again := Frame(data[:n], atEOF); again != n {
					t.Fatalf("Frame of its own message = %d, want %d", again, n)
				}
				// Frame and Parse read Content-Length the same way.
				var m Message
				if m.Parse(data[:n]) == nil && !atEOF {
					cl, ok := m.ContentLength()
					if ok && cl >= 0 && cl <= MaxFrameBody && len(m.Body()) != cl {
						t.Fatalf("Frame gave a body of %d bytes, Parse reads Content-Length %d", len(m.Body()), cl)
					}
					if m.Len() != n {
						t.Fatalf("Frame gave %d bytes, Parse reads a message of %d", n, m.Len())
					}
				}
			}
		}
		whole, wholeSkipped := frameStream(t, data, len(data))
		for _, cut := range []int{1, len(data) / 2, len(data) - 1} {
			if cut <= 0 || cut >= len(data) {
				continue
			}
			got, skipped := frameStream(t, data, cut)
			if skipped != wholeSkipped || len(got) != len(whole) {
				t.Fatalf("cut at %d: %d messages, %d skipped; whole: %d messages, %d skipped", cut, len(got), skipped, len(whole), wholeSkipped)
			}
			for i := range got {
				if !bytes.Equal(got[i], whole[i]) {
					t.Fatalf("cut at %d: message %d = %q, whole gives %q", cut, i, got[i], whole[i])
				}
			}
		}
	})
}

// frameStream feeds data to Frame in two pieces, the first cut bytes long, the way a TCP
// assembler would, and returns the messages and the number of bytes skipped.
func frameStream(t *testing.T, data []byte, cut int) (msgs [][]byte, skipped int) {
	var buf []byte
	for p, piece := range [][]byte{data[:cut], data[cut:]} {
		buf = append(buf, piece...)
		atEOF := p == 1
		for len(buf) > 0 {
			n := Frame(buf, atEOF)
			if n == 0 {
				break
			}
			if n < 0 {
				skipped += -n
				buf = buf[-n:]
				continue
			}
			msgs = append(msgs, buf[:n:n])
			buf = buf[n:]
		}
	}
	return msgs, skipped
}

// checkInvariants checks what a successful Parse promises about its result.
func checkInvariants(t *testing.T, m *Message, data []byte) {
	t.Helper()
	if m.Len() > len(data) || m.HeaderLen() > m.Len() || !bytes.Equal(m.Bytes(), data[:m.Len()]) {
		t.Fatalf("Len %d, HeaderLen %d of %d bytes", m.Len(), m.HeaderLen(), len(data))
	}
	body := m.Body()
	if len(body) != m.Len()-m.HeaderLen() || (len(body) > 0 && !within(body, data)) {
		t.Fatalf("body of %d bytes is not the end of the message", len(body))
	}
	if n, ok := m.ContentLength(); ok && n >= 0 && !m.BodyTruncated() && len(body) != n {
		t.Fatalf("Content-Length %d but body %d bytes", n, len(body))
	}
	if sdp := m.SDP(); len(sdp) > 0 && !within(sdp, body) {
		t.Fatal("SDP lies outside the body")
	}
	for _, h := range m.Headers() {
		if !within(h.Name, data) || (len(h.Value) > 0 && !within(h.Value, data)) {
			t.Fatal("a header lies outside the input")
		}
	}
	if m.IsRequest() == m.IsResponse() {
		t.Fatal("a message must be a request or a response")
	}
}

// roundTrip checks that a URI's text form parses back to the same components.
func roundTrip(t *testing.T, u URI) {
	t.Helper()
	s := u.String()
	v, err := ParseURI([]byte(s))
	if err != nil {
		t.Fatalf("ParseURI(%q), from %s: %v", s, dumpURI(u), err)
	}
	if dumpURI(u) != dumpURI(v) {
		t.Fatalf("round trip through %q:\n got %s\nwant %s", s, dumpURI(v), dumpURI(u))
	}
}

// within reports whether inner lies inside outer's memory.
func within(inner, outer []byte) bool {
	if len(inner) == 0 {
		return true
	}
	for k := range outer {
		if &outer[k] == &inner[0] {
			return k+len(inner) <= len(outer)
		}
	}
	return false
}

func diffText(a, b string) string {
	if a == b {
		return "(dumps equal; internal fields differ)"
	}
	return "fresh:\n" + a + "\nreused:\n" + b
}
