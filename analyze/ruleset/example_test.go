package ruleset_test

import (
	"fmt"
	"net/netip"

	"github.com/ixaudit/ixaudit/analyze/ruleset"
)

func ExampleRuleSet_Peer() {
	rs := ruleset.Default()
	for _, a := range []string{"208.78.112.65", "54.172.60.1", "168.86.130.9", "192.0.2.1"} {
		p := rs.Peer(netip.MustParseAddr(a))
		name := "-"
		if p.Edge != nil {
			name = p.Edge.Name
		}
		fmt.Println(a, p.Kind, name)
	}
	// Output:
	// 208.78.112.65 interconnect ashburn-ix
	// 54.172.60.1 public ashburn
	// 168.86.130.9 media -
	// 192.0.2.1 none -
}

func ExampleRuleSet_Host() {
	rs := ruleset.Default()
	for _, name := range []string{
		"mytrunk.pstn.ashburn-ix.twilio.com",
		"MyTrunk.PSTN.US1-IX.twilio.com.",
		"mytrunk.pstn.twilio.com",
		"mytrunk.pstn.dublin.twilio.com",
		"x.pstn.foo-ix.twilio.com",
		"evil-twilio.com",
	} {
		h := rs.Host([]byte(name))
		edge := "-"
		if h.Edge != nil {
			edge = h.Edge.Name
		}
		fmt.Printf("%s: %v edge=%s legacy=%v unknown=%v trunk=%s\n", name, h.Kind, edge, h.Legacy, h.Unknown, h.Trunk)
	}
	// Output:
	// mytrunk.pstn.ashburn-ix.twilio.com: ix-termination edge=ashburn-ix legacy=false unknown=false trunk=mytrunk
	// MyTrunk.PSTN.US1-IX.twilio.com.: ix-termination edge=ashburn-ix legacy=true unknown=false trunk=MyTrunk
	// mytrunk.pstn.twilio.com: public-termination edge=- legacy=false unknown=false trunk=mytrunk
	// mytrunk.pstn.dublin.twilio.com: public-termination edge=dublin legacy=false unknown=false trunk=mytrunk
	// x.pstn.foo-ix.twilio.com: ix-termination edge=- legacy=false unknown=true trunk=x
	// evil-twilio.com: not-twilio edge=- legacy=false unknown=false trunk=
}

func ExampleRuleSet_Edge() {
	rs := ruleset.Default()
	for _, code := range []string{"us1-ix", "US2", "gll-ix", "dublin-ix"} {
		if e, ok := rs.Edge([]byte(code)); ok {
			fmt.Println(code, "->", e.Name, e.Kind)
		} else {
			fmt.Println(code, "-> no edge")
		}
	}
	// Output:
	// us1-ix -> ashburn-ix interconnect
	// US2 -> umatilla public
	// gll-ix -> roaming media-only
	// dublin-ix -> no edge
}
