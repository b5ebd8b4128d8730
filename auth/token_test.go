package auth

import "testing"

// Vectors from betterauth.md §2, produced by better-call itself.
const vectorSecret = "test-secret-at-least-32-characters-long"

func TestSignerVectors(t *testing.T) {
	t.Parallel()
	s := NewSigner(vectorSecret)
	tests := []struct{ value, sig, cookie string }{
		{"abc123", "Lf/iDiCQognAPZffIKp3+/1hOeMRiVyrI6h6AgUK+ok=", "abc123.Lf%2FiDiCQognAPZffIKp3%2B%2F1hOeMRiVyrI6h6AgUK%2Bok%3D"},
		{"8H5tWcQ3aXzV0kLmN9pR2sT4uY6wB1dE", "ocw5vAzJlck4FuF/36p/VDUnWpGeGVFC9LKGi4fJNHA=", "8H5tWcQ3aXzV0kLmN9pR2sT4uY6wB1dE.ocw5vAzJlck4FuF%2F36p%2FVDUnWpGeGVFC9LKGi4fJNHA%3D"},
		{"true", "xnU03I3W18LiGdvBTSILgf83RkXhpwPOwB1BFh6BPNk=", "true.xnU03I3W18LiGdvBTSILgf83RkXhpwPOwB1BFh6BPNk%3D"},
	}
	for _, tt := range tests {
		if got := s.Signature(tt.value); got != tt.sig {
			t.Errorf("Signature(%q) = %q, want %q", tt.value, got, tt.sig)
		}
		if got := s.CookieValue(tt.value); got != tt.cookie {
			t.Errorf("CookieValue(%q) = %q, want %q", tt.value, got, tt.cookie)
		}
		for _, candidate := range []string{tt.cookie, tt.value + "." + tt.sig} {
			if tok, ok := s.TokenFromCandidate(candidate); !ok || tok != tt.value {
				t.Errorf("TokenFromCandidate(%q) = %q, %v", candidate, tok, ok)
			}
		}
	}
}

func TestTokenFromCandidate(t *testing.T) {
	t.Parallel()
	s := NewSigner(vectorSecret)
	tests := []struct {
		name, in, want string
		ok             bool
	}{
		{"raw 32-char token", "8H5tWcQ3aXzV0kLmN9pR2sT4uY6wB1dE", "8H5tWcQ3aXzV0kLmN9pR2sT4uY6wB1dE", true},
		{"legacy base64 token keeps +", "q1+2/3abcdefghijklmnopqrstuvwxyz0123456789A=", "q1+2/3abcdefghijklmnopqrstuvwxyz0123456789A=", true},
		{"url-encoded legacy token", "q1%2B2%2F3abcdefghijklmnopqrstuvwxyz0123456789A%3D", "q1+2/3abcdefghijklmnopqrstuvwxyz0123456789A=", true},
		{"bad signature", "abc123.Mf%2FiDiCQognAPZffIKp3%2B%2F1hOeMRiVyrI6h6AgUK%2Bok%3D", "abc123", false},
		{"forged signature", "abc124.Lf/iDiCQognAPZffIKp3+/1hOeMRiVyrI6h6AgUK+ok=", "abc124", false},
		{"empty", "", "", false},
		{"quoted", `"abc"`, "abc", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := s.TokenFromCandidate(tt.in)
			if ok != tt.ok || (ok && got != tt.want) {
				t.Errorf("got %q, %v; want %q, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}
