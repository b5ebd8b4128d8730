package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"chatd/auth"
)

// TestSocialWebApple runs Apple's variant of the web flow: response_type
// "code id_token" with form_post and no PKCE, the callback arriving as a
// cross-site POST, the name taken from Apple's first-login user field.
func TestSocialWebApple(t *testing.T) {
	t.Parallel()
	idp := newTestIDP(t)
	e := newLoginEnv(t, loginOpts{social: auth.SocialConfig{BaseURL: "http://localhost:3000",
		Apple: idp.provider("io.local.services", "io.local.app")}})
	now := e.clock.Now()
	idp.idToken = func(code string) string {
		return idp.sign(map[string]any{"iss": "https://appleid.apple.com", "aud": "io.local.services", "sub": "apple-" + code,
			"email": code + "@privaterelay.appleid.com", "email_verified": "true", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}, nil, idp.kid)
	}
	w := e.do(postJSON("/api/auth/sign-in/social", `{"provider":"apple","callbackURL":"http://localhost:3000/account"}`))
	var out struct{ URL string }
	decode(t, w, &out)
	u, _ := url.Parse(out.URL)
	q := u.Query()
	if w.Code != 200 || q.Get("response_type") != "code id_token" || q.Get("response_mode") != "form_post" ||
		q.Get("scope") != "email name" || q.Get("code_challenge") != "" || q.Get("client_id") != "io.local.services" {
		t.Fatalf("apple URL: %d %s", w.Code, out.URL)
	}
	var stateCookie string
	for _, c := range w.Result().Header.Values("Set-Cookie") {
		if v, ok := strings.CutPrefix(c, "better-auth.state="); ok {
			stateCookie = strings.SplitN(v, ";", 2)[0]
		}
	}
	// Apple posts the form cross-site: no origin check, a redirect to the GET.
	form := url.Values{"code": {"marta"}, "state": {q.Get("state")}, "user": {`{"name":{"firstName":"Marta","lastName":"Bianchi"}}`}}
	req := httptest.NewRequest(http.MethodPost, "/api/auth/callback/apple", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://appleid.apple.com")
	req.Header.Set("Cookie", "better-auth.state="+stateCookie)
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	loc, _ := url.Parse(rec.Header().Get("Location"))
	if rec.Code != 302 || loc.Path != "/api/auth/callback/apple" {
		t.Fatalf("form_post: %d %s", rec.Code, rec.Header().Get("Location"))
	}
	w = e.do(apiReq{method: http.MethodGet, target: loc.RequestURI(), headers: map[string]string{"Cookie": "better-auth.state=" + stateCookie}})
	if w.Code != 302 || w.Header().Get("Location") != "http://localhost:3000/account" {
		t.Fatalf("callback: %d %s", w.Code, w.Header().Get("Location"))
	}
	token := sessionCookieToken(t, w, "2592000")
	user, err := e.db.UserByEmailFold(context.Background(), "marta@privaterelay.appleid.com")
	if err != nil || user.Name.String != "Marta Bianchi" || e.sessionUser(t, token) != user.ID {
		t.Fatalf("apple user %+v %v", user, err)
	}
	idp.mu.Lock()
	tokenForm := idp.forms[len(idp.forms)-1]
	idp.mu.Unlock()
	if tokenForm.Get("code_verifier") != "" || tokenForm.Get("client_secret") != "secret-io.local.services" ||
		tokenForm.Get("redirect_uri") != "http://localhost:3000/api/auth/callback/apple" || tokenForm.Get("grant_type") != "authorization_code" {
		t.Fatalf("apple token request %v", tokenForm)
	}
	acct, err := e.db.AccountByProviderAccount(context.Background(), "apple", "apple-marta")
	if err != nil || acct.AccessToken.String != "at-1" || !acct.IDToken.Valid {
		t.Fatalf("web account keeps the provider tokens as BetterAuth does: %+v %v", acct, err)
	}
}

// TestSocialWebCallbackErrors covers the callback's error redirects after a
// valid state: the provider's own error, a forged ID token, and an existing
// account whose email the provider has not verified.
func TestSocialWebCallbackErrors(t *testing.T) {
	t.Parallel()
	e, idp := newSocialEnv(t)
	now := e.clock.Now()
	other := newTestIDP(t)
	idp.idToken = func(code string) string {
		c := googleClaims(now, "g-"+code, code+"@example.com")
		c["aud"] = "google-web-client"
		switch code {
		case "forged":
			return other.sign(c, nil, idp.kid)
		case "alice":
			c["email"], c["email_verified"] = "alice@example.com", false
		}
		return idp.sign(c, nil, idp.kid)
	}
	run := func(query string) string {
		w := e.do(postJSON("/api/auth/sign-in/social", `{"provider":"google","callbackURL":"/account"}`))
		var out struct{ URL string }
		decode(t, w, &out)
		u, _ := url.Parse(out.URL)
		var cookie string
		for _, c := range w.Result().Header.Values("Set-Cookie") {
			if strings.HasPrefix(c, "better-auth.state=") {
				cookie = strings.SplitN(c, ";", 2)[0]
			}
		}
		w = e.do(apiReq{method: http.MethodGet, target: "/api/auth/callback/google?state=" + u.Query().Get("state") + "&" + query,
			headers: map[string]string{"Cookie": cookie}})
		if w.Code != 302 {
			t.Fatalf("%s: %d", query, w.Code)
		}
		return w.Header().Get("Location")
	}
	base := "http://localhost:3000/api/auth/error?"
	for query, want := range map[string]string{
		"error=access_denied&error_description=user+said+no": base + "error=access_denied&error_description=user+said+no",
		"":            base + "error=no_code",
		"code=forged": base + "error=unable_to_get_user_info",
		"code=alice":  base + "error=account_not_linked",
	} {
		if got := run(query); got != want {
			t.Errorf("%q: redirected to %s, want %s", query, got, want)
		}
	}
	if _, err := e.db.AccountByProviderAccount(context.Background(), "google", "g-alice"); err == nil {
		t.Fatal("an unverified provider email was linked to an existing account")
	}
}
