package main

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"slices"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/pion/rtcp"
)

// benchConfig sizes the benchmark capture.
type benchConfig struct {
	calls       int
	seconds     float64 // RTP seconds per call
	concurrency int     // calls in progress at once, on average
}

func (c benchConfig) validate() error {
	switch {
	case c.calls < 1 || c.calls > 1_000_000:
		return fmt.Errorf("-calls %d: want 1 to 1000000", c.calls)
	case c.seconds < 0.1 || c.seconds > 3600:
		return fmt.Errorf("-seconds %g: want 0.1 to 3600", c.seconds)
	case c.concurrency < 1 || c.concurrency > 100_000:
		return fmt.Errorf("-concurrency %d: want 1 to 100000", c.concurrency)
	}
	return nil
}

// benchTruth is what the benchmark capture holds, written to FILE.truth.json. A correct
// audit finds no finding in it (exit code 0) and every call on the Interconnect path.
type benchTruth struct {
	File         string         `json:"file"`
	Bytes        int64          `json:"bytes"`
	Packets      int            `json:"packets"`
	SIPMessages  int            `json:"sip_messages"`
	Calls        int            `json:"calls"`
	RTPStreams   int            `json:"rtp_streams"`
	RTPPackets   int            `json:"rtp_packets"`
	RTCPPackets  int            `json:"rtcp_packets"`
	CallsByEdge  map[string]int `json:"calls_by_edge"`
	CallsByPath  map[string]int `json:"calls_by_path"`
	Termination  int            `json:"termination"`
	Origination  int            `json:"origination"`
	Findings     int            `json:"findings"`
	ExitCode     int            `json:"exit_code"`
	SecondsCall  float64        `json:"rtp_seconds_per_call"`
	Concurrency  int            `json:"concurrency"`
	MaxInFlight  int            `json:"max_calls_in_progress"`
	Start        string         `json:"start"`
	End          string         `json:"end"`
	LinkType     string         `json:"link_type"`
	Command      string         `json:"command"`
	GeneratorRun string         `json:"note"`
}

// Offsets in an Ethernet + IPv4 + UDP + RTP frame.
const (
	offIPID   = 14 + 4
	offIPSum  = 14 + 10
	offUDP    = 14 + 20
	offUDPSum = offUDP + 6
	offRTP    = offUDP + 8
)

// benchSource yields packets in time order: either prebuilt frames (a call's SIP and RTCP)
// or an RTP stream whose packets are patched from one template.
type benchSource struct {
	t  int64  // time of the next packet, ns since the Unix epoch
	id uint64 // creation order, to break ties deterministically

	// Prebuilt frames.
	frames [][]byte
	times  []int64
	k      int

	// An RTP stream.
	tmpl     []byte
	left     int
	seq      uint16
	ts       uint32
	ipID     uint16
	sent     int
	start    int64
	rng      uint64 // xorshift state for jitter
	spawning bool   // the source that starts calls
	endsCall bool   // the frames source whose last frame ends a call
}

// benchHeap is a min-heap of sources by (t, id).
type benchHeap []*benchSource

func (h benchHeap) less(i, j int) bool {
	if h[i].t != h[j].t {
		return h[i].t < h[j].t
	}
	return h[i].id < h[j].id
}

func (h *benchHeap) push(s *benchSource) {
	*h = append(*h, s)
	q := *h
	for i := len(q) - 1; i > 0; {
		p := (i - 1) / 2
		if !q.less(i, p) {
			break
		}
		q[i], q[p] = q[p], q[i]
		i = p
	}
}

// fix restores the heap after the root's time grew.
func (h benchHeap) fix() {
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(h) && h.less(l, m) {
			m = l
		}
		if r < len(h) && h.less(r, m) {
			m = r
		}
		if m == i {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

func (h *benchHeap) pop() {
	q := *h
	q[0] = q[len(q)-1]
	*h = q[:len(q)-1]
	h.fix()
}

// checksum returns the Internet checksum of b, starting from sum.
func checksum(b []byte, sum uint32) uint16 {
	for len(b) >= 2 {
		sum += uint32(b[0])<<8 | uint32(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		sum += uint32(b[0]) << 8
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}

// patchRTP rewrites the template for the next packet: IPv4 identification and checksum,
// RTP marker, sequence number, timestamp and payload, UDP checksum.
func (s *benchSource) patchRTP(payload []byte) []byte {
	f := s.tmpl
	binary.BigEndian.PutUint16(f[offIPID:], s.ipID)
	f[offIPSum], f[offIPSum+1] = 0, 0
	binary.BigEndian.PutUint16(f[offIPSum:], checksum(f[14:34], 0))
	f[offRTP+1] &^= 0x80
	if s.sent == 0 {
		f[offRTP+1] |= 0x80
	}
	binary.BigEndian.PutUint16(f[offRTP+2:], s.seq)
	binary.BigEndian.PutUint32(f[offRTP+4:], s.ts)
	copy(f[offRTP+12:], payload)
	f[offUDPSum], f[offUDPSum+1] = 0, 0
	udpLen := uint32(len(f) - offUDP)
	var pseudo uint32
	for i := 26; i < 34; i += 2 {
		pseudo += uint32(f[i])<<8 | uint32(f[i+1])
	}
	pseudo += 17 + udpLen
	c := checksum(f[offUDP:], pseudo)
	if c == 0 {
		c = 0xffff
	}
	binary.BigEndian.PutUint16(f[offUDPSum:], c)
	s.ipID++
	s.seq++
	s.ts += samplesPerPk
	s.sent++
	s.left--
	return f
}

// jitterNs returns up to 1 ms of jitter from the source's xorshift generator.
func (s *benchSource) jitterNs() int64 {
	s.rng ^= s.rng << 13
	s.rng ^= s.rng >> 7
	s.rng ^= s.rng << 17
	return int64(s.rng % 1_000_000)
}

// benchWriter writes the benchmark capture.
type benchWriter struct {
	cfg     benchConfig
	rng     *rand.Rand
	scratch *scenario
	heap    benchHeap
	nextID  uint64
	started int
	iat     time.Duration
	tones   [50][]byte // one second of µ-law tone, 20 ms per packet
	truth   benchTruth
	inCall  int
}

func (b *benchWriter) add(s *benchSource) {
	s.id = b.nextID
	b.nextID++
	b.heap.push(s)
}

// writeBench streams the benchmark capture to path and its truth to path.truth.json.
func writeBench(path string, cfg benchConfig) (tr *benchTruth, err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	w := pcapgo.NewWriter(bw)
	if err := w.WriteFileHeader(defSnap, layers.LinkTypeEthernet); err != nil {
		return nil, err
	}
	callLen := time.Duration(cfg.seconds*float64(time.Second)) + 2500*time.Millisecond
	b := &benchWriter{
		cfg: cfg,
		rng: rand.New(rand.NewPCG(2026, 3)),
		iat: callLen / time.Duration(cfg.concurrency),
		truth: benchTruth{
			File: path, CallsByEdge: map[string]int{}, CallsByPath: map[string]int{}, SecondsCall: cfg.seconds,
			Concurrency: cfg.concurrency, LinkType: "ethernet", Start: base.Format(time.RFC3339Nano),
			Command:      fmt.Sprintf("go run ./testdata/gen -bench -calls %d -seconds %g -concurrency %d -out %s", cfg.calls, cfg.seconds, cfg.concurrency, path),
			GeneratorRun: "compliant Interconnect calls only: a correct audit reports no finding, every call interconnect",
		},
	}
	b.scratch = &scenario{name: "bench", rng: b.rng, ipID: map[netip.Addr]uint16{}, port: 40000}
	for i := range b.tones {
		b.tones[i] = make([]byte, samplesPerPk)
		tone(b.tones[i], 440, i*samplesPerPk)
	}
	b.add(&benchSource{t: base.UnixNano(), spawning: true})
	var last int64
	for len(b.heap) > 0 {
		s := b.heap[0]
		switch {
		case s.spawning:
			if err := b.spawn(s.t); err != nil {
				return nil, err
			}
			if b.started == cfg.calls {
				b.heap.pop()
				continue
			}
			s.t = base.UnixNano() + int64(b.started)*int64(b.iat) + int64(b.rng.Int64N(int64(b.iat)))
			b.heap.fix()
			continue
		case s.tmpl != nil:
			data := s.patchRTP(b.tones[s.sent%len(b.tones)])
			if err := b.write(w, s.t, data); err != nil {
				return nil, err
			}
			b.truth.RTPPackets++
			last = s.t
			if s.left == 0 {
				b.heap.pop()
				continue
			}
			s.t = s.start + int64(s.sent)*int64(ptime) + s.jitterNs()
			b.heap.fix()
		default:
			if err := b.write(w, s.t, s.frames[s.k]); err != nil {
				return nil, err
			}
			last = s.t
			s.k++
			if s.k == len(s.frames) {
				if s.endsCall {
					b.inCall--
				}
				b.heap.pop()
				continue
			}
			s.t = s.times[s.k]
			b.heap.fix()
		}
	}
	if err := bw.Flush(); err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	b.truth.Bytes = st.Size()
	b.truth.End = time.Unix(0, last).UTC().Format(time.RFC3339Nano)
	b.truth.CallsByPath["interconnect"] = b.truth.Calls
	js, err := json.MarshalIndent(&b.truth, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(path+".truth.json", append(js, '\n'), 0o644); err != nil {
		return nil, err
	}
	return &b.truth, nil
}

func (b *benchWriter) write(w *pcapgo.Writer, t int64, data []byte) error {
	b.truth.Packets++
	return w.WritePacket(gopacket.CaptureInfo{Timestamp: time.Unix(0, t), CaptureLength: len(data), Length: len(data)}, data)
}

var benchSites = []struct {
	sbc  netip.Addr
	edge string
}{{sbcIX, "ashburn-ix"}, {sbcIX2, "london-ix"}, {sbcIX3, "frankfurt-ix"}}

// spawn starts call number b.started at t: its SIP messages and RTCP reports as one
// prebuilt source, its two RTP streams as template sources.
func (b *benchWriter) spawn(t int64) error {
	i := b.started
	b.started++
	site := benchSites[i%len(benchSites)]
	sc := b.scratch
	sc.frames = sc.frames[:0]
	sc.expect = nil
	mediaDur := time.Duration(b.cfg.seconds * float64(time.Second))
	// Media addresses are unique among the calls in progress: the SBC's port from a
	// counter, Twilio's address and port from another.
	sbcPort := uint16(20000 + 2*(i%20000))
	tw := netip.AddrFrom4([4]byte{168, 86, byte(128 + (i/254)%64), byte(1 + i%254)})
	p := callPlan{
		label: "bench", sbc: sig(site.sbc), peer: ix(site.edge, i%3), orig: i%2 == 1,
		sbcMedia: netip.AddrPortFrom(site.sbc, sbcPort), peerMedia: netip.AddrPortFrom(tw, uint16(10000+2*(i%24990))),
		noMedia: true, talk: 30*time.Millisecond + mediaDur,
	}
	start := time.Unix(0, t).UTC()
	sc.call(start, p)
	if sc.err != nil {
		return sc.err
	}
	if len(sc.frames) != 7 {
		return errors.New("bench: a call did not give 7 SIP messages")
	}
	ackT := sc.frames[4].t
	mediaStart := ackT.Add(20 * time.Millisecond)
	n := int(mediaDur / ptime)

	// Two RTP streams, caller's media first.
	caller, callee := p.sbcMedia, p.peerMedia
	if p.orig {
		caller, callee = callee, caller
	}
	var streams [2]*benchSource
	for k, dir := range [2][2]netip.AddrPort{{caller, callee}, {callee, caller}} {
		payload := make([]byte, 12+samplesPerPk)
		ssrc := b.rng.Uint32()
		rtpHeader(payload, true, 0, 0, 0, ssrc)
		ipData := sc.udpDatagram(dir[0], dir[1], tosRTP, payload)
		tmpl, err := linkEthernet.wrap(sc, frame{data: ipData}, 0)
		if err != nil {
			return err
		}
		st := &benchSource{
			tmpl: tmpl, left: n, seq: uint16(b.rng.Uint32()), ts: b.rng.Uint32(), ipID: uint16(b.rng.Uint32()),
			start: mediaStart.UnixNano() + int64(k)*int64(5*time.Millisecond), rng: b.rng.Uint64() | 1,
		}
		st.t = st.start + st.jitterNs()
		streams[k] = st
		if n > 0 {
			b.truth.RTPStreams++
		}
	}
	// RTCP sender reports every 5 s of media, from each side's port+1.
	var rtcpFrames []frame
	for k := 1; time.Duration(k)*5*time.Second < mediaDur; k++ {
		at := mediaStart.Add(time.Duration(k)*5*time.Second + 10*time.Millisecond)
		sent := uint32(k * int(5*time.Second/ptime))
		for j, dir := range [2][2]netip.AddrPort{{caller, callee}, {callee, caller}} {
			st := streams[j]
			src := netip.AddrPortFrom(dir[0].Addr(), dir[0].Port()+1)
			dst := netip.AddrPortFrom(dir[1].Addr(), dir[1].Port()+1)
			ssrc := binary.BigEndian.Uint32(st.tmpl[offRTP+8:])
			sr := &rtcp.SenderReport{SSRC: ssrc, NTPTime: ntp(at), RTPTime: st.ts + sent*samplesPerPk,
				PacketCount: sent, OctetCount: sent * samplesPerPk}
			sdes := &rtcp.SourceDescription{Chunks: []rtcp.SourceDescriptionChunk{{
				Source: ssrc, Items: []rtcp.SourceDescriptionItem{{Type: rtcp.SDESCNAME, Text: "bench@" + dir[0].Addr().String()}},
			}}}
			raw, err := rtcp.Marshal([]rtcp.Packet{sr, sdes})
			if err != nil {
				return err
			}
			rtcpFrames = append(rtcpFrames, frame{t: at.Add(time.Duration(j) * 5 * time.Millisecond), data: sc.udpDatagram(src, dst, tosRTP, raw)})
			b.truth.RTCPPackets++
		}
	}
	all := append(slices.Clone(sc.frames), rtcpFrames...)
	slices.SortStableFunc(all, func(x, y frame) int { return x.t.Compare(y.t) })
	fs := &benchSource{endsCall: true}
	for _, f := range all {
		data, err := linkEthernet.wrap(sc, f, 0)
		if err != nil {
			return err
		}
		fs.frames = append(fs.frames, data)
		fs.times = append(fs.times, f.t.UnixNano())
	}
	fs.t = fs.times[0]
	b.add(fs)
	for _, st := range streams {
		if st.left > 0 {
			b.add(st)
		}
	}
	b.truth.Calls++
	b.truth.SIPMessages += 7
	b.truth.CallsByEdge[site.edge]++
	if p.orig {
		b.truth.Origination++
	} else {
		b.truth.Termination++
	}
	b.inCall++
	b.truth.MaxInFlight = max(b.truth.MaxInFlight, b.inCall)
	return nil
}
