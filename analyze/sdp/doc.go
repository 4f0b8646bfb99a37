// Package sdp parses SDP session descriptions (RFC 8866, formerly RFC 4566) leniently and
// without allocating once a reused Session has grown its buffers.
//
// Unlike strict parsers, it does not give up on descriptions that break the grammar in
// ways real equipment does (lines out of order, a missing s=, unknown line types, a bad
// c= line): it records each as a Violation and keeps what it can read. Only a body that
// is not SDP at all is an error (ErrNotSDP).
//
// It reads what an audit of media paths needs: the origin and connection addresses, the
// media sections (type, port, protocol, formats), rtpmap, rtcp, rtcp-mux, the direction
// attributes, SDES crypto attributes, and whether DTLS-SRTP (fingerprint, setup) and ICE
// are in use. Every []byte a Session holds aliases the parsed body.
package sdp
