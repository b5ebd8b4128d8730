package server

import (
	"context"
	"testing"
)

// TestURLFieldsRefuseOtherSchemes: every URL field a client stores takes
// only http(s) URLs, /api/uploads/ paths and, where the apps upload them,
// base64 data URLs of images (and PDFs for a menu); anything else is 400
// and nothing is written (issue #10 item 7).
func TestURLFieldsRefuseOtherSchemes(t *testing.T) {
	t.Parallel()
	e := newAuthEnv(t)
	const userBad = `{"code":"VALIDATION_ERROR","message":"Invalid image"}`
	const tenantBad = `{"error":"Invalid request body"}`
	tests := []struct {
		name, target, body string
		status             int
		want               string
	}{
		{"user image javascript:", "/api/auth/update-user", `{"image":"javascript:alert(1)"}`, 400, userBad},
		{"user image data:", "/api/auth/update-user", `{"image":"data:image/png;base64,AAAA"}`, 400, userBad},
		{"user image other path", "/api/auth/update-user", `{"image":"/api/tenants/demo"}`, 400, userBad},
		{"user image escaping uploads", "/api/auth/update-user", `{"image":"/api/uploads/../x"}`, 400, userBad},
		{"user image https", "/api/auth/update-user", `{"image":"https://lh3.googleusercontent.com/a/x"}`, 200, `{"status":true}`},
		{"user image upload", "/api/auth/update-user", `{"image":"/api/uploads/avatars/x.png"}`, 200, `{"status":true}`},
		{"user image cleared", "/api/auth/update-user", `{"image":""}`, 200, `{"status":true}`},
		{"logo data:text/html", "/api/tenants/demo", `{"logoUrl":"data:text/html,<script>alert(1)</script>"}`, 400, tenantBad},
		{"logo javascript:", "/api/tenants/demo", `{"logoUrl":"javascript:alert(1)"}`, 400, tenantBad},
		{"logo PDF", "/api/tenants/demo", `{"logoUrl":"data:application/pdf;base64,JVBERi0="}`, 400, tenantBad},
		{"logo other path", "/api/tenants/demo", `{"logoUrl":"/api/auth/sign-out"}`, 400, tenantBad},
		{"menu data:text/html", "/api/tenants/demo", `{"menuUrl":"data:text/html;base64,PHNjcmlwdD4="}`, 400, tenantBad},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := e.do(apiReq{method: "POST", target: tc.target, body: tc.body, headers: bearer(adminToken)})
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.status, w.Body)
			}
			assertJSON(t, w.Body.Bytes(), tc.want)
		})
	}
	var logo *string
	if err := e.db.SQL().GetContext(context.Background(), &logo, `SELECT "logoUrl" FROM "Tenant" WHERE "slug" = 'demo'`); err != nil {
		t.Fatal(err)
	}
	if logo != nil && *logo != "" {
		t.Fatalf("a refused logo was stored: %q", *logo)
	}

	// What the apps send is accepted.
	for _, body := range []string{`{"logoUrl":"data:image/png;base64,iVBORw0KGgo="}`, `{"logoUrl":"https://cdn.example/logo.png"}`,
		`{"menuUrl":"data:application/pdf;base64,JVBERi0="}`, `{"menuUrl":"data:image/jpeg;base64,/9j/4AAQ"}`} {
		if w := e.do(apiReq{method: "POST", target: "/api/tenants/demo", body: body, headers: bearer(adminToken)}); w.Code != 200 {
			t.Errorf("%s: %d %s", body, w.Code, w.Body)
		}
	}
}

// TestSignUpImageURL: the sign-up's image follows the same rule.
func TestSignUpImageURL(t *testing.T) {
	t.Parallel()
	e := newAuthEnv(t)
	w := e.do(apiReq{method: "POST", target: "/api/auth/sign-up/email",
		body: `{"name":"Mallory","email":"m@example.com","password":"correct horse battery","image":"javascript:alert(1)"}`})
	if w.Code != 400 {
		t.Fatalf("sign-up with a javascript: image: %d %s", w.Code, w.Body)
	}
}
