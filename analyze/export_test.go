package analyze

import (
	"context"
	"path/filepath"
	"testing"
	"unsafe"

	"github.com/ixaudit/ixaudit/capture"
)

// PreparedFast reports whether Prepare marked p fast, for the tests of analyze_test.
func PreparedFast(p *Prepared) bool { return p.fast }

// TestPreparedSize: the analysis reads a fast packet's Prepared alone, and the read-ahead
// hands Prepareds over in arrays: one cache line each.
func TestPreparedSize(t *testing.T) {
	if n := unsafe.Sizeof(Prepared{}); n != 64 {
		t.Errorf("a Prepared takes %d bytes, not one 64-byte cache line", n)
	}
}

// TestCallStateHotLine: the fields every RTP packet writes share the first cache line of
// a CallState, whose size class keeps it aligned to 64 bytes.
func TestCallStateHotLine(t *testing.T) {
	var c CallState
	end := unsafe.Offsetof(c.rtpFromTwilio) + unsafe.Sizeof(c.rtpFromTwilio)
	if unsafe.Offsetof(c.lastActive) != 0 || unsafe.Offsetof(c.rtpToTwilio) >= 64 || end > 64 {
		t.Errorf("lastActive, rtpToTwilio and rtpFromTwilio end at byte %d: not in the first 64", end)
	}
	// Go's size classes from 512 bytes up are multiples of 64 (576, 640, 704, ...), so a
	// CallState of 512 bytes or more starts on a cache line.
	if size := unsafe.Sizeof(c); size < 512 {
		t.Errorf("CallState is %d bytes: its size class may not keep it aligned to 64 bytes", size)
	}
}

// TestEndedCallsHoldLittle: a call listed in the result keeps its report record, not what
// only a live dialog needs (media flows, endpoints, RTP maps, dedup maps): with every call
// of a capture listed, that memory grew with the capture.
func TestEndedCallsHoldLittle(t *testing.T) {
	src, err := capture.Open(filepath.Join("..", "testdata", "captures", "media.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	res, err := New(Config{}).Audit(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Calls) == 0 {
		t.Fatal("no call listed")
	}
	for _, c := range res.Calls {
		if c.MediaStreams == 0 {
			continue
		}
		if c.mediaFlows != nil || c.endpoints != nil || c.rtpMaps != nil || c.flows != nil || c.seen != nil || c.rules != nil {
			t.Errorf("call %s: ended but holds %d media flows, %d endpoints, %d RTP maps, %d flows",
				c.CallID, len(c.mediaFlows), len(c.endpoints), len(c.rtpMaps), len(c.flows))
		}
	}
}

// TestSnapshotLadder: a snapshot lists a call in progress with the ladder it has so far
// (the ladder is kept compact and made into Messages on demand), the same messages as the
// call's ladder once it has ended.
func TestSnapshotLadder(t *testing.T) {
	src, err := capture.Open(filepath.Join("..", "testdata", "captures", "eth.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	a := New(Config{AllLadders: true})
	sess := a.NewSession("eth.pcap")
	var mid []Message
	for n := 1; ; n++ {
		p, err := src.ReadPacket()
		if err != nil {
			break
		}
		sess.Packet(&p)
		if n == 50 { // after the INVITE, 100, 180, 200 and ACK, before the BYE
			snap := sess.Snapshot(src.LinkTypes(), 0)
			if len(snap.Calls) != 1 {
				t.Fatalf("snapshot after packet 50: %d calls, want the one in progress", len(snap.Calls))
			}
			mid = snap.Calls[0].Messages
		}
	}
	final := sess.Close(src.LinkTypes(), 0)
	if len(final.Calls) != 1 {
		t.Fatalf("%d calls at the end, want 1", len(final.Calls))
	}
	end := final.Calls[0].Messages
	if len(mid) != 5 || len(end) != 7 {
		t.Fatalf("ladder of %d messages in progress, %d at the end; want 5 and 7", len(mid), len(end))
	}
	for i := range mid {
		if mid[i] != end[i] {
			t.Errorf("message %d: %+v in progress, %+v at the end", i, mid[i], end[i])
		}
	}
	if end[0].Label != "INVITE" || end[1].Label != "100 Trying" || end[0].CSeq == "" || end[0].Time == "" || end[0].Src == "" {
		t.Errorf("ladder starts %+v, %+v", end[0], end[1])
	}
}

// TestFlowInfoLayout: what an RTP packet reads of its flow (fastFlow, mediaFlowPacketOf)
// lies in the first cache line of a flowInfo of 128 bytes, a size class the allocator
// aligns on 64.
func TestFlowInfoLayout(t *testing.T) {
	var fi flowInfo
	if n := unsafe.Sizeof(fi); n != 128 {
		t.Errorf("a flowInfo takes %d bytes, not 128", n)
	}
	for name, end := range map[string]uintptr{
		"ports4": unsafe.Offsetof(fi.ports4) + 4, "gen": unsafe.Offsetof(fi.gen) + 4,
		"call": unsafe.Offsetof(fi.call) + 8, "stream": unsafe.Offsetof(fi.stream) + 8,
		"notRTP": unsafe.Offsetof(fi.notRTP) + 1, "judged": unsafe.Offsetof(fi.judged) + 1,
		"twilioIsDst": unsafe.Offsetof(fi.twilioIsDst) + 1,
	} {
		if end > 64 {
			t.Errorf("flowInfo.%s ends at byte %d, past the first cache line", name, end)
		}
	}
	for range 100 {
		if p := uintptr(unsafe.Pointer(newFlowInfo(flowPair{}))); p%64 != 0 {
			t.Fatalf("a flowInfo allocated at %#x, not on a cache line", p)
		}
	}
}
