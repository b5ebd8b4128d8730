package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
)

// corsHeaders are the response headers §5.2 speaks about.
var corsHeaders = []string{"Access-Control-Allow-Origin", "Access-Control-Allow-Credentials", "Access-Control-Allow-Methods",
	"Access-Control-Allow-Headers", "Access-Control-Max-Age", "Vary"}

func checkCORS(t *testing.T, h http.Header, want map[string]string) {
	t.Helper()
	for _, name := range corsHeaders {
		if got := strings.Join(h.Values(name), ", "); got != want[name] {
			t.Errorf("%s = %q, want %q", name, got, want[name])
		}
	}
}

const (
	allowedOrigin    = "http://localhost:3000"
	disallowedOrigin = "https://evil.example.com"
	preflightVary    = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
	allMethods       = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
)

func TestCORSOverHTTP(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t, nil)
	preflight := func(origin, path, reqHeaders string) apiReq {
		h := map[string]string{"Access-Control-Request-Method": "POST"}
		if origin != "" {
			h["Origin"] = origin
		}
		if reqHeaders != "" {
			h["Access-Control-Request-Headers"] = reqHeaders
		}
		return apiReq{method: "OPTIONS", target: path, headers: h}
	}
	get := func(origin, path string, extra ...string) apiReq {
		h := map[string]string{}
		if origin != "" {
			h["Origin"] = origin
		}
		for i := 0; i+1 < len(extra); i += 2 {
			h[extra[i]] = extra[i+1]
		}
		return apiReq{method: "GET", target: path, headers: h}
	}
	echoed := func(origin string) map[string]string {
		return map[string]string{"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Credentials": "true", "Vary": "Origin"}
	}
	allowedPreflight := func(origin, headers string) map[string]string {
		return map[string]string{"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Credentials": "true",
			"Access-Control-Allow-Methods": allMethods, "Access-Control-Allow-Headers": headers, "Access-Control-Max-Age": "600", "Vary": preflightVary}
	}
	defaultHeaders := "Content-Type, Authorization, Cookie, X-Requested-With, Accept, X-Tenant-Id, X-Tenant-Slug"
	tests := []struct {
		name   string
		req    apiReq
		status int
		want   map[string]string
	}{
		{"preflight, allowed", preflight(allowedOrigin, "/api/tenants/demo/feedback", "content-type,authorization"), 204,
			allowedPreflight(allowedOrigin, "content-type,authorization")},
		{"preflight, capacitor", preflight("capacitor://localhost", "/api/tenants/demo/feedback", "content-type"), 204,
			allowedPreflight("capacitor://localhost", "content-type")},
		{"preflight without requested headers", preflight(allowedOrigin, "/api/messages/x", ""), 204, allowedPreflight(allowedOrigin, defaultHeaders)},
		{"preflight, disallowed", preflight(disallowedOrigin, "/api/tenants/demo/feedback", "content-type"), 204, map[string]string{"Vary": preflightVary}},
		{"preflight, LAN prefix is no longer a wildcard", preflight("http://192.168.1.20", "/api/tenants", ""), 204, map[string]string{"Vary": preflightVary}},
		{"preflight, prefix bypass", preflight("http://192.168.evil.example", "/api/tenants", ""), 204, map[string]string{"Vary": preflightVary}},
		{"preflight on an unknown path", preflight(allowedOrigin, "/api/nope", ""), 204, allowedPreflight(allowedOrigin, defaultHeaders)},
		{"preflight under /api/auth", preflight(allowedOrigin, "/api/auth/get-session", ""), 204, allowedPreflight(allowedOrigin, defaultHeaders)},
		{"preflight on socket.io", preflight(allowedOrigin, "/socket.io/?EIO=4&transport=polling", "content-type"), 204, allowedPreflight(allowedOrigin, "content-type")},
		{"preflight from the own origin", apiReq{method: "OPTIONS", target: "/api/tenants/demo", headers: map[string]string{
			"Origin": "http://chat.example.com", "Host": "chat.example.com", "Access-Control-Request-Method": "POST"}}, 204,
			allowedPreflight("http://chat.example.com", defaultHeaders)},
		{"plain OPTIONS without Origin", apiReq{method: "OPTIONS", target: "/api/tenants"}, 204, map[string]string{}},
		{"GET, allowed", get(allowedOrigin, "/api/tenants"), 200, echoed(allowedOrigin)},
		{"GET, disallowed", get(disallowedOrigin, "/api/tenants"), 200, map[string]string{}},
		{"GET, no Origin", get("", "/api/tenants"), 200, map[string]string{}},
		{"GET, literal null", get("null", "/api/tenants"), 200, map[string]string{}},
		{"error responses carry CORS", get(allowedOrigin, "/api/tenants/nope"), 404, echoed(allowedOrigin)},
		{"unknown routes carry CORS", get(allowedOrigin, "/api/nope"), 404, echoed(allowedOrigin)},
		{"the own origin is always allowed", get("http://chat.example.com", "/api/tenants", "Host", "chat.example.com"), 200, echoed("http://chat.example.com")},
		{"https own origin via a trusted proxy", apiReq{method: "GET", target: "/api/tenants", remote: "127.0.0.1:1",
			headers: map[string]string{"Origin": "https://chat.example.com", "Host": "chat.example.com", "X-Forwarded-Proto": "https"}}, 200,
			echoed("https://chat.example.com")},
		{"X-Forwarded-Proto from anyone is ignored", get("https://chat.example.com", "/api/tenants", "Host", "chat.example.com", "X-Forwarded-Proto", "https"), 200,
			map[string]string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := e.do(tc.req)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.status, w.Body)
			}
			if tc.status == 204 && w.Body.Len() != 0 {
				t.Fatalf("preflight body %q", w.Body)
			}
			if w.Header().Get("Allow") != "" {
				t.Fatalf("Allow leaked: %q", w.Header().Get("Allow"))
			}
			checkCORS(t, w.Header(), tc.want)
		})
	}
}

func TestCORSWildcardIsNeverEmitted(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t, func(c *Config, _ *Deps) { c.CORSOrigins = []string{"*", " https://app.example.com/ "} })
	for origin, want := range map[string]string{"https://anything.example": "", "https://app.example.com": "https://app.example.com"} {
		w := e.do(apiReq{method: "GET", target: "/api/tenants", headers: map[string]string{"Origin": origin}})
		if got := w.Header().Get("Access-Control-Allow-Origin"); got != want {
			t.Fatalf("%s: ACAO %q, want %q", origin, got, want)
		}
	}
}

func TestCORSOnServerErrors(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t, nil)
	e.srv.engine.GET("/api/test-panic", func(*gin.Context) { panic("boom: secret detail") })
	w := e.do(apiReq{method: "GET", target: "/api/test-panic", headers: map[string]string{"Origin": allowedOrigin}})
	if w.Code != 500 || strings.Contains(w.Body.String(), "secret") {
		t.Fatalf("panic: %d %s", w.Code, w.Body)
	}
	assertJSON(t, w.Body.Bytes(), `{"statusCode":500,"message":"Internal server error"}`)
	checkCORS(t, w.Header(), map[string]string{"Access-Control-Allow-Origin": allowedOrigin, "Access-Control-Allow-Credentials": "true", "Vary": "Origin"})

	e.db.Close()
	w = e.do(apiReq{method: "GET", target: "/api/tenants/demo", headers: map[string]string{"Origin": allowedOrigin}})
	if w.Code != 500 || strings.Contains(w.Body.String(), "sql") {
		t.Fatalf("database down: %d %s", w.Code, w.Body)
	}
	checkCORS(t, w.Header(), map[string]string{"Access-Control-Allow-Origin": allowedOrigin, "Access-Control-Allow-Credentials": "true", "Vary": "Origin"})
}
