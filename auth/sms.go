package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// SMSSender delivers one text message. POST /api/auth/otp/send is its only user; the text is the
// verification message and phone is E.164 ("+39…").
type SMSSender interface {
	Send(ctx context.Context, phone, text string) error
}

// DefaultBulkGateURL is BulkGate's transactional endpoint (docs/operations.md, "Phone codes").
const DefaultBulkGateURL = "https://portal.bulkgate.com/api/1.0/simple/transactional"

// SMSConfig selects and configures the provider (docs/operations.md, "Phone codes").
type SMSConfig struct {
	Provider         string // SMS_PROVIDER: "bulkgate", "log" or "" (derived)
	BulkGateAppID    string // BULKGATE_APPLICATION_ID
	BulkGateAppToken string // BULKGATE_APPLICATION_TOKEN
	BulkGateURL      string // BULKGATE_API_URL
	Production       bool   // NODE_ENV=production
}

// NewSMSSender picks the provider: the explicit SMS_PROVIDER; else BulkGate
// when both credentials are set; else the log provider outside production;
// else BulkGate, which then fails every send as the original did.
func NewSMSSender(cfg SMSConfig, logger *slog.Logger) (SMSSender, error) {
	provider := strings.ToLower(strings.TrimSpace(cfg.Provider))
	if provider == "" {
		switch {
		case cfg.BulkGateAppID != "" && cfg.BulkGateAppToken != "":
			provider = "bulkgate"
		case !cfg.Production:
			provider = "log"
		default:
			provider = "bulkgate"
		}
	}
	switch provider {
	case "log":
		return LogSMS{Logger: logger}, nil
	case "bulkgate":
		url := cfg.BulkGateURL
		if url == "" {
			url = DefaultBulkGateURL
		}
		return &BulkGate{AppID: cfg.BulkGateAppID, AppToken: cfg.BulkGateAppToken, URL: url,
			Client: &http.Client{Timeout: 10 * time.Second}}, nil
	}
	return nil, fmt.Errorf("SMS_PROVIDER must be bulkgate or log, got %q", cfg.Provider)
}

// LogSMS writes messages to the log instead of sending them: development and
// tests read the code from there.
type LogSMS struct{ Logger *slog.Logger }

// Send logs phone and text at INFO and always succeeds.
func (l LogSMS) Send(ctx context.Context, phone, text string) error {
	if l.Logger != nil {
		l.Logger.InfoContext(ctx, "sms (log provider)", "phone", phone, "text", text)
	}
	return nil
}

// ErrSMSNotConfigured is the original's "Configuration Error": no request is
// made when a BulkGate credential is missing.
var ErrSMSNotConfigured = errors.New("sms: BulkGate credentials are not configured")

// BulkGate sends through BulkGate's simple transactional API.
type BulkGate struct {
	AppID, AppToken, URL string
	Client               *http.Client
}

// Send posts the message; success needs a 2xx status and data.status
// "accepted". The credentials never appear in the returned error.
func (b *BulkGate) Send(ctx context.Context, phone, text string) error {
	if b.AppID == "" || b.AppToken == "" {
		return ErrSMSNotConfigured
	}
	body, err := json.Marshal(map[string]any{
		"application_id": b.AppID, "application_token": b.AppToken,
		"number": strings.TrimPrefix(phone, "+"), "text": text, "unicode": true,
		"sender_id": "gSystem", "sender_id_value": "BulkGate", "country": "it",
	})
	if err != nil {
		return fmt.Errorf("sms: encode: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("sms: request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := b.Client.Do(req)
	if err != nil {
		return fmt.Errorf("sms: bulkgate unreachable: %w", err)
	}
	defer resp.Body.Close()
	var out struct {
		Data struct {
			Status string `json:"status"`
		} `json:"data"`
	}
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("sms: bulkgate answered %d", resp.StatusCode)
	}
	if err := json.Unmarshal(raw, &out); err != nil || out.Data.Status != "accepted" {
		return fmt.Errorf("sms: bulkgate did not accept the message (status %q)", out.Data.Status)
	}
	return nil
}
