package report

import "bytes"

// appendIndent appends to dst the compact JSON src indented as encoding/json's Indent
// (and json.Encoder with SetIndent) indents it: each element of a non-empty object or
// array on a line of its own, after prefix and one indent per level, a space after each
// colon, empty objects and arrays left as {} and []. src must be valid, compact JSON, as
// json.Marshal and json.Encoder (without SetIndent) write it, with no trailing newline;
// that is all Render gives it. It makes one pass without json's validating scanner, which
// took twice as long as encoding the report itself.
func appendIndent(dst, src []byte, prefix, indent string) []byte {
	depth := 0
	newline := func() {
		dst = append(dst, '\n')
		dst = append(dst, prefix...)
		for range depth {
			dst = append(dst, indent...)
		}
	}
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch c {
		case '"':
			// A string, escapes included, copied as it is. It ends at the first quote
			// after an even number of backslashes (none, or escaped backslashes).
			j := i + 1
			for {
				k := bytes.IndexByte(src[j:], '"')
				if k < 0 {
					j = len(src)
					break
				}
				j += k
				escapes := 0
				for m := j - 1; m > i && src[m] == '\\'; m-- {
					escapes++
				}
				if escapes%2 == 0 {
					break
				}
				j++
			}
			dst = append(dst, src[i:min(j+1, len(src))]...)
			i = j
		case '{', '[':
			dst = append(dst, c)
			if i+1 < len(src) && (src[i+1] == '}' || src[i+1] == ']') {
				dst = append(dst, src[i+1])
				i++
				continue
			}
			depth++
			newline()
		case '}', ']':
			depth--
			newline()
			dst = append(dst, c)
		case ',':
			dst = append(dst, c)
			newline()
		case ':':
			dst = append(dst, c, ' ')
		default:
			dst = append(dst, c)
		}
	}
	return dst
}
