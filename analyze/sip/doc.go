// Package sip parses SIP messages (RFC 3261) in place, without allocating.
//
// A Message is reused across packets: Parse overwrites it and keeps only the backing
// arrays of its lists, so a realistic INVITE with SDP parses with zero allocations. Every
// []byte it returns aliases the parsed data, the way net/textproto and gopacket's
// DecodingLayer do: copy what must outlive the packet.
//
// The parser is lenient where real traffic is (folded lines, bare LF, compact header
// names, white space before ';', a Content-Length that lies) and records what it
// tolerated as Defects; it returns an error only for data that is not a SIP message at
// all (ErrNotSIP, ErrKeepAlive) or cannot be read as one (ErrMalformed). Every length in
// the input is checked against the data that is really there.
//
// ParseURI, ParseNameAddr and ParseVia parse the pieces of a message on their own. Frame
// cuts messages out of a TCP byte stream, and LooksLikeSIP sniffs SIP on unusual ports.
package sip
