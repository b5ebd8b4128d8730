package main

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
)

// minSecretLen is BetterAuth's own minimum outside development.
const minSecretLen = 32

// secretFile holds the secret chatd generated, in the data directory.
func secretFile(cfg Config) string { return filepath.Join(cfg.DataDir, "better_auth_secret") }

// resolveSecret fills cfg.BetterAuthSecret when BETTER_AUTH_SECRET is unset
// (never in production, LoadConfig refuses that): from the file a previous
// start generated, else a new random one written there with mode 0600, so
// sessions survive restarts.
func resolveSecret(cfg *Config, logger *slog.Logger) error {
	if cfg.BetterAuthSecret != "" {
		return nil
	}
	path := secretFile(*cfg)
	if body, err := os.ReadFile(path); err == nil {
		if s := strings.TrimSpace(string(body)); len(s) >= minSecretLen {
			cfg.BetterAuthSecret = s
			return nil
		}
		return fmt.Errorf("%s holds no usable secret: delete it to have chatd generate a new one, or set BETTER_AUTH_SECRET", path)
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("read the generated secret: %w", err)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return err
	}
	secret := base64.RawURLEncoding.EncodeToString(raw)
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	// O_EXCL: of two processes starting at once, one writes and the other
	// fails here rather than overwriting the secret the first one uses.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("write the generated secret: %w", err)
	}
	if _, err := f.WriteString(secret + "\n"); err != nil {
		f.Close()
		return fmt.Errorf("write the generated secret: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write the generated secret: %w", err)
	}
	cfg.BetterAuthSecret = secret
	logger.Warn("generated BETTER_AUTH_SECRET (none was set); set BETTER_AUTH_SECRET to the BetterAuth server's secret to share sessions with it",
		"file", path)
	return nil
}
