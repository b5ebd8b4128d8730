package main

import (
	"context"
	"log/slog"
	"slices"

	"chatd/auth"
	"chatd/server"
)

// nativeIDFallbackNote says in one line what NATIVE_ID_FALLBACK exposes: the
// start log prints it, and so should anything that reports the configuration.
func nativeIDFallbackNote(cfg Config) string {
	if cfg.NativeMember() {
		return "NATIVE_ID_FALLBACK=member: anyone who sends a native app Origin and a registered user's id can " +
			"act as that member (messages, private messages, profile, blocks; never moderator, admin or staff rights); " +
			"set off once the apps store the phone-login sessionToken (docs/native-apps.md)"
	}
	return "NATIVE_ID_FALLBACK=off: a registered user's socket needs a session token or cookie; " +
		"unmodified native apps cannot chat after a phone-code login (docs/native-apps.md)"
}

// logNativeApps logs at start what NATIVE_ID_FALLBACK exposes, and warns
// about each native app origin the CORS allow-list leaves out: an app served
// from it can neither call chatd nor open a socket.
func logNativeApps(logger *slog.Logger, cfg Config, origins *server.Origins) {
	logger.Info(nativeIDFallbackNote(cfg), "native_id_fallback", cfg.NativeIDFallback)
	allowed := origins.List()
	for _, o := range auth.NewNativeOrigins(cfg.NativeOrigins).List() {
		if !slices.Contains(allowed, o) {
			logger.Warn("native app origin not in CORS_ORIGINS: an app on it cannot reach chatd", "origin", o)
		}
	}
}

// doctorNative is doctor's line for NATIVE_ID_FALLBACK: both settings are
// valid, so it always passes, and says what the one in force exposes.
func doctorNative(_ context.Context, cfg Config) verdict {
	return verdict{ok: true, detail: nativeIDFallbackNote(cfg)}
}
