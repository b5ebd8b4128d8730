package socketio

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestTransportPollingHandshake(t *testing.T) {
	tests := []struct {
		name       string
		allow      func(*http.Request) error
		query      string
		wantStatus int
		wantPrefix string
	}{
		{"handshake", nil, "?EIO=4&transport=polling", http.StatusOK, `0{"`},
		{"refused", func(*http.Request) error { return errors.New("bad origin") }, "?EIO=4&transport=polling", http.StatusForbidden, `{"code":4,"message":"Forbidden"}`},
		{"bad transport", nil, "?EIO=4&transport=udp", http.StatusBadRequest, `{"code":0`},
		{"no EIO", nil, "?transport=polling", http.StatusBadRequest, `{"code":`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := NewTransport(TransportOptions{AllowRequest: tc.allow})
			defer tr.Close()
			srv := httptest.NewServer(tr.Handler())
			defer srv.Close()
			res, err := http.Get(srv.URL + "/socket.io/" + tc.query)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != tc.wantStatus || !strings.HasPrefix(string(body), tc.wantPrefix) {
				t.Fatalf("got %d %q, want %d %q…", res.StatusCode, body, tc.wantStatus, tc.wantPrefix)
			}
		})
	}
}
