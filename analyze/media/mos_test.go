package media

import (
	"math"
	"testing"
)

// gMOS is the ITU-T G.107 (Annex B) conversion from R to MOS, written out independently.
func gMOS(r float64) float64 {
	if r <= 0 {
		return 1
	}
	if r >= 100 {
		return 4.5
	}
	return 1 + 0.035*r + r*(r-60)*(100-r)*7e-6
}

func TestEstimateMOS(t *testing.T) {
	// Worked by hand from the documented assumptions: d = 40 ms network + codec frame +
	// 2 × mean jitter, Id = 0.024·d (+ 0.11·(d − 177.3) above 177.3 ms), Ie,eff from G.113.
	tests := []struct {
		name           string
		codec          string
		expected, lost int
		jitter         float64
		wantR          float64
	}{
		// G.711, no loss, no jitter: d = 60, Id = 1.44, R = 91.76 → MOS 4.38.
		{"pcmu perfect", "PCMU", 1000, 0, 0, 93.2 - 1.44},
		{"pcma lower case", "pcma", 1000, 0, 0, 93.2 - 1.44},
		// 1% loss with PLC: Ie,eff = 95·1/(1+25.1) = 3.6398.
		{"pcmu 1% loss", "PCMU", 1000, 10, 0, 93.2 - 1.44 - 95*1/(1+25.1)},
		// 5% loss and 10 ms mean jitter: d = 80, Id = 1.92, Ie,eff = 95·5/(5+25.1).
		{"pcmu 5% loss, jitter", "PCMU", 100, 5, 10, 93.2 - 1.92 - 95*5/(5+25.1)},
		// Negative loss (duplicates) counts as none.
		{"pcmu duplicates", "PCMU", 100, -3, 0, 93.2 - 1.44},
		// G.729A: Ie 11, Bpl 19, 25 ms: d = 65, Id = 1.56; 2% loss: 11 + 84·2/(2+19).
		{"g729 2% loss", "G729", 100, 2, 0, 93.2 - 1.56 - (11 + 84*2.0/(2+19))},
		// Long delay: 100 ms mean jitter, d = 260, Id = 6.24 + 0.11·82.7.
		{"pcmu big jitter", "PCMU", 100, 0, 100, 93.2 - (0.024*260 + 0.11*(260-177.3))},
		// Total loss: R = 93.2 − 1.44 − 95·100/(100+25.1) → MOS near the floor.
		{"pcmu all lost", "PCMU", 100, 100, 0, 93.2 - 1.44 - 95*100/(100+25.1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := EstimateMOS(tt.codec, tt.expected, tt.lost, tt.jitter)
			if want := gMOS(tt.wantR); math.Abs(got-want) > 1e-9 {
				t.Errorf("MOS = %.6f, want %.6f (R = %.3f)", got, want, tt.wantR)
			}
		})
	}
	if m := EstimateMOS("PCMU", 1000, 0, 0); m < 4.35 || m > 4.41 {
		t.Errorf("perfect G.711 scores %.3f, want about 4.38", m)
	}
	for _, c := range []string{"", "opus", "telephone-event", "a-very-long-codec-name-indeed"} {
		if m := EstimateMOS(c, 100, 0, 0); m != 0 {
			t.Errorf("codec %q without planning values: MOS %v, want 0", c, m)
		}
	}
	// Monotone: more loss or more jitter never scores better; the score stays in 1–4.5.
	prev := 5.0
	for lost := 0; lost <= 100; lost += 5 {
		m := EstimateMOS("PCMA", 100, lost, float64(lost))
		if m > prev || m < 1 || m > 4.5 {
			t.Fatalf("loss %d%%: MOS %.3f after %.3f", lost, m, prev)
		}
		prev = m
	}
	if m := EstimateMOS("PCMU", 10, 50, math.NaN()); m < 1 || m > 4.5 || math.IsNaN(m) {
		t.Errorf("absurd inputs: MOS %v", m)
	}
}
