package main

import (
	"log/slog"
	"net/http"
	"time"

	"chatd/auth"
	"chatd/server"
	"chatd/store"
)

// LoginConfig is the configuration of the phone, biometric, passkey and
// social logins (docs/http-routes.md, "Logins"; docs/operations.md).
type LoginConfig struct {
	SMS              auth.SMSConfig
	OTPPhoneCooldown time.Duration
	OTPPhoneHourly   int
	OTPIPHourly      int
	Google, Apple    auth.ProviderConfig
}

// loadLoginConfig reads the login variables; problems go to e's error list.
func loadLoginConfig(e *envReader, production bool) LoginConfig {
	lc := LoginConfig{
		SMS: auth.SMSConfig{Provider: e.str("SMS_PROVIDER", ""), BulkGateAppID: e.str("BULKGATE_APPLICATION_ID", ""),
			BulkGateAppToken: e.str("BULKGATE_APPLICATION_TOKEN", ""),
			BulkGateURL:      e.str("BULKGATE_API_URL", auth.DefaultBulkGateURL), Production: production},
		OTPPhoneCooldown: e.seconds("OTP_SEND_PHONE_COOLDOWN_S", 60*time.Second),
		OTPPhoneHourly:   e.integer("OTP_SEND_PHONE_MAX_PER_HOUR", 5),
		OTPIPHourly:      e.integer("OTP_SEND_IP_MAX_PER_HOUR", 30),
		Google: auth.ProviderConfig{ClientID: e.str("GOOGLE_CLIENT_ID", ""), ClientSecret: e.str("GOOGLE_CLIENT_SECRET", ""),
			JWKSURL: e.str("GOOGLE_JWKS_URL", auth.GoogleJWKSURL), AuthURL: e.str("GOOGLE_AUTH_URL", auth.GoogleAuthURL),
			TokenURL: e.str("GOOGLE_TOKEN_URL", auth.GoogleTokenURL)},
		Apple: auth.ProviderConfig{ClientID: e.str("APPLE_CLIENT_ID", ""), ClientSecret: e.str("APPLE_CLIENT_SECRET", ""),
			JWKSURL: e.str("APPLE_JWKS_URL", auth.AppleJWKSURL), AuthURL: e.str("APPLE_AUTH_URL", auth.AppleAuthURL),
			TokenURL: e.str("APPLE_TOKEN_URL", auth.AppleTokenURL)},
	}
	lc.Google.Audiences = append([]string{lc.Google.ClientID, e.str("NEXT_PUBLIC_GOOGLE_CLIENT_ID_WEB", ""),
		e.str("NEXT_PUBLIC_GOOGLE_CLIENT_ID_IOS", ""), e.str("NEXT_PUBLIC_GOOGLE_CLIENT_ID_ANDROID", "")},
		e.list("GOOGLE_AUDIENCES")...)
	appleAudiences := e.list("APPLE_AUDIENCES")
	if e.getenv("APPLE_AUDIENCES") == "" {
		appleAudiences = []string{"io.local.app"} // the iOS bundle id
	}
	lc.Apple.Audiences = append([]string{lc.Apple.ClientID}, appleAudiences...)
	switch lc.SMS.Provider {
	case "", "bulkgate", "log":
	default:
		e.require(false, "SMS_PROVIDER must be bulkgate or log")
	}
	e.require(lc.OTPPhoneHourly >= 0 && lc.OTPIPHourly >= 0, "OTP_SEND_*_MAX_PER_HOUR must not be negative")
	return lc
}

// buildLogins wires the login methods over the store.
func buildLogins(cfg Config, db *store.DB, logger *slog.Logger) (server.Logins, error) {
	sms, err := auth.NewSMSSender(cfg.Logins.SMS, logger)
	if err != nil {
		return server.Logins{}, err
	}
	otp := auth.NewOTP(auth.OTPConfig{Secret: cfg.BetterAuthSecret, PhoneCooldown: cfg.Logins.OTPPhoneCooldown,
		PhoneMaxPerHour: cfg.Logins.OTPPhoneHourly, IPMaxPerHour: cfg.Logins.OTPIPHourly}, db, sms, logger, time.Now)
	social := auth.NewSocial(auth.SocialConfig{Google: cfg.Logins.Google, Apple: cfg.Logins.Apple, BaseURL: cfg.BetterAuthURL},
		db, logger, time.Now, &http.Client{Timeout: 10 * time.Second})
	return server.Logins{
		OTP:       otp,
		Biometric: auth.NewBiometric(db, logger, time.Now),
		Passkeys:  auth.NewPasskeys(db, logger, time.Now),
		Social:    social,
		BaseURL:   cfg.BetterAuthURL,
	}, nil
}
