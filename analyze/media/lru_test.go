package media

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
	"time"
)

// lruModel is the Tracker's eviction as first written, a list in order of activity,
// reordered on every packet: the reference the Tracker's heap must agree with.
type lruModel struct {
	max     int
	timeout time.Duration
	order   []StreamKey // most recently active first
	last    map[StreamKey]time.Time
	now     time.Time
	log     []string
}

func (m *lruModel) add(k StreamKey, at time.Time, packet int) {
	if at.After(m.now) {
		m.now = at
	}
	evictTail := func() {
		tail := m.order[len(m.order)-1]
		m.log = append(m.log, fmt.Sprintf("packet %d: evict %v", packet, tail))
		m.order = m.order[:len(m.order)-1]
		delete(m.last, tail)
	}
	if m.timeout >= 0 {
		for len(m.order) > 0 && m.now.Sub(m.last[m.order[len(m.order)-1]]) > m.timeout {
			evictTail()
		}
	}
	if i := slices.Index(m.order, k); i >= 0 {
		m.order = slices.Delete(m.order, i, i+1)
	} else if len(m.order) >= m.max {
		evictTail()
	}
	m.order = slices.Insert(m.order, 0, k)
	m.last[k] = at
}

// TestTrackerEvictsLeastRecentlyActive drives a Tracker and the reference list with the
// same random packets: a few streams more than the Tracker holds, packet times that go
// back now and then (a little, or by more than the idle timeout) and jump ahead past it,
// with and without hints. Every eviction, for idleness or for room, must be the same
// stream at the same packet, and the streams held at the end the same.
func TestTrackerEvictsLeastRecentlyActive(t *testing.T) {
	evictions := 0
	for seed := range uint64(300) {
		rng := rand.New(rand.NewPCG(seed, 11))
		const timeout = 100 * time.Millisecond
		cfgTimeout := timeout
		if seed%10 == 9 {
			cfgTimeout = -1 // never idle: room only
		}
		model := &lruModel{max: 6, timeout: cfgTimeout, last: map[StreamKey]time.Time{}, now: time.Time{}}
		if cfgTimeout < 0 {
			model.timeout = -1
		}
		var log []string
		packet := 0
		tr := NewTracker(TrackerConfig{MaxStreams: 6, IdleTimeout: cfgTimeout, OnEvict: func(s *Stream) {
			log = append(log, fmt.Sprintf("packet %d: evict %v", packet, StreamKey{Src: s.src, Dst: s.dst, SSRC: s.ssrc}))
		}})
		keys := make([]StreamKey, 4+rng.IntN(10))
		for i := range keys {
			keys[i] = StreamKey{
				Src:  netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 0, byte(i % 3)}), uint16(4000+2*i)),
				Dst:  addrB,
				SSRC: uint32(0x100 + i%5),
			}
		}
		hints := map[StreamKey]*Stream{}
		at := testEpoch
		seq := map[StreamKey]uint16{}
		for packet = 1; packet <= 2000; packet++ {
			switch r := rng.IntN(100); {
			case r < 3:
				at = at.Add(-time.Duration(rng.IntN(40)) * time.Millisecond) // a little back
			case r < 4:
				at = at.Add(-timeout - time.Duration(rng.IntN(300))*time.Millisecond) // far back
			case r < 6:
				at = at.Add(timeout + time.Duration(rng.IntN(100))*time.Millisecond) // a gap
			default:
				at = at.Add(time.Duration(rng.IntN(15)) * time.Millisecond)
			}
			// Streams are busy or quiet by turns: the first few most of the time.
			k := keys[rng.IntN(len(keys))]
			if rng.IntN(3) > 0 {
				k = keys[rng.IntN(min(3, len(keys)))]
			}
			seq[k]++
			var info RTPInfo
			if !ParseRTP(&tr.hdr, synth{src: k.Src, dst: k.Dst, ssrc: k.SSRC, seq: seq[k], payload: 20}.rtpBytes(), &info) {
				t.Fatal("synthetic packet is not RTP")
			}
			var hint *Stream
			if rng.IntN(2) == 0 {
				hint = hints[k]
			}
			model.add(k, at, packet)
			hints[k] = tr.AddRTPInfo(hint, k.Src, k.Dst, &info, at, packet)
		}
		for i := range max(len(log), len(model.log)) {
			var got, want string
			if i < len(log) {
				got = log[i]
			}
			if i < len(model.log) {
				want = model.log[i]
			}
			if got != want {
				t.Fatalf("seed %d: eviction %d: the Tracker's %q, the list's %q", seed, i+1, got, want)
			}
		}
		var held, want []string
		for _, s := range tr.Streams() {
			held = append(held, fmt.Sprint(StreamKey{Src: s.src, Dst: s.dst, SSRC: s.ssrc}))
		}
		for _, k := range model.order {
			want = append(want, fmt.Sprint(k))
		}
		slices.Sort(held)
		slices.Sort(want)
		if !slices.Equal(held, want) {
			t.Fatalf("seed %d: the Tracker holds %v, the list %v", seed, held, want)
		}
		evictions += len(log)
	}
	if evictions < 10000 {
		t.Fatalf("only %d evictions compared", evictions)
	}
	t.Logf("%d evictions compared", evictions)
}
