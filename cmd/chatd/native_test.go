package main

import (
	"strings"
	"testing"
)

func TestNativeIDFallbackConfig(t *testing.T) {
	tests := []struct {
		env     map[string]string
		want    string
		wantErr string
	}{
		{nil, NativeFallbackMember, ""},
		{map[string]string{"STRICT_AUTH": "true"}, NativeFallbackOff, ""},
		{map[string]string{"STRICT_AUTH": "false", "NATIVE_ID_FALLBACK": "off"}, NativeFallbackOff, ""},
		{map[string]string{"STRICT_AUTH": "true", "NATIVE_ID_FALLBACK": "Member"}, NativeFallbackMember, ""},
		{map[string]string{"NATIVE_ID_FALLBACK": "on"}, "", `NATIVE_ID_FALLBACK must be member or off, got "on"`},
	}
	for _, tt := range tests {
		cfg, err := LoadConfig(loginEnv(tt.env))
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%v: err = %v, want %q", tt.env, err, tt.wantErr)
			}
			continue
		}
		if err != nil || cfg.NativeIDFallback != tt.want || cfg.NativeMember() != (tt.want == NativeFallbackMember) {
			t.Errorf("%v: NATIVE_ID_FALLBACK = %q (%v), want %q", tt.env, cfg.NativeIDFallback, err, tt.want)
		}
		if !strings.HasPrefix(nativeIDFallbackNote(cfg), "NATIVE_ID_FALLBACK="+tt.want+": ") {
			t.Errorf("note %q does not name the mode", nativeIDFallbackNote(cfg))
		}
	}
	cfg, err := LoadConfig(loginEnv(map[string]string{"NATIVE_ORIGINS": "http://chat.app.local, ionic://localhost"}))
	if err != nil || strings.Join(cfg.NativeOrigins, ",") != "http://chat.app.local,ionic://localhost" {
		t.Fatalf("NATIVE_ORIGINS = %v (%v)", cfg.NativeOrigins, err)
	}
}
