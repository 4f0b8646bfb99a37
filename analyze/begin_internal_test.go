package analyze

import (
	"testing"
	"time"

	"github.com/ixaudit/ixaudit/capture"
)

// TestBeginPacketTime checks begin's packet time, which it compares as Unix seconds and
// nanoseconds: after each packet it is the latest time seen, as time.Time's After says,
// the first packet at 1970-01-01 00:00:00 included; and a sweep runs when it reaches the
// time of the next one, as Before says.
func TestBeginPacketTime(t *testing.T) {
	epoch := time.Unix(0, 0).UTC()
	times := []time.Time{
		epoch, epoch, epoch.Add(time.Nanosecond), epoch.Add(-time.Second),
		epoch.Add(expireEvery - time.Nanosecond), epoch.Add(expireEvery), epoch.Add(expireEvery + 1),
		time.Unix(1700000000, 999999999).UTC(), time.Unix(1700000000, 999999998).UTC(),
		time.Unix(1700000001, 0).UTC(), time.Unix(1<<40, 1).UTC(), time.Unix(1<<40, 0).UTC(),
	}
	in := newInputAuditor(New(Config{}), "t")
	var want, sweep time.Time
	for i, pt := range times {
		wantSweep := sweep
		if pt.After(want) {
			want = pt
			if !want.Before(sweep) {
				wantSweep = want.Add(expireEvery)
			}
		}
		sweep = wantSweep
		in.begin(&capture.Packet{Number: i + 1, Time: pt})
		if !in.now.Equal(want) || in.nowSec != want.Unix() || in.nowNsec != int32(want.Nanosecond()) {
			t.Fatalf("packet %d at %v: packet time %v (%d s %d ns), want %v", i+1, pt, in.now, in.nowSec, in.nowNsec, want)
		}
		if !in.sweepAt.Equal(sweep) || in.sweepSec != sweep.Unix() {
			t.Fatalf("packet %d at %v: next sweep at %v, want %v", i+1, pt, in.sweepAt, sweep)
		}
	}
}
