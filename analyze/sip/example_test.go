package sip_test

import (
	"fmt"

	"github.com/ixaudit/ixaudit/analyze/sip"
)

func ExampleMessage_Parse() {
	payload := []byte("INVITE sip:+14155550100@mytrunk.pstn.ashburn-ix.twilio.com;edge=ashburn-ix SIP/2.0\r\n" +
		"v: SIP/2.0/UDP 203.0.113.10:5060 ;branch=z9hG4bK-1;rport\r\n" +
		"f: \"Alice\" <sip:+12125550100@203.0.113.10>;tag=a1\r\n" +
		"t: <sip:+14155550100@mytrunk.pstn.ashburn-ix.twilio.com>\r\n" +
		"i: 8f3c2a1b@203.0.113.10\r\n" +
		"CSeq: 1 INVITE\r\n" +
		"l: 0\r\n\r\n")
	var m sip.Message // reuse it for every packet
	if err := m.Parse(payload); err != nil {
		fmt.Println(err)
		return
	}
	u, _ := m.RequestURI()
	edge, _ := u.Param("edge")
	via := m.Vias()[0]
	fmt.Printf("%s to %s (edge %s)\n", m.Method(), u.Host, edge)
	fmt.Printf("Call-ID %s, CSeq %d %s, from tag %s\n", m.CallID(), m.CSeq().Num, m.CSeq().Method, m.From().Tag())
	fmt.Printf("via %s %s:%d branch %s\n", via.Transport, via.Host, via.Port, via.Branch)
	// Output:
	// INVITE to mytrunk.pstn.ashburn-ix.twilio.com (edge ashburn-ix)
	// Call-ID 8f3c2a1b@203.0.113.10, CSeq 1 INVITE, from tag a1
	// via UDP 203.0.113.10:5060 branch z9hG4bK-1
}

func ExampleFrame() {
	stream := []byte("\r\n\r\n" + // a keep-alive
		"OPTIONS sip:gw SIP/2.0\r\nCall-ID: 1\r\nContent-Length: 2\r\n\r\nhi" +
		"SIP/2.0 200 OK\r\nCall-ID: 1\r\nl: 0\r\n\r\n" +
		"BYE sip:gw SIP/2.0\r\nCall") // not complete yet
	for len(stream) > 0 {
		n := sip.Frame(stream, false)
		switch {
		case n == 0:
			fmt.Printf("wait for more after %q\n", stream)
			return
		case n < 0:
			fmt.Printf("skip %q\n", stream[:-n])
			stream = stream[-n:]
		default:
			fmt.Printf("message of %d bytes\n", n)
			stream = stream[n:]
		}
	}
	// Output:
	// skip "\r\n\r\n"
	// message of 59 bytes
	// message of 36 bytes
	// wait for more after "BYE sip:gw SIP/2.0\r\nCall"
}
