package chatd_test

import (
	"testing"

	"chatd"
)

func TestURLRules(t *testing.T) {
	tests := []struct {
		in                string
		asset, image, pdf bool
	}{
		{"https://lh3.googleusercontent.com/a/photo=s96-c", true, false, false},
		{"http://cdn.example:8080/logo.png?v=2#x", true, false, false},
		{"HTTPS://CDN.EXAMPLE/LOGO.PNG", true, false, false},
		{"/api/uploads/avatars/a11ce000-0000-4000-8000-000000000001.png", true, false, false},
		{"data:image/png;base64,iVBORw0KGgo=", false, true, false},
		{"data:IMAGE/JPEG;BASE64,/9j/4AAQ", false, true, false},
		{"data:image/svg+xml;base64,PHN2Zz4=", false, true, false},
		{"data:application/pdf;base64,JVBERi0=", false, false, true},

		{"", false, false, false},
		{"javascript:alert(1)", false, false, false},
		{"JavaScript://%0aalert(1)", false, false, false},
		{"data:text/html,<script>alert(1)</script>", false, false, false},
		{"data:text/html;base64,PHNjcmlwdD4=", false, false, false},
		{"data:image/png,<svg onload=alert(1)>", false, false, false},
		{"data:image/png;base64,AAAA<script>", false, false, false},
		{"data:image/;base64,AAAA", false, false, false},
		{"data:image/png;base64", false, false, false},
		{"vbscript:msgbox", false, false, false},
		{"ftp://files.example/x.png", false, false, false},
		{"https://", false, false, false},
		{"https://user:pass@evil.example/x.png", false, false, false},
		{"https://evil.example/a b.png", false, false, false},
		{"https://evil.example/\x00.png", false, false, false},
		{"//evil.example/x.png", false, false, false},
		{"/etc/passwd", false, false, false},
		{"/api/uploads/", false, false, false},
		{"/api/uploads/../../etc/passwd", false, false, false},
		{"/api/uploads/avatars/../../x", false, false, false},
		{"/api/uploads//x.png", false, false, false},
		{"/api/uploads/%2e%2e/x", false, false, false},
		{`/api/uploads/a\..\x`, false, false, false},
		{"/api/uploadsx/a.png", false, false, false},
		{" https://cdn.example/logo.png", false, false, false},
	}
	for _, tt := range tests {
		if got := chatd.IsAssetURL(tt.in); got != tt.asset {
			t.Errorf("IsAssetURL(%q) = %v, want %v", tt.in, got, tt.asset)
		}
		if got := chatd.IsInlineImage(tt.in); got != tt.image {
			t.Errorf("IsInlineImage(%q) = %v, want %v", tt.in, got, tt.image)
		}
		if got := chatd.IsInlinePDF(tt.in); got != tt.pdf {
			t.Errorf("IsInlinePDF(%q) = %v, want %v", tt.in, got, tt.pdf)
		}
	}
}
