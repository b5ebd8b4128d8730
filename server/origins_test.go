package server

import (
	"crypto/tls"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestClientIP(t *testing.T) {
	t.Parallel()
	o, err := NewOrigins(nil, []string{"127.0.0.0/8", "::1/128", "10.0.0.0/8"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, remote, xff, realIP, want string
	}{
		{"untrusted peer, forged header", "203.0.113.5:1", "1.2.3.4", "5.6.7.8", "203.0.113.5"},
		{"trusted peer, one hop", "127.0.0.1:1", "198.51.100.9", "", "198.51.100.9"},
		{"walks past trusted proxies from the right", "127.0.0.1:1", "1.2.3.4, 198.51.100.9, 10.1.1.1", "", "198.51.100.9"},
		{"all trusted: the left-most", "127.0.0.1:1", "10.0.0.1, 10.0.0.2", "", "10.0.0.1"},
		{"X-Real-IP when no XFF", "[::1]:1", "", "198.51.100.3", "198.51.100.3"},
		{"IPv4-mapped peer is plain IPv4", "[::ffff:203.0.113.7]:1", "", "", "203.0.113.7"},
		{"IPv6 client kept whole", "127.0.0.1:1", "2001:db8::1", "", "2001:db8::1"},
		{"garbage entries are skipped", "127.0.0.1:1", "not-an-ip, 198.51.100.4", "", "198.51.100.4"},
		{"nothing usable: the peer", "127.0.0.1:1", "garbage", "also-garbage", "127.0.0.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tc.remote
			if tc.xff != "" {
				r.Header.Set("X-Forwarded-For", tc.xff)
			}
			if tc.realIP != "" {
				r.Header.Set("X-Real-IP", tc.realIP)
			}
			if got := o.ClientIP(r); got != tc.want {
				t.Fatalf("ClientIP = %q, want %q", got, tc.want)
			}
		})
	}
	if _, err := NewOrigins(nil, []string{"not-a-cidr"}); err == nil {
		t.Fatal("a bad TRUSTED_PROXIES entry must be refused")
	}
}

func TestOriginsAllowed(t *testing.T) {
	t.Parallel()
	o, err := NewOrigins([]string{" https://app.example.com/ ", "*", "capacitor://localhost"}, []string{"127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	if !o.wildcard || strings.Join(o.List(), ",") != "https://app.example.com,capacitor://localhost" {
		t.Fatalf("list %v wildcard %v", o.List(), o.wildcard)
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.Host = "chat.example.com"
	for origin, want := range map[string]bool{
		"https://app.example.com": true, "https://app.example.com/": true, "capacitor://localhost": true,
		"http://app.example.com": false, "https://app.example.com:8443": false, "capacitor://evil": false,
		"http://chat.example.com": true, "https://chat.example.com": false, "": false, "null": false,
	} {
		if got := o.Allowed(r, origin); got != want {
			t.Errorf("Allowed(%q) = %v, want %v", origin, got, want)
		}
	}
	r.RemoteAddr = "127.0.0.1:1"
	r.Header.Set("X-Forwarded-Proto", "https, http")
	if !o.Allowed(r, "https://chat.example.com") || o.OwnOrigin(r) != "https://chat.example.com" {
		t.Error("the first X-Forwarded-Proto of a trusted proxy chain decides the scheme")
	}
	r.RemoteAddr = "203.0.113.1:1"
	if o.OwnOrigin(r) != "http://chat.example.com" {
		t.Error("X-Forwarded-Proto from an untrusted peer must not count")
	}
	r.Header.Del("X-Forwarded-Proto")
	r.TLS = &tls.ConnectionState{}
	if !o.Allowed(r, "https://chat.example.com") {
		t.Error("the own https origin on TLS must be allowed")
	}
}

func TestDefaultOrigins(t *testing.T) {
	t.Parallel()
	got := DefaultOrigins("http://192.168.1.5:3000/app", "https://chat.example.com", []string{"https://admin.example.com/", "http://192.168.1.5:3001"})
	want := "http://192.168.1.5:3000,http://192.168.1.5:3001,https://chat.example.com,https://admin.example.com,capacitor://localhost,http://localhost,https://localhost"
	if strings.Join(got, ",") != want {
		t.Fatalf("DefaultOrigins = %v\nwant %s", got, want)
	}
	if got := DefaultOrigins("", "", nil); strings.Join(got, ",") != "capacitor://localhost,http://localhost,https://localhost" {
		t.Fatalf("no URLs: %v", got)
	}
}
