package media

import "time"

// packetSub returns t.Sub(u) for packet times, which carry no monotonic clock reading.
// Between two times within 136 years of 1970 (every pcap time stamp is) the difference
// cannot overflow a Duration, and it is computed from their seconds and nanoseconds
// exactly as Sub computes it, without Sub's overflow check, which costs more than the
// subtraction; other times take Sub. It runs for every RTP packet.
func packetSub(t, u time.Time) time.Duration {
	const lim = 1 << 32 // seconds from 1970: the difference is below 2^33 s, 8.6e18 ns
	ts, us := t.Unix(), u.Unix()
	if ts < lim && ts > -lim && us < lim && us > -lim {
		return time.Duration(ts-us)*time.Second + time.Duration(t.Nanosecond()-u.Nanosecond())
	}
	return t.Sub(u)
}
