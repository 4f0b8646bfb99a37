package media

// staticPayloadType is an RFC 3551 static payload type assignment.
type staticPayloadType struct {
	name string // SDP encoding name
	hz   uint32 // RTP clock rate
}

// staticPayloadTypes are the RTP/AVP static payload types of RFC 3551 §6 (and the IANA
// registry), with the clock rates Wireshark's RTP analysis uses for them. G.722 runs its RTP
// clock at 8000 Hz although it samples at 16 kHz (RFC 3551 §4.5.2). Payload types 1 (1016)
// and 2 (G721) are withdrawn but still appear in old captures.
var staticPayloadTypes = [96]staticPayloadType{
	0:  {"PCMU", 8000},
	1:  {"1016", 8000},
	2:  {"G721", 8000},
	3:  {"GSM", 8000},
	4:  {"G723", 8000},
	5:  {"DVI4", 8000},
	6:  {"DVI4", 16000},
	7:  {"LPC", 8000},
	8:  {"PCMA", 8000},
	9:  {"G722", 8000},
	10: {"L16", 44100},
	11: {"L16", 44100},
	12: {"QCELP", 8000},
	13: {"CN", 8000},
	14: {"MPA", 90000},
	15: {"G728", 8000},
	16: {"DVI4", 11025},
	17: {"DVI4", 22050},
	18: {"G729", 8000},
	19: {"CN", 8000}, // reserved (formerly comfort noise)
	25: {"CelB", 90000},
	26: {"JPEG", 90000},
	28: {"nv", 90000},
	31: {"H261", 90000},
	32: {"MPV", 90000},
	33: {"MP2T", 90000},
	34: {"H263", 90000},
}

// dynamicClockRates gives the clock rate of encodings that have no static payload type,
// for an a=rtpmap that names the encoding but not its rate, as Wireshark's analysis does
// (mimetype_and_clock_map in ui/tap-rtp-analysis.c). Matching is a case-insensitive prefix
// match, tried from the longest name down.
var dynamicClockRates = []struct {
	name string
	hz   uint32
}{
	{"telephone-event", 8000},
	{"mpa-robust", 90000},
	{"H263-2000", 90000},
	{"H263-1998", 90000},
	{"MP4V-ES", 90000},
	{"EVRCWB0", 16000},
	{"EVRCWB1", 16000},
	{"GSM-EFR", 8000},
	{"G726-16", 8000},
	{"G726-24", 8000},
	{"G726-32", 8000},
	{"G726-40", 8000},
	{"pointer", 90000},
	{"AMR-WB", 16000},
	{"EVRCB0", 8000},
	{"EVRCB1", 8000},
	{"EVRCWB", 16000},
	{"EVRC0", 8000},
	{"EVRC1", 8000},
	{"EVRCB", 8000},
	{"G7221", 16000},
	{"G729D", 8000},
	{"G729E", 8000},
	{"BMPEG", 90000},
	{"BT656", 90000},
	{"EVRC", 8000},
	{"H264", 90000},
	{"MP1S", 90000},
	{"MP2P", 90000},
	{"opus", 48000},
	{"SMV0", 8000},
	{"t140", 1000},
	{"AMR", 8000},
	{"EVS", 16000},
	{"raw", 90000},
	{"red", 1000},
	{"SMV", 8000},
	{"DV", 90000},
}

// dynamicClockRate returns the clock rate of a named encoding, or 0 when it is unknown.
func dynamicClockRate(encoding string) uint32 {
	for _, d := range dynamicClockRates {
		if hasPrefixFold(encoding, d.name) {
			return d.hz
		}
	}
	return 0
}
