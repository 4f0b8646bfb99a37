package media

// eModelCodec holds the ITU-T G.113 Appendix I planning values of a codec for the E-model.
type eModelCodec struct {
	ie      float64 // equipment impairment factor
	bpl     float64 // packet-loss robustness factor
	frameMs float64 // packetisation and algorithmic delay assumed for the codec, ms
}

// eModelCodecs maps SDP encoding names (upper case) to their G.113 values. G.711 is taken
// with packet loss concealment (Bpl 25.1, G.113 Table I.3; 4.3 without), as every current
// SBC and phone has it. G.722 is scored like G.711 with PLC: the narrowband E-model has no
// scale for wideband quality (that is G.107.1). AMR is taken at 12.2 kbit/s, the same
// codec as GSM-EFR.
var eModelCodecs = map[string]eModelCodec{
	"PCMU":    {ie: 0, bpl: 25.1, frameMs: 20},
	"PCMA":    {ie: 0, bpl: 25.1, frameMs: 20},
	"G722":    {ie: 0, bpl: 25.1, frameMs: 20},
	"G729":    {ie: 11, bpl: 19, frameMs: 25},     // G.729A: 10 ms frames in 20 ms packets + 5 ms look-ahead
	"G723":    {ie: 15, bpl: 16.1, frameMs: 37.5}, // G.723.1 6.3 kbit/s: 30 ms frame + 7.5 ms look-ahead
	"GSM-EFR": {ie: 5, bpl: 10, frameMs: 20},
	"AMR":     {ie: 5, bpl: 10, frameMs: 20},
}

// E-model assumptions (see EstimateMOS).
const (
	eModelBase         = 93.2 // R0 − Is with the default values of ITU-T G.107
	eModelNetworkMs    = 40   // assumed one-way network delay, ms
	eModelJitterFactor = 2    // jitter buffer sized at this multiple of the mean jitter
	eModelBurstR       = 1    // burst ratio: loss assumed random
)

// EstimateMOS estimates the listening-quality MOS of a stream with the ITU-T G.107 E-model:
//
//	R = 93.2 − Id − Ie,eff (+ A = 0)
//	Ie,eff = Ie + (95 − Ie)·Ppl / (Ppl/BurstR + Bpl)
//	Id = 0.024·d + 0.11·(d − 177.3)·H(d − 177.3)
//	MOS = 1 + 0.035·R + R·(R − 60)·(100 − R)·7·10⁻⁶, clamped to 1.0–4.5
//
// where Ppl is the loss percentage (lost / expected, negative loss counted as none), Ie and
// Bpl come from ITU-T G.113 Appendix I for the codec, BurstR is 1 (loss assumed random,
// no burst measurement), and Id is the simplified delay impairment of Cole and Rosenbluth
// (2001) for a one-way delay d that is ASSUMED, not measured: 40 ms of network, plus the
// codec's packetisation and look-ahead, plus a jitter buffer of twice the mean jitter.
// With no loss and little jitter, G.711 scores about 4.38.
//
// Limits: the capture shows one point of the path, so neither the real mouth-to-ear delay
// nor the loss after the capture point nor jitter-buffer discards are known; echo,
// noise and the advantage factor take G.107 defaults. EstimateMOS returns 0 for a codec
// it has no planning values for (names are matched case-insensitively).
func EstimateMOS(codec string, expected, lost int, meanJitterMs float64) float64 {
	c, ok := lookupEModel(codec)
	if !ok {
		return 0
	}
	ppl := 0.0
	if expected > 0 && lost > 0 {
		ppl = 100 * float64(lost) / float64(expected)
		if ppl > 100 {
			ppl = 100
		}
	}
	if meanJitterMs < 0 || meanJitterMs != meanJitterMs {
		meanJitterMs = 0
	}
	d := eModelNetworkMs + c.frameMs + eModelJitterFactor*meanJitterMs
	id := 0.024 * d
	if d > 177.3 {
		id += 0.11 * (d - 177.3)
	}
	ieEff := c.ie + (95-c.ie)*ppl/(ppl/eModelBurstR+c.bpl)
	return mosFromR(eModelBase - id - ieEff)
}

// mosFromR converts a rating factor R to MOS (ITU-T G.107 Annex B), clamped to 1.0–4.5.
func mosFromR(r float64) float64 {
	switch {
	case r <= 0:
		return 1
	case r >= 100:
		return 4.5
	}
	m := 1 + 0.035*r + r*(r-60)*(100-r)*7e-6
	if m < 1 {
		return 1
	}
	if m > 4.5 {
		return 4.5
	}
	return m
}

func lookupEModel(codec string) (eModelCodec, bool) {
	var buf [16]byte
	if len(codec) > len(buf) {
		return eModelCodec{}, false
	}
	for i := 0; i < len(codec); i++ {
		c := codec[i]
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		buf[i] = c
	}
	c, ok := eModelCodecs[string(buf[:len(codec)])]
	return c, ok
}
