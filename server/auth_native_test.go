package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// setCookies are the response's Set-Cookie values.
func setCookies(w *httptest.ResponseRecorder) []string { return w.Result().Header.Values("Set-Cookie") }

// assertSameSite checks that every cookie of w carries sameSite, and Secure
// with it when it is None.
func assertSameSite(t *testing.T, what string, w *httptest.ResponseRecorder, sameSite string) {
	t.Helper()
	cookies := setCookies(w)
	if len(cookies) == 0 {
		t.Fatalf("%s: no Set-Cookie (%d %s)", what, w.Code, w.Body)
	}
	for _, c := range cookies {
		if !strings.HasSuffix(c, "; SameSite="+sameSite) || (sameSite == "None" && !strings.Contains(c, "; Secure;")) {
			t.Errorf("%s: %s, want SameSite=%s", what, c, sameSite)
		}
	}
}

// TestNativeOriginCookies: with an https public URL, every cookie chatd
// writes for a native app's request is cross-site (SameSite=None; Secure),
// so the WebView keeps it and sends it back; the web app's stay Lax.
func TestNativeOriginCookies(t *testing.T) {
	t.Parallel()
	e := newLoginEnv(t, loginOpts{secure: true})
	origin := func(o string) map[string]string { return map[string]string{"Origin": o} }
	for _, tt := range []struct{ origin, sameSite string }{
		{"capacitor://localhost", "None"},
		{"http://localhost", "None"},
		{"https://localhost", "None"},
		{"https://chat.example.com", "Lax"},
		{"http://localhost:3000", "Lax"},
		{"", "Lax"},
	} {
		w := e.do(postJSON("/api/auth/sign-in/anonymous", `{}`, origin(tt.origin)))
		assertSameSite(t, "anonymous sign-in from "+tt.origin, w, tt.sameSite)
	}

	// The phone-code login the native app uses, then sign-out, from iOS.
	ios := origin("capacitor://localhost")
	e.do(postJSON("/api/auth/otp/send", `{"phone":"+393331234567"}`, ios))
	w := e.do(postJSON("/api/auth/otp/verify", `{"phone":"+393331234567","code":"`+e.sms.code(t, testPhone)+`","alias":"Marco"}`, ios))
	assertSameSite(t, "otp verify", w, "None")
	var cookie []string
	for _, c := range setCookies(w) {
		cookie = append(cookie, strings.SplitN(c, ";", 2)[0])
	}
	withCookie := map[string]string{"Origin": "capacitor://localhost", "Cookie": strings.Join(cookie, "; ")}
	w = e.do(apiReq{method: http.MethodGet, target: "/api/auth/get-session", headers: withCookie})
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"token"`) {
		t.Fatalf("get-session with the native cookie: %d %s", w.Code, w.Body)
	}
	w = e.do(postJSON("/api/auth/sign-out", `{}`, withCookie))
	assertSameSite(t, "sign-out", w, "None")

	// Over plain http a cross-site cookie cannot be kept (no Secure): Lax.
	plain := newLoginEnv(t, loginOpts{})
	w = plain.do(postJSON("/api/auth/sign-in/anonymous", `{}`, ios))
	assertSameSite(t, "plain-http anonymous sign-in", w, "Lax")
}
