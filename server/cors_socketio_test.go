package server

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"chatd/socketio"
)

// mountGateway is a newAPIEnv edit that mounts the real socket gateway, on
// the environment's store, resolver and allow-list; it closes with t.
func mountGateway(t *testing.T, c *Config, d *Deps) {
	t.Helper()
	origins, err := NewOrigins(c.CORSOrigins, c.TrustedProxies)
	if err != nil {
		t.Fatal(err)
	}
	gw, err := socketio.New(socketio.Config{}, socketio.Deps{Store: d.Store, Sessions: d.Resolver, Origins: origins, Logger: d.Logger})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(gw.Close)
	d.Sockets = gw.Handler()
}

// TestCORSOverSocketIOHandshake sends the same handshake from an allowed and
// a disallowed origin to the real gateway mounted in the server.
func TestCORSOverSocketIOHandshake(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t, func(c *Config, d *Deps) { mountGateway(t, c, d) })
	srv := httptest.NewServer(e.h)
	t.Cleanup(srv.Close)

	poll := func(origin string) *http.Response {
		req, _ := http.NewRequest("GET", srv.URL+"/socket.io/?EIO=4&transport=polling", nil)
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	res := poll(allowedOrigin)
	if res.StatusCode != 200 {
		t.Fatalf("allowed polling handshake: %d", res.StatusCode)
	}
	checkCORS(t, res.Header, map[string]string{"Access-Control-Allow-Origin": allowedOrigin, "Access-Control-Allow-Credentials": "true", "Vary": "Origin"})
	res = poll(disallowedOrigin)
	if res.StatusCode != 403 {
		t.Fatalf("disallowed polling handshake: %d", res.StatusCode)
	}
	checkCORS(t, res.Header, map[string]string{})
	if res := poll(""); res.StatusCode != 200 || res.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("handshake without Origin: %d %v", res.StatusCode, res.Header)
	}

	upgrade := func(origin string) int {
		req, _ := http.NewRequest("GET", srv.URL+"/socket.io/?EIO=4&transport=websocket", nil)
		req.Header.Set("Connection", "Upgrade")
		req.Header.Set("Upgrade", "websocket")
		req.Header.Set("Sec-WebSocket-Version", "13")
		req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
		req.Header.Set("Origin", origin)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if got := upgrade(allowedOrigin); got != http.StatusSwitchingProtocols {
		t.Fatalf("allowed websocket upgrade: %d", got)
	}
	if got := upgrade(disallowedOrigin); got != http.StatusForbidden {
		t.Fatalf("disallowed websocket upgrade: %d", got)
	}
}
