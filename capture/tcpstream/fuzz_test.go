package tcpstream

import (
	"encoding/binary"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// fuzzParts are what a fuzzed stream is made of. Keep-alives are not messages.
var fuzzParts = []string{
	msgInvite,
	msgTrying,
	msgBye,
	sipMessage("SIP/2.0 180 Ringing", "f1", 40),
	sipMessage("OPTIONS sip:ping@example.pstn.twilio.com SIP/2.0", "f2", -1),
	"\r\n\r\n",
}

// byteSource hands out the fuzz input one byte at a time, then zeros.
type byteSource []byte

func (s *byteSource) next() int {
	if len(*s) == 0 {
		return 0
	}
	c := (*s)[0]
	*s = (*s)[1:]
	return int(c)
}

// FuzzAssembler cuts a stream of known messages into segments of fuzzed sizes, adds
// retransmissions of fuzzed ranges and duplicates, shuffles them, and may drop some or
// leave out the SYN. Whatever the input:
//   - nothing panics, and after Flush every segment has one disposition and every byte
//     taken was delivered or skipped;
//   - every message delivered is one of the stream's messages, in stream order;
//   - when the SYN and every byte were captured, the messages delivered are exactly the
//     stream's, each attributed to the packet that completed it, with no gap and every
//     segment Used or Retransmitted.
func FuzzAssembler(f *testing.F) {
	f.Add([]byte{0})
	f.Add([]byte{0, 0xff, 0xff, 0xff, 0x80, 4, 10, 200, 1, 1, 1, 3, 7, 90, 91, 92, 5, 5})
	f.Add([]byte{1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18})
	f.Add([]byte{2, 1, 2, 3, 4, 0x55, 0xaa, 0x55, 0xaa, 0x10, 0x20, 0x30, 0x40, 0x50})
	f.Add([]byte{6, 0x7f, 0xff, 0xff, 0xf0, 5, 0, 1, 2, 3, 4, 5, 200, 150, 100, 50, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		src := byteSource(data)
		mode := src.next()
		lossy, noSYN, closeWithFIN := mode&1 != 0, mode&2 != 0, mode&4 != 0
		var isnb [4]byte
		for i := range isnb {
			isnb[i] = byte(src.next())
		}
		isn := binary.BigEndian.Uint32(isnb[:])

		// The stream: up to 6 parts.
		var parts []string
		var stream string
		for range 1 + src.next()%6 {
			p := fuzzParts[src.next()%len(fuzzParts)]
			parts = append(parts, p)
			stream += p
		}
		// Segments: fuzzed lengths, then retransmissions of fuzzed ranges.
		var segs [][2]int
		for off := 0; off < len(stream); {
			n := 1 + src.next()%120
			segs = append(segs, [2]int{off, min(off+n, len(stream))})
			off += n
		}
		for range src.next() % 8 {
			from := src.next() * len(stream) / 256
			to := min(len(stream), from+1+src.next()*2)
			segs = append(segs, [2]int{from, to})
		}
		for i := range segs {
			if src.next()%5 == 0 {
				segs = append(segs, segs[i])
			}
		}
		// Shuffle: each segment may move up to a few places back.
		for i := len(segs) - 1; i > 0; i-- {
			j := i - src.next()%min(i+1, 6)
			segs[i], segs[j] = segs[j], segs[i]
		}
		if lossy {
			kept := segs[:0]
			for _, sg := range segs {
				if src.next()%7 != 0 {
					kept = append(kept, sg)
				}
			}
			segs = kept
		}

		rec := &recorder{}
		a := New(Config{}, sipFramer, rec)
		packet, calls := 0, 0
		at := func(p int) time.Time { return t0.Add(time.Duration(p) * time.Millisecond) }
		send := func(seq uint32, flags uint8, payload string) {
			packet++
			calls++
			a.Segment(packet, at(packet), tcpFrame(clientAP, serverAP, seq, flags, []byte(payload)))
		}
		if !noSYN {
			send(isn, syn, "")
		}
		first := packet
		for _, sg := range segs {
			send(isn+1+uint32(sg[0]), psh, stream[sg[0]:sg[1]])
		}
		if closeWithFIN {
			send(isn+1+uint32(len(stream)), fin, "")
		}
		a.Flush()

		checkSettled(t, a)
		st := a.Stats()
		if st.Segments != calls {
			t.Fatalf("Segments = %d, want %d", st.Segments, calls)
		}
		// Every message delivered is a part of the stream, in stream order. After missing
		// bytes it may also be the end of one: a hole that ends inside "BYE sip:..." leaves
		// "YE sip:...", a start line as good as any to a Framer that cannot know what came
		// before it.
		resynced := noSYN || lossy
		next := 0
		for _, m := range rec.msgs {
			for next < len(parts) && parts[next] != m.Data && !(resynced && strings.HasSuffix(parts[next], m.Data)) {
				next++
			}
			if next == len(parts) {
				t.Fatalf("delivered %q, which is not the next message of the stream %q", m.Data, parts)
			}
			next++
		}
		complete := coveredAt(segs, len(stream)) > 0
		if noSYN || !complete {
			return
		}
		// Nothing was missing: exactly the messages, each when its last byte came.
		var want []delivered
		end := 0
		for _, p := range parts {
			end += len(p)
			if p == "\r\n\r\n" {
				continue
			}
			pk := first + coveredAt(segs, end)
			want = append(want, delivered{clientTo, p, pk, at(pk)})
		}
		if len(want) != len(rec.msgs) {
			t.Fatalf("delivered %d messages, want %d", len(rec.msgs), len(want))
		}
		for i := range want {
			if want[i].Data != rec.msgs[i].Data || want[i].Packet != rec.msgs[i].Packet {
				t.Fatalf("message %d delivered in packet %d, want %d (%q)", i, rec.msgs[i].Packet, want[i].Packet, want[i].Data[:20])
			}
		}
		if len(rec.gaps) != 0 {
			t.Fatalf("gaps %v with no byte missing", rec.gaps)
		}
		if st.Used+st.Retransmitted != st.Segments || st.Bytes != int64(len(stream)) || st.BytesDelivered+int64(countCRLF(parts)) != st.Bytes {
			t.Fatalf("stats %+v with no byte missing: want every segment Used or Retransmitted, every byte once", st)
		}
	})
}

func countCRLF(parts []string) int {
	n := 0
	for _, p := range parts {
		if p == "\r\n\r\n" {
			n += len(p)
		}
	}
	return n
}

// FuzzAssemblerChaos sends fuzzed segments of four connections with small limits: any
// flags, sequence numbers anywhere within 16 MiB of the start, cut payloads, and time that
// jumps past the hole and idle timeouts. Each direction carries the same messages over and
// over, so that the bytes at a sequence number are always the same. Whatever happens:
//   - nothing panics, and after Flush every segment has one disposition and every byte
//     taken was delivered or skipped;
//   - every message delivered is one of the messages, or the end of one (after missing
//     bytes the Framer may start inside a start line);
//   - once a segment is handled, the memory held is within MaxBufferTotal.
func FuzzAssemblerChaos(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15})
	f.Add([]byte{0x10, 0, 0, 9, 200, 0x21, 0, 3, 9, 200, 0x32, 0, 0, 0, 5, 0x43, 1, 0, 0, 90})
	f.Add([]byte{0x04, 0, 0, 0, 255, 0x04, 0, 0, 2, 255, 0x14, 0, 0, 1, 255, 0x84, 0, 0, 0, 1})
	f.Fuzz(chaosOnce)
}

// chaosOnce is one run of FuzzAssemblerChaos.
func chaosOnce(t *testing.T, data []byte) {
	const (
		maxTotal  = 4096
		maxStream = 1536
	)
	stream := strings.Join(fuzzParts, "")
	src := byteSource(data)
	rec := &recorder{}
	a := New(Config{MaxStreams: 3, MaxBufferPerStream: maxStream, MaxBufferTotal: maxTotal,
		HoleTimeout: 10 * time.Second, IdleTimeout: time.Minute}, sipFramer, rec)
	isn := [4]uint32{0xfffffff0, 0, 1 << 31, 12345}
	now := t0
	calls, peak := 0, 0
	for packet := 1; len(src) > 0; packet++ {
		op := src.next()
		conn := op & 3
		client := netip.AddrPortFrom(clientAP.Addr(), uint16(50000+conn))
		from, to := client, serverAP
		if op&4 != 0 {
			from, to = serverAP, client
		}
		off := (src.next()<<16 | src.next()<<8 | src.next()) % (16 << 20)
		n := src.next() * 3
		var flags uint8
		switch op >> 5 {
		case 0, 1, 2:
			flags = psh
		case 3:
			flags = fin
		case 4:
			flags = rst
		case 5:
			flags, off, n = syn, -1, 0
		case 6:
			flags = ack
			n = 0
		case 7:
			flags = psh | fin
		}
		payload := make([]byte, n)
		for i := range payload {
			payload[i] = stream[(off+i)%len(stream)]
		}
		cut := op&8 != 0 && n > 1
		fr := tcpFrame(from, to, isn[conn]+1+uint32(off), flags, payload)
		if cut {
			fr.Payload, fr.Cut = payload[:n/2], true
		}
		switch op & 0x10 {
		case 0:
			now = now.Add(time.Millisecond)
		default:
			now = now.Add(time.Duration(src.next()%4) * 11 * time.Second)
		}
		a.Segment(packet, now, fr)
		calls++
		peak = max(peak, a.total)
	}
	a.Flush()
	checkSettled(t, a)
	if st := a.Stats(); st.Segments != calls {
		t.Fatalf("Segments = %d, want %d", st.Segments, calls)
	}
	if peak > maxTotal {
		t.Fatalf("%d bytes held after a segment, want at most MaxBufferTotal = %d", peak, maxTotal)
	}
	for _, m := range rec.msgs {
		ok := false
		for _, p := range fuzzParts {
			ok = ok || strings.HasSuffix(p, m.Data)
		}
		if !ok {
			t.Fatalf("delivered %q, which is no message of the stream nor the end of one", m.Data)
		}
	}
}
