package main

import (
	"slices"
	"strings"
	"testing"
	"time"

	"chatd/auth"
)

func loginEnv(extra map[string]string) func(string) string {
	env := map[string]string{"DATABASE_URL": "postgres://u@h/db", "BETTER_AUTH_SECRET": "s", "NODE_ENV": "test"}
	for k, v := range extra {
		env[k] = v
	}
	return func(k string) string { return env[k] }
}

func TestLoginConfigDefaults(t *testing.T) {
	cfg, err := LoadConfig(loginEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	lc := cfg.Logins
	if lc.OTPPhoneCooldown != 60*time.Second || lc.OTPPhoneHourly != 5 || lc.OTPIPHourly != 30 {
		t.Fatalf("OTP limits %+v", lc)
	}
	if lc.SMS.BulkGateURL != auth.DefaultBulkGateURL || lc.SMS.Provider != "" {
		t.Fatalf("SMS %+v", lc.SMS)
	}
	if lc.Google.JWKSURL != auth.GoogleJWKSURL || lc.Apple.JWKSURL != auth.AppleJWKSURL ||
		lc.Google.TokenURL != auth.GoogleTokenURL || lc.Apple.AuthURL != auth.AppleAuthURL {
		t.Fatalf("provider URLs %+v %+v", lc.Google, lc.Apple)
	}
	if !slices.Contains(lc.Apple.Audiences, "io.local.app") {
		t.Fatalf("Apple audiences %v must default to the bundle id", lc.Apple.Audiences)
	}
}

func TestLoginConfigFromEnv(t *testing.T) {
	cfg, err := LoadConfig(loginEnv(map[string]string{
		"GOOGLE_CLIENT_ID": "web", "NEXT_PUBLIC_GOOGLE_CLIENT_ID_IOS": "ios", "NEXT_PUBLIC_GOOGLE_CLIENT_ID_ANDROID": "android",
		"GOOGLE_AUDIENCES": "extra1, extra2", "APPLE_CLIENT_ID": "svc", "APPLE_AUDIENCES": "bundle",
		"GOOGLE_JWKS_URL": "http://127.0.0.1:1/jwks", "SMS_PROVIDER": "log", "OTP_SEND_PHONE_COOLDOWN_S": "5",
	}))
	if err != nil {
		t.Fatal(err)
	}
	lc := cfg.Logins
	for _, a := range []string{"web", "ios", "android", "extra1", "extra2"} {
		if !slices.Contains(lc.Google.Audiences, a) {
			t.Fatalf("Google audiences %v lack %q", lc.Google.Audiences, a)
		}
	}
	if slices.Contains(lc.Apple.Audiences, "io.local.app") || !slices.Contains(lc.Apple.Audiences, "bundle") ||
		!slices.Contains(lc.Apple.Audiences, "svc") {
		t.Fatalf("Apple audiences %v", lc.Apple.Audiences)
	}
	if lc.Google.JWKSURL != "http://127.0.0.1:1/jwks" || lc.SMS.Provider != "log" || lc.OTPPhoneCooldown != 5*time.Second {
		t.Fatalf("overrides not applied: %+v", lc)
	}
	_, err = LoadConfig(loginEnv(map[string]string{"SMS_PROVIDER": "twilio"}))
	if err == nil || !strings.Contains(err.Error(), "SMS_PROVIDER") {
		t.Fatalf("a bad SMS_PROVIDER must be refused at start: %v", err)
	}
}
