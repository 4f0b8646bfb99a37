package sdp

import (
	"errors"
	"net/netip"

	"github.com/ixaudit/ixaudit/analyze/internal/ascii"
	"github.com/ixaudit/ixaudit/analyze/internal/textip"
)

// ErrNotSDP means the body is not a session description at all: its first line is not of
// the form "<letter>=<value>".
var ErrNotSDP = errors.New("not an SDP session description")

// Limits that keep a hostile body from growing a reused Session without bound. Elements
// beyond them are dropped and recorded as a ViolationTooMany.
const (
	MaxMedia      = 64  // media sections
	MaxFormats    = 512 // formats over all media sections
	MaxRTPMaps    = 512 // rtpmap attributes over all media sections
	MaxCryptos    = 64  // crypto attributes over all media sections
	MaxViolations = 32  // violations kept in Session.Violations (all are counted)
)

// Direction is a direction attribute (RFC 8866 §6.7).
type Direction uint8

// Directions. DirectionNone means no direction attribute was given.
const (
	DirectionNone Direction = iota
	DirectionSendRecv
	DirectionSendOnly
	DirectionRecvOnly
	DirectionInactive
)

var directionNames = [...]string{"", "sendrecv", "sendonly", "recvonly", "inactive"}

// String returns the attribute name ("sendonly"), or "" for DirectionNone.
func (d Direction) String() string {
	if int(d) < len(directionNames) {
		return directionNames[d]
	}
	return ""
}

// Origin is the o= line: o=<username> <sess-id> <sess-version> <nettype> <addrtype> <address>.
type Origin struct {
	Username, SessionID, SessionVersion []byte
	NetType, AddrType                   []byte
	// Address as written; Addr is it parsed, invalid when it is a host name or malformed.
	Address []byte
	Addr    netip.Addr
}

// Connection is a c= line: c=<nettype> <addrtype> <address>[/ttl][/count].
type Connection struct {
	// Present is true when the line was there (even if it did not parse).
	Present           bool
	NetType, AddrType []byte
	// Address is the address as written, without /ttl and /count; Addr is it parsed,
	// invalid when it is a host name (allowed by the RFC) or malformed.
	Address []byte
	Addr    netip.Addr
}

// Hold reports whether the address is 0.0.0.0 (or ::), the RFC 2543 way of putting a call
// on hold.
func (c Connection) Hold() bool { return c.Addr.IsValid() && c.Addr.IsUnspecified() }

// RTPMap is an a=rtpmap attribute: a=rtpmap:<payload type> <encoding name>/<clock rate>[/<channels>].
type RTPMap struct {
	PayloadType uint8
	Encoding    []byte // "PCMU", "telephone-event", ...
	ClockRate   uint32
	Channels    []byte // encoding parameters, usually the channel count; often empty
}

// RTCP is an a=rtcp attribute (RFC 3605): a=rtcp:<port> [<nettype> <addrtype> <address>].
type RTCP struct {
	Present bool
	Port    uint16
	Address []byte
	Addr    netip.Addr // invalid when no address was given, or it is not an IP address
}

// Crypto is an a=crypto attribute (SDES, RFC 4568): a=crypto:<tag> <suite> <key-params> [<session-params>].
type Crypto struct {
	Tag   int
	Suite []byte // "AES_CM_128_HMAC_SHA1_80", ...
	// KeyParams is the key parameter list ("inline:<key||salt>[|lifetime][|MKI:length]",
	// several separated by ';'); SessionParams is what follows, possibly empty.
	KeyParams, SessionParams []byte
	// MKI is true when a key parameter carries an MKI: a '|'-separated part after the key
	// that holds a ':' (MKI:length), such as the third part of "inline:key|2^20|1:4".
	MKI bool
}

// Media is one media section: the m= line and what follows it up to the next m= line.
//
// Its slices alias the parsed body or the Session's buffers: they are valid until the
// next Parse of the Session.
type Media struct {
	Line     int    // 1-based line number of the m= line within the body
	Type     []byte // "audio", "video", "image", "application", ...
	Port     uint16
	NumPorts int // the "/<number of ports>" of m=, 1 when absent
	// Proto is the transport protocol ("RTP/AVP", "RTP/SAVP", "RTP/SAVPF",
	// "UDP/TLS/RTP/SAVPF", "udptl", ...).
	Proto   []byte
	Formats [][]byte // payload types or format names, as written
	// Conn is the media-level c= line; use Addr to apply the session-level default.
	Conn Connection
	// Direction is the media-level direction attribute; use EffectiveDirection to apply
	// the session-level one.
	Direction Direction
	RTPMaps   []RTPMap
	RTCP      RTCP
	RTCPMux   bool
	Crypto    []Crypto
	// Fingerprint and Setup are the DTLS-SRTP attributes (RFC 8122, RFC 4145) at media
	// level; Setup is the role ("actpass", "active", "passive"), nil when absent.
	Fingerprint bool
	Setup       []byte
	// ICECandidates counts a=candidate lines; ICE is true when there is any ICE attribute
	// (candidate, ice-ufrag, ice-pwd, ice-lite) at media level.
	ICECandidates int
	ICE           bool

	formats, rtpmaps, cryptos span // ranges in the Session's buffers while parsing
}

// span is a range of indices into one of the Session's buffers.
type span struct{ start, end int }

// Session is a parsed session description. Create one and reuse it: Parse overwrites every
// field and keeps only the backing arrays of its lists.
type Session struct {
	Version     int // the v= value, -1 when v= is missing or not a number
	Origin      Origin
	HasOrigin   bool
	Name        []byte     // the s= value
	Conn        Connection // session-level c=
	Direction   Direction  // session-level direction attribute
	Fingerprint bool       // session-level a=fingerprint
	Setup       []byte     // session-level a=setup role
	ICE         bool       // session-level ICE attributes (ice-ufrag, ice-pwd, ice-lite, ...)
	Media       []Media
	// Violations lists the first MaxViolations departures from the grammar, in line order;
	// ViolationCount counts all of them.
	Violations     []Violation
	ViolationCount int

	formats [][]byte
	rtpmaps []RTPMap
	cryptos []Crypto
}

// Media addresses.

// Addr returns the connection address of the media section: its own c= line, else the
// session-level one. It is invalid when neither gives an IP address.
func (m *Media) Addr(s *Session) netip.Addr {
	if m.Conn.Present {
		return m.Conn.Addr
	}
	return s.Conn.Addr
}

// EffectiveDirection returns the media section's direction: its own attribute, else the
// session-level one, else sendrecv (the default of RFC 8866 §6.7).
func (m *Media) EffectiveDirection(s *Session) Direction {
	switch {
	case m.Direction != DirectionNone:
		return m.Direction
	case s.Direction != DirectionNone:
		return s.Direction
	}
	return DirectionSendRecv
}

// Hold reports whether the description puts the media section on hold: its effective
// direction is sendonly or inactive (RFC 3264 §8.4), or its connection address is 0.0.0.0
// or :: (the RFC 2543 way).
func (m *Media) Hold(s *Session) bool {
	a := m.Addr(s)
	d := m.EffectiveDirection(s)
	return d == DirectionSendOnly || d == DirectionInactive || (a.IsValid() && a.IsUnspecified())
}

// IsRTP reports whether the protocol is RTP based (RTP/AVP, RTP/SAVP, RTP/AVPF, RTP/SAVPF,
// UDP/TLS/RTP/SAVP(F), ...).
func (m *Media) IsRTP() bool {
	return containsFold(m.Proto, "RTP/")
}

// IsSecure reports whether the protocol is SRTP based (a profile ending in SAVP or SAVPF).
func (m *Media) IsSecure() bool {
	p := m.Proto
	return hasSuffixFold(p, "/SAVP") || hasSuffixFold(p, "/SAVPF")
}

// RTPMap returns the rtpmap for a payload type: the section's a=rtpmap, else the static
// assignment of RFC 3551 for RTP/AVP payload types 0-34. ok is false when neither exists.
func (m *Media) RTPMap(pt uint8) (RTPMap, bool) {
	for _, r := range m.RTPMaps {
		if r.PayloadType == pt {
			return r, true
		}
	}
	return StaticPayload(pt)
}

// DTLS reports whether the session uses DTLS-SRTP: a fingerprint attribute at media or
// session level.
func (m *Media) DTLS(s *Session) bool { return m.Fingerprint || s.Fingerprint }

// addr parses an IPv4 or IPv6 address without allocating. It returns the invalid Addr
// for anything else (host names included).
func addr(b []byte) netip.Addr {
	if v4, ok := textip.ParseIPv4(b); ok {
		return netip.AddrFrom4(v4)
	}
	if v6, ok := textip.ParseIPv6(b); ok {
		return netip.AddrFrom16(v6)
	}
	return netip.Addr{}
}

// containsFold reports whether b contains sub under ASCII case folding.
func containsFold(b []byte, sub string) bool {
	for i := 0; i+len(sub) <= len(b); i++ {
		if ascii.EqualFold(b[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}
