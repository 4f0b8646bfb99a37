package analyze

// clientHelloSNI returns the server name of a TLS ClientHello at the start of b (one TLS
// record, possibly cut), or nil when b does not start with a ClientHello that carries one.
// SIP over TLS cannot be read, but its peer and the name the SBC asked for can be judged.
func clientHelloSNI(b []byte) []byte {
	// TLS record: type 22 (handshake), version 3.x, length.
	if len(b) < 5 || b[0] != 22 || b[1] != 3 {
		return nil
	}
	rec := b[5:]
	if n := int(b[3])<<8 | int(b[4]); n < len(rec) {
		rec = rec[:n]
	}
	// Handshake: type 1 (ClientHello), 3-byte length.
	if len(rec) < 4 || rec[0] != 1 {
		return nil
	}
	h := rec[4:]
	if n := int(rec[1])<<16 | int(rec[2])<<8 | int(rec[3]); n < len(h) {
		h = h[:n]
	}
	// client_version(2) random(32)
	if len(h) < 34 {
		return nil
	}
	h = h[34:]
	var ok bool
	if h, ok = skipVec(h, 1); !ok { // session_id
		return nil
	}
	if h, ok = skipVec(h, 2); !ok { // cipher_suites
		return nil
	}
	if h, ok = skipVec(h, 1); !ok { // compression_methods
		return nil
	}
	if len(h) < 2 {
		return nil
	}
	ext := h[2:]
	if n := int(h[0])<<8 | int(h[1]); n < len(ext) {
		ext = ext[:n]
	}
	for len(ext) >= 4 {
		typ := int(ext[0])<<8 | int(ext[1])
		n := int(ext[2])<<8 | int(ext[3])
		if 4+n > len(ext) {
			return nil
		}
		body := ext[4 : 4+n]
		ext = ext[4+n:]
		if typ != 0 { // server_name
			continue
		}
		// ServerNameList: 2-byte length, then entries of type(1) length(2) name.
		if len(body) < 2 {
			return nil
		}
		list := body[2:]
		for len(list) >= 3 {
			nt := list[0]
			nl := int(list[1])<<8 | int(list[2])
			if 3+nl > len(list) {
				return nil
			}
			if nt == 0 {
				return list[3 : 3+nl]
			}
			list = list[3+nl:]
		}
		return nil
	}
	return nil
}

// skipVec skips a TLS vector with a length prefix of n bytes.
func skipVec(b []byte, n int) ([]byte, bool) {
	if len(b) < n {
		return nil, false
	}
	l := 0
	for i := 0; i < n; i++ {
		l = l<<8 | int(b[i])
	}
	if n+l > len(b) {
		return nil, false
	}
	return b[n+l:], true
}

// isTLSRecord reports whether b starts with a plausible TLS record header
// (content type 20–23, version 3.0–3.4).
func isTLSRecord(b []byte) bool {
	return len(b) >= 5 && b[0] >= 20 && b[0] <= 23 && b[1] == 3 && b[2] <= 4
}
