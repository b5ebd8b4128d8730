package engineio

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// A session keeps its handshake compacted into one string; what the layers
// above read of it must come back unchanged, and nothing else.
func TestHandshakeInfoKeepsWhatLaterLayersRead(t *testing.T) {
	tests := []struct {
		name    string
		target  string
		headers map[string]string
	}{
		{"bare", "/socket.io/?EIO=4&transport=websocket", nil},
		{"browser", "/socket.io/?EIO=4&transport=polling&tenantSlug=t1&userId=u%20x&userAlias=Zo%C3%AB", map[string]string{
			"Cookie": "better-auth.session_token=abc.def", "Origin": "http://localhost:3000",
			"User-Agent": "Mozilla/5.0", "X-Forwarded-For": "10.0.0.1, 10.0.0.2", "Accept-Language": "fr",
			"Authorization": "Bearer not-kept", "X-Other": "not kept",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, tt.target, nil)
			r.RemoteAddr = "192.0.2.7:5150"
			for k, v := range tt.headers {
				r.Header.Set(k, v)
			}
			h := newHandshakeInfo(r)
			got := h.request()
			if got.URL.Path != r.URL.Path || got.URL.RawQuery != r.URL.RawQuery || got.Host != r.Host || got.RemoteAddr != r.RemoteAddr {
				t.Fatalf("got %s?%s host %q from %q, want %s?%s host %q from %q", got.URL.Path, got.URL.RawQuery,
					got.Host, got.RemoteAddr, r.URL.Path, r.URL.RawQuery, r.Host, r.RemoteAddr)
			}
			if got.URL.Query().Get("userId") != r.URL.Query().Get("userId") {
				t.Fatalf("query userId %q", got.URL.Query().Get("userId"))
			}
			for _, k := range keptHeaders {
				if got.Header.Get(k) != r.Header.Get(k) {
					t.Errorf("header %s = %q, want %q", k, got.Header.Get(k), r.Header.Get(k))
				}
			}
			if got.Header.Get("Authorization") != "" || got.Header.Get("X-Other") != "" {
				t.Errorf("kept a header it should not: %v", got.Header)
			}
		})
	}
}
