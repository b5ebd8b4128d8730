package auth

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestBulkGateSend(t *testing.T) {
	t.Parallel()
	var got map[string]any
	var contentType string
	reply := `{"data":{"status":"accepted","sms_id":"x"}}`
	status := http.StatusOK
	stub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		contentType = r.Header.Get("Content-Type")
		json.NewDecoder(r.Body).Decode(&got)
		w.WriteHeader(status)
		io.WriteString(w, reply)
	}))
	defer stub.Close()
	sender, err := NewSMSSender(SMSConfig{BulkGateAppID: "app-1", BulkGateAppToken: "tok-1", BulkGateURL: stub.URL}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := sender.(*BulkGate); !ok {
		t.Fatalf("both credentials set must select BulkGate, got %T", sender)
	}
	if err := sender.Send(context.Background(), "+393331234567", "Il tuo codice di verifica è: 123456"); err != nil {
		t.Fatalf("send: %v", err)
	}
	want := map[string]any{"application_id": "app-1", "application_token": "tok-1", "number": "393331234567",
		"text": "Il tuo codice di verifica è: 123456", "unicode": true, "sender_id": "gSystem",
		"sender_id_value": "BulkGate", "country": "it"}
	gotJSON, _ := json.Marshal(got)
	wantJSON, _ := json.Marshal(want)
	if string(gotJSON) != string(wantJSON) || contentType != "application/json" {
		t.Fatalf("request %s (%s), want %s", gotJSON, contentType, wantJSON)
	}
	for _, tc := range []struct {
		name   string
		status int
		reply  string
	}{
		{"not accepted", 200, `{"data":{"status":"rejected"}}`},
		{"server error", 500, `{"data":{"status":"accepted"}}`},
		{"not JSON", 200, `ok`},
	} {
		status, reply = tc.status, tc.reply
		err := sender.Send(context.Background(), "+393331234567", "x")
		if err == nil {
			t.Fatalf("%s: want an error", tc.name)
		}
		if strings.Contains(err.Error(), "tok-1") {
			t.Fatalf("%s: the error leaks the token: %v", tc.name, err)
		}
	}
}

func TestSMSProviderSelection(t *testing.T) {
	t.Parallel()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, tc := range []struct {
		name string
		cfg  SMSConfig
		want string
	}{
		{"unset, development", SMSConfig{}, "auth.LogSMS"},
		{"unset, production", SMSConfig{Production: true}, "*auth.BulkGate"},
		{"one credential only", SMSConfig{BulkGateAppID: "x"}, "auth.LogSMS"},
		{"explicit log in production", SMSConfig{Provider: "log", Production: true}, "auth.LogSMS"},
		{"explicit bulkgate", SMSConfig{Provider: "BulkGate"}, "*auth.BulkGate"},
	} {
		s, err := NewSMSSender(tc.cfg, log)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := typeName(s); got != tc.want {
			t.Fatalf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
	if _, err := NewSMSSender(SMSConfig{Provider: "twilio"}, log); err == nil {
		t.Fatal("an unknown provider must be refused")
	}
	// BulkGate without credentials fails without a request, as the original.
	s, _ := NewSMSSender(SMSConfig{Production: true, BulkGateURL: "http://127.0.0.1:1"}, log)
	if err := s.Send(context.Background(), "+393331234567", "x"); err != ErrSMSNotConfigured {
		t.Fatalf("unconfigured BulkGate: %v", err)
	}
}

func typeName(v any) string {
	switch v.(type) {
	case LogSMS:
		return "auth.LogSMS"
	case *BulkGate:
		return "*auth.BulkGate"
	}
	return "?"
}
