package main

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
)

func TestDoctorCookiesAndCORS(t *testing.T) {
	tests := []struct {
		name                  string
		env                   map[string]string
		cookiesOK, corsOK     bool
		cookiesWant, corsWant string
	}{
		{"development without URLs", nil, true, true, "development", "capacitor://localhost"},
		{"https everywhere", map[string]string{"BETTER_AUTH_URL": "https://chat.example.com", "NEXT_PUBLIC_SERVER_URL": "https://chat.example.com"},
			true, true, "__Secure-", "https://chat.example.com"},
		{"schemes disagree", map[string]string{"BETTER_AUTH_URL": "https://chat.example.com", "NEXT_PUBLIC_SERVER_URL": "http://chat.example.com"},
			false, true, "both must be https", ""},
		{"production over http", map[string]string{"NODE_ENV": "production", "BETTER_AUTH_SECRET": strings.Repeat("s", 40),
			"BETTER_AUTH_URL": "http://chat.example.com"}, false, true, "unencrypted", ""},
		{"production without URLs", map[string]string{"NODE_ENV": "production", "BETTER_AUTH_SECRET": strings.Repeat("s", 40)},
			false, true, "unset", ""},
		{"CORS list without the site", map[string]string{"BETTER_AUTH_URL": "https://chat.example.com", "CORS_ORIGINS": "https://other.example.com"},
			true, false, "", "lacks https://chat.example.com (BETTER_AUTH_URL)"},
		{"CORS wildcard", map[string]string{"CORS_ORIGINS": "*"}, true, false, "", "every origin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := LoadConfig(func(k string) string { return tt.env[k] })
			if err != nil {
				t.Fatal(err)
			}
			if v := doctorCookies(context.Background(), cfg); v.ok != tt.cookiesOK || !strings.Contains(v.detail, tt.cookiesWant) {
				t.Errorf("cookies: %+v", v)
			}
			if v := doctorCORS(context.Background(), cfg); v.ok != tt.corsOK || !strings.Contains(v.detail, tt.corsWant) {
				t.Errorf("cors: %+v", v)
			}
		})
	}
}

func TestDoctorRun(t *testing.T) {
	dir := t.TempDir()
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	free := freePort(t)
	env := map[string]string{"DATA_DIR": dir + "/data", "UPLOADS_DIR": dir + "/uploads", "HOST": "127.0.0.1",
		"PORT": strconv.Itoa(free), "API_PORT": strconv.Itoa(free), "LOG_LEVEL": "warn"}
	code, stdout, stderr := runWith(t, env, "doctor")
	if code != 0 || strings.Contains(stdout, "✗") || strings.Count(stdout, "✓") != 8 || !strings.Contains(stdout, "✓ native apps: NATIVE_ID_FALLBACK=member") {
		t.Fatalf("fresh embedded setup: exit %d\n%s%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "✓ database: embedded SQLite "+dir+"/data/chatd.db does not exist yet") {
		t.Fatalf("database line: %s", stdout)
	}
	if code, _, _ := runWith(t, env, "tenant", "list"); code != 0 {
		t.Fatal("tenant list failed")
	}
	env["API_PORT"] = strconv.Itoa(taken.Addr().(*net.TCPAddr).Port)
	env["BETTER_AUTH_SECRET"] = "too-short"
	code, stdout, _ = runWith(t, env, "doctor")
	for _, want := range []string{"✓ database: sqlite reachable, schema complete", "✗ secret: BETTER_AUTH_SECRET has 9 characters", "✗ ports: cannot listen on 127.0.0.1:" + env["API_PORT"]} {
		if !strings.Contains(stdout, want) {
			t.Errorf("doctor output lacks %q:\n%s", want, stdout)
		}
	}
	if code != 1 {
		t.Fatalf("doctor with problems: exit %d", code)
	}
	env["REDIS_URL"] = "redis://127.0.0.1:1/0"
	delete(env, "DATA_DIR")
	env["DATABASE_URL"] = "postgres://127.0.0.1:1/none?sslmode=disable"
	code, stdout, _ = runWith(t, env, "doctor")
	if code != 1 || !strings.Contains(stdout, "✗ database: unreachable") || !strings.Contains(stdout, "✗ redis: 127.0.0.1:1 unreachable") {
		t.Fatalf("unreachable services: exit %d\n%s", code, stdout)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
