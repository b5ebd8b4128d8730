package engineio

import (
	"net/url"
	"testing"
)

// QueryValue must read a query exactly as url.Values.Get does.
func TestQueryValueMatchesParseQuery(t *testing.T) {
	queries := []string{
		"", "EIO=4&transport=websocket", "a=1&a=2", "a", "a=", "=x&a=y", "&&a=1&&",
		"a%3D=1&a=2", "a=%41%42+c", "a=%zz&a=ok", "a;b=1&a=2", "a=1;b&a=2", "b=1&c=2",
		"%61=escaped-key", "a+b=plus-key&a=plain", "a=1&a%zz=2", "a=x=y", "A=upper",
	}
	for _, q := range queries {
		parsed, _ := url.ParseQuery(q)
		for _, key := range []string{"a", "a b", "b", "c", "", "A", "EIO", "transport", "sid"} {
			got, ok := QueryValue(q, key)
			if want, wantOK := parsed.Get(key), parsed.Has(key); got != want || ok != wantOK {
				t.Errorf("QueryValue(%q, %q) = %q, %v; ParseQuery gives %q, %v", q, key, got, ok, want, wantOK)
			}
		}
	}
}

func FuzzQueryValue(f *testing.F) {
	f.Add("a=1&b=%41", "a")
	f.Fuzz(func(t *testing.T, q, key string) {
		parsed, _ := url.ParseQuery(q)
		got, ok := QueryValue(q, key)
		if want, wantOK := parsed.Get(key), parsed.Has(key); got != want || ok != wantOK {
			t.Errorf("QueryValue(%q, %q) = %q, %v; ParseQuery gives %q, %v", q, key, got, ok, want, wantOK)
		}
	})
}
