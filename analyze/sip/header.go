package sip

import "github.com/ixaudit/ixaudit/analyze/internal/ascii"

// HeaderKind identifies the header fields the parser knows by name. Compact forms
// (RFC 3261 §7.3.3 and the IANA SIP parameters registry) map to the same kind as their
// long names, so "v" and "Via" are both HeaderVia.
type HeaderKind uint8

// Known header fields. HeaderOther is any other name.
const (
	HeaderOther              HeaderKind = iota
	HeaderAcceptContact                 // a
	HeaderAllowEvents                   // u
	HeaderCallID                        // i
	HeaderContact                       // m
	HeaderContentEncoding               // e
	HeaderContentLength                 // l
	HeaderContentType                   // c
	HeaderCSeq                          //
	HeaderEvent                         // o
	HeaderFrom                          // f
	HeaderIdentity                      // y
	HeaderIdentityInfo                  // n
	HeaderMaxForwards                   //
	HeaderPAssertedIdentity             //
	HeaderRecordRoute                   //
	HeaderReferTo                       // r
	HeaderReferredBy                    // b
	HeaderRejectContact                 // j
	HeaderRequestDisposition            // d
	HeaderRoute                         //
	HeaderServer                        //
	HeaderSessionExpires                // x
	HeaderSubject                       // s
	HeaderSupported                     // k
	HeaderTo                            // t
	HeaderUserAgent                     //
	HeaderVia                           // v
	numHeaderKinds
)

// headerNames holds the canonical long name of each kind, and headerCompact its compact
// form (0 when it has none).
var headerNames = [numHeaderKinds]string{
	HeaderAcceptContact:      "Accept-Contact",
	HeaderAllowEvents:        "Allow-Events",
	HeaderCallID:             "Call-ID",
	HeaderContact:            "Contact",
	HeaderContentEncoding:    "Content-Encoding",
	HeaderContentLength:      "Content-Length",
	HeaderContentType:        "Content-Type",
	HeaderCSeq:               "CSeq",
	HeaderEvent:              "Event",
	HeaderFrom:               "From",
	HeaderIdentity:           "Identity",
	HeaderIdentityInfo:       "Identity-Info",
	HeaderMaxForwards:        "Max-Forwards",
	HeaderPAssertedIdentity:  "P-Asserted-Identity",
	HeaderRecordRoute:        "Record-Route",
	HeaderReferTo:            "Refer-To",
	HeaderReferredBy:         "Referred-By",
	HeaderRejectContact:      "Reject-Contact",
	HeaderRequestDisposition: "Request-Disposition",
	HeaderRoute:              "Route",
	HeaderServer:             "Server",
	HeaderSessionExpires:     "Session-Expires",
	HeaderSubject:            "Subject",
	HeaderSupported:          "Supported",
	HeaderTo:                 "To",
	HeaderUserAgent:          "User-Agent",
	HeaderVia:                "Via",
}

// compactKinds maps a lower-case compact form letter, less 'a', to its kind.
var compactKinds = func() (t [26]HeaderKind) {
	for _, c := range []struct {
		letter byte
		kind   HeaderKind
	}{
		{'a', HeaderAcceptContact}, {'b', HeaderReferredBy}, {'c', HeaderContentType},
		{'d', HeaderRequestDisposition}, {'e', HeaderContentEncoding}, {'f', HeaderFrom},
		{'i', HeaderCallID}, {'j', HeaderRejectContact}, {'k', HeaderSupported},
		{'l', HeaderContentLength}, {'m', HeaderContact}, {'n', HeaderIdentityInfo},
		{'o', HeaderEvent}, {'r', HeaderReferTo}, {'s', HeaderSubject}, {'t', HeaderTo},
		{'u', HeaderAllowEvents}, {'v', HeaderVia}, {'x', HeaderSessionExpires},
		{'y', HeaderIdentity},
	} {
		t[c.letter-'a'] = c.kind
	}
	return t
}()

// String returns the canonical long name of the header ("Call-ID"), or "" for HeaderOther.
func (k HeaderKind) String() string {
	if k < numHeaderKinds {
		return headerNames[k]
	}
	return ""
}

// kindsByShape lists, by name length and lower-case first letter, the long names that
// could match, so that kindOf compares a name with at most a few candidates.
var kindsByShape = func() (t [maxHeaderName + 1][26][]HeaderKind) {
	for k := HeaderKind(1); k < numHeaderKinds; k++ {
		name := headerNames[k]
		c := ascii.Lower(name[0]) - 'a'
		t[len(name)][c] = append(t[len(name)][c], k)
	}
	return t
}()

// maxHeaderName is the length of the longest name in headerNames.
const maxHeaderName = len("P-Asserted-Identity")

// kindOf returns the kind of a header name, matched case-insensitively, compact forms
// included. It does not allocate.
func kindOf[T []byte | string](name T) HeaderKind {
	if len(name) == 0 || len(name) > maxHeaderName {
		return HeaderOther
	}
	c := ascii.Lower(name[0])
	if c < 'a' || c > 'z' {
		return HeaderOther
	}
	if len(name) == 1 {
		return compactKinds[c-'a']
	}
	for _, k := range kindsByShape[len(name)][c-'a'] {
		if ascii.EqualFold(name, headerNames[k]) {
			return k
		}
	}
	return HeaderOther
}

// HeaderField is one header field line of a message, continuation lines included.
//
// Name is the name as sent (a compact form stays "v"). Value has the whitespace around it
// removed; when the field was folded over several lines (RFC 3261 §7.3.1), Value still
// spans the line breaks as they are in the input: a CR or LF inside Value followed by
// spaces or tabs is linear white space, equivalent to one space. Both alias the parsed
// data.
type HeaderField struct {
	Kind  HeaderKind
	Name  []byte
	Value []byte
}

// Is reports whether the field has the given name, case-insensitively, treating compact
// and long forms as equal.
func (h HeaderField) Is(name string) bool {
	if k := kindOf(name); k != HeaderOther {
		return h.Kind == k
	}
	return h.Kind == HeaderOther && ascii.EqualFold(h.Name, name)
}
