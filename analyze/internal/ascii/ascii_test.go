package ascii

import (
	"strings"
	"testing"
)

func TestEqualFold(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"", "", true},
		{"INVITE", "invite", true},
		{"Call-ID", "call-id", true},
		{"Via", "Vias", false},
		{"a", "b", false},
		{"[", "{", false}, // '[' + 0x20 is '{': only letters fold
		{"\xc3\x89", "\xc3\xa9", false},
	} {
		if got := EqualFold(tc.a, []byte(tc.b)); got != tc.want {
			t.Errorf("EqualFold(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
		if got, want := EqualFold(tc.a, tc.b), tc.want; got != want {
			t.Errorf("EqualFold(%q, %q) = %v", tc.a, tc.b, got)
		}
	}
	for c := 0; c < 256; c++ {
		want := byte(c)
		if s := strings.ToLower(string(rune(c))); c < 128 {
			want = s[0]
		}
		if got := Lower(byte(c)); got != want {
			t.Errorf("Lower(%#x) = %#x, want %#x", c, got, want)
		}
	}
}
