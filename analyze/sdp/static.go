package sdp

// staticPayloads holds the RTP/AVP payload types with a static assignment (RFC 3551
// §6, Tables 4 and 5). G722 is listed with a clock rate of 8000, as RFC 3551 specifies
// for historical reasons, although it samples at 16 kHz.
var staticPayloads = [35]RTPMap{
	0:  {0, []byte("PCMU"), 8000, nil},
	3:  {3, []byte("GSM"), 8000, nil},
	4:  {4, []byte("G723"), 8000, nil},
	5:  {5, []byte("DVI4"), 8000, nil},
	6:  {6, []byte("DVI4"), 16000, nil},
	7:  {7, []byte("LPC"), 8000, nil},
	8:  {8, []byte("PCMA"), 8000, nil},
	9:  {9, []byte("G722"), 8000, nil},
	10: {10, []byte("L16"), 44100, []byte("2")},
	11: {11, []byte("L16"), 44100, nil},
	12: {12, []byte("QCELP"), 8000, nil},
	13: {13, []byte("CN"), 8000, nil},
	14: {14, []byte("MPA"), 90000, nil},
	15: {15, []byte("G728"), 8000, nil},
	16: {16, []byte("DVI4"), 11025, nil},
	17: {17, []byte("DVI4"), 22050, nil},
	18: {18, []byte("G729"), 8000, nil},
	25: {25, []byte("CelB"), 90000, nil},
	26: {26, []byte("JPEG"), 90000, nil},
	28: {28, []byte("nv"), 90000, nil},
	31: {31, []byte("H261"), 90000, nil},
	32: {32, []byte("MPV"), 90000, nil},
	33: {33, []byte("MP2T"), 90000, nil},
	34: {34, []byte("H263"), 90000, nil},
}

// StaticPayload returns the static RTP/AVP assignment of a payload type (RFC 3551), such
// as 0 PCMU/8000, 8 PCMA/8000, 9 G722/8000, 18 G729/8000. ok is false for dynamic and
// unassigned payload types. The returned Encoding must not be modified.
func StaticPayload(pt uint8) (m RTPMap, ok bool) {
	if int(pt) < len(staticPayloads) && staticPayloads[pt].Encoding != nil {
		return staticPayloads[pt], true
	}
	return RTPMap{}, false
}
