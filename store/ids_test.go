package store

import (
	"regexp"
	"testing"
)

func TestIDFormats(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		gen  func() string
		re   *regexp.Regexp
	}{
		{"uuid v4", NewUUID, regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)},
		{"betterauth id", NewID, regexp.MustCompile(`^[A-Za-z0-9]{32}$`)},
		{"cuid", NewCUID, regexp.MustCompile(`^c[a-z0-9]{24}$`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seen := map[string]bool{}
			for range 1000 {
				id := tt.gen()
				if !tt.re.MatchString(id) {
					t.Fatalf("%q does not match %s", id, tt.re)
				}
				if seen[id] {
					t.Fatalf("duplicate id %q", id)
				}
				seen[id] = true
			}
		})
	}
}

func TestConnString(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"postgresql://u:p@db:5432/chat_db?schema=public&connection_limit=5",
			"postgresql://u:p@db:5432/chat_db?TimeZone=UTC&binary_parameters=yes&search_path=public&sslmode=prefer"},
		{"postgres://localhost/x?sslmode=disable", "postgres://localhost/x?TimeZone=UTC&binary_parameters=yes&sslmode=disable"},
		{"postgres://localhost/x?binary_parameters=no", "postgres://localhost/x?TimeZone=UTC&binary_parameters=no&sslmode=prefer"},
	}
	for _, tt := range tests {
		got, err := ConnString(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ConnString(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	if _, err := ConnString("mysql://x"); err == nil {
		t.Error("ConnString accepted a mysql URL")
	}
}
