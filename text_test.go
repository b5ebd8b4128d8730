package chatd_test

import (
	"testing"

	"chatd"
)

func TestValidText(t *testing.T) {
	tests := []struct {
		in   any
		want bool
	}{
		{"", true},
		{"Ciao, come va? àèìòù 😀 \ufffd", true},
		{"tab\tnewline\n", true},
		{"a\x00b", false},
		{"\x00", false},
		{"bad \xff byte", false},
		{"cut \xe2\x82", false},
		{"surrogate \xed\xa0\x80", false},
		{nil, true},
		{3.0, true},
		{[]byte{0, 0xff}, true}, // binary, not text
		{[]any{"ok", []any{"deep\x00"}}, false},
		{map[string]any{"k": map[string]any{"status": "x\x00"}}, false},
		{map[string]any{"k\x00": "v"}, false},
		{map[string]any{"user": map[string]any{"alias": "Anna", "tags": []any{"a", 1.0, true, nil}}}, true},
	}
	for _, tt := range tests {
		got := chatd.ValidTextIn(tt.in)
		if got != tt.want {
			t.Errorf("ValidTextIn(%q) = %v, want %v", tt.in, got, tt.want)
		}
		if s, ok := tt.in.(string); ok && chatd.ValidText(s) != tt.want {
			t.Errorf("ValidText(%q) = %v, want %v", s, !tt.want, tt.want)
		}
	}
}
