package auth

import (
	"strings"
	"testing"
)

// Vectors from betterauth.md §6, verified by BetterAuth 1.4.18 and 1.7.25.
func TestPasswordVectors(t *testing.T) {
	t.Parallel()
	const salt = "0123456789abcdef0123456789abcdef"
	tests := []struct{ password, hash string }{
		{"password123", salt + ":e8b256b6f9f4b1641136a66d4a26ba41a47b6c8c9bad6aa4145559ffda45ece1f0f16dec8482a3e5545feada0ba62f2b05eeb943b750c9396874e1762c78d27d"},
		{"correct horse battery staple", salt + ":e1034727d858e2fca8a705fe561781100520e78064f8d2bfa492937c58df02eb15d40233f809f179c7fb9863b8eb9dc5a8d2dc196c0b9733c05fa426f224856e"},
	}
	for _, tt := range tests {
		got, err := hashWithSalt(tt.password, salt)
		if err != nil || got != tt.hash {
			t.Errorf("hashWithSalt(%q) = %q, %v; want %q", tt.password, got, err, tt.hash)
		}
		if !VerifyPassword(tt.hash, tt.password) {
			t.Errorf("VerifyPassword(vector, %q) = false", tt.password)
		}
		if VerifyPassword(tt.hash, tt.password+"x") {
			t.Errorf("VerifyPassword accepted a wrong password for %q", tt.password)
		}
	}
}

func TestHashPasswordRoundTrip(t *testing.T) {
	t.Parallel()
	// "ﬁ" (U+FB01) NFKC-normalises to "fi": both spellings are one password.
	h, err := HashPassword("ﬁrst-password")
	if err != nil {
		t.Fatal(err)
	}
	salt, key, _ := strings.Cut(h, ":")
	if len(salt) != 32 || len(key) != 128 || len(h) != 161 {
		t.Fatalf("hash shape %q", h)
	}
	if !VerifyPassword(h, "first-password") {
		t.Error("NFKC-equivalent password rejected")
	}
	h2, _ := HashPassword("ﬁrst-password")
	if h2 == h {
		t.Error("two hashes share a salt")
	}
}

func TestVerifyPasswordMalformed(t *testing.T) {
	t.Parallel()
	for _, h := range []string{"", "nocolon", ":" + strings.Repeat("0", 128), "00:zz", "00:" + strings.Repeat("0", 127)} {
		if VerifyPassword(h, "password123") {
			t.Errorf("VerifyPassword(%q) = true", h)
		}
	}
}
