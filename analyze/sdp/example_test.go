package sdp_test

import (
	"fmt"

	"github.com/ixaudit/ixaudit/analyze/sdp"
)

func ExampleSession_Parse() {
	body := []byte("v=0\r\n" +
		"o=root 1 1 IN IP4 168.86.128.10\r\n" +
		"c=IN IP4 168.86.128.10\r\n" +
		"s=-\r\n" + // out of order: s= belongs before c=
		"t=0 0\r\n" +
		"m=audio 12000 RTP/SAVP 0 101\r\n" +
		"a=rtpmap:101 telephone-event/8000\r\n" +
		"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^31\r\n")
	var s sdp.Session // reuse it for every body
	if err := s.Parse(body); err != nil {
		fmt.Println(err)
		return
	}
	m := &s.Media[0]
	codec, _ := m.RTPMap(0)
	fmt.Printf("%s %v:%d %s codec %s/%d\n", m.Type, m.Addr(&s), m.Port, m.Proto, codec.Encoding, codec.ClockRate)
	fmt.Printf("crypto %s, MKI %v\n", m.Crypto[0].Suite, m.Crypto[0].MKI)
	fmt.Println("violations:", s.Violations)
	// Output:
	// audio 168.86.128.10:12000 RTP/SAVP codec PCMU/8000
	// crypto AES_CM_128_HMAC_SHA1_80, MKI false
	// violations: [line 4: out-of-order]
}
