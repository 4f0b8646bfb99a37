package sip

import (
	"bytes"
	"strings"
	"testing"
)

const (
	frameMsgA = "OPTIONS sip:a@h SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nCall-ID: a\r\nContent-Length: 5\r\n\r\nhello"
	frameMsgB = "SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nCall-ID: a\r\nl:3\r\n\r\nabc"
	frameNoCL = "BYE sip:a@h SIP/2.0\r\nCall-ID: b\r\n\r\n"
)

func TestFrame(t *testing.T) {
	big := "INVITE sip:a@h SIP/2.0\r\nContent-Length: 99999999\r\n\r\n"
	tests := []struct {
		name  string
		buf   string
		atEOF bool
		want  int
	}{
		{name: "empty", buf: "", want: 0},
		{name: "one message", buf: frameMsgA, want: len(frameMsgA)},
		{name: "two messages in one segment", buf: frameMsgA + frameMsgB, want: len(frameMsgA)},
		{name: "compact l", buf: frameMsgB + "junk", want: len(frameMsgB)},
		{name: "no Content-Length: no body", buf: frameNoCL + "hello", want: len(frameNoCL)},
		{name: "bare LF", buf: "BYE sip:a@h SIP/2.0\nl: 2\n\nhiBYE", want: len("BYE sip:a@h SIP/2.0\nl: 2\n\nhi")},
		{name: "bad Content-Length: no body", buf: "BYE sip:a@h SIP/2.0\r\nContent-Length: x\r\n\r\nrest", want: len("BYE sip:a@h SIP/2.0\r\nContent-Length: x\r\n\r\n")},
		{name: "negative Content-Length: no body", buf: "BYE sip:a@h SIP/2.0\r\nContent-Length: -5\r\n\r\nrest", want: len("BYE sip:a@h SIP/2.0\r\nContent-Length: -5\r\n\r\n")},
		{name: "first Content-Length wins", buf: "BYE sip:a@h SIP/2.0\r\nContent-Length: 1\r\nContent-Length: 3\r\n\r\nabc", want: len("BYE sip:a@h SIP/2.0\r\nContent-Length: 1\r\nContent-Length: 3\r\n\r\na")},
		{name: "folded Content-Length", buf: "BYE sip:a@h SIP/2.0\r\nContent-Length:\r\n  3\r\n\r\nabcd", want: len("BYE sip:a@h SIP/2.0\r\nContent-Length:\r\n  3\r\n\r\nabc")},
		{name: "folded Content-Length, bare LF", buf: "BYE sip:a@h SIP/2.0\nl:\n\t2\n\nabcd", want: len("BYE sip:a@h SIP/2.0\nl:\n\t2\n\nab")},
		{name: "folded line is not Content-Length", buf: "BYE sip:a@h SIP/2.0\r\nX: y\r\n Content-Length: 3\r\n\r\nabc", want: len("BYE sip:a@h SIP/2.0\r\nX: y\r\n Content-Length: 3\r\n\r\n")},
		{name: "body incomplete", buf: frameMsgA[:len(frameMsgA)-1], want: 0},
		{name: "body incomplete at EOF", buf: frameMsgA[:len(frameMsgA)-1], atEOF: true, want: len(frameMsgA) - 1},
		{name: "headers incomplete", buf: frameMsgA[:40], want: 0},
		{name: "headers incomplete at EOF", buf: frameMsgA[:40], atEOF: true, want: 40},
		{name: "start line incomplete", buf: "OPTIONS sip:a@", want: 0},
		{name: "start line incomplete at EOF", buf: "OPTIONS sip:a@", atEOF: true, want: len("OPTIONS sip:a@")},
		{name: "response start incomplete", buf: "SIP/2.", want: 0},
		{name: "CRLF keep-alive", buf: "\r\n\r\n" + frameMsgA, want: -4},
		{name: "CRLF pong", buf: "\r\n", want: -2},
		{name: "garbage line then message", buf: "garbage here\r\n" + frameMsgA, want: -len("garbage here\r\n")},
		{name: "binary then message", buf: "\x80\x00\x01\x02\n" + frameMsgB, want: -5},
		{name: "HTTP on 5060", buf: "GET / HTTP/1.1\r\nHost: x\r\n\r\n", want: -len("GET / HTTP/1.1\r\nHost: x\r\n\r\n")},
		{name: "garbage without newline waits for its end", buf: "\x16\x03\x01\x00\x05hello", want: 0},
		{name: "garbage without newline at EOF", buf: "\x16\x03\x01\x00\x05hello", atEOF: true, want: -10},
		{name: "garbage then partial start line", buf: "xx yy\r\nINVITE sip:", want: -len("xx yy\r\n")},
		{name: "garbage then unfinished line", buf: "xx yy\r\nnot a start", want: -len("xx yy\r\n")},
		{name: "garbage then unfinished line at EOF", buf: "xx yy\r\nnot a start", atEOF: true, want: -len("xx yy\r\nnot a start")},
		{name: "message right after a body without line break", buf: "zzzzzzSIP/2.0 200 OK\r\nl: 0\r\n\r\n", want: -6},
		{name: "request right after a body without line break", buf: "}}INVITE sip:a@h SIP/2.0\r\nl: 0\r\n\r\n", want: -2},
		{name: "method name inside garbage is not enough", buf: "xxINVITE is a word\r\nSIP/2.0 200 OK\r\n\r\n", want: -len("xxINVITE is a word\r\n")},
		{name: "unfinished candidate inside a line", buf: "xxxSIP/2", want: -3},
		{name: "rest of a body after a gap", buf: "a=rtpmap:0 PCMU/8000\r\n\r\nSIP/2.0 180 Ringing\r\nl: 0\r\n\r\n", want: -len("a=rtpmap:0 PCMU/8000\r\n\r\n")},
		{name: "Content-Length over the cap: headers plus the cap", buf: big + strings.Repeat("x", MaxFrameBody+10), want: len(big) + MaxFrameBody},
		{name: "Content-Length over the cap: waits at most the cap", buf: big + strings.Repeat("x", MaxFrameBody-1), want: 0},
		{name: "Content-Length over the cap at EOF", buf: big + "xyz", atEOF: true, want: len(big) + 3},
		{name: "headers over the cap are skipped", buf: "OPTIONS sip:a@h SIP/2.0\r\n" + strings.Repeat("X: y\r\n", MaxFrameHeader/6+1), want: -len("OPTIONS sip:a@h SIP/2.0\r\n")},
		{name: "endless start line is skipped", buf: "OPTIONS sip:" + strings.Repeat("a", MaxFrameHeader), want: -(MaxFrameHeader + len("OPTIONS sip:"))},
		{name: "long but legal request line", buf: "OPTIONS sip:" + strings.Repeat("a", 9000) + "@h SIP/2.0\r\nl: 0\r\n\r\n", want: len("OPTIONS sip:" + strings.Repeat("a", 9000) + "@h SIP/2.0\r\nl: 0\r\n\r\n")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Frame([]byte(tt.buf), tt.atEOF); got != tt.want {
				t.Errorf("Frame(%.60q…, %v) = %d, want %d", tt.buf, tt.atEOF, got, tt.want)
			}
		})
	}
}

// TestFrameStream feeds a stream through Frame the way a TCP assembler would, in chunks of
// every size from 1 byte up, and checks that it yields exactly the messages in order and
// skips exactly the keep-alives and garbage.
func TestFrameStream(t *testing.T) {
	invite := readTestdata(t, "invite.sip")
	stream := []byte("\r\n\r\n" + frameMsgA + frameMsgB + "\r\n" + "junk line\r\n" + frameNoCL + string(invite) + frameMsgA)
	want := []string{frameMsgA, frameMsgB, frameNoCL, string(invite), frameMsgA}
	wantSkipped := len("\r\n\r\n") + len("\r\n") + len("junk line\r\n")
	for chunk := 1; chunk <= len(stream); chunk += 1 + chunk/3 {
		var buf []byte
		var got []string
		skipped := 0
		for fed := 0; ; {
			end := min(fed+chunk, len(stream))
			buf = append(buf, stream[fed:end]...)
			fed = end
			atEOF := fed == len(stream)
			for len(buf) > 0 {
				n := Frame(buf, atEOF)
				if n == 0 {
					if atEOF {
						t.Fatalf("chunk %d: Frame returned 0 at EOF with %d bytes", chunk, len(buf))
					}
					break
				}
				if n < 0 {
					skipped += -n
					buf = buf[-n:]
					continue
				}
				got = append(got, string(buf[:n]))
				var m Message
				if err := m.Parse(buf[:n]); err != nil || m.Len() != n {
					t.Fatalf("chunk %d: framed message does not parse whole: %v, Len %d of %d", chunk, err, m.Len(), n)
				}
				buf = buf[n:]
			}
			if atEOF {
				break
			}
		}
		if len(got) != len(want) {
			t.Fatalf("chunk %d: %d messages, want %d", chunk, len(got), len(want))
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("chunk %d: message %d = %.80q, want %.80q", chunk, i, got[i], want[i])
			}
		}
		if skipped != wantSkipped {
			t.Fatalf("chunk %d: skipped %d bytes, want %d", chunk, skipped, wantSkipped)
		}
	}
}

// TestFrameCapAgreesWithParse checks the over-the-cap contract end to end: the framed
// message parses with BodyTruncated, and what follows is skipped up to the next message.
func TestFrameCapAgreesWithParse(t *testing.T) {
	head := "MESSAGE sip:a@h SIP/2.0\r\nContent-Length: 200000\r\n\r\n"
	stream := []byte(head + strings.Repeat("z", 200000) + frameMsgB)
	n := Frame(stream, false)
	if n != len(head)+MaxFrameBody {
		t.Fatalf("Frame = %d, want %d", n, len(head)+MaxFrameBody)
	}
	var m Message
	if err := m.Parse(stream[:n]); err != nil {
		t.Fatal(err)
	}
	if !m.BodyTruncated() {
		t.Error("a message cut at the cap does not report BodyTruncated")
	}
	rest := stream[n:]
	skip := Frame(rest, false)
	if skip >= 0 || !bytes.HasPrefix(rest[-skip:], []byte(frameMsgB)) {
		t.Fatalf("after the cap Frame = %d, want a skip to the next message", skip)
	}
}

func TestLooksLikeSIP(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"INVITE sip:a@h SIP/2.0\r\n", true},
		{"OPTIONS sips:a@h SIP/2.0\r\nVia: x\r\n", true},
		{"REGISTER tel:+1 SIP/2.0", true},
		{"SIP/2.0 200 OK\r\n", true},
		{"SIP/2.0 100\r\n", true},
		{"sip/2.0 180 Ringing\r\n", true},
		{"\r\n\r\nBYE sip:a@h SIP/2.0\r\n", true},
		{"!interesting-Method sip:a@h SIP/2.0\r\n", true},
		{"HTTP/1.1 200 OK\r\n", false},
		{"GET / HTTP/1.1\r\n", false},
		{"OPTIONS * HTTP/1.1\r\n", false},
		{"INVITE sip:a@h HTTP/1.1\r\n", false},
		{"SIP/2.0 20 OK\r\n", false},
		{"SIP/2.0 2000 OK\r\n", false},
		{"SIP/2.0\r\n", false},
		{"INVITE\r\n", false},
		{"INVITE sip:a@h\r\n", false},
		{"INVITE  SIP/2.0\r\n", false},
		{"\x80\x00\x01\x02", false},
		{"", false},
		{"\r\n", false},
		{strings.Repeat("A", 40) + " sip:a@h SIP/2.0\r\n", false},
	}
	for _, tt := range tests {
		if got := LooksLikeSIP([]byte(tt.in)); got != tt.want {
			t.Errorf("LooksLikeSIP(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestFrameDoesNotAllocate(t *testing.T) {
	buf := readTestdata(t, "invite.sip")
	allocs := testing.AllocsPerRun(100, func() {
		_ = Frame(buf, false)
		_ = Frame([]byte("junk\r\nmore junk"), false)
		_ = LooksLikeSIP(buf)
	})
	if allocs != 0 {
		t.Errorf("%v allocations, want 0", allocs)
	}
}
