package analyze

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestFormatTime checks the hand-written formatTime against Time.Format with timeLayout,
// on edge cases and on random times from year -50 to 10050, in and out of UTC.
func TestFormatTime(t *testing.T) {
	east := time.FixedZone("east", 5*3600+30*60)
	cases := []time.Time{
		{},
		time.Unix(0, 0),
		time.Unix(0, 999),
		time.Unix(0, 1000),
		time.Unix(-1, 999999999),
		time.Date(2024, 2, 29, 23, 59, 59, 999999999, time.UTC),
		time.Date(1999, 12, 31, 23, 59, 59, 999999000, time.UTC),
		time.Date(2000, 1, 1, 0, 0, 0, 0, east), // the day before, in UTC
		time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 12, 31, 23, 59, 59, 0, time.UTC),
	}
	r := rand.New(rand.NewPCG(1, 2))
	lo := time.Date(-50, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	hi := time.Date(10050, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	for range 20000 {
		tm := time.Unix(lo+r.Int64N(hi-lo), r.Int64N(1e9))
		if r.IntN(2) == 0 {
			tm = tm.In(east)
		}
		cases = append(cases, tm)
	}
	for _, tm := range cases {
		if got, want := formatTime(tm), tm.UTC().Format(timeLayout); got != want {
			t.Fatalf("formatTime(%v) = %q, want %q", tm, got, want)
		}
	}
}

func BenchmarkFormatTime(b *testing.B) {
	tm := time.Date(2026, 11, 27, 13, 7, 14, 123456789, time.UTC)
	for b.Loop() {
		_ = formatTime(tm)
	}
}
