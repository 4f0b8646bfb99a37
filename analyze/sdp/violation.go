package sdp

import "strconv"

// ViolationKind is a way a session description breaks the SDP grammar.
type ViolationKind uint8

// Violation kinds.
const (
	ViolationNone              ViolationKind = iota
	ViolationMissingVersion                  // no v= line, or it is not the first line
	ViolationBadVersion                      // v= is not 0
	ViolationMissingOrigin                   // no o= line
	ViolationBadOrigin                       // o= does not have six fields
	ViolationMissingName                     // no s= line
	ViolationMissingTiming                   // no t= line
	ViolationOutOfOrder                      // a line out of the order RFC 8866 §5 prescribes
	ViolationUnknownType                     // a line type letter SDP does not define
	ViolationBadLine                         // a line that is not "<letter>=<value>"
	ViolationBadConnection                   // c= is not "<nettype> <addrtype> <address>"
	ViolationMissingConnection               // a media section without c= here or at session level
	ViolationBadMedia                        // m= is not "<media> <port>[/<n>] <proto> <fmt> ..."
	ViolationBadAttribute                    // a malformed rtpmap, rtcp or crypto attribute
	ViolationDuplicate                       // a second v=, o=, s= or c= line in one section
	ViolationTooMany                         // more media, formats, rtpmaps or cryptos than the limits
	numViolationKinds
)

var violationNames = [numViolationKinds]string{
	ViolationNone:              "",
	ViolationMissingVersion:    "missing-version",
	ViolationBadVersion:        "bad-version",
	ViolationMissingOrigin:     "missing-origin",
	ViolationBadOrigin:         "bad-origin",
	ViolationMissingName:       "missing-session-name",
	ViolationMissingTiming:     "missing-timing",
	ViolationOutOfOrder:        "out-of-order",
	ViolationUnknownType:       "unknown-line-type",
	ViolationBadLine:           "bad-line",
	ViolationBadConnection:     "bad-connection",
	ViolationMissingConnection: "missing-connection",
	ViolationBadMedia:          "bad-media",
	ViolationBadAttribute:      "bad-attribute",
	ViolationDuplicate:         "duplicate-line",
	ViolationTooMany:           "too-many",
}

// String returns the kind's name ("out-of-order").
func (k ViolationKind) String() string {
	if k < numViolationKinds {
		return violationNames[k]
	}
	return "unknown"
}

// Violation is one departure from the SDP grammar.
type Violation struct {
	Line int // 1-based line number within the body; 0 for what is missing from the whole
	Kind ViolationKind
}

// String returns "line N: kind", or the kind alone when Line is 0.
func (v Violation) String() string {
	if v.Line == 0 {
		return v.Kind.String()
	}
	return "line " + strconv.Itoa(v.Line) + ": " + v.Kind.String()
}
